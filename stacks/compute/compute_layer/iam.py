"""IAM policy documents of the compute layer, as plain dicts from resolved ARNs.

Every statement names exact actions on exact resources. The one exception is the log-delivery
statement of the state machine (`STATE_MACHINE_LOG_DELIVERY_ACTIONS`): Step Functions sets up
its CloudWatch Logs delivery with the execution role's permissions, and those CloudWatch Logs
actions do not support resource-level permissions, so AWS documents them with `"Resource": "*"`.
No other statement in this layer has a `*` resource, and none has a `*` action.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

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
ARCHIVE_PREFIXES = ("archive", "quarantine")
STAGING_PREFIX = "staging"
"""Where large records wait while they travel by reference (claim check); see pipeline_core.claimcheck."""
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


def statement(sid: str, actions: Iterable[str], resources: Sequence[str]) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}


def document(statements: Iterable[Statement]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)}, indent=2)


def assume_role_policy(service: str) -> str:
    """Trust policy letting one AWS service principal (`lambda.amazonaws.com`...) assume the role."""
    return json.dumps(
        {
            "Version": VERSION,
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        },
        indent=2,
    )


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


def archive_key_use(stage: str, key_arn: str) -> Statement:
    """SSE-KMS with the bucket's customer-managed key: writing an object needs a data key, reading one
    needs Decrypt; each stage gets what its staging (and archive's final) objects need."""
    actions = set()
    if "s3:PutObject" in STAGING_ACTIONS[stage] or stage == "archive":
        actions.add("kms:GenerateDataKey")
    if "s3:GetObject" in STAGING_ACTIONS[stage]:
        actions.add("kms:Decrypt")
    return statement("UseArchiveKey", actions, [key_arn])


def start_sync_execution(state_machine_arn: str) -> Statement:
    return statement("RunPipelineStateMachine", START_SYNC_ACTIONS, [state_machine_arn])


def archive_writes(bucket_arn: str) -> Statement:
    return statement(
        "WriteArchiveAndQuarantine", ARCHIVE_WRITE_ACTIONS, [f"{bucket_arn}/{prefix}/*" for prefix in ARCHIVE_PREFIXES]
    )


def archive_listing(bucket_arn: str) -> Statement:
    return statement("TellMissingArchiveObjects", ARCHIVE_LIST_ACTIONS, [bucket_arn])


def kms_key_use(sid: str, action: str, key_arn: str) -> Statement:
    return statement(sid, [action], [key_arn])


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
