"""The one customer-managed key helper the data and observability layers share."""

from __future__ import annotations

import pytest

from streaming_shared.errors import ConfigError
from streaming_tooling.testing import ProgramFailed, run_program

PROGRAM = """
import pulumi
from streaming_shared.keys import customer_managed_key

customer_managed_key(
    "probe-key",
    description="probe",
    alias={alias!r},
    source="stack name",
    opts=pulumi.ResourceOptions(),
    {extra}
)
"""


def run_probe(tmp_path, alias="streaming-dev-probe", extra=""):
    (tmp_path / "__main__.py").write_text(PROGRAM.format(alias=alias, extra=extra))
    return run_program(tmp_path, project="probe")


def test_a_key_rotates_yearly_keeps_the_longest_deletion_window_and_gets_its_alias(tmp_path):
    run = run_probe(tmp_path)
    key, alias = run.one("aws:kms/key:Key"), run.one("aws:kms/alias:Alias")
    assert (key.inputs["enableKeyRotation"], key.inputs["deletionWindowInDays"]) == (True, 30)
    assert "policy" not in key.inputs
    assert (alias.inputs["name"], alias.inputs["targetKeyId"]) == ("alias/streaming-dev-probe", key.outputs["keyId"])


def test_the_deletion_window_and_the_key_policy_are_parameters(tmp_path):
    run = run_probe(tmp_path, extra='deletion_window_days=7, policy=\'{"Version": "2012-10-17"}\',')
    key = run.one("aws:kms/key:Key")
    assert (key.inputs["deletionWindowInDays"], key.inputs["policy"]) == (7, '{"Version": "2012-10-17"}')


def test_an_alias_kms_would_refuse_names_its_source(tmp_path):
    with pytest.raises(ProgramFailed) as failure:
        run_probe(tmp_path, alias="aws/not-ours")
    assert isinstance(failure.value.error, ConfigError) and "stack name" in str(failure.value)
    assert failure.value.run.cloud_resources == []
