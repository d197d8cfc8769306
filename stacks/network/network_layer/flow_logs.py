"""VPC flow logs: who talked to whom in the private subnets, for an investigation after the fact.

Delivered to a CloudWatch Logs group encrypted with this layer's own key: the network layer reads
no other layer, so it cannot use the data layer's keys, and the key policy lets CloudWatch Logs use
the key for this one group only. The delivery role trusts `vpc-flow-logs.amazonaws.com` for this
account's flow logs only (confused-deputy conditions), and may write to this one group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.keys import customer_managed_key, log_groups_key_policy
from streaming_shared.naming import NameKind, Namer
from streaming_shared.provider import AwsAccount
from streaming_shared.roles import service_trust_policy, source_conditions

from .settings import NetworkSettings

FLOW_LOGS_PRINCIPAL = "vpc-flow-logs.amazonaws.com"
AGGREGATION_SECONDS = 600
"""The longest interval EC2 offers: one record per flow per 10 minutes keeps the ingested volume
(billed per GB) lowest, and investigations need who talked to whom, not the minute."""
DELIVERY_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
LOOKUP_ACTIONS = ("logs:DescribeLogGroups",)
"""Listed by the VPC guide's delivery role; it supports no resource-level permissions, hence `*`."""


@dataclass(frozen=True)
class FlowLogSpec:
    """Where the flow logs go and for how long, and what the delivery role carries."""

    environment: str
    account: AwsAccount
    retention_days: int
    permissions_boundary: str | None

    @classmethod
    def of(cls, settings: NetworkSettings, provider: aws.Provider) -> FlowLogSpec:
        account = AwsAccount.of(provider, settings.environment.region)
        return cls(
            environment=settings.environment.name,
            account=account,
            retention_days=settings.flow_log_retention_days,
            permissions_boundary=settings.boundary_arn(account),
        )


class VpcFlowLogs(pulumi.ComponentResource):
    """Flow logs of the whole VPC (traffic ALL) into an encrypted log group, through a delivery role."""

    def __init__(
        self, name: str, spec: FlowLogSpec, vpc_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("streaming:network:VpcFlowLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = spec.account
        namer = Namer(spec.environment, region=account.region)
        group_name = namer.log_group("vpc-flow-logs", namer.name("vpc"))

        self.key, _ = customer_managed_key(
            name,
            description=f"Encrypts the VPC flow logs of {spec.environment} ({group_name})",
            alias=namer.name("flow-logs"),
            source=namer.source,
            policy=log_groups_key_policy(account, [group_name]),
            opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=group_name,
            retention_in_days=spec.retention_days,
            kms_key_id=self.key.arn,
            opts=child,
        )
        self.role = aws.iam.Role(
            name,
            name=namer.name("vpc-flow-logs", kind=NameKind.IAM_ROLE),
            description="Delivers the VPC flow logs of the streaming pipeline to their log group",
            assume_role_policy=service_trust_policy(
                FLOW_LOGS_PRINCIPAL, source_conditions(account.account_id, account.arn("ec2", "vpc-flow-log/*"))
            ),
            permissions_boundary=spec.permissions_boundary,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            name,
            name=namer.name("vpc-flow-logs", kind=NameKind.IAM_POLICY),
            role=self.role.id,
            policy=self.log_group.arn.apply(delivery_policy),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            name,
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.log_group.arn,
            iam_role_arn=self.role.arn,
            max_aggregation_interval=AGGREGATION_SECONDS,
            tags={"Name": namer.name("vpc-flow-logs")},
            # EC2 checks that the role may deliver when it creates the flow log.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
        self.register_outputs({"log_group_name": self.log_group.name})


def delivery_policy(log_group_arn: str) -> str:
    group = log_group_arn.removesuffix(":*")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DeliverFlowLogs",
                    "Effect": "Allow",
                    "Action": sorted(DELIVERY_ACTIONS),
                    "Resource": [group, f"{group}:*"],
                },
                {"Sid": "FindTheLogGroup", "Effect": "Allow", "Action": list(LOOKUP_ACTIONS), "Resource": ["*"]},
            ],
        },
        indent=2,
    )
