"""How code in the private subnets reaches AWS services: VPC endpoints and security groups.

S3 and DynamoDB are reached through gateway endpoints (free) on the private route tables; the
other services through interface endpoints with private DNS. The Lambda security group may
open HTTPS to exactly those two paths and nowhere else: there is no route to the internet, and
no security group rule pretends otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from streaming_shared.errors import ConfigError
from streaming_shared.naming import Namer

from .private_network import PrivateNetwork
from .settings import GATEWAY_SERVICES, NetworkSettings

HTTPS = 443
LEAST_ENDPOINT_ZONES = 2
"""Interface endpoints in at least two zones (one, with a single-zone VPC): an endpoint's zone going
down must not cut every function off from Step Functions."""


def service_name(region: str, service: str) -> str:
    return f"com.amazonaws.{region}.{service}"


def interface_endpoint_zones(settings: NetworkSettings, provider: aws.Provider, zones: Sequence[str]) -> list[str]:
    """The zones of `zones` where every interface endpoint service is offered.

    A service is not offered in every zone of every region, and EC2 refuses an endpoint in a subnet
    of a zone its service lacks; functions in the other subnets reach the endpoints across zones
    through private DNS.
    """
    region = settings.environment.region
    offered = {
        service: set(
            aws.ec2.get_vpc_endpoint_service(
                service_name=service_name(region, service),
                service_type="Interface",
                opts=pulumi.InvokeOptions(provider=provider),
            ).availability_zones
        )
        for service in settings.interface_endpoints
    }
    usable = [zone for zone in zones if all(zone in found for found in offered.values())]
    needed = min(LEAST_ENDPOINT_ZONES, len(zones))
    if len(usable) < needed:
        gaps = "; ".join(
            f"{service} is not offered in {', '.join(zone for zone in zones if zone not in found)}"
            for service, found in offered.items()
            if not set(zones) <= found
        )
        raise ConfigError(
            settings.problem(
                "interface_endpoints",
                f"leaves {len(usable)} of the subnets' zones ({', '.join(zones)}) that offer every one of these "
                f"services, and the endpoints need at least {needed}: {gaps}. Remove the service, or raise azCount "
                "so that more zones offer all of them",
            )
        )
    return usable


class ServiceAccess(pulumi.ComponentResource):
    """VPC endpoints for the pipeline's AWS services, and the security groups that use them."""

    def __init__(
        self,
        name: str,
        environment: str,
        region: str,
        network: PrivateNetwork,
        *,
        interface_endpoints: Sequence[str],
        endpoint_zones: Sequence[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:network:ServiceAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(environment)
        vpc_id = network.vpc.id

        self.gateway_endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}-gateway",
                vpc_id=vpc_id,
                service_name=service_name(region, service),
                vpc_endpoint_type="Gateway",
                route_table_ids=[table.id for table in network.route_tables],
                tags={"Name": namer.name(service, "gateway")},
                opts=child,
            )
            for service in GATEWAY_SERVICES
        }

        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-interface-endpoints",
            vpc_id=vpc_id,
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            tags={"Name": namer.name("interface-endpoints")},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-interface-endpoints-https-from-vpc",
            security_group_id=self.endpoint_security_group.id,
            description="HTTPS from the VPC",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            cidr_ipv4=network.cidr,
            opts=child,
        )

        self.interface_endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}-interface",
                vpc_id=vpc_id,
                service_name=service_name(region, service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[
                    subnet.id
                    for zone, subnet in zip(network.zones, network.subnets, strict=True)
                    if zone in endpoint_zones
                ],
                security_group_ids=[self.endpoint_security_group.id],
                tags={"Name": namer.name(service, "interface")},
                opts=child,
            )
            for service in interface_endpoints
        }

        self.lambda_security_group = aws.ec2.SecurityGroup(
            f"{name}-lambda",
            vpc_id=vpc_id,
            description="Pipeline Lambda functions: HTTPS to the VPC endpoints only, no ingress",
            tags={"Name": namer.name("lambda")},
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-lambda-https-to-interface-endpoints",
            security_group_id=self.lambda_security_group.id,
            description="HTTPS to the interface endpoints",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            referenced_security_group_id=self.endpoint_security_group.id,
            opts=child,
        )
        for service, endpoint in self.gateway_endpoints.items():
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-lambda-https-to-{service}",
                security_group_id=self.lambda_security_group.id,
                description=f"HTTPS to {service} through its gateway endpoint",
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                prefix_list_id=endpoint.prefix_list_id,
                opts=child,
            )

        self.endpoints = {**self.gateway_endpoints, **self.interface_endpoints}
        self.register_outputs(
            {
                "lambda_security_group_id": self.lambda_security_group.id,
                "endpoint_security_group_id": self.endpoint_security_group.id,
            }
        )
