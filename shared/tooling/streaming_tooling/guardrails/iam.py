"""IAM policy documents: finding them among resources (`documents`, `managed_policy_arns`), and
checking them offline (`wildcard_problems`, `open_principal_problems`, `confused_deputy_problems`,
`broad_managed_policy`, and `lint`: parliament's findings above LOW severity, minus the accepted
exceptions below, each with its reason). Each check's docstring says what it finds.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

with warnings.catch_warnings():
    # parliament imports pkg_resources (hence setuptools<81 in the guardrails extra), which warns
    # on import; the warning would open every `nox -s plan` and policy-pack run.
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
    import parliament

# Where each resource type keeps an IAM document: (property path, is a resource policy).
# A property path step "[]" walks every element of a list.
DOCUMENT_PROPERTIES: Mapping[str, tuple[tuple[str, bool], ...]] = {
    "aws:iam/rolePolicy:RolePolicy": (("policy", False),),
    "aws:iam/policy:Policy": (("policy", False),),
    "aws:iam/userPolicy:UserPolicy": (("policy", False),),
    "aws:iam/groupPolicy:GroupPolicy": (("policy", False),),
    "aws:iam/role:Role": (("assumeRolePolicy", True), ("inlinePolicies[].policy", False)),
    "aws:s3/bucketPolicy:BucketPolicy": (("policy", True),),
    "aws:sns/topicPolicy:TopicPolicy": (("policy", True),),
    "aws:sqs/queuePolicy:QueuePolicy": (("policy", True),),
    "aws:sns/topic:Topic": (("policy", True),),
    "aws:sqs/queue:Queue": (("policy", True),),
    "aws:kms/key:Key": (("policy", True),),
    "aws:kms/keyPolicy:KeyPolicy": (("policy", True),),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (("policy", True),),
    "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": (("policy", True),),
    "aws:lambda/layerVersionPermission:LayerVersionPermission": (),
}

TRUST_POLICY = "assumeRolePolicy"
ENDPOINT_POLICY_TYPES = frozenset({"aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"})

# Where each resource type names AWS managed policies it attaches: (property, holds a list).
MANAGED_POLICY_PROPERTIES: Mapping[str, tuple[str, bool]] = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", False),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn", False),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn", False),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn", False),
    "aws:iam/role:Role": ("managedPolicyArns", True),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns", True),
}

_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?P<path>(?:[\w+=,.@-]+/)*)(?P<name>[\w+=,.@-]+)$")
_BROAD_MANAGED = (
    (re.compile(r"^AdministratorAccess"), "grants every action on every resource"),
    (re.compile(r"^PowerUserAccess$"), "grants every action but IAM's on every resource"),
    (re.compile(r"FullAccess"), "grants every action of a service on all its resources"),
    (re.compile(r"^ReadOnlyAccess$"), "reads every resource of the account, data included"),
)

PRINCIPAL_LIMITING_KEYS = frozenset(
    {
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalarn",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourceowner",
        "kms:calleraccount",
    }
)
"""Condition keys that limit a statement open to any principal to known accounts or sources."""

CONFUSED_DEPUTY_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourceowner",
        "kms:encryptioncontext:aws:logs:arn",
    }
)
"""Condition keys that tie a service principal's request to this account's own resources. CloudWatch
Logs names the log group it encrypts for in the KMS encryption context (`aws:logs:arn`), which is how
its guide limits a key policy to one account's groups."""

_LIMITING_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})

SEVERITY_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "CRITICAL": 3}


@dataclass(frozen=True)
class AcceptedFinding:
    """A parliament finding accepted on purpose, for one kind of document property."""

    issue: str
    detail_contains: str
    document_property: str
    reason: str


ACCEPTED_FINDINGS: tuple[AcceptedFinding, ...] = (
    AcceptedFinding(
        issue="MALFORMED",
        detail_contains="neither Resource nor NotResource",
        document_property="assumeRolePolicy",
        reason="A role's trust policy names no Resource: the role it is attached to is the resource. "
        "parliament checks every document as an identity policy and so reports all trust policies.",
    ),
    AcceptedFinding(
        issue="UNKNOWN_FEDERATION_SOURCE",
        detail_contains=":oidc-provider/token.actions.githubusercontent.com",
        document_property="assumeRolePolicy",
        reason="parliament knows a fixed list of identity providers; GitHub Actions' OIDC provider, which the CI "
        "roles trust (docs/iam/), is not on it.",
    ),
)
"""Every accepted parliament finding, with its reason. Keep this list short and honest."""


@dataclass(frozen=True)
class Document:
    type: str
    name: str
    property: str
    resource_policy: bool
    document: dict[str, Any]


def _values_at(props: Mapping[str, Any], path: str) -> Iterator[Any]:
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = props.get(head[:-2]) or []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                yield from _values_at(item, rest) if rest else iter([item])
        return
    value = props.get(head)
    if rest:
        if isinstance(value, Mapping):
            yield from _values_at(value, rest)
    elif value is not None:
        yield value


def documents(type_token: str, name: str, props: Mapping[str, Any]) -> list[Document]:
    """The IAM documents a resource carries, parsed (a string that is not JSON is skipped)."""
    found = []
    for path, resource_policy in DOCUMENT_PROPERTIES.get(type_token, ()):
        for value in _values_at(props, path):
            try:
                parsed = json.loads(value) if isinstance(value, str) else value
            except ValueError:
                continue
            if isinstance(parsed, dict):
                found.append(Document(type_token, name, path, resource_policy, parsed))
    return found


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@functools.cache
def _privileges() -> dict[str, dict[str, bool]]:
    """service prefix -> privilege name (lower case) -> supports resource-level permissions."""
    return {
        service["prefix"]: {
            privilege["privilege"].lower(): any(rt["resource_type"] for rt in privilege["resource_types"])
            for privilege in service["privileges"]
        }
        for service in parliament.iam_definition
    }


def supports_resource_level_permissions(action: str) -> bool:
    """True when some privilege this action (pattern) names can be scoped to a resource ARN."""
    prefix, _, name = action.partition(":")
    privileges = _privileges().get(prefix.lower(), {})
    if "*" in name or "?" in name:
        return any(
            supported
            for privilege, supported in privileges.items()
            if parliament.is_glob_match(name.lower(), privilege)
        )
    return privileges.get(name.lower(), False)


def _allow_statements(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for statement in as_list(document.get("Statement")):
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            yield statement


def wildcard_problems(document: Mapping[str, Any], *, principal_statements: bool = False) -> list[str]:
    """Allow statements that grant every action, or every resource where AWS allows scoping.

    A statement with a Principal belongs to a resource policy, whose resource is the resource it
    is attached to, so it is skipped unless `principal_statements` (an endpoint policy, whose
    Resource says which resources may be reached through the endpoint)."""
    problems = []
    for statement in _allow_statements(document):
        if ("Principal" in statement or "NotPrincipal" in statement) and not principal_statements:
            continue
        if "NotAction" in statement:
            problems.append("an Allow with NotAction grants every other action; list the actions instead")
        actions = [str(action) for action in as_list(statement.get("Action"))]
        for action in actions:
            if action == "*" or action.endswith(":*"):
                problems.append(f"action {action!r} grants a whole service; list the actions the code calls")
        if "*" in as_list(statement.get("Resource")):
            scoped = sorted(action for action in actions if supports_resource_level_permissions(action))
            if scoped:
                problems.append(
                    f"Resource '*' for {', '.join(scoped)}, which support resource-level permissions; name the ARNs"
                )
    return problems


def _principals(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """A statement's principals by kind (`AWS`, `Service`, `Federated`...); `"*"` is `{"AWS": ["*"]}`."""
    principal = statement.get("Principal")
    if principal == "*":
        return {"AWS": ["*"]}
    if isinstance(principal, Mapping):
        return {str(kind): [str(value) for value in as_list(values)] for kind, values in principal.items()}
    return {}


def limited_by(statement: Mapping[str, Any], keys: frozenset[str]) -> bool:
    """Whether a condition requires one of `keys` to equal (or match) a value other than `*`.

    `...IfExists` operators and negated ones (`StringNotEquals`) do not limit: a request
    without the key, or with any other value, passes them."""
    for operator, conditions in (statement.get("Condition") or {}).items():
        base = str(operator).split(":")[-1].lower()
        if base not in _LIMITING_OPERATORS or not isinstance(conditions, Mapping):
            continue
        for key, value in conditions.items():
            values = [str(item) for item in as_list(value)]
            if str(key).lower() in keys and values and "*" not in values:
                return True
    return False


def open_principal_problems(document: Mapping[str, Any]) -> list[str]:
    """Allow statements open to any principal (`*`, `{"AWS": "*"}`, NotPrincipal) that no
    condition limits to an account, an organization or a source."""
    problems = []
    for statement in _allow_statements(document):
        if "NotPrincipal" in statement:
            problems.append("an Allow with NotPrincipal grants every other principal; name the principals instead")
        elif "*" in _principals(statement).get("AWS", []) and not limited_by(statement, PRINCIPAL_LIMITING_KEYS):
            problems.append(
                "an Allow to any principal ('*') with no condition limiting it to an account, organization or "
                "source (aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn...)"
            )
    return problems


def confused_deputy_problems(document: Document) -> list[str]:
    """Service principals in a resource policy that any account's resources could send.

    Trust policies are left out: the execution role trust of Lambda, for one, takes no source
    condition (the service assumes the role for the function the role is given to)."""
    if document.property == TRUST_POLICY:
        return []
    problems = []
    for statement in _allow_statements(document.document):
        services = _principals(statement).get("Service", [])
        if services and not limited_by(statement, CONFUSED_DEPUTY_KEYS):
            problems.append(
                f"service principal {', '.join(services)} may act for any account (confused deputy): add "
                "aws:SourceAccount or aws:SourceArn conditions"
            )
    return problems


def managed_policy_arns(type_token: str, props: Mapping[str, Any]) -> list[str]:
    """The managed policy ARNs a resource attaches (empty for other resource types)."""
    if type_token not in MANAGED_POLICY_PROPERTIES:
        return []
    key, is_list = MANAGED_POLICY_PROPERTIES[type_token]
    value = props.get(key)
    return [str(arn) for arn in (as_list(value) if is_list else [value]) if arn]


def broad_managed_policy(arn: str) -> str | None:
    """Why an AWS managed policy is too broad for a workload's role, or None.

    Administrator, power-user, `*FullAccess` and `ReadOnlyAccess` policies, and the job-function
    policies (`job-function/...`), which AWS writes for people, not for workloads."""
    match = _AWS_MANAGED.match(arn)
    if not match:
        return None
    if match["path"].startswith("job-function/"):
        return "is written for a person's job function, not for a workload"
    for pattern, reason in _BROAD_MANAGED:
        if pattern.search(match["name"]):
            return reason
    return None


@dataclass(frozen=True)
class Finding:
    issue: str
    severity: str
    detail: Any

    def __str__(self) -> str:
        return f"{self.severity} {self.issue}: {self.detail}"


def _accepted(finding: Finding, document: Document) -> bool:
    text = json.dumps(finding.detail, default=str)
    return any(
        accepted.issue == finding.issue
        and accepted.detail_contains in text
        and accepted.document_property == document.property
        for accepted in ACCEPTED_FINDINGS
    )


def lint(document: Document) -> list[Finding]:
    """parliament's findings above LOW severity that are not accepted exceptions."""
    analyzed = parliament.analyze_policy_string(json.dumps(document.document), include_community_auditors=False)
    findings = []
    for raw in analyzed.findings:
        severity = parliament.config.get(raw.issue, {}).get("severity", "MEDIUM")
        finding = Finding(raw.issue, severity, raw.detail)
        if document.resource_policy and raw.issue in {"RESOURCE_STAR", "RESOURCE_EFFECTIVELY_STAR"}:
            continue
        if SEVERITY_RANK.get(severity, 1) > SEVERITY_RANK["LOW"] and not _accepted(finding, document):
            findings.append(finding)
    return findings
