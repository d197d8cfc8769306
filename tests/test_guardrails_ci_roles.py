"""The CI roles and the permissions boundary as docs/iam/ gives them: valid IAM (parliament and
the repo's own IAM checks) and holding what docs/security.md promises.

The documents are templates (`${ACCOUNT_ID}`, `${ENVIRONMENT}`...: `envsubst` fills them in);
the tests fill them with the values the offline plan uses, so the boundary is compared with the
role policies the stacks really produce."""

from __future__ import annotations

import fnmatch
import json
import re
import string
from typing import Any

import parliament
import pytest

from streaming_shared.naming import region_code
from streaming_shared.roles import PERMISSIONS_BOUNDARY_NAME
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.guardrails import iam
from streaming_tooling.testing import ACCOUNT_ID, repo_root

IAM_DOCS = repo_root() / "docs" / "iam"
BOUNDARY_NAME = PERMISSIONS_BOUNDARY_NAME
PLAN_STACK = "dev"
EXAMPLE = {
    "ACCOUNT_ID": ACCOUNT_ID,
    "REGION": "eu-west-1",
    "REGION_CODE": region_code("eu-west-1"),
    "ENVIRONMENT": PLAN_STACK,
    "GITHUB_REPOSITORY": "example-org/streaming-pipeline",
    "STATE_BUCKET": "example-pulumi-state",
    "PULUMI_SECRETS_KEY_ARN": f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}
DATA_READS = (
    "s3:GetObject",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "sqs:ReceiveMessage",
    "kms:Decrypt",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "states:GetExecutionHistory",
)
"""Reads of record contents the preview role must never be able to make (issue 24, item 1)."""


def filled(name: str) -> dict[str, Any]:
    text = (IAM_DOCS / name).read_text()
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    assert placeholders <= set(EXAMPLE), f"{name}: unknown placeholders {placeholders - set(EXAMPLE)}"
    document: dict[str, Any] = json.loads(string.Template(text).substitute(EXAMPLE))
    return document


def manifest() -> dict[str, dict[str, Any]]:
    roles: dict[str, dict[str, Any]] = json.loads((IAM_DOCS / "roles.json").read_text())
    return roles


def documents() -> list[tuple[str, str]]:
    """(file, property) of every document the manifest names: trust policies and permissions."""
    found = []
    for role in manifest().values():
        if "trust" in role:
            found.append((role["trust"], iam.TRUST_POLICY))
        for key in ("inline_policies", "self_managed_backend", "disposable_stacks"):
            found += [(name, "policy") for name in role.get(key, [])]
        if "managed_policy_document" in role:
            found.append((role["managed_policy_document"], "policy"))
    return found


def test_every_document_in_docs_iam_belongs_to_a_role():
    named = {name for name, _ in documents()} | {"roles.json"}
    assert named == {path.name for path in IAM_DOCS.glob("*.json")}


DEPLOY_ROLE_FINDINGS = {"RESOURCE_POLICY_PRIVILEGE_ESCALATION"}
"""parliament's findings the deploy role's policy keeps on purpose (docs/security.md says so): it
writes the bucket, key, queue and topic policies the stacks declare, so it could write one that
lets it read data. What those policies say is checked by the policy pack on every preview, and
only deploy-layer.yml of `main` can assume the role."""


@pytest.mark.parametrize(("name", "property_name"), documents())
def test_every_document_passes_parliament_and_the_repos_iam_checks(name, property_name):
    document = iam.Document("docs", name, property_name, property_name == iam.TRUST_POLICY, filled(name))
    kept = DEPLOY_ROLE_FINDINGS if name == "deploy-role-policy.json" else set()
    assert [str(finding) for finding in iam.lint(document) if finding.issue not in kept] == []
    assert iam.wildcard_problems(document.document) == []
    assert iam.open_principal_problems(document.document) == []
    assert iam.confused_deputy_problems(document) == []


def test_the_deploy_role_keeps_exactly_the_findings_it_is_said_to():
    document = iam.Document("docs", "deploy", "policy", False, filled("deploy-role-policy.json"))
    assert {finding.issue for finding in iam.lint(document)} == DEPLOY_ROLE_FINDINGS


def statements(name: str, effect: str = "Allow") -> list[dict[str, Any]]:
    return [statement for statement in filled(name)["Statement"] if statement["Effect"] == effect]


def allowed_actions(name: str) -> set[str]:
    return {action for statement in statements(name) for action in iam.as_list(statement["Action"])}


def grants(name: str, action: str, resource: str) -> bool:
    """Whether an Allow of the document names `action` on `resource` (IAM's glob rules)."""
    return any(
        any(parliament.is_glob_match(pattern.lower(), action.lower()) for pattern in iam.as_list(statement["Action"]))
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in iam.as_list(statement["Resource"]))
        for statement in statements(name)
    )


# -- trust -------------------------------------------------------------------------------------

OIDC = "token.actions.githubusercontent.com"


def test_the_deploy_role_trusts_only_deploy_layer_yml_of_main_in_the_stacks_environment():
    [statement] = filled("deploy-role-trust.json")["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{OIDC}"}
    assert statement["Condition"] == {
        "StringEquals": {
            f"{OIDC}:aud": "sts.amazonaws.com",
            f"{OIDC}:sub": "repo:example-org/streaming-pipeline:environment:dev:job_workflow_ref:"
            "example-org/streaming-pipeline/.github/workflows/deploy-layer.yml@refs/heads/main",
        }
    }
    assert (repo_root() / ".github" / "workflows" / "deploy-layer.yml").exists()


def test_the_preview_role_trusts_pull_request_previews_and_the_drift_job_of_main_only():
    [statement] = filled("preview-role-trust.json")["Statement"]
    assert statement["Condition"]["StringEquals"] == {f"{OIDC}:aud": "sts.amazonaws.com"}
    subjects = statement["Condition"]["StringLike"][f"{OIDC}:sub"]
    repo = "example-org/streaming-pipeline"
    assert subjects == [
        f"repo:{repo}:environment:preview:job_workflow_ref:{repo}/.github/workflows/pull-request.yml@refs/pull/*/merge",
        f"repo:{repo}:environment:drift:job_workflow_ref:{repo}/.github/workflows/drift.yml@refs/heads/main",
    ]
    assert not any(fnmatch.fnmatchcase(f"repo:{repo}:environment:dev:job_workflow_ref:x", s) for s in subjects)


# -- permissions ---------------------------------------------------------------------------------


def test_the_preview_role_attaches_view_only_access_and_allows_reads_only():
    role = manifest()["github-streaming-preview"]
    assert role["managed_policies"] == ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
    levels = {action: access_level(action) for action in allowed_actions("preview-role-policy.json")}
    assert {action: level for action, level in levels.items() if level not in ("Read", "List")} == {}


def access_level(action: str) -> str:
    prefix, _, name = action.partition(":")
    service = next(service for service in parliament.iam_definition if service["prefix"] == prefix)
    return str(next(p["access_level"] for p in service["privileges"] if p["privilege"].lower() == name.lower()))


@pytest.mark.parametrize("action", DATA_READS)
def test_the_preview_role_denies_every_data_read(action):
    patterns = [pattern for deny in statements("preview-role-policy.json", "Deny") for pattern in deny["Action"]]
    assert any(parliament.is_glob_match(pattern.lower(), action.lower()) for pattern in patterns), action


def test_the_deploy_role_passes_roles_only_to_the_services_that_run_them():
    [pass_role] = [s for s in statements("deploy-role-policy.json") if "iam:PassRole" in iam.as_list(s["Action"])]
    assert pass_role["Resource"] == f"arn:aws:iam::{ACCOUNT_ID}:role/streaming-dev-euw1-*"
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com", "states.amazonaws.com"]}
    }


IAM_ROLE_PERMISSION_WRITES = {
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
}


def test_the_deploy_role_writes_role_permissions_only_on_the_projects_roles_under_the_boundary():
    boundary = f"arn:aws:iam::{ACCOUNT_ID}:policy/{BOUNDARY_NAME}"
    for statement in statements("deploy-role-policy.json"):
        writes = IAM_ROLE_PERMISSION_WRITES & set(iam.as_list(statement["Action"]))
        if writes:
            assert statement["Resource"] == f"arn:aws:iam::{ACCOUNT_ID}:role/streaming-dev-euw1-*", writes
            assert statement["Condition"]["StringEquals"]["iam:PermissionsBoundary"] == boundary, writes
    allowed = {action for action in allowed_actions("deploy-role-policy.json") if action.startswith("iam:")}
    assert allowed >= IAM_ROLE_PERMISSION_WRITES
    [deny] = statements("deploy-role-policy.json", "Deny")
    assert {"iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion"} <= set(deny["Action"])
    assert boundary in deny["Resource"]


WITH_KEYS = {"data": {"streamCustomerManagedKey": True, "archiveCustomerManagedKey": True}}
"""The data layer's customer-managed keys on, so the roles are granted their use too."""


@pytest.fixture(scope="module")
def dev_plan():
    plan = build_plan(PLAN_STACK, config_overrides=WITH_KEYS)
    assert plan.runs, plan.problems
    return plan


@pytest.fixture(scope="module")
def stack_role_statements(dev_plan):
    """Every statement of the role policies the stacks produce (plan of stack dev, with keys)."""
    found = []
    for run in dev_plan.runs.values():
        assert run.region == EXAMPLE["REGION"]
        for resource in run.resources:
            for document in iam.documents(resource.type, resource.name, resource.inputs):
                if not document.resource_policy:
                    found += [(resource.name, s) for s in iam.as_list(document.document.get("Statement"))]
    assert found
    return found


def test_the_boundary_allows_everything_the_stacks_roles_are_granted(stack_role_statements):
    outside = [
        f"{name}: {action} on {resource}"
        for name, statement in stack_role_statements
        if statement.get("Effect") == "Allow"
        for action in iam.as_list(statement.get("Action"))
        for resource in iam.as_list(statement.get("Resource"))
        if not grants("permissions-boundary.json", action, resource)
    ]
    assert outside == []


def test_the_boundary_allows_no_iam_and_no_sts():
    assert {a for a in allowed_actions("permissions-boundary.json") if a.startswith(("iam:", "sts:"))} == set()


def service_of(type_token: str) -> str:
    """The IAM service prefix of a pulumi-aws resource type (its module, with the exceptions)."""
    if type_token.startswith("aws:cloudwatch/logGroup:"):
        return "logs"
    module = type_token.split(":")[1].split("/", 1)[0]
    return {"vpc": "ec2", "sfn": "states"}.get(module, module)


def test_the_deploy_role_can_manage_every_kind_of_resource_the_stacks_create(dev_plan):
    services = {service_of(r.type) for run in dev_plan.runs.values() for r in run.cloud_resources}
    granted = {action.split(":")[0] for action in allowed_actions("deploy-role-policy.json")}
    assert services - granted == set()
