"""Bad configuration or bad upstream exports fail before any resource is registered, naming the key."""

from __future__ import annotations

import pytest

from streaming_shared.errors import ConfigError, UpstreamError
from streaming_tooling.testing import ProgramFailed

P = "streaming-observability"


def alarm(key, **tuning):
    return {"alarms": {key: tuning}}


ELEVEN_OPERATIONS = [
    *("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"),
    *("BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "ExecuteStatement"),
]

BAD_CONFIG = [
    pytest.param(
        {"alarmEmails": ["oncall.example.com"]}, f"{P}:alarmEmails", "not an e-mail address", id="email-no-at"
    ),
    pytest.param({"alarmEmails": ["a@b"]}, f"{P}:alarmEmails", "not an e-mail address", id="email-no-domain"),
    pytest.param(
        {"alarmEmails": ["on call@example.com"]}, f"{P}:alarmEmails", "not an e-mail address", id="email-with-space"
    ),
    pytest.param(
        {"alarmEmails": ["oncall@example.com", "OnCall@example.com"]},
        f"{P}:alarmEmails",
        "more than once",
        id="email-twice",
    ),
    pytest.param({"alarmEmails": "oncall@example.com"}, f"{P}:alarmEmails", "valid list", id="emails-not-a-list"),
    pytest.param(
        {"alarmHttpsEndpoint": "http://hooks.example.com/sns"}, f"{P}:alarmHttpsEndpoint", "https://", id="plain-http"
    ),
    pytest.param({"alarmHttpsEndpoint": "https://"}, f"{P}:alarmHttpsEndpoint", "with a host", id="https-no-host"),
    pytest.param(
        alarm("deadLetterQueueDepth", threshold=0),
        f"{P}:alarms['deadLetterQueueDepth']['threshold']",
        "must be positive",
        id="zero-threshold",
    ),
    pytest.param(
        alarm("streamIteratorAge", threshold=-5),
        f"{P}:alarms['streamIteratorAge']['threshold']",
        "must be positive",
        id="negative-threshold",
    ),
    pytest.param(
        alarm("functionErrors", periodSeconds=0),
        f"{P}:alarms['functionErrors']['periodSeconds']",
        "positive number of seconds",
        id="zero-period",
    ),
    pytest.param(
        alarm("functionErrors", periodSeconds=-60),
        f"{P}:alarms['functionErrors']['periodSeconds']",
        "positive number of seconds",
        id="negative-period",
    ),
    pytest.param(
        alarm("tableThrottled", periodSeconds=45),
        f"{P}:alarms['tableThrottled']['periodSeconds']",
        "not a period CloudWatch accepts",
        id="period-not-accepted",
    ),
    pytest.param(
        alarm("tableThrottled", periodSeconds=30),
        f"{P}:alarms['tableThrottled']['periodSeconds']",
        "high-resolution",
        id="high-resolution-period-on-minute-metrics",
    ),
    pytest.param(
        alarm("stateMachineFailed", evaluationPeriods=0, datapointsToAlarm=0),
        f"{P}:alarms['stateMachineFailed']['evaluationPeriods']",
        "at least 1",
        id="zero-evaluation-periods",
    ),
    pytest.param(
        alarm("streamIteratorAge", evaluationPeriods=2),
        f"{P}:alarms['streamIteratorAge']",
        "datapointsToAlarm (3) cannot exceed evaluationPeriods (2)",
        id="more-datapoints-than-periods",
    ),
    pytest.param(
        alarm("ingestIteratorAge", evaluationPeriods=1441, datapointsToAlarm=1),
        f"{P}:alarms['ingestIteratorAge']",
        "at most 86400 s",
        id="window-longer-than-a-day",
    ),
    pytest.param(
        alarm("functionErrors", threshold="many"),
        f"{P}:alarms['functionErrors']['threshold']",
        "valid number",
        id="threshold-not-a-number",
    ),
    pytest.param(
        alarm("functionErrors", thresold=2),
        f"{P}:alarms['functionErrors']['thresold']",
        "Extra inputs",
        id="misspelt-tuning-key",
    ),
    pytest.param({"alarms": {"lambdaErrors": {"threshold": 2}}}, f"{P}:alarms", "not an alarm", id="unknown-alarm"),
    pytest.param(
        {"tableOperations": ["PutItem", "Putitem"]}, f"{P}:tableOperations", "'Putitem' is not", id="unknown-operation"
    ),
    pytest.param(
        {"tableOperations": ["PutItem", "PutItem"]}, f"{P}:tableOperations", "more than once", id="operation-twice"
    ),
    pytest.param({"tableOperations": []}, f"{P}:tableOperations", "at least one", id="no-operations"),
    pytest.param(
        {"tableOperations": ELEVEN_OPERATIONS},
        f"{P}:tableOperations",
        "at most 10 metrics",
        id="too-many-operations",
    ),
    pytest.param({"alarmEmail": ["oncall@example.com"]}, f"{P}:alarmEmail", "is not a setting", id="misspelt-key"),
]


@pytest.mark.parametrize(("config", "key", "reason"), BAD_CONFIG)
def test_bad_config_fails_early_naming_the_key(run_observability, config, key, reason):
    with pytest.raises(ProgramFailed) as failure:
        run_observability(config=config)
    assert isinstance(failure.value.error, ConfigError)
    assert key in failure.value.error.keys
    assert reason in str(failure.value)
    assert failure.value.run.cloud_resources == []


def test_every_bad_value_is_reported_at_once(run_observability):
    config = {"alarmEmails": ["nope"], **alarm("functionErrors", threshold=0)}
    with pytest.raises(ProgramFailed) as failure:
        run_observability(config=config)
    assert set(failure.value.error.keys) == {f"{P}:alarmEmails", f"{P}:alarms['functionErrors']['threshold']"}


def test_good_recipients_are_accepted(run_observability):
    run = run_observability(
        config={
            "alarmEmails": ["oncall@example.com", "first.last+pipeline@sub.example.org"],
            "alarmHttpsEndpoint": "https://hooks.example.com:8443/sns?key=abc",
        }
    )
    assert len(run.of_type("aws:sns/topicSubscription:TopicSubscription")) == 3


def upstream_failure(run_observability, upstream):
    with pytest.raises(ProgramFailed) as failure:
        run_observability(upstream=upstream)
    assert isinstance(failure.value.error, UpstreamError)
    assert failure.value.run.cloud_resources == []
    return str(failure.value)


def test_a_function_names_export_without_a_stage_is_refused(run_observability, upstream):
    del upstream["compute"]["function_names"]["enrich"]
    message = upstream_failure(run_observability, upstream)
    assert "organization/streaming-compute/dev" in message
    assert "'function_names'" in message and "enrich" in message


def test_a_state_machine_export_that_is_not_a_state_machine_arn_is_refused(run_observability, upstream):
    upstream["compute"]["state_machine_arn"] = "streaming-dev-stages"
    message = upstream_failure(run_observability, upstream)
    assert "'state_machine_arn'" in message and "not a states ARN" in message


def test_a_queue_in_another_region_is_refused(run_observability, upstream):
    upstream["compute"]["dead_letter_queue_arn"] = "arn:aws:sqs:us-east-2:123456789012:streaming-dev-ingest-failures"
    message = upstream_failure(run_observability, upstream)
    assert "'dead_letter_queue_arn'" in message and "us-east-2" in message


def test_an_upstream_in_another_region_is_refused(run_observability, upstream):
    upstream["data"]["region"] = "us-east-2"
    message = upstream_failure(run_observability, upstream)
    assert "organization/streaming-data/dev is in region 'us-east-2'" in message


def test_a_missing_upstream_stack_is_named(run_observability, upstream):
    del upstream["compute"]
    message = upstream_failure(run_observability, upstream)
    assert "organization/streaming-compute/dev has no outputs" in message
