"""The contract across versions: what readers read must stay exported, with the same shape.

The catalogue check (`nox -s plan`) covers one commit. Deployed stacks are of many commits: a
reader deployed last month still reads what its program read then, and says so in its
`contract_reads` export. So:

- before `up` of a layer, `DeployGuard` reads the `contract_reads` of the deployed stacks of its
  readers and refuses when the new program (its exports from the offline plan) would no longer
  export a name one of them reads, or would change its shape (`shape`);
- after the deploy, it lists the deployed readers of exports whose values changed, with the
  command that redeploys them;
- offline, `contract_check` compares the exports of the offline plan at a git ref with the work
  tree's, for every name some layer read at that ref (`nox -s contract-check`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import LAYERS, Layer, readers_of, repo_root
from streaming_shared.upstream import CONTRACT_READS

from ..git import GitError, checkout, merge_base
from .orchestrator import DeployError, Gateway, LayerResult, Status
from .plan import build_plan


def shape(value: Any) -> str:
    """What a reader relies on besides the name: the kind of value, and a map's keys."""
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
    was: str | None
    now: str | None

    @property
    def change(self) -> str:
        if self.now is None:
            return "is no longer exported"
        return f"changes shape from {self.was} to {self.now}"

    def __str__(self) -> str:
        return f"{self.reader} reads {self.export!r} from {self.upstream}, which {self.change} by the new version"


def breaks(
    upstream: str, readers: Mapping[str, Iterable[str]], before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Break]:
    """Each read of `readers` (reader -> names) that `after` no longer satisfies as `before` did."""
    found = []
    for reader, names in readers.items():
        for name in names:
            was = shape(before[name]) if name in before else None
            if name not in after:
                found.append(Break(reader, upstream, name, was, None))
            elif was is not None and was != shape(after[name]):
                found.append(Break(reader, upstream, name, was, shape(after[name])))
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


def contract_reads_of(reader: Layer, outputs: Mapping[str, Any], upstream: Layer, stack: str) -> list[str]:
    """The names a deployed reader reads from `upstream`, from its `contract_reads` export."""
    declared = outputs.get(CONTRACT_READS)
    if not isinstance(declared, Mapping):
        raise DeployError(
            f"stack {stack!r} of {reader.project} has outputs but no {CONTRACT_READS!r} export, which every "
            f"version of its program publishes: redeploy it (`nox -s deploy -- {reader.name} --stack {stack}`)."
        )
    return [str(name) for name in declared.get(upstream.project, [])]


# -- the deploy guard -----------------------------------------------------------------------------


PlanExports = Callable[[str], Mapping[str, Mapping[str, Any]]]


def offline_plan_exports(stack: str) -> Mapping[str, Mapping[str, Any]]:
    """Each layer's exports as the offline plan of `stack` produces them (names and shapes are real)."""
    plan = build_plan(stack)
    if len(plan.runs) < len(LAYERS):
        raise DeployError(
            f"the contract guard needs the offline plan of stack {stack!r}, which failed: "
            f"{'; '.join(plan.problems)}. See `nox -s plan -- --stack {stack}`."
        )
    return {name: run.exports for name, run in plan.runs.items()}


@dataclass
class DeployGuard:
    """Checks a deploy against the deployed readers before `up`, and reports what to redeploy after."""

    gateway: Gateway
    stack: str
    allow_break: bool = False
    say: Callable[[str], None] = print
    plan_exports: PlanExports = offline_plan_exports
    before_up: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    deploying: set[str] = field(default_factory=set)

    def _deployed_readers(self, target: Layer, skip: Collection[str]) -> dict[str, list[str]]:
        readers: dict[str, list[str]] = {}
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

    def check(self, targets: Sequence[Layer]) -> None:
        """Refuse (DeployError) when the new programs of `targets` break a deployed reader."""
        self.deploying = {item.name for item in targets}
        found: list[Break] = []
        planned: Mapping[str, Mapping[str, Any]] | None = None
        for target in targets:
            current = self.gateway.outputs(target, self.stack) or {}
            self.before_up[target.name] = current
            readers = self._deployed_readers(target, self.deploying)
            if not any(readers.values()):
                continue
            planned = planned or self.plan_exports(self.stack)
            found += breaks(target.project, readers, current, planned[target.name])
        if not found:
            return
        listed = "\n  ".join(str(item) for item in found)
        if self.allow_break:
            self.say(f"Deploying despite contract breaks, because of --allow-contract-break:\n  {listed}")
            return
        raise DeployError(
            f"refusing to deploy: {listed}\n"
            "Deploy the reader with a version that no longer reads it first, or pass --allow-contract-break."
        )

    def readers_to_redeploy(self, results: Sequence[LayerResult]) -> dict[str, list[str]]:
        """Each deployed reader (not part of this run) of an export this run changed, with why."""
        notes: dict[str, list[str]] = {}
        for result in results:
            if result.status is not Status.SUCCEEDED or result.layer.name not in self.before_up:
                continue
            before = self.before_up[result.layer.name]
            after = self.gateway.outputs(result.layer, self.stack) or {}
            changed = {
                name
                for name in before.keys() | after.keys()
                if name != CONTRACT_READS and before.get(name) != after.get(name)
            }
            if not changed:
                continue
            for reader in readers_of(result.layer):
                outputs = self.gateway.outputs(reader, self.stack)
                if reader.name in self.deploying or not outputs:
                    continue
                names = contract_reads_of(reader, outputs, result.layer, self.stack)
                read_and_changed = [name for name in names if name in changed]
                if read_and_changed:
                    notes.setdefault(reader.name, []).append(
                        f"reads {', '.join(read_and_changed)} from {result.layer.project}, which changed"
                    )
        return notes

    def after(self, results: Sequence[LayerResult]) -> tuple[str, list[str]]:
        """The summary lines about readers to redeploy, and their layer names."""
        notes = self.readers_to_redeploy(results)
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

_PLAN_DUMP = """
import json, sys
from streaming_shared.catalogue import LAYERS
from streaming_tooling.deploy.plan import build_plan
plan = build_plan(sys.argv[1])
document = {
    "exports": {name: run.exports for name, run in plan.runs.items()},
    "projects": {name: item.project for name, item in LAYERS.items()},
    "reads": {name: {up: list(keys) for up, keys in item.reads.items()} for name, item in LAYERS.items()},
    "problems": plan.problems,
}
with open(sys.argv[2], "w") as out:
    json.dump(document, out, default=str)
"""


@dataclass(frozen=True)
class TreePlan:
    """The offline plan of one source tree, run with that tree's own runtime package and tooling."""

    exports: Mapping[str, Mapping[str, Any]]
    projects: Mapping[str, str]
    reads: Mapping[str, Mapping[str, Sequence[str]]]
    problems: Sequence[str]


def plan_tree(tree: Path, stack: str) -> TreePlan:
    """Run the offline plan of `tree` in a subprocess whose imports come from `tree/shared`."""
    with tempfile.TemporaryDirectory() as scratch:
        result_file = Path(scratch) / "plan.json"
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(tree / "shared"), str(tree / "shared" / "tooling")]),
            "STREAMING_REPO_ROOT": str(tree),
        }
        completed = subprocess.run(
            [sys.executable, "-c", _PLAN_DUMP, stack, str(result_file)],
            cwd=tree,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0 or not result_file.exists():
            last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            raise DeployError(f"the offline plan of {tree} did not run: {last}")
        document = json.loads(result_file.read_text())
    return TreePlan(document["exports"], document["projects"], document["reads"], document["problems"])


def checkout_for_plan(root: Path, commit: str, target: Path) -> Path:
    """The tree of `commit` at `target`, sharing `root`'s Lambda dependency layer cache (`build/`,
    keyed by what each layer was built from) so the plan does not build it again."""
    checkout(root, commit, target)
    if (root / "build").is_dir():
        (target / "build").symlink_to(root / "build", target_is_directory=True)
    return target


def contract_check(base: TreePlan, head: TreePlan) -> list[Break]:
    """Every export some layer read in `base` that `head` drops or reshapes."""
    found = []
    for upstream, before in base.exports.items():
        readers = {base.projects[reader]: reads[upstream] for reader, reads in base.reads.items() if upstream in reads}
        found += breaks(base.projects[upstream], readers, before, head.exports.get(upstream, {}))
    return found


def main(argv: Sequence[str] | None = None, *, root: Path | None = None, say: Callable[[str], None] = print) -> int:
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
        with tempfile.TemporaryDirectory(prefix="contract-base-") as scratch:
            base = plan_tree(checkout_for_plan(root, since, Path(scratch)), args.stack)
        head = plan_tree(root, args.stack)
    except (GitError, DeployError) as error:
        say(str(error))
        return 2
    found = contract_check(base, head)
    if found:
        say(f"Contract broken since {args.base}:\n  " + "\n  ".join(grouped(found)))
        if head.problems:
            say("The work tree's offline plan also reports:\n  " + "\n  ".join(head.problems))
        return 1
    read = sum(len(names) for reads in base.reads.values() for names in reads.values())
    say(f"Contract kept since {args.base}: all {read} exports layers read at the base are exported, same shapes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
