"""The S3 bucket the `archive` stage writes processed records to, with every control as its own
resource (pulumi-aws 7 deprecates the inline bucket arguments)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.config import STACK_KEY
from streaming_shared.keys import customer_managed_key
from streaming_shared.naming import NameKind, Namer, check_name

from .protection import holding_data
from .settings import DataSettings, render_bucket_name

ABORT_INCOMPLETE_UPLOADS_DAYS = 7
"""Parts of an upload that never completed are billed as storage until aborted."""

_EncryptByDefault = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs

EVERYTHING = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
"""The S3 API requires a filter on every lifecycle rule; an empty prefix matches every object."""

STAGING_PREFIX = "staging/"
"""Where the compute layer's data plane keeps a record too large to pass through its state machine
inline while it travels by reference (claim check). archive deletes each staging object once the
record is archived; what a failed run leaves there is a copy of a record still in the stream."""
STAGING_EXPIRATION_DAYS = 1
"""Staging objects (and, the bucket being versioned, their noncurrent versions) expire after a day:
a record waits there for seconds, and every retry stores it again from the stream."""


def archive_bucket_name(settings: DataSettings, provider: aws.Provider) -> str:
    """The bucket name from `archiveBucketName`, checked against S3's rules before anything exists.

    Bucket names are global across every AWS account, so the default carries the account id
    (asked of STS) and the region.
    """
    template = settings.archive_bucket_name
    account = ""
    if "{account}" in template:
        account = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
    name = render_bucket_name(
        template, environment=settings.environment.name, account=account, region=settings.environment.region
    )
    configured = "archive_bucket_name" in settings.model_fields_set
    return check_name(name, NameKind.S3_BUCKET, source=settings.key("archive_bucket_name") if configured else STACK_KEY)


def deny_insecure_transport(bucket_arn: str) -> str:
    """A bucket policy refusing every request not made over TLS (AWS Foundational Best Practices S3.5)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


@dataclass(frozen=True)
class ArchiveSpec:
    """The bucket's name, encryption, lifecycle days, and what may delete it."""

    environment: str
    bucket_name: str
    """Already checked, by `archive_bucket_name`."""
    customer_managed_key: bool
    infrequent_access_days: int
    glacier_days: int
    noncurrent_days: int
    force_destroy: bool
    protect: bool

    @classmethod
    def of(cls, settings: DataSettings, bucket_name: str) -> ArchiveSpec:
        return cls(
            environment=settings.environment.name,
            bucket_name=bucket_name,
            customer_managed_key=settings.archive_customer_managed_key,
            infrequent_access_days=settings.archive_infrequent_access_days,
            glacier_days=settings.archive_glacier_days,
            noncurrent_days=settings.archive_noncurrent_days,
            force_destroy=settings.force_destroy,
            protect=settings.protects_data,
        )


class ArchiveBucket(pulumi.ComponentResource):
    """A private, versioned, encrypted bucket with lifecycle tiering and a TLS-only policy."""

    def __init__(self, name: str, spec: ArchiveSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:data:ArchiveBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(spec.environment)

        self.bucket = aws.s3.Bucket(
            name,
            bucket=spec.bucket_name,
            force_destroy=spec.force_destroy,
            opts=holding_data(spec.protect, self),
        )
        bucket_id = self.bucket.id

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
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket_id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=by_default,
                    # Only SSE-KMS uses it (one KMS call per bucket and period instead of per
                    # object); set for SSE-S3 too so switching to a KMS key keeps costs down.
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )

        self.versioning = aws.s3.BucketVersioning(
            name,
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )

        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket_id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="tier-down-archived-records",
                    status="Enabled",
                    filter=EVERYTHING,
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=spec.infrequent_access_days, storage_class="STANDARD_IA"
                        ),
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=spec.glacier_days, storage_class="GLACIER"
                        ),
                    ],
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=EVERYTHING,
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=spec.noncurrent_days
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-staged-records",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=STAGING_PREFIX),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=STAGING_EXPIRATION_DAYS),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=STAGING_EXPIRATION_DAYS
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-multipart-uploads",
                    status="Enabled",
                    filter=EVERYTHING,
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
                    ),
                ),
            ],
            # A noncurrent-version rule on a bucket whose versioning is still being switched on
            # can be rejected or not take effect; the provider docs advise this ordering.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.versioning])),
        )

        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )

        self.ownership_controls = aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )

        self.policy = aws.s3.BucketPolicy(
            name,
            bucket=bucket_id,
            policy=self.bucket.arn.apply(deny_insecure_transport),
            # S3 can refuse a bucket policy while the public access block is still being
            # applied; putting the policy after it avoids that race.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.public_access_block])),
        )

        self.register_outputs(
            {
                "bucket_name": self.bucket.bucket,
                "bucket_arn": self.bucket.arn,
                "kms_key_arn": self.key.arn if self.key else None,
            }
        )
