"""`python -m streaming_tooling.deploy <command> ...`: what the nox deploy sessions run.

    deploy-all     up every layer: network and data together, then compute, then observability
    deploy LAYER   up one layer (refused while an upstream stack has no outputs);
                   --with-downstream also redeploys the layers that read it, in order
    deploy-changed up exactly the layers a change since --base <git ref> affects, in waves
    preview LAYER  preview one layer
    preview-all    preview every layer in order
    refresh-all    refresh every layer's state from the cloud
    drift          preview with refresh; exit 1 when any layer has changes (for a scheduled job)
    destroy-all    destroy every layer, dependents first; asks for confirmation unless --yes
    plan           offline: every layer's program under the mock engine, with the wiring between them

Before any `up`, the deployed readers of each layer are checked: a layer whose new program
drops or reshapes an export a deployed reader reads is refused (`--allow-contract-break`
overrides). After it, the summary names the readers of exports that changed.

The default stack is `local`: the file backend under the repo, a throwaway passphrase, and an
AWS API emulator on 127.0.0.1 (moto server is started if nothing listens there).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import LAYERS, Layer, destroy_order, downstream_of, layer, repo_root
from streaming_shared.config import DEFAULT_EMULATOR_ENDPOINT, LOCAL_STACK

from ..affected import GitError, affected
from ..affected import render_text as render_affected
from .automation import AutomationGateway, ensure_cli
from .contract import DeployGuard
from .emulator import Emulator
from .orchestrator import (
    DeployError,
    Gateway,
    LayerResult,
    Operation,
    deploy_one,
    exit_code,
    run_layers,
    summary,
    unready_upstream,
)
from .plan import build_plan, embed_in_readme, render_mermaid, render_text

ALL_LAYER_COMMANDS = {
    "deploy-all": Operation.UP,
    "preview-all": Operation.PREVIEW,
    "refresh-all": Operation.REFRESH,
    "drift": Operation.DRIFT,
    "destroy-all": Operation.DESTROY,
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m streaming_tooling.deploy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", required=True)
    for name in (*ALL_LAYER_COMMANDS, "deploy", "deploy-changed", "preview", "plan"):
        command = commands.add_parser(name)
        command.add_argument("--stack", default=LOCAL_STACK, help="stack (environment) name, the same in every layer")
        if name in ("deploy", "preview"):
            command.add_argument("layer", choices=list(LAYERS), help=f"the layer to {name}")
        if name == "deploy":
            command.add_argument(
                "--with-downstream", action="store_true", help="then redeploy its dependents, in order"
            )
        if name == "deploy-changed":
            command.add_argument("--base", required=True, help="git ref the change is compared with (origin/main)")
        if name in UP_COMMANDS:
            command.add_argument(
                "--allow-contract-break",
                action="store_true",
                help="deploy even when a deployed reader reads an export the new program drops or reshapes",
            )
            command.add_argument(
                "--readers-file",
                type=Path,
                help="write the JSON list of layers that read an export this deploy changed (for CI's next jobs)",
            )
        if name == "plan":
            command.add_argument("--write-readme", action="store_true", help="embed the diagram in README.md")
            continue
        command.add_argument("--yes", action="store_true", help="do not ask before destroying")
        command.add_argument("--parallel", type=int, help="resource operations Pulumi runs at once per layer")
        command.add_argument(
            "--emulator-endpoint",
            default=DEFAULT_EMULATOR_ENDPOINT,
            help=f"stack {LOCAL_STACK} only: the AWS API emulator to use or start",
        )
        command.add_argument(
            "--policy-pack", action="append", default=[], help="another policy pack to run besides the guardrails"
        )
    return root


def confirmed(stack: str, ask: Callable[[str], str]) -> bool:
    order = ", ".join(item.name for item in destroy_order())
    answer = ask(f"Destroy every layer of stack {stack!r} ({order})? Type the stack name to confirm: ")
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
UP_COMMANDS = ("deploy-all", "deploy", "deploy-changed")


def gateway_options(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Pulumi options of a run: the guardrails policy pack always, the emulator for `local`."""
    extra_config = {}
    if args.stack == LOCAL_STACK and args.emulator_endpoint != DEFAULT_EMULATOR_ENDPOINT:
        extra_config["emulatorEndpoint"] = args.emulator_endpoint
    return {
        "parallel": args.parallel,
        "policy_packs": [str(root / GUARDRAILS_PACK), *args.policy_pack],
        "extra_config": extra_config,
    }


def _real_gateway(args: argparse.Namespace, root: Path, say: Callable[[str], None]) -> Gateway:
    return AutomationGateway(root, ensure_cli(root, say), **gateway_options(args, root))


def main(
    argv: Sequence[str],
    *,
    root: Path,
    gateway_factory: Callable[[argparse.Namespace, Path, Callable[[str], None]], Gateway] = _real_gateway,
    say: Callable[[str], None] = print,
    ask: Callable[[str], str] = input,
) -> int:
    args = parser().parse_args(list(argv))
    if args.command == "plan":
        return _plan(args, root, say)
    try:
        if args.command == "destroy-all" and not args.yes:
            if not sys.stdin.isatty() and ask is input:
                say("destroy-all needs --yes when not run from a terminal.")
                return 2
            if not confirmed(args.stack, ask):
                say("Not confirmed; nothing destroyed.")
                return 1
        targets = _changed_layers(args, root, say) if args.command == "deploy-changed" else None
        if targets == []:
            return 0
        gateway = gateway_factory(args, root, say)
        guard = DeployGuard(gateway, args.stack, allow_break=getattr(args, "allow_contract_break", False), say=say)
        with _emulator_for(args.stack, args.emulator_endpoint, say):
            operation, results = _run(args, gateway, guard, targets, say)
    except (DeployError, GitError) as error:
        say(str(error))
        return 1
    say(summary(operation, args.stack, results))
    if operation is Operation.UP:
        text, readers = guard.after(results)
        if text:
            say(text)
        if args.readers_file:
            args.readers_file.write_text(json.dumps(readers))
    return exit_code(operation, results)


def _changed_layers(args: argparse.Namespace, root: Path, say: Callable[[str], None]) -> list[Layer]:
    found = affected(root, args.base)
    say(render_affected(args.base, found))
    if not found.layers:
        say("Nothing to deploy.")
    return found.layers


def _run(
    args: argparse.Namespace,
    gateway: Gateway,
    guard: DeployGuard,
    targets: list[Layer] | None,
    say: Callable[[str], None],
) -> tuple[Operation, list[LayerResult]]:
    if args.command == "preview":
        return Operation.PREVIEW, run_layers(Operation.PREVIEW, [layer(args.layer)], gateway, args.stack, emit=say)
    if args.command == "deploy":
        guard.check([layer(args.layer), *(downstream_of(args.layer) if args.with_downstream else [])])
        return Operation.UP, deploy_one(args.layer, gateway, args.stack, with_downstream=args.with_downstream, emit=say)
    if args.command == "deploy-changed":
        assert targets is not None
        selected = {item.name for item in targets}
        problems = [  # upstream layers deployed earlier in this run need no outputs yet
            problem
            for item in targets
            for problem in unready_upstream(
                dataclasses.replace(item, reads={k: v for k, v in item.reads.items() if k not in selected}),
                gateway,
                args.stack,
            )
        ]
        if problems:
            raise DeployError(f"cannot deploy to stack {args.stack!r}:\n  " + "\n  ".join(problems))
        guard.check(targets)
        return Operation.UP, run_layers(Operation.UP, targets, gateway, args.stack, emit=say)
    operation = ALL_LAYER_COMMANDS[args.command]
    if operation is Operation.UP:
        guard.check(list(LAYERS.values()))
    return operation, run_layers(operation, list(LAYERS.values()), gateway, args.stack, emit=say)


def _plan(args: argparse.Namespace, root: Path, say: Callable[[str], None]) -> int:
    plan = build_plan(args.stack)
    say(render_text(plan))
    if args.write_readme and plan.ok:
        readme = root / "README.md"
        readme.write_text(embed_in_readme(readme.read_text(), render_mermaid(plan)))
        say(f"\nWrote the diagram into {readme}.")
    return 0 if plan.ok else 1


def run() -> None:
    sys.exit(main(sys.argv[1:], root=repo_root()))
