"""The layers of the pipeline and the contract between them.

Stack output names are a public contract: renaming one silently breaks every layer that reads
it. They live here once, each with the shape of its value, so a rename breaks a test instead
of a deployment. The dependency graph, the deploy waves, the destroy order and
`docs/contract.md` are all derived from this one table.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType

PRODUCT = "streaming-pipeline"
"""The value of the `Project` tag on every resource of every layer."""

DEFAULT_ORG = "organization"
"""The organization a self-managed (file, S3) Pulumi backend uses in `<org>/<project>/<stack>`
names. A program reads its own with `pulumi.get_organization()`; this is the fallback."""

LOCAL_STACK = "local"
"""The stack that deploys to an AWS API emulator on this machine, with the file backend."""

DEFAULT_EMULATOR_ENDPOINT = "http://127.0.0.1:4566"
"""Where stack `local` expects the AWS API emulator (moto server started by nox, or LocalStack)."""

STAGES: tuple[str, ...] = ("ingest", "transform", "validate", "enrich", "archive")
"""The five Lambda stages, in processing order."""


class Shape(Enum):
    """The JSON shape of an export's value, as a reader receives it."""

    STRING = "string"
    STRINGS = "list of strings"
    BY_STAGE = "map stage -> string"
    BY_NAME = "map name -> string"
    """A map keyed by names of the exporting layer's choosing (an alarm, an AWS service)."""

    def fits(self, value: object) -> bool:
        """Whether an export's resolved value has this shape and is not empty."""
        if self is Shape.STRING:
            return isinstance(value, str) and value != ""
        if self is Shape.STRINGS:
            return isinstance(value, list) and bool(value) and all(isinstance(item, str) and item for item in value)
        if not isinstance(value, dict) or not value or (self is Shape.BY_STAGE and set(value) != set(STAGES)):
            return False
        return all(isinstance(key, str) and isinstance(item, str) and item for key, item in value.items())


Exports = Mapping[str, Shape]


@dataclass(frozen=True)
class Layer:
    """One Pulumi project of the monorepo: what it exports (name -> shape) and what it reads."""

    name: str
    project: str
    exports: Exports
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional_exports: Exports = field(default_factory=dict)
    """Exports present only in some configurations; consumers read them with `Upstream.optional`."""
    optional_reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The optional exports of upstream layers this layer reads when they are there."""

    @property
    def upstream(self) -> tuple[str, ...]:
        return tuple(self.reads)

    @property
    def folder(self) -> str:
        return f"stacks/{self.name}"

    def stack_reference_name(self, org: str, stack: str) -> str:
        return f"{org}/{self.project}/{stack}"


NETWORK = Layer(
    name="network",
    project="streaming-network",
    exports=MappingProxyType(
        {
            "region": Shape.STRING,
            "vpc_id": Shape.STRING,
            "vpc_cidr": Shape.STRING,
            "availability_zones": Shape.STRINGS,
            "private_subnet_ids": Shape.STRINGS,
            "private_route_table_ids": Shape.STRINGS,
            "lambda_security_group_id": Shape.STRING,
            "vpc_endpoint_ids": Shape.BY_NAME,
        }
    ),
)

DATA = Layer(
    name="data",
    project="streaming-data",
    exports=MappingProxyType(
        {
            "region": Shape.STRING,
            "stream_name": Shape.STRING,
            "stream_arn": Shape.STRING,
            "table_name": Shape.STRING,
            "table_arn": Shape.STRING,
            "archive_bucket_name": Shape.STRING,
            "archive_bucket_arn": Shape.STRING,
        }
    ),
    optional_exports=MappingProxyType(
        {
            "stream_kms_key_arn": Shape.STRING,
            "archive_kms_key_arn": Shape.STRING,
        }
    ),
)

COMPUTE = Layer(
    name="compute",
    project="streaming-compute",
    exports=MappingProxyType(
        {
            "region": Shape.STRING,
            "function_names": Shape.BY_STAGE,
            "function_arns": Shape.BY_STAGE,
            "state_machine_arn": Shape.STRING,
            "event_source_mapping_id": Shape.STRING,
            "dead_letter_queue_arn": Shape.STRING,
            "dead_letter_queue_url": Shape.STRING,
        }
    ),
    reads=MappingProxyType(
        {
            "network": ("region", "private_subnet_ids", "lambda_security_group_id", "vpc_endpoint_ids"),
            "data": (
                "region",
                "stream_name",
                "stream_arn",
                "table_name",
                "table_arn",
                "archive_bucket_name",
                "archive_bucket_arn",
            ),
        }
    ),
    optional_reads=MappingProxyType({"data": ("stream_kms_key_arn", "archive_kms_key_arn")}),
)

OBSERVABILITY = Layer(
    name="observability",
    project="streaming-observability",
    exports=MappingProxyType(
        {
            "dashboard_name": Shape.STRING,
            "alarm_topic_arn": Shape.STRING,
            "alarm_names": Shape.BY_NAME,
        }
    ),
    reads=MappingProxyType(
        {
            "data": ("region", "stream_name", "table_name"),
            "compute": (
                "region",
                "function_names",
                "state_machine_arn",
                "dead_letter_queue_arn",
                "dead_letter_queue_url",
            ),
        }
    ),
)

LAYERS: Mapping[str, Layer] = MappingProxyType({layer.name: layer for layer in (NETWORK, DATA, COMPUTE, OBSERVABILITY)})


def repo_root() -> Path:
    """The monorepo root, where `stacks/<layer>` live (the shared package is installed editable from
    `<root>/shared`; STREAMING_REPO_ROOT overrides it)."""
    override = os.environ.get("STREAMING_REPO_ROOT")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2]


def layer(name: str) -> Layer:
    """The layer called `name` (folder name or Pulumi project name)."""
    for candidate in LAYERS.values():
        if name in (candidate.name, candidate.project):
            return candidate
    raise KeyError(f"unknown layer {name!r}; the layers are: {', '.join(LAYERS)}")


def waves(layers: Iterable[Layer] | None = None) -> list[tuple[Layer, ...]]:
    """Layers grouped into deploy waves: every layer's upstream is in an earlier wave.

    Layers in one wave do not depend on each other and can be deployed concurrently.
    Only upstream layers within `layers` count; the others are taken as already deployed.
    """
    selected = {item.name: item for item in (layers if layers is not None else LAYERS.values())}
    placed: set[str] = set()
    result: list[tuple[Layer, ...]] = []
    while len(placed) < len(selected):
        ready = tuple(
            item
            for name, item in selected.items()
            if name not in placed and all(up in placed or up not in selected for up in item.upstream)
        )
        if not ready:
            raise ValueError(f"the layer graph has a cycle among {sorted(set(selected) - placed)}")
        result.append(ready)
        placed.update(item.name for item in ready)
    return result


def deploy_order(layers: Iterable[Layer] | None = None) -> list[Layer]:
    return [item for wave in waves(layers) for item in wave]


def destroy_order(layers: Iterable[Layer] | None = None) -> list[Layer]:
    """Dependents before what they depend on: the deploy order reversed."""
    return list(reversed(deploy_order(layers)))


def downstream_of(name: str) -> list[Layer]:
    """Every layer that reads `name`, directly or through another layer, in deploy order."""
    root = layer(name).name
    found: set[str] = set()
    frontier = {root}
    while frontier:
        frontier = {
            item.name for item in LAYERS.values() if item.name not in found and frontier.intersection(item.upstream)
        }
        found.update(frontier)
    return [item for item in deploy_order() if item.name in found]


def readers_of(upstream: Layer) -> list[Layer]:
    """The layers that read `upstream` directly (optional reads included), in deploy order."""
    return [item for item in deploy_order() if upstream.name in (*item.reads, *item.optional_reads)]
