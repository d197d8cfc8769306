"""The GitHub Actions workflows, offline: GitHub's schema, zizmor's audit, and what they must do.

The security properties (docs/security.md) are functions returning the problems they find, each
checked on the repository's workflows and on a workflow crafted to break it."""

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
        'nox -s preview --no-install -- "$LAYER"',
        "nox -s lint",
    ):
        assert command in scripts, command
    for job in ("layer", "preview"):
        assert document["jobs"][job]["strategy"]["matrix"]["layer"] == "${{ fromJSON(needs.affected.outputs.layers) }}"
    assert "GITHUB_STEP_SUMMARY" in scripts


def test_the_deploy_jobs_follow_the_waves_of_the_catalogue():
    jobs = load("deploy.yml")["jobs"]
    assert set(jobs) == set(LAYERS)
    for item in deploy_order():
        job = jobs[item.name]
        assert set(job.get("needs", [])) == set(item.upstream), item.name
        assert job["with"] == {"layer": item.name, "stack": "dev"}


def test_dependents_of_a_failed_cancelled_or_skipped_layer_are_skipped_at_every_depth():
    """GitHub skips a job one of whose `needs` did not succeed, unless an `if` says otherwise: every
    layer's job runs (it decides itself whether its layer is behind), so a skipped one means its
    upstream failed, and its dependents are skipped in turn."""
    assert {name: job["if"] for name, job in load("deploy.yml")["jobs"].items() if "if" in job} == {}


def test_each_layer_is_compared_with_what_its_stack_runs_not_with_the_previous_push():
    assert "github.event.before" not in (WORKFLOWS / "deploy.yml").read_text()
    job = load("deploy-layer.yml")["jobs"]["deploy"]
    checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the commit a stack records must be in the clone
    deploy = next(step for step in job["steps"] if step.get("id") == "deploy")
    assert 'nox -s deploy-changed --no-install -- --layer "$LAYER" --stack "$STACK"' in deploy["run"]
    assert "--base" not in deploy["run"]


def test_two_merges_never_update_the_same_stack_at_once():
    job = load("deploy-layer.yml")["jobs"]["deploy"]
    assert job["concurrency"] == {
        "group": "deploy-${{ inputs.layer }}-${{ inputs.stack }}",
        "cancel-in-progress": False,
    }


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy-layer.yml", "drift.yml", "promote.yml"])
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


# -- security properties (docs/security.md) ----------------------------------------------------

PULL_REQUEST_EVENTS = {"pull_request", "pull_request_target"}
READ_ONLY_SECRETS = {"secrets.PULUMI_ACCESS_TOKEN"}
"""The one secret a pull request's job may hold: the `preview` environment's read-only Pulumi token."""
DEPLOY_CREDENTIALS = ("secrets.PULUMI_CONFIG_PASSPHRASE", "vars.AWS_DEPLOY_ROLE_ARN")
PREVIEW_ENVIRONMENT = "preview"
SECRET_REFERENCE = re.compile(r"\bsecrets\.[A-Za-z_][A-Za-z0-9_]*")
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"


def events(document: dict[Any, Any]) -> set[str]:
    on = document[True]  # PyYAML reads the key `on` as True
    return {on} if isinstance(on, str) else set(on)


def job_text(job: dict[str, Any]) -> str:
    return yaml.safe_dump(job)


def pull_request_job_problems(document: dict[Any, Any]) -> list[str]:
    """What a job that runs a pull request's code must not hold: a deploy role, the passphrase, any
    secret but the preview environment's read-only token, a token that can write."""
    if not events(document) & PULL_REQUEST_EVENTS:
        return []
    problems = [f"triggered by {event}" for event in sorted(events(document) & {"pull_request_target"})]
    for name, job in document["jobs"].items():
        text = job_text(job)
        problems += [f"{name}: holds {credential}" for credential in DEPLOY_CREDENTIALS if credential in text]
        secrets = set(SECRET_REFERENCE.findall(text))
        if secrets - READ_ONLY_SECRETS or (secrets and job.get("environment") != PREVIEW_ENVIRONMENT):
            problems.append(f"{name}: holds {', '.join(sorted(secrets))} outside the preview environment")
        writes = {scope for scope, level in (job.get("permissions") or {}).items() if level == "write"}
        if writes - {"id-token"}:
            problems.append(f"{name}: a token that can write ({', '.join(sorted(writes))})")
        if "id-token" in writes and job.get("environment") != PREVIEW_ENVIRONMENT:
            problems.append(f"{name}: an OIDC token outside the preview environment")
    return problems


def install_order_problems(document: dict[Any, Any]) -> list[str]:
    """In a job that assumes a role: every install comes before the credentials step, and every nox
    session after it runs with --no-install, installed by an earlier --install-only step."""
    problems = []
    for name, job in document["jobs"].items():
        steps_ = job.get("steps", [])
        credentials = [index for index, step in enumerate(steps_) if AWS_CREDENTIALS in step.get("uses", "")]
        if not credentials:
            continue
        before = "\n".join(step.get("run", "") for step in steps_[: credentials[0]])
        installed = set(re.findall(r"nox -s ([\w-]+) --install-only", before))
        for step in steps_[credentials[0] :]:
            script = step.get("run", "")
            if re.search(r"\bpip install\b|--install-only", script):
                problems.append(f"{name}: installs after the credentials: {script.strip()}")
            for session, flags in re.findall(r"nox -s ([\w-]+)((?: --[\w-]+)*)", script):
                if "--no-install" not in flags.split():
                    problems.append(f"{name}: nox -s {session} may install after the credentials (no --no-install)")
                elif session not in installed:
                    problems.append(f"{name}: nox -s {session} was not installed before the credentials")
    return problems


def secret_passing_problems(document: dict[Any, Any]) -> list[str]:
    """Secrets live in environments: only a job with an environment reads one, and none is passed
    between workflows (a reusable workflow's job reads its own environment's)."""
    problems = []
    if isinstance(document[True], dict) and (document[True].get("workflow_call") or {}).get("secrets"):
        problems.append("workflow_call declares secrets")
    for name, job in document["jobs"].items():
        if "secrets" in job:
            problems.append(f"{name}: passes secrets to {job.get('uses')}")
        elif SECRET_REFERENCE.search(job_text(job)) and not job.get("environment"):
            problems.append(f"{name}: reads a secret outside any environment")
    return problems


def every_workflow() -> dict[str, dict[Any, Any]]:
    return {path.name: load(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


@pytest.mark.parametrize(
    "check", [pull_request_job_problems, install_order_problems, secret_passing_problems], ids=lambda c: c.__name__
)
def test_the_workflows_hold_each_security_property(check):
    assert {name: check(document) for name, document in every_workflow().items() if check(document)} == {}


def test_the_pull_request_workflow_has_a_preview_job_to_check():
    jobs = load("pull-request.yml")["jobs"]
    assert jobs["preview"]["environment"] == PREVIEW_ENVIRONMENT
    assert jobs["preview"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert "vars.AWS_PREVIEW_ROLE_ARN" in job_text(jobs["preview"])
    assert "head.repo.full_name == github.repository" in jobs["preview"]["if"]
    assert "vars.PULUMI_SECRETS_PROVIDER != 'passphrase'" in jobs["preview"]["if"]
    assert "id-token" not in job_text(jobs["layer"]) and "secrets." not in job_text(jobs["layer"])


CRAFTED = """
on: pull_request
jobs:
  preview:
    runs-on: ubuntu-24.04
    environment: dev
    permissions: {contents: write, id-token: write}
    steps:
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502
        with: {role-to-assume: "${{ vars.AWS_DEPLOY_ROLE_ARN }}", aws-region: eu-west-1}
      - run: python -m pip install "nox==2026.10.20"
      - env: {PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"}
        run: nox -s preview -- compute
  call:
    uses: ./.github/workflows/deploy-layer.yml
    secrets: {PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
"""


def test_each_security_property_catches_a_workflow_crafted_to_break_it():
    crafted = yaml.safe_load(CRAFTED)
    assert pull_request_job_problems(crafted) == [
        "preview: holds secrets.PULUMI_CONFIG_PASSPHRASE",
        "preview: holds vars.AWS_DEPLOY_ROLE_ARN",
        "preview: holds secrets.PULUMI_CONFIG_PASSPHRASE outside the preview environment",
        "preview: a token that can write (contents, id-token)",
        "preview: an OIDC token outside the preview environment",
        "call: holds secrets.PULUMI_ACCESS_TOKEN outside the preview environment",
    ]
    assert install_order_problems(crafted) == [
        'preview: installs after the credentials: python -m pip install "nox==2026.10.20"',
        "preview: nox -s preview may install after the credentials (no --no-install)",
    ]
    assert secret_passing_problems(crafted) == ["call: passes secrets to ./.github/workflows/deploy-layer.yml"]


def test_the_deploy_runs_in_the_environment_named_like_the_stack_from_main_only():
    deploy = load("deploy.yml")
    assert events(deploy) == {"push"} and deploy[True]["push"] == {"branches": ["main"]}
    assert load("deploy-layer.yml")["jobs"]["deploy"]["environment"] == "${{ inputs.stack }}"
    assume = {
        name: [job_name for job_name, job in document["jobs"].items() if "vars.AWS_DEPLOY_ROLE_ARN" in job_text(job)]
        for name, document in every_workflow().items()
    }
    assert {name: jobs for name, jobs in assume.items() if jobs} == {
        "deploy-layer.yml": ["deploy"],
        "promote.yml": ["promote"],
    }


def test_promote_runs_by_hand_in_the_target_stack_s_environment_with_its_inputs_checked_first():
    document = load("promote.yml")
    assert events(document) == {"workflow_dispatch"}
    assert set(document[True]["workflow_dispatch"]["inputs"]) == {"from", "to", "layers"}
    job = document["jobs"]["promote"]
    assert job["environment"] == "${{ inputs.to }}"
    assert job["env"] == {
        "FROM_STACK": "${{ inputs.from }}",
        "TO_STACK": "${{ inputs.to }}",
        "LAYERS": "${{ inputs.layers }}",
    }
    scripts = [step.get("run", "") for step in job["steps"]]
    assert all("${{" not in script for script in scripts)  # inputs reach scripts through env: only
    assert job["steps"][0]["name"] == "check the inputs"
    promote = next(step for step in job["steps"] if step.get("id") == "promote")
    assert 'nox -s promote --no-install -- --from "$FROM_STACK" --to "$TO_STACK" "${layers[@]}" --yes' in promote["run"]
    checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        ({"LAYERS": "compute, observability"}, ""),
        ({"LAYERS": "compute;id"}, "::error::layers: compute;id is not one of network, data, compute, observability"),
        ({"LAYERS": "$(id)"}, "::error::layers: $(id) is not one of network, data, compute, observability"),
        ({"TO_STACK": "prod x"}, "::error::to: not a stack name"),
        ({"GITHUB_REF": "refs/heads/feature"}, "::error::run promote from main, not refs/heads/feature"),
    ],
)
def test_promote_s_input_check_admits_stack_and_layer_names_only(tmp_path, inputs, error):
    check = load("promote.yml")["jobs"]["promote"]["steps"][0]["run"]
    environment = {
        "PATH": "/usr/bin:/bin",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_REF": "refs/heads/main",
        "FROM_STACK": "dev",
        "TO_STACK": "prod",
        "LAYERS": "",
        **inputs,
    }
    completed = subprocess.run(
        ["bash", "-e", "-c", check], env=environment, capture_output=True, text=True, check=False
    )
    assert (completed.returncode != 0, completed.stderr.strip()) == (bool(error), error)
    if not error:
        assert (tmp_path / "layers.txt").read_text() == "--layer\ncompute\n--layer\nobservability\n"


def test_the_drift_job_runs_in_its_own_environment_with_the_read_only_role():
    job = load("drift.yml")["jobs"]["drift"]
    assert job["environment"] == "drift"
    assert "vars.AWS_PREVIEW_ROLE_ARN" in job_text(job) and "AWS_DEPLOY_ROLE_ARN" not in job_text(job)


def test_nox_is_installed_from_its_hashed_lock():
    installs = [
        step["run"]
        for document in every_workflow().values()
        for step in steps(document)
        if "pip install" in step.get("run", "")
    ]
    assert installs
    assert set(installs) == {"python -m pip install --require-hashes -r requirements/nox.txt"}
