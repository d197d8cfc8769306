"""Config keys of the compute layer (`streaming-compute:<key>`).

Per-stage values (memory, timeout, reserved concurrency) are maps from stage name to value;
a map given in config is merged over the defaults, so
`pulumi config set --path 'streaming-compute:memoryMb.transform' 2048` changes one stage only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from streaming_shared.catalogue import COMPUTE, STAGES
from streaming_shared.config import DISPOSABLE_RULE, LogRetention, log_retention
from streaming_shared.errors import Problem
from streaming_shared.record_store import RECORD_TTL_DAYS
from streaming_shared.roles import RoleSettings

from .state_machine_definition import STEPS

Runtime = Literal["python3.12", "python3.13", "python3.14"]
RUNTIMES: tuple[str, ...] = ("python3.12", "python3.13", "python3.14")
"""Python runtimes the functions and their dependency layer may be built for."""

EXPRESS_MAX_SECONDS = 300
"""Step Functions stops every Express execution after five minutes."""
INGEST_OWN_WORK_SECONDS = 30
"""What `ingest` needs beyond one synchronous execution: decoding, the state writes, the response."""

MEMORY_RANGE = (128, 10240)
TIMEOUT_RANGE = (1, 900)

DEFAULT_MEMORY_MB = {"ingest": 384, "transform": 512, "validate": 512, "enrich": 512, "archive": 768}
"""Sized by the capacity model (`nox -s estimate`; README, "Throughput and cost"). ingest spends most
of a batch waiting for its Express runs and is billed while it waits, so it gets less; archive does
most of a run's CPU (the SDK work of its S3 and DynamoDB requests), so more memory there shortens
every run ingest waits for. transform, validate and enrich compute little (under 0.01 s of CPU per
chunk): more memory would cost more without carrying more."""
DEFAULT_TIMEOUT_SECONDS = {
    # ingest waits for StartSyncExecution, which can take up to the Express limit of 300 s:
    # 360 s is that limit plus room for its own work.
    "ingest": 360,
    "transform": 120,
    "validate": 60,
    "enrich": 120,
    "archive": 90,
}

LOG_LEVELS: dict[str, str] = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARNING": "WARN",
    "ERROR": "ERROR",
    "CRITICAL": "FATAL",
}
"""Powertools log level -> the Lambda application log level that lets the same records through."""

SECONDS_PER_DAY = 86400


def _merge_per_stage(value: dict[str, Any], defaults: dict[str, int], low: int, high: int, unit: str) -> dict[str, int]:
    unknown = sorted(set(value) - set(STAGES))
    if unknown:
        raise ValueError(f"{', '.join(map(repr, unknown))} is not a stage; the stages are {', '.join(STAGES)}")
    for stage, amount in value.items():
        if not isinstance(amount, int) or isinstance(amount, bool) or not low <= amount <= high:
            raise ValueError(f"{stage} = {amount!r}: must be a whole number of {unit} from {low} to {high}")
    return {**defaults, **value}


class ComputeSettings(RoleSettings):
    LAYER = COMPUTE
    STACK_DEFAULTS: ClassVar[dict[str, str]] = {
        **RoleSettings.STACK_DEFAULTS,
        "state_machine_execution_data": "logs_execution_data",
    }

    runtime: Runtime = Field(
        "python3.13",
        description="Lambda runtime of the five functions; the dependency layer is built for the same Python version.",
    )
    architecture: Literal["arm64", "x86_64"] = Field(
        "arm64",
        description="Instruction set of the functions. arm64 (Graviton) costs about 20% less per GB-second; "
        "the bundled dependencies are pure Python, so both work.",
    )
    memory_mb: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_MEMORY_MB),
        description="Memory per stage in MB (128..10240; CPU grows with it). Stages left out keep their default.",
    )
    timeout_seconds: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_TIMEOUT_SECONDS),
        description="Timeout per stage in seconds (1..900). transform, validate, enrich and archive run inside the "
        f"Express state machine, so at most {EXPRESS_MAX_SECONDS}; ingest waits for that run, so at least "
        f"{EXPRESS_MAX_SECONDS + INGEST_OWN_WORK_SECONDS}.",
    )
    reserved_concurrency: dict[str, int] = Field(
        default_factory=dict,
        description="Reserved concurrent executions per stage (>= 0; 0 stops the stage). Unset stages use the "
        "account's unreserved pool; AWS keeps 100 of the account quota unreserved.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO",
        description="Level of the functions' application logs (POWERTOOLS_LOG_LEVEL, and the Lambda "
        "application log level that matches it).",
    )
    log_retention_days: LogRetention = Field(
        30,
        description="Days CloudWatch keeps the functions' and the state machine's logs.",
    )
    state_machine_log_level: Literal["ALL", "ERROR", "FATAL"] = Field(
        "ERROR",
        description="What the state machine logs. ERROR logs failed executions only; ALL logs every state "
        "transition (22 events per run, billed as vended logs), and is refused on stacks that are not disposable.",
    )
    state_machine_execution_data: bool | None = Field(
        None,
        description="Whether the state machine's log events carry each execution's input and output: the "
        "records themselves. Unset: on for " + DISPOSABLE_RULE + ", off for every other stack.",
    )
    logs_customer_managed_key: bool | None = Field(
        None,
        description="Encrypt the functions' and the state machine's log groups with a customer-managed KMS key "
        "this layer creates (rotation on, $1 a month), which CloudWatch Logs may use for these groups only. "
        "Unset: on when the data stack encrypts with customer-managed keys (it exports their ARNs).",
    )
    batch_size: int = Field(
        180,
        ge=1,
        le=10000,
        description="Most records the event source mapping hands `ingest` in one invocation. 180 fills two "
        "state machine inputs with 1 KB records (100 would run a second, nearly empty execution).",
    )
    maximum_batching_window_seconds: int = Field(
        5,
        ge=0,
        le=300,
        description="Seconds the event source mapping may wait to fill a batch: fewer invocations and state "
        "machine runs at low traffic, at the cost of latency.",
    )
    parallelization_factor: int = Field(
        10,
        ge=1,
        le=10,
        description="Concurrent batches per shard. Records of the same partition key stay in order; a shard's "
        "keys are processed in parallel. 10 keeps up with a saturated shard (1,000 records/s) with at least 30% "
        "to spare at the CPU per record `nox -s bench` measures.",
    )
    starting_position: Literal["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] = Field(
        "TRIM_HORIZON",
        description="Where a new event source mapping starts reading. TRIM_HORIZON reads every record the "
        "stream still holds, so nothing written before the mapping existed is skipped.",
    )
    starting_position_timestamp: str | None = Field(
        None,
        description="RFC 3339 time to start from, with its offset (2026-01-31T12:00:00Z); required with "
        "AT_TIMESTAMP and only allowed with it.",
    )
    maximum_retry_attempts: int = Field(
        10,
        ge=0,
        le=10000,
        description="Times a failing batch is retried before its shard and sequence range go to the "
        "dead-letter queue. Bounded: a record retried forever blocks its shard.",
    )
    maximum_record_age_seconds: int = Field(
        3600,
        ge=60,
        le=604800,
        description="Records older than this are not retried but sent to the dead-letter queue. Keep it well "
        "under the stream's retention so an operator can still re-read them.",
    )
    bisect_batch_on_error: bool = Field(
        True,
        description="Split a failing batch in two and retry each half, so one bad record does not hold back "
        "the rest (also on timeouts).",
    )
    dead_letter_retention_days: int = Field(
        14,
        ge=1,
        le=14,
        description="Days the dead-letter queue keeps failure records (SQS allows at most 14).",
    )
    record_ttl_days: int = Field(
        RECORD_TTL_DAYS,
        ge=1,
        le=3650,
        description="Days a record's state item lives in the table before DynamoDB's TTL removes it "
        "(RECORD_TTL_DAYS of ingest and archive). Each day kept costs about $0.004 per million records a "
        "month in storage: 30 days would cost $0.12 per million.",
    )
    strict_envelope: bool = Field(
        False,
        description="Quarantine events with a top-level field the event schema does not name. Off (the "
        "tolerant reader): such fields are kept and archived, so a producer may add fields; only the "
        "schema's required fields are checked for presence, and the fields it names for type.",
    )
    max_payload_bytes: int = Field(
        200000,
        ge=4096,
        le=240000,
        description="Largest state machine input `ingest` sends in one StartSyncExecution; bigger batches are "
        "split. Step Functions allows 262144 bytes; the margin is for the stages' additions.",
    )

    @field_validator("runtime", mode="before")
    @classmethod
    def _runtime_is_supported(cls, value: Any) -> Any:
        if value not in RUNTIMES:
            raise ValueError(f"is not a supported runtime; use one of {', '.join(RUNTIMES)}")
        return value

    @field_validator("log_retention_days", mode="before")
    @classmethod
    def _retention_is_one_cloudwatch_accepts(cls, value: Any) -> Any:
        return log_retention(value)

    @field_validator("memory_mb")
    @classmethod
    def _memory_per_stage(cls, value: dict[str, Any]) -> dict[str, int]:
        return _merge_per_stage(value, DEFAULT_MEMORY_MB, *MEMORY_RANGE, "MB")

    @field_validator("timeout_seconds")
    @classmethod
    def _timeout_per_stage(cls, value: dict[str, Any]) -> dict[str, int]:
        return _merge_per_stage(value, DEFAULT_TIMEOUT_SECONDS, *TIMEOUT_RANGE, "seconds")

    @field_validator("reserved_concurrency")
    @classmethod
    def _reserved_concurrency_per_stage(cls, value: dict[str, Any]) -> dict[str, int]:
        unknown = sorted(set(value) - set(STAGES))
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} is not a stage; the stages are {', '.join(STAGES)}")
        for stage, amount in value.items():
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise ValueError(f"{stage} = {amount!r}: must be a whole number >= 0 (0 stops the stage)")
        return dict(value)

    @field_validator("starting_position_timestamp")
    @classmethod
    def _timestamp_is_rfc3339(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("is not an RFC 3339 time such as 2026-01-31T12:00:00Z") from None
        if parsed.tzinfo is None or "T" not in value:
            raise ValueError("needs a date, a time and an offset, such as 2026-01-31T12:00:00Z")
        return value

    def check(self) -> list[Problem]:
        problems = []
        too_long = {
            stage: self.timeout_seconds[stage] for stage in STEPS if self.timeout_seconds[stage] > EXPRESS_MAX_SECONDS
        }
        if too_long:
            problems.append(
                self.problem(
                    "timeout_seconds",
                    f"{', '.join(f'{stage} = {seconds}' for stage, seconds in too_long.items())}: these stages run "
                    f"inside the Express state machine, which stops every execution after {EXPRESS_MAX_SECONDS} s; "
                    f"use at most {EXPRESS_MAX_SECONDS}",
                )
            )
        least_for_ingest = EXPRESS_MAX_SECONDS + INGEST_OWN_WORK_SECONDS
        if self.timeout_seconds["ingest"] < least_for_ingest:
            problems.append(
                self.problem(
                    "timeout_seconds",
                    f"ingest = {self.timeout_seconds['ingest']}: ingest waits for the synchronous Express run "
                    f"(up to {EXPRESS_MAX_SECONDS} s) and needs {INGEST_OWN_WORK_SECONDS} s of its own; "
                    f"use at least {least_for_ingest}",
                )
            )
        if self.state_machine_log_level == "ALL" and not self.environment.is_disposable:
            problems.append(
                self.problem(
                    "state_machine_log_level",
                    f"logs every state transition of every execution; on stack {self.environment.name!r}, which is "
                    "not disposable, use ERROR or FATAL",
                )
            )
        if self.starting_position == "AT_TIMESTAMP" and self.starting_position_timestamp is None:
            problems.append(
                self.problem("starting_position_timestamp", "is required when startingPosition is AT_TIMESTAMP")
            )
        if self.starting_position != "AT_TIMESTAMP" and self.starting_position_timestamp is not None:
            problems.append(
                self.problem(
                    "starting_position_timestamp",
                    f"only applies with startingPosition AT_TIMESTAMP, not {self.starting_position}; remove it",
                )
            )
        return problems

    @property
    def logs_execution_data(self) -> bool:
        if self.state_machine_execution_data is not None:
            return self.state_machine_execution_data
        return self.environment.is_disposable

    def encrypts_logs(self, data_has_customer_managed_keys: bool) -> bool:
        if self.logs_customer_managed_key is not None:
            return self.logs_customer_managed_key
        return data_has_customer_managed_keys

    @property
    def application_log_level(self) -> str:
        return LOG_LEVELS[self.log_level]

    @property
    def dead_letter_retention_seconds(self) -> int:
        return self.dead_letter_retention_days * SECONDS_PER_DAY
