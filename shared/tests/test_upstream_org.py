"""The upstream stacks are read from the running stack's organization unless `org` says otherwise."""

from __future__ import annotations

import pytest

from streaming_shared.errors import UpstreamError
from streaming_tooling.testing import ProgramFailed, run_layer, run_program

from .test_upstream import NETWORK_EXPORTS, READER


def reference_name(organization: str, config: dict[str, str], outputs_under: str) -> str:
    run = run_program(
        READER,
        project="streaming-compute",
        stack="dev",
        region="eu-west-1",
        config=config,
        organization=organization,
        stack_outputs={f"{outputs_under}/streaming-network/dev": NETWORK_EXPORTS},
    )
    return str(run.one("pulumi:pulumi:StackReference").inputs["name"])


def test_on_pulumi_cloud_the_default_is_the_running_stacks_organization():
    assert reference_name("acme", {}, "acme") == "acme/streaming-network/dev"


def test_on_the_file_backend_the_default_is_organization():
    assert reference_name("organization", {}, "organization") == "organization/streaming-network/dev"


def test_org_reads_the_upstream_of_another_organization():
    assert reference_name("acme", {"org": "platform"}, "platform") == "platform/streaming-network/dev"


def test_the_shipped_dev_stacks_read_their_own_organization_on_pulumi_cloud():
    network = run_layer("network", organization="acme")
    data = run_layer("data", organization="acme")
    compute = run_layer("compute", organization="acme", upstream={"network": network.exports, "data": data.exports})
    names = sorted(ref.inputs["name"] for ref in compute.of_type("pulumi:pulumi:StackReference"))
    assert names == ["acme/streaming-data/dev", "acme/streaming-network/dev"]
    with pytest.raises(ProgramFailed) as failure:
        run_layer("compute", organization="acme", upstream_org="organization", upstream={"network": network.exports})
    assert isinstance(failure.value.error, UpstreamError)
    assert "acme/streaming-network/dev has no outputs" in str(failure.value)
