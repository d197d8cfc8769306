"""`deploy-changed` without `--base`: each layer compared with the version its stack runs, as each
deploy records it (the update message in the stack's history), so CI catches up after a failed,
cancelled or skipped deploy. Real commits in a copy of this repository; the deployed stacks are
the real plan's exports behind the Automation boundary only (`DeployedStacks`)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streaming_shared.catalogue import LAYERS
from streaming_tooling.deploy import cli
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.deploy.versions import Update, Version, stack_version, version_of
from streaming_tooling.git import git
from streaming_tooling.testing.git_repository import BASE_TAG, append, commit_all

from .test_contract import DeployedStacks

STACK = "dev"
CODE = "\nCHANGED = True\n"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def planned() -> dict[str, dict[str, Any]]:
    plan = build_plan(STACK)
    assert plan.problems == []
    return {name: dict(run.exports) for name, run in plan.runs.items()}


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTOR", raising=False)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def recorded(commit: str, *, result: str = "succeeded", message: str | None = None) -> list[Update]:
    """A stack's history whose last update deployed `commit` from a clean tree."""
    text = Version(commit, True, "tests").message() if message is None else message
    return [Update("update", result, text, T0, T0 + timedelta(minutes=3))]


def everything_at(commit: str, **history: list[Update]) -> dict[str, list[Update]]:
    return {name: history.get(name, recorded(commit)) for name in LAYERS}


def deploy_changed(repo: Path, gateway: DeployedStacks, *options: str) -> tuple[int, str]:
    said: list[str] = []
    code = cli.main(
        ["deploy-changed", "--stack", STACK, *options],
        root=repo,
        gateway_factory=lambda args, root, say: gateway,
        say=said.append,
    )
    return code, "\n".join(said)


def summary_of(text: str) -> dict[str, str]:
    """Each layer's line of the run's summary: `status  detail`."""
    lines = text.split(f"up of stack '{STACK}':\n", 1)[1].splitlines()
    return {line.split()[0]: " ".join(line.split()[1:]) for line in lines if line.startswith("  ")}


def test_a_stack_never_deployed_is_deployed_and_each_up_records_the_commit(repo, planned):
    gateway = DeployedStacks({}, after_up=planned)
    code, text = deploy_changed(repo, gateway)
    assert code == 0, text
    assert [name for op, name in gateway.calls if op == "up"] == ["network", "data", "compute", "observability"]
    for item in LAYERS.values():
        deployed = gateway.deployed(item, STACK)
        assert deployed is not None and deployed.version == Version(head(repo), True, "tests"), item.name
    assert "[compute] behind its stack's version: stack 'dev' of streaming-compute has no outputs" in text


def test_layers_whose_stacks_run_this_commit_are_current_and_nothing_is_deployed(repo, planned):
    gateway = DeployedStacks(planned, history=everything_at(head(repo)))
    code, text = deploy_changed(repo, gateway)
    assert (code, gateway.calls) == (0, [])
    short = head(repo)[:12]
    assert summary_of(text)["data"] == (f"current it runs {short}; nothing it is built from or reads changed since")


def test_a_failed_deploy_is_retried_by_the_next_merge_that_does_not_touch_the_layer(repo, planned):
    append(repo, "stacks/data/data_layer/table.py", CODE)
    failed = commit_all(repo, "data change, whose deploy failed")
    append(repo, "docs/history.md", "A later merge, of documentation only.\n")
    commit_all(repo, "docs")
    history = everything_at(
        head(repo),
        data=[
            *recorded(git(repo, "rev-parse", BASE_TAG).strip()),
            *[Update("update", "failed", Version(failed, True, "tests").message(), T0 + timedelta(hours=1))],
        ],
    )
    gateway = DeployedStacks(planned, after_up=planned, history=history)
    code, text = deploy_changed(repo, gateway)
    assert code == 0, text
    assert gateway.calls == [("preview", "data"), ("up", "data")]
    assert "[data] behind its stack's version: its last update failed" in text


def test_a_change_since_the_commit_a_stack_runs_is_deployed_though_the_last_push_did_not_touch_it(repo, planned):
    base = head(repo)
    append(repo, "stacks/observability/observability_layer/alarms.py", CODE)
    commit_all(repo, "observability change, whose deploy was cancelled while it waited")
    append(repo, "docs/history.md", "A later merge.\n")
    commit_all(repo, "docs")
    gateway = DeployedStacks(planned, history=everything_at(head(repo), observability=recorded(base)))
    code, text = deploy_changed(repo, gateway)
    assert code == 0, text
    assert gateway.calls == [("preview", "observability"), ("up", "observability")]
    assert (
        "[observability] behind its stack's version: stacks/observability/observability_layer/alarms.py changed "
        f"since {base[:12]}"
    ) in text


def test_a_reader_holding_values_its_upstream_no_longer_exports_is_deployed(repo, planned):
    """Data was deployed with a new stream after compute's last deploy (compute's job was cancelled,
    or skipped): compute's state still holds the old stream ARN."""
    deployed = {name: planned[name] for name in ("network", "data", "compute")}
    gateway = DeployedStacks(deployed, history=everything_at(head(repo)))
    gateway.stacks["data"] = {**planned["data"], "stream_arn": planned["data"]["stream_arn"] + "-2"}
    code, text = deploy_changed(repo, gateway, "--layer", "compute")
    assert code == 0, text
    assert gateway.calls == [("preview", "compute"), ("up", "compute")]
    assert "[compute] behind its stack's version: reads stream_arn from streaming-data, which changed" in text


def test_dependents_of_a_failed_layer_are_skipped_at_every_depth(repo, planned):
    gateway = DeployedStacks({}, after_up=planned, failing=("network",))
    code, text = deploy_changed(repo, gateway)
    assert code == 1
    assert summary_of(text) == {
        "network": "failed error: network failed halfway",
        "data": "succeeded 1 update",
        "compute": "skipped upstream network did not succeed",
        "observability": "skipped upstream compute did not succeed",
    }


def test_a_stack_that_runs_a_newer_commit_is_left_alone(repo, planned):
    older = head(repo)
    append(repo, "stacks/compute/compute_layer/iam.py", CODE)
    newer = commit_all(repo, "compute change, deployed by a later run")
    git(repo, "checkout", "--quiet", older)
    gateway = DeployedStacks(planned, history=everything_at(older, compute=recorded(newer)))
    code, text = deploy_changed(repo, gateway)
    assert (code, gateway.calls) == (0, [])
    assert (
        summary_of(text)["compute"] == f"current it runs {newer[:12]}, which already holds this commit ({older[:12]})"
    )


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("", "its last update recorded no commit (a `pulumi up` outside the deploy sessions)"),
        (Version("f" * 40, True, "tests").message(), "it runs ffffffffffff, which this clone does not have"),
        ("dirty", "with uncommitted changes"),
    ],
    ids=["by-hand", "unknown-commit", "dirty-tree"],
)
def test_a_stack_whose_version_is_unknown_is_deployed(repo, planned, message, reason):
    if message == "dirty":
        message = Version(head(repo), False, "tests").message()
    gateway = DeployedStacks(planned, history=everything_at(head(repo), observability=recorded("", message=message)))
    code, text = deploy_changed(repo, gateway)
    assert code == 0, text
    assert gateway.calls == [("preview", "observability"), ("up", "observability")]
    assert reason in text


def test_layer_limits_the_run_to_the_layers_named(repo, planned):
    gateway = DeployedStacks(planned, after_up=planned)
    code, text = deploy_changed(repo, gateway, "--layer", "observability")
    assert code == 0, text
    assert gateway.calls == [("preview", "observability"), ("up", "observability")]
    assert list(summary_of(text)) == ["observability"]


# -- what a deploy records, and how it is read back ------------------------------------------------


def test_the_update_message_names_the_commit_the_tree_and_who_and_reads_back():
    version = Version("0123456789abcdef0123456789abcdef01234567", False, "octo cat")
    assert version.message() == "deploy of 0123456789abcdef0123456789abcdef01234567 (dirty tree) by octo cat"
    assert Version.from_message(version.message()) == version
    assert Version.from_message("Update by hand") is None


def test_the_stack_runs_what_its_last_successful_update_recorded_and_says_how_the_newest_ended():
    old, new = Version("a" * 40, True, "ci"), Version("b" * 40, True, "ci")
    history = [
        Update("update", "succeeded", old.message(), T0, T0 + timedelta(minutes=2)),
        Update("refresh", "succeeded", "", T0 + timedelta(hours=1)),
        Update("update", "failed", new.message(), T0 + timedelta(hours=2)),
    ]
    deployed = stack_version(history)
    assert deployed is not None
    assert (deployed.version, deployed.deployed_at, deployed.last_result) == (old, T0 + timedelta(minutes=2), "failed")


def test_a_stack_destroyed_since_its_last_deploy_runs_nothing():
    version = Version("a" * 40, True, "ci")
    history = [
        Update("update", "succeeded", version.message(), T0),
        Update("destroy", "succeeded", "", T0 + timedelta(days=1)),
    ]
    assert stack_version(history) is None
    assert stack_version([]) is None


def test_the_version_of_a_work_tree_is_its_head_whether_it_is_clean_and_who_deploys(repo, monkeypatch):
    assert version_of(repo, {}) == Version(head(repo), True, "tests")
    append(repo, "docs/scratch.md", "not committed\n")
    assert version_of(repo, {"GITHUB_ACTOR": "octocat"}) == Version(head(repo), False, "octocat")


def test_a_tree_outside_git_has_no_version(tmp_path):
    assert version_of(tmp_path, {}) is None


def test_a_tree_outside_git_is_refused_for_a_stack_that_is_not_disposable_unless_allow_dirty(repo, planned):
    shutil.rmtree(repo / ".git")
    gateway = DeployedStacks({}, after_up=planned)
    said: list[str] = []

    def deploy(*options: str) -> int:
        argv = ["deploy", "network", "--stack", "prod", *options]
        return cli.main(argv, root=repo, gateway_factory=lambda args, root, say: gateway, say=said.append)

    assert (deploy(), gateway.calls) == (1, [])
    assert said[-1] == (
        f"refusing to deploy to stack 'prod' from {repo}, which is not a git work tree: what a stack that is not "
        "disposable runs must be a commit others can read; deploy from a clone, or pass --allow-dirty."
    )
    assert deploy("--allow-dirty") == 0, "\n".join(said)
    assert gateway.calls == [("preview", "network"), ("up", "network")]
    assert gateway.deployed(LAYERS["network"], "prod").version is None  # type: ignore[union-attr]


def test_the_catch_up_needs_a_git_work_tree(tmp_path, planned):
    for item in LAYERS.values():
        (tmp_path / item.folder).mkdir(parents=True)
        (tmp_path / item.folder / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    code, text = deploy_changed(tmp_path, DeployedStacks(planned))
    assert code == 1
    assert text == (
        f"{tmp_path} is not a git work tree: deploy-changed compares each layer with the commit its stack runs; "
        "deploy from a clone, or name the layers (`nox -s deploy -- <layer>`)"
    )
