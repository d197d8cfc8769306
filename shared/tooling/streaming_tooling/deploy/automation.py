"""The only code that talks to the Pulumi CLI, through the Automation API.

Kept thin on purpose: everything with logic (ordering, skipping, summaries, local-mode
settings) lives elsewhere and is tested offline. This module needs the CLI, which CI does not
have; `ensure_cli` finds or installs the pinned one (`pulumi_cli`: a download whose SHA-256
matches the recorded one, never an install script) or stops with one sentence saying what to
install.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from semver import VersionInfo

from streaming_shared.catalogue import LOCAL_STACK, Layer

from . import pulumi_cli
from .orchestrator import DeployError, Operation, Outcome
from .policy_check import mandatory_violations
from .pulumi_cli import install as install_cli
from .secrets import secrets_problem, secrets_provider_for
from .versions import StackVersion, Update, Version, stack_version

LOCAL_PASSPHRASE = "streaming-local-only"
"""Throwaway passphrase for the secrets of stack `local` (its state lives in .pulumi-state/)."""

STATE_FOLDER = ".pulumi-state"
HISTORY_PAGE = 50
"""Updates of a stack's history read to find its last successful one; beyond that many failures in
a row, the stack counts as running no known version (and is deployed)."""
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
"""The key that marks a secret in an exported state (Pulumi's state format); with `--show-secrets`
its `plaintext` holds the value as JSON."""


def ensure_cli(
    root: Path,
    say: Callable[[str], None] = print,
    *,
    which: Callable[[str], str | None] = shutil.which,
    install: Callable[[Path], Path] = install_cli,
) -> auto.PulumiCommand:
    """The pinned CLI under the repo, else `pulumi` on PATH, else the pinned one installed now with
    its SHA-256 checked (`pulumi_cli.ensure`); DeployError (one sentence) if none can be had."""
    try:
        folder = pulumi_cli.ensure(root, say, which=which, install=install)
    except pulumi_cli.CliInstallError as error:
        raise DeployError(str(error)) from error
    if folder is None:
        return auto.PulumiCommand()
    return auto.PulumiCommand(root=str(folder), version=VersionInfo.parse(pulumi_cli.CLI_VERSION))


def stack_environment(root: Path, stack: str) -> dict[str, str]:
    """Environment for the CLI: stack `local` gets the file backend, passphrase and fake keys.

    Other stacks use whatever backend the user is logged into and the standard AWS
    credential chain, untouched.
    """
    environment = {"PULUMI_SKIP_UPDATE_CHECK": "true"}
    if stack == LOCAL_STACK:
        environment.update(
            PULUMI_BACKEND_URL=f"file://{(root / STATE_FOLDER).resolve()}",
            PULUMI_CONFIG_PASSPHRASE=LOCAL_PASSPHRASE,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
        )
    return environment


def _counts(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """Pulumi's change summary keyed by operation name (`create`, `same`...), not OpType."""
    return {str(getattr(operation, "value", operation)): count for operation, count in (changes or {}).items()}


class AutomationGateway:
    """Runs one Pulumi operation on one layer's stack through the Automation API."""

    def __init__(
        self,
        root: Path,
        command: auto.PulumiCommand,
        *,
        parallel: int | None = None,
        policy_packs: list[str] | None = None,
        extra_config: Mapping[str, str] | None = None,
        secrets_provider: str | None = None,
        extra_environment: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.extra_environment = dict(extra_environment or {})
        self.command = command
        self.parallel = parallel
        self.policy_packs = policy_packs or None
        self.extra_config = dict(extra_config or {})
        self.secrets_provider = secrets_provider

    def _options(self, stack: str) -> auto.LocalWorkspaceOptions:
        environment = {**stack_environment(self.root, stack), **self.extra_environment}
        if stack == LOCAL_STACK:
            (self.root / STATE_FOLDER).mkdir(exist_ok=True)
        return auto.LocalWorkspaceOptions(
            env_vars=environment,
            pulumi_command=self.command,
            secrets_provider=secrets_provider_for(stack, self.secrets_provider),
        )

    def _select(self, layer: Layer, stack: str, *, create: bool) -> auto.Stack:
        work_dir = str(self.root / layer.folder)
        try:
            selected = auto.select_stack(stack, work_dir=work_dir, opts=self._options(stack))
        except auto.StackNotFoundError:
            if not create:
                raise
            problem = secrets_problem(stack, self._backend_url(work_dir, stack), self.secrets_provider, os.environ)
            if problem:
                raise DeployError(problem) from None
            selected = auto.create_stack(stack, work_dir=work_dir, opts=self._options(stack))
        for key, value in self.extra_config.items():
            full_key = key if ":" in key else f"{layer.project}:{key}"
            selected.set_config(full_key, auto.ConfigValue(value=value))
        return selected

    def _backend_url(self, work_dir: str, stack: str) -> str | None:
        environment = stack_environment(self.root, stack)
        workspace = auto.LocalWorkspace(work_dir=work_dir, env_vars=environment, pulumi_command=self.command)
        try:
            return workspace.who_am_i().url
        except auto.CommandError as error:
            raise DeployError(
                "The Pulumi CLI is not logged in to a backend: run `pulumi login` (Pulumi Cloud) or "
                "`pulumi login s3://<bucket>` (self-managed), then run again."
            ) from error

    def outputs(self, layer: Layer, stack: str) -> Mapping[str, Any] | None:
        try:
            selected = self._select(layer, stack, create=False)
        except auto.StackNotFoundError:
            return None
        return {key: value.value for key, value in selected.outputs().items()}

    def deployed(self, layer: Layer, stack: str) -> StackVersion | None:
        try:
            selected = self._select(layer, stack, create=False)
        except auto.StackNotFoundError:
            return None
        return stack_version([update_of(item) for item in selected.history(page_size=HISTORY_PAGE, show_secrets=False)])

    def reads(self, layer: Layer, stack: str) -> Mapping[str, Mapping[str, Any]]:
        try:
            selected = self._select(layer, stack, create=False)
        except auto.StackNotFoundError:
            return {}
        resources = (selected.export_stack().deployment or {}).get("resources") or []
        return {
            str(resource["inputs"]["name"]).split("/")[1]: _revealed(
                (resource.get("outputs") or {}).get("outputs") or {}
            )
            for resource in resources
            if resource.get("type") == "pulumi:pulumi:StackReference"
        }

    def run(
        self,
        operation: Operation,
        layer: Layer,
        stack: str,
        on_output: Callable[[str], None],
        *,
        version: Version | None = None,
    ) -> Outcome:
        creates = operation in (Operation.UP, Operation.PREVIEW)
        try:
            selected = self._select(layer, stack, create=creates)
        except auto.StackNotFoundError:
            return Outcome(stack_exists=False)
        common: dict[str, Any] = {"on_output": on_output, "color": "never"}
        if self.parallel:
            common["parallel"] = self.parallel
        if operation is Operation.UP:
            up = selected.up(policy_packs=self.policy_packs, message=version.message() if version else None, **common)
            return Outcome(changes=_counts(up.summary.resource_changes or {}))
        if operation in (Operation.PREVIEW, Operation.DRIFT):
            events: list[auto.EngineEvent] = []
            try:
                preview = selected.preview(
                    policy_packs=self.policy_packs,
                    refresh=operation is Operation.DRIFT,
                    on_event=events.append,
                    **common,
                )
            except auto.CommandError:
                violations = mandatory_violations(events)
                if not violations:
                    raise
                return Outcome(policy_violations=tuple(violations))
            return Outcome(changes=_counts(preview.change_summary or {}))
        if operation is Operation.REFRESH:
            refresh = selected.refresh(**common)
            return Outcome(changes=_counts(refresh.summary.resource_changes or {}))
        destroy = selected.destroy(**common)  # policy packs do not apply to a destroy
        return Outcome(changes=_counts(destroy.summary.resource_changes or {}))


def update_of(summary: auto.UpdateSummary) -> Update:
    """One entry of the history; Pulumi gives its times in UTC without a zone, which they get here."""
    ended = summary.end_time
    return Update(summary.kind, summary.result, summary.message or "", _utc(summary.start_time), ended and _utc(ended))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _revealed(value: Any) -> Any:
    """An exported state's value with each secret's plaintext in place (as `outputs()` gives it)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE) is not None and "plaintext" in value:
            return _revealed(json.loads(value["plaintext"]))
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in value]
    return value
