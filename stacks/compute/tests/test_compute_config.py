"""Bad compute configuration or upstream fails before any resource is registered, naming the key."""

from __future__ import annotations

import pytest
import yaml
from compute_fixtures import COMPUTE_DIR, data_exports, network_exports, run_compute

from streaming_shared.errors import ConfigError, UpstreamError
from streaming_tooling.testing import ProgramFailed

P = "streaming-compute"

BAD_CONFIG = [
    pytest.param({"batchSize": 0}, f"{P}:batchSize", "greater than or equal to 1", id="batch-size-zero"),
    pytest.param({"batchSize": 10001}, f"{P}:batchSize", "less than or equal to 10000", id="batch-size-too-large"),
    pytest.param({"batchSize": "lots"}, f"{P}:batchSize", "valid integer", id="batch-size-not-a-number"),
    pytest.param(
        {"parallelizationFactor": 0}, f"{P}:parallelizationFactor", "greater than or equal to 1", id="parallel-zero"
    ),
    pytest.param(
        {"parallelizationFactor": 11}, f"{P}:parallelizationFactor", "less than or equal to 10", id="parallel-11"
    ),
    pytest.param(
        {"maximumBatchingWindowSeconds": 301},
        f"{P}:maximumBatchingWindowSeconds",
        "less than or equal to 300",
        id="batching-window-too-long",
    ),
    pytest.param(
        {"maximumBatchingWindowSeconds": -1},
        f"{P}:maximumBatchingWindowSeconds",
        "greater than or equal to 0",
        id="batching-window-negative",
    ),
    pytest.param(
        {"memoryMb": {"transform": 64}},
        f"{P}:memoryMb",
        "transform = 64: must be a whole number of MB from 128 to 10240",
        id="memory-too-small",
    ),
    pytest.param(
        {"memoryMb": {"archive": 10241}},
        f"{P}:memoryMb",
        "archive = 10241: must be a whole number of MB from 128 to 10240",
        id="memory-too-large",
    ),
    pytest.param(
        {"memoryMb": {"transfrom": 256}},
        f"{P}:memoryMb",
        "'transfrom' is not a stage; the stages are ingest, transform, validate, enrich, archive",
        id="memory-for-an-unknown-stage",
    ),
    pytest.param(
        {"timeoutSeconds": {"validate": 0}},
        f"{P}:timeoutSeconds",
        "validate = 0: must be a whole number of seconds from 1 to 900",
        id="timeout-zero",
    ),
    pytest.param(
        {"timeoutSeconds": {"ingest": 901}},
        f"{P}:timeoutSeconds",
        "ingest = 901: must be a whole number of seconds from 1 to 900",
        id="timeout-over-lambda-limit",
    ),
    pytest.param(
        {"timeoutSeconds": {"ingest": 60}},
        f"{P}:timeoutSeconds",
        "ingest = 60: ingest waits for the synchronous Express run (up to 300 s) and needs 30 s of its own; "
        "use at least 330",
        id="ingest-timeout-shorter-than-the-express-run",
    ),
    pytest.param(
        {"timeoutSeconds": {"enrich": 301, "archive": 600}},
        f"{P}:timeoutSeconds",
        "enrich = 301, archive = 600: these stages run inside the Express state machine, which stops every "
        "execution after 300 s; use at most 300",
        id="step-timeout-beyond-the-express-limit",
    ),
    pytest.param(
        {"reservedConcurrency": {"ingest": -1}},
        f"{P}:reservedConcurrency",
        "ingest = -1: must be a whole number >= 0",
        id="negative-reserved-concurrency",
    ),
    pytest.param(
        {"reservedConcurrency": {"all": 5}}, f"{P}:reservedConcurrency", "'all' is not a stage", id="reserved-bad-stage"
    ),
    pytest.param(
        {"runtime": "python3.9"},
        f"{P}:runtime",
        "is not a supported runtime; use one of python3.12, python3.13, python3.14",
        id="old-runtime",
    ),
    pytest.param(
        {"runtime": "nodejs22.x"}, f"{P}:runtime", "is not a supported runtime", id="runtime-of-another-language"
    ),
    pytest.param({"architecture": "arm"}, f"{P}:architecture", "'arm64' or 'x86_64'", id="unknown-architecture"),
    pytest.param(
        {"logRetentionDays": 10},
        f"{P}:logRetentionDays",
        "is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90",
        id="retention-cloudwatch-rejects",
    ),
    pytest.param(
        {"logRetentionDays": 0},
        f"{P}:logRetentionDays",
        "is not a retention CloudWatch Logs accepts",
        id="no-retention",
    ),
    pytest.param(
        {"logRetentionDays": "forever"},
        f"{P}:logRetentionDays",
        "is not a retention CloudWatch Logs accepts",
        id="retention-not-a-number",
    ),
    pytest.param(
        {"logLevel": "TRACE"}, f"{P}:logLevel", "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'", id="log-level"
    ),
    pytest.param(
        {"stateMachineLogLevel": "OFF"}, f"{P}:stateMachineLogLevel", "'ALL', 'ERROR' or 'FATAL'", id="state-logs-off"
    ),
    pytest.param(
        {"startingPosition": "EARLIEST"},
        f"{P}:startingPosition",
        "'TRIM_HORIZON', 'LATEST' or 'AT_TIMESTAMP'",
        id="unknown-starting-position",
    ),
    pytest.param(
        {"startingPosition": "AT_TIMESTAMP"},
        f"{P}:startingPositionTimestamp",
        "is required when startingPosition is AT_TIMESTAMP",
        id="at-timestamp-without-timestamp",
    ),
    pytest.param(
        {"startingPositionTimestamp": "2026-01-31T12:00:00Z"},
        f"{P}:startingPositionTimestamp",
        "only applies with startingPosition AT_TIMESTAMP, not TRIM_HORIZON",
        id="timestamp-without-at-timestamp",
    ),
    pytest.param(
        {"startingPosition": "AT_TIMESTAMP", "startingPositionTimestamp": "yesterday"},
        f"{P}:startingPositionTimestamp",
        "is not an RFC 3339 time",
        id="timestamp-not-a-time",
    ),
    pytest.param(
        {"startingPosition": "AT_TIMESTAMP", "startingPositionTimestamp": "2026-01-31T12:00:00"},
        f"{P}:startingPositionTimestamp",
        "needs a date, a time and an offset",
        id="timestamp-without-offset",
    ),
    pytest.param(
        {"maximumRetryAttempts": -1},
        f"{P}:maximumRetryAttempts",
        "greater than or equal to 0",
        id="infinite-retries",
    ),
    pytest.param(
        {"maximumRetryAttempts": 10001},
        f"{P}:maximumRetryAttempts",
        "less than or equal to 10000",
        id="too-many-retries",
    ),
    pytest.param(
        {"maximumRecordAgeSeconds": -1},
        f"{P}:maximumRecordAgeSeconds",
        "greater than or equal to 60",
        id="infinite-record-age",
    ),
    pytest.param(
        {"maximumRecordAgeSeconds": 604801},
        f"{P}:maximumRecordAgeSeconds",
        "less than or equal to 604800",
        id="record-age-over-a-week",
    ),
    pytest.param(
        {"deadLetterRetentionDays": 15},
        f"{P}:deadLetterRetentionDays",
        "less than or equal to 14",
        id="dlq-retention-over-sqs-limit",
    ),
    pytest.param(
        {"deadLetterRetentionDays": 0},
        f"{P}:deadLetterRetentionDays",
        "greater than or equal to 1",
        id="dlq-retention-zero",
    ),
    pytest.param({"recordTtlDays": 0}, f"{P}:recordTtlDays", "greater than or equal to 1", id="record-ttl-zero"),
    pytest.param(
        {"maxPayloadBytes": 262144},
        f"{P}:maxPayloadBytes",
        "less than or equal to 240000",
        id="payload-at-the-step-functions-limit",
    ),
    pytest.param(
        {"maxPayloadBytes": 4095},
        f"{P}:maxPayloadBytes",
        "greater than or equal to 4096",
        id="payload-below-what-ingest-accepts",
    ),
    pytest.param({"bisectBatchOnError": "maybe"}, f"{P}:bisectBatchOnError", "valid boolean", id="bisect-not-a-bool"),
    pytest.param({"batchsize": 10}, f"{P}:batchsize", "is not a setting of streaming-compute", id="misspelt-key"),
]


@pytest.mark.parametrize(("config", "key", "reason"), BAD_CONFIG)
def test_bad_config_fails_early_naming_the_key(config, key, reason):
    with pytest.raises(ProgramFailed) as failure:
        run_compute(config=config)
    assert isinstance(failure.value.error, ConfigError)
    assert key in failure.value.error.keys
    assert reason in str(failure.value)
    assert failure.value.run.cloud_resources == []


def test_every_bad_value_is_reported_at_once():
    with pytest.raises(ProgramFailed) as failure:
        run_compute(config={"batchSize": 0, "parallelizationFactor": 11, "runtime": "python2.7"})
    assert sorted(failure.value.error.keys) == [f"{P}:batchSize", f"{P}:parallelizationFactor", f"{P}:runtime"]


def test_both_timeout_relationships_are_reported_together():
    with pytest.raises(ProgramFailed) as failure:
        run_compute(config={"timeoutSeconds": {"ingest": 100, "transform": 400}})
    assert failure.value.error.keys == [f"{P}:timeoutSeconds", f"{P}:timeoutSeconds"]


def test_the_shortest_ingest_timeout_allowed_is_the_express_limit_plus_thirty_seconds():
    run = run_compute(config={"timeoutSeconds": {"ingest": 330, "archive": 300}})
    timeouts = {f.name: f.inputs["timeout"] for f in run.of_type("aws:lambda/function:Function")}
    assert (timeouts["ingest"], timeouts["archive"]) == (330, 300)


@pytest.mark.parametrize("missing", ["private_subnet_ids", "lambda_security_group_id"])
def test_a_missing_network_export_names_the_stack_and_key(missing):
    network = {key: value for key, value in network_exports().items() if key != missing}
    with pytest.raises(ProgramFailed) as failure:
        run_compute(upstream={"network": network, "data": data_exports()})
    assert isinstance(failure.value.error, UpstreamError)
    assert f"organization/streaming-network/dev does not export {missing!r}" in str(failure.value)
    assert failure.value.run.cloud_resources == []


@pytest.mark.parametrize(
    "missing", ["stream_arn", "table_name", "table_arn", "archive_bucket_name", "archive_bucket_arn"]
)
def test_a_missing_data_export_names_the_stack_and_key(missing):
    data = {key: value for key, value in data_exports().items() if key != missing}
    with pytest.raises(ProgramFailed) as failure:
        run_compute(upstream={"network": network_exports(), "data": data})
    assert f"organization/streaming-data/dev does not export {missing!r}" in str(failure.value)
    assert failure.value.run.cloud_resources == []


def test_an_undeployed_data_stack_is_named_with_the_command_that_deploys_it():
    with pytest.raises(ProgramFailed) as failure:
        run_compute(upstream={"network": network_exports()})
    assert "organization/streaming-data/dev has no outputs" in str(failure.value)
    assert "nox -s deploy -- data --stack dev" in str(failure.value)
    assert failure.value.run.cloud_resources == []


def test_an_upstream_in_another_region_is_refused():
    with pytest.raises(ProgramFailed) as failure:
        run_compute(
            region="eu-west-1",
            upstream={"network": network_exports("eu-west-1"), "data": data_exports("eu-central-1")},
        )
    assert "is in region 'eu-central-1'" in str(failure.value)
    assert failure.value.run.cloud_resources == []


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_the_example_stack_files_are_valid(stack):
    example = yaml.safe_load((COMPUTE_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    region = example["aws:region"]
    config = {key.split(":", 1)[1]: value for key, value in example.items() if key.startswith(f"{P}:")}
    run = run_compute(
        stack=stack,
        region=region,
        config=config,
        upstream={"network": network_exports(region), "data": data_exports(region, stack=stack)},
    )
    assert run.exports["function_names"]["ingest"] == f"streaming-{stack}-ingest"
