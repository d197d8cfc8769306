"""`python -m streaming_tooling.deploy <command> ...`: what the nox deploy sessions run (the commands
and their options: `arguments.py`, `--help`). `main` puts the checks around each `up`: the contract
with the deployed readers before it and the readers to redeploy after it (`contract`), the version it
records (`versions`), the catch-up of `deploy-changed` without `--base` (`catch_up`), and the
account's Lambda concurrency before compute's first deploy (`preflight`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import (
    DEFAULT_EMULATOR_ENDPOINT,
    LAYERS,
    LOCAL_STACK,
    Layer,
    destroy_order,
    downstream_of,
    layer,
    repo_root,
)
from streaming_shared.config import check_environment_name, is_disposable

from ..affected import RequirementFileError, affected, affected_since
from ..affected import render_text as render_affected
from ..git import GitError
from .arguments import UP_COMMANDS, meaning_problem, parser
from .automation import AutomationGateway, ensure_cli
from .catch_up import verdict
from .contract import DeployGuard, planned_exports
from .emulator import Emulator
from .orchestrator import (
    DeployError,
    Gateway,
    LayerResult,
    Operation,
    Status,
    deploy_one,
    exit_code,
    run_layers,
    summary,
    unready_upstream_of,
)
from .plan import build_plan, embed_in_readme, render_mermaid, render_text
from .preflight import check_first_deploy
from .promote import TreeGatewayFactory, needs_yes, promote
from .stack_files import check_stack_files
from .status import render_text as render_status
from .status import status
from .tree_plan import program_environments
from .versions import Version, version_of

ALL_LAYER_COMMANDS = {
    "deploy-all": Operation.UP,
    "preview-all": Operation.PREVIEW,
    "refresh-all": Operation.REFRESH,
    "drift": Operation.DRIFT,
    "destroy-all": Operation.DESTROY,
}


def unprotect_hint(stack: str) -> str:
    """How to destroy on purpose what a stack that is not disposable protects."""
    return (
        f"On a stack that is not disposable the stream, table, bucket and KMS keys are protected and the "
        f"destroy of the data layer stops at them. To destroy them on purpose, set `streaming-data:disposable: "
        f"true` in stacks/data/Pulumi.{stack}.yaml and run `nox -s deploy -- data --stack {stack}` first (that "
        "lifts the protection, the table's deletion protection and lets the bucket go with its objects), or "
        f"run `pulumi state unprotect --all --yes --stack {stack}` in stacks/data."
    )


def refuse_dirty(version: Version, stack: str, *, allow_dirty: bool) -> None:
    """DeployError when a work tree with uncommitted changes would deploy to a stack that is not
    disposable: what such a stack runs must be a commit others can read."""
    if version.clean or allow_dirty or is_disposable(stack):
        return
    raise DeployError(
        f"refusing to deploy to stack {stack!r} from a work tree with uncommitted changes (`git status` lists "
        "them): commit or stash them, or pass --allow-dirty."
    )


def confirmed(stack: str, ask: Callable[[str], str]) -> bool:
    order = ", ".join(item.name for item in destroy_order())
    try:
        answer = ask(f"Destroy every layer of stack {stack!r} ({order})? Type the stack name to confirm: ")
    except (EOFError, KeyboardInterrupt):  # Ctrl-D or Ctrl-C at the prompt
        return False
    return answer.strip() == stack


@contextlib.contextmanager
def _emulator_for(stack: str, endpoint: str, say: Callable[[str], None]) -> Iterator[None]:
    if stack != LOCAL_STACK:
        yield
        return
    with Emulator(endpoint) as emulator:
        if emulator.started_here:
            say(f"Started moto server on {endpoint} for stack {LOCAL_STACK}; it stops when this command ends.")
        else:
            say(f"Using the AWS API emulator already listening on {endpoint}.")
        yield


GUARDRAILS_PACK = Path("shared") / "policy_pack"


def gateway_options(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Pulumi options of a run: the guardrails policy pack always, the emulator for `local`."""
    extra_config = {}
    if args.stack == LOCAL_STACK and args.emulator_endpoint != DEFAULT_EMULATOR_ENDPOINT:
        extra_config["emulatorEndpoint"] = args.emulator_endpoint
    return {
        "parallel": args.parallel,
        "policy_packs": [str(root / GUARDRAILS_PACK), *args.policy_pack],
        "extra_config": extra_config,
        "secrets_provider": args.secrets_provider,
    }


GatewayFactory = Callable[[argparse.Namespace, Path, Callable[[str], None]], Gateway]
"""A gateway for a run's arguments, working on the tree at the path (the repository or a commit's worktree)."""


def _real_gateway(args: argparse.Namespace, root: Path, say: Callable[[str], None]) -> Gateway:
    return AutomationGateway(root, ensure_cli(root, say), **gateway_options(args, root))


def _real_tree_gateway(args: argparse.Namespace, root: Path, tree: Path, say: Callable[[str], None]) -> Gateway:
    environment = program_environments(root, tree)
    return AutomationGateway(tree, ensure_cli(root, say), **gateway_options(args, tree), extra_environment=environment)


def main(
    argv: Sequence[str],
    *,
    root: Path,
    gateway_factory: GatewayFactory = _real_gateway,
    tree_gateway_factory: TreeGatewayFactory = _real_tree_gateway,
    say: Callable[[str], None] = print,
    ask: Callable[[str], str] = input,
) -> int:
    args = parser().parse_args(list(argv))
    problem = meaning_problem(args)
    if problem:
        say(problem)
        return 2
    if args.command == "plan":
        return _plan(args, root, say)
    if args.command == "status":
        return _status(args, root, gateway_factory, say)
    if args.command == "promote":
        return _promote(args, root, gateway_factory, tree_gateway_factory, say, ask)
    unreadable = check_stack_files(root, _layers_run_by(args), args.stack)
    if unreadable:
        say("\n".join(unreadable))
        return 2
    if args.command == "destroy-all" and args.stack != LOCAL_STACK:
        say(unprotect_hint(args.stack))
    try:
        if args.command == "destroy-all" and not args.yes:
            if not sys.stdin.isatty() and ask is input:
                say("destroy-all needs --yes when not run from a terminal.")
                return 2
            if not confirmed(args.stack, ask):
                say("Not confirmed; nothing destroyed.")
                return 1
        version = version_of(root, os.environ) if args.command in UP_COMMANDS else None
        if args.command in UP_COMMANDS and version is None:
            if args.command == "deploy-changed" and not args.base:
                raise DeployError(
                    f"{root} is not a git work tree: deploy-changed compares each layer with the commit its stack "
                    "runs; deploy from a clone, or name the layers (`nox -s deploy -- <layer>`)"
                )
            if not (args.allow_dirty or is_disposable(args.stack)):
                raise DeployError(
                    f"refusing to deploy to stack {args.stack!r} from {root}, which is not a git work tree: what a "
                    "stack that is not disposable runs must be a commit others can read; deploy from a clone, or "
                    "pass --allow-dirty."
                )
            say(f"{root} is not a git work tree: the deploy records no commit, so `deploy-changed` deploys it again.")
        if version is not None:
            refuse_dirty(version, args.stack, allow_dirty=args.allow_dirty)
        targets = _changed_layers(args, root, say) if args.command == "deploy-changed" and args.base else None
        if targets == []:
            return 0
        gateway = gateway_factory(args, root, say)
        if args.command in UP_COMMANDS:
            check_first_deploy(args.stack, targets or _layers_run_by(args), gateway, say)
        guard = DeployGuard(
            gateway,
            args.stack,
            allow_break=getattr(args, "allow_contract_break", False),
            say=say,
            plan=planned_exports(root),
        )
        with _emulator_for(args.stack, args.emulator_endpoint, say):
            operation, results = _run(args, root, gateway, guard, targets=targets, version=version, say=say)
    except (DeployError, GitError, RequirementFileError) as error:
        say(str(error))
        return 1
    say(summary(operation, args.stack, results))
    if operation is Operation.UP:
        text, _ = guard.after(results, run={result.layer.name for result in results})
        if text:
            say(text)
    return exit_code(operation, results, strict=getattr(args, "strict", False))


def _layers_run_by(args: argparse.Namespace) -> list[Layer]:
    if args.command == "preview":
        return [layer(args.layer)]
    if args.command == "deploy-changed" and args.layer:
        return [item for item in LAYERS.values() if item.name in args.layer]
    if args.command != "deploy":
        return list(LAYERS.values())
    return [layer(args.layer), *(downstream_of(args.layer) if args.with_downstream else [])]


def _changed_layers(args: argparse.Namespace, root: Path, say: Callable[[str], None]) -> list[Layer]:
    found = affected(root, args.base)
    say(render_affected(args.base, found))
    chosen = [item for item in found.layers if item in _layers_run_by(args)]
    if not chosen:
        say("Nothing to deploy.")
    return chosen


def _catch_up(
    root: Path, gateway: Gateway, guard: DeployGuard, stack: str, *, here: Version, say: Callable[[str], None]
) -> Callable[[Layer], LayerResult | None]:
    """For `run_layers`: a layer whose stack runs what this work tree would deploy is current; one
    behind it deploys, behind the guard (a refusal fails that layer and skips its dependents)."""
    changes = functools.cache(functools.partial(affected_since, root))

    def decide(item: Layer) -> LayerResult | None:
        found = verdict(root, item, gateway, stack, here=here, affected_since=changes)
        if not found.behind:
            return LayerResult(item, Status.CURRENT, "; ".join(found.reasons))
        say(f"[{item.name}] behind its stack's version: {'; '.join(found.reasons)}")
        try:
            guard.check([item], readers_deploy_later=False)
        except DeployError as refused:
            return LayerResult(item, Status.FAILED, str(refused))
        return None

    return decide


def _run(
    args: argparse.Namespace,
    root: Path,
    gateway: Gateway,
    guard: DeployGuard,
    *,
    targets: list[Layer] | None,
    version: Version | None,
    say: Callable[[str], None],
) -> tuple[Operation, list[LayerResult]]:
    if args.command == "preview":
        return Operation.PREVIEW, run_layers(Operation.PREVIEW, [layer(args.layer)], gateway, args.stack, emit=say)
    if args.command == "deploy":
        guard.check(_layers_run_by(args))
        return Operation.UP, deploy_one(
            args.layer, gateway, args.stack, with_downstream=args.with_downstream, emit=say, version=version
        )
    if args.command == "deploy-changed":
        selected = targets if targets is not None else _layers_run_by(args)
        problems = unready_upstream_of(selected, gateway, args.stack)
        if problems:
            raise DeployError(f"cannot deploy to stack {args.stack!r}:\n  " + "\n  ".join(problems))
        if targets is not None:
            guard.check(targets)
            return Operation.UP, run_layers(Operation.UP, targets, gateway, args.stack, emit=say, version=version)
        assert version is not None  # main() refuses the catch-up without a commit
        decide = _catch_up(root, gateway, guard, args.stack, here=version, say=say)
        return Operation.UP, run_layers(
            Operation.UP, selected, gateway, args.stack, emit=say, version=version, decide=decide
        )
    operation = ALL_LAYER_COMMANDS[args.command]
    if operation is Operation.UP:
        guard.check(list(LAYERS.values()))
    return operation, run_layers(operation, list(LAYERS.values()), gateway, args.stack, emit=say, version=version)


def _status(args: argparse.Namespace, root: Path, gateway_factory: GatewayFactory, say: Callable[[str], None]) -> int:
    unnamed = [str(problem) for name in args.stacks if (problem := check_environment_name(name))]
    if unnamed:
        say("\n".join(unnamed))
        return 2
    try:
        document = status(root, gateway_factory(args, root, say), args.stacks, args.main)
    except (DeployError, GitError) as error:
        say(str(error))
        return 1
    say(json.dumps(document, indent=2) if args.json else render_status(document))
    return 0


def _promote(  # noqa: PLR0917 (main's collaborators, passed on)
    args: argparse.Namespace,
    root: Path,
    gateway_factory: GatewayFactory,
    tree_gateway_factory: TreeGatewayFactory,
    say: Callable[[str], None],
    ask: Callable[[str], str],
) -> int:
    if needs_yes(args, ask):
        say("promote needs --yes when not run from a terminal.")
        return 2
    try:
        reading = gateway_factory(args, root, say)
        with _emulator_for(args.stack, args.emulator_endpoint, say):
            promoted = promote(args, root, reading, tree_gateway_factory, say=say, ask=ask)
    except (DeployError, GitError) as error:
        say(str(error))
        return 1
    if not promoted.results:
        return 0
    say(summary(Operation.UP, args.stack, promoted.results))
    if promoted.guard is not None:
        text, _ = promoted.guard.after(promoted.results, run={result.layer.name for result in promoted.results})
        if text:
            say(text)
    if promoted.broken:
        say("The contract is broken on stack " + repr(args.stack) + ":\n  " + "\n  ".join(promoted.broken))
        return 1
    return exit_code(Operation.UP, promoted.results)


def _plan(args: argparse.Namespace, root: Path, say: Callable[[str], None]) -> int:
    plan = build_plan(args.stack, root=root)
    say(render_text(plan))
    if args.write_readme and plan.ok:
        readme = root / "README.md"
        readme.write_text(embed_in_readme(readme.read_text(), render_mermaid(plan)))
        say(f"\nWrote the diagram into {readme}.")
    return 0 if plan.ok else 1


def run() -> None:
    sys.exit(main(sys.argv[1:], root=repo_root()))
