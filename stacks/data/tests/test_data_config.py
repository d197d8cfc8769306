"""Bad data-layer configuration fails before any resource is registered, naming the key."""

from __future__ import annotations

import pytest

from streaming_shared.errors import ConfigError
from streaming_tooling.testing import ProgramFailed, run_layer

LONG_TEMPLATE = "acme-streaming-pipeline-processed-records-archive-{environment}"  # 50 characters + the stack name

BAD_CONFIG = [
    # Kinesis
    pytest.param(
        {"streamShardCount": 0}, "dev", "streaming-data:streamShardCount", "greater than or equal to 1", id="no-shards"
    ),
    pytest.param(
        {"streamShardCount": 10_001},
        "dev",
        "streaming-data:streamShardCount",
        "limit of 10,000 shards per stream",
        id="shards-above-the-per-stream-limit",
    ),
    pytest.param(
        {"streamMode": "ON_DEMAND", "streamShardCount": 2},
        "dev",
        "streaming-data:streamShardCount",
        "only for PROVISIONED streams",
        id="shard-count-with-on-demand",
    ),
    pytest.param(
        {"streamRetentionHours": 23},
        "dev",
        "streaming-data:streamRetentionHours",
        "greater than or equal to 24",
        id="retention-below-24-hours",
    ),
    pytest.param(
        {"streamRetentionHours": 8761},
        "dev",
        "streaming-data:streamRetentionHours",
        "less than or equal to 8760",
        id="retention-above-a-year",
    ),
    pytest.param(
        {"streamMode": "SERVERLESS"},
        "dev",
        "streaming-data:streamMode",
        "'PROVISIONED' or 'ON_DEMAND'",
        id="unknown-stream-mode",
    ),
    pytest.param(
        {"streamShardLevelMetrics": ["ALL"]},
        "dev",
        "streaming-data:streamShardLevelMetrics",
        "'ALL' is not a Kinesis shard-level metric",
        id="shard-metrics-all",
    ),
    pytest.param(
        {"streamShardLevelMetrics": ["IncomingBytes", "IncomingBytes"]},
        "dev",
        "streaming-data:streamShardLevelMetrics",
        "more than once",
        id="shard-metric-twice",
    ),
    # DynamoDB
    pytest.param(
        {"tableBillingMode": "ON_DEMAND"},
        "dev",
        "streaming-data:tableBillingMode",
        "'PAY_PER_REQUEST' or 'PROVISIONED'",
        id="unknown-billing-mode",
    ),
    pytest.param(
        {"tableBillingMode": "PROVISIONED", "tableReadCapacity": 0, "tableWriteCapacity": 5},
        "dev",
        "streaming-data:tableReadCapacity",
        "greater than or equal to 1",
        id="zero-table-read-capacity",
    ),
    pytest.param(
        {"tableBillingMode": "PROVISIONED", "tableReadCapacity": 5, "tableWriteCapacity": 0},
        "dev",
        "streaming-data:tableWriteCapacity",
        "greater than or equal to 1",
        id="zero-table-write-capacity",
    ),
    pytest.param(
        {"tableBillingMode": "PROVISIONED", "tableReadCapacity": 5, "tableWriteCapacity": 5, "indexReadCapacity": 0},
        "dev",
        "streaming-data:indexReadCapacity",
        "greater than or equal to 1",
        id="zero-index-read-capacity",
    ),
    pytest.param(
        {"tableBillingMode": "PROVISIONED", "tableReadCapacity": 5, "tableWriteCapacity": 5, "indexWriteCapacity": 0},
        "dev",
        "streaming-data:indexWriteCapacity",
        "greater than or equal to 1",
        id="zero-index-write-capacity",
    ),
    pytest.param(
        {"tableBillingMode": "PROVISIONED", "tableReadCapacity": 40_001, "tableWriteCapacity": 5},
        "dev",
        "streaming-data:tableReadCapacity",
        "quota of 40,000 capacity units",
        id="capacity-above-the-table-quota",
    ),
    pytest.param(
        {"tableBillingMode": "PROVISIONED", "tableWriteCapacity": 5},
        "dev",
        "streaming-data:tableReadCapacity",
        "required when tableBillingMode is PROVISIONED",
        id="provisioned-without-read-capacity",
    ),
    pytest.param(
        {"tableWriteCapacity": 5},
        "dev",
        "streaming-data:tableWriteCapacity",
        "only for PROVISIONED tables",
        id="capacity-with-pay-per-request",
    ),
    pytest.param(
        {"tableDeletionProtection": "maybe"},
        "dev",
        "streaming-data:tableDeletionProtection",
        "valid boolean",
        id="deletion-protection-not-a-boolean",
    ),
    # S3
    pytest.param(
        {"archiveInfrequentAccessDays": 10},
        "dev",
        "streaming-data:archiveInfrequentAccessDays",
        "greater than or equal to 30",
        id="infrequent-access-under-30-days",
    ),
    pytest.param(
        {"archiveInfrequentAccessDays": 90, "archiveGlacierDays": 60},
        "dev",
        "streaming-data:archiveGlacierDays",
        "must be at least 120",
        id="glacier-before-infrequent-access",
    ),
    pytest.param(
        {"archiveGlacierDays": 45},
        "dev",
        "streaming-data:archiveGlacierDays",
        "stay there 30 days",
        id="glacier-too-soon-after-infrequent-access",
    ),
    pytest.param(
        {"archiveNoncurrentDays": 0},
        "dev",
        "streaming-data:archiveNoncurrentDays",
        "greater than or equal to 1",
        id="noncurrent-versions-kept-zero-days",
    ),
    pytest.param(
        {"archiveBucketName": "Archive_{environment}"},
        "dev",
        "streaming-data:archiveBucketName",
        "makes the s3 bucket name 'Archive_dev'",
        id="bucket-name-with-capitals-and-underscore",
    ),
    pytest.param(
        {"archiveBucketName": LONG_TEMPLATE},
        "integration-test",
        "streaming-data:archiveBucketName",
        "makes the s3 bucket name 'acme-streaming-pipeline-processed-records-archive-integration-test'",
        id="bucket-name-too-long-once-the-environment-is-folded-in",
    ),
    pytest.param(
        {"archiveBucketName": "sthree-{environment}-archive"},
        "dev",
        "streaming-data:archiveBucketName",
        "prefix or suffix S3 reserves",
        id="bucket-name-with-reserved-prefix",
    ),
    pytest.param(
        {"archiveBucketName": "archive-{stack}"},
        "dev",
        "streaming-data:archiveBucketName",
        "unknown placeholder(s) {stack}",
        id="bucket-name-unknown-placeholder",
    ),
    # Common keys
    pytest.param(
        {"streamshardcount": 2}, "dev", "streaming-data:streamshardcount", "is not a setting", id="misspelt-key"
    ),
    pytest.param({}, "Prod", "stack name", "lowercase letters", id="stack-name-with-capitals"),
]


@pytest.mark.parametrize(("config", "stack", "key", "reason"), BAD_CONFIG)
def test_bad_config_fails_early_naming_the_key(config, stack, key, reason):
    with pytest.raises(ProgramFailed) as failure:
        run_layer("data", stack=stack, config=config)
    assert isinstance(failure.value.error, ConfigError)
    assert key in failure.value.error.keys
    assert reason in str(failure.value)
    assert failure.value.run.cloud_resources == []


def test_the_long_bucket_name_template_is_fine_for_a_short_stack_name():
    run = run_layer("data", stack="dev", config={"archiveBucketName": LONG_TEMPLATE})
    assert run.exports["archive_bucket_name"] == "acme-streaming-pipeline-processed-records-archive-dev"


def test_a_default_bucket_name_too_long_for_s3_names_the_stack_name():
    with pytest.raises(ProgramFailed) as failure:
        run_layer("data", stack="integration-test", region="ap-southeastsoutheast-1")
    assert failure.value.error.keys == ["stack name"]
    assert "3-63 lowercase letters" in str(failure.value)
    assert failure.value.run.cloud_resources == []


def test_every_problem_is_reported_at_once():
    with pytest.raises(ProgramFailed) as failure:
        run_layer(
            "data",
            config={
                "streamMode": "ON_DEMAND",
                "streamShardCount": 4,
                "tableBillingMode": "PROVISIONED",
                "archiveGlacierDays": 31,
            },
        )
    assert sorted(failure.value.error.keys) == [
        "streaming-data:archiveGlacierDays",
        "streaming-data:streamShardCount",
        "streaming-data:tableReadCapacity",
        "streaming-data:tableWriteCapacity",
    ]
    assert failure.value.run.cloud_resources == []
