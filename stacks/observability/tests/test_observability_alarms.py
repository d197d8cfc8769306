"""Every alarm watches a real upstream resource, notifies the topic, and means something."""

from __future__ import annotations

import pytest

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
VALID_MISSING_DATA = {"breaching", "notBreaching", "ignore", "missing"}


def dimension_sets(alarm):
    """The dimensions of every metric an alarm reads (one for a plain alarm, several for metric math)."""
    if alarm.inputs.get("dimensions"):
        return [alarm.inputs["dimensions"]]
    return [query["metric"]["dimensions"] for query in alarm.inputs.get("metricQueries", []) if "metric" in query]


def metric_of(alarm):
    if "metricName" in alarm.inputs:
        return alarm.inputs["namespace"], alarm.inputs["metricName"]
    metrics = {
        (q["metric"]["namespace"], q["metric"]["metricName"]) for q in alarm.inputs["metricQueries"] if "metric" in q
    }
    assert len(metrics) == 1, alarm.name
    return metrics.pop()


def upstream_values(names):
    return {
        *names["functions"].values(),
        names["stream"],
        names["table"],
        names["queue"],
        names["state_machine_arn"],
    }


def test_every_alarm_has_a_dimension_naming_an_upstream_resource(default_run, names):
    known = upstream_values(names)
    alarms = default_run.of_type(ALARM)
    assert alarms
    for alarm in alarms:
        sets = dimension_sets(alarm)
        assert sets, alarm.name
        assert all(known & set(dimensions.values()) for dimensions in sets), alarm.name


def test_every_alarm_sends_alarm_and_ok_to_the_topic(default_run):
    topic_arn = default_run.one("aws:sns/topic:Topic").outputs["arn"]
    for alarm in default_run.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [topic_arn], alarm.name
        assert alarm.inputs["okActions"] == [topic_arn], alarm.name


def test_exactly_one_alarm_per_metric_and_resource(default_run):
    pairs = []
    for alarm in default_run.of_type(ALARM):
        namespace, metric = metric_of(alarm)
        resource = {key: value for key, value in dimension_sets(alarm)[0].items() if key != "Operation"}
        pairs.append((namespace, metric, tuple(sorted(resource.items()))))
    assert len(pairs) == len(set(pairs))


def test_no_two_resources_share_a_physical_name(default_run):
    physical = [
        resource.outputs.get("name") or resource.outputs.get("dashboardName")
        for resource in default_run.cloud_resources
        if resource.type != "aws:kms/key:Key"
        and (resource.outputs.get("name") or resource.outputs.get("dashboardName"))
    ]
    assert len(physical) == len(set(physical))


def test_alarm_names_are_prefixed_with_the_environment(default_run):
    assert all(alarm.inputs["name"].startswith("streaming-dev-") for alarm in default_run.of_type(ALARM))


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_stage_has_its_errors_and_throttles_alarm(default_run, names, metric):
    watched = {
        alarm.inputs["dimensions"]["FunctionName"]
        for alarm in default_run.of_type(ALARM)
        if alarm.inputs.get("metricName") == metric and alarm.inputs.get("namespace") == "AWS/Lambda"
    }
    assert watched == set(names["functions"].values())


def test_ingest_iterator_age_is_watched_on_the_ingest_function(default_run, names):
    alarm = default_run.one(ALARM, "alarms-ingest-iterator-age")
    assert (alarm.inputs["metricName"], alarm.inputs["dimensions"]) == (
        "IteratorAge",
        {"FunctionName": names["functions"]["ingest"]},
    )


def test_dead_letter_queue_depth_fires_on_the_first_message(default_run, names):
    alarm = default_run.one(ALARM, "alarms-dead-letter-queue-depth")
    facts = {key: alarm.inputs[key] for key in ("namespace", "metricName", "statistic", "comparisonOperator")}
    assert facts == {
        "namespace": "AWS/SQS",
        "metricName": "ApproximateNumberOfMessagesVisible",
        "statistic": "Maximum",
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    window = (alarm.inputs["threshold"], alarm.inputs["evaluationPeriods"], alarm.inputs["datapointsToAlarm"])
    assert window == (1, 1, 1)


def test_queue_alarms_use_the_queue_name_taken_from_its_arn(default_run, names):
    for key in ("dead-letter-queue-depth", "dead-letter-queue-age"):
        assert default_run.one(ALARM, f"alarms-{key}").inputs["dimensions"] == {"QueueName": names["queue"]}


def test_state_machine_alarms_use_its_arn_as_dimension(default_run, names):
    for key, metric in (
        ("state-machine-failed", "ExecutionsFailed"),
        ("state-machine-timed-out", "ExecutionsTimedOut"),
    ):
        alarm = default_run.one(ALARM, f"alarms-{key}")
        assert (alarm.inputs["metricName"], alarm.inputs["dimensions"]) == (
            metric,
            {"StateMachineArn": names["state_machine_arn"]},
        )


@pytest.mark.parametrize(
    ("key", "metric"),
    [
        ("stream-iterator-age", "GetRecords.IteratorAgeMilliseconds"),
        ("stream-write-throttled", "WriteProvisionedThroughputExceeded"),
        ("stream-read-throttled", "ReadProvisionedThroughputExceeded"),
    ],
)
def test_stream_alarms_watch_the_stream(default_run, names, key, metric):
    alarm = default_run.one(ALARM, f"alarms-{key}")
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"], alarm.inputs["dimensions"]) == (
        "AWS/Kinesis",
        metric,
        {"StreamName": names["stream"]},
    )


@pytest.mark.parametrize(
    ("key", "metric"), [("table-throttled", "ThrottledRequests"), ("table-system-errors", "SystemErrors")]
)
def test_table_alarms_sum_the_per_operation_series_dynamodb_publishes(default_run, names, key, metric):
    queries = default_run.one(ALARM, f"alarms-{key}").inputs["metricQueries"]
    reads = [query for query in queries if "metric" in query]
    assert {query["metric"]["metricName"] for query in reads} == {metric}
    assert all(query["metric"]["dimensions"]["TableName"] == names["table"] for query in reads)
    assert len({query["metric"]["dimensions"]["Operation"] for query in reads}) == len(reads) == 10
    [total] = [query for query in queries if query.get("returnData")]
    assert all(f"FILL({query['id']}, 0)" in total["expression"] for query in reads)


def test_table_operations_are_configurable(run_observability):
    run = run_observability(config={"tableOperations": ["PutItem", "Query"]})
    queries = run.one(ALARM, "alarms-table-throttled").inputs["metricQueries"]
    operations = [query["metric"]["dimensions"]["Operation"] for query in queries if "metric" in query]
    assert operations == ["PutItem", "Query"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("dead-letter-queue-depth", "ignore"),
        ("dead-letter-queue-age", "ignore"),
        ("stream-iterator-age", "breaching"),
        ("ingest-iterator-age", "notBreaching"),
        ("ingest-errors", "notBreaching"),
        ("table-throttled", "notBreaching"),
    ],
)
def test_missing_data_is_treated_deliberately(default_run, key, expected):
    assert default_run.one(ALARM, f"alarms-{key}").inputs["treatMissingData"] == expected


def test_every_alarm_sets_how_missing_data_counts(default_run):
    assert all(alarm.inputs.get("treatMissingData") in VALID_MISSING_DATA for alarm in default_run.of_type(ALARM))


def test_descriptions_say_what_to_check_first_and_fit_cloudwatchs_limit(default_run):
    for alarm in default_run.of_type(ALARM):
        description = alarm.inputs["alarmDescription"]
        assert "Check first:" in description, alarm.name
        assert len(description) <= 1024, (alarm.name, len(description))


def test_descriptions_name_the_watched_resource(default_run, names):
    assert names["functions"]["enrich"] in default_run.one(ALARM, "alarms-enrich-errors").inputs["alarmDescription"]
    assert names["queue"] in default_run.one(ALARM, "alarms-dead-letter-queue-depth").inputs["alarmDescription"]


def test_a_partial_override_changes_only_what_it_sets(run_observability):
    run = run_observability(config={"alarms": {"ingestIteratorAge": {"threshold": 60000}}})
    alarm = run.one(ALARM, "alarms-ingest-iterator-age")
    tuned = (alarm.inputs["threshold"], alarm.inputs["period"], alarm.inputs["evaluationPeriods"])
    assert tuned == (60000, 60, 5)
    assert alarm.inputs["datapointsToAlarm"] == 3


def test_an_override_reaches_the_per_operation_metrics(run_observability):
    run = run_observability(config={"alarms": {"tableSystemErrors": {"periodSeconds": 60, "evaluationPeriods": 3}}})
    queries = run.one(ALARM, "alarms-table-system-errors").inputs["metricQueries"]
    assert {query["metric"]["period"] for query in queries if "metric" in query} == {60}


def test_the_layer_provider_is_in_the_configured_region(default_run, names):
    assert default_run.one("pulumi:providers:aws").inputs["region"] == names["region"]


def test_alarm_arns_are_in_the_configured_region(default_run, names):
    arns = default_run.exports["alarm_arns"].values()
    assert all(arn.startswith(f"arn:aws:cloudwatch:{names['region']}:") for arn in arns)
