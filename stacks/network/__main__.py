"""streaming-network: the private VPC every other layer's functions run in."""

from network_layer.flow_logs import FlowLogSpec, VpcFlowLogs
from network_layer.private_network import PrivateNetwork, choose_zones
from network_layer.service_access import ServiceAccess, interface_endpoint_zones
from network_layer.settings import NetworkSettings

from streaming_shared.catalogue import NETWORK
from streaming_shared.provider import aws_provider, layer_options
from streaming_shared.upstream import export_contract

settings = NetworkSettings.load()
provider = aws_provider(settings)
zones = choose_zones(settings, provider)
endpoint_zones = interface_endpoint_zones(settings, provider, zones)  # a service missing in too many zones fails here

network = PrivateNetwork(
    "network",
    settings.environment.name,
    cidr=settings.vpc_cidr,
    zones=zones,
    subnet_prefix_length=settings.subnet_prefix_length,
    route_table_per_subnet=settings.route_table_per_subnet,
    opts=layer_options(provider),
)
access = ServiceAccess(
    "service-access",
    settings.environment.name,
    settings.environment.region,
    network,
    interface_endpoints=settings.interface_endpoints,
    endpoint_zones=endpoint_zones,
    opts=layer_options(provider),
)
flow_logs = (
    VpcFlowLogs("flow-logs", FlowLogSpec.of(settings, provider), network.vpc.id, opts=layer_options(provider))
    if settings.writes_flow_logs
    else None
)

export_contract(
    NETWORK,
    {
        "region": settings.environment.region,
        "vpc_id": network.vpc.id,
        "vpc_cidr": network.vpc.cidr_block,
        "availability_zones": zones,
        "private_subnet_ids": [subnet.id for subnet in network.subnets],
        "private_route_table_ids": [table.id for table in network.route_tables],
        "lambda_security_group_id": access.lambda_security_group.id,
        "vpc_endpoint_ids": {service: endpoint.id for service, endpoint in access.endpoints.items()},
        "endpoint_security_group_id": access.endpoint_security_group.id,
        "gateway_prefix_list_ids": {
            service: endpoint.prefix_list_id for service, endpoint in access.gateway_endpoints.items()
        },
        "interface_endpoint_zones": endpoint_zones,
        **({"flow_log_group_name": flow_logs.log_group.name} if flow_logs else {}),
    },
)
