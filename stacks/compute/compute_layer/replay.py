"""The role the failed-records replay tool runs with (`nox -s replay-failures`, tools/replay_failures.py).

An operator's own credentials need not reach the queue, the stream and the table: the operator
assumes this role, which may make exactly the tool's calls on exactly this stack's resources
(`iam.REPLAY_ACTIONS`; docs/runbooks/dlq-redrive.md lists them). Principals of the account may
assume it when their own IAM policy allows `sts:AssumeRole` on it, so the account decides who.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from streaming_shared.naming import NameKind, Namer
from streaming_shared.provider import AwsAccount

from . import iam
from .functions import FunctionRuntime

SESSION_SECONDS = 3600
"""An hour: a replay reads and puts back at most what the queue holds, in minutes."""


class ReplayRole(pulumi.ComponentResource):
    """The replay tool's role and its one inline policy."""

    def __init__(
        self,
        name: str,
        runtime: FunctionRuntime,
        account: AwsAccount,
        *,
        queue_arn: pulumi.Input[str],
        stream_arn: pulumi.Input[str],
        table_arn: pulumi.Input[str],
        stream_kms_key_arn: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:compute:ReplayRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(runtime.environment, region=runtime.region)
        self.role = aws.iam.Role(
            name,
            name=namer.name(name, "operator", kind=NameKind.IAM_ROLE),
            description="Replays the records of the streaming pipeline's failure queue (docs/runbooks/dlq-redrive.md)",
            assume_role_policy=iam.account_root_trust(account.partition, account.account_id),
            max_session_duration=SESSION_SECONDS,
            permissions_boundary=runtime.permissions_boundary,
            opts=child,
        )
        aws.iam.RolePolicy(
            name,
            name=namer.name(name, "operator", kind=NameKind.IAM_POLICY),
            role=self.role.id,
            policy=pulumi.Output.all(queue_arn, stream_arn, table_arn, stream_kms_key_arn).apply(
                lambda values: iam.document(
                    iam.replay_grants(values[0], values[1], values[2], values[3], runtime.region)
                )
            ),
            opts=child,
        )
        self.register_outputs({"role_arn": self.role.arn})
