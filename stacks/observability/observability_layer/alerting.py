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
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.keys import customer_managed_key
from streaming_shared.naming import NAME_PREFIX, NameKind, Namer

CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"


@dataclass(frozen=True)
class AwsAccount:
    """The account and partition this stack deploys into, for policies and ARN patterns."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: str

    @classmethod
    def of(cls, provider: aws.Provider, region: str) -> AwsAccount:
        options = pulumi.InvokeOutputOptions(provider=provider)
        return cls(
            account_id=aws.get_caller_identity_output(opts=options).account_id,
            partition=aws.get_partition_output(opts=options).partition,
            region=region,
        )


def alarm_arn_pattern(partition: str, region: str, account_id: str, environment: str) -> str:
    """Every alarm of this environment: their names all start with `streaming-<env>-`."""
    return f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{NAME_PREFIX}-{environment}-*"


def _cloudwatch_conditions(account_id: str, alarm_arns: str) -> dict[str, dict[str, str]]:
    # Confused-deputy guard: CloudWatch may use the grant only for alarms of this account and
    # environment, not on behalf of any other account's alarm.
    return {"StringEquals": {"aws:SourceAccount": account_id}, "ArnLike": {"aws:SourceArn": alarm_arns}}


def key_policy(partition: str, region: str, account_id: str, environment: str) -> str:
    alarms = alarm_arn_pattern(partition, region, account_id, environment)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    # The default key policy statement: the account (its IAM policies) manages the
                    # key. Without it KMS refuses the policy as one that locks everyone out.
                    "Sid": "AccountAdministersKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchAlarmsUseKeyForEncryptedTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": CLOUDWATCH_PRINCIPAL},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": _cloudwatch_conditions(account_id, alarms),
                },
            ],
        }
    )


def topic_policy(topic_arn: str, partition: str, region: str, account_id: str, environment: str) -> str:
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
                    "Condition": _cloudwatch_conditions(
                        account_id, alarm_arn_pattern(partition, region, account_id, environment)
                    ),
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
        emails: Sequence[str],
        https_endpoint: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:observability:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(environment)
        topic_name = namer.name("alarms", kind=NameKind.SNS_TOPIC)

        self.key, _ = customer_managed_key(
            name,
            description=f"Encrypts SNS topic {topic_name}; CloudWatch alarms of {environment} may use it",
            alias=topic_name,
            source=namer.source,
            policy=pulumi.Output.all(account.partition, account.account_id).apply(
                lambda values: key_policy(values[0], account.region, values[1], environment)
            ),
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
            policy=pulumi.Output.all(self.topic.arn, account.partition, account.account_id).apply(
                lambda values: topic_policy(values[0], values[1], account.region, values[2], environment)
            ),
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
