"""What each stage is given: its environment variables and the AWS calls it may make.

This is the contract with the data plane (the handlers under `functions/`): `ingest` reads the
batch's states, marks failures and runs the state machine; `archive` writes the archive and
quarantine objects and the final state items. A record too large to pass inline travels under the
bucket's `staging/` prefix (claim check), so every stage may use that prefix, each for what it does
there (`iam.STAGING_ACTIONS`); beyond it, transform, validate and enrich call no AWS API.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from streaming_shared.catalogue import PRODUCT
from streaming_shared.upstream import Upstream

from . import iam
from .settings import ComputeSettings

METRICS_NAMESPACE = "StreamingPipeline"


@dataclass(frozen=True)
class DataResources:
    """The data layer's exports the functions use (the KMS keys only when customer-managed): Outputs
    of the data stack in the program, plain names where the data plane runs against an emulator."""

    stream_arn: pulumi.Input[str]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    stream_kms_key_arn: pulumi.Input[str] | None
    archive_kms_key_arn: pulumi.Input[str] | None

    @property
    def customer_managed_key_arns(self) -> tuple[pulumi.Input[str], ...]:
        return tuple(key for key in (self.stream_kms_key_arn, self.archive_kms_key_arn) if key is not None)

    @classmethod
    def read(cls, data: Upstream) -> DataResources:
        return cls(
            stream_arn=data.require("stream_arn"),
            table_name=data.require("table_name"),
            table_arn=data.require("table_arn"),
            bucket_name=data.require("archive_bucket_name"),
            bucket_arn=data.require("archive_bucket_arn"),
            stream_kms_key_arn=data.optional("stream_kms_key_arn"),
            archive_kms_key_arn=data.optional("archive_kms_key_arn"),
        )


def common_environment(stage: str, environment: str, log_level: str) -> dict[str, str]:
    """The variables every function gets: its stage, the stack, and Powertools' settings."""
    return {
        "STAGE": stage,
        "ENVIRONMENT": environment,
        "POWERTOOLS_SERVICE_NAME": PRODUCT,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": log_level,
    }


def environment(
    stage: str, settings: ComputeSettings, data: DataResources, state_machine_arn: pulumi.Input[str] | None = None
) -> dict[str, pulumi.Input[str]]:
    """The stage's own variables, beyond the common ones."""
    ttl = str(settings.record_ttl_days)
    if stage == "ingest":
        if state_machine_arn is None:
            raise ValueError("ingest needs the state machine ARN")
        return {
            "TABLE_NAME": data.table_name,
            "BUCKET_NAME": data.bucket_name,
            "STATE_MACHINE_ARN": state_machine_arn,
            "RECORD_TTL_DAYS": ttl,
            "MAX_PAYLOAD_BYTES": str(settings.max_payload_bytes),
        }
    if stage == "archive":
        return {"TABLE_NAME": data.table_name, "BUCKET_NAME": data.bucket_name, "RECORD_TTL_DAYS": ttl}
    if stage == "validate":
        return {"BUCKET_NAME": data.bucket_name, "STRICT_ENVELOPE": "true" if settings.strict_envelope else "false"}
    return {"BUCKET_NAME": data.bucket_name}


def statements(
    stage: str, region: str, data: DataResources, state_machine_arn: pulumi.Input[str] | None = None
) -> pulumi.Output[list[iam.Statement]]:
    """The stage's own AWS calls (its log group and network interfaces are added by `StageFunction`)."""

    def key_use(key_arn: str | None) -> list[iam.Statement]:
        return [iam.archive_key_use(stage, key_arn, region)] if key_arn else []

    if stage == "ingest":
        if state_machine_arn is None:
            raise ValueError("ingest needs the state machine ARN")
        return pulumi.Output.all(data.table_arn, state_machine_arn, data.bucket_arn, data.archive_kms_key_arn).apply(
            lambda values: [
                iam.table_checks(values[0]),
                iam.start_sync_execution(values[1]),
                iam.staging_access(stage, values[2]),
                *key_use(values[3]),
            ]
        )
    if stage == "archive":
        return pulumi.Output.all(data.bucket_arn, data.table_arn, data.archive_kms_key_arn).apply(
            lambda values: [
                iam.archive_writes(values[0]),
                iam.archive_listing(values[0]),
                iam.staging_access(stage, values[0]),
                iam.table_writes(values[1]),
                *key_use(values[2]),
            ]
        )
    return pulumi.Output.all(data.bucket_arn, data.archive_kms_key_arn).apply(
        lambda values: [iam.staging_access(stage, values[0]), *key_use(values[1])]
    )
