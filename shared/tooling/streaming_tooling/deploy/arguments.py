"""The deploy command line, importable with the standard library alone.

The nox sessions check their arguments with `argument_problem` before they install anything,
so `nox -s deploy -- nonsense` is answered at once; the CLI parses with the same parser.
"""

from __future__ import annotations

import argparse

from streaming_shared.catalogue import DEFAULT_EMULATOR_ENDPOINT, LAYERS, LOCAL_STACK

ALL_LAYER_COMMAND_NAMES = ("deploy-all", "preview-all", "refresh-all", "drift", "destroy-all")
PARTIAL_ENVIRONMENT_COMMANDS = ("preview-all", "refresh-all", "drift")
UP_COMMANDS = ("deploy-all", "deploy", "deploy-changed")
"""Commands that run on an environment whose later layers are not deployed yet."""

DESCRIPTION = """\
    deploy-all     up every layer: network and data together, then compute, then observability
    deploy LAYER   up one layer (refused while an upstream stack has no outputs);
                   --with-downstream also redeploys the layers that read it, in order
    deploy-changed up, in waves, each layer behind the version its stack runs (a change since the
                   commit the stack records, a failed last update, stale reads); --layer L
                   limits it to L; --base <git ref>: the layers a change since the ref affects
    preview LAYER  preview one layer
    preview-all    preview every layer in order
    refresh-all    refresh every layer's state from the cloud
    drift          preview with refresh; exit 1 when any layer has changes (for a scheduled job)
    destroy-all    destroy every layer, dependents first; asks for confirmation unless --yes
    plan           offline: every layer's program under the mock engine, with the wiring between them
    promote        --from dev --to prod: deploy to --to, in waves, the commit each layer's --from stack
                   records, from a worktree of that commit; --layer L limits it; asks unless --yes
    status         what each layer's stack runs in each of --stacks dev,prod: commit, when, by whom,
                   commits behind main, last result, contract between the deployed layers; --json

The default stack is `local`: the file backend under the repo, a throwaway passphrase, and an
AWS API emulator on 127.0.0.1 (moto server is started if nothing listens there).
"""


def stack_names(text: str) -> list[str]:
    """`--stacks dev,prod` as a list of stack names."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r}: give stack names separated by commas, such as dev,prod")
    return names


class ArgumentProblem(ValueError):
    """A command line the deploy tooling does not accept; the message is argparse's usage and error."""


class _CheckingParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentProblem(f"{self.format_usage()}{self.prog}: error: {message}")


def parser(*, checking: bool = False) -> argparse.ArgumentParser:
    """The command line; with `checking`, a bad argument raises ArgumentProblem instead of exiting."""
    kind = _CheckingParser if checking else argparse.ArgumentParser
    root = kind(
        prog="python -m streaming_tooling.deploy",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", required=True)
    status = commands.add_parser("status")
    status.add_argument("--stacks", type=stack_names, required=True, help="stacks to show, such as dev,prod")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.add_argument("--main", default="main", help="git ref of main, which behind_main counts up to")
    status.set_defaults(
        stack=None, parallel=None, policy_pack=[], secrets_provider=None, emulator_endpoint=DEFAULT_EMULATOR_ENDPOINT
    )
    for name in (*ALL_LAYER_COMMAND_NAMES, "deploy", "deploy-changed", "preview", "plan", "promote"):
        command = commands.add_parser(name)
        if name == "promote":
            command.add_argument("--from", dest="source", required=True, help="the stack whose commits are promoted")
            command.add_argument("--to", dest="stack", required=True, help="the stack they are deployed to")
            command.add_argument("--main", default="main", help="git ref of main, which the commits must be on")
        else:
            command.add_argument(
                "--stack", default=LOCAL_STACK, help="stack (environment) name, the same in every layer"
            )
        if name in ("deploy", "preview"):
            command.add_argument("layer", choices=list(LAYERS), help=f"the layer to {name}")
        if name == "deploy":
            command.add_argument(
                "--with-downstream", action="store_true", help="then redeploy its dependents, in order"
            )
        if name == "promote":
            command.add_argument(
                "--layer",
                action="append",
                choices=list(LAYERS),
                default=[],
                help="only this layer (repeatable); default: each layer whose commits on the two stacks differ",
            )
        if name == "deploy-changed":
            command.add_argument(
                "--base",
                help="git ref the change is compared with (a branch's preview stack); "
                "without it, each layer is compared with the commit its stack runs",
            )
            command.add_argument(
                "--layer", action="append", choices=list(LAYERS), default=[], help="only this layer (repeatable)"
            )
        if name in UP_COMMANDS:
            command.add_argument(
                "--allow-dirty",
                action="store_true",
                help="deploy a work tree with uncommitted changes to a stack that is not disposable",
            )
            command.add_argument(
                "--allow-contract-break",
                action="store_true",
                help="deploy even when a deployed reader reads an export the new program drops or reshapes",
            )
        if name == "plan":
            command.add_argument("--write-readme", action="store_true", help="embed the diagram in README.md")
            continue
        if name in PARTIAL_ENVIRONMENT_COMMANDS:
            command.add_argument(
                "--strict",
                action="store_true",
                help="exit non-zero when a layer waits for an upstream that is not deployed yet",
            )
        command.add_argument("--yes", action="store_true", help="do not ask before destroying or promoting")
        command.add_argument("--parallel", type=int, help="resource operations Pulumi runs at once per layer")
        command.add_argument(
            "--emulator-endpoint",
            default=DEFAULT_EMULATOR_ENDPOINT,
            help=f"stack {LOCAL_STACK} only: the AWS API emulator to use or start",
        )
        command.add_argument(
            "--policy-pack", action="append", default=[], help="another policy pack to run besides the guardrails"
        )
        command.add_argument(
            "--secrets-provider",
            help="secrets provider for stacks this run creates, e.g. awskms://alias/pulumi-secrets "
            "(needed on an s3:// or file:// backend unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set)",
        )
    return root


def meaning_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with a command line that parses: a promotion from a stack to itself."""
    if args.command == "promote" and args.source == args.stack:
        return f"--from and --to are both {args.stack!r}: name the stack the layers are promoted to"
    return None


def argument_problem(argv: list[str]) -> str | None:
    """What is wrong with a deploy command line, or None when it parses (or asks for --help)."""
    if "-h" in argv or "--help" in argv:
        return None
    try:
        args = parser(checking=True).parse_args(argv)
    except ArgumentProblem as problem:
        return str(problem)
    return meaning_problem(args)
