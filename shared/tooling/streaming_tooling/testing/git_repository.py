"""A throwaway git repository holding a copy of this one, for tests that need real commits."""

from __future__ import annotations

import shutil
from pathlib import Path

from streaming_shared.catalogue import repo_root

from ..git import git

BASE_TAG = "base"


def commit_all(root: Path, message: str) -> str:
    """Commit every change of the work tree; the new commit's id."""
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def copy_of_repository(target: Path) -> Path:
    """The repository's files as they are in its work tree (not ignored ones), committed on branch
    `main` and tagged `base`, at `target`. Its `build/` is this repository's (git-ignored there), so
    a plan of the copy reuses the Lambda dependency layer built here."""
    source = repo_root()
    for relative in git(source, "ls-files", "--cached", "--others", "--exclude-standard").splitlines():
        path = source / relative
        if path.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)
    git(target, "init", "--quiet", "--initial-branch=main")
    git(target, "config", "user.email", "tests@example.com")
    git(target, "config", "user.name", "tests")
    (source / "build").mkdir(exist_ok=True)
    (target / "build").symlink_to(source / "build", target_is_directory=True)
    append(target, ".git/info/exclude", "/build\n")  # a link, which the `build/` pattern (folders) misses
    commit_all(target, "base")
    git(target, "tag", BASE_TAG)
    return target


def edit(root: Path, relative: str, old: str, new: str) -> None:
    """Replace the first `old` in a file of the copy; an AssertionError if it is not there."""
    path = root / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


def append(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((path.read_text() if path.exists() else "") + text)
