"""Policies of the network layer's VPC endpoints, limited to this stack's resources and account.

The endpoints belong to the network layer, which reads no other layer and so cannot name the
bucket, table, stream or state machine. This layer reads both network and data and owns the state
machine, so it attaches one `aws.ec2.VpcEndpointPolicy` to each endpoint the network layer exports
(`vpc_endpoint_ids`). The endpoint resource leaves its own `policy` unset, which pulumi-aws treats
as unmanaged there, so the two never fight over it (network README, "VPC endpoint policies").
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from streaming_shared.errors import UpstreamError
from streaming_shared.provider import AwsAccount
from streaming_shared.upstream import Upstream

from . import iam
from .stages import DataResources


@dataclass(frozen=True)
class Endpoints:
    """The network layer's VPC endpoints: the services (known before any resource is registered,
    so each gets its own policy resource) and their ids."""

    services: tuple[str, ...]
    ids: pulumi.Output[Mapping[str, str]]

    @classmethod
    def read(cls, network: Upstream) -> Endpoints:
        known = network.known("vpc_endpoint_ids")
        if not isinstance(known, Mapping) or not all(isinstance(v, str) for v in known.values()):
            raise UpstreamError(
                f"upstream stack {network.stack_name} exports 'vpc_endpoint_ids' as {known!r}, not as a map of "
                f"service to endpoint id; redeploy {network.layer.project}"
            )
        return cls(tuple(sorted(known)), network.require("vpc_endpoint_ids"))


@dataclass(frozen=True)
class PolicyTargets:
    """This stack's resources the endpoints may reach: the data layer's, the state machine, the
    failure queue (its ARN built from its name) and the logs key, if any."""

    data: DataResources
    state_machine_arn: pulumi.Output[str]
    queue_arn: str
    logs_key_arn: pulumi.Output[str] | None

    def resolved(self) -> pulumi.Output[iam.EndpointTargets]:
        data = self.data
        keys = (*data.customer_managed_key_arns, *((self.logs_key_arn,) if self.logs_key_arn else ()))
        return pulumi.Output.all(data.bucket_arn, data.table_arn, data.stream_arn, self.state_machine_arn, *keys).apply(
            lambda values: iam.EndpointTargets(
                bucket_arn=values[0],
                table_arn=values[1],
                stream_arn=values[2],
                state_machine_arn=values[3],
                queue_arn=self.queue_arn,
                key_arns=tuple(values[4:]),
            )
        )


class EndpointPolicies(pulumi.ComponentResource):
    """One policy per VPC endpoint of the network layer, keyed by the endpoint's service."""

    def __init__(
        self,
        name: str,
        endpoints: Endpoints,
        targets: PolicyTargets,
        account: AwsAccount,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:compute:EndpointPolicies", name, None, opts)
        resolved = targets.resolved()
        self.policies = {
            service: aws.ec2.VpcEndpointPolicy(
                f"{name}-{service}",
                vpc_endpoint_id=endpoints.ids.apply(functools.partial(_item, service)),
                policy=resolved.apply(functools.partial(iam.endpoint_policy, service, account.account_id)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for service in endpoints.services
        }
        self.register_outputs({"endpoint_ids": endpoints.ids})


def _item(key: str, mapping: Mapping[str, str]) -> str:
    return mapping[key]
