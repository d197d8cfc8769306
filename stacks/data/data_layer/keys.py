"""Customer-managed KMS keys, created only where a setting asks for one."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from streaming_shared.naming import NameKind, Namer, check_name

DELETION_WINDOW_DAYS = 30
"""The longest window KMS allows: a key scheduled for deletion (say, by a `pulumi destroy`) can
be recovered for 30 days, and everything encrypted under it stays readable if it is."""


def customer_managed_key(
    name: str, purpose: str, namer: Namer, opts: pulumi.ResourceOptions
) -> tuple[aws.kms.Key, aws.kms.Alias]:
    """A symmetric key with yearly rotation and an alias `alias/streaming-<env>-<name>`.

    The key policy is the KMS default: the account's IAM policies decide who may use the key,
    so the compute layer grants its roles access by the exported key ARN.
    """
    key = aws.kms.Key(
        f"{name}-key",
        description=f"streaming-pipeline {namer.environment}: {purpose}",
        enable_key_rotation=True,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        opts=opts,
    )
    alias = aws.kms.Alias(
        f"{name}-key",
        name=check_name(f"alias/{namer.name(name)}", NameKind.KMS_ALIAS, source=namer.source),
        target_key_id=key.key_id,
        opts=opts,
    )
    return key, alias
