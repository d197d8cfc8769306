"""Physical names respect the limits AWS applies to each kind of resource."""

from __future__ import annotations

import pytest

from streaming_shared.errors import ConfigError
from streaming_shared.naming import NameKind, Namer, check_name, region_code


def test_names_are_prefixed_with_product_and_environment():
    assert Namer("dev").name("ingest", kind=NameKind.LAMBDA_FUNCTION) == "streaming-dev-ingest"


def test_a_name_over_the_limit_names_its_source_and_the_rule():
    with pytest.raises(ConfigError) as error:
        Namer("dev", source="streaming-compute:functionSuffix").name("x" * 60, kind=NameKind.LAMBDA_FUNCTION)
    assert error.value.keys == ["streaming-compute:functionSuffix"]
    assert "at most 64" in str(error.value)


@pytest.mark.parametrize(
    "bucket",
    [
        "Upper-case",
        "ab",
        "a" * 64,
        "-starts-with-hyphen",
        "ends-with-hyphen-",
        "two..dots",
        "192.168.1.1",
        "xn--punycode",
        "name-s3alias",
        "under_score",
    ],
)
def test_s3_bucket_rules(bucket):
    with pytest.raises(ConfigError, match="bucket"):
        check_name(bucket, NameKind.S3_BUCKET, source="streaming-data:archiveBucketName")


@pytest.mark.parametrize("bucket", ["abc", "streaming-dev-archive-123456789012", "a.b-c", "a" * 63])
def test_valid_bucket_names(bucket):
    assert check_name(bucket, NameKind.S3_BUCKET, source="x") == bucket


def test_iam_role_limit_is_64():
    assert check_name("r" * 64, NameKind.IAM_ROLE, source="x")
    with pytest.raises(ConfigError):
        check_name("r" * 65, NameKind.IAM_ROLE, source="x")


def test_log_group_names_follow_the_aws_service_convention():
    assert Namer("dev").log_group("lambda", "streaming-dev-ingest") == "/aws/lambda/streaming-dev-ingest"


def test_longest_environment_fits_every_name_the_layers_build():
    namer = Namer("x" * 16, region="ap-southeast-2")
    assert namer.name("transform", "function", kind=NameKind.IAM_ROLE)
    assert Namer("x" * 16, region="us-gov-west-1").name("transform", "function", kind=NameKind.IAM_ROLE)
    assert namer.name("archive", "123456789012", "ap-southeast-2", kind=NameKind.S3_BUCKET)
    assert namer.name("ingest", "failures", kind=NameKind.SQS_QUEUE)


@pytest.mark.parametrize(
    ("region", "code"),
    [
        ("eu-west-1", "euw1"),
        ("eu-central-2", "euc2"),
        ("us-east-1", "use1"),
        ("ap-southeast-2", "apse2"),
        ("ap-south-2", "aps2"),
        ("ap-northeast-3", "apne3"),
        ("ca-west-1", "caw1"),
        ("us-gov-west-1", "usgovw1"),
        ("us-iso-east-1", "usisoe1"),
        ("us-isob-east-1", "usisobe1"),
        ("cn-northwest-1", "cnnw1"),
    ],
)
def test_region_codes_are_short_and_tell_regions_apart(region, code):
    assert region_code(region) == code


def test_account_global_names_carry_the_region_code_and_regional_names_do_not():
    namer = Namer("dev", region="eu-west-1")
    assert namer.name("ingest", "function", kind=NameKind.IAM_ROLE) == "streaming-dev-euw1-ingest-function"
    assert namer.name("pipeline", kind=NameKind.CLOUDWATCH_DASHBOARD) == "streaming-dev-euw1-pipeline"
    assert namer.name("ingest", kind=NameKind.LAMBDA_FUNCTION) == "streaming-dev-ingest"
    assert namer.name("dependencies") == "streaming-dev-dependencies"


def test_an_account_global_name_without_a_region_is_refused():
    with pytest.raises(ValueError, match="unique per account"):
        Namer("dev").name("ingest", "function", kind=NameKind.IAM_ROLE)
