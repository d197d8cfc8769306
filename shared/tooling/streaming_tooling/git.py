"""The git operations the tooling needs: the merge base of a ref, the files changed since it, a
file at a commit, a worktree of a commit, and what HEAD is. Each failure is a `GitError` with one
sentence."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


class GitError(RuntimeError):
    """A git command failed; the message says which and why."""


def git(root: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise GitError(f"`git {' '.join(args)}` failed in {root}: {completed.stderr.strip() or completed.stdout}")
    return completed.stdout


def merge_base(root: Path, base: str) -> str:
    if not has_commit(root, base):
        raise GitError(
            f"git ref {base!r} is not known in {root}: fetch it first (`git fetch origin main`, and in CI check "
            "out with `fetch-depth: 0`) or pass another --base"
        )
    try:
        return git(root, "merge-base", base, "HEAD").strip()
    except GitError:
        if git(root, "rev-parse", "--is-shallow-repository").strip() == "true":
            raise GitError(
                f"this clone of {root} is shallow, so git cannot find where {base!r} and HEAD meet: fetch the whole "
                "history (`git fetch --unshallow`; in CI, check out with `fetch-depth: 0`)"
            ) from None
        raise GitError(
            f"{base!r} and HEAD share no history in {root} (an unrelated branch): pass a --base that HEAD grew "
            "from, such as origin/main"
        ) from None


def changed_files(root: Path, since: str) -> list[str]:
    """Paths changed between commit `since` and the work tree (both sides of a rename), untracked
    files included."""
    tracked = git(root, "diff", "--name-only", "--no-renames", since).splitlines()
    untracked = git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted({path for path in (*tracked, *untracked) if path})


def is_clean(root: Path) -> bool:
    """Whether the work tree is HEAD exactly: nothing modified, staged or untracked (ignored files aside)."""
    return git(root, "status", "--porcelain", "--untracked-files=all").strip() == ""


def has_commit(root: Path, commit: str) -> bool:
    try:
        git(root, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    except GitError:
        return False
    return True


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    """Whether `descendant` contains `ancestor` (a commit contains itself)."""
    completed = subprocess.run(
        ["git", "merge-base", "--is-ancestor", ancestor, descendant], cwd=root, capture_output=True, check=False
    )
    if completed.returncode not in (0, 1):
        raise GitError(f"`git merge-base --is-ancestor {ancestor} {descendant}` failed in {root}")
    return completed.returncode == 0


def file_at(root: Path, commit: str, path: str) -> str | None:
    """A file's text at a commit, or None where it did not exist."""
    try:
        return git(root, "show", f"{commit}:{path}")
    except GitError:
        return None


@contextlib.contextmanager
def worktree(root: Path, commit: str) -> Iterator[Path]:
    """A detached git worktree of `commit`, removed (and unregistered) when the block ends."""
    with tempfile.TemporaryDirectory(prefix="streaming-worktree-") as scratch:
        tree = Path(scratch) / "tree"
        git(root, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        try:
            yield tree
        finally:
            with contextlib.suppress(GitError):
                git(root, "worktree", "remove", "--force", str(tree))
