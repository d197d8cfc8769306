"""The layers' stack files (`stacks/<layer>/Pulumi.<stack>.yaml`), read before anything runs.

A stack name without a file, or a file YAML cannot parse, is a `StackFileError` in one line
naming the file (and the line and column, or the stacks that do exist), so the user never sees
"aws:region is required" for a typo in `--stack` or a parser traceback for a stray tab.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from streaming_shared.catalogue import LAYERS, Layer


class StackFileError(ValueError):
    """A stack file that is missing or not valid YAML; the message names the file."""


def stack_file(root: Path, layer_: Layer, stack: str) -> Path:
    return root / layer_.folder / f"Pulumi.{stack}.yaml"


def existing_stacks(root: Path, layer_: Layer) -> list[str]:
    """The stacks a layer has a stack file for, by name."""
    files = (root / layer_.folder).glob("Pulumi.*.yaml")
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in files)


def every_stack(root: Path) -> list[str]:
    """The stacks some layer has a stack file for."""
    return sorted({stack for item in LAYERS.values() for stack in existing_stacks(root, item)})


def read_stack_file(root: Path, layer_: Layer, stack: str) -> dict[str, Any]:
    """The parsed stack file; StackFileError when it is missing, unparsable or not a mapping."""
    path = stack_file(root, layer_, stack)
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    if not path.exists():
        known = ", ".join(existing_stacks(root, layer_)) or "none"
        raise StackFileError(
            f"{shown} does not exist: {layer_.project} has no stack {stack!r} "
            f"(its stack files are for: {known}); create it in {layer_.folder} with "
            f"`pulumi stack init {stack}` and `pulumi config set aws:region <region>`, or use one of those"
        )
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise StackFileError(f"{shown}{where}: not valid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{shown}: not valid YAML: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise StackFileError(f"{shown}: must be a YAML mapping with a `config:` mapping of keys to values")
    return document


def check_stack_files(root: Path, layers: Iterable[Layer], stack: str) -> list[str]:
    """One line per layer whose stack file is missing or broken; empty when all are readable."""
    problems = []
    for item in layers:
        try:
            read_stack_file(root, item, stack)
        except StackFileError as error:
            problems.append(str(error))
    return problems
