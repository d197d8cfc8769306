"""The GitHub Actions workflows, offline: GitHub's schema, zizmor's audit, and what they must do."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from streaming_shared.catalogue import LAYERS, deploy_order
from streaming_tooling.testing import repo_root
from streaming_tooling.testing.noxfile import noxfile_sessions

ROOT = repo_root()
WORKFLOWS = ROOT / ".github" / "workflows"
TOOLS = Path(sys.executable).parent
SHA_PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def schema_errors(*paths: Path) -> str:
    """check-jsonschema's output when a file breaks GitHub's workflow schema, else ''."""
    completed = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if completed.returncode == 0 else completed.stdout + completed.stderr


def zizmor_findings(path: Path) -> list[dict[str, Any]]:
    """zizmor's findings (offline audits, default persona) for a workflow file or folder."""
    completed = subprocess.run(
        [str(TOOLS / "zizmor"), "--offline", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.stdout.strip(), completed.stderr
    findings: list[dict[str, Any]] = json.loads(completed.stdout)
    return findings


def severity_above_low(findings: list[dict[str, Any]]) -> list[str]:
    return [
        f"{finding['ident']} ({finding['determinations']['severity'].lower()})"
        for finding in findings
        if finding["determinations"]["severity"].lower() not in ("informational", "low", "unknown")
    ]


def load(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return document


def steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def test_every_workflow_follows_githubs_schema():
    workflows = sorted(WORKFLOWS.glob("*.yml"))
    assert {path.name for path in workflows} >= {"pull-request.yml", "deploy.yml", "deploy-layer.yml", "drift.yml"}
    assert schema_errors(*workflows) == ""


def test_zizmor_finds_nothing_above_low():
    assert severity_above_low(zizmor_findings(WORKFLOWS)) == []


def test_the_checks_catch_a_broken_and_an_unsafe_workflow(tmp_path):
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  greet:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps: []\n")
    assert "runs-on" in schema_errors(broken)
    assert {"template-injection (high)", "unpinned-uses (high)"} <= set(severity_above_low(zizmor_findings(unsafe)))


def test_every_action_is_pinned_to_a_commit():
    uses = [step["uses"] for path in WORKFLOWS.glob("*.yml") for step in steps(load(path.name)) if "uses" in step]
    assert uses
    assert [use for use in uses if not SHA_PINNED.match(use)] == []


def test_workflows_run_nox_sessions_only():
    sessions = noxfile_sessions(ROOT)
    called = []
    for path in WORKFLOWS.glob("*.yml"):
        for step in steps(load(path.name)):
            script = step.get("run", "")
            assert not re.search(r"^\s*(pulumi|pytest|ruff|mypy)\b", script, re.MULTILINE), (path.name, script)
            called += re.findall(r"\bnox -s ([\w-]+)", script)
    assert called
    assert sorted(set(called) - sessions) == []


def test_a_pull_request_runs_the_checks_and_for_each_affected_layer_its_tests_plan_and_preview():
    document = load("pull-request.yml")
    scripts = "\n".join(step.get("run", "") for step in steps(document))
    for command in (
        "nox -s affected -- --base",
        "nox -s contract-check -- --base",
        'nox -s tests -- "stacks/$LAYER"',
        "nox -s plan",
        'nox -s preview -- "$LAYER"',
        "nox -s lint",
    ):
        assert command in scripts, command
    assert document["jobs"]["layer"]["strategy"]["matrix"]["layer"] == "${{ fromJSON(needs.affected.outputs.layers) }}"
    assert "GITHUB_STEP_SUMMARY" in scripts


def test_the_deploy_jobs_follow_the_waves_of_the_catalogue():
    jobs = load("deploy.yml")["jobs"]
    for item in deploy_order():
        job = jobs[item.name]
        needs = job["needs"] if isinstance(job["needs"], list) else [job["needs"]]
        assert set(needs) == {"affected", *item.upstream}, item.name
        assert job["with"]["layer"] == item.name
        assert f"contains(fromJSON(needs.affected.outputs.layers), '{item.name}')" in job["if"]


def test_a_layer_is_redeployed_when_an_upstream_deploy_changed_what_it_reads():
    jobs = load("deploy.yml")["jobs"]
    for item in LAYERS.values():
        for upstream in item.upstream:
            assert f"contains(needs.{upstream}.outputs.readers, '{item.name}')" in jobs[item.name]["if"], item.name


def test_two_merges_never_update_the_same_stack_at_once():
    job = load("deploy-layer.yml")["jobs"]["deploy"]
    assert job["concurrency"] == {
        "group": "deploy-${{ inputs.layer }}-${{ inputs.stack }}",
        "cancel-in-progress": False,
    }
    assert 'nox -s deploy -- "$LAYER" --stack "$STACK" --readers-file' in job["steps"][-2]["run"]


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy-layer.yml", "drift.yml"])
def test_aws_credentials_come_from_oidc_role_assumption_only(name):
    document = load(name)
    for job in document["jobs"].values():
        aws_steps = [step for step in job.get("steps", []) if "configure-aws-credentials" in step.get("uses", "")]
        for step in aws_steps:
            assert set(step["with"]) == {"role-to-assume", "aws-region"}
            assert step["with"]["role-to-assume"].startswith("${{ vars.")
        if aws_steps:
            assert job["permissions"]["id-token"] == "write"
    assert "AWS_SECRET_ACCESS_KEY" not in (WORKFLOWS / name).read_text()


def test_the_scheduled_job_fails_on_drift():
    document = load("drift.yml")
    assert document[True]["schedule"]  # PyYAML reads the key `on` as True
    assert any(step.get("run", "").startswith("nox -s drift") for step in steps(document))
