"""The pipeline's resources this layer watches, read from the data and compute layers' exports.

CloudWatch keys every metric by its dimensions: an alarm or a graph that does not name the real
stream, function, queue, state machine and table sees no data at all. So every value here comes
from the upstream stacks, and their shape is checked before any resource is registered: a
missing stage or a malformed ARN is an error that names the stack and the export, not an alarm
that silently never fires.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from streaming_shared.catalogue import STAGES
from streaming_shared.errors import UpstreamError
from streaming_shared.upstream import Upstream

from .settings import ObservabilitySettings

_ARN = re.compile(r"^arn:(?P<partition>[a-z-]+):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d{12}):")


def queue_name_of(queue_arn: str) -> str:
    """The SQS `QueueName` dimension: the part of the queue ARN after the last `:`."""
    return queue_arn.rsplit(":", 1)[-1]


def state_machine_name_of(state_machine_arn: str) -> str:
    return state_machine_arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class PipelineTargets:
    """Names and ARNs of the watched resources, as Outputs of the upstream stacks."""

    region: str
    stream_name: pulumi.Output[str]
    table_name: pulumi.Output[str]
    function_names: Mapping[str, pulumi.Output[str]]
    """Stage -> function name, for every stage in processing order."""
    state_machine_arn: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_url: pulumi.Output[str]

    @property
    def queue_name(self) -> pulumi.Output[str]:
        return self.queue_arn.apply(queue_name_of)

    @property
    def state_machine_name(self) -> pulumi.Output[str]:
        return self.state_machine_arn.apply(state_machine_name_of)

    @classmethod
    def read(cls, settings: ObservabilitySettings) -> PipelineTargets:
        """Open the data and compute stacks of this environment and check what they export."""
        data = Upstream(settings, "data")
        compute = Upstream(settings, "compute")
        region = settings.environment.region
        _check_function_names(compute, compute.known("function_names"))
        _check_arn(compute, "state_machine_arn", "states", ":stateMachine:", region)
        _check_arn(compute, "dead_letter_queue_arn", "sqs", "", region)
        names = compute.require("function_names")
        return cls(
            region=region,
            stream_name=data.require("stream_name"),
            table_name=data.require("table_name"),
            function_names={stage: names.apply(functools.partial(_item, stage)) for stage in STAGES},
            state_machine_arn=compute.require("state_machine_arn"),
            queue_arn=compute.require("dead_letter_queue_arn"),
            queue_url=compute.require("dead_letter_queue_url"),
        )


def _problem(upstream: Upstream, key: str, reason: str) -> UpstreamError:
    return UpstreamError(
        f"upstream stack {upstream.stack_name} exports {key!r} {reason}; "
        f"{upstream.consumer.project} cannot point its alarms at it. Fix and redeploy {upstream.layer.project}."
    )


def _check_function_names(compute: Upstream, names: Any) -> None:
    if not isinstance(names, Mapping):
        raise _problem(compute, "function_names", f"as {names!r}, not as a map of stage to function name")
    missing = [stage for stage in STAGES if not isinstance(names.get(stage), str) or not names[stage]]
    if missing:
        raise _problem(
            compute,
            "function_names",
            f"without a function name for stage(s) {', '.join(missing)} (expected all of {', '.join(STAGES)})",
        )


def _check_arn(compute: Upstream, key: str, service: str, resource_marker: str, region: str) -> None:
    arn = compute.known(key)
    match = _ARN.match(arn) if isinstance(arn, str) else None
    if not match or match["service"] != service or resource_marker not in arn or not queue_name_of(arn):
        raise _problem(compute, key, f"as {arn!r}, which is not a {service} ARN")
    if match["region"] != region:
        raise _problem(
            compute,
            key,
            f"in region {match['region']!r}, but CloudWatch alarms only see metrics of their own region ({region!r})",
        )


def _item(key: str, mapping: Mapping[str, str]) -> str:
    return mapping[key]
