"""The Express state machine that runs transform, validate, enrich and archive for `ingest`."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from streaming_shared.naming import NameKind, Namer

from . import iam
from .state_machine import STEPS, definition


class PipelineStateMachine(pulumi.ComponentResource):
    """An Express state machine with its own log group and a role that may invoke the four steps."""

    def __init__(
        self,
        name: str,
        environment: str,
        *,
        region: str,
        function_arns: Mapping[str, pulumi.Input[str]],
        log_level: str,
        log_retention_days: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:compute:PipelineStateMachine", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(environment, region=region)
        machine_name = namer.name(name, kind=NameKind.STATE_MACHINE)
        arns = pulumi.Output.all(*(function_arns[step] for step in STEPS))

        # `/aws/vendedlogs/` groups need no CloudWatch Logs resource policy per group; other names
        # each add to the account's resource policy, which has a 5,120-character limit.
        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=namer.log_group("vendedlogs/states", machine_name),
            retention_in_days=log_retention_days,
            opts=child,
        )
        self.role = aws.iam.Role(
            name,
            name=namer.name(name, "states", kind=NameKind.IAM_ROLE),
            description="Runs the streaming pipeline's Express state machine",
            assume_role_policy=iam.assume_role_policy("states.amazonaws.com"),
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
                # ERROR with execution data: a failed batch's input is in the log, while the
                # (far more numerous) successful runs cost nothing. ALL logs every step.
                level=log_level,
                include_execution_data=True,
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
