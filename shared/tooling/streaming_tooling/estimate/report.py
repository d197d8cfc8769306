"""An estimate of one stack at one workload and month: the `--json` object and the text report."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .capacity import (
    LATENCY_SOURCES,
    SHARD_WRITE_RECORDS,
    Capacity,
    capacity,
    cpu_share,
    is_staged,
    records_per_invocation,
    shard_write_limit,
)
from .cost import (
    ACCESS_LOG_BYTES_PER_REQUEST,
    READ_UNITS_PER_ITEM,
    Workload,
    monthly_by_service,
    monthly_line_items,
    provisioned_units,
    table_units,
)
from .measured import MeasuredWork
from .prices import Prices
from .stack import StackFacts
from .tiering import transition_applies

REFERENCE_RECORDS_PER_SECOND = 1000.0
"""At 0 records a second the cost per record is that of the first records: priced at this rate, idle cost left out."""
SHARD_WRITE_WARNING_SHARE = 0.8
DEFAULT_ACCOUNT_CONCURRENCY = 1000
"""Lambda's default concurrent executions per account and region (new accounts may have less)."""
CONCURRENT_FUNCTIONS_PER_BATCH = 2
"""A batch in flight holds ingest and the stage its execution is in."""
NEW_ON_DEMAND_TABLE_WRITES = 4000
"""A new on-demand table serves up to 4,000 write units a second at once, more as traffic grows
(DynamoDB developer guide, "Initial throughput for on-demand capacity mode")."""
MAX_SHARDS_PER_STREAM = 10_000
TABLE_QUOTA_UNITS = 40_000
"""DynamoDB's default throughput quota per table and per index, in either mode."""
CAPACITY_KEYS = {
    "table_read": "tableReadCapacity",
    "table_write": "tableWriteCapacity",
    "index_read": "indexReadCapacity",
    "index_write": "indexWriteCapacity",
}


@dataclass(frozen=True)
class Recommended:
    config: dict[str, Any]
    """`PROJECT:KEY` -> value, as `--config` takes them."""
    usd_per_million_records: float | None
    """None when the recommended settings fail the offline plan (a warning says why)."""
    idle_monthly_usd: float | None
    monthly_usd: float | None


@dataclass(frozen=True)
class Estimate:
    stack: str
    workload: Workload
    month: int
    prices: Prices
    line_items: dict[str, dict[str, float]]
    idle_line_items: dict[str, dict[str, float]]
    usd_per_million_records: float
    capacity: Capacity
    assumptions: list[str]
    warnings: list[str]
    recommended: Recommended | None = None
    month_one: dict[str, float] = field(default_factory=dict)
    """The bill of month 1 by service at the same load, for comparison."""

    @property
    def by_service(self) -> dict[str, float]:
        return {service: sum(items.values()) for service, items in self.line_items.items()}

    @property
    def idle_by_service(self) -> dict[str, float]:
        return {service: sum(items.values()) for service, items in self.idle_line_items.items()}

    @property
    def total(self) -> float:
        return sum(self.by_service.values())

    @property
    def idle_total(self) -> float:
        return sum(self.idle_by_service.values())

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "region": self.prices.region,
            "workload": {
                "records_per_second": float(self.workload.records_per_second),
                "record_kb": float(self.workload.record_kb),
            },
            "months": self.month,
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
            "warnings": list(self.warnings),
        }
        if self.recommended is not None:
            usd = self.recommended.usd_per_million_records
            document["recommended"] = {
                "config": dict(sorted(self.recommended.config.items())),
                "usd_per_million_records": None if usd is None else round(usd, 4),
            }
        return document


def per_million(total_usd: float, idle_usd: float, workload: Workload, prices: Prices, reference_usd: float) -> float:
    """Cost per million records; at 0 records a second, what `reference_usd` (the bill at
    REFERENCE_RECORDS_PER_SECOND) adds to idle, per million of those records."""
    if workload.records_per_second > 0:
        return total_usd / (workload.records_per_second * prices.seconds_per_month / 1e6)
    return (reference_usd - idle_usd) / (REFERENCE_RECORDS_PER_SECOND * prices.seconds_per_month / 1e6)


def estimate(
    stack: str,
    facts: StackFacts,
    measured: MeasuredWork,
    prices: Prices,
    workload: Workload,
    *,
    latencies: Mapping[str, float],
    month: int = 12,
) -> Estimate:
    def bill(load: Workload, of_month: int) -> dict[str, float]:
        return monthly_by_service(facts, measured, latencies, load, prices, month=of_month)

    line_items = monthly_line_items(facts, measured, latencies, workload, prices, month=month)
    idle = monthly_line_items(facts, measured, latencies, Workload(0.0, workload.record_kb), prices, month=month)
    total = sum(sum(items.values()) for items in line_items.values())
    idle_total = sum(sum(items.values()) for items in idle.values())
    reference = 0.0
    if not workload.records_per_second:
        reference = sum(bill(Workload(REFERENCE_RECORDS_PER_SECOND, workload.record_kb), month).values())
    limits = capacity(
        facts,
        measured,
        latencies,
        workload.record_kb,
        workload.peak_records_per_second,
        partition_keys=workload.partition_keys,
    )
    return Estimate(
        stack=stack,
        workload=workload,
        month=month,
        prices=prices,
        line_items=line_items,
        idle_line_items=idle,
        usd_per_million_records=per_million(total, idle_total, workload, prices, reference),
        capacity=limits,
        assumptions=assumptions(
            facts, measured, workload, prices=prices, latencies=latencies, limits=limits, month=month
        ),
        warnings=warnings(facts, measured, workload, limits),
        month_one=bill(workload, 1),
    )


def assumptions(
    facts: StackFacts,
    measured: MeasuredWork,
    workload: Workload,
    *,
    prices: Prices,
    latencies: Mapping[str, float],
    limits: Capacity,
    month: int,
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
    keys = "many partition keys" if workload.partition_keys is None else f"{workload.partition_keys:,} partition keys"
    record_bytes = workload.record_kb * 1024
    stored = measured.stored
    full = limits.full_batch
    archive = facts.archive
    object_bytes = stored.archived_bytes(record_bytes) * full.records / full.executions
    inline_bytes = stored.smallest_record_bytes if full.staged else record_bytes
    sync_bytes = stored.sync_request_bytes(inline_bytes) + stored.sync_answer_bytes(inline_bytes)
    transition = transition_applies(archive, object_bytes)
    table = (
        "PAY_PER_REQUEST table: one write request unit per item write, half a read unit per item read"
        if facts.table_billing_mode != "PROVISIONED"
        else "PROVISIONED table with auto scaling at "
        f"{facts.table_target_utilization:g}% utilization within "
        + ", ".join(f"{name} {low:,}-{high:,}" for name, (low, high) in sorted(facts.table_capacity.items()))
        + " units, held at the peak's need all month (the scaler cannot follow peaks shorter than its "
        "minutes-long steps)"
    )
    lines = [
        f"prices: {prices.region} list prices as of {prices.as_of}, a month of {prices.hours_per_month:g} hours, "
        "no free tier, no savings plans or reserved capacity, no data transfer out of the region",
        f"month {month} of a stack that has carried this load since its first day: what it stores (the archive, "
        "the items the TTL keeps, logs) has accumulated for that long under its lifecycle rules",
        f"load of {workload.records_per_second:g} records/s on average of {workload.record_kb:g} KB, peaks "
        f"{workload.peak_to_average:g} times that, over {keys} spread evenly over the shards",
        stream,
        f"per-record work from stacks/compute/bench/measured.json (measured {measured.measured_on} on "
        f"{measured.machine}): requests per 1,000 records "
        + ", ".join(f"{api} {n:g}" for api, n in sorted(measured.requests_per_1000_records_by_api.items()))
        + f" at batch size {measured.batch_size}, scaled to this batch size by each call's unit",
        f"state table: {measured.table_item_writes_per_record:g} item write(s) and "
        f"{measured.index_item_writes_per_record:g} StatusIndex write(s) per record, items of "
        f"{stored.state_item_bytes:,.0f} bytes as stored (one write unit each), "
        f"{measured.read_items_per_record:g} item read(s) per record at {READ_UNITS_PER_ITEM:g} read unit "
        f"(eventually consistent), {facts.record_ttl_days} days of items kept"
        + (", point-in-time recovery on the table's size" if facts.point_in_time_recovery else ""),
        table,
        f"mapping: batch size {facts.batch_size} (at most {records_per_invocation(workload.record_kb):,} records "
        f"of {workload.record_kb:g} KB fit Lambda's 6 MB invocation payload), window "
        f"{facts.batching_window_seconds:g} s, parallelization factor {facts.parallelization_factor} "
        f"({limits.concurrent_batches:g} batches at once per shard with {keys}); a full batch of "
        f"{full.records:g} records runs {full.executions:g} execution(s)"
        + (" with every record by claim check" if full.staged else "")
        + f" and takes {full.cycle_seconds * 1000:.0f} ms",
        f"memory: {memory}; the bench's CPU per record divided by that share, equal speed per core assumed; "
        "each function billed for its own work and waits, the hops between states billed to Step Functions",
    ]
    lines += [f"latency {name} {latencies[name]:g} ms: {LATENCY_SOURCES[name]}" for name in latencies]
    if prices.unconfirmed:
        lines.append(
            f"{len(prices.unconfirmed)} {prices.region} prices are not yet confirmed against the pricing pages "
            f"(their `note` in prices.json): {', '.join(sorted(prices.unconfirmed))}"
        )
    if not workload.records_per_second:
        lines.append(
            f"cost per million records at 0 records/s: what records add at {REFERENCE_RECORDS_PER_SECOND:,.0f} "
            "records/s, idle cost left out"
        )
    lifecycle = (
        f"to {transition.storage_class} after {transition.days} days (objects over "
        f"{transition.min_object_bytes // 1024:,} KB)"
        if transition
        else "kept in STANDARD"
        + (
            f" (the {archive.transition.storage_class} rule is for objects over "
            f"{archive.transition.min_object_bytes // 1024:,} KB)"
            if archive.transition
            else ""
        )
    )
    lines += [
        f"S3 archive: {stored.archived_bytes(record_bytes):,.0f} bytes stored per record (gzip, drawn through the "
        f"bench's two record sizes), one object of about {object_bytes / 1024:,.1f} KB per execution, "
        f"{lifecycle}, "
        + (f"expiring after {archive.retention_days} days" if archive.retention_days else "kept forever")
        + f", {archive.noncurrent_days} days as a noncurrent version after; no quarantined records"
        + (
            f"; access logs at {ACCESS_LOG_BYTES_PER_REQUEST} bytes a request kept "
            f"{archive.access_log_retention_days} days"
            if archive.access_log_retention_days
            else ""
        ),
        "claim check: "
        + (
            "each record stored under staging/ and read by the stages: "
            + ", ".join(f"{api} {n:g}" for api, n in sorted(measured.claim_check.s3_requests_by_api.items()))
            + " per record (measured), three versions kept about a day and a half; the handlers' CPU per record "
            "as measured on small records (reading and writing a large staged record takes more)"
            if is_staged(workload.record_kb, facts.max_payload_bytes)
            else f"none: records of {workload.record_kb:g} KB pass the state machine inline"
        ),
        f"sync-states endpoint: {sync_bytes:,.0f} bytes per record through it (StartSyncExecution's request, "
        "and its answer repeating the input)",
        "CloudWatch logs: vended-log tiers (the stack alone in the account), 0.9 KB per invocation (Lambda's "
        "platform lines, the metrics document) and the summary line of ingest and archive at INFO; the state "
        f"machine at level {facts.state_machine_log_level} (failed executions only unless ALL); kept "
        f"{facts.log_retention_days} days",
        "KMS: customer-managed keys and their first two rotations; requests by S3 (a hundredth of its object "
        "requests with a Bucket Key), by Kinesis (two data keys per shard every five minutes) and by DynamoDB "
        "(its key every five minutes)",
        "not included: producers' PutRecords calls through the kinesis-streams endpoint, SQS and SNS (no traffic "
        "without failures or alarms), Lambda's and KMS's free tiers"
        + (f", {facts.flow_logs} VPC flow log(s) (their volume follows the connections)" if facts.flow_logs else ""),
    ]
    return [line for line in lines if line]


def warnings(facts: StackFacts, measured: MeasuredWork, workload: Workload, limits: Capacity) -> list[str]:
    found = []
    rate = workload.peak_records_per_second
    kb = workload.record_kb
    per_shard_limit = shard_write_limit(kb)
    needed = math.ceil(rate / per_shard_limit) if rate else 1
    if rate > limits.stream_write_limit_records_per_second:
        found.append(
            f"{_records(rate)} records/s exceeds the stream's write limit of "
            f"{_records(limits.stream_write_limit_records_per_second)}/s ({SHARD_WRITE_RECORDS:,} records or 1 MB a "
            f"second per shard): raise streaming-data:streamShardCount to at least {needed}, or use "
            "streaming-data:streamMode ON_DEMAND"
        )
    elif rate > SHARD_WRITE_WARNING_SHARE * limits.stream_write_limit_records_per_second:
        share = rate / limits.stream_write_limit_records_per_second
        found.append(
            f"{_records(rate)} records/s takes each of the {limits.shards} shard(s) to {share:.0%} of its write "
            f"limit ({per_shard_limit:,.0f} records of {kb:g} KB a second): a burst or an uneven key throttles "
            "producers; raise streaming-data:streamShardCount to "
            f"{math.ceil(rate / (SHARD_WRITE_WARNING_SHARE * per_shard_limit))}"
        )
    if needed > MAX_SHARDS_PER_STREAM:
        found.append(
            f"{_records(rate)} records/s of {kb:g} KB needs {needed:,} shards, more than the "
            f"{MAX_SHARDS_PER_STREAM:,} a stream may have (and streaming-data:streamShardCount accepts): split the "
            "load over stacks, or raise the quota with AWS and use streaming-data:streamMode ON_DEMAND"
        )
    if rate > limits.consumer_records_per_second:
        keys_bind = limits.concurrent_batches < facts.parallelization_factor
        found.append(
            f"{_records(rate)} records/s exceeds what the consumer sustains "
            f"({limits.consumer_records_per_second:,.0f}/s, {limits.per_shard_records_per_second:,.0f} per shard): "
            + (
                f"{workload.partition_keys:,} partition key(s) let only {limits.concurrent_batches:g} batch(es) "
                "run at once per shard, whatever the parallelization factor; use more distinct partition keys or "
                "raise streaming-data:streamShardCount"
                if keys_bind
                else f"raise streaming-compute:parallelizationFactor (now {facts.parallelization_factor}, at most "
                "10), streaming-compute:memoryMb, or streaming-data:streamShardCount"
            )
        )
    concurrency = limits.shards * limits.concurrent_batches * CONCURRENT_FUNCTIONS_PER_BATCH
    if concurrency > DEFAULT_ACCOUNT_CONCURRENCY:
        found.append(
            f"{limits.shards} shard(s) x {limits.concurrent_batches:g} batches x {CONCURRENT_FUNCTIONS_PER_BATCH} "
            f"functions need {concurrency:,.0f} concurrent Lambda executions, above the default account quota of "
            f"{DEFAULT_ACCOUNT_CONCURRENCY:,}: ask AWS for more before deploying"
        )
    writes = table_units(measured, rate)
    if facts.table_billing_mode != "PROVISIONED" and writes["table_write"] > TABLE_QUOTA_UNITS:
        found.append(
            f"{_records(rate)} records/s writes {writes['table_write']:,.0f} units a second, beyond DynamoDB's default "
            f"quota of {TABLE_QUOTA_UNITS:,} per table: raise the quota with AWS first"
        )
    elif facts.table_billing_mode != "PROVISIONED" and writes["table_write"] > NEW_ON_DEMAND_TABLE_WRITES:
        found.append(
            f"{_records(rate)} records/s writes {writes['table_write']:,.0f} units a second, more than a new "
            f"on-demand table serves at first ({NEW_ON_DEMAND_TABLE_WRITES:,}): it throttles until DynamoDB "
            "adapts; pre-warm it (warm throughput) or ramp the load up"
        )
    if facts.table_billing_mode == "PROVISIONED":
        held = provisioned_units(facts, writes)
        target = facts.table_target_utilization / 100
        for name, (_, high) in sorted(facts.table_capacity.items()):
            if writes[name] > high * target and writes[name] > 0:
                key = CAPACITY_KEYS[name]
                least = math.ceil(writes[name] / target - 1e-9)
                found.append(
                    f"{_records(rate)} records/s needs {writes[name]:,.0f} {name.replace('_', ' ')} units a second, "
                    f"more than auto scaling may give at {facts.table_target_utilization:g}% of its maximum "
                    f"({high:,}; it holds {held[name]:,.0f}): "
                    + (
                        f"raise the max of streaming-data:{key} to at least {least:,}"
                        if least <= TABLE_QUOTA_UNITS
                        else f"that is beyond DynamoDB's default quota of {TABLE_QUOTA_UNITS:,} units per table and "
                        "index; raise the quota with AWS first"
                    )
                )
    if is_staged(kb, facts.max_payload_bytes) and facts.batch_size > records_per_invocation(kb):
        found.append(
            f"records of {kb:g} KB travel by claim check, and a batch holds at most "
            f"{records_per_invocation(kb):,} of them (Lambda's 6 MB invocation payload), not the "
            f"{facts.batch_size} of streaming-compute:batchSize"
        )
    return found


def _records(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:g}"


def dollars(value: float) -> str:
    return f"${value:,.2f}"


def render_text(result: Estimate) -> str:
    workload = result.workload
    width = max(len(name) for name in result.by_service)
    lines = [
        f"Estimate for stack {result.stack!r} in {result.prices.region} at {workload.records_per_second:g} "
        f"records/s of {workload.record_kb:g} KB, month {result.month} (prices as of {result.prices.as_of})",
        "",
        f"Cost by service, month {result.month}{'':<{max(0, width - 17)}}  at this load      idle   month 1",
    ]
    for name, usd in result.by_service.items():
        lines.append(
            f"  {name:<{width}}  {dollars(usd):>14}  {dollars(result.idle_by_service[name]):>10}"
            f"  {dollars(result.month_one.get(name, 0.0)):>8}"
        )
        lines += [
            f"    {item:<{width + 10}}{dollars(value):>10}" for item, value in result.line_items[name].items() if value
        ]
    lines.append(
        f"  {'total':<{width}}  {dollars(result.total):>14}  {dollars(result.idle_total):>10}"
        f"  {dollars(sum(result.month_one.values())):>8}"
    )
    lines += ["", f"Cost per million records: ${result.usd_per_million_records:.4f}"]
    if result.recommended is not None:
        recommended = result.recommended
        priced = (
            f": ${recommended.usd_per_million_records:.4f} per million records, {dollars(recommended.monthly_usd)} "
            f"in month {result.month} at this load, {dollars(recommended.idle_monthly_usd)} idle,"
            if recommended.usd_per_million_records is not None
            and recommended.monthly_usd is not None
            and recommended.idle_monthly_usd is not None
            else " (they fail the offline plan: see the warnings)"
        )
        lines += [
            "",
            f"Recommended for this load{priced} with",
            *[f"  --config {key}={as_yaml(value)}" for key, value in sorted(recommended.config.items())],
        ]
    lines += [
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


def as_yaml(value: Any) -> str:
    """`value` as `--config` reads it back (YAML flow style)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {as_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(as_yaml(v) for v in value) + "]"
    return str(value)
