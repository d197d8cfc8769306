"""The customer-managed key of the layer's log groups, on stacks whose data is under such keys.

The functions' logs hold record identities and reasons, and, where the state machine logs
execution data, the records themselves: on a stack that protects its data with customer-managed
keys, the logs get one too. It is this layer's own key rather than the data layer's, so its policy
(CloudWatch Logs may use it for this layer's log groups only) stays with the groups it serves.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from streaming_shared.keys import customer_managed_key, log_groups_key_policy
from streaming_shared.naming import Namer
from streaming_shared.provider import AwsAccount


class LogsKey(pulumi.ComponentResource):
    """A rotating key CloudWatch Logs may use for the named log groups of this account and region only."""

    def __init__(
        self,
        name: str,
        environment: str,
        account: AwsAccount,
        log_group_names: Sequence[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:compute:LogsKey", name, None, opts)
        namer = Namer(environment)
        self.key, _ = customer_managed_key(
            name,
            description=f"Encrypts the log groups of the streaming pipeline's compute layer in {environment}",
            alias=namer.name("compute-logs"),
            source=namer.source,
            policy=log_groups_key_policy(account, log_group_names),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"key_arn": self.key.arn})
