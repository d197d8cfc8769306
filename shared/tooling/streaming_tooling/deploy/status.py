"""`nox -s status -- --stacks dev,prod [--json]`: what each layer's stack runs, in every environment.

It reads stacks only, through the `Gateway` (outputs, update history): no refresh, no preview. For
each layer and stack: the commit its last successful update recorded (`versions`), whether the tree
was clean, when and by whom, how many commits of `main` it lacks, how its newest update ended, and
whether what the layer's deployed program reads (its `contract_reads`) is exported, in the shape it
reads, by the deployed upstream stacks of the same environment. A stack that is not deployed is
shown as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import LAYERS, Layer

from ..git import git, has_commit, is_ancestor
from .contract import breaks, contract_reads_of
from .orchestrator import DeployError, Gateway

FIELDS = ("deployed", "commit", "clean", "deployed_at", "deployed_by", "behind_main", "last_result", "contract_ok")


def _not_deployed() -> dict[str, Any]:
    return {**dict.fromkeys(FIELDS), "deployed": False, "problems": []}


def contract_problems(item: Layer, stack: str, outputs: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
    """Each read of the deployed `item` that the deployed upstream stacks of `stack` (whose `outputs`
    are by layer name) do not satisfy."""
    problems = []
    for name in dict.fromkeys([*item.reads, *item.optional_reads]):
        upstream = LAYERS[name]
        read = contract_reads_of(item, outputs[item.name] or {}, upstream, stack)
        exported = outputs[name] or {}
        if not exported and any(not found.optional for found in read.values()):
            problems.append(f"reads from {upstream.project}, which is not deployed on stack {stack!r}")
            continue
        for found in breaks(upstream.project, {item.project: read}, {}, exported):
            what = "does not export it" if found.now is None else f"exports it as {found.now}"
            shape = found.read.shape.value
            problems.append(f"reads {found.export!r} ({shape}) from {upstream.project}, whose deployed stack {what}")
    return problems


def layer_status(
    root: Path, item: Layer, gateway: Gateway, stack: str, *, main: str, outputs: Mapping[str, Mapping[str, Any] | None]
) -> dict[str, Any]:
    """One layer on one stack, in the form of `--json`'s cells; `outputs`: each layer's stack's, by name."""
    if not outputs[item.name]:
        return _not_deployed()
    found: dict[str, Any] = {**_not_deployed(), "deployed": True}
    problems: list[str] = found["problems"]
    deployed = gateway.deployed(item, stack)
    if deployed is not None:
        found["last_result"] = deployed.last_result
        found["deployed_at"] = deployed.deployed_at.isoformat() if deployed.deployed_at else None
        if deployed.last_result != "succeeded":
            problems.append(f"its last update {deployed.last_result.replace('-', ' ')}")
    version = deployed.version if deployed else None
    if deployed is None or deployed.deployed_at is None:
        problems.append("none of its updates succeeded")
    elif version is None:
        problems.append("its last successful update recorded no commit (a `pulumi up` outside the deploy sessions)")
    else:
        found.update(commit=version.commit, clean=version.clean, deployed_by=version.by)
        if not version.clean:
            problems.append(f"it runs {version.short} with uncommitted changes")
        found["behind_main"] = _behind(root, version.commit, main, problems)
    try:
        broken = contract_problems(item, stack, outputs)
    except DeployError as unreadable:
        found["contract_ok"] = False
        problems.append(str(unreadable))
    else:
        if item.reads or item.optional_reads:
            found["contract_ok"] = not broken
        problems += broken
    return found


def _behind(root: Path, commit: str, main: str, problems: list[str]) -> int | None:
    if not has_commit(root, main):
        problems.append(f"git ref {main!r} is not known in this clone: fetch it (`git fetch origin main`)")
        return None
    if not has_commit(root, commit):
        problems.append(f"it runs {commit[:12]}, which this clone does not have: fetch it (`git fetch origin`)")
        return None
    if not is_ancestor(root, commit, main):
        problems.append(f"it runs {commit[:12]}, which is not on {main}")
    return int(git(root, "rev-list", "--count", f"{commit}..{main}").strip())


def status(root: Path, gateway: Gateway, stacks: Sequence[str], main: str = "main") -> dict[str, Any]:
    """`{"stacks": {STACK: {LAYER: cell}}}`, layers in deploy order; each stack's outputs read once."""
    document: dict[str, Any] = {}
    for stack in stacks:
        outputs = {name: gateway.outputs(item, stack) for name, item in LAYERS.items()}
        document[stack] = {
            name: layer_status(root, item, gateway, stack, main=main, outputs=outputs) for name, item in LAYERS.items()
        }
    return {"stacks": document}


def _cell(cell: Mapping[str, Any]) -> str:
    if not cell["deployed"]:
        return "not deployed"
    parts = [(cell["commit"] or "no commit")[:12] + ("" if cell["clean"] in (True, None) else " (dirty)")]
    if cell["behind_main"] is not None:
        parts.append(f"{cell['behind_main']} behind")
    parts.append(cell["last_result"] or "no update")
    parts.append({True: "contract ok", False: "contract broken", None: ""}[cell["contract_ok"]])
    return ", ".join(part for part in parts if part)


def render_text(document: Mapping[str, Any]) -> str:
    """A table, layers by stacks (`N behind`: commits of main the stack lacks), then each problem."""
    stacks = document["stacks"]
    rows = [["layer", *stacks]] + [[name, *(_cell(stacks[stack][name]) for stack in stacks)] for name in LAYERS]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    for stack, layers in stacks.items():
        for name, cell in layers.items():
            lines += [f"{stack} {name}: {problem}" for problem in cell["problems"]]
    return "\n".join(lines)
