"""Reading upstream exports: complete, in the same region, or a clear error before any resource."""

from __future__ import annotations

from pathlib import Path

import pytest

from streaming_shared.catalogue import COMPUTE
from streaming_shared.errors import UpstreamError
from streaming_tooling.testing import ProgramFailed, run_program

READER = Path(__file__).parent / "programs" / "reader"
NETWORK_EXPORTS = {
    "region": "eu-west-1",
    "private_subnet_ids": ["subnet-1", "subnet-2"],
    "lambda_security_group_id": "sg-1",
    "vpc_endpoint_ids": {"s3": "vpce-1"},
}


def read(outputs, *, stack="dev", org=None, region="eu-west-1"):
    config = {"org": org} if org else {}
    reference = f"{org or 'organization'}/streaming-network/{stack}"
    return run_program(
        READER,
        project="streaming-compute",
        stack=stack,
        region=region,
        config=config,
        stack_outputs={reference: outputs} if outputs is not None else {},
    )


def test_exports_are_read_from_the_fully_qualified_stack_reference():
    run = read(NETWORK_EXPORTS, stack="prod", org="acme")
    reference = run.one("pulumi:pulumi:StackReference")
    assert reference.inputs["name"] == "acme/streaming-network/prod"
    assert run.exports["subnets"] == ["subnet-1", "subnet-2"]


def test_a_missing_upstream_stack_names_it_and_the_command_that_deploys_it():
    with pytest.raises(ProgramFailed) as failure:
        read(None)
    assert isinstance(failure.value.error, UpstreamError)
    message = str(failure.value)
    assert "organization/streaming-network/dev has no outputs" in message
    assert "nox -s deploy -- network --stack dev" in message
    assert failure.value.run.cloud_resources == []


def test_a_missing_export_names_the_stack_and_the_key():
    incomplete = {key: value for key, value in NETWORK_EXPORTS.items() if key != "lambda_security_group_id"}
    with pytest.raises(ProgramFailed) as failure:
        read(incomplete)
    assert "organization/streaming-network/dev does not export 'lambda_security_group_id'" in str(failure.value)
    assert "streaming-compute" in str(failure.value)
    assert failure.value.run.cloud_resources == []


def test_an_upstream_in_another_region_is_refused():
    with pytest.raises(ProgramFailed) as failure:
        read(NETWORK_EXPORTS, region="eu-central-1")
    message = str(failure.value)
    assert "is in region 'eu-west-1'" in message and "aws:region is 'eu-central-1'" in message
    assert failure.value.run.cloud_resources == []


def test_known_gives_the_plain_value_read_before_any_resource():
    run = read(NETWORK_EXPORTS)
    assert run.exports["subnet_count"] == 2


OPTIONAL_READER = Path(__file__).parent / "programs" / "optional_reader"
DATA_EXPORTS = {
    "region": "eu-west-1",
    "stream_name": "streaming-dev-events",
    "stream_arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/streaming-dev-events",
    "table_name": "streaming-dev-state",
    "table_arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/streaming-dev-state",
    "archive_bucket_name": "streaming-dev-archive",
    "archive_bucket_arn": "arn:aws:s3:::streaming-dev-archive",
}
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def read_optional(outputs, key=None):
    return run_program(
        OPTIONAL_READER,
        project="streaming-compute",
        region="eu-west-1",
        config={"exportName": key} if key else {},
        stack_outputs={"organization/streaming-data/dev": outputs},
    )


def test_an_optional_export_that_is_there_is_read_with_its_value():
    run = read_optional({**DATA_EXPORTS, "stream_kms_key_arn": KEY_ARN})
    assert (run.exports["key_state"], run.exports["key_arn"]) == ("present", KEY_ARN)


def test_an_optional_export_that_is_not_there_is_none_before_anything_is_registered():
    run = read_optional(DATA_EXPORTS)
    assert run.exports == {"key_state": "absent"}
    assert run.cloud_resources == []


def test_a_null_optional_export_counts_as_absent():
    assert read_optional({**DATA_EXPORTS, "stream_kms_key_arn": None}).exports == {"key_state": "absent"}


def test_a_declared_read_is_not_optional():
    with pytest.raises(ProgramFailed) as failure:
        read_optional(DATA_EXPORTS, key="stream_arn")
    assert "'stream_arn' is a declared read of streaming-compute; use require('stream_arn')" in str(failure.value)


def test_an_optional_read_must_be_declared_by_the_upstream_layer():
    with pytest.raises(ProgramFailed) as failure:
        read_optional(DATA_EXPORTS, key="stream_kms_key")
    assert "streaming-data does not declare 'stream_kms_key' as an optional export" in str(failure.value)


def test_an_optional_read_must_be_declared_by_the_consumer():
    declared = COMPUTE.optional_reads
    object.__setattr__(COMPUTE, "optional_reads", {"data": ("archive_kms_key_arn",)})  # the catalogue is frozen
    try:
        with pytest.raises(ProgramFailed) as failure:
            read_optional({**DATA_EXPORTS, "stream_kms_key_arn": KEY_ARN})
    finally:
        object.__setattr__(COMPUTE, "optional_reads", declared)
    assert "add it to the consumer's `optional_reads`" in str(failure.value)
