"""Config keys of the network layer (`streaming-network:<key>`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from streaming_shared.catalogue import NETWORK
from streaming_shared.config import DISPOSABLE_RULE, LogRetention, log_retention, private_ipv4_network
from streaming_shared.errors import Problem
from streaming_shared.roles import RoleSettings

GATEWAY_SERVICES = ("s3", "dynamodb")
"""Reached through free gateway endpoints on the private route tables."""

DEFAULT_INTERFACE_ENDPOINTS = ("sync-states", "kinesis-streams")
"""`sync-states` serves the one Step Functions call the functions make (`ingest`'s
StartSyncExecution); Kinesis is for producers inside the VPC. The `states` endpoint (the
asynchronous Step Functions API) is left out: nothing in the VPC calls it, and each interface
endpoint costs about $7.30 a month per AZ. Add it to `interfaceEndpoints` if something does."""

INTERFACE_SERVICES = frozenset(
    {
        "athena",
        "cloudformation",
        "ec2",
        "ec2messages",
        "ecr.api",
        "ecr.dkr",
        "elasticloadbalancing",
        "events",
        "execute-api",
        "firehose",
        "glue",
        "kinesis-firehose",
        "kinesis-streams",
        "kms",
        "lambda",
        "logs",
        "monitoring",
        "secretsmanager",
        "sns",
        "sqs",
        "ssm",
        "ssmmessages",
        "states",
        "sts",
        "sync-states",
        "xray",
    }
)
"""Interface endpoint services this layer knows (`com.amazonaws.<region>.<service>`)."""


class NetworkSettings(RoleSettings):
    LAYER = NETWORK
    STACK_DEFAULTS: ClassVar[dict[str, str]] = {**RoleSettings.STACK_DEFAULTS, "flow_logs": "writes_flow_logs"}

    vpc_cidr: str = Field(
        "10.20.0.0/16",
        description="IPv4 CIDR of the VPC: RFC 1918 private space, /16 to /24, with room for "
        "`azCount` subnets of `subnetPrefixLength`.",
    )
    az_count: int = Field(
        2,
        ge=1,
        le=6,
        description="Availability zones to spread the private subnets over, taken in order from "
        "the zones the region offers; at most as many as it has.",
    )
    subnet_prefix_length: int = Field(
        20,
        ge=16,
        le=28,
        description="Prefix length of each private subnet, carved in order from `vpcCidr`. "
        "A /20 holds 4,091 addresses: Lambda takes one per function ENI.",
    )
    route_table_per_subnet: bool = Field(
        False,
        description="One private route table per subnet instead of one shared by all. Without "
        "NAT the routes are identical; per-subnet tables only matter if you add per-AZ routes.",
    )
    interface_endpoints: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INTERFACE_ENDPOINTS),
        description="Services reachable from the private subnets through interface endpoints "
        f"(private DNS on). Known: {', '.join(sorted(INTERFACE_SERVICES))}. "
        "S3 and DynamoDB always have gateway endpoints.",
    )

    flow_logs: bool | None = Field(
        None,
        description="VPC flow logs of every network interface (traffic ALL) to a CloudWatch Logs group "
        "encrypted with this layer's own KMS key. Unset: on for every stack that is not disposable, off "
        f"for {DISPOSABLE_RULE}. Billed per GB ingested as vended logs, plus the key ($1 a month).",
    )
    flow_log_retention_days: LogRetention = Field(
        90,
        description="Days CloudWatch keeps the flow logs. They hold addresses, ports and byte counts, "
        "never record contents.",
    )

    @field_validator("flow_log_retention_days", mode="before")
    @classmethod
    def _retention_is_one_cloudwatch_accepts(cls, value: Any) -> Any:
        return log_retention(value)

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr_is_private(cls, value: str) -> str:
        network = private_ipv4_network(value)
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"has prefix /{network.prefixlen}, but a VPC CIDR must be /16 to /24")
        return value

    @field_validator("interface_endpoints")
    @classmethod
    def _interface_endpoints_are_known(cls, services: list[str]) -> list[str]:
        for service in services:
            if service in GATEWAY_SERVICES:
                raise ValueError(f"{service!r} already has a free gateway endpoint; remove it from the list")
            if service not in INTERFACE_SERVICES:
                raise ValueError(
                    f"{service!r} is not a known interface endpoint service; known services are: "
                    f"{', '.join(sorted(INTERFACE_SERVICES))}"
                )
        if len(set(services)) != len(services):
            raise ValueError("lists a service more than once")
        return services

    @property
    def writes_flow_logs(self) -> bool:
        return not self.environment.is_disposable if self.flow_logs is None else self.flow_logs

    def check(self) -> list[Problem]:
        vpc = private_ipv4_network(self.vpc_cidr)
        if self.subnet_prefix_length < vpc.prefixlen:
            return [self.problem("subnet_prefix_length", f"a subnet cannot be larger than the VPC ({self.vpc_cidr})")]
        room = 2 ** (self.subnet_prefix_length - vpc.prefixlen)
        if room < self.az_count:
            return [
                self.problem(
                    "vpc_cidr",
                    f"is too small: it holds {room} subnet(s) of /{self.subnet_prefix_length} but "
                    f"azCount asks for {self.az_count}; use a larger VPC or a longer subnetPrefixLength",
                )
            ]
        return []
