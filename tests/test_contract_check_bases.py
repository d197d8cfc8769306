"""`nox -s contract-check` against bases that today's code cannot plan: the base runs in a worktree of
its own, with its own tooling and an environment installed from its own lock, and what cannot be
checked ends with exit 2, never with "kept".

The repositories are copies of this one with real commits on top; building a base's environment
installs its lock (about 30 s, then cached under build/environments/), so the tests are slow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from streaming_tooling.deploy import contract
from streaming_tooling.deploy.tree_plan import ENVIRONMENTS, commit_tree, environment_key
from streaming_tooling.git import git
from streaming_tooling.testing.git_repository import BASE_TAG, append, commit_all, edit

pytestmark = pytest.mark.slow

DROPS_THE_QUEUE_URL = (
    ("stacks/compute/__main__.py", '        "dead_letter_queue_url": consumer.dead_letter_queue.url,\n', ""),
    ("shared/streaming_shared/catalogue.py", '            "dead_letter_queue_url": Shape.STRING,\n', ""),
    ("shared/streaming_shared/catalogue.py", '                "dead_letter_queue_url",\n', ""),
    ("stacks/observability/observability_layer/targets.py", "dead_letter_queue_url", "dead_letter_queue_arn"),
)


def contract_check(repo: Path, base: str) -> tuple[int, list[str]]:
    said: list[str] = []
    return contract.main(["--base", base], root=repo, say=said.append), said


def grow(repo: Path, commits: int) -> None:
    """`commits` commits of documentation on top of HEAD."""
    for number in range(commits):
        append(repo, "docs/history.md", f"Change {number}.\n")
        commit_all(repo, f"docs {number}")


def test_a_base_whose_data_program_raises_cannot_be_checked(repo):
    edit(repo, "stacks/data/__main__.py", "settings = DataSettings.load()", 'raise RuntimeError("no data today")')
    broken = commit_all(repo, "data's program raises")
    git(repo, "revert", "--no-edit", "--quiet", broken)
    code, said = contract_check(repo, broken)
    assert code == 2
    assert said == [f"cannot check against {broken}: its offline plan of streaming-data did not run: no data today"]


def test_a_base_more_than_50_commits_back_is_planned_with_its_own_environment(repo):
    """The base's lock is not the work tree's, so its plan runs in an environment installed from the
    base's own lock; the break since (an export removed with its reader, 55 commits later) is found."""
    append(repo, "requirements/base.txt", "# the work tree's lock, recompiled\n")
    commit_all(repo, "a new lock")
    for path, old, new in DROPS_THE_QUEUE_URL:
        edit(repo, path, old, new)
    commit_all(repo, "observability reads the queue's ARN only; compute no longer exports its URL")
    grow(repo, 53)
    assert int(git(repo, "rev-list", "--count", f"{BASE_TAG}..HEAD")) == 55
    code, said = contract_check(repo, BASE_TAG)
    assert code == 1, said
    assert said[0] == (
        f"Contract broken since {BASE_TAG}:\n"
        "  streaming-compute: export 'dead_letter_queue_url' is no longer exported; read by streaming-observability"
    )
    with commit_tree(repo, BASE_TAG) as base:
        assert environment_key(base) != environment_key(repo)
        assert (repo / ENVIRONMENTS / environment_key(base) / ".installed").exists()


def test_a_base_whose_tooling_is_elsewhere_is_not_planned_with_todays(repo):
    """At this base the tooling lived in another folder: today's tooling must not run its programs
    (on the old code path it did, and said "kept"); its own environment has no `streaming_tooling`."""
    shutil.move(repo / "shared" / "tooling", repo / "tooling")
    moved = commit_all(repo, "the tooling in its own folder")
    shutil.move(repo / "tooling", repo / "shared" / "tooling")
    commit_all(repo, "the tooling under shared/")
    grow(repo, 52)
    code, said = contract_check(repo, moved)
    assert code == 2
    assert said == [
        f"cannot check against {moved}: its offline plan did not run: "
        "ModuleNotFoundError: No module named 'streaming_tooling'"
    ]
