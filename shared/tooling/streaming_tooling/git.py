"""The git operations the tooling needs: the merge base of a ref, the files changed since it, a
file at a commit, and the tree of a commit. Each failure is a `GitError` with one sentence."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(RuntimeError):
    """A git command failed; the message says which and why."""


def git(root: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise GitError(f"`git {' '.join(args)}` failed in {root}: {completed.stderr.strip() or completed.stdout}")
    return completed.stdout


def merge_base(root: Path, base: str) -> str:
    try:
        git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except GitError:
        raise GitError(
            f"git ref {base!r} is not known in {root}: fetch it first (`git fetch origin main`, and in CI check "
            "out with `fetch-depth: 0`) or pass another --base"
        ) from None
    return git(root, "merge-base", base, "HEAD").strip()


def changed_files(root: Path, since: str) -> list[str]:
    """Paths changed between commit `since` and the work tree (both sides of a rename), untracked
    files included."""
    tracked = git(root, "diff", "--name-only", "--no-renames", since).splitlines()
    untracked = git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted({path for path in (*tracked, *untracked) if path})


def file_at(root: Path, commit: str, path: str) -> str | None:
    """A file's text at a commit, or None where it did not exist."""
    try:
        return git(root, "show", f"{commit}:{path}")
    except GitError:
        return None


def checkout(root: Path, commit: str, target: Path) -> None:
    """The tree of `commit` at `target` (git archive: no worktree bookkeeping to clean up)."""
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=root, capture_output=True, check=False)
    if archive.returncode != 0:
        raise GitError(f"`git archive {commit}` failed in {root}: {archive.stderr.decode().strip()}")
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
