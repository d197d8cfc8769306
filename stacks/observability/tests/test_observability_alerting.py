"""The alarm topic: encrypted with a key CloudWatch may use, published to only by this account's alarms."""

from __future__ import annotations

import json

TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def statement(policy_json, sid):
    [found] = [s for s in json.loads(policy_json)["Statement"] if s.get("Sid") == sid]
    return found


def alarm_pattern(names):
    return f"arn:aws:cloudwatch:{names['region']}:{names['account']}:alarm:streaming-dev-*"


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
    assert grant["Condition"] == {
        "StringEquals": {"aws:SourceAccount": names["account"]},
        "ArnLike": {"aws:SourceArn": alarm_pattern(names)},
    }


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
    assert grant["Condition"] == {
        "StringEquals": {"aws:SourceAccount": names["account"]},
        "ArnLike": {"aws:SourceArn": alarm_pattern(names)},
    }


def test_every_alarm_name_matches_the_pattern_the_policies_allow(default_run):
    assert all(name.startswith("streaming-dev-") for name in default_run.exports["alarm_names"].values())


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
    run = run_observability(config={"alarmHttpsEndpoint": url})
    subscription = run.one(SUBSCRIPTION, "alarm-topic-https-endpoint")
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == ("https", url)


def test_topic_resources_live_in_the_alarm_topic_component(default_run):
    component = default_run.one("streaming:observability:AlarmTopic")
    for type_token in (TOPIC, KEY, "aws:kms/alias:Alias", "aws:sns/topicPolicy:TopicPolicy"):
        assert default_run.one(type_token).parent == component.urn
