"""Partial BatchWriteItem throttling and a hot StatusIndex are alarmed and on the dashboard.

DynamoDB counts ThrottledRequests for a BatchWriteItem only when every item of it was throttled;
WriteThrottleEvents counts each throttled item write, and per index only with the
GlobalSecondaryIndexName dimension. The upstream exports come from the real data and compute
programs.
"""

from __future__ import annotations

import json

import pytest

from streaming_shared.record_store import STATUS_INDEX
from streaming_tooling.testing import ProgramRun, run_chain

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.fixture(scope="module")
def chain() -> dict[str, ProgramRun]:
    return run_chain(["observability"], region="eu-west-1")


def test_the_table_alarm_reads_write_throttle_events_of_the_table_itself(chain):
    alarm = chain["observability"].one(ALARM, "alarms-table-write-throttle-events")
    table_name = chain["data"].exports["table_name"]
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("AWS/DynamoDB", "WriteThrottleEvents")
    assert alarm.inputs["dimensions"] == {"TableName": table_name}
    assert (alarm.inputs["statistic"], alarm.inputs["threshold"]) == ("Sum", 1)
    assert "BatchWriteItem" in alarm.inputs["alarmDescription"]


def test_the_index_alarm_names_status_index_as_the_data_layer_creates_it(chain):
    alarm = chain["observability"].one(ALARM, "alarms-status-index-write-throttle-events")
    table = chain["data"].one("aws:dynamodb/table:Table")
    index_names = [index["name"] for index in table.inputs["globalSecondaryIndexes"]]
    assert alarm.inputs["metricName"] == "WriteThrottleEvents"
    assert alarm.inputs["dimensions"] == {
        "TableName": chain["data"].exports["table_name"],
        "GlobalSecondaryIndexName": STATUS_INDEX,
    }
    assert STATUS_INDEX in index_names


def test_both_notify_the_alarm_topic_on_alarm_and_ok(chain):
    topic = chain["observability"].one("aws:sns/topic:Topic").outputs["arn"]
    for key in ("table-write-throttle-events", "status-index-write-throttle-events"):
        alarm = chain["observability"].one(ALARM, f"alarms-{key}")
        assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["okActions"] == [topic]
        assert alarm.inputs["treatMissingData"] == "notBreaching"


def test_the_dashboard_graphs_table_and_index_write_throttle_events(chain):
    body = json.loads(chain["observability"].one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    table_name = chain["data"].exports["table_name"]
    series = [
        metric[:-1]
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
    ]
    assert ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table_name] in series
    assert [
        "AWS/DynamoDB",
        "WriteThrottleEvents",
        "TableName",
        table_name,
        "GlobalSecondaryIndexName",
        STATUS_INDEX,
    ] in series
