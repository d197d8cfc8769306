"""IAM policy documents: finding them among resources, and checking them.

Two checks, both offline:
- `wildcard_problems`: an Allow with a `*` (or `service:*`) action, a NotAction, or a `*`
  resource for an action that supports resource-level permissions. Which actions do is read
  from the IAM definition database that ships with parliament.
- `lint`: parliament's findings above LOW severity, minus the accepted exceptions below, each
  with its reason.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

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
    "aws:kms/key:Key": (("policy", True),),
    "aws:lambda/layerVersionPermission:LayerVersionPermission": (),
}

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


def wildcard_problems(document: Mapping[str, Any]) -> list[str]:
    """Allow statements that grant every action, or every resource where AWS allows scoping."""
    problems = []
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        if "Principal" in statement:
            continue  # a resource policy statement: its resource is the resource it is attached to
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
