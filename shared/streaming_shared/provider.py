"""The one AWS provider a layer uses: its region, default tags and, in local mode, the emulator.

Tags are applied through the provider's `default_tags`, so no resource repeats them. In local
mode every service the layers use is pointed at the emulator and the provider skips the
credential, account and metadata checks that would otherwise reach real AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .catalogue import PRODUCT
from .config import LayerSettings

EMULATOR_SERVICES: tuple[str, ...] = (
    "cloudwatch",
    "dynamodb",
    "ec2",
    "iam",
    "kinesis",
    "kms",
    "lambda_",
    "logs",
    "s3",
    "sfn",
    "sns",
    "sqs",
    "sts",
)
"""pulumi-aws endpoint keys of every AWS service the four layers call (`lambda_` is Lambda)."""

EMULATOR_ACCESS_KEY = "test"
"""Emulators accept any key; this one never matches a real AWS key."""


def default_tags(settings: LayerSettings) -> dict[str, str]:
    env = settings.environment
    return {
        **settings.tags,
        "Environment": env.name,
        "Project": PRODUCT,
        "ManagedBy": "pulumi",
        "Layer": env.layer.name,
    }


def aws_provider(settings: LayerSettings) -> aws.Provider:
    """The explicit provider for every AWS resource of the layer (default providers are off)."""
    env = settings.environment
    common: dict[str, Any] = {
        "region": env.region,
        "default_tags": aws.ProviderDefaultTagsArgs(tags=default_tags(settings)),
    }
    if settings.emulator:
        common.update(
            access_key=EMULATOR_ACCESS_KEY,
            secret_key=EMULATOR_ACCESS_KEY,
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            skip_metadata_api_check=True,
            skip_region_validation=True,
            s3_use_path_style=True,
            endpoints=[aws.ProviderEndpointArgs(**dict.fromkeys(EMULATOR_SERVICES, settings.emulator))],
        )
    return aws.Provider(f"aws-{env.region}", **common)


def layer_options(provider: aws.Provider) -> pulumi.ResourceOptions:
    """Options for a layer's top-level components: their children use `provider`."""
    return pulumi.ResourceOptions(providers={"aws": provider})


@dataclass(frozen=True)
class AwsAccount:
    """The account, partition and region a stack deploys into: for ARNs and policies built from
    names, before (or without) the resources they name."""

    account_id: str
    partition: str
    region: str

    @classmethod
    def of(cls, provider: aws.Provider, region: str) -> AwsAccount:
        invoke = pulumi.InvokeOptions(provider=provider)
        return cls(
            account_id=aws.get_caller_identity(opts=invoke).account_id,
            partition=aws.get_partition(opts=invoke).partition,
            region=region,
        )

    def arn(self, service: str, resource: str) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` (IAM ARNs have no region)."""
        region = "" if service == "iam" else self.region
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"
