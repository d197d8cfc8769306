"""Config keys of the observability layer (`streaming-observability:<key>`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from streaming_shared.catalogue import OBSERVABILITY
from streaming_shared.config import LayerSettings

from .alarm_kinds import KINDS, KINDS_BY_KEY, Tuning

MAX_ALARM_WINDOW_SECONDS = 86_400
"""CloudWatch refuses an alarm whose period x evaluation periods exceeds one day when the period is
under an hour (and seven days otherwise)."""
MAX_LONG_ALARM_WINDOW_SECONDS = 604_800

DYNAMODB_OPERATIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
)
"""Operations DynamoDB publishes ThrottledRequests and SystemErrors for (`Operation` dimension)."""

DEFAULT_TABLE_OPERATIONS = DYNAMODB_OPERATIONS[:10]
MAX_TABLE_OPERATIONS = 10
"""A metric math alarm may read at most 10 metrics (a hard CloudWatch limit)."""

_EMAIL = re.compile(
    r"^(?=.{6,254}$)(?=[^@]{1,64}@)"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


class AlarmTuning(BaseModel):
    """When one alarm fires. Unset parts keep the alarm's own defaults (README's alarm table)."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    threshold: float
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int

    @field_validator("threshold")
    @classmethod
    def _threshold_is_positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(
                "must be positive: every alarm here fires when its metric reaches the threshold, and every "
                "metric it watches is a count, an age or a depth that is never below 0"
            )
        return value

    @field_validator("period_seconds")
    @classmethod
    def _period_is_one_cloudwatch_accepts(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of seconds, a multiple of 60")
        if value in (10, 20, 30):
            raise ValueError(
                "must be a multiple of 60: CloudWatch accepts 10, 20 and 30 only for high-resolution custom "
                "metrics; the AWS metrics watched here are published per minute, so such an alarm would "
                "lapse into INSUFFICIENT_DATA (and be billed as a high-resolution alarm)"
            )
        if value % 60:
            raise ValueError("is not a period CloudWatch accepts: use a multiple of 60 seconds")
        return value

    @field_validator("evaluation_periods", "datapoints_to_alarm")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @model_validator(mode="after")
    def _window_is_one_cloudwatch_accepts(self) -> AlarmTuning:
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError(
                f"datapointsToAlarm ({self.datapoints_to_alarm}) cannot exceed evaluationPeriods "
                f"({self.evaluation_periods}): it is the M of an M-out-of-N alarm"
            )
        window = self.period_seconds * self.evaluation_periods
        limit = MAX_ALARM_WINDOW_SECONDS if self.period_seconds < 3600 else MAX_LONG_ALARM_WINDOW_SECONDS
        if window > limit:
            raise ValueError(
                f"periodSeconds x evaluationPeriods is {window} s, but CloudWatch evaluates at most {limit} s "
                f"({'one day for periods under an hour' if limit == MAX_ALARM_WINDOW_SECONDS else 'seven days'})"
            )
        return self

    def as_tuning(self) -> Tuning:
        return Tuning(self.threshold, self.period_seconds, self.evaluation_periods, self.datapoints_to_alarm)


class ObservabilitySettings(LayerSettings):
    LAYER = OBSERVABILITY
    SECRET_FIELDS = ("alarm_https_endpoint",)

    alarm_emails: list[str] = Field(
        default_factory=list,
        description="E-mail addresses subscribed to the alarm topic (ALARM and OK notifications). AWS sends "
        "each a confirmation message; nothing is delivered until the recipient confirms.",
    )
    alarm_https_endpoint: str | None = Field(
        None,
        description="HTTPS URL subscribed to the alarm topic as well (a paging or chat integration). It must "
        "answer SNS's SubscriptionConfirmation. Such URLs carry a key, so it must be stored as a secret "
        "(`pulumi config set --secret`); a config error names it but never prints it.",
        examples=["https://events.example.com/sns"],
    )
    alarms: dict[str, AlarmTuning] = Field(
        default_factory=dict,
        description="Per-alarm overrides of `threshold`, `periodSeconds` (a multiple of 60), "
        "`evaluationPeriods` and `datapointsToAlarm` (at most `evaluationPeriods`); parts not given keep "
        "the defaults in the alarm table below. Alarms: " + ", ".join(f"`{kind.key}`" for kind in KINDS) + ".",
        json_schema_extra={
            "allowed": "map: alarm -> {`threshold`, `periodSeconds`, `evaluationPeriods`, `datapointsToAlarm`}",
        },
    )
    table_operations: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TABLE_OPERATIONS),
        description="DynamoDB operations whose throttles and system errors the table alarms add up (DynamoDB "
        "publishes those metrics per operation only). 1 to 10 of: " + ", ".join(DYNAMODB_OPERATIONS) + ".",
    )

    @field_validator("alarm_emails")
    @classmethod
    def _emails_are_addresses(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not isinstance(email, str) or not _EMAIL.match(email):
                raise ValueError(f"{email!r} is not an e-mail address such as oncall@example.com")
        lowered = [email.lower() for email in emails]
        duplicates = sorted({email for email in lowered if lowered.count(email) > 1})
        if duplicates:
            raise ValueError(f"lists {', '.join(duplicates)} more than once")
        return emails

    @field_validator("alarm_https_endpoint")
    @classmethod
    def _endpoint_is_an_https_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or any(char.isspace() for char in value):
            raise ValueError(
                "must be an https:// URL with a host, such as https://events.example.com/sns "
                "(SNS delivers alarms to plain http:// without encryption, so it is not accepted)"
            )
        return value

    @field_validator("alarms", mode="before")
    @classmethod
    def _alarms_are_known_and_complete(cls, overrides: Any) -> Any:
        """Fill each override with its alarm's defaults, so a partial override is enough."""
        if not isinstance(overrides, dict):
            return overrides
        unknown = sorted(set(overrides) - set(KINDS_BY_KEY))
        if unknown:
            raise ValueError(
                f"{', '.join(repr(key) for key in unknown)} is not an alarm of this layer; the alarms are: "
                + ", ".join(KINDS_BY_KEY)
            )
        filled = {}
        for key, override in overrides.items():
            given = {to_camel(part): value for part, value in override.items()} if isinstance(override, dict) else {}
            filled[key] = {**KINDS_BY_KEY[key].default.as_config(), **given} if isinstance(override, dict) else override
        return filled

    @field_validator("table_operations")
    @classmethod
    def _operations_are_dynamodb_operations(cls, operations: list[str]) -> list[str]:
        unknown = [operation for operation in operations if operation not in DYNAMODB_OPERATIONS]
        if unknown:
            raise ValueError(
                f"{', '.join(repr(op) for op in unknown)} is not a DynamoDB operation with per-operation "
                f"metrics; known: {', '.join(DYNAMODB_OPERATIONS)}"
            )
        if len(set(operations)) != len(operations):
            raise ValueError("lists an operation more than once")
        if not 1 <= len(operations) <= MAX_TABLE_OPERATIONS:
            raise ValueError(
                f"lists {len(operations)} operations, but a metric math alarm can read at most "
                f"{MAX_TABLE_OPERATIONS} metrics (and at least one is needed)"
            )
        return operations

    def effective_values(self) -> dict[str, Any]:
        """As every layer's, with every alarm's tuning in `alarms`: its override, else the alarm table's."""
        return {**super().effective_values(), "alarms": {kind.key: self.tuning(kind.key).as_config() for kind in KINDS}}

    def tuning(self, kind_key: str) -> Tuning:
        """The effective tuning of an alarm kind: its override, else its default."""
        override = self.alarms.get(kind_key)
        return override.as_tuning() if override else KINDS_BY_KEY[kind_key].default
