"""The pipeline's CloudWatch dashboard: alarm status on top, then each part of the pipeline.

Every graph names the real resource in its dimensions (CloudWatch draws nothing for a metric
without them) and the stack's region. The body is built from the upstream outputs and the alarm
ARNs once they are known, by `dashboard_body`, a plain function of plain values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_shared.catalogue import STAGES
from streaming_shared.naming import NameKind, Namer
from streaming_shared.record_store import STATUS_INDEX

from .alarm_kinds import KINDS_BY_KEY
from .settings import ObservabilitySettings
from .targets import PipelineTargets, queue_name_of

WIDTH = 24
"""The dashboard grid is 24 columns wide."""
GRAPH_PERIOD_SECONDS = 60


class _Layout:
    """Places widgets left to right in rows of the 24-column grid."""

    def __init__(self) -> None:
        self.widgets: list[dict[str, Any]] = []
        self.x = 0
        self.y = 0
        self.row_height = 0

    def add(self, widget: dict[str, Any], width: int, height: int) -> None:
        if self.x + width > WIDTH:
            self.y += self.row_height
            self.x, self.row_height = 0, 0
        self.widgets.append({**widget, "x": self.x, "y": self.y, "width": width, "height": height})
        self.x += width
        self.row_height = max(self.row_height, height)

    def new_row(self) -> None:
        if self.x:
            self.y += self.row_height
            self.x, self.row_height = 0, 0


def _metric(namespace: str, name: str, dimensions: Mapping[str, str], stat: str, **options: Any) -> list[Any]:
    entry: list[Any] = [namespace, name]
    for dimension, value in dimensions.items():
        entry += [dimension, value]
    return [*entry, {"stat": stat, **options}]


def _graph(title: str, region: str, metrics: list[list[Any]], **properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "period": GRAPH_PERIOD_SECONDS,
            "metrics": metrics,
            **properties,
        },
    }


def _threshold_line(kind_key: str, threshold: float) -> dict[str, Any]:
    return {"horizontal": [{"label": f"alarm: {KINDS_BY_KEY[kind_key].name}", "value": threshold}]}


def dashboard_body(
    *,
    region: str,
    stream_name: str,
    table_name: str,
    function_names: Mapping[str, str],
    state_machine_arn: str,
    queue_arn: str,
    alarm_arns: Sequence[str],
    thresholds: Mapping[str, float],
) -> dict[str, Any]:
    """The dashboard as CloudWatch's JSON body. `thresholds` maps alarm kind keys to thresholds."""
    layout = _Layout()
    stream = {"StreamName": stream_name}
    table = {"TableName": table_name}
    queue = {"QueueName": queue_name_of(queue_arn)}
    state_machine = {"StateMachineArn": state_machine_arn}

    def per_function(metric: str, stat: str) -> list[list[Any]]:
        return [
            _metric("AWS/Lambda", metric, {"FunctionName": function_names[stage]}, stat, label=stage)
            for stage in STAGES
        ]

    layout.add(
        {
            "type": "alarm",
            "properties": {"title": "Alarms", "alarms": list(alarm_arns), "sortBy": "stateUpdatedTimestamp"},
        },
        WIDTH,
        6,
    )
    layout.new_row()

    layout.add(
        _graph(
            f"Stream {stream_name}: incoming records and bytes",
            region,
            [
                _metric("AWS/Kinesis", "IncomingRecords", stream, "Sum", label="records"),
                _metric("AWS/Kinesis", "IncomingBytes", stream, "Sum", label="bytes", yAxis="right"),
            ],
        ),
        8,
        6,
    )
    layout.add(
        _graph(
            f"Stream {stream_name}: iterator age (ms)",
            region,
            [
                _metric("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", stream, "Maximum", label="stream"),
                _metric(
                    "AWS/Lambda", "IteratorAge", {"FunctionName": function_names["ingest"]}, "Maximum", label="ingest"
                ),
            ],
            annotations=_threshold_line("streamIteratorAge", thresholds["streamIteratorAge"]),
        ),
        8,
        6,
    )
    layout.add(
        _graph(
            f"Stream {stream_name}: throttled",
            region,
            [
                _metric("AWS/Kinesis", "WriteProvisionedThroughputExceeded", stream, "Sum", label="writes"),
                _metric("AWS/Kinesis", "ReadProvisionedThroughputExceeded", stream, "Sum", label="reads"),
            ],
        ),
        8,
        6,
    )
    layout.new_row()

    for title, metric, stat in (
        ("Functions: invocations", "Invocations", "Sum"),
        ("Functions: errors", "Errors", "Sum"),
        ("Functions: throttles", "Throttles", "Sum"),
        ("Functions: duration p50 (ms)", "Duration", "p50"),
        ("Functions: duration p99 (ms)", "Duration", "p99"),
        ("Functions: concurrent executions", "ConcurrentExecutions", "Maximum"),
    ):
        layout.add(_graph(title, region, per_function(metric, stat)), 8, 6)
    layout.new_row()

    layout.add(
        _graph(
            "State machine: executions",
            region,
            [
                _metric("AWS/States", "ExecutionsSucceeded", state_machine, "Sum", label="succeeded"),
                _metric("AWS/States", "ExecutionsFailed", state_machine, "Sum", label="failed"),
                _metric("AWS/States", "ExecutionsTimedOut", state_machine, "Sum", label="timed out"),
            ],
        ),
        8,
        6,
    )
    layout.add(
        _graph(
            "State machine: execution time (ms)",
            region,
            [
                _metric("AWS/States", "ExecutionTime", state_machine, "p50", label="p50"),
                _metric("AWS/States", "ExecutionTime", state_machine, "p99", label="p99"),
            ],
        ),
        8,
        6,
    )
    layout.add(
        _graph(
            f"Dead-letter queue {queue['QueueName']}: records that left the pipeline",
            region,
            [
                _metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum", label="messages"),
                _metric(
                    "AWS/SQS", "ApproximateAgeOfOldestMessage", queue, "Maximum", label="oldest (s)", yAxis="right"
                ),
            ],
            annotations=_threshold_line("deadLetterQueueDepth", thresholds["deadLetterQueueDepth"]),
        ),
        8,
        6,
    )
    layout.new_row()

    layout.add(
        _graph(
            f"Table {table_name}: consumed capacity",
            region,
            [
                _metric("AWS/DynamoDB", "ConsumedReadCapacityUnits", table, "Sum", label="read units"),
                _metric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", table, "Sum", label="write units"),
            ],
        ),
        12,
        6,
    )
    layout.add(
        _graph(
            f"Table {table_name}: throttle events",
            region,
            [
                _metric("AWS/DynamoDB", "ReadThrottleEvents", table, "Sum", label="reads"),
                _metric("AWS/DynamoDB", "WriteThrottleEvents", table, "Sum", label="writes"),
                _metric(
                    "AWS/DynamoDB",
                    "WriteThrottleEvents",
                    {**table, "GlobalSecondaryIndexName": STATUS_INDEX},
                    "Sum",
                    label=f"{STATUS_INDEX} writes",
                ),
            ],
            annotations=_threshold_line("tableWriteThrottleEvents", thresholds["tableWriteThrottleEvents"]),
        ),
        12,
        6,
    )
    return {"widgets": layout.widgets}


@dataclass(frozen=True)
class DashboardSpec:
    """Where the dashboard lives and the alarm thresholds its graphs draw as lines."""

    environment: str
    region: str
    """In the dashboard's name (dashboards are unique per account) and in every graph."""
    thresholds: Mapping[str, float]
    """By alarm kind key, as `dashboard_body` takes them."""

    @classmethod
    def of(cls, settings: ObservabilitySettings) -> DashboardSpec:
        return cls(
            environment=settings.environment.name,
            region=settings.environment.region,
            thresholds={key: settings.tuning(key).threshold for key in KINDS_BY_KEY},
        )


class PipelineDashboard(pulumi.ComponentResource):
    """One dashboard per environment: `streaming-<env>-pipeline`."""

    def __init__(
        self,
        name: str,
        spec: DashboardSpec,
        targets: PipelineTargets,
        alarm_arns: Sequence[pulumi.Output[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:observability:PipelineDashboard", name, None, opts)
        region, thresholds = spec.region, spec.thresholds
        body = pulumi.Output.all(
            stream_name=targets.stream_name,
            table_name=targets.table_name,
            function_names=pulumi.Output.all(**targets.function_names),
            state_machine_arn=targets.state_machine_arn,
            queue_arn=targets.queue_arn,
            alarm_arns=pulumi.Output.all(*alarm_arns),
        ).apply(lambda values: json.dumps(dashboard_body(region=region, thresholds=thresholds, **values)))
        self.dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=Namer(spec.environment, region=region).name("pipeline", kind=NameKind.CLOUDWATCH_DASHBOARD),
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboard_name": self.dashboard.dashboard_name})
