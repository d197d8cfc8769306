"""An estimate of one stack at one workload: the `--json` object and the text report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .capacity import LATENCY_SOURCES, SHARD_WRITE_RECORDS, Capacity, capacity, cpu_share, shard_write_limit
from .cost import ITEM_KB, READ_UNITS_PER_ITEM, Workload, monthly_by_service
from .measured import MeasuredWork
from .prices import Prices
from .stack import StackFacts

REFERENCE_RECORDS_PER_SECOND = 1000.0
"""At 0 records a second the cost per record is that of the first records: priced at this rate, idle cost left out."""


@dataclass(frozen=True)
class Estimate:
    stack: str
    workload: Workload
    prices: Prices
    by_service: dict[str, float]
    idle_by_service: dict[str, float]
    usd_per_million_records: float
    capacity: Capacity
    assumptions: list[str]
    warnings: list[str]

    @property
    def total(self) -> float:
        return sum(self.by_service.values())

    @property
    def idle_total(self) -> float:
        return sum(self.idle_by_service.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.prices.region,
            "workload": {
                "records_per_second": float(self.workload.records_per_second),
                "record_kb": float(self.workload.record_kb),
            },
            "monthly_usd": {
                "total": round(self.total, 2),
                "by_service": {name: round(usd, 2) for name, usd in self.by_service.items()},
            },
            "idle_monthly_usd": round(self.idle_total, 2),
            "usd_per_million_records": round(self.usd_per_million_records, 4),
            "capacity": {
                "sustainable_records_per_second": round(self.capacity.sustainable_records_per_second, 1),
                "per_shard_records_per_second": round(self.capacity.per_shard_records_per_second, 1),
                "stream_write_limit_records_per_second": round(self.capacity.stream_write_limit_records_per_second, 1),
                "bottleneck": self.capacity.bottleneck,
            },
            "prices_as_of": self.prices.as_of,
            "assumptions": list(self.assumptions),
        }


def estimate(
    stack: str,
    facts: StackFacts,
    measured: MeasuredWork,
    prices: Prices,
    workload: Workload,
    *,
    latencies: Mapping[str, float],
) -> Estimate:
    by_service = monthly_by_service(facts, measured, latencies, workload, prices)
    idle = monthly_by_service(facts, measured, latencies, Workload(0.0, workload.record_kb), prices)
    if workload.records_per_second > 0:
        millions = workload.records_per_second * prices.seconds_per_month / 1e6
        per_million = sum(by_service.values()) / millions
    else:
        reference = Workload(REFERENCE_RECORDS_PER_SECOND, workload.record_kb)
        variable = sum(monthly_by_service(facts, measured, latencies, reference, prices).values()) - sum(idle.values())
        per_million = variable / (REFERENCE_RECORDS_PER_SECOND * prices.seconds_per_month / 1e6)
    limits = capacity(facts, measured, latencies, workload.record_kb, workload.records_per_second)
    return Estimate(
        stack=stack,
        workload=workload,
        prices=prices,
        by_service=by_service,
        idle_by_service=idle,
        usd_per_million_records=per_million,
        capacity=limits,
        assumptions=assumptions(facts, measured, workload, prices=prices, latencies=latencies, limits=limits),
        warnings=warnings(facts, workload, limits) + capacity_warnings(facts, measured, workload),
    )


def assumptions(
    facts: StackFacts,
    measured: MeasuredWork,
    workload: Workload,
    *,
    prices: Prices,
    latencies: Mapping[str, float],
    limits: Capacity,
) -> list[str]:
    memory = ", ".join(
        f"{stage} {f.memory_mb} MB ({cpu_share(f.memory_mb):.2f} vCPU, {f.architecture})"
        for stage, f in facts.functions.items()
    )
    stream = (
        f"ON_DEMAND stream, billed per stream-hour and GB; capacity taken as {limits.shards} shards"
        if facts.stream_mode == "ON_DEMAND"
        else f"PROVISIONED stream of {facts.shard_count} shard(s), {facts.retention_hours} h retention"
    )
    lines = [
        f"prices: {prices.region} list prices as of {prices.as_of}, a month of {prices.hours_per_month:g} hours, "
        "no free tier, no savings plans, no data transfer out of the region",
        f"steady load of {workload.records_per_second:g} records/s of {workload.record_kb:g} KB, spread evenly "
        "over the shards and partition keys",
        stream,
        f"per-record work from stacks/compute/bench/measured.json (measured {measured.measured_on} on "
        f"{measured.machine}): requests per 1,000 records "
        + ", ".join(f"{api} {n:g}" for api, n in measured.requests_per_1000_records_by_api.items())
        + f" at batch size {measured.batch_size}, scaled to this batch size by each call's unit",
        f"state table: {measured.table_item_writes_per_record:g} item write(s) and "
        f"{measured.index_item_writes_per_record:g} StatusIndex write(s) per record, items under 1 KB "
        f"(one write unit each), {measured.read_items_per_record:g} item read(s) per record at "
        f"{READ_UNITS_PER_ITEM:g} read unit (eventually consistent), "
        f"{facts.record_ttl_days} days of items kept at {ITEM_KB:g} KB each",
        f"mapping: batch size {facts.batch_size}, window {facts.batching_window_seconds:g} s, parallelization "
        f"factor {facts.parallelization_factor}; a full batch runs {limits.full_batch.executions:g} execution(s) "
        f"and takes {limits.full_batch.cycle_seconds * 1000:.0f} ms",
        f"memory: {memory}; the bench's CPU per record divided by that share, equal speed per core assumed",
    ]
    lines += [f"latency {name} {latencies[name]:g} ms: {LATENCY_SOURCES[name]}" for name in latencies]
    if prices.unconfirmed:
        lines.append(
            f"{len(prices.unconfirmed)} {prices.region} prices are not yet confirmed against the pricing pages "
            f"(their `note` in prices.json): {', '.join(prices.unconfirmed)}"
        )
    if not workload.records_per_second:
        lines.append(
            f"cost per million records at 0 records/s: what records add at {REFERENCE_RECORDS_PER_SECOND:,.0f} "
            "records/s, idle cost left out"
        )
    lines += [
        "S3 storage: one month of archive at the records' size (gzip stores less), added to every later month",
        "CloudWatch logs: 0.9 KB per invocation (Lambda's platform lines, the metrics document) and the "
        "summary line of ingest and archive at INFO; the state machine at level "
        f"{facts.state_machine_log_level} (failed executions only unless ALL)",
        "not included: producers' PutRecords calls through the kinesis-streams endpoint, KMS requests (the "
        "services cache data keys), SQS and SNS (no traffic without failures or alarms)",
    ]
    return lines


def warnings(facts: StackFacts, workload: Workload, limits: Capacity) -> list[str]:
    found = []
    rate = workload.records_per_second
    if rate > limits.stream_write_limit_records_per_second:
        needed = int(-(-rate // shard_write_limit(workload.record_kb)))
        found.append(
            f"{rate:g} records/s exceeds the stream's write limit of "
            f"{limits.stream_write_limit_records_per_second:g}/s ({SHARD_WRITE_RECORDS:,} records or 1 MB a "
            f"second per shard): raise streaming-data:streamShardCount to at least {needed}, or use "
            "streaming-data:streamMode ON_DEMAND"
        )
    if rate > limits.consumer_records_per_second:
        found.append(
            f"{rate:g} records/s exceeds what the consumer sustains ({limits.consumer_records_per_second:.0f}/s, "
            f"{limits.per_shard_records_per_second:.0f} per shard): raise streaming-compute:parallelizationFactor "
            f"(now {facts.parallelization_factor}, at most 10), streaming-compute:memoryMb, or "
            "streaming-data:streamShardCount"
        )
    return found


def capacity_warnings(facts: StackFacts, measured: MeasuredWork, workload: Workload) -> list[str]:
    """A PROVISIONED table throttles when the load needs more units a second than it has."""
    if facts.table_billing_mode != "PROVISIONED":
        return []
    rate = workload.records_per_second
    needed = {
        "tableWriteCapacity": ("table_write", rate * measured.table_item_writes_per_record),
        "indexWriteCapacity": ("index_write", rate * measured.index_item_writes_per_record),
        "tableReadCapacity": ("table_read", rate * measured.read_items_per_record * READ_UNITS_PER_ITEM),
    }
    return [
        f"{rate:g} records/s needs {units:,.0f} units a second but streaming-data:{key} is "
        f"{facts.table_capacity.get(name, 0):,}: raise it or use streaming-data:tableBillingMode PAY_PER_REQUEST"
        for key, (name, units) in needed.items()
        if units > facts.table_capacity.get(name, 0)
    ]


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def render_text(result: Estimate) -> str:
    workload = result.workload
    width = max(len(name) for name in result.by_service)
    lines = [
        f"Estimate for stack {result.stack!r} in {result.prices.region} at {workload.records_per_second:g} "
        f"records/s of {workload.record_kb:g} KB (prices as of {result.prices.as_of})",
        "",
        f"Monthly cost by service{'':<{max(0, width - 14)}}  at this load      idle",
    ]
    for name, usd in result.by_service.items():
        lines.append(f"  {name:<{width}}  {_usd(usd):>14}  {_usd(result.idle_by_service[name]):>10}")
    lines.append(f"  {'total':<{width}}  {_usd(result.total):>14}  {_usd(result.idle_total):>10}")
    lines += [
        "",
        f"Cost per million records: ${result.usd_per_million_records:.4f}",
        "",
        "Capacity:",
        f"  consumer, per shard:      {result.capacity.per_shard_records_per_second:,.0f} records/s",
        f"  stream write limit:       {result.capacity.stream_write_limit_records_per_second:,.0f} records/s "
        f"({result.capacity.shards} shard(s))",
        f"  sustainable:              {result.capacity.sustainable_records_per_second:,.0f} records/s "
        f"(bound by the {result.capacity.bottleneck})",
        "",
        "Assumptions:",
        *[f"  - {line}" for line in result.assumptions],
    ]
    if result.warnings:
        lines += ["", "WARNINGS:", *[f"  - {line}" for line in result.warnings]]
    return "\n".join(lines)
