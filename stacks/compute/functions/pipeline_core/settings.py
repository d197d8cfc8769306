"""A function's settings, from the environment variables the compute layer sets.

Read on every invocation (a dictionary lookup each), so a changed configuration applies at once.
"""

from __future__ import annotations

import os

from .chunking import DEFAULT_MAX_PAYLOAD_BYTES, STEP_FUNCTIONS_LIMIT_BYTES

DEFAULT_RECORD_TTL_DAYS = 30


class ConfigurationError(RuntimeError):
    """A required environment variable is missing or malformed: a deployment defect, not a data one."""


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set; the compute layer sets it")
    return value


def integer(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"environment variable {name}={raw!r} is not an integer") from None
    if not minimum <= value <= maximum:
        raise ConfigurationError(f"environment variable {name}={value} is outside {minimum}..{maximum}")
    return value


def record_ttl_days() -> int:
    return integer("RECORD_TTL_DAYS", DEFAULT_RECORD_TTL_DAYS, 1, 3650)


def max_payload_bytes() -> int:
    return integer("MAX_PAYLOAD_BYTES", DEFAULT_MAX_PAYLOAD_BYTES, 4096, STEP_FUNCTIONS_LIMIT_BYTES)


def environment() -> str:
    return os.environ.get("ENVIRONMENT", "")
