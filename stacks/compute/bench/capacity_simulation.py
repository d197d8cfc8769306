"""The capacity model, checked by a simulation of one shard that can disagree with it.

Records are put into one moto stream (one shard), with the scenario's partition keys, read back with
sequence numbers as long as Kinesis makes them, and dispatched the way the event source mapping does
with a parallelization factor: each partition key to one of the shard's concurrent batch slots (by a
hash of the key, so a key's records stay in order), each slot taking batches of its own records, at
most `batchSize` of them and at most Lambda's 6 MB invocation payload. Every batch runs the real
ingest handler, which runs the four stages through the in-process state machine
(tests/dataplane_emulator), against moto.

Time is simulated, not waited for: each slot has its own clock, and a batch advances it by
- the CPU each handler really took (`time.thread_time` of this thread, read at botocore's events and
  at each step, so each stretch is booked to the handler running it), divided by the share of a vCPU
  that function's memory buys (Lambda gives one vCPU at 1,769 MB, proportionally less below);
- for each call the handlers made, a latency drawn from a lognormal distribution given by its median
  and 99th percentile (LATENCY_TAILS: tails far above the mean, which the model works with); moto's
  own time is not counted;
- per batch, the mapping's invoke; per execution, StartSyncExecution's overhead; per step, the hop.
Each slot runs the full batches of its share of a backlog (the backlog's last, shorter batch is left
out: a stream that keeps coming fills every batch). A slot processes records at the rate all the
batches run show (records over their simulated seconds: one batch's tail latencies average out over
all of them), and with every key at the same rate the slot with the largest share of the keys'
records saturates first: the shard sustains that rate over that share.

Nothing here uses the model's formulas: the model is evaluated beside it with the CPU per record
this run measured (this machine's speed moves from run to run more than the model's
structure is off), and the two are compared (the slow test
stacks/compute/tests/test_capacity_simulation.py holds them within 20%, and shows them apart when
the model's parallelism ignores the partition keys).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataplane_emulator.pipeline as runner
from bench_dataplane import as_in_aws
from compute_layer.settings import DEFAULT_MEMORY_MB

from streaming_shared.catalogue import STAGES
from streaming_tooling.estimate.capacity import (
    EVENT_BYTES_PER_RECORD,
    INVOCATION_PAYLOAD_BYTES,
    LAMBDA_MB_PER_VCPU,
    capacity,
    consumer_per_shard,
)
from streaming_tooling.estimate.measured import load_measured
from streaming_tooling.estimate.stack import FunctionFacts, StackFacts
from streaming_tooling.testing import TEST_REGION

LATENCY_TAILS: dict[str, tuple[float, float]] = {
    "esm_invoke": (15.0, 80.0),
    "dynamodb": (8.0, 30.0),
    "s3_put": (80.0, 400.0),
    "s3_get": (40.0, 200.0),
    "start_sync_execution": (40.0, 150.0),
    "lambda_hop": (20.0, 80.0),
}
"""Milliseconds, (median, 99th percentile) of each call: DynamoDB's single-digit milliseconds with
a tail to tens; S3's 100-200 ms for small objects with the tail its performance guidelines advise
retrying past; the rest assumed, as in the model (whose figures are means)."""
Z_99 = 2.3263
"""The standard normal's 99th percentile."""
CALL_LATENCY = {"dynamodb": "dynamodb", "s3:PutObject": "s3_put", "s3:GetObject": "s3_get", "s3": "s3_put"}


def lognormal(median_ms: float, p99_ms: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with this median and 99th percentile, in seconds."""
    return math.log(median_ms / 1000), math.log(p99_ms / median_ms) / Z_99


def mean_ms(name: str) -> float:
    mu, sigma = lognormal(*LATENCY_TAILS[name])
    return math.exp(mu + sigma**2 / 2) * 1000


@dataclass(frozen=True)
class Scenario:
    batch_size: int
    parallelization_factor: int
    record_kb: float
    partition_keys: int | None = None
    """None: every record its own key."""
    batches_per_slot: int = 2

    @property
    def records(self) -> int:
        slots = min(self.parallelization_factor, self.partition_keys or self.parallelization_factor)
        return self.batch_size * self.batches_per_slot * slots


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    simulated_records_per_second: float
    modelled_records_per_second: float
    executions_per_batch: float
    modelled_executions_per_batch: float
    cpu_us_per_record_by_handler: Mapping[str, float]

    @property
    def ratio(self) -> float:
        return self.simulated_records_per_second / self.modelled_records_per_second


class BatchClock:
    """One batch's simulated seconds: each handler's CPU over its vCPU share, and a latency drawn
    for every call, hop and execution, from the functions' clients' botocore events and the state
    machine's steps."""

    def __init__(self, pipeline: runner.Pipeline, shares: Mapping[str, float], draw: random.Random) -> None:
        self.shares = shares
        self.draw = draw
        self.cpu: Counter[str] = Counter()
        self.seconds = 0.0
        self.executions = 0
        self._running = "ingest"
        self._since = 0.0
        for service, client in pipeline.function_clients.items():
            client.meta.events.register("before-call", self._call_starts, unique_id=f"simulation-start-{service}")
            client.meta.events.register("after-call", self._call_ends, unique_id=f"simulation-end-{service}")
        pipeline.state_machine.before_step = self._step

    def latency(self, name: str) -> float:
        mu, sigma = lognormal(*LATENCY_TAILS[name])
        return self.draw.lognormvariate(mu, sigma)

    def _book(self, next_running: str | None = None) -> None:
        now = time.thread_time()
        self.cpu[self._running] += now - self._since
        self._since = now
        if next_running is not None:
            self._running = next_running

    def _call_starts(self, model: Any, **_: Any) -> None:
        self._book()
        if model.name == "StartSyncExecution":
            self.executions += 1
            self.seconds += self.latency("start_sync_execution")

    def _call_ends(self, model: Any, **_: Any) -> None:
        if model.name == "StartSyncExecution":
            self._book("ingest")
            return
        self._book()
        service = model.service_model.service_id.hyphenize()
        name = CALL_LATENCY.get(f"{service}:{model.name}", CALL_LATENCY.get(service))
        if name:
            self.seconds += self.latency(name)

    def _step(self, stage: str, _payload: Any) -> None:
        self._book(stage)
        self.seconds += self.latency("lambda_hop")

    def run(self, pipeline: runner.Pipeline, event: dict[str, Any]) -> float:
        """Run one batch; its simulated seconds."""
        self.cpu.clear()
        self.seconds = self.latency("esm_invoke")
        self._running, self._since = "ingest", time.thread_time()
        response = pipeline.invoke(event)
        self._book()
        assert response == {"batchItemFailures": []}, response
        return self.seconds + sum(spent / self.shares[stage] for stage, spent in self.cpu.items())


def slot_of(partition_key: str, slots: int) -> int:
    """The batch slot a key's records go to: a stable hash, so a key stays in one slot, in order."""
    return zlib.crc32(partition_key.encode()) % slots


def producer_event(number: int, record_kb: float) -> bytes:
    """A valid event padded (inside its payload) to about `record_kb`."""
    event = {
        "eventId": f"ord-{number:08d}",
        "source": "orders-service",
        "eventType": "order.created",
        "ts": 1_764_000_000 + number,
        "data": {"order": number, "customer": f"c-{number % 97}", "amount": round(number * 1.37, 2), "note": ""},
    }
    size = len(json.dumps(event))
    event["data"]["note"] = "x" * max(0, int(record_kb * 1024) - size)
    return json.dumps(event).encode()


def batches(records: list[dict[str, Any]], scenario: Scenario) -> Iterator[list[dict[str, Any]]]:
    """A slot's records in batches of at most batchSize and at most Lambda's 6 MB invocation payload."""
    batch: list[dict[str, Any]] = []
    size = 0
    for record in records:
        event_bytes = math.ceil(len(record["Data"]) / 3) * 4 + EVENT_BYTES_PER_RECORD
        if batch and (len(batch) == scenario.batch_size or size + event_bytes > INVOCATION_PAYLOAD_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += event_bytes
    if batch:
        yield batch


def memory_mb() -> dict[str, int]:
    return dict(DEFAULT_MEMORY_MB)


def simulate(scenario: Scenario, seed: int = 7) -> tuple[float, float, dict[str, float]]:
    """Records a second the shard sustains in the simulation, executions per batch, and the CPU per
    record each handler took (microseconds, at this machine's full speed)."""
    shares = {stage: min(1.0, memory / LAMBDA_MB_PER_VCPU) for stage, memory in memory_mb().items()}
    server, endpoint = runner.start_moto()
    os.environ.update(runner.emulator_environment(endpoint, TEST_REGION, log_level="WARNING"))
    try:
        with runner.stdout_discarded():
            pipeline = runner.Pipeline(region=TEST_REGION, environment="simulation")
            count = scenario.records
            keys = [f"key-{n % scenario.partition_keys if scenario.partition_keys else n}" for n in range(count)]
            pipeline.put([producer_event(n, scenario.record_kb) for n in range(count)], keys)
            records = as_in_aws(pipeline.read(limit=count))
            slots: dict[int, list[dict[str, Any]]] = {}
            for record in records:
                slots.setdefault(slot_of(record["PartitionKey"], scenario.parallelization_factor), []).append(record)
            clock = BatchClock(pipeline, shares, random.Random(seed))
            cpu: Counter[str] = Counter()
            executions = full_batches = 0
            elapsed = 0.0
            for slot_records in slots.values():
                for batch in batches(slot_records, scenario):
                    if len(batch) < scenario.batch_size:
                        continue  # the backlog's tail: a stream that keeps coming fills every batch
                    before = clock.executions
                    elapsed += clock.run(pipeline, pipeline.event(batch))
                    cpu.update(clock.cpu)
                    executions += clock.executions - before
                    full_batches += 1
    finally:
        server.stop()
    processed = full_batches * scenario.batch_size
    busiest_share = max(len(slot_records) for slot_records in slots.values()) / len(records)
    per_record = {stage: spent * 1e6 / processed for stage, spent in sorted(cpu.items())}
    return processed / elapsed / busiest_share, executions / full_batches, per_record


def modelled(scenario: Scenario, cpu_us_per_record: Mapping[str, float]) -> tuple[float, float]:
    """The model's records a second per shard's consumer and executions per batch for the scenario, with the CPU
    per record the simulation measured (the JSON between the stages inside each stage's figure)."""
    facts = StackFacts(
        region=TEST_REGION,
        functions={stage: FunctionFacts(memory, "arm64") for stage, memory in memory_mb().items()},
        batch_size=scenario.batch_size,
        parallelization_factor=scenario.parallelization_factor,
    )
    work = dataclasses.replace(
        load_measured(),
        cpu_us_per_record_by_handler={stage: cpu_us_per_record.get(stage, 0.0) for stage in STAGES},
        json_between_stages_us_per_record=0.0,
    )
    means = {name: mean_ms(name) for name in LATENCY_TAILS}
    limits = capacity(
        facts, work, means, scenario.record_kb, records_per_second=0.0, partition_keys=scenario.partition_keys
    )
    # The consumer alone: the simulation reads the stream with no 2 MB/s cap.
    return consumer_per_shard(limits.concurrent_batches, limits.full_batch), limits.full_batch.executions


def compare(scenario: Scenario) -> Outcome:
    simulated, executions, cpu = simulate(scenario)
    model, modelled_executions = modelled(scenario, cpu)
    return Outcome(scenario, simulated, model, executions, modelled_executions, cpu)


def default_scenarios() -> list[Scenario]:
    """The compute layer's default mapping at 1 KB records with many keys, and with one hot key."""
    batch_size, factor = runner.default_mapping()
    return [Scenario(batch_size, factor, 1.0), Scenario(batch_size, factor, 1.0, partition_keys=1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    print("Capacity model vs. simulation (one shard, per-key dispatch, real handlers, simulated time)")
    print(
        "  latencies, median/p99 ms (mean): "
        + ", ".join(f"{name} {m:g}/{p:g} ({mean_ms(name):.0f})" for name, (m, p) in LATENCY_TAILS.items())
    )
    for scenario in default_scenarios():
        outcome = compare(scenario)
        keys = "many keys" if scenario.partition_keys is None else f"{scenario.partition_keys} key(s)"
        print(
            f"  batch {scenario.batch_size}, parallelization {scenario.parallelization_factor}, {keys}, "
            f"{scenario.record_kb:g} KB records: model {outcome.modelled_records_per_second:,.0f}/s, "
            f"simulated {outcome.simulated_records_per_second:,.0f}/s ({outcome.ratio - 1:+.0%}); executions per "
            f"batch {outcome.executions_per_batch:g} (model {outcome.modelled_executions_per_batch:g}); CPU per "
            "record " + ", ".join(f"{stage} {us:.0f} us" for stage, us in outcome.cpu_us_per_record_by_handler.items())
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
