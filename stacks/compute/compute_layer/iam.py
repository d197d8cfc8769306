"""IAM policy documents of the compute layer, as plain dicts from resolved ARNs.

Every statement names exact actions on exact resources, except two, whose actions support no
resource-level permissions, so AWS documents them with `"Resource": "*"`: the log-delivery
statement of the state machine (`STATE_MACHINE_LOG_DELIVERY_ACTIONS`: Step Functions sets up its
CloudWatch Logs delivery with the execution role's permissions) and the two describe calls Lambda
makes for a function's network interfaces (`NETWORK_INTERFACE_LOOKUP_ACTIONS`). None has a `*`
action. A KMS statement for a call that reaches KMS through another service carries
`kms:ViaService`, so the grant is useless outside that service.

The VPC endpoint policies are resource policies of the network layer's endpoints, written here
because this layer knows the resources they may reach (`endpoint_policy`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from streaming_shared.record_store import ARCHIVE_PREFIX, QUARANTINE_PREFIX, STAGING_PREFIX

Statement = dict[str, Any]

VERSION = "2012-10-17"

LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
TABLE_WRITE_ACTIONS = ("dynamodb:BatchWriteItem",)
"""archive: the final state of every record, 25 items a request."""
TABLE_CHECK_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:PutItem")
"""ingest: one read of a batch's states, and the conditional FAILED writes."""
START_SYNC_ACTIONS = ("states:StartSyncExecution",)
ARCHIVE_WRITE_ACTIONS = ("s3:GetObject", "s3:PutObject")
"""archive writes each chunk's objects, and reads one back only to rewrite it for a redelivery."""
ARCHIVE_LIST_ACTIONS = ("s3:ListBucket",)
"""archive: S3 says that a key is missing (404 NoSuchKey) only to a role that may list the bucket, and
answers 403 AccessDenied otherwise; a rewrite must tell an object that is gone (an operator deleted
it) from a read it may not make."""
STAGING_ACTIONS: dict[str, tuple[str, ...]] = {
    "ingest": ("s3:PutObject",),
    "transform": ("s3:GetObject", "s3:PutObject"),
    "validate": ("s3:GetObject",),
    "enrich": ("s3:GetObject", "s3:PutObject"),
    "archive": ("s3:DeleteObject", "s3:GetObject"),
}
"""What each stage does with a staged record: ingest stores it, transform and enrich read and rewrite
it, validate reads it, archive reads it into the final object and deletes it."""
STREAM_READ_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)
FAILURE_SEND_ACTIONS = ("sqs:SendMessage",)
INVOKE_ACTIONS = ("lambda:InvokeFunction",)
NETWORK_INTERFACE_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:UnassignPrivateIpAddresses",
)
NETWORK_INTERFACE_LOOKUP_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
"""With NETWORK_INTERFACE_ACTIONS, what the Lambda developer guide lists for a VPC function's execution
role ("Configuring a Lambda function to access resources in a VPC"), which Lambda uses to create and
delete the function's network interfaces. AWSLambdaENIManagementAccess lacks DescribeSubnets."""
REPLAY_ACTIONS: dict[str, tuple[str, ...]] = {
    "queue": ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"),
    "stream": ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:PutRecords"),
    "table": ("dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"),
}
"""Every call the replay tool (tools/replay_failures.py) makes, by the resource it makes it on."""
STREAM_KEY_REPLAY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""Reading records of a stream under a customer-managed key needs Decrypt; putting them back needs a data key."""
KINESIS_PRODUCER_ACTIONS = (
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
)
"""What a producer inside the VPC does with the stream (the `kinesis-streams` endpoint's reason to exist)."""
STATE_MACHINE_ACTIONS = (
    "states:DescribeExecution",
    "states:DescribeStateMachine",
    "states:StartExecution",
    "states:StopExecution",
)
"""What a caller of the asynchronous Step Functions API (the `states` endpoint, when listed) may do with
the state machine; the pipeline itself calls only StartSyncExecution."""
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""What a caller inside the VPC may ask of the stack's keys through a `kms` endpoint, when listed."""
STATE_MACHINE_LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)


def statement(
    sid: str, actions: Iterable[str], resources: Sequence[str], condition: Mapping[str, Any] | None = None
) -> Statement:
    found: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
    if condition:
        found["Condition"] = dict(condition)
    return found


def document(statements: Iterable[Statement]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)}, indent=2)


def via(service: str, region: str) -> dict[str, Any]:
    """The condition that a KMS request comes through `service` (`s3`, `kinesis`) in `region`."""
    return {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}}


def log_streams(log_group_arn: str) -> str:
    """The streams of one log group (the provider's log group ARN has no `:*` suffix)."""
    return f"{log_group_arn.removesuffix(':*')}:*"


def own_log_group(log_group_arn: str) -> Statement:
    return statement("WriteOwnLogGroup", LOG_WRITE_ACTIONS, [log_streams(log_group_arn)])


def table_writes(table_arn: str) -> Statement:
    return statement("WriteStateItems", TABLE_WRITE_ACTIONS, [table_arn])


def table_checks(table_arn: str) -> Statement:
    return statement("ReadStatesAndMarkFailures", TABLE_CHECK_ACTIONS, [table_arn])


def staging_access(stage: str, bucket_arn: str) -> Statement:
    return statement("UseStagedRecords", STAGING_ACTIONS[stage], [f"{bucket_arn}/{STAGING_PREFIX}/*"])


def archive_key_use(stage: str, key_arn: str, region: str) -> Statement:
    """SSE-KMS with the bucket's customer-managed key: writing an object needs a data key, reading one
    needs Decrypt; each stage gets what its staging (and archive's final) objects need, through S3 only."""
    actions = set()
    if "s3:PutObject" in STAGING_ACTIONS[stage] or stage == "archive":
        actions.add("kms:GenerateDataKey")
    if "s3:GetObject" in STAGING_ACTIONS[stage]:
        actions.add("kms:Decrypt")
    return statement("UseArchiveKey", actions, [key_arn], via("s3", region))


def start_sync_execution(state_machine_arn: str) -> Statement:
    return statement("RunPipelineStateMachine", START_SYNC_ACTIONS, [state_machine_arn])


def archive_writes(bucket_arn: str) -> Statement:
    return statement(
        "WriteArchiveAndQuarantine",
        ARCHIVE_WRITE_ACTIONS,
        [f"{bucket_arn}/{prefix}/*" for prefix in (ARCHIVE_PREFIX, QUARANTINE_PREFIX)],
    )


def archive_listing(bucket_arn: str) -> Statement:
    return statement("TellMissingArchiveObjects", ARCHIVE_LIST_ACTIONS, [bucket_arn])


def stream_key_decrypt(key_arn: str, region: str) -> Statement:
    """The event source mapping reads the stream with the function's role; Kinesis decrypts for it."""
    return statement("DecryptStream", ["kms:Decrypt"], [key_arn], via("kinesis", region))


def network_interfaces(
    partition: str, region: str, account_id: str, subnet_ids: Sequence[str], group_id: str
) -> list[Statement]:
    """Lambda creates and deletes the function's network interfaces in the private subnets, with the
    Lambda security group, and looks them up (the describe calls accept no resource)."""
    ec2 = f"arn:{partition}:ec2:{region}:{account_id}"
    return [
        statement(
            "ManageFunctionNetworkInterfaces",
            NETWORK_INTERFACE_ACTIONS,
            [
                f"{ec2}:network-interface/*",
                *(f"{ec2}:subnet/{subnet}" for subnet in subnet_ids),
                f"{ec2}:security-group/{group_id}",
            ],
        ),
        statement("FindFunctionNetworkInterfaces", NETWORK_INTERFACE_LOOKUP_ACTIONS, ["*"]),
    ]


def stream_reads(stream_arn: str) -> Statement:
    return statement("ReadStream", STREAM_READ_ACTIONS, [stream_arn])


def failure_sends(queue_arn: str) -> Statement:
    return statement("SendFailedBatchesToDeadLetterQueue", FAILURE_SEND_ACTIONS, [queue_arn])


def invoke_functions(function_arns: Sequence[str]) -> Statement:
    return statement("InvokePipelineStages", INVOKE_ACTIONS, list(function_arns))


def state_machine_logging(log_group_arn: str) -> list[Statement]:
    return [
        statement("ManageLogDelivery", STATE_MACHINE_LOG_DELIVERY_ACTIONS, ["*"]),
        statement("WriteOwnLogGroup", LOG_WRITE_ACTIONS, [log_streams(log_group_arn)]),
    ]


def replay_grants(
    queue_arn: str, stream_arn: str, table_arn: str, stream_key_arn: str | None, region: str
) -> list[Statement]:
    """What the replay tool may do: read and delete the failure queue's messages, read the failed
    records from the stream and put them back, and look up and mark their state items."""
    grants = [
        statement("ReadFailureMessages", REPLAY_ACTIONS["queue"], [queue_arn]),
        statement("RereadAndPutBackRecords", REPLAY_ACTIONS["stream"], [stream_arn]),
        statement("CheckAndMarkStateItems", REPLAY_ACTIONS["table"], [table_arn]),
    ]
    if stream_key_arn:
        grants.append(
            statement("UseStreamKeyThroughKinesis", STREAM_KEY_REPLAY_ACTIONS, [stream_key_arn], via("kinesis", region))
        )
    return grants


def account_root_trust(partition: str, account_id: str) -> str:
    """A role that principals of this account may assume when their own IAM policy allows
    `sts:AssumeRole` on it: the account's IAM decides who, the role decides what."""
    return json.dumps(
        {
            "Version": VERSION,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        indent=2,
    )


def deny_insecure_transport(queue_arn: str) -> str:
    """A queue policy refusing every request not made over TLS, as the archive bucket's and the alarm
    topic's policies do."""
    return json.dumps(
        {
            "Version": VERSION,
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        indent=2,
    )


@dataclass(frozen=True)
class EndpointTargets:
    """This stack's resources, which the VPC endpoints may reach (resolved ARNs)."""

    bucket_arn: str
    table_arn: str
    stream_arn: str
    state_machine_arn: str
    queue_arn: str
    key_arns: tuple[str, ...]
    """The customer-managed keys of the stack's data and logs (none with AWS-managed encryption)."""

    def grants(self, service: str) -> tuple[Sequence[str], Sequence[str]] | None:
        """(actions, resources) an endpoint of `service` allows, or None for a service the pipeline
        does not use (its endpoint is then limited to the account only)."""
        machine = self.state_machine_arn
        executions = [machine.replace(":stateMachine:", kind) + ":*" for kind in (":execution:", ":express:")]
        table = {
            "s3": (
                sorted(
                    {
                        *ARCHIVE_WRITE_ACTIONS,
                        *ARCHIVE_LIST_ACTIONS,
                        *(a for acts in STAGING_ACTIONS.values() for a in acts),
                    }
                ),
                [self.bucket_arn, f"{self.bucket_arn}/*"],
            ),
            "dynamodb": (sorted({*TABLE_CHECK_ACTIONS, *TABLE_WRITE_ACTIONS}), [self.table_arn]),
            "sync-states": (START_SYNC_ACTIONS, [machine]),
            "states": (STATE_MACHINE_ACTIONS, [machine, *executions]),
            "kinesis-streams": (KINESIS_PRODUCER_ACTIONS, [self.stream_arn]),
            "sqs": (sorted({*REPLAY_ACTIONS["queue"], *FAILURE_SEND_ACTIONS}), [self.queue_arn]),
        }
        if self.key_arns:
            table["kms"] = (KEY_ACTIONS, list(self.key_arns))
        return table.get(service)


def endpoint_policy(service: str, account_id: str, targets: EndpointTargets) -> str:
    """The policy of this VPC's endpoint for `service`: principals of this account only, on resources of
    this account only, and for the pipeline's own services, only this stack's resources and the calls
    made on them. Anything else through the endpoint (another account's bucket, say) is refused."""
    within_account = {"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}}
    grants = targets.grants(service)
    if grants is None:
        found: Statement = {"Sid": "OnlyThisAccount", "Effect": "Allow", "Action": "*", "Resource": "*"}
    else:
        actions, resources = grants
        found = {"Sid": "OnlyThisStack", "Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
    found.update(Principal="*", Condition=within_account)
    return document([found])
