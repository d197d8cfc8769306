"""The DynamoDB table that records where every pipeline record is (schema: docs/contract.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.naming import NameKind, Namer
from streaming_shared.record_store import HASH_KEY, RANGE_KEY, STATUS_ATTRIBUTE, STATUS_INDEX, TTL_ATTRIBUTE

from .protection import holding_data
from .settings import BillingMode, CapacityRange, DataSettings

_TargetTracking = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
_PredefinedMetric = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs

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


SCALED_CAPACITY = (
    "readCapacity",
    "writeCapacity",
    "globalSecondaryIndexes[*].readCapacity",
    "globalSecondaryIndexes[*].writeCapacity",
)
"""The table's properties Application Auto Scaling moves (see `StateTable`)."""


@dataclass(frozen=True)
class ScaledDimension:
    """One capacity Application Auto Scaling manages: what it is called there, and its metric."""

    setting: str
    """The `DataSettings` field with its range."""
    on_index: bool
    unit: str
    """`ReadCapacityUnits` or `WriteCapacityUnits`."""

    @property
    def scalable_dimension(self) -> str:
        return f"dynamodb:{'index' if self.on_index else 'table'}:{self.unit}"

    @property
    def predefined_metric(self) -> str:
        return f"DynamoDB{self.unit.removesuffix('CapacityUnits')}CapacityUtilization"

    def resource_id(self, table_name: str) -> str:
        """Application Auto Scaling's id of the table or its index."""
        return f"table/{table_name}/index/{STATUS_INDEX}" if self.on_index else f"table/{table_name}"

    @property
    def child_name(self) -> str:
        return f"{'index' if self.on_index else 'table'}-{self.unit.removesuffix('CapacityUnits').lower()}"


SCALED_DIMENSIONS = (
    ScaledDimension("table_read_capacity", on_index=False, unit="ReadCapacityUnits"),
    ScaledDimension("table_write_capacity", on_index=False, unit="WriteCapacityUnits"),
    ScaledDimension("index_read_capacity", on_index=True, unit="ReadCapacityUnits"),
    ScaledDimension("index_write_capacity", on_index=True, unit="WriteCapacityUnits"),
)


@dataclass(frozen=True)
class TableSpec:
    """The table's billing and capacity, its deletion protection, and whether it is protected."""

    environment: str
    billing_mode: BillingMode
    capacity: Mapping[str, CapacityRange]
    """With PROVISIONED: the auto scaling range of each of SCALED_DIMENSIONS (by setting); empty otherwise."""
    target_utilization: int
    deletion_protection: bool
    protect: bool

    @classmethod
    def of(cls, settings: DataSettings) -> TableSpec:
        provisioned = settings.table_billing_mode == "PROVISIONED"
        return cls(
            environment=settings.environment.name,
            billing_mode=settings.table_billing_mode,
            capacity={d.setting: settings.capacity(d.setting) for d in SCALED_DIMENSIONS} if provisioned else {},
            target_utilization=settings.target_utilization,
            deletion_protection=settings.deletion_protection,
            protect=settings.protects_data,
        )


class StateTable(pulumi.ComponentResource):
    """The state table: key schema, `StatusIndex`, TTL, PITR and encryption; with PROVISIONED, target
    tracking auto scaling of the table's and the index's read and write capacity.

    A PROVISIONED table is created with each range's minimum, and from then on Application Auto
    Scaling owns the capacity: the table ignores changes to it (SCALED_CAPACITY), or every `pulumi up`
    would set the capacity back to the minimum under a running load, and every preview would show the
    scaler's last move as drift. A new range takes effect through the scalable target.
    """

    def __init__(self, name: str, spec: TableSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:data:StateTable", name, None, opts)
        namer = Namer(spec.environment)
        provisioned = spec.billing_mode == "PROVISIONED"

        def initial(setting: str) -> int | None:
            return spec.capacity[setting].min if provisioned else None

        self.table = aws.dynamodb.Table(
            name,
            name=namer.name("state", kind=NameKind.DYNAMODB_TABLE),
            billing_mode=spec.billing_mode,
            read_capacity=initial("table_read_capacity"),
            write_capacity=initial("table_write_capacity"),
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
                    read_capacity=initial("index_read_capacity"),
                    write_capacity=initial("index_write_capacity"),
                )
            ],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=TTL_ATTRIBUTE, enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            # Enabled without a key ARN means the AWS-managed key `alias/aws/dynamodb`: no key
            # fee, and key use shows up in CloudTrail (the AWS-owned default shows nothing).
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=spec.deletion_protection,
            opts=pulumi.ResourceOptions.merge(
                holding_data(spec.protect, self),
                pulumi.ResourceOptions(ignore_changes=list(SCALED_CAPACITY) if provisioned else None),
            ),
        )

        self.scaling_targets: list[aws.appautoscaling.Target] = []
        if provisioned:
            child = pulumi.ResourceOptions(parent=self)
            for dimension in SCALED_DIMENSIONS:
                bounds = spec.capacity[dimension.setting]
                resource_id = self.table.name.apply(dimension.resource_id)
                target = aws.appautoscaling.Target(
                    f"{name}-{dimension.child_name}",
                    service_namespace="dynamodb",
                    resource_id=resource_id,
                    scalable_dimension=dimension.scalable_dimension,
                    min_capacity=bounds.min,
                    max_capacity=bounds.max,
                    opts=child,
                )
                aws.appautoscaling.Policy(
                    f"{name}-{dimension.child_name}",
                    policy_type="TargetTrackingScaling",
                    service_namespace=target.service_namespace,
                    resource_id=target.resource_id,
                    scalable_dimension=target.scalable_dimension,
                    target_tracking_scaling_policy_configuration=_TargetTracking(
                        target_value=spec.target_utilization,
                        predefined_metric_specification=_PredefinedMetric(
                            predefined_metric_type=dimension.predefined_metric
                        ),
                    ),
                    opts=child,
                )
                self.scaling_targets.append(target)

        self.register_outputs({"table_name": self.table.name, "table_arn": self.table.arn})
