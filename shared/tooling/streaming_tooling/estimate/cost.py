"""The bill of one month by service at a workload, from the stack's facts, the bench's counts and the price book.

Each service has its own function over explicit quantities, returning its line items, so a test can
check one by hand. Month N of a stack that has carried the workload since its first day: what is
stored (the archive under its lifecycle, the items the TTL keeps, logs under their retention) has
accumulated for N months. List prices only: no free tier, no savings plans or reserved capacity, no
data transfer out of the region.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .capacity import (
    STAGES_IN_RUN,
    BatchTiming,
    batch_limit,
    batch_timing,
    loaded_shards,
    records_per_batch,
    shards_for,
)
from .measured import SERVICE_OF, MeasuredWork
from .prices import Prices
from .stack import StackFacts
from .tiering import archive_month, days_present, month_days

GB = 1024**3
PUT_PAYLOAD_UNIT_KB = 25
EXPRESS_BILLED_MB = 64
"""Express bills memory in 64 MB chunks; a run whose definition and payload stay under 256 KiB uses
50 MB + definition + data, so one chunk (Step Functions pricing, examples 3 and 4)."""
EXPRESS_BILLED_SECONDS = 0.1
READ_UNITS_PER_ITEM = 0.5
"""An eventually consistent read (BatchGetItem's default) of an item up to 4 KB takes half a read unit."""
WRITE_UNIT_BYTES = 1024
PLATFORM_LOG_BYTES = 500
"""Per invocation at system log level INFO: Lambda's JSON `platform.start` and `platform.report` lines."""
METRICS_LOG_BYTES = 420
"""Per invocation, at every log level: the EMF document Powertools writes with the stage's counts
(412 bytes measured with the handlers)."""
SUMMARY_LOG_BYTES = {"ingest": 420, "archive": 390}
"""Per invocation at INFO: ingest's `batch processed` and archive's `chunk archived` lines (413 and
385 bytes measured); the other stages log nothing at INFO without failures."""
DEBUG_LOG_FACTOR = 8
"""DEBUG adds per-record lines; assumed eight times INFO's volume."""
EXECUTION_EVENTS_LOGGED_AT_ALL = 22
"""Express log events per run at level ALL (state entered/exited, task scheduled/started/succeeded),
most carrying the chunk."""
CUSTOM_METRICS = 16
"""Distinct EMF metric names x dimensions the five handlers publish (ingest's eight counts and the
stages' few), billed while traffic flows."""
LOG_COMPRESSION = 0.15
"""CloudWatch bills stored logs compressed; JSON logs compress to about 15%."""
VENDED_LOG_TIERS_GB = (10 * 1024, 20 * 1024, 20 * 1024, math.inf)
"""Lambda and Step Functions logs are vended logs, billed by the month's volume in the account and
region: the first 10 TB, the next 20 TB, the next 20 TB, the rest (CloudWatch pricing)."""
ACCESS_LOG_BYTES_PER_REQUEST = 500
"""An S3 server access log record (one line per request, about 25 fields); assumed from the
documented format."""
STAGED_VERSIONS = 3
"""A staged record's object is written by ingest, transform and enrich: three versions, each
noncurrent once replaced or deleted, kept until the staging rule's next daily run (1 to 2 days)."""
STAGED_DAYS = 1.5
KINESIS_KEY_REQUESTS_PER_HOUR_PER_SHARD = 2 * 12
"""Kinesis asks KMS for a data key about every five minutes per writer and reader of a shard
(Kinesis developer guide, "Costs of server-side encryption"); one of each per shard assumed."""
DYNAMODB_KEY_REQUESTS_PER_HOUR = 12
"""DynamoDB refreshes a table's key with KMS about every five minutes while it is in use."""
S3_BUCKET_KEY_REQUEST_SHARE = 0.01
"""With an S3 Bucket Key, S3 calls KMS "up to 99%" less than once per object request."""
MAX_KEY_ROTATION_CHARGES = 2
"""Each of the first two rotations of a key adds a key-month; later ones are free (KMS pricing)."""


@dataclass(frozen=True)
class Workload:
    records_per_second: float
    """The average over the month."""
    record_kb: float
    peak_to_average: float = 1.0
    partition_keys: int | None = None
    """Distinct partition keys on the stream; None: many."""

    @property
    def peak_records_per_second(self) -> float:
        return self.records_per_second * self.peak_to_average


@dataclass(frozen=True)
class MonthlyUse:
    """The month's counts that the bill is made of."""

    records: float
    shards: int
    batches: float
    batch: BatchTiming

    @property
    def executions(self) -> float:
        return self.batches * self.batch.executions

    def calls(self, service: str) -> dict[str, float]:
        return {api: n * self.batches for api, n in self.batch.calls.items() if SERVICE_OF.get(api) == service}


def monthly_use(
    facts: StackFacts, measured: MeasuredWork, latencies: Mapping[str, float], workload: Workload, prices: Prices
) -> MonthlyUse:
    shards = shards_for(facts, workload.peak_records_per_second, workload.record_kb)
    records = workload.records_per_second * prices.seconds_per_month
    full = batch_timing(facts, measured, latencies, batch_limit(facts, workload.record_kb), workload.record_kb)
    loaded = loaded_shards(shards, workload.partition_keys)
    per_batch = records_per_batch(facts, workload.records_per_second / loaded, full)
    batch = batch_timing(facts, measured, latencies, per_batch, workload.record_kb)
    return MonthlyUse(records=records, shards=shards, batches=records / per_batch, batch=batch)


def kinesis(facts: StackFacts, prices: Prices, workload: Workload, records: float, shards: int) -> dict[str, float]:
    hours = prices.hours_per_month
    gb_written = records * math.ceil(workload.record_kb) * 1024 / GB
    retained_gb = workload.records_per_second * workload.record_kb * 1024 * 3600 / GB  # per hour of retention
    long_term = max(0, facts.retention_hours - 168) * retained_gb * prices["kinesis_long_term_retention_gb_month"]
    if facts.stream_mode == "ON_DEMAND":
        extended_hours = min(max(0, facts.retention_hours - 24), 144)
        return {
            "stream-hours": hours * prices["kinesis_on_demand_stream_hour"],
            "data in and out": gb_written * (prices["kinesis_on_demand_gb_in"] + prices["kinesis_on_demand_gb_out"]),
            "retention": extended_hours * retained_gb * prices["kinesis_on_demand_extended_retention_gb_month"]
            + long_term,
        }
    units = records * math.ceil(workload.record_kb / PUT_PAYLOAD_UNIT_KB) / 1e6
    extended = shards * hours * prices["kinesis_extended_retention_shard_hour"] if facts.retention_hours > 24 else 0
    return {
        "shard-hours": shards * hours * prices["kinesis_shard_hour"],
        "PUT payload units": units * prices["kinesis_put_payload_units_million"],
        "retention": extended + long_term,
    }


def lambda_(
    facts: StackFacts, prices: Prices, invocations: Mapping[str, float], seconds: Mapping[str, float]
) -> dict[str, float]:
    """Requests and GB-seconds; `seconds` is each function's billed duration per invocation."""
    items = {"requests": sum(invocations.values()) / 1e6 * prices["lambda_requests_million"]}
    for stage, count in invocations.items():
        function = facts.functions[stage]
        gb_seconds = count * seconds[stage] * function.memory_mb / 1024
        items[f"{stage} duration"] = gb_seconds * prices[f"lambda_gb_second_{function.architecture}"]
    return items


def step_functions(prices: Prices, executions: float, execution_seconds: float) -> dict[str, float]:
    billed_seconds = math.ceil(execution_seconds / EXPRESS_BILLED_SECONDS - 1e-9) * EXPRESS_BILLED_SECONDS
    gb_seconds = executions * billed_seconds * EXPRESS_BILLED_MB / 1024
    return {
        "executions": executions / 1e6 * prices["sfn_express_requests_million"],
        "duration": gb_seconds * prices["sfn_express_gb_second"],
    }


def table_units(measured: MeasuredWork, records_per_second: float) -> dict[str, float]:
    """Capacity units a second the state table needs at `records_per_second`, by capacity."""
    item_units = math.ceil(measured.stored.state_item_bytes / WRITE_UNIT_BYTES)
    return {
        "table_write": records_per_second * measured.table_item_writes_per_record * item_units,
        "index_write": records_per_second * measured.index_item_writes_per_record * item_units,
        "table_read": records_per_second * measured.read_items_per_record * READ_UNITS_PER_ITEM,
        "index_read": 0.0,
    }


def provisioned_units(facts: StackFacts, needed: Mapping[str, float]) -> dict[str, float]:
    """What auto scaling holds: the need over the target utilization, within each range. Peaks shorter
    than a scale-up (minutes) or a scale-down (at most one an hour after the first four of a day) are
    held for the whole month: the price of PROVISIONED for a load of that shape, at its most."""
    target = facts.table_target_utilization / 100
    return {
        name: min(max(needed[name] / target, low), high) for name, (low, high) in sorted(facts.table_capacity.items())
    }


def dynamodb(
    facts: StackFacts, prices: Prices, measured: MeasuredWork, workload: Workload, *, records: float, month: int
) -> dict[str, float]:
    """On demand: write and read request units. Provisioned: the capacity auto scaling holds at the
    peak, by the hour. Both: storage of the items the TTL keeps (the sparse index's share of them),
    and point-in-time recovery on the table's size."""
    start, end = month_days(prices, month)
    items = workload.records_per_second * 86_400 * days_present(start, end, 0, facts.record_ttl_days)
    table_gb = items * measured.table_item_writes_per_record * measured.stored.state_item_bytes / GB
    index_gb = items * measured.index_item_writes_per_record * measured.stored.state_item_bytes / GB
    line = {
        "storage": (table_gb + index_gb) * prices["dynamodb_storage_gb_month"],
        "point-in-time recovery": table_gb * prices["dynamodb_pitr_gb_month"] if facts.point_in_time_recovery else 0,
    }
    if facts.table_billing_mode == "PROVISIONED":
        units = provisioned_units(facts, table_units(measured, workload.peak_records_per_second))
        hours = prices.hours_per_month
        line["write capacity"] = (units["table_write"] + units["index_write"]) * hours * prices["dynamodb_wcu_hour"]
        line["read capacity"] = (units["table_read"] + units["index_read"]) * hours * prices["dynamodb_rcu_hour"]
        return line
    month_units = {name: per_second * records / max(workload.records_per_second, 1e-9)
                   for name, per_second in table_units(measured, workload.records_per_second).items()}  # fmt: skip
    line["write requests"] = (
        (month_units["table_write"] + month_units["index_write"]) / 1e6 * prices["dynamodb_write_request_units_million"]
    )
    line["read requests"] = (
        (month_units["table_read"] + month_units["index_read"]) / 1e6 * prices["dynamodb_read_request_units_million"]
    )
    return line


def s3(
    facts: StackFacts,
    prices: Prices,
    measured: MeasuredWork,
    workload: Workload,
    *,
    use: MonthlyUse,
    month: int,
) -> dict[str, float]:
    """Requests (the chunks' objects, the claim check's), the archive's storage by class with its
    transitions under the lifecycle, staged records' versions, and the access logs."""
    calls = use.calls("s3")
    puts, gets = calls.get("PutObject", 0.0), calls.get("GetObject", 0.0)
    seconds_per_day = 86_400
    objects_per_day = use.executions / prices.seconds_per_month * seconds_per_day if use.records else 0.0
    archived_per_record = measured.stored.archived_bytes(workload.record_kb * 1024)
    object_bytes = archived_per_record * use.batch.records / use.batch.executions
    archive = archive_month(
        prices, facts.archive, month=month, objects_per_day=objects_per_day, object_bytes=object_bytes
    )
    line = {
        "PUT requests": puts / 1000 * prices["s3_put_thousand"],
        "GET requests": gets / 1000 * prices["s3_get_thousand"],
        **{f"storage {storage_class}": usd for storage_class, usd in sorted(archive.usd_by_class.items())},
        "transitions": archive.transition_usd,
    }
    if use.batch.staged:
        staged_gb_per_day = use.records / prices.seconds_per_month * seconds_per_day * workload.record_kb * 1024 / GB
        line["staged records"] = staged_gb_per_day * STAGED_VERSIONS * STAGED_DAYS * prices["s3_storage_gb_month"]
    if facts.archive.access_log_retention_days:
        start, end = month_days(prices, month)
        requests_per_day = (puts + gets + calls.get("DeleteObjects", 0.0) + archive.transitions) / (
            prices.seconds_per_month / seconds_per_day
        )
        logged = days_present(start, end, 0, facts.archive.access_log_retention_days)
        log_gb = requests_per_day * logged * ACCESS_LOG_BYTES_PER_REQUEST / GB
        line["access logs"] = log_gb * prices["s3_storage_gb_month"]
    return line


def log_bytes_per_invocation(facts: StackFacts, stage: str) -> float:
    function = facts.functions[stage]
    platform = PLATFORM_LOG_BYTES if function.system_log_level in ("DEBUG", "INFO") else 0
    summary = SUMMARY_LOG_BYTES.get(stage, 0) if function.log_level in ("DEBUG", "INFO") else 0
    return platform + METRICS_LOG_BYTES + summary * (DEBUG_LOG_FACTOR if function.log_level == "DEBUG" else 1)


def vended_logs_usd(prices: Prices, gigabytes: float) -> float:
    """The month's vended log ingestion across the volume tiers."""
    usd, left = 0.0, gigabytes
    for tier, size in enumerate(VENDED_LOG_TIERS_GB, start=1):
        taken = min(left, size)
        usd += taken * prices[f"cloudwatch_vended_logs_tier{tier}_gb"]
        left -= taken
        if left <= 0:
            break
    return usd


def cloudwatch(
    facts: StackFacts,
    prices: Prices,
    *,
    invocations: Mapping[str, float],
    executions: float,
    execution_payload_bytes: float,
    shards: int,
    month: int = 1,
) -> dict[str, float]:
    """Alarms (per metric), dashboards, shard-level metrics, the handlers' metrics, log ingestion (vended
    tiers) and the logs kept under their retention."""
    line = {
        "alarms": facts.alarm_metrics * prices["cloudwatch_alarm_metric_month"],
        "dashboards": facts.dashboards * prices["cloudwatch_dashboard_month"],
        "metrics": shards * facts.shard_level_metrics * prices["cloudwatch_custom_metric_month"],
    }
    if not any(invocations.values()):
        return line
    log_bytes = sum(count * log_bytes_per_invocation(facts, stage) for stage, count in invocations.items())
    if facts.state_machine_log_level == "ALL":
        log_bytes += executions * EXECUTION_EVENTS_LOGGED_AT_ALL * execution_payload_bytes
    log_gb = log_bytes / GB
    start, end = month_days(prices, month)
    kept_months = days_present(start, end, 0, facts.log_retention_days) / (prices.hours_per_month / 24)
    line["metrics"] += CUSTOM_METRICS * prices["cloudwatch_custom_metric_month"]
    line["log ingestion"] = vended_logs_usd(prices, log_gb)
    line["log storage"] = log_gb * kept_months * LOG_COMPRESSION * prices["cloudwatch_logs_storage_gb_month"]
    return line


def vpc_endpoints(facts: StackFacts, prices: Prices, gb_processed: float) -> dict[str, float]:
    return {
        "endpoint-hours": facts.interface_endpoint_azs
        * prices.hours_per_month
        * prices["vpc_interface_endpoint_az_hour"],
        "data processed": gb_processed * prices["vpc_interface_endpoint_gb"],
    }


def kms(facts: StackFacts, prices: Prices, *, month: int, s3_object_requests: float, shards: int) -> dict[str, float]:
    """Customer-managed keys and their rotated versions (each of the first two rotations adds a
    key-month), and the requests the services make: S3 per object request (or a hundredth of that
    with a Bucket Key) under SSE-KMS, Kinesis per shard under a customer-managed key, DynamoDB's
    refresh of its AWS-managed key."""
    start, _ = month_days(prices, month)
    rotations = min(MAX_KEY_ROTATION_CHARGES, math.floor(start / facts.kms_rotation_days + 1e-9))
    hours = prices.hours_per_month
    requests = DYNAMODB_KEY_REQUESTS_PER_HOUR * hours
    if facts.archive.sse_kms:
        requests += s3_object_requests * (S3_BUCKET_KEY_REQUEST_SHARE if facts.archive.bucket_key else 1.0)
    if facts.stream_customer_key:
        requests += KINESIS_KEY_REQUESTS_PER_HOUR_PER_SHARD * shards * hours
    return {
        "keys": facts.kms_keys * prices["kms_key_month"],
        "rotated key versions": facts.kms_rotating_keys * rotations * prices["kms_key_month"],
        "requests": requests / 10_000 * prices["kms_requests_10k"],
    }


def monthly_line_items(
    facts: StackFacts,
    measured: MeasuredWork,
    latencies: Mapping[str, float],
    workload: Workload,
    prices: Prices,
    *,
    month: int = 1,
) -> dict[str, dict[str, float]]:
    """The bill of `month` by service, each with its line items."""
    use = monthly_use(facts, measured, latencies, workload, prices)
    batch = use.batch
    invocations = {"ingest": use.batches} | {stage: use.executions for stage in STAGES_IN_RUN}
    seconds = {"ingest": batch.ingest_seconds, **batch.stage_seconds}
    records_per_execution = batch.records / batch.executions
    stored = measured.stored
    inline_bytes = stored.smallest_record_bytes if batch.staged else workload.record_kb * 1024
    payload_bytes = records_per_execution * stored.sync_request_bytes(inline_bytes)
    sync_bytes_per_record = stored.sync_request_bytes(inline_bytes) + stored.sync_answer_bytes(inline_bytes)
    through_sync_endpoint = use.records * sync_bytes_per_record / GB if facts.sync_states_endpoint else 0.0
    if not use.records:
        invocations = dict.fromkeys(invocations, 0.0)
    s3_calls = use.calls("s3")
    return {
        "kinesis": kinesis(facts, prices, workload, use.records, use.shards),
        "lambda": lambda_(facts, prices, invocations, seconds),
        "step_functions": step_functions(prices, use.executions if use.records else 0.0, batch.execution_seconds),
        "dynamodb": dynamodb(facts, prices, measured, workload, records=use.records, month=month),
        "s3": s3(facts, prices, measured, workload, use=use, month=month),
        "cloudwatch": cloudwatch(
            facts,
            prices,
            invocations=invocations,
            executions=use.executions,
            execution_payload_bytes=payload_bytes,
            shards=use.shards,
            month=month,
        ),
        "vpc_endpoints": vpc_endpoints(facts, prices, through_sync_endpoint),
        "kms": kms(
            facts,
            prices,
            month=month,
            s3_object_requests=s3_calls.get("PutObject", 0.0) + s3_calls.get("GetObject", 0.0),
            shards=use.shards,
        ),
    }


def monthly_by_service(
    facts: StackFacts,
    measured: MeasuredWork,
    latencies: Mapping[str, float],
    workload: Workload,
    prices: Prices,
    *,
    month: int = 1,
) -> dict[str, float]:
    return {
        service: sum(items.values())
        for service, items in monthly_line_items(facts, measured, latencies, workload, prices, month=month).items()
    }
