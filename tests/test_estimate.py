"""`nox -s estimate`: each service's figure checked by hand, the capacity model, the defaults' targets, the CLI."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.estimate import capacity, cost
from streaming_tooling.estimate.cli import main
from streaming_tooling.estimate.errors import EstimateError
from streaming_tooling.estimate.measured import REQUIRED_KEYS, MeasuredWork, load_measured
from streaming_tooling.estimate.prices import PRICES_FILE, load_prices
from streaming_tooling.estimate.report import estimate
from streaming_tooling.estimate.stack import FunctionFacts, StackFacts, stack_facts
from streaming_tooling.testing import repo_root

MONTH_SECONDS = 730 * 3600
GIB = 1024**3
LATENCIES = {"esm_invoke": 20.0, "dynamodb": 10.0, "s3_put": 100.0, "start_sync_execution": 50.0, "lambda_hop": 25.0}


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
    assert usd == pytest.approx(shard_hours + put_units + extended)
    assert usd == pytest.approx(87.892)


def test_kinesis_on_demand_bills_the_stream_hour_and_gigabytes_in_and_out(prices):
    usd = cost.kinesis(
        facts(stream_mode="ON_DEMAND"), prices, cost.Workload(100, 1.5), records=100 * MONTH_SECONDS, shards=4
    )
    gigabytes = 100 * MONTH_SECONDS * 2 * 1024 / GIB  # 1.5 KB rounds up to 2 KB
    assert usd == pytest.approx(730 * 0.04 + gigabytes * (0.08 + 0.04))


def test_lambda_bills_requests_and_gb_seconds_by_architecture(prices):
    stack = facts(functions={"ingest": FunctionFacts(512, "arm64"), "archive": FunctionFacts(1024, "x86_64")})
    usd = cost.lambda_(stack, prices, {"ingest": 1e6, "archive": 2e6}, {"ingest": 0.5, "archive": 0.1})
    requests = 3 * 0.2
    ingest = 1e6 * 0.5 * 0.5 * 0.0000133334
    archive = 2e6 * 0.1 * 1.0 * 0.0000166667
    assert usd == pytest.approx(requests + ingest + archive)
    assert usd == pytest.approx(7.26669, abs=1e-5)


def test_step_functions_express_bills_requests_and_duration_in_100_ms_and_64_mb(prices):
    usd = cost.step_functions(prices, executions=1e6, execution_seconds=0.23)
    assert usd == pytest.approx(1.0 + 1e6 * 0.3 * 64 / 1024 * 0.00001667)


def test_dynamodb_on_demand_bills_each_item_write_reads_and_the_items_the_ttl_keeps(prices):
    work = measured(index_item_writes_per_record=0.01)
    usd = cost.dynamodb(facts(record_ttl_days=7), prices, work, cost.Workload(1000, 1), records=1000 * MONTH_SECONDS)
    writes = 1000 * MONTH_SECONDS * 1.01 / 1e6 * 0.625
    reads = 1000 * MONTH_SECONDS * 0.5 / 1e6 * 0.125  # one eventually consistent read per record
    storage = 1000 * 7 * 86_400 * 512 * 1.01 / GIB * 0.25
    assert usd == pytest.approx(writes + reads + storage)


def test_dynamodb_provisioned_bills_table_and_index_capacity_used_or_not(prices):
    seed = facts(
        table_billing_mode="PROVISIONED",
        table_capacity={"table_read": 5000, "table_write": 5000, "index_read": 2500, "index_write": 2500},
    )
    usd = cost.dynamodb(seed, prices, measured(), cost.Workload(0, 1), records=0)
    assert usd == pytest.approx(7500 * 730 * 0.00065 + 7500 * 730 * 0.00013)
    assert usd == pytest.approx(4270.5)


def test_s3_bills_puts_and_the_months_growth_of_storage(prices):
    usd = cost.s3(prices, cost.Workload(100, 1), records=1e9, put_requests=1e6)
    assert usd == pytest.approx(1e6 / 1000 * 0.005 + 1e9 * 1024 / GIB * 0.023)


def test_cloudwatch_bills_alarm_metrics_dashboards_and_logs_at_the_configured_levels(prices):
    stack = facts(alarm_metrics=25, dashboards=1, log_retention_days=30)
    idle = cost.cloudwatch(
        stack, prices, invocations={"ingest": 0.0}, executions=0, execution_payload_bytes=0, shards=1
    )
    assert idle == pytest.approx(25 * 0.1 + 3.0)
    busy = cost.cloudwatch(
        stack, prices, invocations={"ingest": 1e6}, executions=1e6, execution_payload_bytes=100_000, shards=1
    )
    log_gb = 1e6 * (500 + 420 + 420) / GIB  # platform lines, metrics document, ingest's summary at INFO
    assert busy == pytest.approx(idle + 16 * 0.3 + log_gb * 0.5 + log_gb * 0.15 * 0.03)
    quiet = dataclasses.replace(stack, functions={"ingest": FunctionFacts(512, "arm64", log_level="WARNING")})
    at_warning = cost.cloudwatch(
        quiet, prices, invocations={"ingest": 1e6}, executions=1e6, execution_payload_bytes=100_000, shards=1
    )
    assert at_warning < busy
    logging_all = dataclasses.replace(stack, state_machine_log_level="ALL")
    with_all = cost.cloudwatch(
        logging_all, prices, invocations={"ingest": 1e6}, executions=1e6, execution_payload_bytes=100_000, shards=1
    )
    assert with_all - busy == pytest.approx(1e6 * 22 * 100_000 / GIB * (0.5 + 0.15 * 0.03))


def test_interface_endpoints_bill_per_az_hour_and_gigabyte(prices):
    assert cost.vpc_endpoints(facts(interface_endpoint_azs=6), prices, gb_processed=10) == pytest.approx(
        6 * 730 * 0.01 + 10 * 0.01
    )


def test_kms_bills_each_customer_managed_key(prices):
    assert cost.kms(facts(kms_keys=2), prices) == pytest.approx(2.0)


# -- capacity model --------------------------------------------------------------------------------


def test_a_batch_takes_its_calls_hops_and_cpu_in_sequence():
    timing = capacity.batch_timing(facts(), measured(), LATENCIES, records=100, record_kb=0.2)
    assert timing.executions == 1
    assert timing.calls == {"BatchGetItem": 1, "BatchWriteItem": 4, "PutObject": 1, "StartSyncExecution": 1}
    assert timing.stage_seconds["transform"] == pytest.approx((10 + 40 / 4) * 100 / 1e6 + 0.025)
    assert timing.stage_seconds["archive"] == pytest.approx((100 + 40 / 4) * 100 / 1e6 + 0.025 + 0.1)
    assert timing.execution_seconds == pytest.approx(3 * 0.027 + 0.136)
    assert timing.ingest_seconds == pytest.approx(200 * 100 / 1e6 + 5 * 0.01 + 0.05 + 0.217)
    assert timing.cycle_seconds == pytest.approx(0.02 + 0.337)
    per_shard = capacity.consumer_per_shard(facts(parallelization_factor=2), timing)
    assert per_shard == pytest.approx(2 * 100 / 0.357)


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


def test_a_provisioned_table_too_small_for_the_load_is_named(prices):
    small = facts(
        parallelization_factor=10,
        table_billing_mode="PROVISIONED",
        table_capacity={"table_read": 5000, "table_write": 500, "index_read": 100, "index_write": 100},
    )
    work = measured(table_item_writes_per_record=2, index_item_writes_per_record=0.01)
    result = estimate("test", small, work, prices, cost.Workload(1000, 1), latencies=LATENCIES)
    assert result.warnings == [
        "1000 records/s needs 2,000 units a second but streaming-data:tableWriteCapacity is 500: raise it or "
        "use streaming-data:tableBillingMode PAY_PER_REQUEST"
    ]


def test_idle_cost_per_million_is_what_records_add(prices):
    stack = facts(parallelization_factor=10)
    idle = estimate("test", stack, measured(), prices, cost.Workload(0, 1), latencies=LATENCIES)
    busy = estimate("test", stack, measured(), prices, cost.Workload(1000, 1), latencies=LATENCIES)
    added = busy.total - busy.idle_total
    assert idle.usd_per_million_records == pytest.approx(added / (1000 * MONTH_SECONDS / 1e6))
    assert busy.usd_per_million_records == pytest.approx(busy.total / (1000 * MONTH_SECONDS / 1e6))
    assert idle.total == pytest.approx(idle.idle_total)


# -- the files the estimate reads ------------------------------------------------------------------


def test_measured_json_has_every_key_the_estimate_reads():
    document = json.loads((repo_root() / "stacks" / "compute" / "bench" / "measured.json").read_text())
    assert set(REQUIRED_KEYS) <= set(document)
    work = load_measured()
    assert set(work.cpu_us_per_record_by_handler) == {"ingest", *capacity.STAGES_IN_RUN}
    assert "StartSyncExecution" in work.requests_per_1000_records_by_api


def test_a_measurement_without_a_key_is_refused_by_name(tmp_path: Path):
    document = json.loads((repo_root() / "stacks" / "compute" / "bench" / "measured.json").read_text())
    del document["table_item_writes_per_record"]
    broken = tmp_path / "measured.json"
    broken.write_text(json.dumps(document))
    with pytest.raises(EstimateError, match="lacks table_item_writes_per_record; run `nox -s bench`"):
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


# -- the default configuration ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_facts():
    """The stack `local`: every key at its default, in us-east-1."""
    return stack_facts(build_plan("local"))


def test_the_plan_gives_the_resolved_settings(default_facts):
    assert default_facts.region == "us-east-1"
    assert (default_facts.functions["ingest"].memory_mb, default_facts.functions["archive"].memory_mb) == (384, 768)
    assert (default_facts.batch_size, default_facts.parallelization_factor) == (180, 10)
    assert default_facts.table_billing_mode == "PAY_PER_REQUEST"
    assert default_facts.interface_endpoint_azs == 4  # sync-states and kinesis-streams in 2 AZs
    assert default_facts.sync_states_endpoint
    assert default_facts.alarm_metrics > default_facts.dashboards == 1


def test_the_defaults_keep_up_with_a_saturated_shard_with_30_percent_to_spare(default_facts):
    limits = capacity.capacity(
        default_facts, load_measured(), capacity.LATENCY_MS, record_kb=1, records_per_second=1000
    )
    assert limits.per_shard_records_per_second >= 1.3 * 1000
    assert limits.bottleneck == "stream write limit"


def test_the_defaults_cost_at_most_a_dollar_per_million_1_kb_records_with_one_write_per_record(default_facts, prices):
    """The write model of the data plane's rewrite: one item write per record at its final state, a sparse
    StatusIndex (no index write for a healthy record), the batch's keys read once. Until measured.json
    comes from that code, its own counts (two writes, each indexed) are replaced here."""
    work = dataclasses.replace(
        load_measured(),
        table_item_writes_per_record=1,
        index_item_writes_per_record=0,
        requests_per_1000_records_by_api={
            "BatchGetItem": 10,
            "BatchWriteItem": 40,
            "PutObject": 10,
            "StartSyncExecution": 10,
        },
    )
    result = estimate("local", default_facts, work, prices, cost.Workload(1000, 1), latencies=capacity.LATENCY_MS)
    assert result.usd_per_million_records <= 1.00


# -- the command -----------------------------------------------------------------------------------


def test_json_output_is_exactly_the_documented_object(capsys):
    assert main(["--stack", "local", "--records-per-second", "1000", "--record-kb", "1", "--json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    assert set(document) == {
        "region",
        "workload",
        "monthly_usd",
        "idle_monthly_usd",
        "usd_per_million_records",
        "capacity",
        "prices_as_of",
        "assumptions",
    }
    assert document["region"] == "us-east-1"
    assert document["workload"] == {"records_per_second": 1000.0, "record_kb": 1.0}
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


def test_config_overrides_price_the_seeds_configuration(capsys):
    seed = [
        "--config", "streaming-data:streamShardCount=10",
        "--config", "streaming-data:tableBillingMode=PROVISIONED",
        "--config", "streaming-data:tableReadCapacity={min: 5000, max: 5000}",
        "--config", "streaming-data:tableWriteCapacity={min: 5000, max: 5000}",
        "--config", "streaming-data:indexReadCapacity={min: 2500, max: 2500}",
        "--config", "streaming-data:indexWriteCapacity={min: 2500, max: 2500}",
    ]  # fmt: skip
    assert main(["--stack", "local", "--records-per-second", "0", "--record-kb", "1", "--json", *seed]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["monthly_usd"]["by_service"]["dynamodb"] == pytest.approx(4270.5)
    assert document["monthly_usd"]["by_service"]["kinesis"] == pytest.approx(10 * 730 * 0.015)
    assert document["capacity"]["stream_write_limit_records_per_second"] == 10_000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--stack", "nope"], "no layer has a stack file Pulumi.nope.yaml; the stacks are: dev, local"),
        (["--stack", "local", "--records-per-second", "-1"], "--records-per-second -1: must be a number >= 0"),
        (["--stack", "local", "--record-kb", "2000"], "--record-kb 2000: must be more than 0 and at most 1024"),
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


def test_a_missing_argument_is_one_line_too(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--stack", "local"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--records-per-second" in err
