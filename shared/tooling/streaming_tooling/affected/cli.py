"""The change since a git ref, read from git and printed. Exit codes: 0 with the answer, 2 when git
or a requirement file cannot be read (one sentence on stderr)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from streaming_shared.catalogue import repo_root

from ..deploy.tree_plan import CannotPlan, TreePlan, plan_commit, plan_tree
from ..git import GitError, changed_files, file_at, merge_base
from .requirements import RequirementFileError
from .rules import Affected, affected_by
from .stack_files import Plans


def affected(root: Path, base: str) -> Affected:
    """Which layers the change since `base` (its merge base with HEAD) affects, and why (see the
    package docstring)."""
    return affected_since(root, merge_base(root, base))


def affected_since(root: Path, commit: str) -> Affected:
    """Which layers the difference between `commit` and the work tree affects, and why."""
    return affected_by(root, changed_files(root, commit), partial(file_at, root, commit), stack_plans(root, commit))


def stack_plans(root: Path, commit: str) -> Plans:
    """The offline plans of a stack at `commit` (its own code and environment) and in the work tree,
    each pair run once."""
    found: dict[str, tuple[TreePlan, TreePlan] | CannotPlan] = {}

    def plans(stack: str) -> tuple[TreePlan, TreePlan]:
        if stack not in found:
            try:
                found[stack] = (plan_commit(root, commit, stack), plan_tree(root, stack))
            except CannotPlan as why:
                found[stack] = why
        answer = found[stack]
        if isinstance(answer, CannotPlan):
            raise answer
        return answer

    return plans


def render_text(base: str, found: Affected) -> str:
    if not found.layers:
        lines = [f"No layer is affected by the change since {base}."]
    else:
        lines = [f"Layers affected by the change since {base}, in deploy order:"]
        for item in found.layers:
            lines.append(f"  {item.name}")
            lines += [f"    - {reason}" for reason in found.reasons[item.name]]
    if found.unaffecting:
        lines.append("Changed, affecting no deployed layer: " + ", ".join(found.unaffecting))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, root: Path | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nox -s affected --", description="The layers a change since a git ref affects, in deploy order."
    )
    parser.add_argument("--base", required=True, help="git ref to compare with (say, origin/main)")
    parser.add_argument("--json", action="store_true", help='print {"layers": [...], "reasons": {...}} only')
    args = parser.parse_args(argv)
    try:
        found = affected(root or repo_root(), args.base)
    except (GitError, RequirementFileError) as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(found.as_json()) if args.json else render_text(args.base, found))
    return 0
