"""The dashboard body is valid JSON, in the stack's region, and every graph names a real resource."""

from __future__ import annotations

import json

import pytest

from streaming_shared.catalogue import STAGES
from streaming_shared.record_store import STATUS_INDEX

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


@pytest.fixture(scope="module")
def body(default_run):
    return json.loads(default_run.one(DASHBOARD).inputs["dashboardBody"])


def metric_widgets(body):
    return [widget for widget in body["widgets"] if widget["type"] == "metric"]


def metrics(body):
    """(namespace, name, dimensions, options) of every metric in every graph."""
    found = []
    for widget in metric_widgets(body):
        for entry in widget["properties"]["metrics"]:
            options = entry[-1] if isinstance(entry[-1], dict) else {}
            plain = entry[:-1] if options else entry
            namespace, name, pairs = plain[0], plain[1], plain[2:]
            found.append((namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True)), options))
    return found


def has(body, namespace, name, dimensions, stat=None):
    return any(
        (ns, metric, dims) == (namespace, name, dimensions) and (stat is None or options.get("stat") == stat)
        for ns, metric, dims, options in metrics(body)
    )


def test_dashboard_is_named_for_the_environment(default_run):
    assert default_run.one(DASHBOARD).inputs["dashboardName"] == "streaming-dev-euw1-pipeline"


def test_every_metric_carries_dimensions(body):
    assert metrics(body)
    assert all(dimensions for _, _, dimensions, _ in metrics(body))


def test_every_dimension_names_an_upstream_resource(body, names):
    known = {*names["functions"].values(), names["stream"], names["table"], names["queue"], names["state_machine_arn"]}
    known.add(STATUS_INDEX)  # the table's index, a name the contract fixes
    assert all(set(dimensions.values()) <= known for _, _, dimensions, _ in metrics(body))


def test_every_graph_is_in_the_configured_region(body, names):
    assert {widget["properties"]["region"] for widget in metric_widgets(body)} == {names["region"]}


def test_region_follows_the_stack(run_observability, upstream):
    for exports in upstream.values():
        exports["region"] = "ap-southeast-2"
    upstream["compute"]["state_machine_arn"] = "arn:aws:states:ap-southeast-2:123456789012:stateMachine:s"
    upstream["compute"]["dead_letter_queue_arn"] = "arn:aws:sqs:ap-southeast-2:123456789012:q"
    run = run_observability(upstream=upstream, region="ap-southeast-2")
    body = json.loads(run.one(DASHBOARD).inputs["dashboardBody"])
    assert {widget["properties"]["region"] for widget in metric_widgets(body)} == {"ap-southeast-2"}


@pytest.mark.parametrize("name", ["IncomingRecords", "IncomingBytes", "GetRecords.IteratorAgeMilliseconds"])
def test_stream_graphs(body, names, name):
    assert has(body, "AWS/Kinesis", name, {"StreamName": names["stream"]})


@pytest.mark.parametrize(
    ("name", "stat"),
    [
        ("Invocations", "Sum"),
        ("Errors", "Sum"),
        ("Throttles", "Sum"),
        ("Duration", "p50"),
        ("Duration", "p99"),
        ("ConcurrentExecutions", "Maximum"),
    ],
)
def test_function_graphs_cover_every_stage(body, names, name, stat):
    for stage in STAGES:
        assert has(body, "AWS/Lambda", name, {"FunctionName": names["functions"][stage]}, stat), stage


@pytest.mark.parametrize("name", ["ExecutionsSucceeded", "ExecutionsFailed", "ExecutionTime"])
def test_state_machine_graphs(body, names, name):
    assert has(body, "AWS/States", name, {"StateMachineArn": names["state_machine_arn"]})


def test_queue_depth_graph(body, names):
    assert has(body, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": names["queue"]})


@pytest.mark.parametrize(
    "name", ["ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ReadThrottleEvents", "WriteThrottleEvents"]
)
def test_table_graphs(body, names, name):
    assert has(body, "AWS/DynamoDB", name, {"TableName": names["table"]})


def test_alarm_status_widget_lists_every_alarm(body, default_run):
    [widget] = [widget for widget in body["widgets"] if widget["type"] == "alarm"]
    assert sorted(widget["properties"]["alarms"]) == sorted(default_run.exports["alarm_arns"].values())


def test_alarm_status_is_the_first_thing_on_the_dashboard(body):
    first = min(body["widgets"], key=lambda widget: (widget["y"], widget["x"]))
    assert first["type"] == "alarm"


def test_widgets_fit_the_grid_without_overlapping(body):
    cells = set()
    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= 24
        area = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not cells & area
        cells |= area


def test_iterator_age_graph_shows_the_configured_alarm_threshold(run_observability):
    run = run_observability(config={"alarms": {"streamIteratorAge": {"threshold": 120000}}})
    body = json.loads(run.one(DASHBOARD).inputs["dashboardBody"])
    lines = [
        line["value"]
        for widget in metric_widgets(body)
        for line in widget["properties"].get("annotations", {}).get("horizontal", [])
        if "stream-iterator-age" in line["label"]
    ]
    assert lines == [120000]


def test_dashboard_stays_within_the_free_tiers_fifty_metrics(body):
    assert len(metrics(body)) <= 50
