"""`nox -s config-diff -- <stack> <stack> [--json]`: per layer, the settings whose values differ
between two stacks, so a reviewer of a promotion sees what differs besides the code.

A value is what the program uses: the stack file's, else the default of the layer's settings
model (`<layer>_layer/settings.py`, `effective_values`), resolved for the stack where it depends on
it (a stack that is not disposable gets flow logs and customer-managed keys by default). A map is
compared leaf by leaf, each named by its path as `pulumi config set --path` names it
(`streaming-compute:memoryMb.ingest`). The stack files are read as the offline plan reads them
(`offline_config`); secrets are shown as `[secret]`, never their values. A secret set in both
stacks counts as the same: only each stack's backend can decrypt it, and two stacks' ciphertexts
differ whatever they hold.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from streaming_shared.catalogue import Layer, deploy_order, repo_root
from streaming_shared.config import REGION_KEY
from streaming_shared.errors import ConfigError

from ..layers import layer_settings_model
from .plan import PlanFailed, offline_config
from .stack_files import StackFileError, every_stack, stack_file

SECRET = "[secret]"
ValuePair = dict[str, Any]


class ConfigDiffError(ValueError):
    """A stack that cannot be compared; the message names the file or key and the fix."""


def effective_config(root: Path, item: Layer, stack: str) -> dict[str, Any]:
    """Every key of the layer's stack `stack` with the value its program uses; secrets as `[secret]`."""
    shown = stack_file(root, item, stack).relative_to(root)
    try:
        config = offline_config(item, stack, root)
    except (StackFileError, PlanFailed) as error:
        raise ConfigDiffError(str(error)) from None
    values = dict(config.values)
    region = values.pop(REGION_KEY, None)
    prefix = f"{item.project}:"
    own = {key.removeprefix(prefix): value for key, value in values.items() if key.startswith(prefix)}
    others = {key: value for key, value in values.items() if not key.startswith(prefix)}
    model = layer_settings_model(root, item.name)
    if model is None:
        raise ConfigDiffError(f"{item.folder}/{item.name}_layer/settings.py has no settings model of {item.project}")
    secret_names = {key.removeprefix(prefix) for key in config.secret_keys if key.startswith(prefix)}
    try:
        settings = model.from_values(own, stack=stack, region=region, secret_keys=secret_names)
    except ConfigError as error:
        problems = "; ".join(str(problem) for problem in error.problems)
        raise ConfigDiffError(f"{shown}: {problems}") from None
    effective = {f"{prefix}{key}": value for key, value in settings.effective_values().items()}
    effective |= {REGION_KEY: region, **others}
    for key in config.secret_keys:
        effective[key] = SECRET
    return effective


def _paths(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested maps as one key per leaf (`memoryMb.ingest`, as `pulumi config set --path` names it),
    so a difference in one stage's memory is one row; an empty map is a key left unset."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat |= _paths(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def differences(root: Path, stacks: tuple[str, str]) -> dict[str, dict[str, ValuePair]]:
    """Per layer (deploy order), the keys whose values differ: `{layer: {key: {stack: value, ...}}}`."""
    known = every_stack(root)
    for stack in stacks:
        if stack not in known:
            raise ConfigDiffError(
                f"no layer has a stack file for {stack!r} (stacks/<layer>/Pulumi.{stack}.yaml); "
                f"the stacks with one are: {', '.join(known) or 'none'}"
            )
    result: dict[str, dict[str, ValuePair]] = {}
    for item in deploy_order():
        first, second = (_paths(effective_config(root, item, stack)) for stack in stacks)
        result[item.name] = {
            key: {stacks[0]: first.get(key), stacks[1]: second.get(key)}
            for key in sorted(first.keys() | second.keys())
            if first.get(key) != second.get(key)
        }
    return result


def _shown(value: Any) -> str:
    return "(unset)" if value is None else value if isinstance(value, str) else json.dumps(value)


def render_text(diff: dict[str, dict[str, ValuePair]], stacks: tuple[str, str]) -> str:
    if not any(diff.values()):
        first, second = stacks
        return f"Nothing differs between stacks {first!r} and {second!r}: every setting of every layer is the same."
    blocks = []
    for layer_name, keys in diff.items():
        if not keys:
            blocks.append(f"{layer_name}: nothing differs")
            continue
        rows = [("key", *stacks), *((key, *(_shown(pair[stack]) for stack in stacks)) for key, pair in keys.items())]
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        lines = [f"  {row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip() for row in rows]
        blocks.append("\n".join([f"{layer_name}:", *lines]))
    return "\n\n".join(blocks)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"config-diff: {message} (usage: nox -s config-diff -- <stack> <stack> [--json])\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(
        prog="nox -s config-diff --", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("first", help="a stack name, as in Pulumi.<stack>.yaml (dev)")
    parser.add_argument("second", help="the stack to compare it with (prod)")
    parser.add_argument("--json", action="store_true", help='print {"layers": {LAYER: {KEY: {STACK: value}}}}')
    arguments = parser.parse_args(argv)
    stacks = (arguments.first, arguments.second)
    try:
        diff = differences(repo_root(), stacks)
    except ConfigDiffError as error:
        print(f"config-diff: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"layers": diff}, indent=2) if arguments.json else render_text(diff, stacks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
