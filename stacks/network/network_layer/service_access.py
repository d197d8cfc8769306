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

from streaming_shared.naming import Namer

from .private_network import PrivateNetwork
from .settings import GATEWAY_SERVICES

HTTPS = 443


def service_name(region: str, service: str) -> str:
    return f"com.amazonaws.{region}.{service}"


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
                subnet_ids=[subnet.id for subnet in network.subnets],
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

        self.register_outputs(
            {
                "lambda_security_group_id": self.lambda_security_group.id,
                "endpoint_security_group_id": self.endpoint_security_group.id,
            }
        )
