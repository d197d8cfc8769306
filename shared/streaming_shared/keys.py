"""Customer-managed KMS keys, for every layer that needs a key of its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .naming import NameKind, check_name
from .provider import AwsAccount

LONGEST_DELETION_WINDOW_DAYS = 30
"""The longest window KMS allows: a key scheduled for deletion (say, by a `pulumi destroy`) can
be recovered for 30 days, and everything encrypted under it stays readable if it is."""


def customer_managed_key(
    name: str,
    *,
    description: str,
    alias: str,
    source: str,
    opts: pulumi.ResourceOptions,
    policy: pulumi.Input[str] | None = None,
    deletion_window_days: int = LONGEST_DELETION_WINDOW_DAYS,
) -> tuple[aws.kms.Key, aws.kms.Alias]:
    """A symmetric key with yearly rotation and the alias `alias/<alias>` (`source` is the config
    key or stack name an invalid alias is blamed on).

    Without `policy` the key policy is the KMS default: the account's IAM policies decide who may
    use the key, as the compute layer's roles do by the exported key ARN.
    """
    alias_name = check_name(f"alias/{alias}", NameKind.KMS_ALIAS, source=source)  # before any resource
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=deletion_window_days,
        policy=policy,
        opts=opts,
    )
    key_alias = aws.kms.Alias(
        name,
        name=alias_name,
        target_key_id=key.key_id,
        opts=opts,
    )
    return key, key_alias


def account_administers_key(account: AwsAccount) -> dict[str, Any]:
    """The default key policy statement: the account (its IAM policies) manages and uses the key.
    A key policy without it is refused by KMS as one that locks everyone out."""
    return {
        "Sid": "AccountAdministersKey",
        "Effect": "Allow",
        "Principal": {"AWS": account.arn("iam", "root")},
        "Action": "kms:*",
        "Resource": "*",
    }


def log_groups_key_policy(account: AwsAccount, log_group_names: Sequence[str]) -> str:
    """The policy of a key that encrypts CloudWatch Logs groups: the account administers the key,
    and CloudWatch Logs of this region may use it for exactly these groups (the encryption context
    CloudWatch Logs sends names the group, so no other group of any account can use the key).

    The CloudWatch Logs guide's example also grants `kms:Describe*`, under the same condition; a
    DescribeKey request carries no encryption context, so that grant never applies, and it is left out.
    """
    groups = [account.arn("logs", f"log-group:{name}") for name in log_group_names]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                account_administers_key(account),
                {
                    "Sid": "CloudWatchLogsEncryptTheseGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{account.region}.amazonaws.com"},
                    "Action": ["kms:Decrypt*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                    "Resource": "*",
                    # The encryption context is a string condition key: compared as one, exactly.
                    "Condition": {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": groups}},
                },
            ],
        }
    )
