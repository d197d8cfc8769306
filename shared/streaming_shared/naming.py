"""Physical resource names: `streaming-<environment>-<part>...`, checked against AWS limits.

Names are deterministic so an operator (and the observability layer) can find a function,
stream or queue by environment. Each kind of name is checked against the rules AWS applies to
it, and a name that breaks them is a `ConfigError` naming the setting it came from.

Most names are unique per region. IAM roles and CloudWatch dashboards are unique per account,
so their names also carry a short region code (`streaming-dev-euw1-ingest-function`), and the same
stack name can be deployed to a second region of the account.
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
    account_global: bool = False
    """Unique across all regions of an account (IAM, CloudWatch dashboards), not per region."""


_WORDS = re.compile(r"^[A-Za-z0-9_-]+$")


class NameKind(Enum):
    """AWS naming rules per kind of resource (length and characters)."""

    S3_BUCKET = NameRule(
        63,
        re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
        "3-63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit",
    )
    LAMBDA_FUNCTION = NameRule(64, _WORDS, "at most 64 letters, digits, `-` and `_`")
    IAM_ROLE = NameRule(
        64, re.compile(r"^[A-Za-z0-9+=,.@_-]+$"), "at most 64 letters, digits and `+=,.@_-`", account_global=True
    )
    IAM_POLICY = NameRule(128, re.compile(r"^[A-Za-z0-9+=,.@_-]+$"), "at most 128 letters, digits and `+=,.@_-`")
    SQS_QUEUE = NameRule(80, _WORDS, "at most 80 letters, digits, `-` and `_`")
    STATE_MACHINE = NameRule(80, _WORDS, "at most 80 letters, digits, `-` and `_`")
    KINESIS_STREAM = NameRule(128, re.compile(r"^[A-Za-z0-9_.-]+$"), "at most 128 letters, digits, `_`, `.` and `-`")
    DYNAMODB_TABLE = NameRule(255, re.compile(r"^[A-Za-z0-9_.-]{3,}$"), "3-255 letters, digits, `_`, `.` and `-`")
    SNS_TOPIC = NameRule(256, _WORDS, "at most 256 letters, digits, `-` and `_`")
    LOG_GROUP = NameRule(512, re.compile(r"^[A-Za-z0-9_./#-]+$"), "at most 512 letters, digits and `_-./#`")
    CLOUDWATCH_ALARM = NameRule(255, re.compile(r"^[ -~]+$"), "at most 255 printable ASCII characters")
    CLOUDWATCH_DASHBOARD = NameRule(255, _WORDS, "at most 255 letters, digits, `-` and `_`", account_global=True)
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


_DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
_REGION = re.compile(r"^([a-z]{2})((?:-[a-z]+)+)-(\d{1,2})$")


def region_code(region: str) -> str:
    """A short, unique code for a region: its area, the initials of its direction and its number
    (`euw1`, `apse2`); parts that are not a direction stay whole (`usgovw1`)."""
    match = _REGION.match(region)
    if not match:
        raise ValueError(f"{region!r} is not an AWS region name")
    area, middle, number = match.groups()
    return area + "".join(_DIRECTIONS.get(part, part) for part in middle.strip("-").split("-")) + number


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
    """Names for one environment: `streaming-<environment>-<parts>`, and for the account-global
    kinds `streaming-<environment>-<region code>-<parts>`."""

    environment: str
    source: str = "stack name"
    """The setting the environment comes from, named in errors."""
    region: str | None = None
    """The stack's region; required for the names of account-global kinds."""

    def name(self, *parts: str, kind: NameKind = NameKind.GENERIC) -> str:
        prefix: tuple[str, ...] = (NAME_PREFIX, self.environment)
        if kind.value.account_global:
            if self.region is None:
                raise ValueError(f"a {kind.name} name is unique per account: create the Namer with the region")
            prefix += (region_code(self.region),)
        return check_name("-".join((*prefix, *parts)), kind, source=self.source)

    def log_group(self, service: str, name: str) -> str:
        """`/aws/<service>/<name>`, the group AWS services write to by convention."""
        return check_name(f"/aws/{service}/{name}", NameKind.LOG_GROUP, source=self.source)
