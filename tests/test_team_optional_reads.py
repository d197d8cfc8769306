"""An upstream's config change that adds exports a reader reads optionally, followed from the pull
request to the deploy: the data team turns on customer-managed keys in `stacks/data/Pulumi.dev.yaml`,
so data exports `stream_kms_key_arn` and `archive_kms_key_arn`, which compute reads when they are
there (its roles then get `kms:Decrypt` and `kms:GenerateDataKey` on them).

In a copy of this repository with the change committed: `affected` names compute with the reason,
the plan of stack dev passes (its stream-key rule sees the new compute), the deploy guard lets
data deploy and names compute among the readers to redeploy, and refuses to drop the keys again
while compute reads them. The deployed stacks are the plans' exports, behind the Automation
boundary only. Slow: `affected` runs the plan of stack dev at the base and in the work tree."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from streaming_shared.catalogue import DATA
from streaming_tooling.affected import affected
from streaming_tooling.deploy import cli
from streaming_tooling.deploy.contract import DeployGuard, planned_exports
from streaming_tooling.deploy.orchestrator import DeployError
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.testing.git_repository import BASE_TAG, append, commit_all

from .test_contract import DeployedStacks

pytestmark = pytest.mark.slow

STACK = "dev"
KEYS = "  streaming-data:streamCustomerManagedKey: true\n  streaming-data:archiveCustomerManagedKey: true\n"


@pytest.fixture(scope="module")
def keys_on(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy of the repository with the data team's change committed on top of `base`."""
    repo = tmp_path_factory.mktemp("keys-on") / "repo"
    shutil.copytree(template, repo, symlinks=True)
    append(repo, "stacks/data/Pulumi.dev.yaml", KEYS)
    commit_all(repo, "data: customer-managed keys on dev")
    return repo


@pytest.fixture(scope="module")
def before(template: Path) -> dict[str, dict[str, Any]]:
    """What the deployed dev stacks hold: the exports of the plan at the base."""
    plan = build_plan(STACK, root=template)
    assert plan.problems == []
    return {name: dict(run.exports) for name, run in plan.runs.items()}


@pytest.fixture(scope="module")
def after(keys_on: Path) -> dict[str, dict[str, Any]]:
    plan = build_plan(STACK, root=keys_on)
    assert plan.problems == []  # the plan passes, its stream-key rule included
    return {name: dict(run.exports) for name, run in plan.runs.items()}


def test_affected_names_compute_because_data_now_exports_what_it_reads_optionally(keys_on):
    found = affected(keys_on, BASE_TAG)
    assert found.as_json() == {
        "layers": ["data", "compute"],
        "reasons": {
            "data": ["stacks/data/Pulumi.dev.yaml changed"],
            "compute": [
                "stacks/data/Pulumi.dev.yaml changes what it reads from streaming-data: "
                "adds stream_kms_key_arn (read optionally); adds archive_kms_key_arn (read optionally)"
            ],
        },
    }


def test_the_plan_exports_the_keys_and_compute_lists_them_as_optional_reads(before, after):
    assert {"stream_kms_key_arn", "archive_kms_key_arn"} <= set(after["data"])
    assert not {"stream_kms_key_arn", "archive_kms_key_arn"} & set(before["data"])
    reads = after["compute"]["contract_reads"]["streaming-data"]
    assert reads["stream_kms_key_arn"] == {"shape": "string", "optional": True}


def test_the_deploy_of_data_passes_the_guard_and_names_compute_among_the_readers_to_redeploy(keys_on, before, after):
    gateway = DeployedStacks(before, after_up={"data": after["data"]})
    said: list[str] = []
    code = cli.main(
        ["deploy", "data", "--stack", STACK],
        root=keys_on,
        gateway_factory=lambda args, root, say: gateway,
        say=said.append,
    )
    assert code == 0, said
    assert gateway.calls == [("preview", "data"), ("up", "data")]
    assert said[-1].splitlines()[1:] == [
        "  streaming-compute (stack 'dev') reads archive_kms_key_arn, stream_kms_key_arn from streaming-data, "
        "which changed: redeploy it with `nox -s deploy -- compute --stack dev`"
    ]


def test_dropping_the_keys_again_is_refused_while_the_deployed_compute_reads_them(template, after):
    """The data team turns the keys off again (the base's stack file): the deployed compute reads them."""
    deployed = DeployedStacks(after)
    with pytest.raises(DeployError) as refused:
        DeployGuard(deployed, STACK, plan=planned_exports(template)).check([DATA])
    assert str(refused.value).splitlines() == [
        "refusing to deploy: stack 'dev' of streaming-compute reads 'archive_kms_key_arn' from streaming-data "
        "(optionally), which is no longer exported by the new version",
        "  stack 'dev' of streaming-compute reads 'stream_kms_key_arn' from streaming-data (optionally), which is "
        "no longer exported by the new version",
        "Deploy the reader with a version that no longer reads it first, or pass --allow-contract-break.",
    ]
