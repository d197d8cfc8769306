"""One CloudWatch alarm per (metric, watched resource), each notifying the alarm topic.

CloudWatch keeps a metric per set of dimensions, so an alarm that names no resource has no data and
sits in INSUFFICIENT_DATA forever. Every alarm here carries the dimensions of a real upstream
resource, sends both ALARM and OK to the topic (so the on-call engineer also learns when it is
over), and says in its description what it means and what to check first.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_shared.catalogue import STAGES
from streaming_shared.naming import NameKind, Namer
from streaming_shared.record_store import STATUS_INDEX

from .alarm_kinds import KINDS, KINDS_BY_KEY, PER_OPERATION_METRICS, AlarmKind, Target, Tuning
from .settings import ObservabilitySettings
from .targets import PipelineTargets


@dataclass(frozen=True)
class Watched:
    """One watched resource: its metric dimensions and the names its alarm texts use."""

    name: pulumi.Output[str]
    dimensions: Mapping[str, pulumi.Output[str]]
    stage: str = ""


@dataclass(frozen=True)
class PlannedAlarm:
    key: str
    """The alarm's logical name and the part of its physical name after `streaming-<env>-`."""
    kind: AlarmKind
    watched: Watched


@dataclass(frozen=True)
class AlarmSpec:
    """What the alarms take from the layer's settings: the environment, the DynamoDB operations
    the per-operation alarms sum, and each alarm kind's effective tuning."""

    environment: str
    table_operations: tuple[str, ...]
    tunings: Mapping[str, Tuning]
    """By alarm kind key (`deadLetterQueueDepth`): the override if configured, else the default."""

    @classmethod
    def of(cls, settings: ObservabilitySettings) -> AlarmSpec:
        return cls(
            environment=settings.environment.name,
            table_operations=tuple(settings.table_operations),
            tunings={key: settings.tuning(key) for key in KINDS_BY_KEY},
        )


def watched_resources(kind: AlarmKind, targets: PipelineTargets) -> list[Watched]:
    if kind.target is Target.STREAM:
        return [Watched(targets.stream_name, {"StreamName": targets.stream_name})]
    if kind.target is Target.TABLE:
        return [Watched(targets.table_name, {"TableName": targets.table_name})]
    if kind.target is Target.STATUS_INDEX:
        index = pulumi.Output.from_input(STATUS_INDEX)
        return [Watched(targets.table_name, {"TableName": targets.table_name, "GlobalSecondaryIndexName": index})]
    if kind.target is Target.QUEUE:
        return [Watched(targets.queue_name, {"QueueName": targets.queue_name})]
    if kind.target is Target.STATE_MACHINE:
        return [Watched(targets.state_machine_name, {"StateMachineArn": targets.state_machine_arn})]
    stages = STAGES if kind.target is Target.FUNCTION else ("ingest",)
    return [
        Watched(targets.function_names[stage], {"FunctionName": targets.function_names[stage]}, stage=stage)
        for stage in stages
    ]


def plan(targets: PipelineTargets) -> list[PlannedAlarm]:
    """Every alarm of the layer, in order of importance (the dead-letter queue first)."""
    return [
        PlannedAlarm(kind.name.format(stage=watched.stage), kind, watched)
        for kind in KINDS
        for watched in watched_resources(kind, targets)
    ]


def alarm_names(spec: AlarmSpec, targets: PipelineTargets) -> list[str]:
    """The physical name of every alarm `PipelineAlarms` creates, known before it creates them."""
    namer = Namer(spec.environment)
    return [namer.name(planned.key, kind=NameKind.CLOUDWATCH_ALARM) for planned in plan(targets)]


def _per_operation_queries(
    kind: AlarmKind, tuning: Tuning, dimensions: Mapping[str, pulumi.Output[str]], operations: list[str]
) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
    """DynamoDB publishes ThrottledRequests and SystemErrors only per operation: sum them."""
    queries = [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=operation.lower(),
            label=operation,
            return_data=False,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=kind.namespace,
                metric_name=kind.metric,
                dimensions={**dimensions, "Operation": operation},
                stat=kind.statistic,
                period=tuning.period_seconds,
            ),
        )
        for operation in operations
    ]
    total = ", ".join(f"FILL({operation.lower()}, 0)" for operation in operations)
    queries.append(
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="total",
            label=f"{kind.metric}, all watched operations",
            expression=f"SUM([{total}])",
            return_data=True,
        )
    )
    return queries


def _describe(kind: AlarmKind, tuning: Tuning, stage: str, operations: str, resource: str) -> str:
    return kind.description(tuning, name=resource, stage=stage, operations=operations)


class PipelineAlarms(pulumi.ComponentResource):
    """The alarms of the pipeline, keyed like their names (`ingest-errors`, `dead-letter-queue-depth`)."""

    def __init__(
        self,
        name: str,
        spec: AlarmSpec,
        targets: PipelineTargets,
        topic_arn: pulumi.Output[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:observability:PipelineAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        operations = list(spec.table_operations)

        self.alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        for planned, alarm_name in zip(plan(targets), alarm_names(spec, targets), strict=True):
            kind, watched = planned.kind, planned.watched
            tuning = spec.tunings[kind.key]
            description = watched.name.apply(
                functools.partial(_describe, kind, tuning, watched.stage, ", ".join(operations))
            )
            common: dict[str, Any] = {
                "name": alarm_name,
                "alarm_description": description,
                "comparison_operator": kind.comparison,
                "threshold": tuning.threshold,
                "evaluation_periods": tuning.evaluation_periods,
                "datapoints_to_alarm": tuning.datapoints_to_alarm,
                "treat_missing_data": kind.treat_missing_data,
                "alarm_actions": [topic_arn],
                "ok_actions": [topic_arn],
            }
            if kind.metric in PER_OPERATION_METRICS:
                alarm = aws.cloudwatch.MetricAlarm(
                    f"{name}-{planned.key}",
                    metric_queries=_per_operation_queries(kind, tuning, watched.dimensions, operations),
                    opts=child,
                    **common,
                )
            else:
                alarm = aws.cloudwatch.MetricAlarm(
                    f"{name}-{planned.key}",
                    namespace=kind.namespace,
                    metric_name=kind.metric,
                    dimensions=dict(watched.dimensions),
                    statistic=kind.statistic,
                    period=tuning.period_seconds,
                    opts=child,
                    **common,
                )
            self.alarms[planned.key] = alarm

        self.register_outputs({"alarm_names": self.names, "alarm_arns": self.arns})

    @property
    def names(self) -> dict[str, pulumi.Output[str]]:
        return {key: alarm.name for key, alarm in self.alarms.items()}

    @property
    def arns(self) -> dict[str, pulumi.Output[str]]:
        return {key: alarm.arn for key, alarm in self.alarms.items()}
