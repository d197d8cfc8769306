"""boto3 clients, built the default way so that `AWS_ENDPOINT_URL` points them at an emulator.

One client per service per process, created on first use and reused across invocations.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from botocore.config import Config

SYNC_EXECUTION_READ_TIMEOUT_SECONDS = 330
"""An Express execution runs up to 5 minutes, and StartSyncExecution holds the connection meanwhile."""


def emulated() -> bool:
    return any(name.startswith("AWS_ENDPOINT_URL") for name in os.environ)


@functools.cache
def client(service: str) -> Any:
    options: dict[str, Any] = {"retries": {"mode": "standard"}, "connect_timeout": 5}
    if service == "stepfunctions":
        options["read_timeout"] = SYNC_EXECUTION_READ_TIMEOUT_SECONDS
    if emulated():
        # StartSyncExecution is sent to `sync-states.<region>...` through a host prefix; prefixed to
        # an emulator's address it gives `sync-127.0.0.1`, which does not resolve.
        options["inject_host_prefix"] = False
    return boto3.client(service, config=Config(**options))
