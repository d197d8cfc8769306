"""`nox -s estimate`: each service's figure checked by hand, month N, the capacity model, the warnings,
the recommended settings, the CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.estimate import capacity, cost, tiering
from streaming_tooling.estimate.cli import main
from streaming_tooling.estimate.errors import EstimateError
from streaming_tooling.estimate.measured import (
    REQUIRED_KEYS,
    ClaimCheck,
    Line,
    MeasuredWork,
    StoredSizes,
    load_measured,
)
from streaming_tooling.estimate.prices import PRICES_FILE, load_prices
from streaming_tooling.estimate.report import estimate
from streaming_tooling.estimate.stack import ArchiveFacts, FunctionFacts, StackFacts, Transition, stack_facts
from streaming_tooling.testing import repo_root

MONTH_SECONDS = 730 * 3600
MONTH_DAYS = 730 / 24
GIB = 1024**3
LATENCIES = {
    "esm_invoke": 20.0,
    "dynamodb": 10.0,
    "s3_put": 100.0,
    "s3_get": 50.0,
    "start_sync_execution": 50.0,
    "lambda_hop": 25.0,
}
SHARED = Path(__file__).resolve().parents[1] / "shared"


@pytest.fixture(scope="module")
def prices():
    return load_prices("us-east-1")


def facts(**changes) -> StackFacts:
    whole_core = {stage: FunctionFacts(1769, "arm64") for stage in ("ingest", *capacity.STAGES_IN_RUN)}
    return dataclasses.replace(StackFacts(region="us-east-1", functions=whole_core), **changes)


def measured(**changes) -> MeasuredWork:
    """Figures of the shape the bench writes, given here so each hand calculation is self-contained."""
    work = MeasuredWork(
        requests_per_1000_records_by_api={
            "BatchGetItem": 10,
            "BatchWriteItem": 40,
            "PutObject": 10,
            "StartSyncExecution": 10,
        },
        table_item_writes_per_record=1,
        index_item_writes_per_record=0,
        cpu_us_per_record_by_handler={"ingest": 200, "transform": 10, "validate": 10, "enrich": 10, "archive": 100},
        json_between_stages_us_per_record=40,
        batch_size=100,
        stored=StoredSizes(
            archived_bytes=Line(((256, 64), (1024, 256))),
            state_item_bytes=512,
            sync_request_bytes=Line(((256, 600), (1024, 1400))),
            sync_answer_bytes=Line(((256, 700), (1024, 1500))),
        ),
        claim_check=ClaimCheck({"PutObject": 3.0, "GetObject": 4.0, "DeleteObjects": 0.1}),
    )
    return dataclasses.replace(work, **changes)


# -- one hand-checked case per service --------------------------------------------------------------


def test_kinesis_provisioned_bills_shard_hours_put_units_and_extended_retention(prices):
    usd = cost.kinesis(
        facts(shard_count=2, retention_hours=48), prices, cost.Workload(500, 30), records=500 * MONTH_SECONDS, shards=2
    )
    shard_hours = 2 * 730 * 0.015
    put_units = 500 * MONTH_SECONDS * 2 / 1e6 * 0.014  # a 30 KB record is two 25 KB units
    extended = 2 * 730 * 0.02
    assert sum(usd.values()) == pytest.approx(shard_hours + put_units + extended)
    assert sum(usd.values()) == pytest.approx(87.892)


def test_kinesis_on_demand_bills_the_stream_hour_and_gigabytes_in_and_out(prices):
    usd = cost.kinesis(
        facts(stream_mode="ON_DEMAND"), prices, cost.Workload(100, 1.5), records=100 * MONTH_SECONDS, shards=4
    )
    gigabytes = 100 * MONTH_SECONDS * 2 * 1024 / GIB  # 1.5 KB rounds up to 2 KB
    assert sum(usd.values()) == pytest.approx(730 * 0.04 + gigabytes * (0.08 + 0.04))


def test_lambda_bills_requests_and_gb_seconds_by_architecture(prices):
    stack = facts(functions={"ingest": FunctionFacts(512, "arm64"), "archive": FunctionFacts(1024, "x86_64")})
    usd = cost.lambda_(stack, prices, {"ingest": 1e6, "archive": 2e6}, {"ingest": 0.5, "archive": 0.1})
    requests = 3 * 0.2
    ingest = 1e6 * 0.5 * 0.5 * 0.0000133334
    archive = 2e6 * 0.1 * 1.0 * 0.0000166667
    assert sum(usd.values()) == pytest.approx(requests + ingest + archive)
    assert sum(usd.values()) == pytest.approx(7.26669, abs=1e-5)


def test_step_functions_express_bills_requests_and_duration_in_100_ms_and_64_mb(prices):
    usd = cost.step_functions(prices, executions=1e6, execution_seconds=0.23)
    assert sum(usd.values()) == pytest.approx(1.0 + 1e6 * 0.3 * 64 / 1024 * 0.00001667)


def test_dynamodb_on_demand_bills_each_item_write_reads_the_items_the_ttl_keeps_and_pitr(prices):
    work = measured(index_item_writes_per_record=0.01)
    records = 1000 * MONTH_SECONDS
    usd = cost.dynamodb(facts(record_ttl_days=7), prices, work, cost.Workload(1000, 1), records=records, month=12)
    writes = records * 1.01 / 1e6 * 0.625
    reads = records * 0.5 / 1e6 * 0.125  # one eventually consistent read per record
    table_gb = 1000 * 7 * 86_400 * 512 / GIB  # a month in, the TTL keeps seven days of items
    assert usd == pytest.approx(
        {
            "write requests": writes,
            "read requests": reads,
            "storage": table_gb * 1.01 * 0.25,
            "point-in-time recovery": table_gb * 0.2,
        }
    )


def test_dynamodb_storage_fills_up_to_the_ttl_in_the_first_days(prices):
    long_ttl = facts(record_ttl_days=90)
    first = cost.dynamodb(long_ttl, prices, measured(), cost.Workload(1000, 1), records=1, month=1)
    fourth = cost.dynamodb(long_ttl, prices, measured(), cost.Workload(1000, 1), records=1, month=4)
    # month 1 holds on average half a month of items; month 4, all 90 days of them
    assert first["storage"] == pytest.approx(1000 * 86_400 * MONTH_DAYS / 2 * 512 / GIB * 0.25)
    assert fourth["storage"] == pytest.approx(1000 * 86_400 * 90 * 512 / GIB * 0.25)


def test_without_point_in_time_recovery_nothing_is_billed_for_it(prices):
    usd = cost.dynamodb(
        facts(point_in_time_recovery=False), prices, measured(), cost.Workload(1000, 1), records=1, month=2
    )
    assert usd["point-in-time recovery"] == 0


def test_dynamodb_provisioned_bills_what_auto_scaling_holds_for_the_peak_within_its_ranges(prices):
    scaled = facts(
        table_billing_mode="PROVISIONED",
        table_capacity={
            "table_read": (5, 2000),
            "table_write": (5, 4000),
            "index_read": (1, 100),
            "index_write": (1, 50),
        },
        table_target_utilization=80,
    )
    usd = cost.dynamodb(scaled, prices, measured(), cost.Workload(1000, 1, peak_to_average=2), records=0, month=1)
    writes = 2000 / 0.8 + 1  # the peak's writes over the target; the sparse index stays at its minimum
    reads = 2000 * 0.5 / 0.8 + 1
    assert usd["write capacity"] == pytest.approx(writes * 730 * 0.00065)
    assert usd["read capacity"] == pytest.approx(reads * 730 * 0.00013)
    capped = cost.dynamodb(scaled, prices, measured(), cost.Workload(5000, 1), records=0, month=1)
    assert capped["write capacity"] == pytest.approx((4000 + 1) * 730 * 0.00065)


def test_a_fixed_provisioned_table_bills_its_capacity_used_or_not(prices):
    fixed = facts(
        table_billing_mode="PROVISIONED",
        table_capacity={k: (n, n) for k, n in (("table_read", 5000), ("table_write", 5000))}
        | {k: (2500, 2500) for k in ("index_read", "index_write")},
    )
    usd = cost.dynamodb(fixed, prices, measured(), cost.Workload(0, 1), records=0, month=1)
    assert usd["write capacity"] + usd["read capacity"] == pytest.approx(7500 * 730 * 0.00065 + 7500 * 730 * 0.00013)


def test_s3_bills_puts_gets_and_the_archive_accumulated_by_month_n(prices):
    stack = facts(batch_size=100)
    work = measured()
    use = cost.monthly_use(stack, work, LATENCIES, cost.Workload(100, 1), prices)
    month_1 = cost.s3(stack, prices, work, cost.Workload(100, 1), use=use, month=1)
    month_12 = cost.s3(stack, prices, work, cost.Workload(100, 1), use=use, month=12)
    monthly_gb = 100 * MONTH_SECONDS * 256 / GIB  # 256 bytes stored per 1 KB record (measured line)
    assert month_1["PUT requests"] == pytest.approx(use.calls("s3")["PutObject"] / 1000 * 0.005)
    assert month_1["storage STANDARD"] == pytest.approx(monthly_gb * 0.5 * 0.023)
    assert month_12["storage STANDARD"] == pytest.approx(monthly_gb * 11.5 * 0.023)
    assert month_1["GET requests"] == 0


def test_an_archive_that_expires_stops_growing_after_its_retention_and_its_noncurrent_days(prices):
    archive = ArchiveFacts(retention_days=365, noncurrent_days=30)
    month = tiering.archive_month(prices, archive, month=24, objects_per_day=1000, object_bytes=GIB / 1000)
    assert month.usd_by_class["STANDARD"] == pytest.approx(395 * 0.023)  # 395 days of 1 GB a day
    assert month.transitions == 0


def test_a_transition_bills_its_requests_the_colder_class_and_its_per_object_overhead(prices):
    archive = ArchiveFacts(transition=Transition("DEEP_ARCHIVE", 30, 128 * 1024))
    object_bytes = 1024 * 1024
    month = tiering.archive_month(prices, archive, month=3, objects_per_day=1000, object_bytes=object_bytes)
    start, end = 2 * MONTH_DAYS, 3 * MONTH_DAYS
    in_deep = ((end - 30) ** 2 - (start - 30) ** 2) / 2 / MONTH_DAYS  # days of writes aged 30+ on average
    assert month.transitions == pytest.approx(1000 * MONTH_DAYS)
    assert month.transition_usd == pytest.approx(1000 * MONTH_DAYS / 1000 * 0.05)
    assert month.usd_by_class["DEEP_ARCHIVE"] == pytest.approx(
        1000 * in_deep * (object_bytes + 32 * 1024) / GIB * 0.00099
    )
    standard_gb = 1000 * 30 * object_bytes / GIB + 1000 * in_deep * 8 * 1024 / GIB
    assert month.usd_by_class["STANDARD"] == pytest.approx(standard_gb * 0.023)


def test_objects_under_the_rules_size_stay_in_standard(prices):
    archive = ArchiveFacts(transition=Transition("GLACIER", 0, 128 * 1024))
    month = tiering.archive_month(prices, archive, month=6, objects_per_day=100, object_bytes=20 * 1024)
    assert set(month.usd_by_class) == {"STANDARD"}
    assert month.transitions == 0


def test_no_transition_pays_for_the_pipelines_small_objects_but_one_does_for_large_ones(prices):
    assert tiering.best_transition(prices, 20 * 1024, retention_days=None) is None
    assert tiering.best_transition(prices, 20 * 1024, retention_days=3650) is None
    large = tiering.best_transition(prices, 8 * 1024 * 1024, retention_days=3650)
    assert large is not None and large.storage_class == "DEEP_ARCHIVE"
    assert 20 * 1024 < large.min_object_bytes < 8 * 1024 * 1024
    below, above = large.min_object_bytes - 4096, large.min_object_bytes + 4096
    assert tiering.lifetime_usd(prices, above, 3650, large) < tiering.lifetime_usd(prices, above, 3650, None)
    assert tiering.lifetime_usd(prices, below, 3650, large) >= tiering.lifetime_usd(prices, below, 3650, None)


def test_staged_records_bill_their_gets_puts_and_versions(prices):
    stack = facts(batch_size=20)
    work = measured()
    workload = cost.Workload(10, 300)
    use = cost.monthly_use(stack, work, LATENCIES, workload, prices)
    line = cost.s3(stack, prices, work, workload, use=use, month=1)
    records = 10 * MONTH_SECONDS
    assert use.batch.staged
    assert line["GET requests"] == pytest.approx(records * 4 / 1000 * 0.0004)
    assert line["PUT requests"] == pytest.approx((records * 3 + use.executions) / 1000 * 0.005)
    assert line["staged records"] == pytest.approx(records / MONTH_DAYS * 300 * 1024 / GIB * 3 * 1.5 * 0.023)


def test_access_logs_bill_a_line_per_request_for_their_retention(prices):
    logged = facts(archive=ArchiveFacts(access_log_retention_days=90))
    work = measured()
    use = cost.monthly_use(logged, work, LATENCIES, cost.Workload(100, 1), prices)
    usd = cost.s3(logged, prices, work, cost.Workload(100, 1), use=use, month=6)["access logs"]
    requests_per_day = use.calls("s3")["PutObject"] / MONTH_DAYS
    assert usd == pytest.approx(requests_per_day * 90 * 500 / GIB * 0.023)


def test_cloudwatch_bills_alarm_metrics_dashboards_and_logs_at_the_configured_levels(prices):
    stack = facts(alarm_metrics=25, dashboards=1, log_retention_days=30)
    idle = cost.cloudwatch(
        stack, prices, invocations={"ingest": 0.0}, executions=0, execution_payload_bytes=0, shards=1
    )
    assert sum(idle.values()) == pytest.approx(25 * 0.1 + 3.0)
    busy = cost.cloudwatch(
        stack, prices, invocations={"ingest": 1e6}, executions=1e6, execution_payload_bytes=100_000, shards=1, month=2
    )
    log_gb = 1e6 * (500 + 420 + 420) / GIB  # platform lines, metrics document, ingest's summary at INFO
    kept = 30 / MONTH_DAYS  # month 2 holds the last 30 days of logs
    assert sum(busy.values()) == pytest.approx(
        sum(idle.values()) + 16 * 0.3 + log_gb * 0.5 + log_gb * kept * 0.15 * 0.03
    )
    quiet = dataclasses.replace(stack, functions={"ingest": FunctionFacts(512, "arm64", log_level="WARNING")})
    at_warning = cost.cloudwatch(
        quiet, prices, invocations={"ingest": 1e6}, executions=1e6, execution_payload_bytes=100_000, shards=1
    )
    assert sum(at_warning.values()) < sum(busy.values())
    logging_all = dataclasses.replace(stack, state_machine_log_level="ALL")
    with_all = cost.cloudwatch(
        logging_all, prices, invocations={"ingest": 1e6}, executions=1e6, execution_payload_bytes=100_000, shards=1
    )
    first = cost.cloudwatch(
        stack, prices, invocations={"ingest": 1e6}, executions=1e6, execution_payload_bytes=100_000, shards=1
    )
    assert with_all["log ingestion"] - first["log ingestion"] == pytest.approx(1e6 * 22 * 100_000 / GIB * 0.5)


def test_vended_logs_are_billed_by_volume_tier(prices):
    tb = 1024
    assert cost.vended_logs_usd(prices, 60 * tb) == pytest.approx(
        10 * tb * 0.5 + 20 * tb * 0.25 + 20 * tb * 0.1 + 10 * tb * 0.05
    )
    assert cost.vended_logs_usd(prices, 5 * tb) == pytest.approx(5 * tb * 0.5)


def test_interface_endpoints_bill_per_az_hour_and_gigabyte(prices):
    usd = cost.vpc_endpoints(facts(interface_endpoint_azs=6), prices, gb_processed=10)
    assert sum(usd.values()) == pytest.approx(6 * 730 * 0.01 + 10 * 0.01)


def test_kms_bills_each_key_its_first_two_rotations_and_the_services_requests(prices):
    keyed = facts(
        kms_keys=3,
        kms_rotating_keys=2,
        stream_customer_key=True,
        archive=ArchiveFacts(sse_kms=True, bucket_key=True),
    )
    month_12 = cost.kms(keyed, prices, month=12, s3_object_requests=1e6, shards=2)
    assert month_12["keys"] + month_12["rotated key versions"] == pytest.approx(3.0)  # no rotation within a year
    assert cost.kms(keyed, prices, month=13, s3_object_requests=0, shards=2)["rotated key versions"] == pytest.approx(
        2.0
    )
    assert cost.kms(keyed, prices, month=40, s3_object_requests=0, shards=2)["rotated key versions"] == pytest.approx(
        4.0
    )
    requests = 12 * 730 + 1e6 * 0.01 + 24 * 2 * 730
    assert month_12["requests"] == pytest.approx(requests / 10_000 * 0.03)
    without_bucket_key = dataclasses.replace(keyed, archive=ArchiveFacts(sse_kms=True, bucket_key=False))
    assert cost.kms(without_bucket_key, prices, month=1, s3_object_requests=1e6, shards=2)["requests"] > 2.9


# -- capacity model --------------------------------------------------------------------------------


def test_a_batch_takes_its_calls_hops_and_cpu_in_sequence():
    timing = capacity.batch_timing(facts(), measured(), LATENCIES, records=100, record_kb=0.2)
    assert timing.executions == 1
    assert timing.calls == {"BatchGetItem": 1, "BatchWriteItem": 4, "PutObject": 1, "StartSyncExecution": 1}
    assert timing.stage_seconds["transform"] == pytest.approx((10 + 40 / 4) * 100 / 1e6)
    # archive waits for its object's PUT and its four BatchWriteItem requests
    assert timing.stage_seconds["archive"] == pytest.approx((100 + 40 / 4) * 100 / 1e6 + 0.1 + 4 * 0.01)
    assert timing.execution_seconds == pytest.approx(3 * 0.002 + 0.151 + 4 * 0.025)
    # ingest waits for its one BatchGetItem, and the execution
    assert timing.ingest_seconds == pytest.approx(200 * 100 / 1e6 + 0.01 + 0.05 + 0.257)
    assert timing.cycle_seconds == pytest.approx(0.02 + 0.337)
    assert capacity.consumer_per_shard(2, timing) == pytest.approx(2 * 100 / 0.357)


def test_lambda_bills_each_stage_for_its_own_work_and_step_functions_the_hops(prices):
    stack = facts()
    work = measured()
    timing = capacity.batch_timing(stack, work, LATENCIES, records=100, record_kb=0.2)
    no_hops = capacity.batch_timing(stack, work, {**LATENCIES, "lambda_hop": 0}, records=100, record_kb=0.2)
    assert timing.stage_seconds == no_hops.stage_seconds
    assert timing.execution_seconds - no_hops.execution_seconds == pytest.approx(4 * 0.025)


def test_less_memory_means_less_cpu_and_a_slower_batch():
    half_core = facts(functions={stage: FunctionFacts(1769 // 2 + 1, "arm64") for stage in facts().functions})
    fast = capacity.batch_timing(facts(), measured(), LATENCIES, records=100, record_kb=0.2)
    slow = capacity.batch_timing(half_core, measured(), LATENCIES, records=100, record_kb=0.2)
    cpu_seconds_per_batch = (200 + 3 * (10 + 10) + 100 + 10) * 100 / 1e6  # every handler, JSON between stages
    assert slow.ingest_seconds - fast.ingest_seconds == pytest.approx(cpu_seconds_per_batch, rel=0.01)


def test_a_batch_is_split_into_as_many_executions_as_the_payload_limit_needs():
    assert capacity.executions_per_batch(90, 1.0, 200_000) == 1
    assert capacity.executions_per_batch(100, 1.0, 200_000) == 2
    assert capacity.executions_per_batch(180, 1.0, 200_000) == 2
    assert capacity.executions_per_batch(100, 0.2, 200_000) == 1
    calls = measured().calls_per_batch(records=180, executions=2)
    assert calls == {"BatchGetItem": 2, "BatchWriteItem": 8, "PutObject": 2, "StartSyncExecution": 2}


def test_large_records_go_by_claim_check_and_many_fit_one_execution():
    assert not capacity.is_staged(190, 200_000)
    assert capacity.is_staged(200, 200_000)
    assert capacity.executions_per_batch(22, 200, 200_000) == 1  # what a batch of them holds (6 MB)
    assert capacity.executions_per_batch(180, 200, 200_000) == 2  # not one per record
    timing = capacity.batch_timing(facts(), measured(), LATENCIES, records=20, record_kb=200)
    assert timing.staged
    assert timing.calls["GetObject"] == pytest.approx(20 * 4)
    assert timing.calls["PutObject"] == pytest.approx(1 + 20 * 3)


def test_lambdas_6_mb_payload_caps_the_batch_of_large_records():
    assert capacity.records_per_invocation(1) > 180
    assert 170 < capacity.records_per_invocation(26) < 180
    assert capacity.records_per_invocation(200) == 22
    assert capacity.batch_limit(facts(batch_size=180), 200) == 22


def test_one_partition_key_runs_one_batch_at_a_time_whatever_the_factor():
    stack = facts(parallelization_factor=10, shard_count=2)
    many = capacity.capacity(stack, measured(), LATENCIES, record_kb=1, records_per_second=1000)
    one = capacity.capacity(stack, measured(), LATENCIES, record_kb=1, records_per_second=1000, partition_keys=1)
    three = capacity.capacity(stack, measured(), LATENCIES, record_kb=1, records_per_second=1000, partition_keys=6)
    assert many.concurrent_batches == 10
    assert (one.concurrent_batches, one.loaded_shards) == (1, 1)
    assert one.per_shard_records_per_second == pytest.approx(many.per_shard_records_per_second / 10)
    assert one.stream_write_limit_records_per_second == 1000  # one key reaches one shard
    assert (three.concurrent_batches, three.loaded_shards) == (3, 2)


def test_the_stream_or_the_consumer_binds_and_the_warning_names_the_setting(prices):
    fast = facts(parallelization_factor=10)
    limits = capacity.capacity(fast, measured(), LATENCIES, record_kb=1, records_per_second=1500)
    assert limits.bottleneck == "stream write limit"
    assert limits.stream_write_limit_records_per_second == 1000
    result = estimate("test", fast, measured(), prices, cost.Workload(1500, 1), latencies=LATENCIES)
    assert any("streaming-data:streamShardCount to at least 2" in line for line in result.warnings)

    slow = facts(parallelization_factor=1)
    limits = capacity.capacity(slow, measured(), LATENCIES, record_kb=1, records_per_second=900)
    assert limits.bottleneck == "consumer"
    assert limits.sustainable_records_per_second == pytest.approx(limits.per_shard_records_per_second)
    result = estimate("test", slow, measured(), prices, cost.Workload(900, 1), latencies=LATENCIES)
    assert any("streaming-compute:parallelizationFactor" in line for line in result.warnings)

    big_records = capacity.capacity(fast, measured(), LATENCIES, record_kb=100, records_per_second=5)
    assert big_records.stream_write_limit_records_per_second == pytest.approx(10.24)


# -- warnings ----------------------------------------------------------------------------------------


def warnings_at(prices, stack: StackFacts, workload: cost.Workload) -> list[str]:
    return estimate("test", stack, measured(), prices, workload, latencies=LATENCIES, month=1).warnings


def test_a_shard_above_80_percent_of_its_write_limit_is_named(prices):
    [warning] = warnings_at(prices, facts(parallelization_factor=10), cost.Workload(850, 1))
    assert "takes each of the 1 shard(s) to 85% of its write limit" in warning
    assert "raise streaming-data:streamShardCount to 2" in warning
    assert warnings_at(prices, facts(parallelization_factor=10), cost.Workload(790, 1)) == []


def test_a_peak_counts_for_the_shards_not_the_average(prices):
    peaked = warnings_at(prices, facts(parallelization_factor=10), cost.Workload(500, 1, peak_to_average=3))
    assert any("1,500 records/s exceeds the stream's write limit" in line for line in peaked)


def test_concurrency_above_the_default_account_quota_is_named(prices):
    found = warnings_at(prices, facts(parallelization_factor=10, shard_count=60), cost.Workload(100, 1))
    assert any("60 shard(s) x 10 batches x 2 functions need 1,200 concurrent Lambda executions" in w for w in found)


def test_a_new_on_demand_table_below_the_declared_write_rate_is_named(prices):
    found = warnings_at(prices, facts(parallelization_factor=10, shard_count=8), cost.Workload(5000, 1))
    assert any("more than a new on-demand table serves at first (4,000)" in line for line in found)


def test_more_shards_than_a_stream_may_have_are_named(prices):
    found = warnings_at(prices, facts(parallelization_factor=10), cost.Workload(2e7, 1))
    assert any("needs 20,000 shards, more than the 10,000 a stream may have" in line for line in found)


def test_a_hot_key_names_the_partition_keys_not_the_factor(prices):
    found = warnings_at(
        prices, facts(parallelization_factor=10, shard_count=2), cost.Workload(500, 1, partition_keys=1)
    )
    assert any("1 partition key(s) let only 1 batch(es) run at once per shard" in line for line in found)


def test_a_provisioned_maximum_too_small_for_the_peak_is_named(prices):
    small = facts(
        parallelization_factor=10,
        table_billing_mode="PROVISIONED",
        table_capacity={
            "table_read": (5, 5000),
            "table_write": (5, 500),
            "index_read": (1, 100),
            "index_write": (1, 100),
        },
    )
    found = warnings_at(prices, small, cost.Workload(700, 1))
    assert found == [
        "700 records/s needs 700 table write units a second, more than auto scaling may give at 70% of its maximum "
        "(500; it holds 500): raise the max of streaming-data:tableWriteCapacity to at least 1,000"
    ]


# -- a month of a running stack ----------------------------------------------------------------------


def test_idle_cost_per_million_is_what_records_add(prices):
    stack = facts(parallelization_factor=10)
    idle = estimate("test", stack, measured(), prices, cost.Workload(0, 1), latencies=LATENCIES)
    busy = estimate("test", stack, measured(), prices, cost.Workload(1000, 1), latencies=LATENCIES)
    added = busy.total - busy.idle_total
    assert idle.usd_per_million_records == pytest.approx(added / (1000 * MONTH_SECONDS / 1e6))
    assert busy.usd_per_million_records == pytest.approx(busy.total / (1000 * MONTH_SECONDS / 1e6))
    assert idle.total == pytest.approx(idle.idle_total)


def test_month_twelve_costs_more_than_month_one_by_what_the_archive_and_logs_keep(prices):
    stack = facts(parallelization_factor=10)
    result = estimate("test", stack, measured(), prices, cost.Workload(1000, 1), latencies=LATENCIES, month=12)
    grew = {service: result.by_service[service] - result.month_one[service] for service in result.by_service}
    assert grew["s3"] == pytest.approx(1000 * MONTH_SECONDS * 256 / GIB * 11 * 0.023)
    assert grew["kinesis"] == grew["lambda"] == grew["step_functions"] == 0


# -- the files the estimate reads ------------------------------------------------------------------


def test_measured_json_has_every_key_the_estimate_reads():
    document = json.loads((repo_root() / "stacks" / "compute" / "bench" / "measured.json").read_text())
    assert set(REQUIRED_KEYS) <= set(document)
    work = load_measured()
    assert set(work.cpu_us_per_record_by_handler) == {"ingest", *capacity.STAGES_IN_RUN}
    assert "StartSyncExecution" in work.requests_per_1000_records_by_api
    assert 0 < work.stored.archived_bytes(1024) < 1024  # gzip stores less than the record
    assert 100 < work.stored.state_item_bytes < 1024  # one write unit an item
    assert set(work.claim_check.s3_requests_by_api) == {"PutObject", "GetObject", "DeleteObjects"}


def test_a_measurement_without_a_key_is_refused_by_name(tmp_path: Path):
    document = json.loads((repo_root() / "stacks" / "compute" / "bench" / "measured.json").read_text())
    del document["stored_by_record_kb"]
    broken = tmp_path / "measured.json"
    broken.write_text(json.dumps(document))
    with pytest.raises(EstimateError, match="lacks stored_by_record_kb; run `nox -s bench`"):
        load_measured(broken)


def test_every_price_is_dated_and_sourced_for_each_region():
    document = json.loads(PRICES_FILE.read_text())
    assert {"us-east-1", "eu-west-1"} <= set(document["regions"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", document["prices_as_of"])
    keys = set(document["regions"]["us-east-1"])
    for region, figures in document["regions"].items():
        assert set(figures) == keys, region
        for key, figure in figures.items():
            assert figure["usd"] > 0, (region, key)
            assert figure["source"].startswith("https://aws.amazon.com/"), (region, key)
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", figure["as_of"]), (region, key)
    assert document["regions"]["us-east-1"]["dynamodb_write_request_units_million"]["usd"] == 0.625


def test_a_region_without_prices_names_the_file_to_extend():
    with pytest.raises(EstimateError, match=r"no prices for region 'ap-south-2' in .*prices\.json; add a block"):
        load_prices("ap-south-2")


# -- the facts of a real plan ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_facts():
    """The stack `local`: every key at its default, in us-east-1."""
    return stack_facts(build_plan("local"))


def test_the_plan_gives_the_resolved_settings(default_facts):
    assert default_facts.region == "us-east-1"
    assert list(default_facts.functions) == ["ingest", *capacity.STAGES_IN_RUN]
    assert (default_facts.functions["ingest"].memory_mb, default_facts.functions["archive"].memory_mb) == (384, 768)
    assert (default_facts.batch_size, default_facts.parallelization_factor) == (180, 10)
    assert default_facts.table_billing_mode == "PAY_PER_REQUEST"
    assert default_facts.point_in_time_recovery
    assert default_facts.interface_endpoint_azs == 4  # sync-states and kinesis-streams in 2 AZs
    assert default_facts.sync_states_endpoint
    assert default_facts.alarm_metrics > default_facts.dashboards == 1
    assert default_facts.archive == ArchiveFacts(
        retention_days=None, transition=None, noncurrent_days=30, sse_kms=False
    )


def test_the_plan_gives_the_auto_scaling_ranges_lifecycle_keys_and_access_logs_of_a_prod_like_stack():
    prod = {
        "data": {
            "streaming-data:disposable": False,
            "streaming-data:tableBillingMode": "PROVISIONED",
            "streaming-data:tableWriteCapacity": {"max": 3000},
            "streaming-data:tableTargetUtilization": 80,
            "streaming-data:archiveRetentionDays": 400,
            "streaming-data:archiveTransitionStorageClass": "GLACIER",
            "streaming-data:archiveTransitionDays": 90,
        }
    }
    found = stack_facts(build_plan("local", config_overrides=prod))
    assert found.table_capacity == {
        "table_read": (5, 2000),
        "table_write": (5, 3000),
        "index_read": (1, 100),
        "index_write": (1, 4000),
    }
    assert found.table_target_utilization == 80
    assert found.archive == ArchiveFacts(
        retention_days=400,
        transition=Transition("GLACIER", 90, 128 * 1024),
        noncurrent_days=30,
        sse_kms=True,
        access_log_retention_days=90,
    )
    assert found.stream_customer_key
    assert (found.kms_keys, found.kms_rotating_keys) == (4, 4)  # stream, archive, compute's log groups, alarm topic


def test_the_defaults_keep_up_with_a_saturated_shard_with_30_percent_to_spare(default_facts):
    limits = capacity.capacity(
        default_facts, load_measured(), capacity.LATENCY_MS, record_kb=1, records_per_second=1000
    )
    assert limits.per_shard_records_per_second >= 1.3 * 1000
    assert limits.bottleneck == "stream write limit"


# -- the command -----------------------------------------------------------------------------------

ARGS = ["--stack", "local", "--records-per-second", "1000", "--record-kb", "1"]


@pytest.fixture(scope="module")
def document():
    """`--json` of the defaults at 1,000 records/s of 1 KB, and what went to stderr."""
    captured = subprocess.run(
        [sys.executable, "-m", "streaming_tooling.estimate", *ARGS, "--json"],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONHASHSEED": "1"},
    )
    return json.loads(captured.stdout), captured.stdout, captured.stderr


def as_arguments(config: dict) -> list[str]:
    return [arg for key, value in config.items() for arg in ("--config", f"{key}={json.dumps(value)}")]


@pytest.mark.slow
def test_json_output_is_exactly_the_documented_object(document):
    document, _, _ = document
    assert set(document) == {
        "region",
        "workload",
        "months",
        "monthly_usd",
        "idle_monthly_usd",
        "usd_per_million_records",
        "capacity",
        "prices_as_of",
        "assumptions",
        "warnings",
        "recommended",
    }
    assert document["region"] == "us-east-1"
    assert document["workload"] == {"records_per_second": 1000.0, "record_kb": 1.0}
    assert document["months"] == 12
    assert set(document["monthly_usd"]) == {"total", "by_service"}
    by_service = document["monthly_usd"]["by_service"]
    assert set(by_service) == {
        "kinesis",
        "lambda",
        "step_functions",
        "dynamodb",
        "s3",
        "cloudwatch",
        "vpc_endpoints",
        "kms",
    }
    assert document["monthly_usd"]["total"] == pytest.approx(sum(by_service.values()), abs=0.05)
    assert 0 < document["idle_monthly_usd"] < document["monthly_usd"]["total"]
    assert set(document["capacity"]) == {
        "sustainable_records_per_second",
        "per_shard_records_per_second",
        "stream_write_limit_records_per_second",
        "bottleneck",
    }
    assert document["capacity"]["stream_write_limit_records_per_second"] == 1000.0
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", document["prices_as_of"])
    assert all(isinstance(line, str) and line for line in document["assumptions"])
    assert set(document["recommended"]) == {"config", "usd_per_million_records"}
    assert all(re.fullmatch(r"streaming-[a-z]+:[a-zA-Z]+", key) for key in document["recommended"]["config"])


@pytest.mark.slow
def test_the_warnings_in_the_json_are_the_ones_printed_and_nothing_else_is(document, capsys):
    document, _, stderr = document
    assert stderr == ""  # nox runs the command with stderr into stdout: the object must be all there is
    assert main(ARGS) == 0
    text = capsys.readouterr().out
    printed = text.split("WARNINGS:\n", 1)[1].splitlines()
    assert document["warnings"] and printed == [f"  - {line}" for line in document["warnings"]]


@pytest.mark.slow
def test_the_output_is_the_same_bytes_whatever_the_hash_seed(document):
    _, first, _ = document
    again = subprocess.run(
        [sys.executable, "-m", "streaming_tooling.estimate", *ARGS, "--json"],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONHASHSEED": "2024"},
    )
    assert again.stdout == first


@pytest.mark.slow
def test_the_recommended_settings_give_what_the_estimate_says_and_are_recommended_again(document, capsys):
    document, _, _ = document
    recommended = document["recommended"]
    overrides = [
        arg for key, value in recommended["config"].items() for arg in ("--config", f"{key}={json.dumps(value)}")
    ]
    assert main([*ARGS, "--json", *overrides]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["usd_per_million_records"] == recommended["usd_per_million_records"]
    assert again["recommended"]["usd_per_million_records"] == recommended["usd_per_million_records"]
    assert recommended["usd_per_million_records"] < document["usd_per_million_records"]


@pytest.mark.slow
def test_the_recommended_settings_keep_the_promises_and_idle_at_most_50_dollars(document, capsys):
    document, _, _ = document
    config = document["recommended"]["config"]
    assert config["streaming-data:tableBillingMode"] == "PROVISIONED"  # a steady 1,000 records/s
    assert config["streaming-data:streamShardCount"] == 2  # the peak at most 80% of the write limit
    kept = ("archiveRetentionDays", "recordTtlDays", "quarantineRetentionDays", "disposable")
    assert not any(key.endswith(kept) for key in config)
    overrides = as_arguments(config)
    assert main([*ARGS, "--json", *overrides]) == 0
    recommended = json.loads(capsys.readouterr().out)
    assert recommended["idle_monthly_usd"] <= 50
    assert not [w for w in recommended["warnings"] if "write limit" in w or "sustains" in w]


@pytest.mark.slow
def test_the_month_is_an_argument(capsys):
    assert main([*ARGS, "--json", "--months", "1"]) == 0
    month_one = json.loads(capsys.readouterr().out)
    assert month_one["months"] == 1
    assert month_one["monthly_usd"]["by_service"]["s3"] < 200


@pytest.mark.slow
def test_config_overrides_price_a_fixed_provisioned_table(capsys):
    fixed = [
        "--config", "streaming-data:streamShardCount=10",
        "--config", "streaming-data:tableBillingMode=PROVISIONED",
        "--config", "streaming-data:tableReadCapacity={min: 5000, max: 5000}",
        "--config", "streaming-data:tableWriteCapacity={min: 5000, max: 5000}",
        "--config", "streaming-data:indexReadCapacity={min: 2500, max: 2500}",
        "--config", "streaming-data:indexWriteCapacity={min: 2500, max: 2500}",
    ]  # fmt: skip
    assert main(["--stack", "local", "--records-per-second", "0", "--record-kb", "1", "--json", *fixed]) == 0
    document = json.loads(capsys.readouterr().out)
    fixed_capacity = 7500 * 730 * 0.00065 + 7500 * 730 * 0.00013
    assert document["monthly_usd"]["by_service"]["dynamodb"] == pytest.approx(fixed_capacity, abs=0.01)
    assert document["monthly_usd"]["by_service"]["kinesis"] == pytest.approx(10 * 730 * 0.015)
    assert document["capacity"]["stream_write_limit_records_per_second"] == 10_000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--stack", "nope"], "no layer has a stack file Pulumi.nope.yaml; the stacks are: dev, local"),
        (["--stack", "local", "--records-per-second", "-1"], "--records-per-second -1: must be a number >= 0"),
        (["--stack", "local", "--record-kb", "2000"], "--record-kb 2000: must be more than 0 and at most 1024"),
        (["--stack", "local", "--months", "0"], "--months 0: must be a whole number from 1 to 120"),
        (["--stack", "local", "--months", "121"], "--months 121: must be a whole number from 1 to 120"),
        (["--stack", "local", "--peak-to-average", "0.5"], "--peak-to-average 0.5: must be from 1 (a steady load)"),
        (["--stack", "local", "--peak-to-average", "nan"], "--peak-to-average nan: must be from 1"),
        (["--stack", "local", "--partition-keys", "0"], "--partition-keys 0: must be a whole number >= 1"),
        (["--stack", "local", "--config", "streaming-nope:x=1"], "'streaming-nope' is not a project"),
        (["--stack", "local", "--config", "streamShardCount"], "write it as PROJECT:KEY=VALUE"),
        (["--stack", "local", "--latency-ms", "disk=3"], "unknown latency 'disk'; the latencies are esm_invoke"),
        (["--stack", "local", "--config", "streaming-data:streamShardCount=0"], "the offline plan of stack 'local'"),
    ],
)
def test_bad_arguments_get_one_sentence_and_exit_2(capsys, arguments, message):
    defaults = {"--records-per-second": "10", "--record-kb": "1"}
    for flag, value in defaults.items():
        if flag not in arguments:
            arguments = [*arguments, flag, value]
    assert main(arguments) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize("flag", ["--months", "--partition-keys"])
def test_a_missing_argument_or_a_number_that_is_not_whole_is_one_line_too(capsys, flag):
    for arguments in (["--stack", "local"], [*ARGS, flag, "1.5"]):
        with pytest.raises(SystemExit) as exit_:
            main(arguments)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "--records-per-second" in err or flag in err
