"""Reading another layer's exports, and publishing this layer's.

`Upstream` opens the StackReference `<org>/<project>/<stack>` of an upstream layer and checks,
before the consumer registers any resource, that every export the consumer declares in the
catalogue is there and that the upstream runs in the consumer's region. A missing stack, a
missing key or a region mismatch is an `UpstreamError` naming the stack, the key and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

# Private, and used in this module only: the program runs inside the engine's event loop, and
# the checks below must see the upstream outputs before the consumer registers anything. Pulumi
# has no public way to wait for an Output there (`asyncio.run` and `run_until_complete` refuse a
# running loop); `_sync_await` pumps that loop, as Pulumi's own synchronous invokes do.
from pulumi.runtime.sync_await import _sync_await

from .catalogue import LAYERS, Layer, Shape, layer
from .config import REGION_KEY, LayerSettings
from .errors import UpstreamError


def deploy_hint(upstream: Layer, stack: str) -> str:
    return f"`nox -s deploy -- {upstream.name} --stack {stack}` (or `pulumi up` in {upstream.folder})"


class Upstream:
    """The exports of one upstream layer, for the layer whose settings are given."""

    def __init__(self, settings: LayerSettings, upstream_name: str) -> None:
        consumer = settings.environment.layer
        self.layer = layer(upstream_name)
        if self.layer.name not in consumer.reads:
            raise ValueError(
                f"{consumer.project} does not read {self.layer.project} in the catalogue; "
                "add it to the consumer's `reads` in streaming_shared/catalogue.py"
            )
        self.consumer = consumer
        self.keys = consumer.reads[self.layer.name]
        self.stack_name = self.layer.stack_reference_name(settings.upstream_org, settings.environment.name)
        self.reference = pulumi.StackReference(self.stack_name)
        self._values = self._read_and_check(settings.environment.region, settings.environment.name)

    def _read_and_check(self, region: str, stack: str) -> Mapping[str, Any]:
        values: Mapping[str, Any] = _sync_await(self.reference.outputs.future()) or {}  # type: ignore[arg-type]
        hint = deploy_hint(self.layer, stack)
        if not values:
            raise UpstreamError(
                f"upstream stack {self.stack_name} has no outputs: {self.consumer.project} needs "
                f"{', '.join(self.keys)} from it. Deploy it first: {hint}."
            )
        missing = [key for key in self.keys if values.get(key) is None]
        if missing:
            raise UpstreamError(
                f"upstream stack {self.stack_name} does not export {', '.join(repr(k) for k in missing)}, "
                f"which {self.consumer.project} needs. Redeploy it with this version of the code: {hint}."
            )
        if values.get("region") is not None and values["region"] != region:
            raise UpstreamError(
                f"upstream stack {self.stack_name} is in region {values['region']!r} but this stack's "
                f"{REGION_KEY} is {region!r}: every layer of an environment must use the same region."
            )
        return values

    def require(self, key: str) -> pulumi.Output[Any]:
        """One export, as an Output that keeps the upstream's secretness and dependency."""
        self._check_declared(key)
        return self.reference.require_output(key)

    def known(self, key: str) -> Any:
        """One export's plain value as read at start-up, for checks of its shape or content that
        must fail before any resource is registered. Resources take `require(key)` instead."""
        self._check_declared(key)
        return self._values[key]

    def _check_declared(self, key: str) -> None:
        if key not in self.keys:
            raise ValueError(
                f"{self.consumer.project} reads {key!r} from {self.layer.project} but the catalogue does "
                f"not declare it; add it to the consumer's `reads` in streaming_shared/catalogue.py"
            )

    def optional(self, key: str) -> pulumi.Output[Any] | None:
        """An export the upstream publishes only in some configurations (say, the ARN of a
        customer-managed KMS key), or None when this upstream stack does not export it.

        The answer is known before any resource is registered, so a consumer can decide what to
        create (a statement, a setting) from it. For exports every upstream stack has, and that
        the catalogue lists, use `require`.
        """
        if key in self.keys:
            raise ValueError(f"{key!r} is a declared read of {self.consumer.project}; use require({key!r})")
        if key not in self.layer.optional_exports:
            raise ValueError(
                f"{self.layer.project} does not declare {key!r} as an optional export; add it to its "
                "`optional_exports` in streaming_shared/catalogue.py"
            )
        if key not in self.consumer.optional_reads.get(self.layer.name, ()):
            raise ValueError(
                f"{self.consumer.project} reads {key!r} from {self.layer.project} but the catalogue does not "
                "declare it; add it to the consumer's `optional_reads` in streaming_shared/catalogue.py"
            )
        if self._values.get(key) is None:
            return None
        return self.reference.require_output(key)


CONTRACT_READS = "contract_reads"
"""The export through which a deployed layer says what it reads, for the deploy of its upstream:
`{upstream project: {export: {"shape": <Shape value>, "optional": bool}}}`."""


@dataclass(frozen=True)
class Read:
    """One export a layer reads: the shape its program expects, and whether it reads it only when
    the upstream stack has it (`Upstream.optional`)."""

    shape: Shape
    optional: bool

    def as_export(self) -> dict[str, object]:
        return {"shape": self.shape.value, "optional": self.optional}


def reads_of(layer_: Layer) -> dict[str, dict[str, Read]]:
    """Each upstream project the layer reads, with every export it reads, optional ones included:
    from the catalogue."""
    found: dict[str, dict[str, Read]] = {}
    for name in dict.fromkeys([*layer_.reads, *layer_.optional_reads]):
        upstream = LAYERS[name]
        reads = found.setdefault(upstream.project, {})
        reads.update({key: Read(upstream.exports[key], optional=False) for key in layer_.reads.get(name, ())})
        reads.update(
            {key: Read(upstream.optional_exports[key], optional=True) for key in layer_.optional_reads.get(name, ())}
        )
    return found


def contract_reads(layer_: Layer) -> dict[str, dict[str, dict[str, object]]]:
    """The value of the layer's `contract_reads` export."""
    return {
        project: {key: read.as_export() for key, read in reads.items()} for project, reads in reads_of(layer_).items()
    }


def parse_contract_reads(value: object) -> dict[str, dict[str, Read]] | None:
    """A `contract_reads` export read back (from a deployed stack or a plan), or None when the value
    is not of that form."""
    if not isinstance(value, Mapping):
        return None
    parsed: dict[str, dict[str, Read]] = {}
    for project, reads in value.items():
        if not isinstance(reads, Mapping):
            return None
        parsed[str(project)] = {}
        for key, read in reads.items():
            if not isinstance(read, Mapping) or not isinstance(read.get("optional"), bool):
                return None
            try:
                parsed[str(project)][str(key)] = Read(Shape(read.get("shape")), read["optional"])
            except ValueError:
                return None
    return parsed


def export_contract(layer_: Layer, outputs: Mapping[str, Any]) -> None:
    """Export a layer's outputs, and `contract_reads`; every name the catalogue promises must be among them."""
    missing = [name for name in layer_.exports if name not in outputs]
    if missing:
        raise ValueError(
            f"{layer_.project} must export {', '.join(missing)}: the contract in streaming_shared/catalogue.py "
            "(docs/contract.md) promises them"
        )
    if CONTRACT_READS in outputs:
        raise ValueError(f"{layer_.project} may not export {CONTRACT_READS!r} itself: it comes from the catalogue")
    for name, value in outputs.items():
        pulumi.export(name, value)
    pulumi.export(CONTRACT_READS, contract_reads(layer_))
