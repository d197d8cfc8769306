"""Run a layer's real `__main__.py` under Pulumi's mock engine and get plain Python data back.

This is the offline plan's engine (`nox -s plan`, the deploy guard, the estimate, the policies
run offline) and what the tests run programs with (docs/verification.md, "Writing a test with the
offline runner"). Everything in a `ProgramRun` is resolved: resource inputs and outputs as the
engine would store them (camelCase wire names), parents and dependencies as URNs, stack exports as
values. A program that raises comes back as `ProgramFailed`, carrying the original error and the
resources registered before it, so a caller can prove that nothing was created. Upstream layers
are given as plain dicts of exports (`upstream={"network": {...}}`), taken from the real upstream
programs (`run_chain` runs a consumer with them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import runpy
import sys
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc, settings

from streaming_shared.catalogue import DEFAULT_ORG, Layer, deploy_order, downstream_of, layer, repo_root

from .. import aws_types
from .cloud import OfflineCloud

_NOT_CLOUD = ("pulumi:providers:", "pulumi:pulumi:")


@dataclass(frozen=True)
class Resource:
    """One registered resource, fully resolved."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str | None
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    provider: str | None
    protect: bool = False
    """The `protect` resource option: Pulumi refuses to delete or replace the resource."""
    retain_on_delete: bool = False
    """The `retain_on_delete` resource option: a delete leaves the cloud resource in place."""
    ignore_changes: tuple[str, ...] = ()
    """The `ignore_changes` resource option: property paths an update keeps from the last state."""

    @property
    def id(self) -> Any:
        return self.outputs.get("id")

    @property
    def is_cloud_resource(self) -> bool:
        """A resource AWS would hold: custom, and not a provider or a stack reference."""
        return self.custom and not self.type.startswith(_NOT_CLOUD)


@dataclass
class ProgramRun:
    """What a program registered and exported."""

    project: str
    stack: str
    region: str
    resources: list[Resource]
    exports: dict[str, Any]
    invokes: list[tuple[str, dict[str, Any]]]
    log: list[tuple[str, str]]
    deprecations: list[aws_types.DeprecatedUse] = field(default_factory=list)

    @property
    def cloud_resources(self) -> list[Resource]:
        return [resource for resource in self.resources if resource.is_cloud_resource]

    def of_type(self, type_token: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Resource:
        """The single resource of a type (and logical name); an AssertionError otherwise."""
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_token)]
            raise AssertionError(f"expected one {type_token}{f' named {name!r}' if name else ''}, found {names}")
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def find(self, urn_or_id: str) -> Resource | None:
        """The resource with this URN, or whose id or ARN output is this value."""
        return next((r for r in self.resources if urn_or_id in (r.urn, r.id, r.outputs.get("arn"))), None)

    def depends_on(self, dependent: Resource, dependency: Resource) -> bool:
        """Whether the engine would finish `dependency` before starting `dependent`."""
        seen: set[str] = set()
        frontier = [dependent.urn]
        while frontier:
            current = self.by_urn(frontier.pop())
            for urn in current.dependencies:
                if urn == dependency.urn:
                    return True
                if urn not in seen:
                    seen.add(urn)
                    frontier.append(urn)
        return False

    def warnings(self) -> list[str]:
        return [message for severity, message in self.log if severity == "warning"]

    def type_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(resource.type for resource in self.cloud_resources).items()))


class ProgramFailed(Exception):
    """The program raised. `error` is what it raised; `run` holds what it registered first."""

    def __init__(self, error: BaseException, run: ProgramRun) -> None:
        super().__init__(str(error))
        self.error = error
        self.run = run


def _plain(value: Any) -> Any:
    """A deserialized property value with Pulumi's secret wrappers removed."""
    if isinstance(value, dict):
        if rpc.is_rpc_secret(value):
            return _plain(rpc.unwrap_rpc_secret(value))
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class _RecordingMonitor(mocks.MockMonitor):
    """The mock engine's monitor, also keeping what each registration asked of the engine.

    Pulumi's public mock API (`pulumi.runtime.Mocks.new_resource`) hands over a resource's type,
    name, inputs and provider only. The plan and the tests also need its parent, its
    dependencies (explicit and through inputs, per property), its `protect` and
    `retain_on_delete` options, and the stack's exports; the monitor's gRPC requests carry them.
    So this subclasses `pulumi.runtime.mocks.MockMonitor`, which is not public API: a Pulumi
    release that renames its `RegisterResource`, `ReadResource` or `RegisterResourceOutputs`
    methods, their request fields or its `resources` map breaks every run here (the harness's own
    tests fail first). It can go once `MockResourceArgs` carries the parent, dependencies and
    resource options, or `set_mocks` accepts a hook for registrations and stack outputs.
    """

    def __init__(self, cloud: OfflineCloud) -> None:
        super().__init__(cloud)
        self.registrations: list[dict[str, Any]] = []
        self.stack_outputs: dict[str, Any] = {}

    def _record(self, request: Any, urn: str, inputs: Any, custom: bool) -> None:
        self.registrations.append(
            {
                "urn": urn,
                "type": request.type,
                "name": request.name,
                "custom": custom,
                "inputs": _plain(rpc.deserialize_properties(inputs)),
                "parent": request.parent or None,
                "dependencies": tuple(request.dependencies),
                "property_dependencies": {
                    key: tuple(value.urns) for key, value in getattr(request, "propertyDependencies", {}).items()
                },
                "provider": (request.provider or "").rsplit("::", 1)[0] or None,
                "protect": bool(getattr(request, "protect", False)),
                "retain_on_delete": bool(getattr(request, "retainOnDelete", False)),
                "ignore_changes": tuple(getattr(request, "ignoreChanges", ())),
            }
        )

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method it overrides
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self._record(request, response.urn, request.object, bool(request.custom))
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._record(request, response.urn, request.properties, True)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_outputs = _plain(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelname.lower(), record.getMessage()))


class _TypeDeprecations:
    """pulumi_aws's own signal for a deprecated resource type, attributed to the resource.

    The type's generated `_internal_init` logs "<Class> is deprecated: <why>" and then calls the
    resource constructor, which runs the stack's transformations (`note`, registered through
    Pulumi's public `register_stack_transformation`) before anything else. Constructors run one
    at a time in the program's thread, so a line logged since the previous resource's
    transformation belongs to this resource.
    """

    def __init__(self, collector: _LogCollector) -> None:
        self.collector = collector
        self.seen = 0
        self.found: list[aws_types.DeprecatedUse] = []

    def note(self, args: pulumi.ResourceTransformationArgs) -> None:
        logged, self.seen = self.collector.records[self.seen :], len(self.collector.records)
        prefix = f"{type(args.resource).__name__} is deprecated: "
        self.found += [
            aws_types.DeprecatedUse(args.type_, args.name, "", message.removeprefix(prefix))
            for severity, message in logged
            if severity == "warning" and message.startswith(prefix)
        ]


@contextlib.contextmanager
def _program_environment(program_dir: Path) -> Iterator[None]:
    sys.path.insert(0, str(program_dir))
    try:
        with contextlib.chdir(program_dir):
            yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(program_dir))


def _config_values(project: str, region: str, config: Mapping[str, Any]) -> dict[str, str]:
    values = {"aws:region": region}
    for key, value in config.items():
        full_key = key if ":" in key else f"{project}:{key}"
        values[full_key] = value if isinstance(value, str) else json.dumps(value)
    return values


def run_program(
    program_dir: Path | str,
    *,
    project: str,
    stack: str,
    region: str,
    config: Mapping[str, Any] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    availability_zones: Mapping[str, list[str]] | None = None,
    organization: str = DEFAULT_ORG,
    secret_keys: Iterable[str] = (),
) -> ProgramRun:
    """Run the Pulumi program in `program_dir` under the mock engine.

    `config` keys without a namespace belong to `project`; values that are not strings are
    JSON-encoded, as Pulumi does. `secret_keys` are the config keys stored as secrets
    (`pulumi config set --secret`). `region` becomes `aws:region` (a `config` entry for
    `aws:region` wins). `stack_outputs` maps fully qualified stack names to their exports.
    `availability_zones` maps a region, or an endpoint service's name, to the zones it offers.
    `organization` is what `pulumi.get_organization()` returns (the file backend's by default).
    """
    program_dir = Path(program_dir).resolve()
    values = _config_values(project, region, config or {})
    secrets = [key if ":" in key else f"{project}:{key}" for key in secret_keys]
    cloud = OfflineCloud(
        region=values["aws:region"], stack_outputs=stack_outputs or {}, availability_zones=availability_zones
    )
    monitor = _RecordingMonitor(cloud)
    collector = _LogCollector()
    type_deprecations = _TypeDeprecations(collector)
    logger = logging.getLogger(f"streaming-offline.{project}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(collector)

    pulumi.runtime.set_all_config(values, secrets)
    settings.set_root_resource(None)  # type: ignore[arg-type]
    mocks.set_mocks(
        cloud, project=project, stack=stack, preview=False, logger=logger, monitor=monitor, organization=organization
    )
    settings.set_root_resource(None)  # type: ignore[arg-type]

    def program() -> None:
        pulumi.runtime.register_stack_transformation(type_deprecations.note)
        runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__")

    error: BaseException | None = None
    with _program_environment(program_dir), warnings.catch_warnings():
        # pulumi_aws warns at import for every deprecated class of a module it loads, used or not;
        # the uses themselves are in the run's `deprecations`.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="pulumi_aws")
        try:
            # The loop Pulumi's runtime schedules registrations on; it is not running yet here.
            asyncio.get_event_loop_policy().get_event_loop().run_until_complete(pulumi.runtime.run_in_stack(program))
        except Exception as raised:
            error = raised
        finally:
            logger.removeHandler(collector)
            settings.set_root_resource(None)  # type: ignore[arg-type]

    resources = [_resolve(registration, monitor) for registration in monitor.registrations]
    run = ProgramRun(
        project=project,
        stack=stack,
        region=values["aws:region"],
        resources=resources,
        exports=dict(monitor.stack_outputs),
        invokes=list(cloud.invokes),
        log=collector.records,
        deprecations=[
            *type_deprecations.found,
            *(
                use
                for resource in resources
                for use in aws_types.deprecated_uses(resource.type, resource.name, resource.inputs)
            ),
        ],
    )
    if error is not None:
        raise ProgramFailed(error, run) from error
    return run


def _resolve(registration: dict[str, Any], monitor: _RecordingMonitor) -> Resource:
    state = monitor.resources.get(registration["urn"])
    outputs = _plain(dict(state.state)) if state else {}
    if state and state.id:
        outputs.setdefault("id", state.id)
    return Resource(outputs=outputs, **registration)


def run_layer(
    name: str,
    *,
    stack: str,
    region: str,
    config: Mapping[str, Any] | None = None,
    upstream: Mapping[str, Mapping[str, Any]] | None = None,
    availability_zones: Mapping[str, list[str]] | None = None,
    upstream_org: str | None = None,
    organization: str = DEFAULT_ORG,
    secret_keys: Iterable[str] = (),
    root: Path | None = None,
) -> ProgramRun:
    """Run one layer's real program (`<root>/stacks/<name>/__main__.py`, the repository's by
    default), with upstream exports given.

    The stack runs in `organization`; the upstream stacks live under the layer's configured
    `org`, else that same organization, unless `upstream_org` says otherwise (to test a consumer
    pointed at the wrong organization).
    """
    target = layer(name)
    org = upstream_org or str((config or {}).get("org") or organization)
    return run_program(
        (root or repo_root()) / target.folder,
        project=target.project,
        stack=stack,
        region=region,
        config=config,
        stack_outputs={
            layer(name).stack_reference_name(org, stack): exports for name, exports in (upstream or {}).items()
        },
        availability_zones=availability_zones,
        organization=organization,
        secret_keys=secret_keys,
    )


def run_chain(
    names: Iterable[str] | None = None,
    *,
    stack: str,
    region: str,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, ProgramRun]:
    """Run layers in deploy order, each one's exports feeding its dependents' StackReferences.

    `names` defaults to every layer; the upstream layers of those named are run too.
    """
    wanted = {layer(name).name for name in (names or [])}
    selected = [item for item in deploy_order() if not wanted or item.name in wanted or _feeds(item, wanted)]
    runs: dict[str, ProgramRun] = {}
    for item in selected:
        runs[item.name] = run_layer(
            item.name,
            stack=stack,
            region=region,
            config=(config or {}).get(item.name),
            upstream={up: runs[up].exports for up in item.upstream if up in runs},
        )
    return runs


def _feeds(candidate: Layer, wanted: set[str]) -> bool:
    return any(item.name in wanted for item in downstream_of(candidate.name))
