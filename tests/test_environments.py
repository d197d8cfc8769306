"""Environments: the dirty-tree refusal on a stack that is not disposable, `status` (one test per field)
and `promote`. Real commits in a copy of this repository with a `prod` stack file; the deployed stacks
are the real plan's exports behind the Automation boundary only (`DeployedStacks`, one per stack)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streaming_shared.catalogue import LAYERS, Layer
from streaming_tooling.deploy import cli
from streaming_tooling.deploy.orchestrator import Operation, Outcome
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.deploy.promote import chosen
from streaming_tooling.deploy.status import FIELDS
from streaming_tooling.deploy.tree_plan import (
    ENVIRONMENT_LOCK,
    ENVIRONMENTS,
    PROGRAMS_LOCK,
    CannotPlan,
    commit_tree,
    environment_key,
    program_environments,
)
from streaming_tooling.deploy.versions import StackVersion, Update, Version
from streaming_tooling.git import git
from streaming_tooling.testing.git_repository import append, commit_all

from .test_contract import DeployedStacks, without

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def planned() -> dict[str, dict[str, Any]]:
    plan = build_plan("dev")
    assert plan.problems == []
    return {name: dict(run.exports) for name, run in plan.runs.items()}


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTOR", raising=False)


def with_prod(repo: Path) -> Path:
    """The copy with a `prod` stack file per layer (dev's settings under the name of a stack that is
    not disposable), committed on main."""
    for item in LAYERS.values():
        folder = repo / item.folder
        shutil.copy(folder / "Pulumi.dev.yaml", folder / "Pulumi.prod.yaml")
    commit_all(repo, "prod stack files")
    return repo


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def recorded(commit: str, *, result: str = "succeeded", clean: bool = True, by: str = "tests") -> list[Update]:
    return [Update("update", result, Version(commit, clean, by).message(), T0, T0 + timedelta(minutes=3))]


def everything_at(commit: str, **history: list[Update]) -> dict[str, list[Update]]:
    return {name: history.get(name, recorded(commit)) for name in LAYERS}


class Environments:
    """The Automation API boundary over several stacks: each stack one `DeployedStacks`."""

    def __init__(self, **stacks: DeployedStacks) -> None:
        self.stacks = stacks
        self.calls: list[tuple[str, str, str]] = []

    def run(
        self,
        operation: Operation,
        layer: Layer,
        stack: str,
        on_output: Callable[[str], None],
        *,
        version: Version | None = None,
    ) -> Outcome:
        self.calls.append((operation.value, layer.name, stack))
        return self.stacks[stack].run(operation, layer, stack, on_output, version=version)

    def outputs(self, layer: Layer, stack: str) -> Mapping[str, Any] | None:
        return self.stacks[stack].outputs(layer, stack)

    def deployed(self, layer: Layer, stack: str) -> StackVersion | None:
        return self.stacks[stack].deployed(layer, stack)

    def reads(self, layer: Layer, stack: str) -> Mapping[str, Mapping[str, Any]]:
        return self.stacks[stack].reads(layer, stack)


def run_cli(repo: Path, gateway: Any, *argv: str) -> tuple[int, str]:
    said: list[str] = []
    code = cli.main(list(argv), root=repo, gateway_factory=lambda args, root, say: gateway, say=said.append)
    return code, "\n".join(said)


# -- item 1: a dirty tree is refused for a stack that is not disposable ---------------------------


def test_a_dirty_tree_is_refused_for_prod_unless_allow_dirty(repo, planned):
    with_prod(repo)
    append(repo, "docs/notes.md", "uncommitted\n")
    gateway = DeployedStacks({}, after_up=planned)
    code, text = run_cli(repo, gateway, "deploy", "network", "--stack", "prod")
    assert (code, gateway.calls) == (1, [])
    assert text.endswith(
        "refusing to deploy to stack 'prod' from a work tree with uncommitted changes (`git status` lists them): "
        "commit or stash them, or pass --allow-dirty."
    )
    code, text = run_cli(repo, gateway, "deploy", "network", "--stack", "prod", "--allow-dirty")
    assert code == 0, text
    assert gateway.deployed(LAYERS["network"], "prod").version == Version(head(repo), False, "tests")  # type: ignore[union-attr]


def test_a_dirty_tree_deploys_to_a_disposable_stack(repo, planned):
    append(repo, "docs/notes.md", "uncommitted\n")
    gateway = DeployedStacks({}, after_up=planned)
    code, text = run_cli(repo, gateway, "deploy", "network", "--stack", "dev")
    assert code == 0, text
    assert gateway.calls == [("preview", "network"), ("up", "network")]


# -- item 2: status ---------------------------------------------------------------------------------


def status_of(repo: Path, gateway: Any, *stacks: str) -> dict[str, Any]:
    code, text = run_cli(repo, gateway, "status", "--stacks", ",".join(stacks), "--json")
    assert code == 0, text
    document: dict[str, Any] = json.loads(text)
    return document


def test_status_json_has_exactly_the_issue_s_shape_and_a_stack_not_deployed_is_shown_as_such(repo, planned):
    dev = DeployedStacks(planned, history=everything_at(head(repo)))
    document = status_of(repo, Environments(dev=dev, prod=DeployedStacks({})), "dev", "prod")
    assert list(document) == ["stacks"]
    assert list(document["stacks"]) == ["dev", "prod"]
    for stack in ("dev", "prod"):
        assert list(document["stacks"][stack]) == list(LAYERS)
        for cell in document["stacks"][stack].values():
            assert list(cell) == [*FIELDS, "problems"]
    assert document["stacks"]["prod"]["compute"] == {
        "deployed": False,
        **dict.fromkeys(FIELDS[1:]),
        "problems": [],
    }


def test_status_commit_clean_deployed_at_and_deployed_by_come_from_the_recorded_update(repo, planned):
    commit = head(repo)
    history = everything_at(commit, data=recorded(commit, clean=False, by="octo cat"))
    cell = status_of(repo, DeployedStacks(planned, history=history), "dev")["stacks"]["dev"]["data"]
    assert cell["deployed"] is True
    assert cell["commit"] == commit
    assert cell["clean"] is False
    assert cell["deployed_by"] == "octo cat"
    assert cell["deployed_at"] == (T0 + timedelta(minutes=3)).isoformat()
    assert f"it runs {commit[:12]} with uncommitted changes" in cell["problems"]


def test_status_behind_main_counts_the_commits_of_main_since_the_deployed_one(repo, planned):
    deployed = head(repo)
    for number in range(3):
        append(repo, "docs/notes.md", f"merge {number}\n")
        commit_all(repo, f"merge {number}")
    cell = status_of(repo, DeployedStacks(planned, history=everything_at(deployed)), "dev")["stacks"]["dev"]["network"]
    assert cell["behind_main"] == 3
    assert cell["problems"] == []


def test_status_behind_main_is_null_when_this_clone_lacks_the_commit(repo, planned):
    unknown = "f" * 40
    cell = status_of(repo, DeployedStacks(planned, history=everything_at(unknown)), "dev")["stacks"]["dev"]["network"]
    assert cell["commit"] == unknown
    assert cell["behind_main"] is None
    assert cell["problems"] == ["it runs ffffffffffff, which this clone does not have: fetch it (`git fetch origin`)"]


def test_status_last_result_is_the_newest_update_s(repo, planned):
    commit = head(repo)
    history = everything_at(commit, compute=[*recorded(commit), *recorded(commit, result="failed")])
    history["compute"][-1] = Update("update", "failed", "", T0 + timedelta(hours=1))
    cell = status_of(repo, DeployedStacks(planned, history=history), "dev")["stacks"]["dev"]["compute"]
    assert cell["last_result"] == "failed"
    assert cell["commit"] == commit  # the version it runs: its last successful update's
    assert "its last update failed" in cell["problems"]


def test_status_of_a_stack_none_of_whose_updates_succeeded_says_so(repo, planned):
    commit = head(repo)
    history = everything_at(commit, compute=[Update("update", "failed", Version(commit, True, "tests").message(), T0)])
    cell = status_of(repo, DeployedStacks(planned, history=history), "dev")["stacks"]["dev"]["compute"]
    assert (cell["commit"], cell["deployed_at"], cell["last_result"]) == (None, None, "failed")
    assert cell["problems"][:2] == ["its last update failed", "none of its updates succeeded"]


def test_status_contract_ok_is_false_when_the_deployed_reader_s_reads_cannot_be_read(repo, planned):
    dev = DeployedStacks({**planned, "compute": without(planned["compute"], "contract_reads")})
    dev.history = everything_at(head(repo))
    cell = status_of(repo, dev, "dev")["stacks"]["dev"]["compute"]
    assert cell["contract_ok"] is False
    assert "has outputs but no 'contract_reads' export" in cell["problems"][-1]


def test_status_refuses_a_name_that_is_no_stack_name_in_one_sentence(repo, planned):
    code, text = run_cli(repo, DeployedStacks(planned), "status", "--stacks", "dev,Prod!")
    assert code == 2
    assert text.startswith("stack name = 'Prod!': must be 1-16 characters of lowercase letters")


def test_status_contract_ok_names_an_export_the_deployed_upstream_no_longer_has(repo, planned):
    dev = DeployedStacks(planned, history=everything_at(head(repo)))
    document = status_of(repo, dev, "dev")["stacks"]["dev"]
    assert [document[name]["contract_ok"] for name in LAYERS] == [None, None, True, True]
    dev.stacks["data"] = without(planned["data"], "stream_arn")
    dev.stacks["compute"] = {**planned["compute"], "region": 7}
    document = status_of(repo, dev, "dev")["stacks"]["dev"]
    assert document["compute"]["contract_ok"] is False
    assert document["compute"]["problems"] == [
        "reads 'stream_arn' (string) from streaming-data, whose deployed stack does not export it"
    ]
    assert document["observability"]["contract_ok"] is False
    assert (
        "reads 'region' (string) from streaming-compute, whose deployed stack exports it as number"
        in document["observability"]["problems"]
    )


def test_status_text_is_a_table_of_layers_by_stacks(repo, planned):
    commit = head(repo)
    dev = DeployedStacks(planned, history=everything_at(commit))
    code, text = run_cli(repo, Environments(dev=dev, prod=DeployedStacks({})), "status", "--stacks", "dev,prod")
    assert code == 0, text
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "dev", "prod"]
    assert lines[3].split("  ")[0] == "compute"
    assert [part.strip() for part in lines[3].split("  ")[1:] if part.strip()] == [
        f"{commit[:12]}, 0 behind, succeeded, contract ok",
        "not deployed",
    ]
    assert lines[1].split("  ")[0] == "network"
    assert f"{commit[:12]}, 0 behind, succeeded" in lines[1]


# -- item 3: promote --------------------------------------------------------------------------------


class Trees:
    """The tree gateway factory: the commit of each worktree a layer is promoted from, and the gateway."""

    def __init__(self, gateway: Environments) -> None:
        self.gateway = gateway
        self.commits: list[str] = []

    def __call__(self, args: Any, root: Path, tree: Path, say: Callable[[str], None]) -> Environments:
        assert tree != root
        self.commits.append(head(tree))
        return self.gateway


def promote(
    repo: Path, gateway: Environments, *options: str, answer: str = "y", source: str = "dev"
) -> tuple[int, str, Trees]:
    said: list[str] = []
    trees = Trees(gateway)
    code = cli.main(
        ["promote", "--from", source, "--to", "prod", *options],
        root=repo,
        gateway_factory=lambda args, root, say: gateway,
        tree_gateway_factory=trees,
        say=said.append,
        ask=lambda question: answer,
    )
    return code, "\n".join(said), trees


def environments(planned: Mapping[str, Any], dev_at: str, prod_at: str, **dev_history: list[Update]) -> Environments:
    dev = DeployedStacks(planned, history=everything_at(dev_at, **dev_history))
    prod = DeployedStacks(planned, after_up=planned, history=everything_at(prod_at))
    return Environments(dev=dev, prod=prod)


@pytest.fixture
def promotable(repo: Path) -> tuple[Path, str, str]:
    """The copy with prod stack files (the commit prod runs) and a later compute change (the one dev runs)."""
    with_prod(repo)
    on_prod = head(repo)
    append(repo, "stacks/compute/compute_layer/iam.py", "\nCHANGED = True\n")
    return repo, on_prod, commit_all(repo, "compute change, deployed to dev")


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        (
            "failed",
            "refusing to promote compute: the last update of stack 'dev' failed; deploy it there again "
            "(`nox -s deploy-changed -- --layer compute --stack dev`) or leave it out with --layer.",
        ),
        (
            "dirty",
            "refusing to promote compute: stack 'dev' runs {short} with uncommitted changes; deploy a commit of main "
            "there first (`nox -s deploy-changed -- --layer compute --stack dev`).",
        ),
        (
            "in-progress",
            "refusing to promote compute: an update of stack 'dev' is in progress; wait for it to end, then promote "
            "again.",
        ),
        (
            "none",
            "refusing to promote compute: stack 'dev' has no recorded update; deploy it there "
            "(`nox -s deploy-changed -- --layer compute --stack dev`) or leave it out with --layer.",
        ),
        (
            "by hand",
            "refusing to promote compute: stack 'dev' recorded no commit (a `pulumi up` by hand); deploy it with "
            "`nox -s deploy-changed -- --layer compute --stack dev`.",
        ),
        (
            "unknown",
            "refusing to promote compute: stack 'dev' runs ffffffffffff, which this clone does not have; fetch it.",
        ),
    ],
)
def test_promote_refuses_a_source_stack_whose_last_update_did_not_succeed_or_records_no_commit_it_can_deploy(
    promotable, planned, history, reason
):
    repo, on_prod, on_dev = promotable
    compute = {
        "dirty": recorded(on_dev, clean=False),
        "failed": recorded(on_dev, result="failed"),
        "in-progress": [*recorded(on_dev), Update("update", "in-progress", "", T0 + timedelta(hours=1))],
        "none": [],
        "by hand": [Update("update", "succeeded", "", T0, T0 + timedelta(minutes=3))],
        "unknown": recorded("f" * 40),
    }[history]
    gateway = environments(planned, on_dev, on_prod, compute=compute)
    code, text, trees = promote(repo, gateway, "--yes")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text == reason.format(short=on_dev[:12])


def test_promote_refuses_a_commit_that_is_not_on_main(promotable, planned):
    repo, on_prod, _ = promotable
    git(repo, "checkout", "--quiet", "-b", "feature")
    append(repo, "stacks/compute/compute_layer/iam.py", "\nBRANCH = True\n")
    branch = commit_all(repo, "a branch deployed to dev by hand")
    git(repo, "checkout", "--quiet", "main")
    gateway = environments(planned, on_prod, on_prod, compute=recorded(branch))
    code, text, trees = promote(repo, gateway, "--yes")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text == (
        f"refusing to promote compute: {branch[:12]}, which stack 'dev' runs, is not on main; merge it and let "
        "deploy.yml deploy it to dev first."
    )


def test_promote_of_a_commit_on_origin_main_that_the_local_main_lacks_says_to_update_main(promotable, planned):
    repo, on_prod, on_dev = promotable
    git(repo, "update-ref", "refs/remotes/origin/main", on_dev)
    git(repo, "checkout", "--quiet", "--detach")
    git(repo, "branch", "--force", "main", on_prod)
    gateway = environments(planned, on_prod, on_prod, compute=recorded(on_dev))
    code, text, trees = promote(repo, gateway, "--yes")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text == (
        f"refusing to promote compute: {on_dev[:12]}, which stack 'dev' runs, is on origin/main but not on this "
        "clone's main; update it (`git pull`) or pass --main origin/main."
    )


def test_promote_with_a_main_ref_this_clone_does_not_know_says_so(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_dev, on_prod)
    code, text, trees = promote(repo, gateway, "--yes", "--main", "trunk")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text == (
        "refusing to promote: git ref 'trunk' is not known in this clone; fetch it (`git fetch origin`) or name the "
        "branch with --main."
    )


def test_promote_from_a_stack_with_no_layer_deployed_says_so(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_dev, on_prod)
    gateway.stacks["dve"] = DeployedStacks({})
    code, text, trees = promote(repo, gateway, "--yes", source="dve")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text == (
        "refusing to promote: no layer is deployed on stack 'dve'; check --from "
        "(`nox -s status -- --stacks dve` shows what each stack runs)."
    )


def test_promote_of_a_layer_named_but_not_deployed_on_the_source_is_refused(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_dev, on_prod)
    del gateway.stacks["dev"].stacks["observability"]
    code, text, trees = promote(repo, gateway, "--yes", "--layer", "observability")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text == (
        "refusing to promote observability: stack 'dev' of streaming-observability is not deployed; deploy it there "
        "first."
    )


def test_promote_refuses_a_target_stack_that_does_not_exist_naming_how_to_create_it(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_prod, on_prod, observability=recorded(on_dev))
    del gateway.stacks["prod"].stacks["observability"]
    code, text, trees = promote(repo, gateway, "--yes")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text == (
        "refusing to promote observability: stack 'prod' of streaming-observability does not exist; create it with "
        "`pulumi stack init prod` in stacks/observability, commit stacks/observability/Pulumi.prod.yaml, deploy that "
        "commit to dev, then promote it."
    )


def test_promote_refuses_a_commit_without_the_target_s_stack_file(repo, planned):
    with_prod(repo)
    git(repo, "rm", "--quiet", "stacks/compute/Pulumi.prod.yaml")
    without_file = commit_all(repo, "compute without a prod stack file")
    git(repo, "checkout", "--quiet", "HEAD~1", "--", "stacks/compute/Pulumi.prod.yaml")
    commit_all(repo, "compute's prod stack file back")
    gateway = environments(planned, head(repo), head(repo), compute=recorded(without_file))
    code, text, trees = promote(repo, gateway, "--yes", "--layer", "compute")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text.splitlines()[-1] == (
        f"refusing to promote compute: {without_file[:12]} has no readable stacks/compute/Pulumi.prod.yaml; commit "
        "one to main, deploy that commit to 'dev', then promote it."
    )


def test_promote_to_the_stack_it_promotes_from_is_refused(repo):
    said: list[str] = []
    code = cli.main(["promote", "--from", "dev", "--to", "dev"], root=repo, say=said.append, ask=lambda q: "y")
    assert code == 2
    assert said == ["--from and --to are both 'dev': name the stack the layers are promoted to"]


def test_promote_has_nothing_to_do_when_every_layer_runs_the_same_commit(promotable, planned):
    repo, _, on_dev = promotable
    gateway = environments(planned, on_dev, on_dev)
    code, text, trees = promote(repo, gateway, "--yes")
    assert (code, gateway.calls, trees.commits) == (0, [], [])
    assert text == "Nothing to promote: stack 'prod' runs the commit stack 'dev' runs, in each layer deployed there."


@pytest.mark.slow
def test_promote_deploys_the_source_s_commit_from_its_worktree_previewed_and_recorded(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_prod, on_prod, compute=recorded(on_dev))
    append(repo, "docs/notes.md", "a later merge to main, not deployed anywhere\n")
    commit_all(repo, "later")
    code, text, trees = promote(repo, gateway, "--yes")
    assert code == 0, text
    assert gateway.calls == [("preview", "compute", "prod"), ("up", "compute", "prod")]
    assert trees.commits == [on_dev]
    assert f"compute: stack 'prod' runs {on_prod[:12]}; promoting {on_dev[:12]} from 'dev'" in text
    assert f"[compute] preview of {on_dev[:12]} on stack 'prod': 1 update" in text
    running = gateway.deployed(LAYERS["compute"], "prod")
    assert running is not None and running.version == Version(on_dev, True, "tests")


@pytest.mark.slow
def test_promote_refuses_to_leave_a_deployed_reader_without_an_export_it_reads(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_prod, on_prod, compute=recorded(on_dev))
    reads = dict(planned["observability"]["contract_reads"])
    reads["streaming-compute"] = {**reads["streaming-compute"], "dlq_url": {"shape": "string", "optional": False}}
    gateway.stacks["prod"].stacks["observability"]["contract_reads"] = reads
    code, text, _ = promote(repo, gateway, "--yes")
    assert (code, gateway.calls) == (1, [])
    assert text.splitlines()[-1] == (
        "refusing to promote: stack 'prod' of streaming-observability reads 'dlq_url' from streaming-compute, which "
        f"streaming-compute at {on_dev[:12]} does not export. Promote both layers together (--layer for each), or "
        "first a reader that no longer reads it."
    )


@pytest.mark.slow
def test_promote_refuses_a_promoted_reader_whose_reads_the_target_s_upstream_does_not_export(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_prod, on_prod, compute=recorded(on_dev))
    reads = dict(planned["compute"]["contract_reads"])
    reads["streaming-data"] = {**reads["streaming-data"], "stream_arn": {"shape": "list of strings", "optional": False}}
    gateway.stacks["dev"].stacks["compute"]["contract_reads"] = reads
    code, text, _ = promote(repo, gateway, "--yes")
    assert (code, gateway.calls) == (1, [])
    assert text.splitlines()[-1] == (
        "refusing to promote: stack 'prod' of streaming-compute (as promoted from 'dev') reads 'stream_arn' from "
        "streaming-data as list of strings, which stack 'prod' of streaming-data exports as string. Promote both "
        "layers together (--layer for each), or first a reader that no longer reads it."
    )


@pytest.mark.slow
def test_promote_asks_before_each_layer_and_a_no_deploys_nothing(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_prod, on_prod, compute=recorded(on_dev))
    code, text, _ = promote(repo, gateway, answer="n")
    assert code == 1
    assert gateway.calls == [("preview", "compute", "prod")]
    assert "compute  skipped    not confirmed" in text


@pytest.mark.slow
def test_a_promoted_commit_s_programs_and_policy_pack_run_with_its_own_code_and_locked_packages(repo):
    append(repo, "shared/streaming_shared/__init__.py", "\nPROMOTED = True\n")
    promoted = commit_all(repo, "a change to the runtime package")
    git(repo, "checkout", "--quiet", "HEAD~1")
    with commit_tree(repo, promoted) as tree:
        environment = program_environments(repo, tree)
        for venv, imports in (
            (".venv", "pulumi_aws, pydantic"),
            (".venv-policy-pack", "pulumi_policy, streaming_tooling"),
        ):
            completed = subprocess.run(
                [
                    str(tree / venv / "bin" / "python"),
                    "-c",
                    f"import {imports}, streaming_shared; print(streaming_shared.PROMOTED)",
                ],
                env={"PATH": os.environ["PATH"], **environment},
                capture_output=True,
                text=True,
                check=False,
            )
            assert (completed.returncode, completed.stdout.strip()) == (0, "True"), completed.stderr


def test_promote_refuses_a_layer_whose_upstream_is_not_deployed_on_the_target(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_prod, on_prod, compute=recorded(on_dev))
    del gateway.stacks["prod"].stacks["data"]
    code, text, trees = promote(repo, gateway, "--layer", "compute", "--yes")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text.startswith("refusing to promote to stack 'prod':\n  stack 'prod' of streaming-data has no outputs yet")
    assert text.endswith("Or promote it too (--layer).")


@pytest.mark.slow
def test_promote_by_default_takes_each_layer_whose_target_runs_another_commit_or_failed_its_last_update(
    promotable, planned
):
    repo, _, on_dev = promotable
    gateway = environments(planned, on_dev, on_dev)
    gateway.stacks["prod"].history["data"].append(Update("update", "failed", "", T0 + timedelta(hours=1)))
    code, text, trees = promote(repo, gateway, "--yes")
    assert code == 0, text
    assert [call for call in gateway.calls if call[0] == "up"] == [("up", "data", "prod")]
    assert trees.commits == [on_dev]


def test_promote_without_yes_and_without_a_terminal_to_ask_on_is_refused(repo):
    said: list[str] = []
    code = cli.main(["promote", "--from", "dev", "--to", "prod"], root=repo, say=said.append)
    assert (code, said) == (2, ["promote needs --yes when not run from a terminal."])


def chosen_layers(repo: Path, gateway: Environments, *names: str) -> tuple[list[str], list[str]]:
    """The layers `promote` would take from dev to prod, and what it said about those it leaves out."""
    said: list[str] = []
    picks = chosen(repo, gateway, "dev", "prod", names=names, main="main", say=said.append)
    return [pick.layer.name for pick in picks], said


def test_the_default_selection_checks_only_the_layers_it_takes(promotable, planned):
    repo, on_prod, on_dev = promotable
    failed_later = Update("update", "failed", Version(on_dev, True, "tests").message(), T0 + timedelta(hours=1))
    gateway = environments(planned, on_prod, on_prod, compute=[*recorded(on_prod), failed_later], data=recorded(on_dev))
    assert chosen_layers(repo, gateway) == (["data"], [])


def test_the_default_selection_takes_a_layer_whose_target_runs_the_same_commit_from_a_dirty_tree(promotable, planned):
    repo, _, on_dev = promotable
    gateway = environments(planned, on_dev, on_dev)
    gateway.stacks["prod"].history["compute"] = recorded(on_dev, clean=False)
    assert chosen_layers(repo, gateway) == (["compute"], [])


def test_a_rollback_is_left_out_by_default_and_promoted_when_named(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_dev, on_dev, compute=recorded(on_prod))
    assert chosen_layers(repo, gateway) == (
        [],
        [
            f"compute: stack 'prod' runs {on_dev[:12]}, newer than {on_prod[:12]} on 'dev'; left out (promoting it "
            "would roll 'prod' back: name it with --layer compute to do so)"
        ],
    )
    code, text, _ = promote(repo, gateway, "--yes")
    assert (code, gateway.calls) == (0, [])
    assert text.splitlines()[-1] == (
        "Nothing to promote: stack 'prod' runs the commit stack 'dev' runs, in any other layer deployed there."
    )
    assert chosen_layers(repo, gateway, "compute") == (["compute"], [])


class PreviewFails(Environments):
    """A preview that fails in the Pulumi program, as a CommandError reaches the gateway's caller."""

    def run(
        self,
        operation: Operation,
        layer: Layer,
        stack: str,
        on_output: Callable[[str], None],
        *,
        version: Version | None = None,
    ) -> Outcome:
        if operation is Operation.PREVIEW:
            self.calls.append((operation.value, layer.name, stack))
            raise RuntimeError("Previewing update (prod):\nerror: program failed: KeyError 'alarmEmail'")
        return super().run(operation, layer, stack, on_output, version=version)


def without_prod_readers_of_compute(gateway: Environments) -> Environments:
    """Observability not deployed on prod: nothing reads compute there, so no plan is needed."""
    gateway.stacks["prod"].stacks["observability"] = {}
    gateway.stacks["prod"].history.pop("observability")
    return gateway


def test_a_preview_that_fails_during_promote_fails_that_layer_in_one_sentence(promotable, planned):
    repo, on_prod, on_dev = promotable
    base = without_prod_readers_of_compute(environments(planned, on_prod, on_prod, compute=recorded(on_dev)))
    gateway = PreviewFails(**base.stacks)
    code, text, _ = promote(repo, gateway, "--yes", "--layer", "compute")
    assert (code, gateway.calls) == (1, [("preview", "compute", "prod")])
    assert text.splitlines()[-2:] == [
        "up of stack 'prod':",
        "  compute  failed     not deployed: error: program failed: KeyError 'alarmEmail'",
    ]


def test_a_worktree_whose_environment_cannot_be_installed_fails_that_layer_in_one_sentence(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = without_prod_readers_of_compute(environments(planned, on_prod, on_prod, compute=recorded(on_dev)))

    def cannot_install(args: Any, root: Path, tree: Path, say: Callable[[str], None]) -> Environments:
        raise CannotPlan("its environment could not be installed from requirements/program.txt: no matching wheel")

    said: list[str] = []
    code = cli.main(
        ["promote", "--from", "dev", "--to", "prod", "--layer", "compute", "--yes"],
        root=repo,
        gateway_factory=lambda args, root, say: gateway,
        tree_gateway_factory=cannot_install,
        say=said.append,
    )
    assert (code, gateway.calls) == (1, [])
    assert "\n".join(said).splitlines()[-2:] == [
        "up of stack 'prod':",
        "  compute  failed     not deployed: its environment could not be installed from requirements/program.txt: "
        "no matching wheel",
    ]


def test_promote_to_an_empty_target_stack_says_it_is_not_deployed_and_runs_the_concurrency_preflight(
    promotable, planned, monkeypatch
):
    repo, on_prod, on_dev = promotable
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(repo / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(repo / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    gateway = without_prod_readers_of_compute(environments(planned, on_prod, on_prod, compute=recorded(on_dev)))
    gateway.stacks["prod"].stacks["compute"] = {}
    gateway.stacks["prod"].history.pop("compute")
    code, text, _ = promote(repo, gateway, "--yes", "--layer", "compute")
    assert code == 0, text
    lines = text.splitlines()
    assert lines[0] == f"compute: stack 'prod' is not deployed; promoting {on_dev[:12]} from 'dev'"
    assert lines[1].startswith("Preflight: the account's Lambda concurrency in ")
    assert gateway.calls == [("preview", "compute", "prod"), ("up", "compute", "prod")]


def test_promote_refuses_a_commit_whose_contract_cannot_be_checked(promotable, planned):
    repo, on_prod, _ = promotable
    append(repo, "shared/streaming_shared/catalogue.py", "\nraise SystemExit('a catalogue that does not import')\n")
    unplannable = commit_all(repo, "a commit whose offline plan does not run")
    gateway = environments(planned, on_prod, on_prod, compute=recorded(unplannable))
    code, text, trees = promote(repo, gateway, "--yes")
    assert (code, gateway.calls, trees.commits) == (1, [], [])
    assert text.splitlines()[-1].startswith(
        f"refusing to promote compute: cannot check the contract of {unplannable[:12]}: its offline plan did not run"
    )


@pytest.mark.slow
def test_the_real_tree_gateway_prepares_a_worktree_once_for_two_layers_of_its_commit(promotable, planned, monkeypatch):
    repo, on_prod, on_dev = promotable
    (repo / "build").unlink()  # a build folder of its own: the environments below are not really installed
    for lock in (PROGRAMS_LOCK, ENVIRONMENT_LOCK):
        venv = repo / ENVIRONMENTS / environment_key(repo, lock)
        venv.mkdir(parents=True)
        (venv / ".installed").write_text(environment_key(repo, lock))
    monkeypatch.setattr(cli, "ensure_cli", lambda root, say: None)  # no Pulumi CLI on this machine
    gateway = environments(planned, on_prod, on_prod, compute=recorded(on_dev), observability=recorded(on_dev))
    prepared: list[Path] = []

    def real_tree_then_fake_runs(args: Any, root: Path, tree: Path, say: Callable[[str], None]) -> Environments:
        cli._real_tree_gateway(args, root, tree, say)
        prepared.append((tree / ".venv").resolve())
        return gateway

    said: list[str] = []
    code = cli.main(
        ["promote", "--from", "dev", "--to", "prod", "--yes"],
        root=repo,
        gateway_factory=lambda args, root, say: gateway,
        tree_gateway_factory=real_tree_then_fake_runs,
        say=said.append,
    )
    assert code == 0, "\n".join(said)
    assert [call for call in gateway.calls if call[0] == "up"] == [
        ("up", "compute", "prod"),
        ("up", "observability", "prod"),
    ]
    assert prepared == [(repo / ENVIRONMENTS / environment_key(repo, PROGRAMS_LOCK)).resolve()]


def reads_of_observability_with(planned: Mapping[str, Any], name: str) -> dict[str, Any]:
    reads = dict(planned["observability"]["contract_reads"])
    reads["streaming-compute"] = {**reads["streaming-compute"], name: {"shape": "string", "optional": False}}
    return reads


@pytest.mark.slow
def test_declining_a_reader_after_its_upstream_was_promoted_names_the_broken_read(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_dev, on_prod)
    gateway.stacks["prod"].stacks["observability"]["contract_reads"] = reads_of_observability_with(planned, "dlq_url")
    answers = iter(["y", "n"])
    said: list[str] = []
    code = cli.main(
        ["promote", "--from", "dev", "--to", "prod", "--layer", "compute", "--layer", "observability"],
        root=repo,
        gateway_factory=lambda args, root, say: gateway,
        tree_gateway_factory=Trees(gateway),
        say=said.append,
        ask=lambda question: next(answers),
    )
    assert code == 1
    assert [call for call in gateway.calls if call[0] == "up"] == [("up", "compute", "prod")]
    assert "\n".join(said).splitlines()[-2:] == [
        "The contract is broken on stack 'prod':",
        "  stack 'prod' of streaming-observability reads 'dlq_url' (string) from streaming-compute, whose deployed "
        "stack does not export it: promote it too (`nox -s promote -- --from dev --to prod --layer observability`)",
    ]


@pytest.mark.slow
def test_a_reader_is_checked_again_against_what_its_promoted_upstream_really_exports(promotable, planned):
    repo, _, on_dev = promotable
    gateway = environments(planned, on_dev, on_dev, compute=recorded(on_dev), observability=recorded(on_dev))
    gateway.stacks["prod"].history = everything_at(promotable[1])
    gateway.stacks["prod"].after_up = {**planned, "compute": without(planned["compute"], "region")}
    code, text, _ = promote(repo, gateway, "--yes", "--layer", "compute", "--layer", "observability")
    assert code == 1
    assert [call for call in gateway.calls if call[0] == "up"] == [("up", "compute", "prod")]
    assert text.splitlines()[-3:] == [
        "  observability  failed     not deployed, it would break the contract: stack 'prod' of "
        "streaming-observability (as promoted from 'dev') reads 'region' from streaming-compute, which stack 'prod' "
        "of streaming-compute does not export",
        "The contract is broken on stack 'prod':",
        "  stack 'prod' of streaming-observability reads 'region' (string) from streaming-compute, whose deployed "
        "stack does not export it: promote it too (`nox -s promote -- --from dev --to prod --layer observability`)",
    ]


@pytest.mark.slow
def test_promote_names_the_readers_that_still_hold_the_old_values_of_what_it_changed(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_prod, on_prod, compute=recorded(on_dev))
    gateway.stacks["prod"].after_up = {**planned, "compute": {**planned["compute"], "region": "elsewhere-1"}}
    code, text, _ = promote(repo, gateway, "--yes")
    assert code == 0, text
    assert text.splitlines()[-2:] == [
        "Exports changed; these deployed stacks read them and still hold the old values:",
        "  streaming-observability (stack 'prod') reads region from streaming-compute, which changed: redeploy it "
        "with `nox -s deploy -- observability --stack prod`",
    ]


@pytest.mark.slow
def test_a_worktree_that_cannot_be_prepared_fails_each_layer_of_its_commit_once(promotable, planned):
    repo, on_prod, on_dev = promotable
    gateway = environments(planned, on_prod, on_prod, network=recorded(on_dev), observability=recorded(on_dev))
    attempts: list[Path] = []

    def cannot_install(args: Any, root: Path, tree: Path, say: Callable[[str], None]) -> Environments:
        attempts.append(tree)
        raise CannotPlan("its environment could not be installed from requirements/program.txt: no matching wheel")

    said: list[str] = []
    code = cli.main(
        ["promote", "--from", "dev", "--to", "prod", "--layer", "network", "--layer", "observability", "--yes"],
        root=repo,
        gateway_factory=lambda args, root, say: gateway,
        tree_gateway_factory=cannot_install,
        say=said.append,
    )
    assert (code, gateway.calls, len(attempts)) == (1, [], 1)
    failed = "failed     not deployed: its environment could not be installed from requirements/program.txt"
    assert [line.split(maxsplit=1)[1] for line in "\n".join(said).splitlines()[-2:]] == [
        f"{failed}: no matching wheel"
    ] * 2
