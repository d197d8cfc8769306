"""The offline harness itself: resolved data back, failures kept, deprecations found."""

from __future__ import annotations

from pathlib import Path

import pytest

from streaming_tooling.testing import (
    ProgramFailed,
    deprecated_uses,
    run_chain,
    run_layer,
    run_program,
    upstream_exports,
)

PROGRAMS = Path(__file__).parent / "programs"


@pytest.fixture(scope="module")
def deprecated_run():
    return run_program(PROGRAMS / "deprecated", project="probe")


def test_deprecated_argument_passed_as_keyword_is_reported(deprecated_run):
    uses = [(u.name, u.path) for u in deprecated_run.deprecations]
    assert ("keyword-acl", "acl") in uses


def test_a_deprecated_argument_is_reported_however_it_is_passed(deprecated_run):
    uses = {(u.name, u.path) for u in deprecated_run.deprecations}
    assert {("keyword-acl", "acl"), ("args-acl", "acl")} <= uses


def test_pulumi_aws_signals_a_deprecated_type_and_an_args_class_but_not_a_keyword_or_a_nested_dict(deprecated_run):
    """Why aws_types reads the getters' markers: pulumi-aws's own warnings (it logs the same text
    it passes to `warnings.warn`) name the deprecated type and the argument given through its Args
    class, and nothing for `acl` as a keyword or `hash_key` in a nested input type."""
    logged = [message for message in deprecated_run.warnings() if "is deprecated" in message]
    assert logged == [
        "acl is deprecated: acl is deprecated. Use the s3.BucketAcl resource instead.",
        "BucketV2 is deprecated: s3.BucketV2 has been deprecated in favor of s3.Bucket",
    ]


def test_deprecated_argument_in_a_nested_input_type_is_reported(deprecated_run):
    uses = {(u.name, u.path) for u in deprecated_run.deprecations}
    assert ("nested-gsi-keys", "global_secondary_indexes[0].hash_key") in uses


def test_deprecated_resource_type_is_reported(deprecated_run):
    [use] = [u for u in deprecated_run.deprecations if u.name == "old-bucket-type"]
    assert use.path == "" and "deprecated in favor of s3.Bucket" in use.message


def test_current_resources_and_arguments_are_not_reported(deprecated_run):
    assert "current" not in {u.name for u in deprecated_run.deprecations}
    assert "nested-gsi-keys" in {u.name for u in deprecated_run.deprecations}
    assert ("nested-gsi-keys", "hash_key") not in {(u.name, u.path) for u in deprecated_run.deprecations}


def test_deprecation_markers_come_from_the_installed_package():
    [use] = deprecated_uses("aws:cloudwatch/eventRule:EventRule", "rule", {"isEnabled": True})
    assert use.path == "is_enabled" and "Use state instead" in use.message
    assert deprecated_uses("aws:cloudwatch/eventRule:EventRule", "rule", {"state": "ENABLED"}) == []


def test_resources_come_back_resolved_with_parent_provider_and_dependencies():
    run = run_layer("network")
    vpc = run.one("aws:ec2/vpc:Vpc")
    subnet = run.of_type("aws:ec2/subnet:Subnet")[0]
    assert run.by_urn(vpc.parent).type == "streaming:network:PrivateNetwork"
    assert run.by_urn(vpc.provider).type == "pulumi:providers:aws"
    assert subnet.inputs["vpcId"] == vpc.id and vpc.id.startswith("vpc-")
    assert vpc.urn in subnet.property_dependencies["vpcId"]
    assert run.depends_on(subnet, vpc) and not run.depends_on(vpc, subnet)


def test_a_failing_program_keeps_its_error_and_what_it_registered():
    with pytest.raises(ProgramFailed) as failure:
        run_layer("network", config={"azCount": 6})
    assert "azCount" in str(failure.value)
    assert failure.value.run.cloud_resources == []
    assert [r.type for r in failure.value.run.resources] == ["pulumi:providers:aws"]


def test_runs_do_not_leak_into_each_other():
    """Config, region, registrations and exports of one run are not seen by the next."""
    first = run_layer("network", region="eu-west-1", config={"azCount": 3, "vpcCidr": "10.30.0.0/16"})
    second = run_layer("network", region="eu-west-2")
    assert (second.exports["availability_zones"], second.exports["vpc_cidr"]) == (
        ["eu-west-2a", "eu-west-2b"],
        "10.20.0.0/16",
    )
    assert len(second.of_type("aws:ec2/subnet:Subnet")) == 2
    assert first.exports["availability_zones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert len(first.of_type("aws:ec2/subnet:Subnet")) == 3


def test_an_invoke_the_fake_cloud_does_not_know_is_an_error_not_an_empty_answer(tmp_path):
    (tmp_path / "__main__.py").write_text("import pulumi_aws as aws\naws.ec2.get_vpc(default=True)\n")
    with pytest.raises(ProgramFailed, match="no answer for invoke aws:ec2/getVpc:getVpc"):
        run_program(tmp_path, project="probe")


def test_chain_feeds_each_layers_exports_to_its_dependents():
    runs = run_chain(["compute"], stack="prod")
    assert list(runs) == ["network", "data", "compute"]
    for upstream in ("network", "data"):
        reference = runs["compute"].one("pulumi:pulumi:StackReference", f"organization/streaming-{upstream}/prod")
        assert reference.outputs["outputs"] == runs[upstream].exports


def test_upstream_exports_are_the_real_upstream_programs_exports():
    exports = upstream_exports("observability", region="eu-west-1")
    runs = run_chain(["data", "compute"], region="eu-west-1")
    assert exports == {"data": runs["data"].exports, "compute": runs["compute"].exports}
    exports["data"]["stream_name"] = "changed by a test"
    assert upstream_exports("observability", region="eu-west-1")["data"] == runs["data"].exports
