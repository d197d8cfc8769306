"""pytest fixtures over a throwaway copy of this repository (see git_repository), loaded for every
test run by pyproject's `-p` option: `template`, committed and tagged once per test module, and
`repo`, a fresh copy of it for each test to change and commit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .git_repository import copy_of_repository


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of_repository(tmp_path_factory.mktemp("template"))


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    clone = tmp_path / "repo"
    shutil.copytree(template, clone, symlinks=True)
    return clone
