"""`nox -s plan`: the whole chain under Pulumi's mock engine, offline, no CLI and no cloud.

Every layer's real program runs in dependency order with its stack file's config
(`stacks/<layer>/Pulumi.<stack>.yaml`); each layer's resolved exports feed its dependents'
StackReferences. The plan lists what each layer would create, shows which export feeds which
consumer, and fails when a consumer requires an export its upstream does not produce, when a
layer uses anything pulumi-aws marks as deprecated, when a layer violates a guardrail policy
(the policy pack and the IAM checks, `guardrails`), or when a rule that spans layers is broken
(`cross_layer`: alarms for what compute deploys, concurrency for the shards, the stream key).
It also renders a Mermaid diagram of the layers and their main resources, which README embeds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import LAYERS, Layer, deploy_order, repo_root

from ..guardrails.offline import evaluate
from ..layers import layer_settings_model
from ..offline.program import ProgramFailed, ProgramRun, run_layer
from . import cross_layer
from .stack_files import StackFileError, read_stack_file, stack_file


@dataclass(frozen=True)
class Wire:
    upstream: str
    key: str
    consumer: str


@dataclass
class Plan:
    stack: str
    runs: dict[str, ProgramRun] = field(default_factory=dict)
    wiring: list[Wire] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    problems_by_project: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, project: str, text: str) -> None:
        self.problems.append(f"{project}: {text}")
        self.problems_by_project.setdefault(project, []).append(text)


def stack_config(layer_: Layer, stack: str, root: Path | None = None) -> dict[str, Any]:
    """The `config:` block of a layer's `Pulumi.<stack>.yaml`, without `pulumi:` engine keys.

    A missing or unparsable stack file is a StackFileError naming the file."""
    config = read_stack_file(root or repo_root(), layer_, stack).get("config") or {}
    return {key: value for key, value in config.items() if not key.startswith("pulumi:")}


OPAQUE_SECRET = "offline-plan-secret"
"""What the offline plan gives a program for a secret of another namespace (`aws:...`), which no
settings model of ours validates."""


class PlanFailed(Exception):
    """A layer's offline plan did not run; the message says why (a stack file, a config error...)."""


@dataclass(frozen=True)
class OfflineConfig:
    """A stack file's config as the offline plan gives it to the program."""

    values: dict[str, Any]
    secret_keys: frozenset[str]


def offline_config(layer_: Layer, stack: str, root: Path | None = None) -> OfflineConfig:
    """The layer's stack config, each secret (`secure:` ciphertext, which only the stack's backend can
    decrypt) replaced by the example its settings field declares and marked secret, as `pulumi
    config set --secret` would: the program validates it and sees the key as a secret."""
    root = root or repo_root()
    values = stack_config(layer_, stack, root)
    secret = {key for key, value in values.items() if isinstance(value, dict) and set(value) == {"secure"}}
    if secret:
        model = layer_settings_model(root, layer_.name)
        fields = {field.alias or name: field for name, field in (model.model_fields.items() if model else ())}
        shown = stack_file(root, layer_, stack).relative_to(root)
        for key in sorted(secret):
            namespace, _, name = key.rpartition(":")
            examples = fields[name].examples if namespace == layer_.project and name in fields else [OPAQUE_SECRET]
            if examples:
                values[key] = examples[0]
            else:
                raise PlanFailed(
                    f"{key} is a secret in {shown}; the offline plan stands in for a secret with an example "
                    f"its settings field declares, and this one declares none (`examples=[...]` on its field "
                    f"in {layer_.folder}/{layer_.name}_layer/settings.py)"
                )
    return OfflineConfig(values, frozenset(secret))


def plan_layer(
    item: Layer,
    stack: str,
    upstream: Mapping[str, Mapping[str, Any]],
    *,
    root: Path | None = None,
    config_overrides: Mapping[str, Any] | None = None,
) -> ProgramRun:
    """One layer's program under the mock engine, with its stack file's config and the given
    exports of its upstream layers (by layer name); PlanFailed says why it did not run."""
    root = root or repo_root()
    try:
        config = offline_config(item, stack, root)
    except StackFileError as error:
        raise PlanFailed(str(error)) from None
    if not (root / item.folder / "__main__.py").exists():
        raise PlanFailed(f"no program at {item.folder}/__main__.py")
    values = {**config.values, **(config_overrides or {})}
    region = str(values.pop("aws:region", None) or "")
    try:
        return run_layer(
            item.name,
            stack=stack,
            region=region,
            config=values,
            upstream=upstream,
            secret_keys=config.secret_keys,
            root=root,
        )
    except ProgramFailed as failure:
        raise PlanFailed(str(failure)) from failure


def build_plan(
    stack: str = "local",
    *,
    config_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    catalogue: Mapping[str, Layer] = LAYERS,
    root: Path | None = None,
) -> Plan:
    """Run every layer of the repository at `root` (this one by default) in deploy order, and check
    the wiring between them."""
    plan = Plan(stack=stack)
    for item in deploy_order(catalogue.values()):
        blocked = [name for name in item.upstream if name not in plan.runs]
        if blocked:
            plan.problem(item.project, f"not run, because upstream {', '.join(blocked)} did not run")
            continue
        try:
            run = plan_layer(
                item,
                stack,
                {name: plan.runs[name].exports for name in item.upstream},
                root=root,
                config_overrides=(config_overrides or {}).get(item.name),
            )
        except PlanFailed as failure:
            plan.problem(item.project, str(failure))
            continue
        plan.runs[item.name] = run
        for use in run.deprecations:
            plan.problem(item.project, f"uses deprecated {use}")
        for message in run.warnings():
            if "deprecat" in message.lower():
                plan.problem(item.project, f"logged a deprecation warning: {message}")
        for violation in evaluate(run):
            plan.problem(item.project, f"violates {violation}")
        missing_exports = [name for name in item.exports if name not in run.exports]
        if missing_exports:
            plan.problem(item.project, f"does not export {', '.join(missing_exports)} (the contract)")
        for upstream, keys in item.reads.items():
            for key in keys:
                plan.wiring.append(Wire(upstream, key, item.name))
                if key not in plan.runs[upstream].exports:
                    plan.problem(
                        item.project,
                        f"requires export {key!r} from {catalogue[upstream].project}, which does not produce it",
                    )
    for problem in cross_layer.check(plan.runs):
        plan.problem("cross-layer rules", problem)
    return plan


def render_text(plan: Plan) -> str:
    lines = [f"Plan for stack {plan.stack!r} (offline: Pulumi mock engine, no CLI, no cloud)", ""]
    for name, run in plan.runs.items():
        counts = run.type_counts()
        lines.append(f"{name} ({run.project}, {run.region}): {sum(counts.values())} resources")
        width = max((len(token) for token in counts), default=0)
        lines += [f"  {token:<{width}}  {count:>3}" for token, count in counts.items()]
        lines.append("")
    if plan.wiring:
        lines.append("Cross-layer wiring (export -> consumer):")
        width = max(len(f"{wire.upstream}.{wire.key}") for wire in plan.wiring)
        lines += [f"  {f'{wire.upstream}.{wire.key}':<{width}}  -> {wire.consumer}" for wire in plan.wiring]
        lines.append("")
    if plan.problems:
        lines.append("PROBLEMS:")
        for project, problems in plan.problems_by_project.items():
            lines.append(f"  {project}:")
            for problem in problems:
                first, *rest = problem.strip().splitlines()
                lines.append(f"    - {first}")
                lines += [f"      {line}" for line in rest]
    return "\n".join(lines).rstrip("\n")


_MINOR_TYPES = re.compile(
    r"Association|Rule$|RolePolicy|PolicyAttachment|BucketPolicy|PublicAccessBlock|OwnershipControls|"
    r"Versioning|LifecycleConfiguration|ServerSideEncryption|DefaultSecurityGroup|TopicPolicy|Alias$"
)


def render_mermaid(plan: Plan) -> str:
    """A flowchart of the layers, their main resources (with counts) and the exports between them."""
    lines = ["flowchart LR"]
    for name, run in plan.runs.items():
        lines.append(f'    subgraph {name}["{name} &middot; {run.project}"]')
        for token, count in run.type_counts().items():
            short = token.rsplit(":", 1)[-1]
            if _MINOR_TYPES.search(short):
                continue
            label = short if count == 1 else f"{short} x{count}"
            lines.append(f'        {name}_{short}["{label}"]')
        lines.append("    end")
    edges: dict[tuple[str, str], list[str]] = {}
    for wire in plan.wiring:
        if wire.key != "region":
            edges.setdefault((wire.upstream, wire.consumer), []).append(wire.key)
    for (upstream, consumer), keys in edges.items():
        lines.append(f'    {upstream} -- "{", ".join(keys)}" --> {consumer}')
    return "\n".join(lines)


def embed_in_readme(readme: str, diagram: str) -> str:
    """README with the diagram between its `plan:diagram` markers (an empty block is filled too)."""
    pattern = re.compile(r"(<!-- plan:diagram -->\n```mermaid\n)(?:.*?\n)?(```\n<!-- /plan:diagram -->)", re.DOTALL)
    return pattern.sub(lambda match: f"{match.group(1)}{diagram}\n{match.group(2)}", readme)
