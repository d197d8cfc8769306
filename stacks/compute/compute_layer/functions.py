"""The Lambda functions: one dependency layer they share, and one component per stage.

Each stage gets its own role (its own inline policy, nothing shared, with the network-interface
permissions a VPC function needs) and a log group that exists before the function does: a function
that runs before its group exists makes Lambda create an unmanaged one, and the stack then fails
to create the group it declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from streaming_shared.catalogue import STAGES
from streaming_shared.naming import NameKind, Namer
from streaming_shared.provider import AwsAccount
from streaming_shared.roles import service_trust_policy
from streaming_shared.upstream import Upstream

from . import iam
from .packaging import HANDLER, build_dependency_layer, requirement_pins
from .settings import ComputeSettings
from .stages import common_environment


def function_log_group(environment: str, region: str, stage: str) -> str:
    """`/aws/lambda/<function name>`: the group a stage's function logs to."""
    namer = Namer(environment, region=region)
    return namer.log_group("lambda", namer.name(stage, kind=NameKind.LAMBDA_FUNCTION))


def function_log_groups(environment: str, region: str) -> list[str]:
    return [function_log_group(environment, region, stage) for stage in STAGES]


@dataclass(frozen=True)
class FunctionPlacement:
    """Where every function runs: the network layer's private subnets and Lambda security group."""

    subnet_ids: pulumi.Output[list[str]]
    security_group_id: pulumi.Output[str]
    account: AwsAccount
    """Where Lambda creates the functions' network interfaces (their ARNs in the role's policy)."""

    @classmethod
    def read(cls, network: Upstream, account: AwsAccount) -> FunctionPlacement:
        return cls(network.require("private_subnet_ids"), network.require("lambda_security_group_id"), account)

    def network_interface_statements(self) -> pulumi.Output[list[iam.Statement]]:
        account = self.account
        return pulumi.Output.all(self.subnet_ids, self.security_group_id).apply(
            lambda values: iam.network_interfaces(
                account.partition, account.region, account.account_id, values[0], values[1]
            )
        )


@dataclass(frozen=True)
class FunctionRuntime:
    """What every stage's function shares: runtime, architecture, logging, environment and region."""

    environment: str
    region: str
    """Part of the account-wide IAM role names, so two regions of one account never collide."""
    runtime: str
    architecture: str
    log_level: str
    """Powertools' level (`POWERTOOLS_LOG_LEVEL`)."""
    application_log_level: str
    """The same level as Lambda's log filter spells it."""
    log_retention_days: int
    log_kms_key_arn: pulumi.Output[str] | None
    """The customer-managed key of the log groups, or None for CloudWatch Logs' own encryption."""
    permissions_boundary: str | None
    """The boundary policy ARN every role gets, or None."""

    @classmethod
    def of(
        cls, settings: ComputeSettings, account: AwsAccount, log_kms_key_arn: pulumi.Output[str] | None
    ) -> FunctionRuntime:
        return cls(
            environment=settings.environment.name,
            region=settings.environment.region,
            runtime=settings.runtime,
            architecture=settings.architecture,
            log_level=settings.log_level,
            application_log_level=settings.application_log_level,
            log_retention_days=settings.log_retention_days,
            log_kms_key_arn=log_kms_key_arn,
            permissions_boundary=settings.boundary_arn(account),
        )


@dataclass(frozen=True)
class StageSize:
    """One stage's memory, timeout and reserved concurrency (None: unreserved)."""

    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int | None = None

    @classmethod
    def of(cls, settings: ComputeSettings, stage: str) -> StageSize:
        return cls(
            memory_mb=settings.memory_mb[stage],
            timeout_seconds=settings.timeout_seconds[stage],
            reserved_concurrency=settings.reserved_concurrency.get(stage),
        )


class DependencyLayer(pulumi.ComponentResource):
    """One Lambda layer version with the functions' third-party packages, built by pip.

    Bundled rather than the AWS-published Powertools layer: the published layer's ARN exists
    only in real AWS accounts, and the `local` stack's emulator rejects layer ARNs it does not hold.
    """

    def __init__(
        self,
        name: str,
        runtime: FunctionRuntime,
        *,
        requirements: Path,
        build_dir: Path,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:compute:DependencyLayer", name, None, opts)
        archive = build_dependency_layer(requirements, build_dir, runtime.runtime, runtime.architecture)
        namer = Namer(runtime.environment)
        pins = ", ".join(requirement_pins(requirements))
        self.version = aws.lambda_.LayerVersion(
            name,
            layer_name=namer.name(name),
            code=pulumi.FileArchive(str(archive)),
            compatible_runtimes=[runtime.runtime],
            compatible_architectures=[runtime.architecture],
            description=f"Third-party packages of the pipeline functions: {pins}"[:256],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"arn": self.version.arn})


class StageFunction(pulumi.ComponentResource):
    """One pipeline stage: role, least-privilege inline policy, log group, function."""

    def __init__(
        self,
        stage: str,
        runtime: FunctionRuntime,
        size: StageSize,
        *,
        code: pulumi.Archive,
        layer_arn: pulumi.Input[str],
        placement: FunctionPlacement,
        environment: Mapping[str, pulumi.Input[str]],
        statements: pulumi.Input[list[iam.Statement]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:compute:StageFunction", stage, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(runtime.environment, region=runtime.region)
        self.stage = stage
        self.region = runtime.region
        function_name = namer.name(stage, kind=NameKind.LAMBDA_FUNCTION)

        self.log_group = aws.cloudwatch.LogGroup(
            stage,
            name=function_log_group(runtime.environment, runtime.region, stage),
            retention_in_days=runtime.log_retention_days,
            kms_key_id=runtime.log_kms_key_arn,
            opts=child,
        )
        self.role = aws.iam.Role(
            stage,
            name=namer.name(stage, "function", kind=NameKind.IAM_ROLE),
            description=f"Runs the {stage} stage of the streaming pipeline",
            assume_role_policy=service_trust_policy("lambda.amazonaws.com"),
            permissions_boundary=runtime.permissions_boundary,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            stage,
            name=namer.name(stage, "runtime", kind=NameKind.IAM_POLICY),
            role=self.role.id,
            policy=pulumi.Output.all(self.log_group.arn, placement.network_interface_statements(), statements).apply(
                lambda values: iam.document([iam.own_log_group(values[0]), *values[1], *values[2]])
            ),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            stage,
            name=function_name,
            description=f"Streaming pipeline: the {stage} stage",
            role=self.role.arn,
            runtime=runtime.runtime,
            architectures=[runtime.architecture],
            handler=HANDLER,
            code=code,
            layers=[layer_arn],
            memory_size=size.memory_mb,
            timeout=size.timeout_seconds,
            reserved_concurrent_executions=size.reserved_concurrency,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={**common_environment(stage, runtime.environment, runtime.log_level), **environment}
            ),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=placement.subnet_ids,
                security_group_ids=[placement.security_group_id],
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                # JSON: Powertools already writes JSON lines, and Lambda's own START/END/REPORT
                # lines become JSON too, so one Logs Insights query reads both.
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level=runtime.application_log_level,
                system_log_level="INFO",
            ),
            # Lambda checks the role's network-interface permissions when it creates a VPC
            # function; Pulumi cannot see that the policy must come first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.policy]),
        )
        self.register_outputs(
            {
                "function_name": self.function.name,
                "function_arn": self.function.arn,
                "role_arn": self.role.arn,
                "log_group_name": self.log_group.name,
            }
        )
