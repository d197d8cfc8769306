"""`nox -s promote -- --from dev --to prod [--layer L ...] [--yes]`: a layer's tested commit, deployed on.

Each chosen layer is deployed to `--to` at the exact commit its `--from` stack records (`versions`),
from a git worktree of that commit with its own locked environments (`tree_plan`), in wave order,
each previewed and asked; the promoting tooling is the work tree's, what it deploys is the commit's.
Which layers, and what is refused before anything deploys: docs/working-as-a-team.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import LAYERS, Layer, readers_of

from ..git import has_commit, is_ancestor
from .contract import Break, DeployGuard, breaks, contract_reads_of, planned_exports
from .orchestrator import (
    DeployError,
    Gateway,
    LayerResult,
    Operation,
    Outcome,
    Status,
    first_line,
    run_layers,
    unready_upstream_of,
)
from .preflight import check_first_deploy
from .stack_files import check_stack_files
from .status import contract_problems
from .tree_plan import CannotPlan, TreePlan, commit_tree, plan_python, plan_tree
from .versions import SUCCEEDED, StackVersion, Version, version_of

IN_PROGRESS = "in-progress"

TreeGatewayFactory = Callable[[argparse.Namespace, Path, Path, Callable[[str], None]], Gateway]
"""A gateway for the run's arguments that runs the programs of a commit's worktree (the second
path) with the tooling of the repository (the first)."""


@dataclass(frozen=True)
class Promotion:
    """One layer to deploy to the target stack, at the version its source stack runs."""

    layer: Layer
    version: Version
    running: Version | None
    """What the target stack runs now, when known."""


def _refused(item: Layer, why: str) -> DeployError:
    return DeployError(f"refusing to promote {item.name}: {why}.")


def chosen(
    root: Path,
    gateway: Gateway,
    source: str,
    target: str,
    *,
    names: Sequence[str],
    main: str,
    say: Callable[[str], None],
) -> list[Promotion]:
    """The layers to promote, in deploy order; DeployError (one sentence with the fix) for a chosen
    layer whose source stack runs no promotable commit. The default selection leaves out a layer the
    target already runs (same commit, clean tree, last update succeeded) and one whose target runs a
    newer commit of `main` (a rollback is promoted only when `--layer` names it)."""
    if not has_commit(root, main):
        raise DeployError(
            f"refusing to promote: git ref {main!r} is not known in this clone; fetch it (`git fetch origin`) "
            "or name the branch with --main."
        )
    deployed_on_source = [item for item in LAYERS.values() if gateway.outputs(item, source)]
    if not deployed_on_source:
        raise DeployError(
            f"refusing to promote: no layer is deployed on stack {source!r}; check --from "
            f"(`nox -s status -- --stacks {source}` shows what each stack runs)."
        )
    picks = []
    for item in LAYERS.values():
        if names and item.name not in names:
            continue
        if item not in deployed_on_source:
            if names:
                raise _refused(item, f"stack {source!r} of {item.project} is not deployed; deploy it there first")
            continue
        deployed = gateway.deployed(item, source)
        on_target = gateway.deployed(item, target)
        running = on_target.version if on_target else None
        offered = deployed.version if deployed else None
        if not names and offered is not None and running is not None:
            current = on_target is not None and on_target.last_result == SUCCEEDED and running.clean
            if current and running.commit == offered.commit:
                continue
            if _newer(root, running.commit, offered.commit):
                say(
                    f"{item.name}: stack {target!r} runs {running.short}, newer than {offered.short} on {source!r}; "
                    f"left out (promoting it would roll {target!r} back: name it with --layer {item.name} to do so)"
                )
                continue
        version = _promotable(root, item, deployed, source, main)
        picks.append(Promotion(item, version, running))
    return picks


def _newer(root: Path, running: str, offered: str) -> bool:
    """Whether the `running` commit contains the `offered` one and more: promoting would roll back."""
    known = has_commit(root, running) and has_commit(root, offered)
    return running != offered and known and is_ancestor(root, offered, running)


def _promotable(root: Path, item: Layer, deployed: StackVersion | None, source: str, main: str) -> Version:
    redeploy = f"`nox -s deploy-changed -- --layer {item.name} --stack {source}`"
    if deployed is None:
        raise _refused(
            item, f"stack {source!r} has no recorded update; deploy it there ({redeploy}) or leave it out with --layer"
        )
    if deployed.last_result == IN_PROGRESS:
        raise _refused(item, f"an update of stack {source!r} is in progress; wait for it to end, then promote again")
    if deployed.last_result != SUCCEEDED:
        raise _refused(
            item,
            f"the last update of stack {source!r} {deployed.last_result.replace('-', ' ')}; deploy it there again "
            f"({redeploy}) or leave it out with --layer",
        )
    version = deployed.version
    if version is None:
        raise _refused(item, f"stack {source!r} recorded no commit (a `pulumi up` by hand); deploy it with {redeploy}")
    if not version.clean:
        raise _refused(
            item,
            f"stack {source!r} runs {version.short} with uncommitted changes; deploy a commit of {main} there first "
            f"({redeploy})",
        )
    if not has_commit(root, version.commit):
        raise _refused(item, f"stack {source!r} runs {version.short}, which this clone does not have; fetch it")
    if not is_ancestor(root, version.commit, main):
        remote = f"origin/{main}"
        if has_commit(root, remote) and is_ancestor(root, version.commit, remote):
            raise _refused(
                item,
                f"{version.short}, which stack {source!r} runs, is on {remote} but not on this clone's {main}; "
                f"update it (`git pull`) or pass --main {remote}",
            )
        raise _refused(
            item,
            f"{version.short}, which stack {source!r} runs, is not on {main}; merge it and let deploy.yml deploy it "
            f"to {source} first",
        )
    return version


def contract_breaks(
    picks: Sequence[Promotion],
    gateway: Gateway,
    source: str,
    target: str,
    exports: Callable[[Promotion], Mapping[str, Any]],
    *,
    promoted: Collection[str] | None = None,
) -> list[str]:
    """What the target environment would read and not find after the promotion, one line each: each
    of `picks`' new `exports` against the reads of its readers on the target (a reader still to be
    `promoted`, by default each of `picks`, with the reads its source stack records), and each
    promoted reader's reads against the target's upstream stacks as they are (those not promoted, or
    promoted already)."""
    promoted = {pick.layer.name for pick in picks} if promoted is None else set(promoted)
    found: list[str] = []
    for pick in picks:
        upstream = pick.layer
        readers: dict[str, dict[str, Any]] = {}
        for reader in readers_of(upstream):
            stack = source if reader.name in promoted else target
            outputs = gateway.outputs(reader, stack)
            if outputs:
                readers[_label(reader, target, source, promoted)] = contract_reads_of(reader, outputs, upstream, stack)
        if any(readers.values()):
            before = gateway.outputs(upstream, target) or {}
            found += [
                _line(item, f"{upstream.project} at {pick.version.short}")
                for item in breaks(upstream.project, readers, before, exports(pick))
            ]
        outputs = gateway.outputs(upstream, source) or {}
        for name in dict.fromkeys([*upstream.reads, *upstream.optional_reads]):
            if name in promoted:
                continue
            other = LAYERS[name]
            deployed = gateway.outputs(other, target) or {}
            reads = {_label(upstream, target, source, promoted): contract_reads_of(upstream, outputs, other, source)}
            found += [
                _line(item, f"stack {target!r} of {other.project}")
                for item in breaks(other.project, reads, deployed, deployed)
            ]
    return found


def _label(reader: Layer, target: str, source: str, promoted: Collection[str]) -> str:
    return f"stack {target!r} of {reader.project}" + (
        f" (as promoted from {source!r})" if reader.name in promoted else ""
    )


def _line(found: Break, exporter: str) -> str:
    how = " (optionally)" if found.read.optional else ""
    if found.now is None:
        return f"{found.reader} reads {found.export!r} from {found.upstream}{how}, which {exporter} does not export"
    return (
        f"{found.reader} reads {found.export!r} from {found.upstream}{how} as {found.read.shape.value}, which "
        f"{exporter} exports as {found.now}"
    )


class _Promoting:
    """The gateway `run_layers` drives: each layer's operations run in its commit's worktree (one
    gateway per worktree, made by `runner_of`) and record the promoted version; what stacks hold is
    read through the repository's gateway. A layer is previewed once: the preview shown before the
    question is the one `run_layers` checks before `up`."""

    def __init__(self, reading: Gateway, runner_of: Callable[[Layer], tuple[Gateway, Version]]) -> None:
        self.reading = reading
        self.runner_of = runner_of
        self.previewed: dict[str, Outcome] = {}

    def run(
        self,
        operation: Operation,
        layer: Layer,
        stack: str,
        on_output: Callable[[str], None],
        *,
        version: Version | None = None,
    ) -> Outcome:
        runner, promoted = self.runner_of(layer)
        if operation is Operation.PREVIEW:
            if layer.name in self.previewed:
                return self.previewed.pop(layer.name)
            self.previewed[layer.name] = runner.run(operation, layer, stack, on_output)
            return self.previewed[layer.name]
        return runner.run(operation, layer, stack, on_output, version=promoted if operation is Operation.UP else None)

    def outputs(self, layer: Layer, stack: str) -> Mapping[str, Any] | None:
        return self.reading.outputs(layer, stack)

    def deployed(self, layer: Layer, stack: str) -> StackVersion | None:
        return self.reading.deployed(layer, stack)

    def reads(self, layer: Layer, stack: str) -> Mapping[str, Mapping[str, Any]]:
        return self.reading.reads(layer, stack)


@dataclass(frozen=True)
class Promoted:
    """What a promotion did: a result per layer, the guard that lists the readers still holding old
    values, and the readers on the target whose reads the promoted upstream no longer satisfies."""

    results: list[LayerResult]
    guard: DeployGuard | None = None
    broken: list[str] = field(default_factory=list)


def promote(
    args: argparse.Namespace,
    root: Path,
    reading: Gateway,
    tree_gateway: TreeGatewayFactory,
    *,
    say: Callable[[str], None],
    ask: Callable[[str], str],
) -> Promoted:
    """Promote the chosen layers from `args.source` to `args.stack`; DeployError for a refusal."""
    source, target = args.source, args.stack
    left_out: list[str] = []

    def leave_out(line: str) -> None:
        left_out.append(line)
        say(line)

    picks = chosen(root, reading, source, target, names=args.layer, main=args.main, say=leave_out)
    if not picks:
        current = "any other layer deployed there" if left_out else "each layer deployed there"
        say(f"Nothing to promote: stack {target!r} runs the commit stack {source!r} runs, in {current}.")
        return Promoted([])
    _refuse_missing_stacks(picks, reading, target)
    unready = unready_upstream_of([pick.layer for pick in picks], reading, target)
    if unready:
        raise DeployError(
            f"refusing to promote to stack {target!r}:\n  " + "\n  ".join(unready) + "\nOr promote it too (--layer)."
        )
    here = version_of(root, os.environ)
    if here is None:
        raise DeployError(f"{root} is not a git work tree: promote from a clone, which holds the commits it deploys")
    for pick in picks:
        now = _running(pick, reading, target)
        older = pick.running is not None and _newer(root, pick.running.commit, pick.version.commit)
        rollback = " (an older commit: a rollback)" if older else ""
        say(f"{pick.layer.name}: stack {target!r} {now}; promoting {pick.version.short} from {source!r}{rollback}")
    check_first_deploy(target, [pick.layer for pick in picks], reading, say)
    with contextlib.ExitStack() as trees:
        commits = {pick.version.commit for pick in picks}
        tree_of = {commit: trees.enter_context(commit_tree(root, commit)) for commit in sorted(commits)}
        plans: dict[str, TreePlan] = {}

        def exports(pick: Promotion) -> Mapping[str, Any]:
            commit = pick.version.commit
            if commit not in plans:
                tree = tree_of[commit]
                try:
                    plans[commit] = plan_tree(tree, target, plan_python(root, tree))
                except CannotPlan as why:
                    raise _refused(pick.layer, f"cannot check the contract of {pick.version.short}: {why}") from None
            try:
                return plans[commit].require([pick.layer.name]).exports[pick.layer.name]
            except CannotPlan as why:
                raise _refused(pick.layer, f"cannot check the contract of {pick.version.short}: {why}") from None

        for pick in picks:
            if check_stack_files(tree_of[pick.version.commit], [pick.layer], target):
                raise _refused(
                    pick.layer,
                    f"{pick.version.short} has no readable {pick.layer.folder}/Pulumi.{target}.yaml; commit one to "
                    f"main, deploy that commit to {source!r}, then promote it",
                )
        found = contract_breaks(picks, reading, source, target, exports)
        if found:
            raise DeployError(
                "refusing to promote: "
                + "; ".join(found)
                + ". Promote both layers together (--layer for each), or first a reader that no longer reads it."
            )
        pick_of = {pick.layer.name: pick for pick in picks}
        runners: dict[str, Gateway | Exception] = {}

        def runner_of(item: Layer) -> tuple[Gateway, Version]:
            commit = pick_of[item.name].version.commit
            if commit not in runners:
                try:
                    runners[commit] = tree_gateway(args, root, tree_of[commit], say)
                except Exception as error:  # each layer of that commit fails with it, the others go on
                    runners[commit] = error
            runner = runners[commit]
            if isinstance(runner, Exception):
                raise runner
            return runner, Version(commit, True, here.by)

        gateway = _Promoting(reading, runner_of)
        guard = DeployGuard(reading, target, say=say, plan=planned_exports(root))
        undecided = [pick.layer.name for pick in picks]

        def decide(item: Layer) -> LayerResult | None:
            undecided.remove(item.name)
            pick = pick_of[item.name]
            try:
                broken = contract_breaks([pick], reading, source, target, exports, promoted=[item.name, *undecided])
                if broken:
                    return LayerResult(
                        item, Status.FAILED, "not deployed, it would break the contract: " + "; ".join(broken)
                    )
                outcome = gateway.run(Operation.PREVIEW, item, target, lambda line: say(f"[{item.name}] {line}"))
            except DeployError as refused:
                return LayerResult(item, Status.FAILED, str(refused))
            except Exception as error:  # one layer's failure must not stop the others
                return LayerResult(item, Status.FAILED, f"not deployed: {first_line(error)}")
            if outcome.policy_violations:
                return LayerResult(item, Status.FAILED, "; ".join(map(str, outcome.policy_violations)))
            changes = outcome.describe(Operation.PREVIEW)
            say(f"[{item.name}] preview of {pick.version.short} on stack {target!r}: {changes}")
            if args.yes or _confirmed(f"Deploy {item.name} at {pick.version.short} to stack {target!r}? [y/N] ", ask):
                guard.before_up[item.name] = reading.outputs(item, target) or {}
                return None
            return LayerResult(item, Status.SKIPPED, "not confirmed")

        results = run_layers(Operation.UP, [pick.layer for pick in picks], gateway, target, emit=say, decide=decide)
    return Promoted(results, guard, _left_broken(results, reading, source, target))


def _running(pick: Promotion, reading: Gateway, target: str) -> str:
    if pick.running is not None:
        return f"runs {pick.running.short}" + ("" if pick.running.clean else " with uncommitted changes")
    if reading.deployed(pick.layer, target) is not None:
        return "runs no recorded commit"
    return "is not deployed"


def _refuse_missing_stacks(picks: Sequence[Promotion], reading: Gateway, target: str) -> None:
    """A target stack that does not exist is created by `pulumi stack init`, which writes into its
    stack file (a passphrase provider's salt, a KMS key's encrypted data key): created in the
    throwaway worktree of the promoted commit, that file would be lost."""
    for pick in picks:
        if reading.outputs(pick.layer, target) is None:
            folder = pick.layer.folder
            raise _refused(
                pick.layer,
                f"stack {target!r} of {pick.layer.project} does not exist; create it with `pulumi stack init {target}` "
                f"in {folder}, commit {folder}/Pulumi.{target}.yaml, deploy that commit to dev, then promote it",
            )


def _left_broken(results: Sequence[LayerResult], reading: Gateway, source: str, target: str) -> list[str]:
    """Each deployed reader on the target (not promoted, or declined or failed) that a promoted
    upstream no longer satisfies, with the promotion that fixes it."""
    promoted = {result.layer.name for result in results if result.status is Status.SUCCEEDED}
    outputs = {name: reading.outputs(item, target) for name, item in LAYERS.items()}
    readers = {reader.name: reader for name in promoted for reader in readers_of(LAYERS[name])}
    lines = []
    for name, reader in readers.items():
        if name in promoted or not outputs[name]:
            continue
        try:
            problems = contract_problems(reader, target, outputs)
        except DeployError as unreadable:
            lines.append(str(unreadable))
            continue
        for problem in problems:
            lines.append(
                f"stack {target!r} of {reader.project} {problem}: promote it too "
                f"(`nox -s promote -- --from {source} --to {target} --layer {name}`)"
            )
    return lines


def _confirmed(question: str, ask: Callable[[str], str]) -> bool:
    try:
        return ask(question).strip().lower() in ("y", "yes")
    except (EOFError, KeyboardInterrupt):
        return False


def needs_yes(args: argparse.Namespace, ask: Callable[[str], str]) -> bool:
    """Whether the run cannot ask: no --yes, and no terminal to ask on."""
    return not args.yes and ask is input and not sys.stdin.isatty()
