"""Config keys of the data layer (`streaming-data:<key>`)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from streaming_shared.catalogue import DATA
from streaming_shared.config import DISPOSABLE_ENVIRONMENTS, LayerSettings, is_disposable
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

MIN_INFREQUENT_ACCESS_DAYS = 30
"""S3 does not move objects younger than 30 days to STANDARD_IA; the lifecycle API rejects it."""

MIN_DAYS_IN_INFREQUENT_ACCESS = 30
"""Objects must spend 30 days in STANDARD_IA before a lifecycle rule moves them on to GLACIER."""

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
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

StreamMode = Literal["PROVISIONED", "ON_DEMAND"]
BillingMode = Literal["PAY_PER_REQUEST", "PROVISIONED"]


_DISPOSABLE_RULE = (
    f"stacks named {', '.join(f'`{name}`' for name in DISPOSABLE_ENVIRONMENTS)} "
    "or starting with one of those and a hyphen (`dev-alice`)"
)


def render_bucket_name(template: str, *, environment: str, account: str, region: str) -> str:
    values = {"environment": environment, "account": account, "region": region}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


class DataSettings(LayerSettings):
    LAYER = DATA

    disposable: bool | None = Field(
        None,
        description="Whether this stack holds nothing that must survive a destroy. Unset: true for "
        f"{_DISPOSABLE_RULE}, false for every other stack. A stack that is not disposable gets "
        "Pulumi's `protect` on the stream, the table, the bucket and the KMS keys (a destroy or "
        "replacement of them fails), table deletion protection and no force-destroy, unless "
        "`tableDeletionProtection` or `archiveForceDestroy` say otherwise.",
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
    stream_customer_managed_key: bool = Field(
        False,
        description="Encrypt the stream with a customer-managed KMS key created by this layer "
        "(rotation on, $1 a month) instead of the AWS-managed `alias/aws/kinesis`. Its ARN is "
        "exported as `stream_kms_key_arn`.",
    )

    # -- DynamoDB state table ------------------------------------------------------------------
    table_billing_mode: BillingMode = Field(
        "PAY_PER_REQUEST",
        description="DynamoDB billing mode. PAY_PER_REQUEST (on-demand) costs nothing while idle; "
        "PROVISIONED needs `tableReadCapacity` and `tableWriteCapacity`.",
    )
    table_read_capacity: int | None = Field(
        None,
        ge=1,
        description=f"Read capacity units of the table, at most {MAX_TABLE_CAPACITY:,}. Required "
        "with PROVISIONED, not allowed with PAY_PER_REQUEST.",
    )
    table_write_capacity: int | None = Field(
        None,
        ge=1,
        description=f"Write capacity units of the table, at most {MAX_TABLE_CAPACITY:,}. Required "
        "with PROVISIONED, not allowed with PAY_PER_REQUEST.",
    )
    index_read_capacity: int | None = Field(
        None,
        ge=1,
        description="Read capacity units of the `StatusIndex` GSI with PROVISIONED; unset means "
        "the table's. Not allowed with PAY_PER_REQUEST.",
    )
    index_write_capacity: int | None = Field(
        None,
        ge=1,
        description="Write capacity units of the `StatusIndex` GSI with PROVISIONED; unset means "
        "the table's (every table write that sets `Status` also writes the index). Not allowed "
        "with PAY_PER_REQUEST.",
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
    archive_customer_managed_key: bool = Field(
        False,
        description="Encrypt archived objects with SSE-KMS under a customer-managed key created "
        "by this layer (rotation on, $1 a month; exported as `archive_kms_key_arn`) instead of "
        "SSE-S3. Either way with an S3 Bucket Key.",
    )
    archive_force_destroy: bool | None = Field(
        None,
        description="Let `pulumi destroy` delete the bucket with every object version in it. "
        "Unset: on for disposable stacks (see `disposable`), off for every other stack.",
    )
    archive_infrequent_access_days: int = Field(
        30,
        ge=MIN_INFREQUENT_ACCESS_DAYS,
        description="Days after creation when archived objects move to STANDARD_IA (S3 requires at least 30).",
    )
    archive_glacier_days: int = Field(
        90,
        ge=1,
        description="Days after creation when archived objects move to GLACIER (Flexible "
        "Retrieval); at least 30 days after `archiveInfrequentAccessDays`.",
    )
    archive_noncurrent_days: int = Field(
        30,
        ge=1,
        description="Days after an object is overwritten or deleted when its previous (noncurrent) "
        "version is removed for good.",
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

    @field_validator("table_read_capacity", "table_write_capacity", "index_read_capacity", "index_write_capacity")
    @classmethod
    def _capacity_within_the_table_quota(cls, value: int | None) -> int | None:
        if value is not None and value > MAX_TABLE_CAPACITY:
            raise ValueError(
                f"is above DynamoDB's default quota of {MAX_TABLE_CAPACITY:,} capacity units per "
                "table and index; raise the quota first, or use PAY_PER_REQUEST"
            )
        return value

    @field_validator("archive_bucket_name")
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
        """Whether the stream, table, bucket and KMS keys get Pulumi's `protect`."""
        return not self.is_disposable_stack

    @property
    def deletion_protection(self) -> bool:
        if self.table_deletion_protection is not None:
            return self.table_deletion_protection
        return not self.is_disposable_stack

    @property
    def force_destroy(self) -> bool:
        if self.archive_force_destroy is not None:
            return self.archive_force_destroy
        return self.is_disposable_stack

    @property
    def index_capacity(self) -> tuple[int | None, int | None]:
        """(read, write) capacity of the GSI: its own if set, else the table's."""
        return (
            self.index_read_capacity or self.table_read_capacity,
            self.index_write_capacity or self.table_write_capacity,
        )

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
        capacities = ("table_read_capacity", "table_write_capacity", "index_read_capacity", "index_write_capacity")
        if self.table_billing_mode == "PAY_PER_REQUEST":
            problems += [
                self.problem(name, "is only for PROVISIONED tables; remove it or set tableBillingMode to PROVISIONED")
                for name in capacities
                if getattr(self, name) is not None
            ]
        else:
            problems += [
                self.problem(name, "is required when tableBillingMode is PROVISIONED")
                for name in capacities[:2]
                if getattr(self, name) is None
            ]
        earliest_glacier = self.archive_infrequent_access_days + MIN_DAYS_IN_INFREQUENT_ACCESS
        if self.archive_glacier_days < earliest_glacier:
            problems.append(
                self.problem(
                    "archive_glacier_days",
                    f"must be at least {earliest_glacier}: objects move to STANDARD_IA after "
                    f"archiveInfrequentAccessDays ({self.archive_infrequent_access_days}) and must stay "
                    f"there {MIN_DAYS_IN_INFREQUENT_ACCESS} days before S3 moves them to GLACIER",
                )
            )
        return problems
