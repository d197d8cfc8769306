"""Pulumi's `protect` on what holds data (stream, table, bucket, KMS keys), per kind of stack."""

from __future__ import annotations

import pytest

from streaming_shared.catalogue import repo_root
from streaming_tooling.deploy import cli
from streaming_tooling.testing import ProgramRun, run_layer

WITH_KEYS = {"streamCustomerManagedKey": True, "archiveCustomerManagedKey": True}
DATA_HOLDERS = {
    ("aws:kinesis/stream:Stream", "stream"),
    ("aws:dynamodb/table:Table", "state"),
    ("aws:s3/bucket:Bucket", "archive"),
    ("aws:kms/key:Key", "stream-key"),
    ("aws:kms/key:Key", "archive-key"),
}


LOG_BUCKET = ("aws:s3/bucket:Bucket", "archive-logs")


def protected(run: ProgramRun) -> set[tuple[str, str]]:
    return {(resource.type, resource.name) for resource in run.cloud_resources if resource.protect}


@pytest.mark.parametrize(
    ("stack", "config", "protects"),
    [
        ("local", {}, False),
        ("dev", {}, False),
        ("dev-alice", {}, False),
        ("ci-42", {}, False),
        ("prod", {}, True),
        ("staging", {}, True),
        ("development", {}, True),
        ("prod-eu", {"disposable": True}, False),
        ("dev", {"disposable": False}, True),
    ],
)
def test_the_data_holders_are_protected_exactly_on_stacks_that_are_not_disposable(stack, config, protects):
    run = run_layer("data", stack=stack, config={**WITH_KEYS, **config})
    assert {(r.type, r.name) for r in run.cloud_resources} >= DATA_HOLDERS
    assert protected(run) == (
        DATA_HOLDERS | {LOG_BUCKET, ("aws:kms/alias:Alias", "stream-key"), ("aws:kms/alias:Alias", "archive-key")}
        if protects
        else set()
    )


def test_marking_a_stack_disposable_also_relaxes_deletion_protection_and_force_destroy():
    run = run_layer("data", stack="prod", config={"disposable": True})
    assert run.one("aws:dynamodb/table:Table").inputs["deletionProtectionEnabled"] is False
    assert {bucket.inputs["forceDestroy"] for bucket in run.of_type("aws:s3/bucket:Bucket")} == {True}


def test_the_bucket_settings_around_it_stay_unprotected_so_they_can_change():
    run = run_layer("data", stack="prod")
    assert not any(
        lifecycle.protect
        for lifecycle in run.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    )
    assert not any(resource.retain_on_delete for resource in run.cloud_resources)


def test_destroy_all_explains_how_to_unprotect_on_purpose_before_it_asks():
    said: list[str] = []
    prompts: list[str] = []

    def refuse(prompt: str) -> str:
        prompts.append(prompt)
        return "no"

    code = cli.main(
        ["destroy-all", "--stack", "dev"],
        root=repo_root(),
        gateway_factory=lambda args, root, say: None,  # never reached: not confirmed
        say=said.append,
        ask=refuse,
    )
    assert code == 1 and prompts
    hint = said[0]
    assert "`streaming-data:disposable: true` in stacks/data/Pulumi.dev.yaml" in hint
    assert "`nox -s deploy -- data --stack dev`" in hint
    assert "`pulumi state unprotect --all --yes --stack dev` in stacks/data" in hint
    # the key the hint names is a real setting of the data layer
    run = run_layer("data", stack="prod", config={"disposable": True})
    assert not protected(run)
