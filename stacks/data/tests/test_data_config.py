"""Data-layer configuration beyond single bad values (those are rows of tests/test_bad_input_config.py)."""

from __future__ import annotations

import pytest

from streaming_tooling.testing import ProgramFailed, run_layer

LONG_TEMPLATE = "acme-streaming-pipeline-processed-records-archive-{environment}"  # 50 characters + the stack name


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
