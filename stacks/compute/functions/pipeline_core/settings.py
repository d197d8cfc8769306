"""A function's settings, from the environment variables the compute layer sets.

Read on every invocation (a dictionary lookup each), so a changed configuration applies at once.
The defaults are the compute layer's (its config keys); none is repeated here.
"""

from __future__ import annotations

import os

from .chunking import STEP_FUNCTIONS_LIMIT_BYTES


class ConfigurationError(RuntimeError):
    """A required environment variable is missing or malformed: a deployment defect, not a data one."""


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set; the compute layer sets it")
    return value


def positive_integer(name: str, maximum: int | None = None) -> int:
    """The variable as a whole number from 1 (to `maximum`): what the code below needs of it; the compute
    layer checks the config key's own range."""
    raw = required(name)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"environment variable {name}={raw!r} is not an integer") from None
    if value < 1 or (maximum is not None and value > maximum):
        raise ConfigurationError(f"environment variable {name}={value} is outside 1..{maximum or ''}")
    return value


def record_ttl_days() -> int:
    """`recordTtlDays` of the compute layer."""
    return positive_integer("RECORD_TTL_DAYS")


def max_payload_bytes() -> int:
    """`maxPayloadBytes` of the compute layer; never above what Step Functions accepts."""
    return positive_integer("MAX_PAYLOAD_BYTES", STEP_FUNCTIONS_LIMIT_BYTES)


def environment() -> str:
    return os.environ.get("ENVIRONMENT", "")
