"""A changed stack file (`stacks/<layer>/Pulumi.<stack>.yaml`) changes what its layer exports only
through the layer's program (a setting turns on a customer-managed key, and the key's ARN is
exported). So its readers are affected when the offline plan of that stack, at the base and in the
work tree, differs in an export they read: one appears, disappears or changes shape, optional
reads included. Plans that cannot run name every reader, since nothing could be ruled out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from streaming_shared.catalogue import Layer, readers_of
from streaming_shared.upstream import Read

from ..deploy.contract import describe
from ..deploy.tree_plan import CannotPlan, TreePlan

Plans = Callable[[str], tuple[TreePlan, TreePlan]]
"""The offline plans of a stack at the base and in the work tree; CannotPlan when one cannot run."""


def stack_of(inner: tuple[str, ...]) -> str | None:
    """`("Pulumi.dev.yaml",)` (a path inside a layer's folder) -> `dev`; None for any other file."""
    found = re.fullmatch(r"Pulumi\.(.+)\.yaml", inner[0]) if len(inner) == 1 else None
    return found[1] if found else None


def export_changes(reads: Mapping[str, Read], before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """How the exports `reads` names differ between two plans of one layer, in words."""
    changes = []
    for name, read in reads.items():
        how = " (read optionally)" if read.optional else ""
        if name in after and name not in before:
            changes.append(f"adds {name}{how}")
        elif name in before and name not in after:
            changes.append(f"drops {name}{how}")
        elif name in before and describe(before[name]) != describe(after[name]):
            changes.append(f"reshapes {name} ({describe(before[name])} -> {describe(after[name])}){how}")
    return changes


def readers_affected(changed: Layer, stack: str, path: str, plans: Plans) -> dict[str, str]:
    """Each reader of `changed` whose reads the change of its stack file `path` changes, with why."""
    readers = readers_of(changed)
    if not readers:
        return {}
    try:
        base, head = plans(stack)
        base.require([changed.name])
        head.require([changed.name])
    except CannotPlan as why:
        reason = f"{path} may change what it reads from {changed.project}: the plans could not be compared ({why})"
        return {reader.name: reason for reader in readers}
    found = {}
    for reader in readers:
        reads = {
            **base.reads.get(reader.name, {}).get(changed.project, {}),
            **head.reads.get(reader.name, {}).get(changed.project, {}),
        }
        changes = export_changes(reads, base.exports[changed.name], head.exports[changed.name])
        if changes:
            found[reader.name] = f"{path} changes what it reads from {changed.project}: {'; '.join(changes)}"
    return found
