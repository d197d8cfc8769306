"""The S3 bucket the `archive` stage writes processed records to, and the bucket of its access logs,
each control its own resource (pulumi-aws 7 deprecates the inline bucket arguments)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_shared.config import STACK_KEY
from streaming_shared.keys import customer_managed_key
from streaming_shared.naming import NameKind, Namer, check_name
from streaming_shared.record_store import ARCHIVE_PREFIX, QUARANTINE_PREFIX, STAGING_PREFIX

from .protection import holding_data
from .settings import DataSettings, render_bucket_name

ABORT_INCOMPLETE_UPLOADS_DAYS = 7
"""Parts of an upload that never completed are billed as storage until aborted."""

_EncryptByDefault = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
_Rule = aws.s3.BucketLifecycleConfigurationRuleArgs
_Filter = aws.s3.BucketLifecycleConfigurationRuleFilterArgs
_Expiration = aws.s3.BucketLifecycleConfigurationRuleExpirationArgs
_NoncurrentExpiration = aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs

EVERYTHING = _Filter(prefix="")
"""The S3 API requires a filter on every lifecycle rule; an empty prefix matches every object."""

ARCHIVED, QUARANTINED, STAGED = (f"{prefix}/" for prefix in (ARCHIVE_PREFIX, QUARANTINE_PREFIX, STAGING_PREFIX))
"""The key prefixes the lifecycle rules filter by: where the functions write (streaming_shared.record_store)."""
STAGING_EXPIRATION_DAYS = 1
"""Staging objects (and, the bucket being versioned, their noncurrent versions) expire after a day:
a record waits there for seconds, archive deletes it once the record is archived, and every retry
stores it again from the stream, so what a failed run leaves there is a copy of a record still in it."""
QUARANTINE_NONCURRENT_DAYS = 1
"""A quarantined object's last version goes a day after it expires: it holds producers' raw bytes."""
S3_LOG_DELIVERY = "logging.s3.amazonaws.com"


@dataclass(frozen=True)
class BucketNames:
    archive: str
    access_logs: str | None
    """None when the stack has no access logs."""
    account: str
    """The account id, when a name or the access log bucket's policy needs it; else empty."""


def bucket_names(settings: DataSettings, provider: aws.Provider) -> BucketNames:
    """The buckets' names from their templates, checked against S3's rules before anything exists.

    Bucket names are global across every AWS account, so the defaults carry the account id (asked
    of STS, also when the access log bucket's policy needs it) and the region.
    """
    templates = {"archive_bucket_name": settings.archive_bucket_name}
    if settings.access_logs:
        templates["access_log_bucket_name"] = settings.access_log_bucket_name
    account = ""
    if settings.access_logs or any("{account}" in template for template in templates.values()):
        account = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
    names = {}
    for field, template in templates.items():
        name = render_bucket_name(
            template, environment=settings.environment.name, account=account, region=settings.environment.region
        )
        source = settings.key(field) if field in settings.model_fields_set else STACK_KEY
        names[field] = check_name(name, NameKind.S3_BUCKET, source=source)
    return BucketNames(names["archive_bucket_name"], names.get("access_log_bucket_name"), account)


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """A statement refusing every request not made over TLS (AWS Foundational Best Practices S3.5)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def allow_log_delivery(log_bucket_arn: str, source_bucket_arn: str, account: str) -> dict[str, Any]:
    """S3's log delivery may put objects, for the source bucket of this account only (confused deputy)."""
    return {
        "Sid": "AllowServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": S3_LOG_DELIVERY},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": source_bucket_arn},
            "StringEquals": {"aws:SourceAccount": account},
        },
    }


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass(frozen=True)
class Transition:
    storage_class: str
    days: int
    min_object_bytes: int


@dataclass(frozen=True)
class AccessLogSpec:
    bucket_name: str
    """Already checked, by `bucket_names`."""
    retention_days: int
    account: str


@dataclass(frozen=True)
class ArchiveSpec:
    """The bucket's name, encryption, lifecycle, access logs, and what may delete it."""

    environment: str
    bucket_name: str
    """Already checked, by `bucket_names`."""
    customer_managed_key: bool
    retention_days: int | None
    """None: archived records are kept forever."""
    transition: Transition | None
    noncurrent_days: int
    quarantine_retention_days: int
    access_logs: AccessLogSpec | None
    force_destroy: bool
    protect: bool

    @classmethod
    def of(cls, settings: DataSettings, names: BucketNames) -> ArchiveSpec:
        storage_class = settings.archive_transition_storage_class
        return cls(
            environment=settings.environment.name,
            bucket_name=names.archive,
            customer_managed_key=settings.archive_key,
            retention_days=settings.archive_retention_days,
            transition=Transition(
                storage_class, settings.archive_transition_days, settings.archive_transition_min_object_kb * 1024
            )
            if storage_class
            else None,
            noncurrent_days=settings.archive_noncurrent_days,
            quarantine_retention_days=settings.quarantine_retention_days,
            access_logs=AccessLogSpec(names.access_logs, settings.access_log_retention_days, names.account)
            if names.access_logs
            else None,
            force_destroy=settings.force_destroy,
            protect=settings.protects_data,
        )


def archive_rules(spec: ArchiveSpec) -> list[_Rule]:
    """The archive bucket's lifecycle: what expires when, and what moves to a colder class."""
    rules = [
        _Rule(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=EVERYTHING,
            noncurrent_version_expiration=_NoncurrentExpiration(noncurrent_days=spec.noncurrent_days),
            # A delete marker left alone once its versions are gone still lists; it goes too.
            expiration=_Expiration(expired_object_delete_marker=True),
        ),
        _Rule(
            id="expire-staged-records",
            status="Enabled",
            filter=_Filter(prefix=STAGED),
            expiration=_Expiration(days=STAGING_EXPIRATION_DAYS),
            noncurrent_version_expiration=_NoncurrentExpiration(noncurrent_days=STAGING_EXPIRATION_DAYS),
        ),
        _Rule(
            id="expire-quarantined-records",
            status="Enabled",
            filter=_Filter(prefix=QUARANTINED),
            expiration=_Expiration(days=spec.quarantine_retention_days),
            noncurrent_version_expiration=_NoncurrentExpiration(noncurrent_days=QUARANTINE_NONCURRENT_DAYS),
        ),
        _Rule(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=EVERYTHING,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
            ),
        ),
    ]
    if spec.retention_days is not None:
        rules.append(
            _Rule(
                id="expire-archived-records",
                status="Enabled",
                filter=_Filter(prefix=ARCHIVED),
                expiration=_Expiration(days=spec.retention_days),
            )
        )
    if spec.transition is not None:
        rules.append(
            _Rule(
                id="transition-archived-records",
                status="Enabled",
                # The size filter says which objects move, instead of S3's unstated 128 KB default.
                filter=_Filter(
                    and_=aws.s3.BucketLifecycleConfigurationRuleFilterAndArgs(
                        prefix=ARCHIVED, object_size_greater_than=spec.transition.min_object_bytes
                    )
                ),
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=spec.transition.days, storage_class=spec.transition.storage_class
                    )
                ],
            )
        )
    return rules


def access_log_rules(spec: AccessLogSpec) -> list[_Rule]:
    return [
        _Rule(
            id="expire-access-logs",
            status="Enabled",
            filter=EVERYTHING,
            expiration=_Expiration(days=spec.retention_days),
            noncurrent_version_expiration=_NoncurrentExpiration(noncurrent_days=1),
        ),
        _Rule(
            id="remove-expired-delete-markers",
            status="Enabled",
            filter=EVERYTHING,
            expiration=_Expiration(expired_object_delete_marker=True),
        ),
    ]


@dataclass(frozen=True)
class BucketControls:
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    versioning: aws.s3.BucketVersioning
    lifecycle: aws.s3.BucketLifecycleConfiguration
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership_controls: aws.s3.BucketOwnershipControls
    policy: aws.s3.BucketPolicy


def private_bucket_controls(
    name: str,
    bucket: aws.s3.Bucket,
    *,
    encryption: _EncryptByDefault,
    rules: list[_Rule],
    policy: pulumi.Input[str],
    parent: pulumi.Resource,
) -> BucketControls:
    """What every bucket of this layer has: default encryption with a Bucket Key, versioning, the
    lifecycle `rules`, a public access block with all four flags, no ACLs, and `policy`."""
    child = pulumi.ResourceOptions(parent=parent)
    versioning = aws.s3.BucketVersioning(
        name,
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    public_access_block = aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    return BucketControls(
        encryption=aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=encryption,
                    # Only SSE-KMS uses it (one KMS call per bucket and period instead of per
                    # object); set for SSE-S3 too so switching to a KMS key keeps costs down.
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        ),
        versioning=versioning,
        lifecycle=aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            rules=rules,
            # A noncurrent-version rule on a bucket whose versioning is still being switched on
            # can be rejected or not take effect; the provider docs advise this ordering.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
        ),
        public_access_block=public_access_block,
        ownership_controls=aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        ),
        policy=aws.s3.BucketPolicy(
            name,
            bucket=bucket.id,
            policy=policy,
            # S3 can refuse a bucket policy while the public access block is still being
            # applied; putting the policy after it avoids that race.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access_block])),
        ),
    )


class ArchiveBucket(pulumi.ComponentResource):
    """A private, versioned, encrypted bucket with its lifecycle and a TLS-only policy; with access
    logs, a second such bucket that receives them.

    The access log bucket is encrypted with SSE-S3: S3's log delivery writes to it with no KMS
    permission of its own. Its objects say who did what to which key, never a record's contents.
    """

    def __init__(self, name: str, spec: ArchiveSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:data:ArchiveBucket", name, None, opts)
        namer = Namer(spec.environment)

        self.bucket = aws.s3.Bucket(
            name,
            bucket=spec.bucket_name,
            force_destroy=spec.force_destroy,
            opts=holding_data(spec.protect, self),
        )

        self.key: aws.kms.Key | None = None
        if spec.customer_managed_key:
            self.key, _ = customer_managed_key(
                f"{name}-key",
                description=f"streaming-pipeline {namer.environment}: S3 archive bucket encryption",
                alias=namer.name(name),
                source=namer.source,
                opts=holding_data(spec.protect, self),
            )
            by_default = _EncryptByDefault(sse_algorithm="aws:kms", kms_master_key_id=self.key.arn)
        else:
            by_default = _EncryptByDefault(sse_algorithm="AES256")
        self.controls = private_bucket_controls(
            name,
            self.bucket,
            encryption=by_default,
            rules=archive_rules(spec),
            policy=self.bucket.arn.apply(lambda arn: policy_document(deny_insecure_transport(arn))),
            parent=self,
        )

        self.access_log_bucket: aws.s3.Bucket | None = None
        if spec.access_logs is not None:
            self.access_log_bucket = self._access_logs(f"{name}-logs", spec, spec.access_logs)

        self.register_outputs(
            {
                "bucket_name": self.bucket.bucket,
                "bucket_arn": self.bucket.arn,
                "kms_key_arn": self.key.arn if self.key else None,
            }
        )

    def _access_logs(self, name: str, spec: ArchiveSpec, logs: AccessLogSpec) -> aws.s3.Bucket:
        bucket = aws.s3.Bucket(
            name, bucket=logs.bucket_name, force_destroy=spec.force_destroy, opts=holding_data(spec.protect, self)
        )
        controls = private_bucket_controls(
            name,
            bucket,
            encryption=_EncryptByDefault(sse_algorithm="AES256"),
            rules=access_log_rules(logs),
            policy=pulumi.Output.all(bucket.arn, self.bucket.arn).apply(
                lambda arns: policy_document(
                    deny_insecure_transport(arns[0]), allow_log_delivery(arns[0], arns[1], logs.account)
                )
            ),
            parent=self,
        )
        aws.s3.BucketLogging(
            name,
            bucket=self.bucket.id,
            target_bucket=bucket.id,
            target_prefix="",
            target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                    partition_date_source="EventTime"
                )
            ),
            # S3 checks the target's policy when logging is switched on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[controls.policy]),
        )
        return bucket
