"""The Lambda functions: one dependency layer they share, and one component per stage.

Each stage gets its own role (its own inline policy, nothing shared), the AWS-managed policy for
VPC network interfaces, and a log group that exists before the function does: a function that
runs before its group exists makes Lambda create an unmanaged one, and the stack then fails to
create the group it declares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from streaming_shared.catalogue import PRODUCT
from streaming_shared.naming import NameKind, Namer

from . import iam
from .packaging import HANDLER, build_dependency_layer, requirement_pins
from .settings import ComputeSettings

ENI_MANAGED_POLICY = "service-role/AWSLambdaENIManagementAccess"
"""Create, describe and delete the function's network interfaces: exactly what a VPC function
needs. AWSLambdaVPCAccessExecutionRole would add logs actions on every log group."""
METRICS_NAMESPACE = "StreamingPipeline"


@dataclass(frozen=True)
class FunctionPlacement:
    """Where every function runs: the network layer's private subnets and Lambda security group."""

    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    partition: str
    """The AWS partition (`aws`, `aws-cn`...) of the managed policy ARN."""


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

    @classmethod
    def of(cls, settings: ComputeSettings) -> FunctionRuntime:
        return cls(
            environment=settings.environment.name,
            region=settings.environment.region,
            runtime=settings.runtime,
            architecture=settings.architecture,
            log_level=settings.log_level,
            application_log_level=settings.application_log_level,
            log_retention_days=settings.log_retention_days,
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
        function_name = namer.name(stage, kind=NameKind.LAMBDA_FUNCTION)

        self.log_group = aws.cloudwatch.LogGroup(
            stage,
            name=namer.log_group("lambda", function_name),
            retention_in_days=runtime.log_retention_days,
            opts=child,
        )
        self.role = aws.iam.Role(
            stage,
            name=namer.name(stage, "function", kind=NameKind.IAM_ROLE),
            description=f"Runs the {stage} stage of the streaming pipeline",
            assume_role_policy=iam.assume_role_policy("lambda.amazonaws.com"),
            opts=child,
        )
        self.network_interfaces = aws.iam.RolePolicyAttachment(
            f"{stage}-network-interfaces",
            role=self.role.name,
            policy_arn=f"arn:{placement.partition}:iam::aws:policy/{ENI_MANAGED_POLICY}",
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            stage,
            name=namer.name(stage, "runtime", kind=NameKind.IAM_POLICY),
            role=self.role.id,
            policy=pulumi.Output.all(self.log_group.arn, statements).apply(
                lambda values: iam.document([iam.own_log_group(values[0]), *values[1]])
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
                variables={**common_environment(stage, runtime), **environment}
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
            # function; Pulumi cannot see that the attachment and the policy must come first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.network_interfaces, self.policy]),
        )
        self.register_outputs(
            {
                "function_name": self.function.name,
                "function_arn": self.function.arn,
                "role_arn": self.role.arn,
                "log_group_name": self.log_group.name,
            }
        )


def common_environment(stage: str, runtime: FunctionRuntime) -> dict[str, str]:
    """The variables every function gets (the contract between infrastructure and data plane)."""
    return {
        "STAGE": stage,
        "ENVIRONMENT": runtime.environment,
        "POWERTOOLS_SERVICE_NAME": PRODUCT,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": runtime.log_level,
    }
