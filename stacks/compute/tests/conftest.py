"""Makes the compute layer's code and the test fixtures importable, and runs the program once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
for folder in (HERE, HERE.parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from compute_fixtures import compute_program, run_compute  # noqa: E402

from streaming_tooling.testing import ProgramRun  # noqa: E402


@pytest.fixture(scope="session")
def compute_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compute program to run (it builds the dependency layer once per session)."""
    return compute_program(tmp_path_factory.mktemp("compute-program"))


@pytest.fixture(scope="session")
def default_run(compute_dir: Path) -> ProgramRun:
    """The compute program with default config and both upstream layers exported."""
    return run_compute(compute_dir)
