"""The alarm topic: encrypted with a key CloudWatch may use, published to only by this account's alarms."""

from __future__ import annotations

import fnmatch
import json

import pytest

from streaming_tooling.testing import ProgramFailed

TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def statement(policy_json, sid):
    [found] = [s for s in json.loads(policy_json)["Statement"] if s.get("Sid") == sid]
    return found


def alarm_arns(run):
    """The ARNs of the alarms the run really creates."""
    return sorted(run.exports["alarm_arns"].values())


def admits(policy_statement, account, alarm_arn):
    """Whether the statement's conditions let CloudWatch act for `alarm_arn` of `account`, as IAM
    evaluates ArnEquals (exact) and ArnLike (`*` and `?` wildcards)."""
    condition = policy_statement["Condition"]
    if condition.get("StringEquals") != {"aws:SourceAccount": account}:
        return False
    exact = condition.get("ArnEquals", {}).get("aws:SourceArn", [])
    like = condition.get("ArnLike", {}).get("aws:SourceArn", [])
    exact, like = ([exact] if isinstance(exact, str) else exact), ([like] if isinstance(like, str) else like)
    return alarm_arn in exact or any(fnmatch.fnmatchcase(alarm_arn, pattern) for pattern in like)


def another_stacks_alarms(run):
    """The ARNs the same alarms get on stack `dev-x`, whose names start with `streaming-dev-` too."""
    return [arn.replace(":alarm:streaming-dev-", ":alarm:streaming-dev-x-") for arn in alarm_arns(run)]


def test_topic_is_encrypted_with_the_layers_own_key_not_the_aws_managed_one(default_run):
    topic = default_run.one(TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == default_run.one(KEY).outputs["arn"]
    assert topic.inputs["kmsMasterKeyId"] != "alias/aws/sns"


def test_topic_name_is_the_environments(default_run):
    assert default_run.one(TOPIC).inputs["name"] == "streaming-dev-alarms"


def test_key_rotates(default_run):
    assert default_run.one(KEY).inputs["enableKeyRotation"] is True


def test_key_policy_lets_cloudwatch_alarms_of_this_account_use_the_key(default_run, names):
    grant = statement(default_run.one(KEY).inputs["policy"], "CloudWatchAlarmsUseKeyForEncryptedTopic")
    assert grant["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert all(admits(grant, names["account"], arn) for arn in alarm_arns(default_run))
    assert not any(admits(grant, "210987654321", arn) for arn in alarm_arns(default_run))


def test_key_policy_keeps_the_account_in_control_of_the_key(default_run, names):
    admin = statement(default_run.one(KEY).inputs["policy"], "AccountAdministersKey")
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{names['account']}:root"}


def test_key_alias_names_the_topic(default_run):
    alias = default_run.one("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/streaming-dev-alarms"
    assert alias.inputs["targetKeyId"] == default_run.one(KEY).outputs["keyId"]


def test_topic_policy_lets_only_this_accounts_alarms_publish(default_run, names):
    topic_arn = default_run.one(TOPIC).outputs["arn"]
    policy = default_run.one("aws:sns/topicPolicy:TopicPolicy")
    assert policy.inputs["arn"] == topic_arn
    grant = statement(policy.inputs["policy"], "CloudWatchAlarmsPublish")
    assert (grant["Principal"], grant["Action"], grant["Resource"]) == (
        {"Service": "cloudwatch.amazonaws.com"},
        "sns:Publish",
        topic_arn,
    )
    assert all(admits(grant, names["account"], arn) for arn in alarm_arns(default_run))


def test_the_alarms_of_a_stack_whose_name_extends_this_ones_may_neither_publish_nor_use_the_key(default_run, names):
    """A pattern `streaming-dev-*` would admit stack `dev-x`'s alarms (`streaming-dev-x-...`) too."""
    publish = statement(default_run.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"], "CloudWatchAlarmsPublish")
    use_key = statement(default_run.one(KEY).inputs["policy"], "CloudWatchAlarmsUseKeyForEncryptedTopic")
    for grant in (publish, use_key):
        assert not any(admits(grant, names["account"], arn) for arn in another_stacks_alarms(default_run))


def test_topic_policy_refuses_publishing_without_tls(default_run):
    deny = statement(default_run.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"], "DenyPublishWithoutTls")
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_no_subscription_without_configured_recipients(default_run):
    assert default_run.of_type(SUBSCRIPTION) == []


def test_each_configured_email_is_subscribed(run_observability):
    emails = ["oncall@example.com", "Data.Team+alerts@example.co.uk"]
    run = run_observability(config={"alarmEmails": emails})
    topic_arn = run.one(TOPIC).outputs["arn"]
    subscribed = {(s.inputs["protocol"], s.inputs["endpoint"], s.inputs["topic"]) for s in run.of_type(SUBSCRIPTION)}
    assert subscribed == {("email", email, topic_arn) for email in emails}


def test_https_endpoint_is_subscribed_when_set(run_observability):
    url = "https://events.pagerduty.com/integration/abc123/enqueue"
    run = run_observability(config={"alarmHttpsEndpoint": url}, secret_keys=["alarmHttpsEndpoint"])
    subscription = run.one(SUBSCRIPTION, "alarm-topic-https-endpoint")
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == ("https", url)


def test_an_https_endpoint_stored_in_plain_text_is_refused_without_printing_it(run_observability):
    url = "https://events.pagerduty.com/integration/abc123/enqueue"
    with pytest.raises(ProgramFailed) as failure:
        run_observability(config={"alarmHttpsEndpoint": url})
    message = str(failure.value.error)
    assert "streaming-observability:alarmHttpsEndpoint: must be stored encrypted" in message
    assert "abc123" not in message
    assert failure.value.run.cloud_resources == []


def test_a_bad_secret_endpoint_is_named_but_never_printed(run_observability):
    url = "http://hooks.example.com/sns/secret-routing-key"
    with pytest.raises(ProgramFailed) as failure:
        run_observability(config={"alarmHttpsEndpoint": url}, secret_keys=["alarmHttpsEndpoint"])
    message = str(failure.value.error)
    assert "streaming-observability:alarmHttpsEndpoint: must be an https:// URL" in message
    assert "secret-routing-key" not in message


def test_topic_resources_live_in_the_alarm_topic_component(default_run):
    component = default_run.one("streaming:observability:AlarmTopic")
    for type_token in (TOPIC, KEY, "aws:kms/alias:Alias", "aws:sns/topicPolicy:TopicPolicy"):
        assert default_run.one(type_token).parent == component.urn
