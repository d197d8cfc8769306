"""The deployed state machine definition passes a real Amazon States Language validator.

The validator is the npm package `asl-validator`, pinned in `package.json` beside this file and
installed with `npm ci --prefix stacks/compute/tests` (the test set-up of `nox -s tests`).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
VALIDATOR = HERE / "node_modules" / ".bin" / "asl-validator"
INSTALL = "npm ci --prefix stacks/compute/tests"

MISSING = f"asl-validator is not installed (needs Node.js); install it with `{INSTALL}`"


@pytest.fixture(autouse=True)
def validator_installed() -> None:
    """`nox -s tests` installs the validator and sets STREAMING_REQUIRE_NODE_TOOLS: then it must be there."""
    if shutil.which("npx") is None or not VALIDATOR.exists():
        if os.environ.get("STREAMING_REQUIRE_NODE_TOOLS") == "1":
            pytest.fail(MISSING)
        pytest.skip(MISSING)


def validate(document: dict, folder: Path) -> subprocess.CompletedProcess[str]:
    path = folder / "definition.asl.json"
    path.write_text(json.dumps(document, indent=2))
    return subprocess.run(
        ["npx", "--no-install", "asl-validator", "--json-path", str(path)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def deployed_definition(default_run) -> dict:
    return json.loads(default_run.one("aws:sfn/stateMachine:StateMachine").inputs["definition"])


def test_the_deployed_definition_is_valid_amazon_states_language(deployed_definition, tmp_path):
    result = validate(deployed_definition, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


def test_the_validator_rejects_a_definition_that_jumps_to_a_missing_state(deployed_definition, tmp_path):
    broken = copy.deepcopy(deployed_definition)
    broken["States"]["transform"]["Next"] = "normalise"
    result = validate(broken, tmp_path)
    assert result.returncode != 0
    assert "MISSING_TRANSITION_TARGET" in result.stdout + result.stderr
