"""`deploy-changed` without `--base`: each layer against the version its stack runs (`versions`), not
against the previous push, so nothing a failed, cancelled or skipped deploy left undone is lost.
When a layer is deployed: docs/working-as-a-team.md ("The merge"). A stack that runs a descendant
of this commit runs something newer: it is left alone, so a late run never rolls a layer back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streaming_shared.catalogue import Layer

from ..affected import Affected
from ..git import has_commit, is_ancestor
from .contract import stale_reads
from .orchestrator import Gateway
from .versions import SUCCEEDED, Version


@dataclass(frozen=True)
class Verdict:
    """Whether a layer is behind its stack's version, and why (or why not)."""

    behind: bool
    reasons: list[str]


def verdict(
    root: Path,
    item: Layer,
    gateway: Gateway,
    stack: str,
    *,
    here: Version,
    affected_since: Callable[[str], Affected],
) -> Verdict:
    """Whether the layer's stack runs something other than what the work tree at `root` (whose
    version is `here`) would deploy. `affected_since(commit)`: what changed from that commit to the
    work tree."""
    if not gateway.outputs(item, stack):
        return Verdict(True, [f"stack {stack!r} of {item.project} has no outputs: it was never deployed"])
    deployed = gateway.deployed(item, stack)
    if deployed is None:
        return Verdict(True, [f"stack {stack!r} of {item.project} has no successful update in its history"])
    if deployed.last_result != SUCCEEDED:
        return Verdict(True, [f"its last update {deployed.last_result.replace('-', ' ')}"])
    running = deployed.version
    if running is None:
        return Verdict(True, ["its last update recorded no commit (a `pulumi up` outside the deploy sessions)"])
    if not running.clean:
        return Verdict(True, [f"it runs {running.short} with uncommitted changes"])
    if not has_commit(root, running.commit):
        return Verdict(True, [f"it runs {running.short}, which this clone does not have"])
    if running.commit != here.commit and is_ancestor(root, here.commit, running.commit):
        return Verdict(False, [f"it runs {running.short}, which already holds this commit ({here.commit[:12]})"])
    reasons = [
        f"{reason} since {running.short}" for reason in affected_since(running.commit).reasons.get(item.name, [])
    ]
    reasons += stale_reads(item, gateway, stack)
    if reasons:
        return Verdict(True, reasons)
    return Verdict(False, [f"it runs {running.short}; nothing it is built from or reads changed since"])
