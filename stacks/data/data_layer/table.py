"""The DynamoDB table that records where every pipeline record is (schema: docs/contract.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.catalogue import STATUS_INDEX
from streaming_shared.naming import NameKind, Namer

from .protection import holding_data
from .settings import BillingMode, DataSettings

HASH_KEY = "PipelineId"
RANGE_KEY = "Timestamp"
STATUS_ATTRIBUTE = "Status"
TTL_ATTRIBUTE = "ExpirationTime"

STATUS_INDEX_PROJECTION = "ALL"
"""The projection of `StatusIndex`, chosen for the query it exists for: an operator asking for
every quarantined record of the last hour (`Status = QUARANTINED AND Timestamp >= now - 3600`)
wants the records, reason included, not just their keys.

- `ALL` answers that in one Query. The items are small state records (payloads live in S3),
  so an index write costs the same 1 WCU per KB whatever the projection, and the extra storage
  is a copy of small, TTL-expiring items.
- `KEYS_ONLY` saves nothing on items under 1 KB and turns every hit into a follow-up GetItem.
- `INCLUDE` would tie this layer to attribute names the data plane owns; an attribute added
  later would be silently missing from the index, and changing a projection means rebuilding
  the index.
"""


@dataclass(frozen=True)
class TableSpec:
    """The table's billing and capacity, its deletion protection, and whether it is protected."""

    environment: str
    billing_mode: BillingMode
    read_capacity: int | None
    write_capacity: int | None
    index_read_capacity: int | None
    index_write_capacity: int | None
    """The `StatusIndex` capacities: the index's own if configured, else the table's."""
    deletion_protection: bool
    protect: bool

    @classmethod
    def of(cls, settings: DataSettings) -> TableSpec:
        index_read, index_write = settings.index_capacity
        return cls(
            environment=settings.environment.name,
            billing_mode=settings.table_billing_mode,
            read_capacity=settings.table_read_capacity,
            write_capacity=settings.table_write_capacity,
            index_read_capacity=index_read,
            index_write_capacity=index_write,
            deletion_protection=settings.deletion_protection,
            protect=settings.protects_data,
        )


class StateTable(pulumi.ComponentResource):
    """The state table: key schema, `StatusIndex`, TTL, PITR and encryption."""

    def __init__(self, name: str, spec: TableSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:data:StateTable", name, None, opts)
        namer = Namer(spec.environment)
        provisioned = spec.billing_mode == "PROVISIONED"

        self.table = aws.dynamodb.Table(
            name,
            name=namer.name("state", kind=NameKind.DYNAMODB_TABLE),
            billing_mode=spec.billing_mode,
            read_capacity=spec.read_capacity if provisioned else None,
            write_capacity=spec.write_capacity if provisioned else None,
            hash_key=HASH_KEY,
            range_key=RANGE_KEY,
            attributes=[
                aws.dynamodb.TableAttributeArgs(name=HASH_KEY, type="S"),
                aws.dynamodb.TableAttributeArgs(name=RANGE_KEY, type="N"),
                aws.dynamodb.TableAttributeArgs(name=STATUS_ATTRIBUTE, type="S"),
            ],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=STATUS_INDEX,
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                            attribute_name=STATUS_ATTRIBUTE, key_type="HASH"
                        ),
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=RANGE_KEY, key_type="RANGE"),
                    ],
                    projection_type=STATUS_INDEX_PROJECTION,
                    read_capacity=spec.index_read_capacity if provisioned else None,
                    write_capacity=spec.index_write_capacity if provisioned else None,
                )
            ],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=TTL_ATTRIBUTE, enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            # Enabled without a key ARN means the AWS-managed key `alias/aws/dynamodb`: no key
            # fee, and key use shows up in CloudTrail (the AWS-owned default shows nothing).
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=spec.deletion_protection,
            opts=holding_data(spec.protect, self),
        )

        self.register_outputs({"table_name": self.table.name, "table_arn": self.table.arn})
