"""The network program's endpoint zones, flow logs, exported endpoints and role boundary, under Pulumi's
mock engine through the shared harness."""

from __future__ import annotations

import json

import pytest

from streaming_shared.errors import ConfigError
from streaming_shared.roles import PERMISSIONS_BOUNDARY_NAME
from streaming_tooling.testing import ACCOUNT_ID, ProgramFailed, ProgramRun, run_layer

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REGION = "eu-west-1"
ENDPOINT_SERVICE = "aws:ec2/getVpcEndpointService:getVpcEndpointService"


def subnet_zones(run: ProgramRun) -> dict[str, str]:
    return {subnet.id: subnet.inputs["availabilityZone"] for subnet in run.of_type(SUBNET)}


def interface_endpoint_zones(run: ProgramRun) -> dict[str, list[str]]:
    zones = subnet_zones(run)
    return {
        endpoint.inputs["serviceName"].rsplit(".", 1)[1]: sorted(
            zones[subnet] for subnet in endpoint.inputs["subnetIds"]
        )
        for endpoint in run.of_type(ENDPOINT)
        if endpoint.inputs["vpcEndpointType"] == "Interface"
    }


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_layer("network", region=REGION)


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run_layer("network", stack="prod", region=REGION)


# -- interface endpoints only where their services are offered -----------------------------------


def test_interface_endpoints_leave_out_a_zone_that_lacks_one_of_their_services():
    run = run_layer(
        "network",
        region=REGION,
        config={"azCount": 3},
        availability_zones={f"com.amazonaws.{REGION}.sync-states": [f"{REGION}a", f"{REGION}b"]},
    )
    assert sorted(subnet_zones(run).values()) == [f"{REGION}a", f"{REGION}b", f"{REGION}c"]
    assert interface_endpoint_zones(run) == {
        "sync-states": [f"{REGION}a", f"{REGION}b"],
        "kinesis-streams": [f"{REGION}a", f"{REGION}b"],
    }
    assert run.exports["interface_endpoint_zones"] == [f"{REGION}a", f"{REGION}b"]


def test_where_every_service_is_offered_the_interface_endpoints_use_every_subnet(dev):
    assert interface_endpoint_zones(dev) == {
        "sync-states": [f"{REGION}a", f"{REGION}b"],
        "kinesis-streams": [f"{REGION}a", f"{REGION}b"],
    }


def test_the_zones_of_each_interface_service_are_asked_of_ec2(dev):
    asked = [args for token, args in dev.invokes if token == ENDPOINT_SERVICE]
    assert asked == [
        {"serviceName": f"com.amazonaws.{REGION}.{service}", "serviceType": "Interface"}
        for service in ("sync-states", "kinesis-streams")
    ]


def test_too_few_zones_offering_every_service_is_a_config_error_naming_the_gap():
    with pytest.raises(ProgramFailed) as failure:
        run_layer(
            "network",
            region=REGION,
            availability_zones={f"com.amazonaws.{REGION}.sync-states": [f"{REGION}a", f"{REGION}c"]},
        )
    error = failure.value.error
    assert isinstance(error, ConfigError)
    assert error.keys == ["streaming-network:interfaceEndpoints"]
    assert f"sync-states is not offered in {REGION}b" in str(error)
    assert "need at least 2" in str(error)
    assert failure.value.run.cloud_resources == []


def test_a_single_zone_network_needs_its_one_zone_to_offer_every_service():
    run = run_layer("network", region=REGION, config={"azCount": 1})
    assert interface_endpoint_zones(run) == {"sync-states": [f"{REGION}a"], "kinesis-streams": [f"{REGION}a"]}


# -- what compute needs to limit the endpoints ----------------------------------------------------


def test_every_endpoint_is_exported_by_service_for_compute_to_attach_its_policy(dev):
    assert dev.exports["vpc_endpoint_ids"] == {
        endpoint.inputs["serviceName"].rsplit(".", 1)[1]: endpoint.id for endpoint in dev.of_type(ENDPOINT)
    }
    assert sorted(dev.exports["vpc_endpoint_ids"]) == ["dynamodb", "kinesis-streams", "s3", "sync-states"]


def test_no_endpoint_carries_a_policy_of_its_own_so_compute_s_policy_resource_manages_it(dev):
    assert all("policy" not in endpoint.inputs for endpoint in dev.of_type(ENDPOINT))


# -- flow logs ------------------------------------------------------------------------------------


def test_a_stack_that_is_not_disposable_logs_every_flow_of_the_vpc(prod):
    flow_log = prod.one(FLOW_LOG)
    group = prod.one(LOG_GROUP)
    assert flow_log.inputs["vpcId"] == prod.exports["vpc_id"]
    assert (flow_log.inputs["trafficType"], flow_log.inputs["logDestinationType"]) == ("ALL", "cloud-watch-logs")
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert flow_log.inputs["iamRoleArn"] == prod.one(ROLE).outputs["arn"]
    assert prod.exports["flow_log_group_name"] == group.inputs["name"] == "/aws/vpc-flow-logs/streaming-prod-vpc"


def test_a_disposable_stack_has_no_flow_logs_unless_configured(dev):
    assert dev.of_type(FLOW_LOG) == [] and dev.of_type(KEY) == [] and dev.of_type(ROLE) == []
    assert len(run_layer("network", region=REGION, config={"flowLogs": True}).of_type(FLOW_LOG)) == 1
    assert run_layer("network", stack="prod", region=REGION, config={"flowLogs": False}).of_type(FLOW_LOG) == []


def test_the_flow_log_group_is_encrypted_with_a_key_only_cloudwatch_logs_of_this_group_may_use(prod):
    key, group = prod.one(KEY), prod.one(LOG_GROUP)
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    [logs] = [
        s for s in json.loads(key.inputs["policy"])["Statement"] if s["Sid"] == "CloudWatchLogsEncryptTheseGroups"
    ]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"] == {
        "StringEquals": {
            "kms:EncryptionContext:aws:logs:arn": [
                f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group.inputs['name']}"
            ]
        }
    }


def test_the_flow_log_retention_is_configurable(prod):
    assert prod.one(LOG_GROUP).inputs["retentionInDays"] == 90
    run = run_layer("network", stack="prod", region=REGION, config={"flowLogRetentionDays": 365})
    assert run.one(LOG_GROUP).inputs["retentionInDays"] == 365


def test_the_delivery_role_is_for_this_accounts_flow_logs_and_writes_only_their_group(prod):
    role, group = prod.one(ROLE), prod.one(LOG_GROUP)
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc-flow-log/*"},
    }
    statements = json.loads(prod.one(ROLE_POLICY).inputs["policy"])["Statement"]
    group_arn = group.outputs["arn"]
    assert {(tuple(s["Action"]), tuple(s["Resource"])) for s in statements} == {
        (("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"), (group_arn, f"{group_arn}:*")),
        (("logs:DescribeLogGroups",), ("*",)),
    }


def test_the_flow_log_is_created_after_its_role_may_deliver(prod):
    assert prod.depends_on(prod.one(FLOW_LOG), prod.one(ROLE_POLICY))


def test_the_delivery_role_carries_the_permissions_boundary_on_a_stack_that_is_not_disposable(prod):
    assert prod.one(ROLE).inputs["permissionsBoundary"] == (
        f"arn:aws:iam::{ACCOUNT_ID}:policy/{PERMISSIONS_BOUNDARY_NAME}"
    )
