"""boto3 clients, built the default way so that `AWS_ENDPOINT_URL` points them at an emulator.

One client per service per process, created on first use and reused across invocations.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .model import dumps

EXPRESS_MAX_SECONDS = 300
"""Express stops every execution after 5 minutes; StartSyncExecution holds the connection meanwhile."""
SYNC_EXECUTION_READ_TIMEOUT_SECONDS = EXPRESS_MAX_SECONDS + 30


def emulated() -> bool:
    return any(name.startswith("AWS_ENDPOINT_URL") for name in os.environ)


PREBUILT_BODY_OPERATIONS = frozenset({"BatchWriteItem", "BatchGetItem", "PutItem"})
"""DynamoDB operations whose JSON body the functions encode themselves (with orjson).

botocore's JSON serializer walks every attribute value of every item against the API model (a
third of archive's CPU per record); for these requests, built by our code from strings only, its
output is exactly the JSON encoding of the parameters. So, through botocore's public events: the
parameters are encoded and set aside before serialization (`before-parameter-build`, after every
other handler: the tests count items there), botocore serializes what endpoint resolution reads
of them (the table names, with no item), and the encoded parameters become the body before the
request is signed (`before-call`)."""


def _set_body_aside(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    if model.name in PREBUILT_BODY_OPERATIONS and params:
        context["pipeline_body"] = dumps(params)
        names = {name: type(value)() for name, value in params.get("RequestItems", {}).items()}
        table = params.get("TableName")
        params.clear()
        if names:
            params["RequestItems"] = names
        if table is not None:
            params["TableName"] = table


def _restore_body(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    body = context.pop("pipeline_body", None)
    if body is not None:
        params["body"] = body


@functools.cache
def client(service: str) -> Any:
    # Every request the functions send is built by their own code from values it made itself, so
    # botocore's client-side parameter validation (a walk of every request against the API model,
    # a large part of the CPU of a 25-item BatchWriteItem) only repeats what the tests prove.
    options: dict[str, Any] = {"retries": {"mode": "standard"}, "connect_timeout": 5, "parameter_validation": False}
    if service == "stepfunctions":
        options["read_timeout"] = SYNC_EXECUTION_READ_TIMEOUT_SECONDS
        # One attempt per StartSyncExecution: a retry after a dropped connection would start the whole
        # execution again, up to 300 s more, past ingest's timeout. ingest's own loop decides instead
        # (the chunk's records go back to Kinesis, which delivers them again).
        options["retries"] = {"mode": "standard", "total_max_attempts": 1}
    if service == "dynamodb":
        # The regional endpoint serves every account; choosing an account-based one means resolving
        # the account from the credentials on every request (about 5% of a BatchWriteItem's CPU).
        options["account_id_endpoint_mode"] = "disabled"
    if service == "s3":
        # No CRC32 of every body the API does not ask for: the archive objects are small, and TLS
        # already protects them in transit.
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    if emulated():
        # StartSyncExecution is sent to `sync-states.<region>...` through a host prefix; prefixed to
        # an emulator's address it gives `sync-127.0.0.1`, which does not resolve.
        options["inject_host_prefix"] = False
    made = boto3.client(service, config=Config(**options))
    if service == "dynamodb":
        made.meta.events.register_last("before-parameter-build.dynamodb", _set_body_aside)
        made.meta.events.register_last("before-call.dynamodb", _restore_body)
    return made


INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError, MemoryError)
"""Failures of a call or of the function itself, never of a record's content: they fail the execution
(Kinesis retries), where any other exception met while processing one record quarantines that record."""
