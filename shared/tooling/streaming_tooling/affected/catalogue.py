"""Two versions of the catalogue, compared as values: which layers' entries changed, and whether
anything else in it changed (its constants or its code; comments and docstrings do not count)."""

from __future__ import annotations

import ast
import re
import sys
import types
from typing import Any

from .code import without_docstrings

CATALOGUE = "shared/streaming_shared/catalogue.py"


def load_catalogue(source: str, label: str) -> types.ModuleType:
    """The catalogue module executed from its source text (it imports only the standard library)."""
    name = f"_catalogue_{re.sub(r'[^0-9A-Za-z]', '_', label)}"
    module = types.ModuleType(name)
    module.__file__ = CATALOGUE
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    try:
        exec(compile(source, f"{label}:{CATALOGUE}", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module


def _entry(item: Any) -> dict[str, object]:
    """A layer's entry as plain values, shapes by their names (the two versions' classes differ)."""
    return {
        "project": item.project,
        "exports": {name: shape.value for name, shape in item.exports.items()},
        "optional_exports": {name: shape.value for name, shape in item.optional_exports.items()},
        "reads": {key: tuple(value) for key, value in item.reads.items()},
        "optional_reads": {key: tuple(value) for key, value in item.optional_reads.items()},
    }


def _code_without_docstrings(source: str) -> list[str]:
    """Top-level functions and classes without their bare strings (docstrings, attribute docstrings):
    what the catalogue does besides its data."""
    tree = without_docstrings(source)
    return [ast.dump(node) for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)]


def _public_values(module: types.ModuleType) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str | tuple | int) and name != "LAYERS"
    }


def catalogue_changes(before: str | None, after: str | None) -> tuple[dict[str, list[str]], list[str]]:
    """(changes of each layer's entry, other changes that concern every program importing it)."""
    if before == after:
        return {}, []
    if before is None or after is None:
        return {}, ["the catalogue was added or removed"]
    old, new = load_catalogue(before, "base"), load_catalogue(after, "head")
    old_layers, new_layers = dict(old.LAYERS), dict(new.LAYERS)
    per_layer: dict[str, list[str]] = {}
    for name in sorted(old_layers.keys() | new_layers.keys()):
        if name not in old_layers or name not in new_layers:
            per_layer[name] = ["added to the catalogue" if name in new_layers else "removed from the catalogue"]
            continue
        was, now = _entry(old_layers[name]), _entry(new_layers[name])
        described = [describe_entry_change(key, was[key], now[key]) for key in was if was[key] != now[key]]
        if described:
            per_layer[name] = described
    old_values, new_values = _public_values(old), _public_values(new)
    names = sorted(old_values.keys() | new_values.keys())
    general = [f"{name} changed" for name in names if old_values.get(name) != new_values.get(name)]
    if _code_without_docstrings(before) != _code_without_docstrings(after):
        general.append("its code changed")
    return per_layer, general


def describe_entry_change(key: str, was: object, now: object) -> str:
    if key in ("exports", "optional_exports") and isinstance(was, dict) and isinstance(now, dict):
        removed = [name for name in was if name not in now]
        added = [name for name in now if name not in was]
        reshaped = [name for name in was if name in now and was[name] != now[name]]
        parts = [
            f"removed {', '.join(removed)}" if removed else "",
            f"added {', '.join(added)}" if added else "",
            f"reshaped {', '.join(f'{name} ({was[name]} -> {now[name]})' for name in reshaped)}" if reshaped else "",
        ]
        return f"{key.replace('_', ' ')}: {'; '.join(part for part in parts if part) or 'reordered'}"
    return f"{key} changed"
