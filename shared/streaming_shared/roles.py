"""What every IAM role the stacks create shares: a trust policy for one AWS service, and the
account's permissions boundary.

The boundary is a managed policy that the stacks never create: whoever owns the account's IAM
creates it (README, security), and the deploy role may create roles only with it attached. So a
role these stacks create can never do more than the boundary allows, whatever its own policies
say. Layers that create roles take their settings from `RoleSettings`: one key, one default.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from pydantic import Field, field_validator

from .config import DISPOSABLE_RULE, LayerSettings
from .provider import AwsAccount

PERMISSIONS_BOUNDARY_NAME = "streaming-pipeline-permissions-boundary"
"""The boundary policy's default name: a customer-managed policy at path `/` in the stack's account."""

_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128}$")


def service_trust_policy(service: str, conditions: dict[str, dict[str, Any]] | None = None) -> str:
    """A trust policy letting one AWS service principal (`lambda.amazonaws.com`...) assume the role,
    with the confused-deputy conditions the service supports (`aws:SourceAccount`, `aws:SourceArn`)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if conditions:
        statement["Condition"] = conditions
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


def source_conditions(account_id: str, source_arn: str) -> dict[str, dict[str, Any]]:
    """The service may act for this account's `source_arn` only, not for another account's resource."""
    return {"StringEquals": {"aws:SourceAccount": account_id}, "ArnLike": {"aws:SourceArn": source_arn}}


class RoleSettings(LayerSettings):
    """Keys of a layer that creates IAM roles (a layer subclasses this instead of LayerSettings)."""

    STACK_DEFAULTS: ClassVar[dict[str, str]] = {
        **LayerSettings.STACK_DEFAULTS,
        "permissions_boundary": "boundary_policy",
    }

    permissions_boundary: str | bool | None = Field(
        None,
        description="Permissions boundary of every IAM role this layer creates: the name of a managed "
        "policy in the stack's account (path `/`), or a policy ARN; `true` means "
        f"`{PERMISSIONS_BOUNDARY_NAME}`, `false` no boundary. Unset: `{PERMISSIONS_BOUNDARY_NAME}` "
        f"on every stack that is not disposable, none on {DISPOSABLE_RULE}. The policy must exist "
        "before the first deploy (README, security).",
    )

    @field_validator("permissions_boundary", mode="before")
    @classmethod
    def _boundary_is_a_policy_name_or_arn(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, str) and not (_POLICY_NAME.match(value) or _POLICY_ARN.match(value)):
            raise ValueError(
                "must be an IAM policy name (1-128 letters, digits and `+=,.@_-`), a policy ARN "
                "(arn:aws:iam::<account>:policy/<name>), true or false"
            )
        return value

    @property
    def boundary_policy(self) -> str | None:
        """The boundary's policy name or ARN, or None when roles get no boundary."""
        value = self.permissions_boundary
        if value is None:
            value = not self.environment.is_disposable
        if value is True:
            return PERMISSIONS_BOUNDARY_NAME
        return value or None

    def boundary_arn(self, account: AwsAccount) -> str | None:
        """The boundary policy's ARN for roles of this stack, or None."""
        policy = self.boundary_policy
        if policy is None or policy.startswith("arn:"):
            return policy
        return account.arn("iam", f"policy/{policy}")
