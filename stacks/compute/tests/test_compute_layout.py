"""Each kind of code in its place, and names that say what a module holds: the state machine's
component and its definition, the loop the middle stages share, the Lambda code apart from the
program."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from compute_fixtures import COMPUTE_DIR
from compute_layer.state_machine import PipelineStateMachine
from compute_layer.state_machine_definition import STEPS

FUNCTIONS = COMPUTE_DIR / "functions"
LOOP = {"claimcheck", "INFRASTRUCTURE_ERRORS", "quarantine", "failure_reason", "record_timing"}
"""What the shared loop does for a stage: staged events, failures of AWS calls, quarantine, timing."""


def imported(path: Path) -> set[str]:
    """The top-level packages a Python file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_state_machine_component_lives_in_the_module_named_for_it():
    assert PipelineStateMachine.__module__ == "compute_layer.state_machine"


def test_the_state_machine_definition_imports_no_pulumi_so_the_emulator_runs_its_order():
    assert not {"pulumi", "pulumi_aws"} & imported(COMPUTE_DIR / "compute_layer" / "state_machine_definition.py")


@pytest.mark.parametrize("stage", STEPS[:-1])
def test_the_middle_stages_run_their_step_through_the_shared_loop(stage):
    """transform, validate and enrich keep only their own step: the loop over the records, the staged
    or inline event and the quarantine on an exception are pipeline_core.steps'."""
    tree = ast.parse((FUNCTIONS / stage / "handler.py").read_text())
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert "steps.run" in calls
    assert names & LOOP == set()


def test_the_lambda_code_imports_nothing_of_the_program():
    program = {"pulumi", "pulumi_aws", "compute_layer", "streaming_tooling"}
    assert {str(path.relative_to(FUNCTIONS)): program & imported(path) for path in FUNCTIONS.rglob("*.py")} == {
        str(path.relative_to(FUNCTIONS)): set() for path in FUNCTIONS.rglob("*.py")
    }
