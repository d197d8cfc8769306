"""Config keys of the data layer (`streaming-data:<key>`)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from streaming_shared.catalogue import DATA
from streaming_shared.config import DISPOSABLE_RULE, LayerSettings, is_disposable
from streaming_shared.errors import Problem

MAX_SHARDS_PER_STREAM = 10_000
"""Kinesis refuses more than 10,000 shards in one stream unless the limit is raised. Source:
Kinesis API reference, UpdateShardCount, TargetShardCount: "Set this value to more than 10000
shards in a stream (the default limit for shard count per stream is 10000 per account per
region), unless you request a limit increase." The account-wide shard quota is separate and
can be lower (1,000 to 20,000 by region, per the Kinesis "Quotas and limits" page); a stream
within this limit but over the account's quota fails at deploy time."""

MAX_TABLE_CAPACITY = 40_000
"""DynamoDB's default per-table (and per-index) throughput quota: 40,000 read and 40,000 write
capacity units ("Service, account, and table quotas in Amazon DynamoDB")."""

MIN_TARGET_UTILIZATION, MAX_TARGET_UTILIZATION = 20, 90
"""The target values Application Auto Scaling accepts for DynamoDB's predefined utilization metrics."""
DEFAULT_TARGET_UTILIZATION = 70
"""The console's default: room for the load to grow by 40% while a scale-up (minutes) catches up."""

CAPACITY_DIMENSIONS = ("table_read_capacity", "table_write_capacity", "index_read_capacity", "index_write_capacity")
DEFAULT_CAPACITY: dict[str, dict[str, int]] = {
    "table_read_capacity": {"min": 5, "max": 2000},
    "table_write_capacity": {"min": 5, "max": 4000},
    "index_read_capacity": {"min": 1, "max": 100},
    "index_write_capacity": {"min": 1, "max": 4000},
}
"""Auto scaling ranges with PROVISIONED. The minimums are what an idle stack pays for (a few dollars a
month); the maximums cap the bill at about four saturated shards of 1 KB records.
`StatusIndex` is sparse (only records that need attention carry `Status`), so it idles at one unit,
but it may take every write of a burst of rejected records: a throttled index throttles the table's
writes too, so its write maximum is the table's."""

TransitionClass = Literal["STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]
MIN_TRANSITION_DAYS: dict[str, int] = {"STANDARD_IA": 30, "GLACIER_IR": 0, "GLACIER": 0, "DEEP_ARCHIVE": 0}
"""S3's lifecycle API refuses to move objects younger than 30 days to STANDARD_IA."""
S3_DEFAULT_TRANSITION_MIN_OBJECT_KB = 128
"""S3 transitions no object under 128 KB unless a rule's filter names a size (its default
`transition_default_minimum_object_size`, `all_storage_classes_128K`)."""

SHARD_LEVEL_METRICS = frozenset(
    {
        "IncomingBytes",
        "IncomingRecords",
        "OutgoingBytes",
        "OutgoingRecords",
        "WriteProvisionedThroughputExceeded",
        "ReadProvisionedThroughputExceeded",
        "IteratorAgeMilliseconds",
    }
)
"""Kinesis enhanced (shard-level) metrics. `ALL` is left out on purpose: the provider advises
against it, and an explicit list keeps the CloudWatch bill predictable."""

BUCKET_NAME_PLACEHOLDERS = ("environment", "account", "region")
DEFAULT_BUCKET_NAME = "streaming-{environment}-archive-{account}-{region}"
DEFAULT_ACCESS_LOG_BUCKET_NAME = "streaming-{environment}-logs-{account}-{region}"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

StreamMode = Literal["PROVISIONED", "ON_DEMAND"]
BillingMode = Literal["PAY_PER_REQUEST", "PROVISIONED"]


@dataclass(frozen=True)
class CapacityRange:
    """Capacity units Application Auto Scaling keeps a table or index between."""

    min: int
    max: int


_CAPACITY_ALLOWED = f"map `{{min, max}}`, each 1..{MAX_TABLE_CAPACITY}, min <= max"


def _capacity_default(dimension: str) -> str:
    bounds = DEFAULT_CAPACITY[dimension]
    return f"`{{min: {bounds['min']}, max: {bounds['max']}}}` with PROVISIONED"


def render_bucket_name(template: str, *, environment: str, account: str, region: str) -> str:
    values = {"environment": environment, "account": account, "region": region}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


class DataSettings(LayerSettings):
    LAYER = DATA
    STACK_DEFAULTS: ClassVar[dict[str, str]] = {
        **LayerSettings.STACK_DEFAULTS,
        "disposable": "is_disposable_stack",
        "stream_customer_managed_key": "stream_key",
        "table_deletion_protection": "deletion_protection",
        "archive_customer_managed_key": "archive_key",
        "archive_force_destroy": "force_destroy",
        "archive_access_logs": "access_logs",
    }

    disposable: bool | None = Field(
        None,
        description="Whether this stack holds nothing that must survive a destroy. Unset: true for "
        f"{DISPOSABLE_RULE}, false for every other stack. A stack that is not disposable gets "
        "Pulumi's `protect` on the stream, the table, the buckets and the KMS keys (a destroy or "
        "replacement of them fails), table deletion protection, no force-destroy, customer-managed "
        "keys and the archive's access logs, unless the keys for those say otherwise.",
    )

    # -- Kinesis stream ---------------------------------------------------------------------------
    stream_mode: StreamMode = Field(
        "PROVISIONED",
        description="Kinesis capacity mode. PROVISIONED bills per shard-hour (1 shard is about "
        "$11 a month); ON_DEMAND bills per stream-hour (about $29 a month) plus per GB, and "
        "scales by itself.",
    )
    stream_shard_count: int = Field(
        1,
        ge=1,
        description=f"Shards of a PROVISIONED stream, at most {MAX_SHARDS_PER_STREAM:,} (the "
        "per-stream limit); each takes 1 MB/s or 1,000 records/s in and serves 2 MB/s out. "
        "Not allowed with ON_DEMAND.",
    )
    stream_retention_hours: int = Field(
        24,
        ge=24,
        le=8760,
        description="How long records stay readable in the stream. Beyond 24 hours Kinesis bills "
        "extended retention, beyond 168 hours long-term retention.",
    )
    stream_shard_level_metrics: list[str] = Field(
        default_factory=list,
        description="Shard-level (enhanced) CloudWatch metrics to turn on; each costs per shard "
        f"and metric. Known: {', '.join(sorted(SHARD_LEVEL_METRICS))}.",
    )
    stream_customer_managed_key: bool | None = Field(
        None,
        description="Encrypt the stream with a customer-managed KMS key created by this layer "
        "(rotation on, $1 a month, $2 after its first yearly rotation) instead of the AWS-managed "
        "`alias/aws/kinesis`; its ARN is exported as `stream_kms_key_arn`. Unset: on for stacks "
        "that are not disposable (see `disposable`), off for disposable ones.",
    )

    # -- DynamoDB state table ------------------------------------------------------------------
    table_billing_mode: BillingMode = Field(
        "PAY_PER_REQUEST",
        description="DynamoDB capacity mode. PAY_PER_REQUEST (on-demand) bills each request and "
        "nothing while idle. PROVISIONED bills capacity units by the hour and scales them with "
        "the load (Application Auto Scaling, target tracking, within the `...Capacity` ranges): "
        "cheaper for a steady load, `nox -s estimate` says by how much for yours.",
    )
    table_read_capacity: dict[str, int] | None = Field(
        None,
        description="Read capacity units of the table with PROVISIONED, as `{min, max}` for auto "
        "scaling; a key left out keeps its default. Not allowed with PAY_PER_REQUEST.",
        json_schema_extra={"allowed": _CAPACITY_ALLOWED, "default": _capacity_default("table_read_capacity")},
    )
    table_write_capacity: dict[str, int] | None = Field(
        None,
        description="Write capacity units of the table with PROVISIONED, as `{min, max}` for auto "
        "scaling; a key left out keeps its default. Not allowed with PAY_PER_REQUEST.",
        json_schema_extra={"allowed": _CAPACITY_ALLOWED, "default": _capacity_default("table_write_capacity")},
    )
    index_read_capacity: dict[str, int] | None = Field(
        None,
        description="Read capacity units of the `StatusIndex` GSI with PROVISIONED, as `{min, max}`. "
        "Not allowed with PAY_PER_REQUEST.",
        json_schema_extra={"allowed": _CAPACITY_ALLOWED, "default": _capacity_default("index_read_capacity")},
    )
    index_write_capacity: dict[str, int] | None = Field(
        None,
        description="Write capacity units of the `StatusIndex` GSI with PROVISIONED, as `{min, max}` "
        "(every write of an item that carries `Status` also writes the index). Not allowed with "
        "PAY_PER_REQUEST.",
        json_schema_extra={"allowed": _CAPACITY_ALLOWED, "default": _capacity_default("index_write_capacity")},
    )
    table_target_utilization: int | None = Field(
        None,
        ge=MIN_TARGET_UTILIZATION,
        le=MAX_TARGET_UTILIZATION,
        description="Percent of the provisioned capacity auto scaling aims to use, for the table and "
        "the index, reads and writes; the rest is headroom for the minutes a scale-up takes. Not "
        "allowed with PAY_PER_REQUEST.",
        json_schema_extra={"default": f"`{DEFAULT_TARGET_UTILIZATION}` with PROVISIONED"},
    )
    table_deletion_protection: bool | None = Field(
        None,
        description="DynamoDB deletion protection. Unset: off for disposable stacks (see "
        "`disposable`), on for every other stack.",
    )

    # -- S3 archive bucket ---------------------------------------------------------------------
    archive_bucket_name: str = Field(
        DEFAULT_BUCKET_NAME,
        description="Name of the archive bucket; `{environment}`, `{account}` and `{region}` are "
        "replaced by the stack name, the AWS account id and `aws:region`. Bucket names are "
        "global across all AWS accounts, hence account and region in the default.",
    )
    archive_customer_managed_key: bool | None = Field(
        None,
        description="Encrypt archived objects with SSE-KMS under a customer-managed key created "
        "by this layer (rotation on, $1 a month, $2 after its first yearly rotation; exported as "
        "`archive_kms_key_arn`) instead of SSE-S3, either way with an S3 Bucket Key. Unset: on for "
        "stacks that are not disposable (see `disposable`), off for disposable ones.",
    )
    archive_force_destroy: bool | None = Field(
        None,
        description="Let `pulumi destroy` delete the buckets with every object version in them. "
        "Unset: on for disposable stacks (see `disposable`), off for every other stack.",
    )
    archive_retention_days: int | None = Field(
        None,
        ge=1,
        description="Days after creation when archived records (`archive/`) expire; their last "
        "version is then removed `archiveNoncurrentDays` later. Unset: kept forever.",
    )
    archive_transition_storage_class: TransitionClass | None = Field(
        None,
        description="Storage class archived objects larger than `archiveTransitionMinObjectKb` "
        "move to after `archiveTransitionDays`. Unset: they stay in STANDARD. Each transition is a "
        "billed request and the colder classes bill a minimum size or 40 KB of overhead per "
        "object, so it pays only for large objects kept long: `nox -s estimate` prices it for "
        "your records (docs/cost-and-capacity.md shows why the default is none).",
    )
    archive_transition_days: int = Field(
        30,
        ge=0,
        description="Days after creation when `archiveTransitionStorageClass` applies (STANDARD_IA: "
        "at least 30); fewer than `archiveRetentionDays`.",
    )
    archive_transition_min_object_kb: int = Field(
        S3_DEFAULT_TRANSITION_MIN_OBJECT_KB,
        ge=0,
        description="Only archived objects larger than this many KB transition (the rule's size "
        "filter; S3's own default is 128 KB, the least STANDARD_IA and GLACIER_IR bill an object for).",
    )
    archive_noncurrent_days: int = Field(
        30,
        ge=1,
        description="Days after an object is overwritten or deleted when its previous (noncurrent) "
        "version is removed for good.",
    )
    quarantine_retention_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Days after creation when quarantined records (`quarantine/`: producers' raw "
        "bytes, with the reason) are deleted, their previous versions a day later. Long enough to "
        "look at a bad producer's records and replay them; the state items that name them live "
        "`recordTtlDays` (compute).",
    )
    archive_access_logs: bool | None = Field(
        None,
        description="S3 server access logs of the archive bucket, delivered to a bucket of their own "
        "(`accessLogBucketName`). Unset: on for stacks that are not disposable (see `disposable`), "
        "off for disposable ones.",
    )
    access_log_bucket_name: str = Field(
        DEFAULT_ACCESS_LOG_BUCKET_NAME,
        description="Name of the access log bucket, with the placeholders of `archiveBucketName`.",
    )
    access_log_retention_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Days the access log bucket keeps each log object.",
    )

    @field_validator("stream_shard_count")
    @classmethod
    def _shards_within_the_stream_limit(cls, value: int) -> int:
        if value > MAX_SHARDS_PER_STREAM:
            raise ValueError(
                f"is above the Kinesis limit of {MAX_SHARDS_PER_STREAM:,} shards per stream; "
                "use at most that, or ON_DEMAND"
            )
        return value

    @field_validator("stream_shard_level_metrics")
    @classmethod
    def _metrics_are_known(cls, metrics: list[str]) -> list[str]:
        for metric in metrics:
            if metric not in SHARD_LEVEL_METRICS:
                raise ValueError(
                    f"{metric!r} is not a Kinesis shard-level metric; known metrics are: "
                    f"{', '.join(sorted(SHARD_LEVEL_METRICS))}"
                )
        if len(set(metrics)) != len(metrics):
            raise ValueError("lists a metric more than once")
        return metrics

    @field_validator(*CAPACITY_DIMENSIONS, mode="before")
    @classmethod
    def _capacity_range(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError("must be a map such as {min: 5, max: 1000}")
        unknown = sorted(set(value) - {"min", "max"})
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))}: only `min` and `max` are allowed")
        for bound, units in value.items():
            if not isinstance(units, int) or isinstance(units, bool) or not 1 <= units <= MAX_TABLE_CAPACITY:
                raise ValueError(
                    f"{bound} = {units!r}: must be a whole number of capacity units from 1 to "
                    f"{MAX_TABLE_CAPACITY:,} (DynamoDB's default quota per table and index)"
                )
        return value

    @field_validator("archive_bucket_name", "access_log_bucket_name")
    @classmethod
    def _only_known_placeholders(cls, template: str) -> str:
        unknown = [name for name in _PLACEHOLDER.findall(template) if name not in BUCKET_NAME_PLACEHOLDERS]
        if unknown:
            raise ValueError(
                f"uses the unknown placeholder(s) {', '.join('{' + name + '}' for name in unknown)}; "
                f"known are {', '.join('{' + name + '}' for name in BUCKET_NAME_PLACEHOLDERS)}"
            )
        return template

    @property
    def shard_count(self) -> int | None:
        """Shards to provision, or None for an ON_DEMAND stream."""
        return self.stream_shard_count if self.stream_mode == "PROVISIONED" else None

    @property
    def is_disposable_stack(self) -> bool:
        """The one rule for what may be lost: the `disposable` key, else the stack name."""
        if self.disposable is not None:
            return self.disposable
        return is_disposable(self.environment.name)

    @property
    def protects_data(self) -> bool:
        """Whether the stream, table, buckets and KMS keys get Pulumi's `protect`."""
        return not self.is_disposable_stack

    def _unless_disposable(self, setting: bool | None) -> bool:
        """`setting` when set, else on exactly for stacks that are not disposable."""
        return (not self.is_disposable_stack) if setting is None else setting

    @property
    def deletion_protection(self) -> bool:
        return self._unless_disposable(self.table_deletion_protection)

    @property
    def force_destroy(self) -> bool:
        return self.is_disposable_stack if self.archive_force_destroy is None else self.archive_force_destroy

    @property
    def stream_key(self) -> bool:
        return self._unless_disposable(self.stream_customer_managed_key)

    @property
    def archive_key(self) -> bool:
        return self._unless_disposable(self.archive_customer_managed_key)

    @property
    def access_logs(self) -> bool:
        return self._unless_disposable(self.archive_access_logs)

    @property
    def target_utilization(self) -> int:
        return self.table_target_utilization or DEFAULT_TARGET_UTILIZATION

    def effective_values(self) -> dict[str, Any]:
        """As every layer's, with the auto scaling ranges and target a PROVISIONED table gets."""
        values = super().effective_values()
        if self.table_billing_mode == "PROVISIONED":
            fields = type(self).model_fields
            for name in CAPACITY_DIMENSIONS:
                values[fields[name].alias or name] = dataclasses.asdict(self.capacity(name))
            values[fields["table_target_utilization"].alias or "table_target_utilization"] = self.target_utilization
        return values

    def capacity(self, dimension: str) -> CapacityRange:
        """The auto scaling range of `dimension` (one of CAPACITY_DIMENSIONS): configured bounds over defaults."""
        configured: dict[str, int] = getattr(self, dimension) or {}
        return CapacityRange(**(DEFAULT_CAPACITY[dimension] | configured))

    def check(self) -> list[Problem]:
        problems = []
        if self.stream_mode == "ON_DEMAND" and "stream_shard_count" in self.model_fields_set:
            problems.append(
                self.problem(
                    "stream_shard_count",
                    "is only for PROVISIONED streams; an ON_DEMAND stream manages its own shards, "
                    "so remove the key or set streamMode to PROVISIONED",
                )
            )
        if self.table_billing_mode == "PAY_PER_REQUEST":
            problems += [
                self.problem(name, "is only for PROVISIONED tables; remove it or set tableBillingMode to PROVISIONED")
                for name in (*CAPACITY_DIMENSIONS, "table_target_utilization")
                if getattr(self, name) is not None
            ]
        else:
            problems += [
                self.problem(name, f"min ({bounds.min:,}) is above max ({bounds.max:,})")
                for name in CAPACITY_DIMENSIONS
                if (bounds := self.capacity(name)).min > bounds.max
            ]
        storage_class = self.archive_transition_storage_class
        if storage_class is not None and self.archive_transition_days < MIN_TRANSITION_DAYS[storage_class]:
            problems.append(
                self.problem(
                    "archive_transition_days",
                    f"must be at least {MIN_TRANSITION_DAYS[storage_class]} for {storage_class}: S3 refuses "
                    "to move younger objects there",
                )
            )
        if (
            storage_class is not None
            and self.archive_retention_days is not None
            and self.archive_retention_days <= self.archive_transition_days
        ):
            problems.append(
                self.problem(
                    "archive_retention_days",
                    f"must be more than archiveTransitionDays ({self.archive_transition_days}): S3 refuses a rule "
                    "that expires objects before or when it moves them",
                )
            )
        return problems
