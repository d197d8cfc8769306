"""The contract across versions: what readers read must stay exported, with the shape they read.

Deployed stacks are of many commits, and each reader says what its program read in its
`contract_reads` export. `DeployGuard` checks a deploy against the deployed readers before `up`
and names the readers to redeploy after it; `contract_check` compares the offline plans of a git
ref and of the work tree (`nox -s contract-check`). What cannot be checked is said, never passed.
The rules: docs/contract.md and docs/working-as-a-team.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import LAYERS, Layer, readers_of, repo_root
from streaming_shared.upstream import CONTRACT_READS, Read, parse_contract_reads

from ..git import GitError, merge_base
from .orchestrator import DeployError, Gateway, LayerResult, Status
from .plan import PlanFailed, plan_layer
from .tree_plan import CannotPlan, TreePlan, plan_commit, plan_tree


def describe(value: Any) -> str:
    """An export's value in words, for a message: its kind, and a map's keys."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return f"map with keys {', '.join(sorted(map(str, value)))}" if value else "map"
    if value is None:
        return "null"
    return type(value).__name__


@dataclass(frozen=True)
class Break:
    """One export a reader reads that the new version drops (`now` is None) or reshapes."""

    reader: str
    upstream: str
    export: str
    read: Read
    now: str | None

    @property
    def change(self) -> str:
        if self.now is None:
            return "is no longer exported"
        return f"changes shape from {self.read.shape.value} to {self.now}"

    def __str__(self) -> str:
        how = " (optionally)" if self.read.optional else ""
        return f"{self.reader} reads {self.export!r} from {self.upstream}{how}, which {self.change} by the new version"


def breaks(
    upstream: str, readers: Mapping[str, Mapping[str, Read]], before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Break]:
    """Each read of `readers` (reader -> export -> read) that `after` no longer satisfies: a required
    export gone, an optional one gone that `before` had, or a value not of the shape the reader reads."""
    found = []
    for reader, reads in readers.items():
        for name, read in reads.items():
            if name not in after:
                if not read.optional or name in before:
                    found.append(Break(reader, upstream, name, read, None))
            elif not read.shape.fits(after[name]):
                found.append(Break(reader, upstream, name, read, describe(after[name])))
    return found


def grouped(found: Iterable[Break]) -> list[str]:
    """One line per broken export: the layer, the export, what changed, and who reads it."""
    readers: dict[tuple[str, str, str], list[str]] = {}
    for item in found:
        readers.setdefault((item.upstream, item.export, item.change), []).append(item.reader)
    return [
        f"{upstream}: export {export!r} {change}; read by {', '.join(names)}"
        for (upstream, export, change), names in readers.items()
    ]


def contract_reads_of(reader: Layer, outputs: Mapping[str, Any], upstream: Layer, stack: str) -> dict[str, Read]:
    """What a deployed reader reads from `upstream`, from its `contract_reads` export."""
    declared = parse_contract_reads(outputs.get(CONTRACT_READS))
    if declared is None:
        raise DeployError(
            f"stack {stack!r} of {reader.project} has outputs but no {CONTRACT_READS!r} export of the form every "
            f"version of its program publishes: redeploy it (`nox -s deploy -- {reader.name} --stack {stack}`)."
        )
    return declared.get(upstream.project, {})


def stale_reads(reader: Layer, gateway: Gateway, stack: str, *, only: Layer | None = None) -> list[str]:
    """Each upstream export a deployed reader reads (its `contract_reads`) whose value in the
    reader's state, as read at its last update, differs from what the upstream stack exports now:
    the reader runs with the old value until it is deployed again. Empty for a reader not deployed."""
    outputs = gateway.outputs(reader, stack)
    if not outputs:
        return []
    held = gateway.reads(reader, stack)
    found = []
    for upstream in (only,) if only is not None else [LAYERS[name] for name in reader.upstream]:
        now = gateway.outputs(upstream, stack) or {}
        then = held.get(upstream.project, {})
        changed = [
            name for name in contract_reads_of(reader, outputs, upstream, stack) if then.get(name) != now.get(name)
        ]
        if changed:
            found.append(f"reads {', '.join(changed)} from {upstream.project}, which changed")
    return found


# -- the deploy guard -----------------------------------------------------------------------------


PlanLayer = Callable[[Layer, str, Mapping[str, Mapping[str, Any]]], Mapping[str, Any]]
"""A layer's exports from its offline plan for a stack, given its upstream layers' exports by layer
name; PlanFailed when the plan does not run."""


def planned_exports(root: Path) -> PlanLayer:
    """The exports of a layer's program in the tree at `root`, offline (names and shapes are real)."""
    return lambda item, stack, upstream: plan_layer(item, stack, upstream, root=root).exports


@dataclass
class DeployGuard:
    """Checks a deploy against the deployed readers before `up`, and reports what to redeploy after.

    Only the layers being deployed are planned, each with its upstream layers' exports as the
    stacks hold them (or, for an upstream deployed earlier in the same run, as its own plan says):
    another layer's config can never stop a deploy."""

    gateway: Gateway
    stack: str
    allow_break: bool = False
    say: Callable[[str], None] = print
    plan: PlanLayer = field(default_factory=lambda: planned_exports(repo_root()))
    before_up: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    deploying: set[str] = field(default_factory=set)

    def _deployed_readers(self, target: Layer, skip: Collection[str]) -> dict[str, dict[str, Read]]:
        readers: dict[str, dict[str, Read]] = {}
        for reader in readers_of(target):
            if reader.name in skip:
                continue  # redeployed later in this run, with reads the plan checked against the new exports
            outputs = self.gateway.outputs(reader, self.stack)
            if not outputs:
                continue
            readers[f"stack {self.stack!r} of {reader.project}"] = contract_reads_of(
                reader, outputs, target, self.stack
            )
        return readers

    def check(self, targets: Sequence[Layer], *, readers_deploy_later: bool = True) -> None:
        """Refuse (DeployError) when the new programs of `targets` break a deployed reader, or when
        that cannot be checked. `readers_deploy_later`: a reader among `targets` is deployed after its
        upstream in this run, so it is held to its new reads, not its deployed ones."""
        self.deploying = {item.name for item in targets}
        planned: dict[str, Mapping[str, Any]] = {}

        def exports_of(item: Layer) -> Mapping[str, Any]:
            if item.name not in planned:
                upstream = {
                    name: exports_of(LAYERS[name])
                    if name in self.deploying
                    else (self.gateway.outputs(LAYERS[name], self.stack) or {})
                    for name in item.upstream
                }
                planned[item.name] = self.plan(item, self.stack, upstream)
            return planned[item.name]

        found: list[Break] = []
        unchecked: list[str] = []
        for target in targets:
            current = self.gateway.outputs(target, self.stack) or {}
            self.before_up[target.name] = current
            readers = self._deployed_readers(target, self.deploying if readers_deploy_later else ())
            if not any(readers.values()):
                continue
            try:
                found += breaks(target.project, readers, current, exports_of(target))
            except PlanFailed as failure:
                unchecked.append(f"{target.project}: its offline plan of stack {self.stack!r} did not run: {failure}")
        listed = "\n  ".join([*(str(item) for item in found), *(f"cannot check {line}" for line in unchecked)])
        if not listed:
            return
        if self.allow_break:
            self.say(f"Deploying despite contract breaks, because of --allow-contract-break:\n  {listed}")
            return
        if found:
            raise DeployError(
                f"refusing to deploy: {listed}\n"
                "Deploy the reader with a version that no longer reads it first, or pass --allow-contract-break."
            )
        raise DeployError(
            f"refusing to deploy unchecked: {listed}\n"
            f"Fix the plan (`nox -s plan -- --stack {self.stack}`), or pass --allow-contract-break."
        )

    def readers_to_redeploy(self, results: Sequence[LayerResult], *, run: Collection[str]) -> dict[str, list[str]]:
        """Each deployed reader (not among the layers of this `run`) that holds values of an export
        this run changed, with why."""
        notes: dict[str, list[str]] = {}
        for result in results:
            if result.status is not Status.SUCCEEDED or result.layer.name not in self.before_up:
                continue
            after = self.gateway.outputs(result.layer, self.stack) or {}
            if after == self.before_up[result.layer.name]:
                continue
            for reader in readers_of(result.layer):
                if reader.name not in run:
                    notes.setdefault(reader.name, []).extend(
                        stale_reads(reader, self.gateway, self.stack, only=result.layer)
                    )
        return {name: reasons for name, reasons in notes.items() if reasons}

    def after(self, results: Sequence[LayerResult], *, run: Collection[str]) -> tuple[str, list[str]]:
        """The summary lines about readers to redeploy, and their layer names."""
        notes = self.readers_to_redeploy(results, run=run)
        if not notes:
            return "", []
        lines = ["Exports changed; these deployed stacks read them and still hold the old values:"]
        for name, reasons in notes.items():
            lines.append(
                f"  {LAYERS[name].project} (stack {self.stack!r}) {'; '.join(reasons)}: "
                f"redeploy it with `nox -s deploy -- {name} --stack {self.stack}`"
            )
        return "\n".join(lines), list(notes)


# -- offline: `nox -s contract-check -- --base <ref>` --------------------------------------------


def contract_check(base: TreePlan, head: TreePlan) -> list[Break]:
    """Every export some layer read at `base` that `head` drops or reshapes; both plans must hold the
    layers read (`TreePlan.require`). A reader's own plan may fail in `head`: a break makes it fail."""
    found = []
    for name in base.read_layers:
        project = base.projects[name]
        readers = {base.projects[reader]: reads[project] for reader, reads in base.reads.items() if project in reads}
        found += breaks(project, readers, base.exports[name], head.exports[name])
    return found


def main(argv: Sequence[str] | None = None, *, root: Path | None = None, say: Callable[[str], None] = print) -> int:
    """0: kept; 1: broken; 2: cannot check (an unknown base, a plan that does not run on either side)."""
    parser = argparse.ArgumentParser(
        prog="nox -s contract-check --",
        description="Offline: the exports (names and shapes) at --base against the work tree's, for what layers read.",
    )
    parser.add_argument("--base", required=True, help="git ref to compare with (say, origin/main)")
    parser.add_argument("--stack", default="local", help="stack whose example config the plans use")
    args = parser.parse_args(argv)
    root = root or repo_root()
    try:
        since = merge_base(root, args.base)
    except GitError as error:
        say(str(error))
        return 2
    try:
        base = plan_commit(root, since, args.stack)
        base.require(base.read_layers)
    except CannotPlan as why:
        say(f"cannot check against {args.base}: {why}")
        return 2
    try:
        head = plan_tree(root, args.stack).require(base.read_layers)
    except CannotPlan as why:
        say(f"cannot check against {args.base}: in the work tree, {why}")
        return 2
    found = contract_check(base, head)
    if found:
        say(f"Contract broken since {args.base}:\n  " + "\n  ".join(grouped(found)))
        if head.problems:
            say("The work tree's offline plan also reports:\n  " + "\n  ".join(head.problems))
        return 1
    read = sum(len(reads) for readers in base.reads.values() for reads in readers.values())
    say(f"Contract kept since {args.base}: all {read} exports layers read at the base are exported, same shapes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
