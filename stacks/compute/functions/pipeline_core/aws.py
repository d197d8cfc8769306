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

SYNC_EXECUTION_READ_TIMEOUT_SECONDS = 330
"""An Express execution runs up to 5 minutes, and StartSyncExecution holds the connection meanwhile."""


def emulated() -> bool:
    return any(name.startswith("AWS_ENDPOINT_URL") for name in os.environ)


@functools.cache
def client(service: str) -> Any:
    # Every request the functions send is built by their own code from values it made itself, so
    # botocore's client-side parameter validation (a walk of every request against the API model,
    # a large part of the CPU of a 25-item BatchWriteItem) only repeats what the tests prove.
    options: dict[str, Any] = {"retries": {"mode": "standard"}, "connect_timeout": 5, "parameter_validation": False}
    if service == "stepfunctions":
        options["read_timeout"] = SYNC_EXECUTION_READ_TIMEOUT_SECONDS
    if emulated():
        # StartSyncExecution is sent to `sync-states.<region>...` through a host prefix; prefixed to
        # an emulator's address it gives `sync-127.0.0.1`, which does not resolve.
        options["inject_host_prefix"] = False
    return boto3.client(service, config=Config(**options))


INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError, MemoryError)
"""Failures of a call or of the function itself, never of a record's content: they fail the execution
(Kinesis retries), where any other exception met while processing one record quarantines that record."""
