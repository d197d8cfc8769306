"""The bad-configuration table of all four layers: each bad input once.

Each row runs a layer's real program with one bad input: a wrong type, an out-of-range number,
a malformed CIDR, e-mail, URL or name, an unknown enum value, a missing required key, or an
upstream export that is missing, malformed or in another region. Each must fail with an error
naming the key (or the upstream stack and key), before a single cloud resource is registered.
Upstream exports come from the real upstream programs, so a cross-layer row changes one real
value. Tests of a layer's config that are not one bad input (several problems reported at once,
values at the limit accepted) stay in that layer's `tests/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from streaming_shared.errors import ConfigError, UpstreamError
from streaming_tooling.testing import ProgramFailed, run_layer, upstream_exports

REGION = "eu-west-1"
Exports = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Row:
    layer: str
    case: str
    config: dict[str, Any]
    names: str
    """The config key the error lists (a ConfigError), or the upstream stack it names."""
    says: str
    stack: str = "dev"
    upstream: Callable[[Exports], None] | None = None
    region: str | None = None
    upstream_org: str | None = None
    error: type[Exception] = ConfigError


def drop(layer: str, key: str) -> Callable[[Exports], None]:
    return lambda exports: exports[layer].pop(key)


def drop_layer(layer: str) -> Callable[[Exports], None]:
    return lambda exports: exports.pop(layer)


def move_region(layer: str, region: str) -> Callable[[Exports], None]:
    return lambda exports: exports[layer].update(region=region)


def without_stage(stage: str) -> Callable[[Exports], None]:
    return lambda exports: exports["compute"]["function_names"].pop(stage)


def state_machine_name_for_its_arn(exports: Exports) -> None:
    exports["compute"]["state_machine_arn"] = exports["compute"]["state_machine_arn"].rsplit(":", 1)[-1]


def queue_in_another_region(exports: Exports) -> None:
    arn = exports["compute"]["dead_letter_queue_arn"]
    exports["compute"]["dead_letter_queue_arn"] = arn.replace(f":{REGION}:", ":us-east-2:")


def alarm(key: str, **tuning: Any) -> dict[str, Any]:
    return {"alarms": {key: tuning}}


NETWORK = "organization/streaming-network/dev"
DATA = "organization/streaming-data/dev"
COMPUTE = "organization/streaming-compute/dev"

ROWS = [
    # network
    Row("network", "public-cidr", {"vpcCidr": "8.8.0.0/16"}, "streaming-network:vpcCidr", "RFC 1918"),
    Row("network", "malformed-cidr", {"vpcCidr": "10.0.0.0/33"}, "streaming-network:vpcCidr", "IPv4 CIDR"),
    Row("network", "cidr-too-large-for-aws", {"vpcCidr": "10.0.0.0/8"}, "streaming-network:vpcCidr", "/16 to /24"),
    Row(
        "network",
        "cidr-too-small-for-subnets",
        {"vpcCidr": "10.0.0.0/24", "subnetPrefixLength": 25, "azCount": 3},
        "streaming-network:vpcCidr",
        "too small",
    ),
    Row(
        "network",
        "subnet-larger-than-vpc",
        {"vpcCidr": "10.0.0.0/24", "subnetPrefixLength": 20},
        "streaming-network:subnetPrefixLength",
        "larger than the VPC",
    ),
    Row("network", "zero-zones", {"azCount": 0}, "streaming-network:azCount", "greater than or equal to 1"),
    Row(
        "network", "more-zones-than-region", {"azCount": 4}, "streaming-network:azCount", "offers 3 availability zones"
    ),
    Row("network", "zones-not-a-number", {"azCount": "two"}, "streaming-network:azCount", "valid integer"),
    Row(
        "network",
        "unknown-endpoint-service",
        {"interfaceEndpoints": ["states", "kinesis"]},
        "streaming-network:interfaceEndpoints",
        "'kinesis' is not a known interface endpoint service",
    ),
    Row(
        "network",
        "s3-as-interface",
        {"interfaceEndpoints": ["s3"]},
        "streaming-network:interfaceEndpoints",
        "gateway endpoint",
    ),
    Row("network", "stack-name-with-capitals", {}, "stack name", "lowercase letters", stack="Prod_EU"),
    Row("network", "stack-name-too-long", {}, "stack name", "1-16 characters", stack="a-very-long-environment-name"),
    Row("network", "misspelt-key", {"azcount": 2}, "streaming-network:azcount", "is not a setting"),
    Row("network", "reserved-tag", {"tags": {"Environment": "x"}}, "streaming-network:tags", "reserved"),
    Row("network", "bad-org", {"org": "my org"}, "streaming-network:org", "organization name"),
    # data
    Row("data", "no-shards", {"streamShardCount": 0}, "streaming-data:streamShardCount", "greater than or equal to 1"),
    Row(
        "data",
        "shards-above-the-per-stream-limit",
        {"streamShardCount": 10001},
        "streaming-data:streamShardCount",
        "limit of 10,000 shards per stream",
    ),
    Row(
        "data",
        "shard-count-with-on-demand",
        {"streamMode": "ON_DEMAND", "streamShardCount": 2},
        "streaming-data:streamShardCount",
        "only for PROVISIONED streams",
    ),
    Row(
        "data",
        "retention-below-24-hours",
        {"streamRetentionHours": 23},
        "streaming-data:streamRetentionHours",
        "greater than or equal to 24",
    ),
    Row(
        "data",
        "retention-above-a-year",
        {"streamRetentionHours": 8761},
        "streaming-data:streamRetentionHours",
        "less than or equal to 8760",
    ),
    Row(
        "data",
        "unknown-stream-mode",
        {"streamMode": "SERVERLESS"},
        "streaming-data:streamMode",
        "'PROVISIONED' or 'ON_DEMAND'",
    ),
    Row(
        "data",
        "shard-metrics-all",
        {"streamShardLevelMetrics": ["ALL"]},
        "streaming-data:streamShardLevelMetrics",
        "'ALL' is not a Kinesis shard-level metric",
    ),
    Row(
        "data",
        "shard-metric-twice",
        {"streamShardLevelMetrics": ["IncomingBytes", "IncomingBytes"]},
        "streaming-data:streamShardLevelMetrics",
        "more than once",
    ),
    Row(
        "data",
        "unknown-billing-mode",
        {"tableBillingMode": "ON_DEMAND"},
        "streaming-data:tableBillingMode",
        "'PAY_PER_REQUEST' or 'PROVISIONED'",
    ),
    Row(
        "data",
        "zero-table-read-capacity",
        {"tableBillingMode": "PROVISIONED", "tableReadCapacity": {"min": 0}},
        "streaming-data:tableReadCapacity",
        "min = 0: must be a whole number of capacity units from 1 to 40,000",
    ),
    Row(
        "data",
        "zero-table-write-capacity",
        {"tableBillingMode": "PROVISIONED", "tableWriteCapacity": {"max": 0}},
        "streaming-data:tableWriteCapacity",
        "max = 0: must be a whole number",
    ),
    Row(
        "data",
        "zero-index-read-capacity",
        {"tableBillingMode": "PROVISIONED", "indexReadCapacity": {"min": 0}},
        "streaming-data:indexReadCapacity",
        "from 1 to 40,000",
    ),
    Row(
        "data",
        "index-write-capacity-not-a-number",
        {"tableBillingMode": "PROVISIONED", "indexWriteCapacity": {"max": "lots"}},
        "streaming-data:indexWriteCapacity",
        "max = 'lots': must be a whole number",
    ),
    Row(
        "data",
        "capacity-above-the-table-quota",
        {"tableBillingMode": "PROVISIONED", "tableReadCapacity": {"max": 40001}},
        "streaming-data:tableReadCapacity",
        "DynamoDB's default quota per table and index",
    ),
    Row(
        "data",
        "capacity-as-a-number",
        {"tableBillingMode": "PROVISIONED", "tableWriteCapacity": 500},
        "streaming-data:tableWriteCapacity",
        "must be a map such as {min: 5, max: 1000}",
    ),
    Row(
        "data",
        "capacity-with-an-unknown-bound",
        {"tableBillingMode": "PROVISIONED", "tableWriteCapacity": {"initial": 5}},
        "streaming-data:tableWriteCapacity",
        "'initial': only `min` and `max` are allowed",
    ),
    Row(
        "data",
        "capacity-minimum-above-maximum",
        {"tableBillingMode": "PROVISIONED", "indexWriteCapacity": {"min": 5000}},
        "streaming-data:indexWriteCapacity",
        "min (5,000) is above max (4,000)",
    ),
    Row(
        "data",
        "capacity-with-pay-per-request",
        {"tableWriteCapacity": {"max": 5}},
        "streaming-data:tableWriteCapacity",
        "only for PROVISIONED tables",
    ),
    Row(
        "data",
        "target-utilization-with-pay-per-request",
        {"tableTargetUtilization": 80},
        "streaming-data:tableTargetUtilization",
        "only for PROVISIONED tables",
    ),
    Row(
        "data",
        "target-utilization-above-what-auto-scaling-takes",
        {"tableBillingMode": "PROVISIONED", "tableTargetUtilization": 95},
        "streaming-data:tableTargetUtilization",
        "less than or equal to 90",
    ),
    Row(
        "data",
        "target-utilization-below-what-auto-scaling-takes",
        {"tableBillingMode": "PROVISIONED", "tableTargetUtilization": 10},
        "streaming-data:tableTargetUtilization",
        "greater than or equal to 20",
    ),
    Row(
        "data",
        "deletion-protection-not-a-boolean",
        {"tableDeletionProtection": "maybe"},
        "streaming-data:tableDeletionProtection",
        "valid boolean",
    ),
    Row(
        "data",
        "stream-key-not-a-boolean",
        {"streamCustomerManagedKey": "yes please"},
        "streaming-data:streamCustomerManagedKey",
        "valid boolean",
    ),
    Row(
        "data",
        "archive-key-not-a-boolean",
        {"archiveCustomerManagedKey": "maybe"},
        "streaming-data:archiveCustomerManagedKey",
        "valid boolean",
    ),
    Row(
        "data",
        "archive-retention-zero-days",
        {"archiveRetentionDays": 0},
        "streaming-data:archiveRetentionDays",
        "greater than or equal to 1",
    ),
    Row(
        "data",
        "unknown-transition-storage-class",
        {"archiveTransitionStorageClass": "GLACIER_FLEXIBLE"},
        "streaming-data:archiveTransitionStorageClass",
        "'STANDARD_IA', 'GLACIER_IR', 'GLACIER' or 'DEEP_ARCHIVE'",
    ),
    Row(
        "data",
        "infrequent-access-under-30-days",
        {"archiveTransitionStorageClass": "STANDARD_IA", "archiveTransitionDays": 10},
        "streaming-data:archiveTransitionDays",
        "must be at least 30 for STANDARD_IA",
    ),
    Row(
        "data",
        "transition-days-negative",
        {"archiveTransitionDays": -1},
        "streaming-data:archiveTransitionDays",
        "greater than or equal to 0",
    ),
    Row(
        "data",
        "archive-expires-before-it-transitions",
        {"archiveTransitionStorageClass": "GLACIER", "archiveTransitionDays": 90, "archiveRetentionDays": 60},
        "streaming-data:archiveRetentionDays",
        "must be more than archiveTransitionDays (90)",
    ),
    Row(
        "data",
        "transition-minimum-object-size-negative",
        {"archiveTransitionMinObjectKb": -128},
        "streaming-data:archiveTransitionMinObjectKb",
        "greater than or equal to 0",
    ),
    Row(
        "data",
        "quarantine-kept-zero-days",
        {"quarantineRetentionDays": 0},
        "streaming-data:quarantineRetentionDays",
        "greater than or equal to 1",
    ),
    Row(
        "data",
        "quarantine-kept-beyond-ten-years",
        {"quarantineRetentionDays": 3651},
        "streaming-data:quarantineRetentionDays",
        "less than or equal to 3650",
    ),
    Row(
        "data",
        "access-logs-not-a-boolean",
        {"archiveAccessLogs": "sometimes"},
        "streaming-data:archiveAccessLogs",
        "valid boolean",
    ),
    Row(
        "data",
        "access-logs-kept-zero-days",
        {"accessLogRetentionDays": 0},
        "streaming-data:accessLogRetentionDays",
        "greater than or equal to 1",
    ),
    Row(
        "data",
        "access-log-bucket-name-unknown-placeholder",
        {"accessLogBucketName": "logs-{project}"},
        "streaming-data:accessLogBucketName",
        "unknown placeholder(s) {project}",
    ),
    Row(
        "data",
        "access-log-bucket-name-with-capitals",
        {"archiveAccessLogs": True, "accessLogBucketName": "Logs_{environment}"},
        "streaming-data:accessLogBucketName",
        "makes the s3 bucket name 'Logs_dev'",
    ),
    Row(
        "data",
        "noncurrent-versions-kept-zero-days",
        {"archiveNoncurrentDays": 0},
        "streaming-data:archiveNoncurrentDays",
        "greater than or equal to 1",
    ),
    Row(
        "data",
        "bucket-name-with-capitals-and-underscore",
        {"archiveBucketName": "Archive_{environment}"},
        "streaming-data:archiveBucketName",
        "makes the s3 bucket name 'Archive_dev'",
    ),
    Row(
        "data",
        "bucket-name-too-long-once-the-environment-is-folded-in",
        {"archiveBucketName": "acme-streaming-pipeline-processed-records-archive-{environment}"},
        "streaming-data:archiveBucketName",
        "makes the s3 bucket name 'acme-streaming-pipeline-processed-records-archive-integration-test'",
        stack="integration-test",
    ),
    Row(
        "data",
        "bucket-name-with-reserved-prefix",
        {"archiveBucketName": "sthree-{environment}-archive"},
        "streaming-data:archiveBucketName",
        "prefix or suffix S3 reserves",
    ),
    Row(
        "data",
        "bucket-name-unknown-placeholder",
        {"archiveBucketName": "archive-{stack}"},
        "streaming-data:archiveBucketName",
        "unknown placeholder(s) {stack}",
    ),
    Row("data", "misspelt-key", {"streamshardcount": 2}, "streaming-data:streamshardcount", "is not a setting"),
    Row("data", "stack-name-with-capitals", {}, "stack name", "lowercase letters", stack="Prod"),
    # compute
    Row("compute", "batch-size-zero", {"batchSize": 0}, "streaming-compute:batchSize", "greater than or equal to 1"),
    Row(
        "compute",
        "batch-size-too-large",
        {"batchSize": 10001},
        "streaming-compute:batchSize",
        "less than or equal to 10000",
    ),
    Row("compute", "batch-size-not-a-number", {"batchSize": "lots"}, "streaming-compute:batchSize", "valid integer"),
    Row(
        "compute",
        "parallel-zero",
        {"parallelizationFactor": 0},
        "streaming-compute:parallelizationFactor",
        "greater than or equal to 1",
    ),
    Row(
        "compute",
        "parallel-11",
        {"parallelizationFactor": 11},
        "streaming-compute:parallelizationFactor",
        "less than or equal to 10",
    ),
    Row(
        "compute",
        "batching-window-too-long",
        {"maximumBatchingWindowSeconds": 301},
        "streaming-compute:maximumBatchingWindowSeconds",
        "less than or equal to 300",
    ),
    Row(
        "compute",
        "batching-window-negative",
        {"maximumBatchingWindowSeconds": -1},
        "streaming-compute:maximumBatchingWindowSeconds",
        "greater than or equal to 0",
    ),
    Row(
        "compute",
        "memory-too-small",
        {"memoryMb": {"transform": 64}},
        "streaming-compute:memoryMb",
        "transform = 64: must be a whole number of MB from 128 to 10240",
    ),
    Row(
        "compute",
        "memory-too-large",
        {"memoryMb": {"archive": 10241}},
        "streaming-compute:memoryMb",
        "archive = 10241: must be a whole number of MB from 128 to 10240",
    ),
    Row(
        "compute",
        "memory-for-an-unknown-stage",
        {"memoryMb": {"transfrom": 256}},
        "streaming-compute:memoryMb",
        "'transfrom' is not a stage; the stages are ingest, transform, validate, enrich, archive",
    ),
    Row(
        "compute",
        "timeout-zero",
        {"timeoutSeconds": {"validate": 0}},
        "streaming-compute:timeoutSeconds",
        "validate = 0: must be a whole number of seconds from 1 to 900",
    ),
    Row(
        "compute",
        "timeout-over-lambda-limit",
        {"timeoutSeconds": {"ingest": 901}},
        "streaming-compute:timeoutSeconds",
        "ingest = 901: must be a whole number of seconds from 1 to 900",
    ),
    Row(
        "compute",
        "ingest-timeout-shorter-than-the-express-run",
        {"timeoutSeconds": {"ingest": 60}},
        "streaming-compute:timeoutSeconds",
        "ingest = 60: ingest waits for the synchronous Express run (up to 300 s) and needs 30 s of its own; "
        "use at least 330",
    ),
    Row(
        "compute",
        "step-timeout-beyond-the-express-limit",
        {"timeoutSeconds": {"enrich": 301, "archive": 600}},
        "streaming-compute:timeoutSeconds",
        "enrich = 301, archive = 600: these stages run inside the Express state machine, "
        "which stops every execution after 300 s; use at most 300",
    ),
    Row(
        "compute",
        "negative-reserved-concurrency",
        {"reservedConcurrency": {"ingest": -1}},
        "streaming-compute:reservedConcurrency",
        "ingest = -1: must be a whole number >= 0",
    ),
    Row(
        "compute",
        "reserved-bad-stage",
        {"reservedConcurrency": {"all": 5}},
        "streaming-compute:reservedConcurrency",
        "'all' is not a stage",
    ),
    Row(
        "compute",
        "old-runtime",
        {"runtime": "python3.9"},
        "streaming-compute:runtime",
        "is not a supported runtime; use one of python3.12, python3.13, python3.14",
    ),
    Row(
        "compute",
        "runtime-of-another-language",
        {"runtime": "nodejs22.x"},
        "streaming-compute:runtime",
        "is not a supported runtime",
    ),
    Row(
        "compute",
        "unknown-architecture",
        {"architecture": "arm"},
        "streaming-compute:architecture",
        "'arm64' or 'x86_64'",
    ),
    Row(
        "compute",
        "retention-cloudwatch-rejects",
        {"logRetentionDays": 10},
        "streaming-compute:logRetentionDays",
        "is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90",
    ),
    Row(
        "compute",
        "no-retention",
        {"logRetentionDays": 0},
        "streaming-compute:logRetentionDays",
        "is not a retention CloudWatch Logs accepts",
    ),
    Row(
        "compute",
        "retention-not-a-number",
        {"logRetentionDays": "forever"},
        "streaming-compute:logRetentionDays",
        "is not a retention CloudWatch Logs accepts",
    ),
    Row(
        "compute",
        "log-level",
        {"logLevel": "TRACE"},
        "streaming-compute:logLevel",
        "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'",
    ),
    Row(
        "compute",
        "state-logs-off",
        {"stateMachineLogLevel": "OFF"},
        "streaming-compute:stateMachineLogLevel",
        "'ALL', 'ERROR' or 'FATAL'",
    ),
    Row(
        "compute",
        "unknown-starting-position",
        {"startingPosition": "EARLIEST"},
        "streaming-compute:startingPosition",
        "'TRIM_HORIZON', 'LATEST' or 'AT_TIMESTAMP'",
    ),
    Row(
        "compute",
        "at-timestamp-without-timestamp",
        {"startingPosition": "AT_TIMESTAMP"},
        "streaming-compute:startingPositionTimestamp",
        "is required when startingPosition is AT_TIMESTAMP",
    ),
    Row(
        "compute",
        "timestamp-without-at-timestamp",
        {"startingPositionTimestamp": "2026-01-31T12:00:00Z"},
        "streaming-compute:startingPositionTimestamp",
        "only applies with startingPosition AT_TIMESTAMP, not TRIM_HORIZON",
    ),
    Row(
        "compute",
        "timestamp-not-a-time",
        {"startingPosition": "AT_TIMESTAMP", "startingPositionTimestamp": "yesterday"},
        "streaming-compute:startingPositionTimestamp",
        "is not an RFC 3339 time",
    ),
    Row(
        "compute",
        "timestamp-without-offset",
        {"startingPosition": "AT_TIMESTAMP", "startingPositionTimestamp": "2026-01-31T12:00:00"},
        "streaming-compute:startingPositionTimestamp",
        "needs a date, a time and an offset",
    ),
    Row(
        "compute",
        "infinite-retries",
        {"maximumRetryAttempts": -1},
        "streaming-compute:maximumRetryAttempts",
        "greater than or equal to 0",
    ),
    Row(
        "compute",
        "too-many-retries",
        {"maximumRetryAttempts": 10001},
        "streaming-compute:maximumRetryAttempts",
        "less than or equal to 10000",
    ),
    Row(
        "compute",
        "infinite-record-age",
        {"maximumRecordAgeSeconds": -1},
        "streaming-compute:maximumRecordAgeSeconds",
        "greater than or equal to 60",
    ),
    Row(
        "compute",
        "record-age-over-a-week",
        {"maximumRecordAgeSeconds": 604801},
        "streaming-compute:maximumRecordAgeSeconds",
        "less than or equal to 604800",
    ),
    Row(
        "compute",
        "dlq-retention-over-sqs-limit",
        {"deadLetterRetentionDays": 15},
        "streaming-compute:deadLetterRetentionDays",
        "less than or equal to 14",
    ),
    Row(
        "compute",
        "dlq-retention-zero",
        {"deadLetterRetentionDays": 0},
        "streaming-compute:deadLetterRetentionDays",
        "greater than or equal to 1",
    ),
    Row(
        "compute",
        "record-ttl-zero",
        {"recordTtlDays": 0},
        "streaming-compute:recordTtlDays",
        "greater than or equal to 1",
    ),
    Row(
        "compute",
        "payload-at-the-step-functions-limit",
        {"maxPayloadBytes": 262144},
        "streaming-compute:maxPayloadBytes",
        "less than or equal to 240000",
    ),
    Row(
        "compute",
        "payload-below-what-ingest-accepts",
        {"maxPayloadBytes": 4095},
        "streaming-compute:maxPayloadBytes",
        "greater than or equal to 4096",
    ),
    Row(
        "compute",
        "bisect-not-a-bool",
        {"bisectBatchOnError": "maybe"},
        "streaming-compute:bisectBatchOnError",
        "valid boolean",
    ),
    Row(
        "compute",
        "misspelt-key",
        {"batchsize": 10},
        "streaming-compute:batchsize",
        "is not a setting of streaming-compute",
    ),
    # observability
    Row(
        "observability",
        "email-no-at",
        {"alarmEmails": ["oncall.example.com"]},
        "streaming-observability:alarmEmails",
        "not an e-mail address",
    ),
    Row(
        "observability",
        "email-no-domain",
        {"alarmEmails": ["a@b"]},
        "streaming-observability:alarmEmails",
        "not an e-mail address",
    ),
    Row(
        "observability",
        "email-with-space",
        {"alarmEmails": ["on call@example.com"]},
        "streaming-observability:alarmEmails",
        "not an e-mail address",
    ),
    Row(
        "observability",
        "email-twice",
        {"alarmEmails": ["oncall@example.com", "OnCall@example.com"]},
        "streaming-observability:alarmEmails",
        "more than once",
    ),
    Row(
        "observability",
        "emails-not-a-list",
        {"alarmEmails": "oncall@example.com"},
        "streaming-observability:alarmEmails",
        "valid list",
    ),
    Row(
        "observability",
        "plain-http",
        {"alarmHttpsEndpoint": "http://hooks.example.com/sns"},
        "streaming-observability:alarmHttpsEndpoint",
        "https://",
    ),
    Row(
        "observability",
        "https-no-host",
        {"alarmHttpsEndpoint": "https://"},
        "streaming-observability:alarmHttpsEndpoint",
        "with a host",
    ),
    Row(
        "observability",
        "zero-threshold",
        {"alarms": {"deadLetterQueueDepth": {"threshold": 0}}},
        "streaming-observability:alarms['deadLetterQueueDepth']['threshold']",
        "must be positive",
    ),
    Row(
        "observability",
        "negative-threshold",
        {"alarms": {"streamIteratorAge": {"threshold": -5}}},
        "streaming-observability:alarms['streamIteratorAge']['threshold']",
        "must be positive",
    ),
    Row(
        "observability",
        "zero-period",
        {"alarms": {"functionErrors": {"periodSeconds": 0}}},
        "streaming-observability:alarms['functionErrors']['periodSeconds']",
        "positive number of seconds",
    ),
    Row(
        "observability",
        "negative-period",
        {"alarms": {"functionErrors": {"periodSeconds": -60}}},
        "streaming-observability:alarms['functionErrors']['periodSeconds']",
        "positive number of seconds",
    ),
    Row(
        "observability",
        "period-not-accepted",
        {"alarms": {"tableThrottled": {"periodSeconds": 45}}},
        "streaming-observability:alarms['tableThrottled']['periodSeconds']",
        "not a period CloudWatch accepts",
    ),
    Row(
        "observability",
        "high-resolution-period-on-minute-metrics",
        {"alarms": {"tableThrottled": {"periodSeconds": 30}}},
        "streaming-observability:alarms['tableThrottled']['periodSeconds']",
        "high-resolution",
    ),
    Row(
        "observability",
        "zero-evaluation-periods",
        {"alarms": {"stateMachineFailed": {"evaluationPeriods": 0, "datapointsToAlarm": 0}}},
        "streaming-observability:alarms['stateMachineFailed']['evaluationPeriods']",
        "at least 1",
    ),
    Row(
        "observability",
        "more-datapoints-than-periods",
        {"alarms": {"streamIteratorAge": {"evaluationPeriods": 2}}},
        "streaming-observability:alarms['streamIteratorAge']",
        "datapointsToAlarm (3) cannot exceed evaluationPeriods (2)",
    ),
    Row(
        "observability",
        "window-longer-than-a-day",
        {"alarms": {"ingestIteratorAge": {"evaluationPeriods": 1441, "datapointsToAlarm": 1}}},
        "streaming-observability:alarms['ingestIteratorAge']",
        "at most 86400 s",
    ),
    Row(
        "observability",
        "threshold-not-a-number",
        {"alarms": {"functionErrors": {"threshold": "many"}}},
        "streaming-observability:alarms['functionErrors']['threshold']",
        "valid number",
    ),
    Row(
        "observability",
        "misspelt-tuning-key",
        {"alarms": {"functionErrors": {"thresold": 2}}},
        "streaming-observability:alarms['functionErrors']['thresold']",
        "Extra inputs",
    ),
    Row(
        "observability",
        "unknown-alarm",
        {"alarms": {"lambdaErrors": {"threshold": 2}}},
        "streaming-observability:alarms",
        "not an alarm",
    ),
    Row(
        "observability",
        "unknown-operation",
        {"tableOperations": ["PutItem", "Putitem"]},
        "streaming-observability:tableOperations",
        "'Putitem' is not",
    ),
    Row(
        "observability",
        "operation-twice",
        {"tableOperations": ["PutItem", "PutItem"]},
        "streaming-observability:tableOperations",
        "more than once",
    ),
    Row(
        "observability",
        "no-operations",
        {"tableOperations": []},
        "streaming-observability:tableOperations",
        "at least one",
    ),
    Row(
        "observability",
        "too-many-operations",
        {
            "tableOperations": [
                "GetItem",
                "PutItem",
                "UpdateItem",
                "DeleteItem",
                "Query",
                "Scan",
                "BatchGetItem",
                "BatchWriteItem",
                "TransactGetItems",
                "TransactWriteItems",
                "ExecuteStatement",
            ]
        },
        "streaming-observability:tableOperations",
        "at most 10 metrics",
    ),
    Row(
        "observability",
        "misspelt-key",
        {"alarmEmail": ["oncall@example.com"]},
        "streaming-observability:alarmEmail",
        "is not a setting",
    ),
    Row(
        "network",
        "subnet-prefix-out-of-range",
        {"subnetPrefixLength": 29},
        "streaming-network:subnetPrefixLength",
        "less than or equal to 28",
    ),
    Row(
        "network",
        "route-table-flag-not-a-boolean",
        {"routeTablePerSubnet": "maybe"},
        "streaming-network:routeTablePerSubnet",
        "valid boolean",
    ),
    Row("network", "no-region", {}, "aws:region", "is required", region=""),
    Row(
        "data",
        "shard-count-not-a-number",
        {"streamShardCount": "many"},
        "streaming-data:streamShardCount",
        "valid integer",
    ),
    Row(
        "observability",
        "tags-not-a-map",
        {"tags": ["team", "data"]},
        "streaming-observability:tags",
        "valid dictionary",
    ),
    # the keys that limit what a stack may do and log (permissions boundary, flow logs, logs)
    Row(
        "network",
        "boundary-not-a-policy-name",
        {"permissionsBoundary": "my boundary"},
        "streaming-network:permissionsBoundary",
        "must be an IAM policy name",
    ),
    Row(
        "compute",
        "boundary-arn-of-another-service",
        {"permissionsBoundary": "arn:aws:s3:::streaming-pipeline-permissions-boundary"},
        "streaming-compute:permissionsBoundary",
        "a policy ARN (arn:aws:iam::<account>:policy/<name>), true or false",
    ),
    Row("network", "flow-logs-not-a-boolean", {"flowLogs": "maybe"}, "streaming-network:flowLogs", "valid boolean"),
    Row(
        "network",
        "flow-log-retention-cloudwatch-rejects",
        {"flowLogRetentionDays": 10},
        "streaming-network:flowLogRetentionDays",
        "is not a retention CloudWatch Logs accepts",
    ),
    Row(
        "compute",
        "execution-data-not-a-boolean",
        {"stateMachineExecutionData": "maybe"},
        "streaming-compute:stateMachineExecutionData",
        "valid boolean",
    ),
    Row(
        "compute",
        "logs-key-not-a-boolean",
        {"logsCustomerManagedKey": "maybe"},
        "streaming-compute:logsCustomerManagedKey",
        "valid boolean",
    ),
    Row(
        "compute",
        "state-machine-logs-all-on-a-stack-that-is-not-disposable",
        {"stateMachineLogLevel": "ALL"},
        "streaming-compute:stateMachineLogLevel",
        "on stack 'prod', which is not disposable, use ERROR or FATAL",
        stack="prod",
    ),
    Row(
        "observability",
        "https-endpoint-in-plain-text",
        {"alarmHttpsEndpoint": "https://events.example.com/sns/routing-key"},
        "streaming-observability:alarmHttpsEndpoint",
        "must be stored encrypted, not in plain text: set it with `pulumi config set --secret alarmHttpsEndpoint",
    ),
    # across layers
    *(
        Row(
            "compute",
            f"missing-network-export-{key}",
            {},
            NETWORK,
            f"does not export {key!r}",
            upstream=drop("network", key),
            error=UpstreamError,
        )
        for key in ("private_subnet_ids", "lambda_security_group_id")
    ),
    *(
        Row(
            "compute",
            f"missing-data-export-{key}",
            {},
            DATA,
            f"does not export {key!r}",
            upstream=drop("data", key),
            error=UpstreamError,
        )
        for key in ("stream_arn", "table_name", "table_arn", "archive_bucket_name", "archive_bucket_arn")
    ),
    Row(
        "compute", "undeployed-data-stack", {}, DATA, "has no outputs", upstream=drop_layer("data"), error=UpstreamError
    ),
    Row(
        "compute",
        "undeployed-stack-names-the-deploy-command",
        {},
        DATA,
        "nox -s deploy -- data --stack dev",
        upstream=drop_layer("data"),
        error=UpstreamError,
    ),
    Row(
        "compute",
        "upstream-in-another-region",
        {},
        DATA,
        "is in region 'us-west-2'",
        upstream=move_region("data", "us-west-2"),
        error=UpstreamError,
    ),
    Row(
        "compute",
        "wrong-organization",
        {"org": "acme"},
        "acme/streaming-network/dev",
        "has no outputs",
        upstream_org="organization",
        error=UpstreamError,
    ),
    Row(
        "observability",
        "function-names-without-a-stage",
        {},
        COMPUTE,
        "stage(s) archive",
        upstream=without_stage("archive"),
        error=UpstreamError,
    ),
    Row(
        "observability",
        "state-machine-name-for-its-arn",
        {},
        COMPUTE,
        "not a states ARN",
        upstream=state_machine_name_for_its_arn,
        error=UpstreamError,
    ),
    Row(
        "observability",
        "queue-in-another-region",
        {},
        COMPUTE,
        "us-east-2",
        upstream=queue_in_another_region,
        error=UpstreamError,
    ),
    Row(
        "observability",
        "upstream-in-another-region",
        {},
        DATA,
        "is in region 'us-east-2'",
        upstream=move_region("data", "us-east-2"),
        error=UpstreamError,
    ),
    Row(
        "observability",
        "undeployed-compute-stack",
        {},
        COMPUTE,
        "has no outputs",
        upstream=drop_layer("compute"),
        error=UpstreamError,
    ),
]


def test_the_table_covers_every_layer():
    assert {row.layer for row in ROWS} == {"network", "data", "compute", "observability"}


def test_each_row_appears_once():
    cases = [(row.layer, row.case) for row in ROWS]
    assert len(cases) == len(set(cases))
    inputs = [
        (row.layer, repr(row.config), row.stack, row.region, row.upstream_org, row.case if row.upstream else "")
        for row in ROWS
    ]
    assert len(inputs) == len(set(inputs))


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.layer}-{row.case}" for row in ROWS])
def test_bad_input_fails_early_with_a_clear_error_naming_the_key(row: Row):
    exports = upstream_exports(row.layer, region=REGION)
    if row.upstream:
        row.upstream(exports)
    with pytest.raises(ProgramFailed) as failure:
        run_layer(
            row.layer,
            stack=row.stack,
            region=REGION if row.region is None else row.region,
            config=row.config,
            upstream=exports,
            upstream_org=row.upstream_org,
        )
    error = failure.value.error
    assert isinstance(error, row.error), repr(error)
    message = str(error)
    assert row.names in message and row.says in message, message
    if isinstance(error, ConfigError):
        assert row.names in error.keys, error.keys
    assert failure.value.run.cloud_resources == []
