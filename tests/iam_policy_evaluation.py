"""Whether an identity policy allows one request: IAM's evaluation of a single policy document,
for the operators the documents in docs/iam/ use.

A request is an action, the ARN it is authorized on (`*` for an action that takes no resource) and
its condition context (`aws:RequestTag/Environment`, `iam:PassedToService`...). As IAM does: an
explicit Deny wins, then any Allow; a statement matches when its Action (or NotAction), its Resource
(or NotResource) and every condition match. An operator this module does not know is an error, not
a guess, so a document that starts using one forces this evaluator to learn it first.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        conditions = ", ".join(f"{key}={value}" for key, value in sorted(self.context.items()))
        return f"{self.action} on {self.resource}" + (f" ({conditions})" if conditions else "")


def _values(value: Any) -> list[str]:
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def _glob(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one character; nothing else is special."""
    escaped = pattern.replace("[", "[[]")
    if case_sensitive:
        return fnmatch.fnmatchcase(value, escaped)
    return fnmatch.fnmatchcase(value.lower(), escaped.lower())


def _string_equals(patterns: list[str], value: str) -> bool:
    return value in patterns


def _string_like(patterns: list[str], value: str) -> bool:
    return any(_glob(pattern, value) for pattern in patterns)


def _bool(patterns: list[str], value: str) -> bool:
    return value.lower() in (pattern.lower() for pattern in patterns)


def _null_holds(expected: Any, present: bool) -> bool:
    """`Null`: `"true"` holds when the request has no such key, `"false"` when it has one."""
    return any((value.lower() == "true") != present for value in _values(expected))


_OPERATORS = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_string_equals, False),
    "ArnNotEquals": (_string_equals, True),
    "ArnLike": (_string_like, False),
    "ArnNotLike": (_string_like, True),
    "Bool": (_bool, False),
}
"""Condition operator -> (how one context value is compared with the statement's values, negated)."""


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    present = {name.lower(): value for name, value in context.items()}
    if operator == "Null":
        return _null_holds(expected, key.lower() in present)
    base = operator.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise ValueError(f"condition operator {operator!r} is unknown to this evaluator; teach it first")
    compare, negated = _OPERATORS[base]
    if key.lower() not in present:
        # A missing key: `...IfExists` and negated operators hold, every other operator fails.
        return operator.endswith("IfExists") or negated
    matched = compare(_values(expected), present[key.lower()])
    return not matched if negated else matched


def _statement_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        actions = _values(statement["Action"])
        if not any(_glob(pattern, request.action, case_sensitive=False) for pattern in actions):
            return False
    elif any(_glob(pattern, request.action, case_sensitive=False) for pattern in _values(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_glob(pattern, request.resource) for pattern in _values(statement["Resource"])):
            return False
    elif any(_glob(pattern, request.resource) for pattern in _values(statement["NotResource"])):
        return False
    return all(
        _condition_holds(operator, key, expected, request.context)
        for operator, conditions in (statement.get("Condition") or {}).items()
        for key, expected in conditions.items()
    )


def allows(document: Mapping[str, Any], request: Request) -> bool:
    """Whether `document` alone allows `request`: some Allow matches it and no Deny does."""
    matching = [statement for statement in _values_of(document) if _statement_matches(statement, request)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(s["Effect"] == "Deny" for s in matching)


def denies(document: Mapping[str, Any], request: Request) -> bool:
    """Whether a Deny of `document` matches `request` (it then wins over any other policy's Allow)."""
    return any(s["Effect"] == "Deny" and _statement_matches(s, request) for s in _values_of(document))


def _values_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement") or []
    return statements if isinstance(statements, list) else [statements]
