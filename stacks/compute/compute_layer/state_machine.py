"""The Express state machine that runs transform, validate, enrich and archive for `ingest`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.naming import NameKind, Namer
from streaming_shared.provider import AwsAccount
from streaming_shared.roles import service_trust_policy, source_conditions

from . import iam
from .functions import FunctionRuntime
from .state_machine_definition import STEPS, definition

STATES_PRINCIPAL = "states.amazonaws.com"


def state_machine_name(environment: str, region: str, name: str) -> str:
    return Namer(environment, region=region).name(name, kind=NameKind.STATE_MACHINE)


def state_machine_log_group(environment: str, region: str, name: str) -> str:
    """`/aws/vendedlogs/` groups need no CloudWatch Logs resource policy per group; other names each
    add to the account's resource policy, which has a 5,120-character limit."""
    namer = Namer(environment, region=region)
    return namer.log_group("vendedlogs/states", state_machine_name(environment, region, name))


@dataclass(frozen=True)
class StateMachineLogging:
    """What the state machine logs: the level, and whether events carry the records (execution data)."""

    level: str
    execution_data: bool


class PipelineStateMachine(pulumi.ComponentResource):
    """An Express state machine with its own log group and a role that may invoke the four steps."""

    def __init__(
        self,
        name: str,
        runtime: FunctionRuntime,
        account: AwsAccount,
        logging: StateMachineLogging,
        *,
        function_arns: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:compute:PipelineStateMachine", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(runtime.environment, region=runtime.region)
        machine_name = state_machine_name(runtime.environment, runtime.region, name)
        arns = pulumi.Output.all(*(function_arns[step] for step in STEPS))

        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=state_machine_log_group(runtime.environment, runtime.region, name),
            retention_in_days=runtime.log_retention_days,
            kms_key_id=runtime.log_kms_key_arn,
            opts=child,
        )
        # The machine's ARN, built from its name: the trust policy must name it before it exists.
        machine_arn = account.arn("states", f"stateMachine:{machine_name}")
        self.role = aws.iam.Role(
            name,
            name=namer.name(name, "states", kind=NameKind.IAM_ROLE),
            description="Runs the streaming pipeline's Express state machine",
            assume_role_policy=service_trust_policy(
                STATES_PRINCIPAL, source_conditions(account.account_id, machine_arn)
            ),
            permissions_boundary=runtime.permissions_boundary,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            name,
            name=namer.name(name, "states", kind=NameKind.IAM_POLICY),
            role=self.role.id,
            policy=pulumi.Output.all(arns, self.log_group.arn).apply(
                lambda values: iam.document([iam.invoke_functions(values[0]), *iam.state_machine_logging(values[1])])
            ),
            opts=child,
        )
        self.state_machine = aws.sfn.StateMachine(
            name,
            name=machine_name,
            type="EXPRESS",
            role_arn=self.role.arn,
            definition=arns.apply(lambda values: json.dumps(definition(dict(zip(STEPS, values, strict=True))))),
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                # ERROR: the (far more numerous) successful runs cost nothing. With execution data a
                # failed batch's records are in the log, which only a disposable stack allows by default.
                level=logging.level,
                include_execution_data=logging.execution_data,
                log_destination=self.log_group.arn.apply(iam.log_streams),
            ),
            # Step Functions checks at creation that the role may deliver logs and invoke the steps.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
        self.register_outputs(
            {
                "state_machine_arn": self.state_machine.arn,
                "state_machine_name": self.state_machine.name,
                "log_group_name": self.log_group.name,
            }
        )
