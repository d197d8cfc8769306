"""The settings the estimate recommends for a workload: the cheapest it finds that keeps what the
pipeline promises and the headroom it warns about (each choice, and what is never touched:
docs/cost-and-capacity.md, "The recommended settings").

Each choice is made on the stack's facts with the estimate's own cost functions, in order, each on
the choices before it; the settings are handed back as `--config` overrides, which the caller plans
and estimates again (so what it reports for them is what the programs would create).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from streaming_shared.catalogue import repo_root

from .capacity import (
    ENVELOPE_BYTES,
    BatchTiming,
    batch_limit,
    batch_timing,
    concurrent_batches,
    consumer_per_shard,
    inline_bytes_per_record,
    is_staged,
    loaded_shards,
    module_from_file,
    records_per_invocation,
    shard_write_limit,
)
from .cost import Workload, monthly_by_service, table_units
from .measured import MeasuredWork
from .prices import Prices
from .report import (
    CAPACITY_KEYS,
    CONCURRENT_FUNCTIONS_PER_BATCH,
    DEFAULT_ACCOUNT_CONCURRENCY,
    MAX_SHARDS_PER_STREAM,
    SHARD_WRITE_WARNING_SHARE,
    TABLE_QUOTA_UNITS,
)
from .stack import ArchiveFacts, StackFacts
from .tiering import best_transition, transition_applies

DATA = "streaming-data"
PROVISIONED_ONLY = (*CAPACITY_KEYS.values(), "tableTargetUtilization")
COMPUTE = "streaming-compute"
NETWORK = "streaming-network"
CONSUMER_HEADROOM = SHARD_WRITE_WARNING_SHARE
"""The peak takes at most this share of what a shard's consumer sustains."""
MAX_HEADROOM = 1.5
"""A raised auto scaling maximum leaves this much above the peak's need."""
MEMORY_CHOICES = (256, 384, 512, 768, 1024, 1536, 1769)
"""MB. Never below 256: the whole chain, every handler in one process with moto, peaks at about
210 MB on the largest batch Lambda delivers (stacks/compute/tests/dataplane/test_dataplane_memory.py).
Above 1,769 MB a function gets more than one vCPU, which the single-threaded handlers cannot use."""
LARGEST_PAYLOAD_BYTES = 240_000
"""The most `streaming-compute:maxPayloadBytes` allows (Step Functions' 256 KiB, less the stages' room)."""
EXECUTIONS_PER_BATCH = 2
MAX_BATCH_SIZE = 10_000
"""The most `streaming-compute:batchSize` (and a Kinesis event source mapping) allows."""
SYNC_STATES = "sync-states"


def provisioned_defaults() -> tuple[dict[str, tuple[int, int]], float]:
    """The data layer's default auto scaling ranges (by capacity) and target utilization."""
    path = repo_root() / "stacks" / "data" / "data_layer" / "settings.py"
    settings = module_from_file("streaming_estimate_data_settings", path, "the data layer's settings")
    ranges = {
        name: (int(bounds["min"]), int(bounds["max"]))
        for name, bounds in ((name, settings.DEFAULT_CAPACITY[f"{name}_capacity"]) for name in CAPACITY_KEYS)
    }
    return ranges, float(settings.DEFAULT_TARGET_UTILIZATION)


@dataclass(frozen=True)
class Choice:
    config: dict[str, Any]
    facts: StackFacts


@dataclass(frozen=True)
class TableComparison:
    """What the table costs a month in each mode at this load, and which is cheaper."""

    usd: dict[str, float]

    @property
    def cheaper(self) -> str:
        return min(self.usd, key=lambda mode: (self.usd[mode], mode))

    def sentence(self) -> str:
        cheaper = self.cheaper
        other = next(mode for mode in self.usd if mode != cheaper)
        saving = self.usd[other] - self.usd[cheaper]
        share = saving / self.usd[other] if self.usd[other] else 0.0
        return (
            f"state table at this load and peak: PAY_PER_REQUEST ${self.usd['PAY_PER_REQUEST']:,.2f} a month, "
            f"PROVISIONED with auto scaling ${self.usd['PROVISIONED']:,.2f}; {cheaper} is cheaper by "
            f"${saving:,.2f} ({share:.0%})"
        )


@dataclass(frozen=True)
class Search:
    """What every choice is weighed on: the bench's work, the latencies, the load, the prices, the month."""

    measured: MeasuredWork
    latencies: Mapping[str, float]
    workload: Workload
    prices: Prices
    month: int

    def total(self, facts: StackFacts) -> float:
        bill = monthly_by_service(facts, self.measured, self.latencies, self.workload, self.prices, month=self.month)
        return sum(bill.values())

    def full_batch(self, facts: StackFacts) -> BatchTiming:
        kb = self.workload.record_kb
        return batch_timing(facts, self.measured, self.latencies, batch_limit(facts, kb), kb)

    def headroom_kept(self, facts: StackFacts) -> bool:
        """Whether each shard the keys reach sustains its share of the peak with the headroom kept."""
        keys = self.workload.partition_keys
        consumer = consumer_per_shard(concurrent_batches(facts, facts.shard_count, keys), self.full_batch(facts))
        return self.workload.peak_records_per_second / loaded_shards(facts.shard_count, keys) <= (
            CONSUMER_HEADROOM * consumer
        )

    def cheaper(self, facts: StackFacts, candidate: StackFacts) -> bool:
        return self.total(candidate) < self.total(facts) and self.headroom_kept(candidate)

    def stream(self, facts: StackFacts) -> Choice:
        """PROVISIONED shards for the peak: within 80% of their write limit and of their consumer, as
        many as the partition keys can reach."""
        peak = self.workload.peak_records_per_second
        limit = shard_write_limit(self.workload.record_kb)
        provisioned = dataclasses.replace(facts, stream_mode="PROVISIONED")
        most = min(MAX_SHARDS_PER_STREAM, self.workload.partition_keys or MAX_SHARDS_PER_STREAM)
        shards = min(most, max(1, math.ceil(peak / (SHARD_WRITE_WARNING_SHARE * limit))))
        while shards < most and not self.headroom_kept(dataclasses.replace(provisioned, shard_count=shards)):
            shards += 1
        config: dict[str, Any] = {f"{DATA}:streamMode": "PROVISIONED", f"{DATA}:streamShardCount": shards}
        factor = facts.parallelization_factor
        functions = CONCURRENT_FUNCTIONS_PER_BATCH
        if shards * factor * functions > DEFAULT_ACCOUNT_CONCURRENCY:
            # No more batches in flight than the account's default quota serves (the plan refuses
            # more); the estimate of these settings then says what load is out of reach.
            shards = min(shards, DEFAULT_ACCOUNT_CONCURRENCY // functions)
            factor = max(1, DEFAULT_ACCOUNT_CONCURRENCY // (shards * functions))
            config |= {f"{DATA}:streamShardCount": shards, f"{COMPUTE}:parallelizationFactor": factor}
        return Choice(config, dataclasses.replace(provisioned, shard_count=shards, parallelization_factor=factor))

    def tables(self, facts: StackFacts) -> dict[str, Choice]:
        """The table on demand, and PROVISIONED with auto scaling (the stack's ranges, or the data
        layer's defaults, each maximum raised where the peak needs it, within the quota)."""
        unset = {f"{DATA}:{key}": None for key in PROVISIONED_ONLY} if facts.table_billing_mode == "PROVISIONED" else {}
        on_demand = Choice(
            {f"{DATA}:tableBillingMode": "PAY_PER_REQUEST", **unset},
            dataclasses.replace(facts, table_billing_mode="PAY_PER_REQUEST", table_capacity={}),
        )
        if facts.table_billing_mode == "PROVISIONED":
            ranges, target = dict(facts.table_capacity), facts.table_target_utilization
        else:
            ranges, target = provisioned_defaults()
        needed = table_units(self.measured, self.workload.peak_records_per_second)
        config: dict[str, Any] = {f"{DATA}:tableBillingMode": "PROVISIONED"}
        for name, (low, high) in sorted(ranges.items()):
            least = math.ceil(needed[name] / (target / 100) - 1e-9)
            if least > high and high < TABLE_QUOTA_UNITS:
                ranges[name] = (low, min(TABLE_QUOTA_UNITS, math.ceil(least * MAX_HEADROOM)))
                config[f"{DATA}:{CAPACITY_KEYS[name]}"] = {"min": low, "max": ranges[name][1]}
        provisioned = Choice(
            config,
            dataclasses.replace(
                facts, table_billing_mode="PROVISIONED", table_capacity=ranges, table_target_utilization=target
            ),
        )
        return {"PAY_PER_REQUEST": on_demand, "PROVISIONED": provisioned}

    def compare_tables(self, facts: StackFacts) -> tuple[TableComparison, dict[str, Choice]]:
        choices = self.tables(facts)
        usd = {
            mode: monthly_by_service(
                choice.facts, self.measured, self.latencies, self.workload, self.prices, month=self.month
            )["dynamodb"]
            for mode, choice in choices.items()
        }
        return TableComparison(usd), choices

    def chunks(self, facts: StackFacts) -> Choice:
        """The largest state machine input and a batch of EXECUTIONS_PER_BATCH full ones, if cheaper."""
        kb = self.workload.record_kb
        if is_staged(kb, LARGEST_PAYLOAD_BYTES):
            return Choice({}, facts)
        fit = (LARGEST_PAYLOAD_BYTES - ENVELOPE_BYTES) // inline_bytes_per_record(kb)
        batch = min(EXECUTIONS_PER_BATCH * fit, records_per_invocation(kb), MAX_BATCH_SIZE)
        candidate = dataclasses.replace(facts, max_payload_bytes=LARGEST_PAYLOAD_BYTES, batch_size=batch)
        if not self.cheaper(facts, candidate):
            return Choice({}, facts)
        return Choice({f"{COMPUTE}:maxPayloadBytes": LARGEST_PAYLOAD_BYTES, f"{COMPUTE}:batchSize": batch}, candidate)

    def memory(self, facts: StackFacts) -> Choice:
        """Each stage's memory from MEMORY_CHOICES, stage after stage until none changes, at the least
        cost that keeps the consumer's headroom (a tie keeps what the stage has)."""
        current = facts
        for _ in range(3):
            changed = False
            for stage, function in current.functions.items():
                options = {}
                for memory in MEMORY_CHOICES:
                    functions = {**current.functions, stage: dataclasses.replace(function, memory_mb=memory)}
                    candidate = dataclasses.replace(current, functions=functions)
                    if self.headroom_kept(candidate):
                        options[memory] = self.total(candidate)
                best = min(
                    options,
                    key=lambda memory: (round(options[memory], 2), memory != function.memory_mb, memory),
                    default=function.memory_mb,
                )
                if best != function.memory_mb:
                    functions = {**current.functions, stage: dataclasses.replace(function, memory_mb=best)}
                    current = dataclasses.replace(current, functions=functions)
                    changed = True
            if not changed:
                break
        if current == facts:
            return Choice({}, facts)
        return Choice({f"{COMPUTE}:memoryMb": {stage: f.memory_mb for stage, f in current.functions.items()}}, current)

    def logs(self, facts: StackFacts) -> Choice:
        functions = {stage: dataclasses.replace(f, log_level="WARNING") for stage, f in facts.functions.items()}
        candidate = dataclasses.replace(facts, functions=functions)
        if not self.cheaper(facts, candidate):
            return Choice({}, facts)
        return Choice({f"{COMPUTE}:logLevel": "WARNING"}, candidate)

    def transition(self, facts: StackFacts) -> Choice:
        full = self.full_batch(facts)
        size = self.measured.stored.archived_bytes(self.workload.record_kb * 1024) * full.records / full.executions
        best = best_transition(self.prices, size, facts.archive.retention_days)
        if best == transition_applies(facts.archive, size):
            return Choice({}, facts)
        if best is None:
            config: dict[str, Any] = {f"{DATA}:archiveTransitionStorageClass": None}
        else:
            config = {
                f"{DATA}:archiveTransitionStorageClass": best.storage_class,
                f"{DATA}:archiveTransitionDays": best.days,
                f"{DATA}:archiveTransitionMinObjectKb": best.min_object_bytes // 1024,
            }
        archive: ArchiveFacts = dataclasses.replace(facts.archive, transition=best)
        return Choice(config, dataclasses.replace(facts, archive=archive))


def endpoints(facts: StackFacts) -> Choice:
    """Only the interface endpoint the functions call, in the same zones."""
    if not facts.sync_states_endpoint or facts.interface_endpoints <= 1:
        return Choice({}, facts)
    zones = facts.interface_endpoint_azs // facts.interface_endpoints
    return Choice(
        {f"{NETWORK}:interfaceEndpoints": [SYNC_STATES]},
        dataclasses.replace(facts, interface_endpoint_azs=zones, interface_endpoints=1),
    )


def recommend(
    facts: StackFacts,
    measured: MeasuredWork,
    latencies: Mapping[str, float],
    workload: Workload,
    prices: Prices,
    *,
    month: int,
) -> dict[str, Any]:
    """The recommended settings for `workload`, as `PROJECT:KEY` -> value, each choice made on the ones before."""
    search = Search(measured, latencies, workload, prices, month)
    choice = search.stream(facts)
    config = dict(choice.config)
    comparison, tables = search.compare_tables(choice.facts)
    choice = tables[comparison.cheaper]
    config |= choice.config
    steps = [search.chunks, search.memory, search.logs] if workload.records_per_second else []
    for step in [*steps, endpoints, search.transition]:
        choice = step(choice.facts)
        config |= choice.config
    return config
