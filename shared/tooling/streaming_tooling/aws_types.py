"""What the installed pulumi_aws says about its own types: classes, arguments, deprecations.

pulumi_aws's own deprecation signals catch a deprecated resource type: its generated
`_internal_init` logs "<Class> is deprecated: <why>" for every instance, which the offline run
attributes to the resource (`offline.program`). They miss a deprecated argument: the generated
`_internal_init` copies keyword arguments, and plain dicts of nested input types, without a
word; only an `*Args` class that the program builds itself warns. So arguments are checked here,
against the marker the code generator leaves on the getter of every deprecated argument of an
`*Args` class, top-level or nested: `@_utilities.deprecated(message)` tags it with
`_pulumi_deprecated_callable`. `deprecated_uses(type, name, inputs)` compares those markers with
the inputs a resource registered (wire names, as the engine sees them), walking into nested
input types. `shared/tests/test_harness.py` shows both: what pulumi_aws signals and what it does not.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import sys
from dataclasses import dataclass
from typing import Any

import pulumi_aws
from pulumi.runtime import rpc


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


def resource_class(type_token: str) -> type | None:
    """The pulumi_aws class of a type token, from the resource module pulumi_aws registers with
    Pulumi when it is imported (`pulumi.runtime.rpc.get_resource_module`, what Pulumi itself uses
    to rebuild a resource from its URN).

    The class name comes from that module's `mod_info`, an attribute of the `Module` class that
    Pulumi's code generator writes into every provider's `_utilities.py`: not public API. If a
    release renames it, this returns None for every type, and the tests of the taggable policy
    and of autonamed outputs fail. A public `ResourceModule` method naming the class of a type
    would replace it.
    """
    package, _, rest = type_token.partition(":")
    module = rpc.get_resource_module(package, rest.rpartition(":")[0], "")
    info = getattr(module, "mod_info", None) or {}
    class_name = info.get("classes", {}).get(type_token)
    if class_name is None:
        return None
    return getattr(importlib.import_module(info["fqn"]), class_name, None)


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
def wire_properties(args_class: type) -> dict[str, _Property]:
    """Wire name -> property facts for an `*Args` class (or a resource class: its outputs)."""
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
    properties = wire_properties(args)
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
    """Every deprecated argument of the installed pulumi_aws that these inputs set."""
    if not type_token.startswith("aws:") and type_token != "pulumi:providers:aws":
        return []
    args = pulumi_aws.ProviderArgs if type_token == "pulumi:providers:aws" else args_class(type_token)
    if args is None:
        return []
    found: list[tuple[str, str]] = []
    _walk(inputs, args, "", found)
    return [DeprecatedUse(type_token, name, path, text) for path, text in found]
