"""The VPC and its private subnets and route tables: no NAT gateway, no internet gateway."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_aws as aws

from streaming_shared.errors import ConfigError
from streaming_shared.naming import Namer

from .settings import NetworkSettings


def choose_zones(settings: NetworkSettings, provider: aws.Provider) -> list[str]:
    """The first `azCount` standard zones of the region (Local and Wavelength Zones excluded)."""
    offered = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(provider=provider),
    ).names
    if settings.az_count > len(offered):
        raise ConfigError(
            settings.problem(
                "az_count",
                f"{settings.environment.region} offers {len(offered)} availability zones "
                f"({', '.join(offered)}); use at most {len(offered)}",
            )
        )
    return list(offered[: settings.az_count])


class PrivateNetwork(pulumi.ComponentResource):
    """A VPC with one private subnet per zone and the route tables the gateway endpoints join."""

    def __init__(
        self,
        name: str,
        environment: str,
        *,
        cidr: str,
        zones: list[str],
        subnet_prefix_length: int,
        route_table_per_subnet: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("streaming:network:PrivateNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namer = Namer(environment)
        self.zones = zones
        self.cidr = cidr

        self.vpc = aws.ec2.Vpc(
            name,
            cidr_block=cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # private DNS names of interface endpoints need both
            tags={"Name": namer.name("vpc")},
            opts=child,
        )
        # Adopting the default security group strips its allow-all rules, so nothing in the
        # VPC can fall back to it (CIS AWS Foundations 5.4).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-security-group",
            vpc_id=self.vpc.id,
            tags={"Name": namer.name("default-closed")},
            opts=child,
        )

        blocks = ipaddress.IPv4Network(cidr).subnets(new_prefix=subnet_prefix_length)
        self.subnets = [
            aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                cidr_block=str(block),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": namer.name("private", zone), "Tier": "private"},
                opts=child,
            )
            for zone, block in zip(zones, blocks, strict=False)
        ]

        table_keys = zones if route_table_per_subnet else ["shared"]
        self.route_tables = [
            aws.ec2.RouteTable(
                f"{name}-private-{key}",
                vpc_id=self.vpc.id,
                tags={"Name": namer.name("private", key)},
                opts=child,
            )
            for key in table_keys
        ]
        for index, (zone, subnet) in enumerate(zip(zones, self.subnets, strict=True)):
            table = self.route_tables[index if route_table_per_subnet else 0]
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )

        self.register_outputs(
            {
                "vpc_id": self.vpc.id,
                "private_subnet_ids": [subnet.id for subnet in self.subnets],
                "private_route_table_ids": [table.id for table in self.route_tables],
            }
        )
