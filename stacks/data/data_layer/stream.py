"""The Kinesis data stream producers write to and the `ingest` function reads."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.keys import customer_managed_key
from streaming_shared.naming import NameKind, Namer

from .protection import holding_data
from .settings import DataSettings, StreamMode

AWS_MANAGED_KINESIS_KEY = "alias/aws/kinesis"
"""Free, unlike a customer-managed key; only KMS request charges apply (Kinesis calls KMS about
every five minutes per producer or consumer credential)."""


@dataclass(frozen=True)
class StreamSpec:
    """The stream's capacity, retention, metrics and key, and whether it is protected."""

    environment: str
    mode: StreamMode
    shard_count: int | None
    """None for an ON_DEMAND stream."""
    retention_hours: int
    shard_level_metrics: tuple[str, ...]
    customer_managed_key: bool
    protect: bool

    @classmethod
    def of(cls, settings: DataSettings) -> StreamSpec:
        return cls(
            environment=settings.environment.name,
            mode=settings.stream_mode,
            shard_count=settings.shard_count,
            retention_hours=settings.stream_retention_hours,
            shard_level_metrics=tuple(settings.stream_shard_level_metrics),
            customer_managed_key=settings.stream_key,
            protect=settings.protects_data,
        )


class IngestStream(pulumi.ComponentResource):
    """A KMS-encrypted stream, provisioned or on-demand; its own key only if the spec asks."""

    def __init__(self, name: str, spec: StreamSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:data:IngestStream", name, None, opts)
        namer = Namer(spec.environment)

        self.key: aws.kms.Key | None = None
        kms_key_id: pulumi.Input[str] = AWS_MANAGED_KINESIS_KEY
        if spec.customer_managed_key:
            self.key, _ = customer_managed_key(
                f"{name}-key",
                description=f"streaming-pipeline {namer.environment}: Kinesis stream encryption",
                alias=namer.name(name),
                source=namer.source,
                opts=holding_data(spec.protect, self),
            )
            kms_key_id = self.key.arn

        self.stream = aws.kinesis.Stream(
            name,
            name=namer.name("records", kind=NameKind.KINESIS_STREAM),
            stream_mode_details=aws.kinesis.StreamStreamModeDetailsArgs(stream_mode=spec.mode),
            shard_count=spec.shard_count,
            retention_period=spec.retention_hours,
            shard_level_metrics=list(spec.shard_level_metrics),
            encryption_type="KMS",
            kms_key_id=kms_key_id,
            opts=holding_data(spec.protect, self),
        )

        self.register_outputs(
            {
                "stream_name": self.stream.name,
                "stream_arn": self.stream.arn,
                "kms_key_arn": self.key.arn if self.key else None,
            }
        )
