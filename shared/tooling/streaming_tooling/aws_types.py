"""What the installed pulumi_aws package says about its own types: classes and deprecations.

pulumi-aws warns about a deprecated argument only when it is passed through the resource's
`*Args` class; passed as a keyword argument it is silent. So instead of listening for
warnings, this module reads the markers the code generator leaves in the package:

- a deprecated resource class has a `warnings.warn(...)` call in its class body;
- a deprecated argument's getter in an `*Args` class (top-level or nested input type) carries
  `@_utilities.deprecated(message)`, which tags the function with `_pulumi_deprecated_callable`.

`deprecated_uses(type, inputs)` compares those markers with the inputs a resource registered
(wire names, as the engine sees them), walking into nested input types.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi_aws

_PARSE_LOCK = threading.Lock()


def _parse(source: str) -> ast.Module:
    """`ast.parse`, one thread at a time: the mock engine registers resources from several
    threads, and CPython 3.11's parser can fail with "AST constructor recursion depth
    mismatch" when two threads parse at once."""
    with _PARSE_LOCK:
        return ast.parse(source)


@dataclass(frozen=True)
class DeprecatedUse:
    """A deprecated resource type, or a deprecated argument at `path` in its inputs."""

    type: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.type} {self.name!r}" + (f" argument {self.path}" if self.path else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class _Property:
    python_name: str
    deprecation: str | None
    nested: type | None


@functools.cache
def _resource_modules() -> dict[str, tuple[str, str]]:
    """Type token -> (module, class name), from the registry pulumi_aws builds at import."""
    source = Path(pulumi_aws.__file__).read_text()
    tree = _parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "register":
            for keyword in node.keywords:
                if keyword.arg == "resource_modules":
                    entries = json.loads(ast.literal_eval(keyword.value))
                    return {
                        token: (entry["fqn"], class_name)
                        for entry in entries
                        for token, class_name in entry["classes"].items()
                    }
    raise RuntimeError("could not find the resource registry in pulumi_aws/__init__.py")


def resource_class(type_token: str) -> type | None:
    located = _resource_modules().get(type_token)
    if located is None:
        return None
    module_name, class_name = located
    return getattr(importlib.import_module(module_name), class_name, None)


@functools.cache
def resource_deprecation(type_token: str) -> str | None:
    """The message of a deprecated resource class, read from the warning in its class body."""
    cls = resource_class(type_token)
    if cls is None:
        return None
    tree = _parse(Path(inspect.getsourcefile(cls) or "").read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            for statement in node.body:
                call = getattr(statement, "value", None)
                if (
                    isinstance(statement, ast.Expr)
                    and isinstance(call, ast.Call)
                    and ast.unparse(call.func) == "warnings.warn"
                ):
                    return str(ast.literal_eval(call.args[0]))
    return None


def _deprecation_message(getter: Any) -> str | None:
    if not hasattr(getter, "_pulumi_deprecated_callable"):
        return None
    message = inspect.getclosurevars(getter).nonlocals.get("message")
    return str(message) if message else "deprecated"


_ARGS_NAME = re.compile(r"\b([A-Z]\w*Args)\b")


def _nested_args_class(getter: Any, owner: type) -> type | None:
    annotation = getter.__annotations__.get("return") if hasattr(getter, "__annotations__") else None
    wrapped = getattr(getter, "_pulumi_deprecated_callable", None)
    if annotation is None and wrapped is not None:
        annotation = wrapped.__annotations__.get("return")
    match = _ARGS_NAME.search(str(annotation or ""))
    if not match:
        return None
    namespace = vars(sys.modules[owner.__module__])
    candidate = namespace.get(match.group(1))
    return candidate if isinstance(candidate, type) else None


@functools.cache
def _properties(args_class: type) -> dict[str, _Property]:
    """Wire name -> property facts for an `*Args` class."""
    found: dict[str, _Property] = {}
    for python_name, member in vars(args_class).items():
        if not isinstance(member, property) or member.fget is None:
            continue
        wire_name = getattr(member.fget, "_pulumi_name", python_name)
        found[wire_name] = _Property(
            python_name=python_name,
            deprecation=_deprecation_message(member.fget),
            nested=_nested_args_class(member.fget, args_class),
        )
    return found


def args_class(type_token: str) -> type | None:
    cls = resource_class(type_token)
    if cls is None:
        return None
    return getattr(sys.modules[cls.__module__], f"{cls.__name__}Args", None)


def _walk(value: Any, args: type, path: str, found: list[tuple[str, str]]) -> None:
    if not isinstance(value, dict):
        return
    properties = _properties(args)
    for key, item in value.items():
        prop = properties.get(key)
        if prop is None or item is None:
            continue
        where = f"{path}.{prop.python_name}" if path else prop.python_name
        if prop.deprecation:
            found.append((where, prop.deprecation))
        if prop.nested is not None:
            items = item if isinstance(item, list) else [item]
            for index, element in enumerate(items):
                _walk(element, prop.nested, f"{where}[{index}]" if isinstance(item, list) else where, found)


def deprecated_uses(type_token: str, name: str, inputs: dict[str, Any]) -> list[DeprecatedUse]:
    """Every deprecation marker of the installed pulumi_aws that these inputs hit."""
    if not type_token.startswith("aws:") and not type_token.startswith("pulumi:providers:aws"):
        return []
    uses = []
    message = resource_deprecation(type_token)
    if message:
        uses.append(DeprecatedUse(type_token, name, "", message))
    args = pulumi_aws.ProviderArgs if type_token == "pulumi:providers:aws" else args_class(type_token)
    if args is not None:
        found: list[tuple[str, str]] = []
        _walk(inputs, args, "", found)
        uses.extend(DeprecatedUse(type_token, name, path, text) for path, text in found)
    return uses
