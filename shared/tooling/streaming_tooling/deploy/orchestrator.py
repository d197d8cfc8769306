"""Multi-stack operations in dependency order: what Pulumi itself has no command for.

Layers run wave by wave (`catalogue.waves`), destroy backwards; a layer whose upstream (for
destroy, whose dependent) did not succeed is skipped with the reason while independent layers
carry on. Every `up` follows a preview with the same policy packs and does not start on a mandatory
violation (`up` would stop at it with the resources before it already changed), and records the
version it deploys (`versions`). Everything that talks to Pulumi goes through one narrow `Gateway`;
the tests replace it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Protocol

from streaming_shared.catalogue import Layer, downstream_of, layer, waves
from streaming_shared.upstream import deploy_hint

from .policy_check import PolicyViolation
from .versions import StackVersion, Version


class Operation(Enum):
    UP = "up"
    PREVIEW = "preview"
    REFRESH = "refresh"
    DRIFT = "drift"
    DESTROY = "destroy"

    @property
    def dependents_first(self) -> bool:
        return self is Operation.DESTROY

    @property
    def waits_for_upstream(self) -> bool:
        """Whether a layer whose upstream has no outputs yet waits instead of failing: these
        operations run on environments that are only partly deployed (a preview before the
        first deploy, say)."""
        return self in (Operation.PREVIEW, Operation.REFRESH, Operation.DRIFT)


class Status(Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING = "waiting"
    """Not run: an upstream stack has no outputs yet (a preview, refresh or drift check)."""
    CURRENT = "current"
    """Not deployed: its stack already runs what this run would deploy (`deploy-changed`)."""


@dataclass(frozen=True)
class Outcome:
    """What one Pulumi operation on one layer's stack did (or, for a preview, would do)."""

    changes: Mapping[str, int] = field(default_factory=dict)
    stack_exists: bool = True
    policy_violations: tuple[PolicyViolation, ...] = ()
    """Mandatory violations a preview found (the preview itself then counts as done)."""

    @property
    def changed(self) -> bool:
        return any(count for operation, count in self.changes.items() if operation != "same")

    def describe(self, operation: Operation) -> str:
        if not self.stack_exists:
            return "no such stack, nothing to do"
        if not self.changed:
            return "up to date"
        counts = ", ".join(f"{count} {op}" for op, count in sorted(self.changes.items()) if op != "same" and count)
        return f"drift: {counts}" if operation is Operation.DRIFT else counts


@dataclass(frozen=True)
class LayerResult:
    layer: Layer
    status: Status
    detail: str
    outcome: Outcome | None = None


class Gateway(Protocol):
    """The narrow boundary to Pulumi: one operation on one layer's stack, and what the stack holds."""

    def run(
        self,
        operation: Operation,
        layer: Layer,
        stack: str,
        on_output: Callable[[str], None],
        *,
        version: Version | None = None,
    ) -> Outcome:
        """One operation; an `up` records `version` on the stack (its update message)."""
        ...

    def outputs(self, layer: Layer, stack: str) -> Mapping[str, Any] | None:
        """The stack's outputs, or None when the stack does not exist."""
        ...

    def deployed(self, layer: Layer, stack: str) -> StackVersion | None:
        """The version the stack runs, from its update history; None when it never ran an update."""
        ...

    def reads(self, layer: Layer, stack: str) -> Mapping[str, Mapping[str, Any]]:
        """What the stack's program read at its last update: each upstream project's outputs, as its
        StackReferences hold them in the stack's state."""
        ...


class DeployError(RuntimeError):
    """An operation that cannot start; the message says what to do."""


def _blockers(
    item: Layer, selected: Sequence[Layer], operation: Operation, results: Mapping[str, LayerResult]
) -> list[str]:
    names = {candidate.name for candidate in selected}
    if operation.dependents_first:
        related = [other.name for other in selected if item.name in other.upstream]
    else:
        related = [name for name in item.upstream if name in names]
    return [name for name in related if results[name].status in (Status.FAILED, Status.SKIPPED)]


def waiting_detail(waiting_for: Sequence[str], stack: str) -> str:
    return (
        f"waiting for {', '.join(waiting_for)} (not deployed yet); "
        f"`nox -s plan -- --stack {stack}` checks this layer offline"
    )


def run_layers(
    operation: Operation,
    layers: Sequence[Layer],
    gateway: Gateway,
    stack: str,
    *,
    emit: Callable[[str], None] = print,
    max_concurrent: int = 4,
    version: Version | None = None,
    decide: Callable[[Layer], LayerResult | None] | None = None,
) -> list[LayerResult]:
    """Run `operation` over `layers` in dependency order; return one result per layer.

    An `up` records `version` on each stack. `decide`, asked for each layer (one at a time) when its
    upstream layers are done, returns the layer's result instead of running it: it is current, or
    refused."""
    plan = waves(layers)
    if operation.dependents_first:
        plan = list(reversed(plan))
    lock = threading.Lock()
    results: dict[str, LayerResult] = {}

    def prefixed(name: str) -> Callable[[str], None]:
        def write(line: str) -> None:
            with lock:
                for part in line.rstrip("\n").splitlines() or [""]:
                    emit(f"[{name}] {part}")

        return write

    def attempt(item: Layer) -> LayerResult:
        try:
            if operation is Operation.UP:
                violations = gateway.run(Operation.PREVIEW, item, stack, prefixed(item.name)).policy_violations
                if violations:
                    found = "; ".join(str(violation) for violation in violations)
                    return LayerResult(item, Status.FAILED, f"not deployed, nothing changed: the preview found {found}")
                outcome = gateway.run(operation, item, stack, prefixed(item.name), version=version)
            else:
                outcome = gateway.run(operation, item, stack, prefixed(item.name))
        except DeployError:  # nothing can run until the user fixes it: stop the whole run
            raise
        except Exception as error:  # one layer's failure must not stop the others
            return LayerResult(item, Status.FAILED, first_line(error))
        if outcome.policy_violations:
            return LayerResult(item, Status.FAILED, "; ".join(str(found) for found in outcome.policy_violations))
        return LayerResult(item, Status.SUCCEEDED, outcome.describe(operation), outcome)

    for wave in plan:
        runnable = []
        for item in wave:
            blockers = _blockers(item, layers, operation, results)
            waiting_for = [] if blockers else _undeployed_upstream(item, operation, gateway, stack)
            if blockers:
                relation = "dependent" if operation.dependents_first else "upstream"
                results[item.name] = LayerResult(
                    item, Status.SKIPPED, f"{relation} {', '.join(blockers)} did not succeed"
                )
            elif waiting_for:
                results[item.name] = LayerResult(item, Status.WAITING, waiting_detail(waiting_for, stack))
            elif decide is not None and (decided := decide(item)) is not None:
                results[item.name] = decided
            else:
                runnable.append(item)
        with ThreadPoolExecutor(max_workers=max(1, min(max_concurrent, len(runnable) or 1))) as pool:
            for result in pool.map(attempt, runnable):
                results[result.layer.name] = result
    order = [item for wave in plan for item in wave]
    return [results[item.name] for item in order]


def _undeployed_upstream(item: Layer, operation: Operation, gateway: Gateway, stack: str) -> list[str]:
    if not operation.waits_for_upstream:
        return []
    return [name for name in item.upstream if not gateway.outputs(layer(name), stack)]


def first_line(error: BaseException) -> str:
    """The line of an error that says what went wrong, for one layer's result."""
    text = str(error).strip() or type(error).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    interesting = [line for line in lines if "error" in line.lower()]
    return (interesting or lines)[-1][:300]


def unready_upstream(target: Layer, gateway: Gateway, stack: str) -> list[str]:
    """Why `target` cannot deploy yet: each upstream stack with no outputs, and how to fix it."""
    problems = []
    for name in target.upstream:
        upstream = layer(name)
        if not gateway.outputs(upstream, stack):
            problems.append(
                f"stack {stack!r} of {upstream.project} has no outputs yet: "
                f"{target.project} reads {', '.join(target.reads[name])} from it. Deploy it first with "
                f"{deploy_hint(upstream, stack)}."
            )
    return problems


def unready_upstream_of(selected: Sequence[Layer], gateway: Gateway, stack: str) -> list[str]:
    """`unready_upstream` of each layer of a run, but for its upstream layers deployed earlier in the
    same run, which need no outputs yet."""
    names = {item.name for item in selected}
    return [
        problem
        for item in selected
        for problem in unready_upstream(
            replace(item, reads={name: keys for name, keys in item.reads.items() if name not in names}), gateway, stack
        )
    ]


def deploy_one(
    name: str,
    gateway: Gateway,
    stack: str,
    *,
    with_downstream: bool = False,
    emit: Callable[[str], None] = print,
    version: Version | None = None,
) -> list[LayerResult]:
    """Deploy one layer (and, on request, every layer that reads it, in order)."""
    target = layer(name)
    problems = unready_upstream(target, gateway, stack)
    if problems:
        raise DeployError(f"cannot deploy {target.project} to stack {stack!r}:\n  " + "\n  ".join(problems))
    selected = [target, *(downstream_of(target.name) if with_downstream else [])]
    return run_layers(Operation.UP, selected, gateway, stack, emit=emit, version=version)


def summary(operation: Operation, stack: str, results: Sequence[LayerResult]) -> str:
    width = max(len(result.layer.name) for result in results)
    lines = [f"{operation.value} of stack {stack!r}:"]
    for result in results:
        if result.status is Status.WAITING:  # the detail reads "waiting for <layer> ..."
            lines.append(f"  {result.layer.name:<{width}}  {result.detail}")
        else:
            lines.append(f"  {result.layer.name:<{width}}  {result.status.value:<9}  {result.detail}")
    return "\n".join(lines)


def exit_code(operation: Operation, results: Sequence[LayerResult], *, strict: bool = False) -> int:
    """Non-zero when a layer failed or was skipped, or, for drift, when any layer has changes.

    A layer waiting for an undeployed upstream counts as done (everything that could run did),
    unless `strict`."""
    tolerated = {Status.SUCCEEDED, Status.CURRENT} if strict else {Status.SUCCEEDED, Status.CURRENT, Status.WAITING}
    if any(result.status not in tolerated for result in results):
        return 1
    if operation is Operation.DRIFT and any(result.outcome and result.outcome.changed for result in results):
        return 1
    return 0
