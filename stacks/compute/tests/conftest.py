"""Makes the compute layer's code and the test fixtures importable, and runs the program once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
for folder in (HERE, HERE.parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from compute_fixtures import run_compute  # noqa: E402

from streaming_tooling.testing import ProgramRun  # noqa: E402


@pytest.fixture(scope="session")
def default_run() -> ProgramRun:
    """The compute program with default config, on what the real upstream layers export."""
    return run_compute()
