"""The bad-configuration table across all four layers.

Each row runs a layer's real program with one bad input: a wrong type, an out-of-range number,
a malformed CIDR, email or name, an unknown enum value, a missing required key, or a mismatch
between layers. Each must fail with an error naming the key (or the upstream stack and key), and
before a single cloud resource is registered. Upstream exports come from the real upstream
programs, so a cross-layer row changes one real value.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from streaming_shared.errors import ConfigError, UpstreamError
from streaming_tooling.testing import ProgramFailed, run_chain, run_layer

Exports = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Row:
    layer: str
    kind: str
    config: dict[str, Any]
    names: str
    says: str
    stack: str = "dev"
    upstream: Callable[[Exports], None] | None = None
    region: str | None = None
    upstream_org: str | None = None
    error: type[Exception] = ConfigError


def drop(layer: str, key: str) -> Callable[[Exports], None]:
    return lambda exports: exports[layer].pop(key)


def move_region(layer: str, region: str) -> Callable[[Exports], None]:
    return lambda exports: exports[layer].update(region=region)


def without_stage(stage: str) -> Callable[[Exports], None]:
    return lambda exports: exports["compute"]["function_names"].pop(stage)


ROWS = [
    # network
    Row("network", "wrong type", {"azCount": "three"}, "streaming-network:azCount", "valid integer"),
    Row("network", "malformed CIDR", {"vpcCidr": "10.0.0.0/99"}, "streaming-network:vpcCidr", "IPv4 CIDR"),
    Row("network", "public CIDR", {"vpcCidr": "52.0.0.0/16"}, "streaming-network:vpcCidr", "RFC 1918"),
    Row(
        "network",
        "out of range",
        {"subnetPrefixLength": 29},
        "streaming-network:subnetPrefixLength",
        "less than or equal to 28",
    ),
    Row(
        "network",
        "unknown enum",
        {"interfaceEndpoints": ["kinesis"]},
        "streaming-network:interfaceEndpoints",
        "not a known",
    ),
    Row(
        "network",
        "wrong type",
        {"routeTablePerSubnet": "maybe"},
        "streaming-network:routeTablePerSubnet",
        "valid boolean",
    ),
    Row("network", "bad name", {}, "stack name", "lowercase letters", stack="Prod_EU"),
    Row("network", "missing required key", {}, "aws:region", "is required", region=""),
    # data
    Row(
        "data",
        "unknown enum",
        {"streamMode": "SERVERLESS"},
        "streaming-data:streamMode",
        "'PROVISIONED' or 'ON_DEMAND'",
    ),
    Row("data", "out of range", {"streamRetentionHours": 9000}, "streaming-data:streamRetentionHours", "8760"),
    Row("data", "wrong type", {"streamShardCount": "many"}, "streaming-data:streamShardCount", "valid integer"),
    Row(
        "data",
        "out of range",
        {
            "tableBillingMode": "PROVISIONED",
            "tableReadCapacity": 0,
            "tableWriteCapacity": 5,
            "indexReadCapacity": 5,
            "indexWriteCapacity": 5,
        },
        "streaming-data:tableReadCapacity",
        "greater than or equal to 1",
    ),
    Row(
        "data",
        "missing required key",
        {"tableBillingMode": "PROVISIONED"},
        "streaming-data:tableReadCapacity",
        "PROVISIONED",
    ),
    Row(
        "data", "bad name", {"archiveBucketName": "Archive_{environment}"}, "streaming-data:archiveBucketName", "bucket"
    ),
    Row("data", "out of order", {"archiveGlacierDays": 20}, "streaming-data:archiveGlacierDays", "Glacier"),
    # compute
    Row("compute", "out of range", {"batchSize": 10_001}, "streaming-compute:batchSize", "10000"),
    Row("compute", "out of range", {"parallelizationFactor": 11}, "streaming-compute:parallelizationFactor", "10"),
    Row("compute", "out of range", {"memoryMb": {"transform": 64}}, "streaming-compute:memoryMb", "128"),
    Row("compute", "unknown enum", {"runtime": "python2.7"}, "streaming-compute:runtime", "python3.13"),
    Row("compute", "unknown enum", {"logRetentionDays": 42}, "streaming-compute:logRetentionDays", "30"),
    Row(
        "compute", "wrong type", {"bisectBatchOnError": "sometimes"}, "streaming-compute:bisectBatchOnError", "boolean"
    ),
    Row(
        "compute",
        "missing required key",
        {"startingPosition": "AT_TIMESTAMP"},
        "streaming-compute:startingPositionTimestamp",
        "AT_TIMESTAMP",
    ),
    Row("compute", "unbounded retries", {"maximumRetryAttempts": -1}, "streaming-compute:maximumRetryAttempts", "0"),
    Row(
        "compute",
        "cross-layer: missing export",
        {},
        "organization/streaming-network/dev",
        "lambda_security_group_id",
        upstream=drop("network", "lambda_security_group_id"),
        error=UpstreamError,
    ),
    Row(
        "compute",
        "cross-layer: other region",
        {},
        "organization/streaming-data/dev",
        "us-west-2",
        upstream=move_region("data", "us-west-2"),
        error=UpstreamError,
    ),
    Row(
        "compute",
        "cross-layer: wrong organization",
        {"org": "acme"},
        "acme/streaming-network/dev",
        "has no outputs",
        upstream_org="organization",
        error=UpstreamError,
    ),
    # observability
    Row(
        "observability",
        "malformed email",
        {"alarmEmails": ["oncall@"]},
        "streaming-observability:alarmEmails",
        "not an e-mail address",
    ),
    Row(
        "observability",
        "malformed URL",
        {"alarmHttpsEndpoint": "http://hooks.example.com/alarms"},
        "streaming-observability:alarmHttpsEndpoint",
        "https",
    ),
    Row(
        "observability",
        "period CloudWatch refuses",
        {"alarms": {"functionErrors": {"periodSeconds": 45}}},
        "streaming-observability:alarms",
        "multiple of 60",
    ),
    Row(
        "observability",
        "non-positive threshold",
        {"alarms": {"deadLetterQueueDepth": {"threshold": 0}}},
        "streaming-observability:alarms",
        "positive",
    ),
    Row(
        "observability",
        "out of range",
        {"alarms": {"streamIteratorAge": {"evaluationPeriods": 0}}},
        "streaming-observability:alarms",
        "at least 1",
    ),
    Row(
        "observability",
        "unknown enum",
        {"tableOperations": ["Frobnicate"]},
        "streaming-observability:tableOperations",
        "Frobnicate",
    ),
    Row("observability", "wrong type", {"tags": ["team", "data"]}, "streaming-observability:tags", "valid dictionary"),
    Row(
        "observability",
        "cross-layer: incomplete export",
        {},
        "organization/streaming-compute/dev",
        "stage(s) archive",
        upstream=without_stage("archive"),
        error=UpstreamError,
    ),
]


@pytest.fixture(scope="module")
def real_exports() -> Exports:
    runs = run_chain(["compute"], region="eu-west-1")
    return {name: run.exports for name, run in runs.items()}


def test_the_table_covers_every_layer_with_at_least_twenty_five_rows():
    assert len(ROWS) >= 25
    assert {row.layer for row in ROWS} == {"network", "data", "compute", "observability"}


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.layer}-{row.kind}-{row.names}" for row in ROWS])
def test_bad_input_fails_early_with_a_clear_error_naming_the_key(row: Row, real_exports: Exports):
    exports = copy.deepcopy(real_exports)
    if row.upstream:
        row.upstream(exports)
    upstream = {name: exports[name] for name in ("network", "data", "compute") if name != row.layer}
    with pytest.raises(ProgramFailed) as failure:
        run_layer(
            row.layer,
            stack=row.stack,
            region="eu-west-1" if row.region is None else row.region,
            config=row.config,
            upstream=upstream if row.layer in ("compute", "observability") else {},
            upstream_org=row.upstream_org,
        )
    error = failure.value.error
    assert isinstance(error, row.error), repr(error)
    message = str(error)
    assert row.names in message and row.says in message, message
    if isinstance(error, ConfigError):
        assert any(key.startswith(row.names) for key in error.keys), error.keys
    assert failure.value.run.cloud_resources == []
