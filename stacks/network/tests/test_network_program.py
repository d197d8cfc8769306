"""The network program, run under Pulumi's mock engine through the shared harness."""

from __future__ import annotations

import ipaddress

import pytest

from streaming_shared.catalogue import NETWORK
from streaming_tooling.testing import ProgramRun, run_layer

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return run_layer("network", region="eu-west-1")


def endpoints(run: ProgramRun, kind: str) -> list:
    return [r for r in run.of_type(ENDPOINT) if r.inputs["vpcEndpointType"] == kind]


def security_group(run: ProgramRun, name: str):
    return run.one(SECURITY_GROUP, f"service-access-{name}")


def rules_of(run: ProgramRun, rule_type: str, group) -> list:
    return [r for r in run.of_type(rule_type) if r.inputs["securityGroupId"] == group.id]


def test_vpc_has_dns_support_and_hostnames(run):
    vpc = run.one(VPC)
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16"


def test_default_is_two_private_subnets_in_the_first_two_zones(run):
    subnets = run.of_type(SUBNET)
    assert sorted(s.inputs["availabilityZone"] for s in subnets) == ["eu-west-1a", "eu-west-1b"]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_zones_and_endpoint_service_names_follow_the_configured_region(region):
    run = run_layer("network", region=region, config={"azCount": 3})
    zones = [s.inputs["availabilityZone"] for s in run.of_type(SUBNET)]
    assert sorted(zones) == [f"{region}a", f"{region}b", f"{region}c"]
    assert run.exports["availability_zones"] == [f"{region}a", f"{region}b", f"{region}c"]
    names = {e.inputs["serviceName"] for e in run.of_type(ENDPOINT)}
    assert names == {
        f"com.amazonaws.{region}.{service}" for service in ("s3", "dynamodb", "sync-states", "kinesis-streams")
    }
    assert run.exports["region"] == region


def test_zones_come_from_get_availability_zones_without_local_zones(run):
    calls = [args for token, args in run.invokes if token == "aws:index/getAvailabilityZones:getAvailabilityZones"]
    assert calls == [{"state": "available", "filters": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]}]


def test_zones_are_taken_in_the_order_the_region_lists_them():
    run = run_layer(
        "network", region="eu-west-3", availability_zones={"eu-west-3": ["eu-west-3c", "eu-west-3a", "eu-west-3b"]}
    )
    assert run.exports["availability_zones"] == ["eu-west-3c", "eu-west-3a"]


def test_subnet_cidrs_are_carved_from_the_vpc_cidr_without_overlap():
    run = run_layer("network", config={"vpcCidr": "172.16.0.0/20", "subnetPrefixLength": 24, "azCount": 3})
    vpc = ipaddress.IPv4Network("172.16.0.0/20")
    blocks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in run.of_type(SUBNET)]
    assert all(block.subnet_of(vpc) and block.prefixlen == 24 for block in blocks)
    assert all(not a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_one_shared_route_table_by_default_associated_with_every_subnet(run):
    table = run.one(ROUTE_TABLE)
    associations = run.of_type(ASSOCIATION)
    assert {a.inputs["subnetId"] for a in associations} == {s.id for s in run.of_type(SUBNET)}
    assert {a.inputs["routeTableId"] for a in associations} == {table.id}
    assert run.exports["private_route_table_ids"] == [table.id]


def test_route_table_per_subnet_gives_each_subnet_its_own_table():
    run = run_layer("network", config={"routeTablePerSubnet": True, "azCount": 3})
    tables = run.of_type(ROUTE_TABLE)
    assert len(tables) == 3
    assert len({a.inputs["routeTableId"] for a in run.of_type(ASSOCIATION)}) == 3
    for gateway in endpoints(run, "Gateway"):
        assert sorted(gateway.inputs["routeTableIds"]) == sorted(t.id for t in tables)


def test_gateway_endpoints_for_s3_and_dynamodb_join_every_private_route_table(run):
    gateways = endpoints(run, "Gateway")
    assert sorted(g.inputs["serviceName"].rsplit(".", 1)[1] for g in gateways) == ["dynamodb", "s3"]
    tables = [t.id for t in run.of_type(ROUTE_TABLE)]
    assert all(g.inputs["routeTableIds"] == tables for g in gateways)


def test_interface_endpoints_use_private_dns_in_every_private_subnet(run):
    interfaces = endpoints(run, "Interface")
    endpoint_group = security_group(run, "interface-endpoints")
    subnet_ids = sorted(s.id for s in run.of_type(SUBNET))
    assert {e.inputs["serviceName"].rsplit(".", 1)[1] for e in interfaces} == {"sync-states", "kinesis-streams"}
    for endpoint in interfaces:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert sorted(endpoint.inputs["subnetIds"]) == subnet_ids
        assert endpoint.inputs["securityGroupIds"] == [endpoint_group.id]


def test_interface_endpoint_list_is_configurable():
    run = run_layer("network", config={"interfaceEndpoints": ["sync-states"]})
    assert [e.inputs["serviceName"] for e in endpoints(run, "Interface")] == ["com.amazonaws.eu-central-1.sync-states"]
    assert endpoints(run_layer("network", config={"interfaceEndpoints": []}), "Interface") == []


def test_endpoint_security_group_admits_only_https_from_inside_the_vpc(run):
    group = security_group(run, "interface-endpoints")
    ingress = rules_of(run, INGRESS, group)
    assert [
        (r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"], r.inputs["cidrIpv4"]) for r in ingress
    ] == [("tcp", 443, 443, "10.20.0.0/16")]
    assert rules_of(run, EGRESS, group) == []


def test_lambda_security_group_egress_is_https_to_the_endpoints_and_nothing_else(run):
    lambda_group = security_group(run, "lambda")
    endpoint_group = security_group(run, "interface-endpoints")
    prefix_lists = sorted(g.outputs["prefixListId"] for g in endpoints(run, "Gateway"))
    egress = rules_of(run, EGRESS, lambda_group)
    assert all((r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) == ("tcp", 443, 443) for r in egress)
    assert sorted(r.inputs["prefixListId"] for r in egress if "prefixListId" in r.inputs) == prefix_lists
    assert [r.inputs["referencedSecurityGroupId"] for r in egress if "referencedSecurityGroupId" in r.inputs] == [
        endpoint_group.id
    ]
    assert len(egress) == 3


def test_lambda_security_group_has_no_ingress(run):
    assert rules_of(run, INGRESS, security_group(run, "lambda")) == []


def test_no_rule_or_group_anywhere_opens_the_internet(run):
    for resource in run.cloud_resources:
        flattened = repr(resource.inputs)
        assert "0.0.0.0/0" not in flattened and "::/0" not in flattened, resource.name
    assert not any("ingress" in g.inputs or "egress" in g.inputs for g in run.of_type(SECURITY_GROUP))


def test_default_security_group_is_adopted_with_no_rules(run):
    default = run.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs["vpcId"] == run.one(VPC).id
    assert not default.inputs.get("ingress") and not default.inputs.get("egress")


def test_there_is_no_nat_internet_gateway_or_route_out(run):
    types = {r.type for r in run.cloud_resources}
    assert not types & {
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/route:Route",
        "aws:ec2/eip:Eip",
    }
    assert all(not t.inputs.get("routes") for t in run.of_type(ROUTE_TABLE))


def test_every_contract_export_exists_and_resolves(run):
    for name in NETWORK.exports:
        assert run.exports.get(name) not in (None, "", []), name
    assert run.exports["vpc_id"] == run.one(VPC).id
    assert run.exports["vpc_cidr"] == "10.20.0.0/16"
    assert sorted(run.exports["private_subnet_ids"]) == sorted(s.id for s in run.of_type(SUBNET))
    assert run.exports["lambda_security_group_id"] == security_group(run, "lambda").id


def test_ec2_resources_carry_a_name_tag_with_the_environment(run):
    for resource in run.of_type(VPC) + run.of_type(SUBNET) + run.of_type(SECURITY_GROUP):
        assert resource.inputs["tags"]["Name"].startswith("streaming-dev-"), resource.name


def test_the_default_endpoints_serve_exactly_the_step_functions_call_the_functions_make(run):
    """`ingest` calls StartSyncExecution, which boto3 sends to `sync-states.<region>`; nothing
    calls the asynchronous `states` API, so its endpoint would be paid for and never used."""
    services = {e.inputs["serviceName"].rsplit(".", 1)[1] for e in endpoints(run, "Interface")}
    assert "sync-states" in services
    assert "states" not in services


def test_the_states_endpoint_stays_available_on_request():
    run = run_layer("network", config={"interfaceEndpoints": ["states", "sync-states"]})
    services = sorted(e.inputs["serviceName"].rsplit(".", 1)[1] for e in endpoints(run, "Interface"))
    assert services == ["states", "sync-states"]
