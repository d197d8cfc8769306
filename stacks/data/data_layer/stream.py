"""The Kinesis data stream producers write to and the `ingest` function reads."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from streaming_shared.keys import customer_managed_key
from streaming_shared.naming import NameKind, Namer

from .protection import holding_data
from .settings import DataSettings

AWS_MANAGED_KINESIS_KEY = "alias/aws/kinesis"
"""Free, unlike a customer-managed key; only KMS request charges apply (Kinesis calls KMS about
every five minutes per producer or consumer credential)."""


class IngestStream(pulumi.ComponentResource):
    """A KMS-encrypted stream, provisioned or on-demand; its own key only if settings ask."""

    def __init__(self, name: str, settings: DataSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:data:IngestStream", name, None, opts)
        namer = Namer(settings.environment.name)

        self.key: aws.kms.Key | None = None
        kms_key_id: pulumi.Input[str] = AWS_MANAGED_KINESIS_KEY
        if settings.stream_customer_managed_key:
            self.key, _ = customer_managed_key(
                f"{name}-key",
                description=f"streaming-pipeline {namer.environment}: Kinesis stream encryption",
                alias=namer.name(name),
                source=namer.source,
                opts=holding_data(settings, self),
            )
            kms_key_id = self.key.arn

        self.stream = aws.kinesis.Stream(
            "stream",
            name=namer.name("records", kind=NameKind.KINESIS_STREAM),
            stream_mode_details=aws.kinesis.StreamStreamModeDetailsArgs(stream_mode=settings.stream_mode),
            shard_count=settings.shard_count,
            retention_period=settings.stream_retention_hours,
            shard_level_metrics=settings.stream_shard_level_metrics,
            encryption_type="KMS",
            kms_key_id=kms_key_id,
            opts=holding_data(settings, self),
        )

        self.register_outputs(
            {
                "stream_name": self.stream.name,
                "stream_arn": self.stream.arn,
                "kms_key_arn": self.key.arn if self.key else None,
            }
        )
