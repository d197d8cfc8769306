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
                "tableWriteCapacity": {"min": 50, "max": 10},
                "archiveTransitionStorageClass": "STANDARD_IA",
                "archiveTransitionDays": 10,
            },
        )
    assert sorted(failure.value.error.keys) == [
        "streaming-data:archiveTransitionDays",
        "streaming-data:streamShardCount",
        "streaming-data:tableWriteCapacity",
    ]
    assert failure.value.run.cloud_resources == []


def test_capacity_ranges_at_the_quota_and_a_fixed_capacity_are_accepted():
    config = {
        "tableBillingMode": "PROVISIONED",
        "tableWriteCapacity": {"min": 40_000, "max": 40_000},
        "indexReadCapacity": {"min": 1, "max": 1},
        "tableTargetUtilization": 90,
    }
    run = run_layer("data", config=config)
    assert {
        (t.inputs["minCapacity"], t.inputs["maxCapacity"])
        for t in run.of_type("aws:appautoscaling/target:Target")
        if t.inputs["scalableDimension"] in ("dynamodb:table:WriteCapacityUnits", "dynamodb:index:ReadCapacityUnits")
    } == {(40_000, 40_000), (1, 1)}


def test_retention_just_past_the_transition_is_accepted():
    config = {"archiveTransitionStorageClass": "GLACIER_IR", "archiveTransitionDays": 0, "archiveRetentionDays": 1}
    rules = {
        r["id"]: r
        for r in run_layer("data", config=config)
        .one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        .inputs["rules"]
    }
    assert rules["transition-archived-records"]["transitions"] == [{"days": 0, "storageClass": "GLACIER_IR"}]
    assert rules["expire-archived-records"]["expiration"] == {"days": 1}
