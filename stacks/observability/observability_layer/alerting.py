"""Where alarms go: an encrypted SNS topic, its key, its policy and its subscribers.

Why a customer managed KMS key and not the AWS managed `alias/aws/sns`: CloudWatch publishes an
alarm to an encrypted topic with its own service principal, which needs kms:GenerateDataKey* and
kms:Decrypt on the topic's key. The AWS managed key's policy does not grant that and cannot be
edited, so with it every notification fails ("CloudWatch Alarms does not have authorization to
access the SNS topic encryption key", visible only in the alarm's history). Sources:
- https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns (use a customer managed key
  whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*)
- https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html ("Enable compatibility
  between event sources from AWS services and encrypted topics")
- https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger (the topic policy
  statement for cloudwatch.amazonaws.com, scoped with aws:SourceArn)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_shared.keys import account_administers_key, customer_managed_key
from streaming_shared.naming import NameKind, Namer
from streaming_shared.provider import AwsAccount

CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"


def alarm_arns(account: AwsAccount, alarm_names: Sequence[str]) -> list[str]:
    """The ARNs of exactly this environment's alarms, built from their names. A name pattern such as
    `streaming-<env>-*` would also match every alarm of a stack named `<env>-<anything>`."""
    return [account.arn("cloudwatch", f"alarm:{name}") for name in alarm_names]


def _cloudwatch_conditions(account_id: str, alarm_arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    # Confused-deputy guard: CloudWatch may use the grant only for these alarms of this account, not
    # on behalf of another account's alarm or another environment's.
    return {"StringEquals": {"aws:SourceAccount": account_id}, "ArnEquals": {"aws:SourceArn": list(alarm_arns)}}


def key_policy(account: AwsAccount, alarms: Sequence[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                account_administers_key(account),
                {
                    "Sid": "CloudWatchAlarmsUseKeyForEncryptedTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": CLOUDWATCH_PRINCIPAL},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": _cloudwatch_conditions(account.account_id, alarms),
                },
            ],
        }
    )


def topic_policy(topic_arn: str, account: AwsAccount, alarms: Sequence[str]) -> str:
    # Replaces the default topic policy; principals of this account keep access through their IAM
    # policies (same-account access needs only one of the two to allow it).
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": CLOUDWATCH_PRINCIPAL},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": _cloudwatch_conditions(account.account_id, alarms),
                },
                {
                    "Sid": "DenyPublishWithoutTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )


class AlarmTopic(pulumi.ComponentResource):
    """The SNS topic every alarm notifies, encrypted with a key CloudWatch may use."""

    def __init__(
        self,
        name: str,
        environment: str,
        account: AwsAccount,
        *,
        alarm_names: Sequence[str],
        emails: Sequence[str],
        https_endpoint: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:observability:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(environment)
        topic_name = namer.name("alarms", kind=NameKind.SNS_TOPIC)
        alarms = alarm_arns(account, alarm_names)

        self.key, _ = customer_managed_key(
            name,
            description=f"Encrypts SNS topic {topic_name}; CloudWatch alarms of {environment} may use it",
            alias=topic_name,
            source=namer.source,
            policy=key_policy(account, alarms),
            opts=child,
        )
        self.topic = aws.sns.Topic(
            name,
            name=topic_name,
            display_name=f"Streaming pipeline {environment} alarms",
            kms_master_key_id=self.key.arn,
            opts=child,
        )
        aws.sns.TopicPolicy(
            name,
            arn=self.topic.arn,
            policy=self.topic.arn.apply(lambda arn: topic_policy(arn, account, alarms)),
            opts=child,
        )

        self.subscriptions = [
            aws.sns.TopicSubscription(
                f"{name}-email-{email.lower()}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
            for email in emails
        ]
        if https_endpoint:
            self.subscriptions.append(
                aws.sns.TopicSubscription(
                    f"{name}-https-endpoint",
                    topic=self.topic.arn,
                    protocol="https",
                    # Paging integrations put their routing key in the URL: keep it out of plain state.
                    endpoint=pulumi.Output.secret(https_endpoint),
                    opts=child,
                )
            )

        self.register_outputs({"topic_arn": self.topic.arn, "key_arn": self.key.arn})
