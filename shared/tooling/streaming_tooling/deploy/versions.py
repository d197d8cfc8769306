"""Which version of the repository each stack runs: recorded by every deploy, read back by the next.

Each `pulumi up` of the deploy sessions carries a message naming the commit it deploys, whether the
work tree was clean, and who ran it; the version a stack runs is the one its last successful update
recorded in the stack's history. Why the history and not stack tags: docs/working-as-a-team.md.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..git import GitError, git, is_clean

SUCCEEDED = "succeeded"
UPDATE = "update"
DESTROY = "destroy"
_MESSAGE = re.compile(r"^deploy of (?P<commit>[0-9a-f]{40}) \((?P<tree>clean|dirty) tree\) by (?P<by>.+)$")


@dataclass(frozen=True)
class Version:
    """What a deploy deploys: a commit, whether the work tree had changes besides it, who ran it."""

    commit: str
    clean: bool
    by: str

    @property
    def short(self) -> str:
        return self.commit[:12]

    def message(self) -> str:
        """The update message that records this version on the stack."""
        return f"deploy of {self.commit} ({'clean' if self.clean else 'dirty'} tree) by {self.by}"

    @classmethod
    def from_message(cls, message: str) -> Version | None:
        """The version an update's message records, or None for an update this tooling did not run."""
        found = _MESSAGE.match(message or "")
        if found is None:
            return None
        return cls(found["commit"], found["tree"] == "clean", found["by"])


def version_of(root: Path, environment: Mapping[str, str]) -> Version | None:
    """The version the work tree at `root` deploys: HEAD, whether anything differs from it (untracked
    files included), and who deploys it: CI's actor (`GITHUB_ACTOR`), else git's user, else the
    login name. None when `root` is not a git work tree: there is no commit to record."""
    try:
        commit = git(root, "rev-parse", "HEAD").strip()
        clean = is_clean(root)
    except GitError:
        return None
    try:
        user = git(root, "config", "user.name").strip()
    except GitError:
        user = ""
    by = environment.get("GITHUB_ACTOR") or user or getpass.getuser()
    return Version(commit, clean, " ".join(by.split()))


@dataclass(frozen=True)
class Update:
    """One entry of a stack's update history, as Pulumi keeps it."""

    kind: str
    result: str
    message: str
    started: datetime
    ended: datetime | None = None


@dataclass(frozen=True)
class StackVersion:
    """What a stack's history says about the version it runs."""

    version: Version | None
    """Recorded by its last successful update; None when that update recorded none (a `pulumi up`
    by hand) or none succeeded."""
    deployed_at: datetime | None
    """When the last successful update ended."""
    last_result: str
    """The result of its newest update (`succeeded`, `failed`, `in-progress`)."""


def stack_version(history: Sequence[Update]) -> StackVersion | None:
    """The version a stack runs, from its history; None when it never ran an update, or its last
    successful one was a destroy."""
    changes = sorted((item for item in history if item.kind in (UPDATE, DESTROY)), key=lambda item: item.started)
    if not changes:
        return None
    last_result = changes[-1].result
    for item in reversed(changes):
        if item.result == SUCCEEDED:
            if item.kind == DESTROY:
                return None
            return StackVersion(Version.from_message(item.message), item.ended or item.started, last_result)
    return StackVersion(None, None, last_result)
