"""Physical resource names: `streaming-<environment>-<part>...`, checked against AWS limits.

Names are deterministic so an operator (and the observability layer) can find a function,
stream or queue by environment. Each kind of name is checked against the rules AWS applies to
it, and a name that breaks them is a `ConfigError` naming the setting it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from .errors import ConfigError, Problem

NAME_PREFIX = "streaming"


@dataclass(frozen=True)
class NameRule:
    max_length: int
    pattern: re.Pattern[str]
    allowed: str


_WORDS = re.compile(r"^[A-Za-z0-9_-]+$")


class NameKind(Enum):
    """AWS naming rules per kind of resource (length and characters)."""

    S3_BUCKET = NameRule(
        63,
        re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
        "3-63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit",
    )
    LAMBDA_FUNCTION = NameRule(64, _WORDS, "at most 64 letters, digits, `-` and `_`")
    IAM_ROLE = NameRule(64, re.compile(r"^[A-Za-z0-9+=,.@_-]+$"), "at most 64 letters, digits and `+=,.@_-`")
    IAM_POLICY = NameRule(128, re.compile(r"^[A-Za-z0-9+=,.@_-]+$"), "at most 128 letters, digits and `+=,.@_-`")
    SQS_QUEUE = NameRule(80, _WORDS, "at most 80 letters, digits, `-` and `_`")
    STATE_MACHINE = NameRule(80, _WORDS, "at most 80 letters, digits, `-` and `_`")
    KINESIS_STREAM = NameRule(128, re.compile(r"^[A-Za-z0-9_.-]+$"), "at most 128 letters, digits, `_`, `.` and `-`")
    DYNAMODB_TABLE = NameRule(255, re.compile(r"^[A-Za-z0-9_.-]{3,}$"), "3-255 letters, digits, `_`, `.` and `-`")
    SNS_TOPIC = NameRule(256, _WORDS, "at most 256 letters, digits, `-` and `_`")
    LOG_GROUP = NameRule(512, re.compile(r"^[A-Za-z0-9_./#-]+$"), "at most 512 letters, digits and `_-./#`")
    CLOUDWATCH_ALARM = NameRule(255, re.compile(r"^[ -~]+$"), "at most 255 printable ASCII characters")
    CLOUDWATCH_DASHBOARD = NameRule(255, _WORDS, "at most 255 letters, digits, `-` and `_`")
    SECURITY_GROUP = NameRule(
        255,
        re.compile(r"^(?!sg-)[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+$"),
        "at most 255 characters, not starting with `sg-`",
    )
    KMS_ALIAS = NameRule(
        256,
        re.compile(r"^alias/(?!aws/)[A-Za-z0-9/_-]+$"),
        "`alias/` then letters, digits, `/`, `_` and `-` (not `alias/aws/`)",
    )
    GENERIC = NameRule(255, _WORDS, "at most 255 letters, digits, `-` and `_`")


def check_name(name: str, kind: NameKind, *, source: str) -> str:
    """Return `name` if AWS accepts it for `kind`; otherwise a ConfigError naming `source`."""
    rule = kind.value
    reason = None
    if len(name) > rule.max_length or not rule.pattern.match(name):
        reason = f"makes the {kind.name.lower().replace('_', ' ')} name {name!r}, but AWS allows {rule.allowed}"
    elif kind is NameKind.S3_BUCKET:
        reason = _s3_specific_problem(name)
    if reason:
        raise ConfigError(Problem(source, None, reason))
    return name


def _s3_specific_problem(name: str) -> str | None:
    if ".." in name or ".-" in name or "-." in name:
        return f"makes the bucket name {name!r}, which has adjacent `.`/`-` characters that S3 rejects"
    if re.match(r"^\d+\.\d+\.\d+\.\d+$", name):
        return f"makes the bucket name {name!r}, which looks like an IP address"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(
        ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")
    ):
        return f"makes the bucket name {name!r}, which uses a prefix or suffix S3 reserves"
    return None


@dataclass(frozen=True)
class Namer:
    """Names for one environment: `streaming-<environment>-<parts>`."""

    environment: str
    source: str = "stack name"
    """The setting the environment comes from, named in errors."""

    def name(self, *parts: str, kind: NameKind = NameKind.GENERIC) -> str:
        return check_name("-".join((NAME_PREFIX, self.environment, *parts)), kind, source=self.source)

    def log_group(self, service: str, name: str) -> str:
        """`/aws/<service>/<name>`, the group AWS services write to by convention."""
        return check_name(f"/aws/{service}/{name}", NameKind.LOG_GROUP, source=self.source)
