"""The monthly bill by service at a workload, from the stack's facts, the bench's counts and the price book.

Each service has its own function over explicit quantities, so a test can check one by hand. List
prices only: no free tier, no savings plans, no data transfer out of the region.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .capacity import (
    STAGES_IN_RUN,
    BatchTiming,
    batch_timing,
    inline_bytes_per_record,
    records_per_batch,
    shards_for,
)
from .measured import SERVICE_OF, MeasuredWork
from .prices import Prices
from .stack import StackFacts

GB = 1024**3
PUT_PAYLOAD_UNIT_KB = 25
EXPRESS_BILLED_MB = 64
"""Express bills memory in 64 MB chunks; a run whose definition and payload stay under 256 KiB uses
50 MB + definition + data, so one chunk (Step Functions pricing, examples 3 and 4)."""
EXPRESS_BILLED_SECONDS = 0.1
ITEM_KB = 0.5
"""A state item: eight attributes (ids, status, timestamps, sizes, object key) plus DynamoDB's 100
bytes of per-item overhead; under 1 KB, so one write unit per write."""
READ_UNITS_PER_ITEM = 0.5
"""An eventually consistent read (BatchGetItem's default) of an item up to 4 KB takes half a read unit."""
PLATFORM_LOG_BYTES = 500
"""Per invocation at system log level INFO: Lambda's JSON `platform.start` and `platform.report` lines."""
METRICS_LOG_BYTES = 420
"""Per invocation, at every log level: the EMF document Powertools writes with the stage's counts
(412 bytes measured with the handlers on 2026-12-01)."""
SUMMARY_LOG_BYTES = {"ingest": 420, "archive": 390}
"""Per invocation at INFO: ingest's `batch processed` and archive's `chunk archived` lines (413 and
385 bytes measured on 2026-12-01); the other stages log nothing at INFO without failures."""
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


@dataclass(frozen=True)
class Workload:
    records_per_second: float
    record_kb: float


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


def monthly_use(
    facts: StackFacts, measured: MeasuredWork, latencies: Mapping[str, float], workload: Workload, prices: Prices
) -> MonthlyUse:
    shards = shards_for(facts, workload.records_per_second, workload.record_kb)
    records = workload.records_per_second * prices.seconds_per_month
    full = batch_timing(facts, measured, latencies, facts.batch_size, workload.record_kb)
    per_batch = records_per_batch(facts, workload.records_per_second / shards, full)
    batch = batch_timing(facts, measured, latencies, per_batch, workload.record_kb)
    return MonthlyUse(records=records, shards=shards, batches=records / per_batch, batch=batch)


def kinesis(facts: StackFacts, prices: Prices, workload: Workload, records: float, shards: int) -> float:
    hours = prices.hours_per_month
    gb_written = records * math.ceil(workload.record_kb) * 1024 / GB
    retained_gb = workload.records_per_second * workload.record_kb * 1024 * 3600 / GB  # per hour of retention
    long_term = max(0, facts.retention_hours - 168) * retained_gb * prices["kinesis_long_term_retention_gb_month"]
    if facts.stream_mode == "ON_DEMAND":
        extended_hours = min(max(0, facts.retention_hours - 24), 144)
        return (
            hours * prices["kinesis_on_demand_stream_hour"]
            + gb_written * (prices["kinesis_on_demand_gb_in"] + prices["kinesis_on_demand_gb_out"])
            + extended_hours * retained_gb * prices["kinesis_on_demand_extended_retention_gb_month"]
            + long_term
        )
    units = records * math.ceil(workload.record_kb / PUT_PAYLOAD_UNIT_KB) / 1e6
    extended = shards * hours * prices["kinesis_extended_retention_shard_hour"] if facts.retention_hours > 24 else 0
    return (
        shards * hours * prices["kinesis_shard_hour"]
        + units * prices["kinesis_put_payload_units_million"]
        + extended
        + long_term
    )


def lambda_(facts: StackFacts, prices: Prices, invocations: Mapping[str, float], seconds: Mapping[str, float]) -> float:
    """Requests and GB-seconds; `seconds` is each function's duration per invocation."""
    total = sum(invocations.values()) / 1e6 * prices["lambda_requests_million"]
    for stage, count in invocations.items():
        function = facts.functions[stage]
        gb_seconds = count * seconds[stage] * function.memory_mb / 1024
        total += gb_seconds * prices[f"lambda_gb_second_{function.architecture}"]
    return total


def step_functions(prices: Prices, executions: float, execution_seconds: float) -> float:
    billed_seconds = math.ceil(execution_seconds / EXPRESS_BILLED_SECONDS - 1e-9) * EXPRESS_BILLED_SECONDS
    gb_seconds = executions * billed_seconds * EXPRESS_BILLED_MB / 1024
    return executions / 1e6 * prices["sfn_express_requests_million"] + gb_seconds * prices["sfn_express_gb_second"]


def dynamodb(facts: StackFacts, prices: Prices, measured: MeasuredWork, workload: Workload, records: float) -> float:
    """On-demand: one write unit per item write (items < 1 KB), the index's writes too, half a read
    unit per item read; provisioned: the capacity, used or not. Storage: the items the TTL keeps."""
    live_items = workload.records_per_second * facts.record_ttl_days * 86_400
    index_share = measured.index_item_writes_per_record / max(measured.table_item_writes_per_record, 1e-9)
    storage = live_items * ITEM_KB * 1024 * (1 + min(1.0, index_share)) / GB * prices["dynamodb_storage_gb_month"]
    if facts.table_billing_mode == "PROVISIONED":
        capacity = facts.table_capacity
        hours = prices.hours_per_month
        return (
            (capacity.get("table_write", 0) + capacity.get("index_write", 0)) * hours * prices["dynamodb_wcu_hour"]
            + (capacity.get("table_read", 0) + capacity.get("index_read", 0)) * hours * prices["dynamodb_rcu_hour"]
            + storage
        )
    writes = records * (measured.table_item_writes_per_record + measured.index_item_writes_per_record)
    reads = records * measured.read_items_per_record * READ_UNITS_PER_ITEM
    return (
        writes / 1e6 * prices["dynamodb_write_request_units_million"]
        + reads / 1e6 * prices["dynamodb_read_request_units_million"]
        + storage
    )


def s3(prices: Prices, workload: Workload, records: float, put_requests: float) -> float:
    """PUTs, and the storage one month of archive adds to every month after (at the records' size:
    gzip makes it less)."""
    stored_gb = records * workload.record_kb * 1024 / GB
    return put_requests / 1000 * prices["s3_put_thousand"] + stored_gb * prices["s3_storage_gb_month"]


def log_bytes_per_invocation(facts: StackFacts, stage: str) -> float:
    function = facts.functions[stage]
    platform = PLATFORM_LOG_BYTES if function.system_log_level in ("DEBUG", "INFO") else 0
    summary = SUMMARY_LOG_BYTES.get(stage, 0) if function.log_level in ("DEBUG", "INFO") else 0
    return platform + METRICS_LOG_BYTES + summary * (DEBUG_LOG_FACTOR if function.log_level == "DEBUG" else 1)


def cloudwatch(
    facts: StackFacts,
    prices: Prices,
    *,
    invocations: Mapping[str, float],
    executions: float,
    execution_payload_bytes: float,
    shards: int,
) -> float:
    """Alarms (per metric), dashboards, shard-level metrics, the handlers' metrics, log ingestion and storage."""
    fixed = (
        facts.alarm_metrics * prices["cloudwatch_alarm_metric_month"]
        + facts.dashboards * prices["cloudwatch_dashboard_month"]
        + shards * facts.shard_level_metrics * prices["cloudwatch_custom_metric_month"]
    )
    if not any(invocations.values()):
        return fixed
    log_bytes = sum(count * log_bytes_per_invocation(facts, stage) for stage, count in invocations.items())
    if facts.state_machine_log_level == "ALL":
        log_bytes += executions * EXECUTION_EVENTS_LOGGED_AT_ALL * execution_payload_bytes
    log_gb = log_bytes / GB
    stored_gb = log_gb * facts.log_retention_days / 30 * LOG_COMPRESSION
    return (
        fixed
        + CUSTOM_METRICS * prices["cloudwatch_custom_metric_month"]
        + log_gb * prices["cloudwatch_logs_ingest_gb"]
        + stored_gb * prices["cloudwatch_logs_storage_gb_month"]
    )


def vpc_endpoints(facts: StackFacts, prices: Prices, gb_processed: float) -> float:
    hourly = facts.interface_endpoint_azs * prices.hours_per_month * prices["vpc_interface_endpoint_az_hour"]
    return hourly + gb_processed * prices["vpc_interface_endpoint_gb"]


def kms(facts: StackFacts, prices: Prices) -> float:
    return facts.kms_keys * prices["kms_key_month"]


def monthly_by_service(
    facts: StackFacts, measured: MeasuredWork, latencies: Mapping[str, float], workload: Workload, prices: Prices
) -> dict[str, float]:
    use = monthly_use(facts, measured, latencies, workload, prices)
    batch = use.batch
    invocations = {"ingest": use.batches} | {stage: use.executions for stage in STAGES_IN_RUN}
    seconds = {"ingest": batch.ingest_seconds, **batch.stage_seconds}
    calls = {api: n * use.batches for api, n in batch.calls.items()}
    put_requests = sum(n for api, n in calls.items() if SERVICE_OF.get(api) == "s3")
    payload_bytes = batch.records / batch.executions * inline_bytes_per_record(workload.record_kb) + 1024
    through_sync_endpoint = 2 * use.executions * payload_bytes / GB if facts.sync_states_endpoint else 0.0
    if not use.records:
        invocations = dict.fromkeys(invocations, 0.0)
    return {
        "kinesis": kinesis(facts, prices, workload, use.records, use.shards),
        "lambda": lambda_(facts, prices, invocations, seconds),
        "step_functions": step_functions(prices, use.executions if use.records else 0.0, batch.execution_seconds),
        "dynamodb": dynamodb(facts, prices, measured, workload, use.records),
        "s3": s3(prices, workload, use.records, put_requests),
        "cloudwatch": cloudwatch(
            facts,
            prices,
            invocations=invocations,
            executions=use.executions,
            execution_payload_bytes=payload_bytes,
            shards=use.shards,
        ),
        "vpc_endpoints": vpc_endpoints(facts, prices, through_sync_endpoint),
        "kms": kms(facts, prices),
    }
