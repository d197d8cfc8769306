"""What limits the compute layer's reach: the VPC endpoint policies it attaches, its roles' network
permissions, trust and boundary, the state machine's logs, the log groups' key, the failure queue's
policy and the replay tool's role. The program runs under Pulumi's mock engine on what the real
network and data programs export."""

from __future__ import annotations

import json
from typing import Any

import pytest
from compute_fixtures import CUSTOMER_MANAGED_KEYS, data_exports, network_exports, run_compute

from streaming_shared.catalogue import STAGES
from streaming_shared.roles import PERMISSIONS_BOUNDARY_NAME
from streaming_tooling.testing import ACCOUNT_ID, TEST_REGION, ProgramFailed, ProgramRun, Resource

FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
KEY = "aws:kms/key:Key"
ENDPOINT_POLICY = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"
BOUNDARY = f"arn:aws:iam::{ACCOUNT_ID}:policy/{PERMISSIONS_BOUNDARY_NAME}"
LAMBDA_VPC_GUIDE_ACTIONS = {
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
}
"""The execution role permissions the Lambda developer guide lists for a function in a VPC."""

NETWORK = network_exports()
DATA = data_exports()


def document(resource: Resource, key: str = "policy") -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(resource.inputs[key])
    return parsed


def statements_of(run: ProgramRun, role: Resource) -> list[dict[str, Any]]:
    return [s for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.id for s in document(p)["Statement"]]


def endpoint_statement(run: ProgramRun, service: str) -> dict[str, Any]:
    [statement] = document(run.one(ENDPOINT_POLICY, f"endpoints-{service}"))["Statement"]
    return statement


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    """Stack `prod`, which is not disposable, with the data layer's customer-managed keys."""
    upstream = {
        "network": network_exports(stack="prod"),
        "data": data_exports(stack="prod", config=CUSTOMER_MANAGED_KEYS),
    }
    return run_compute(stack="prod", upstream=upstream)


# -- the VPC endpoints: limited to this stack's resources and account -----------------------------


def test_every_endpoint_network_exports_gets_exactly_one_policy(default_run):
    attached = {
        p.name.removeprefix("endpoints-"): p.inputs["vpcEndpointId"] for p in default_run.of_type(ENDPOINT_POLICY)
    }
    assert attached == NETWORK["vpc_endpoint_ids"]


def test_every_endpoint_policy_admits_this_account_s_principals_on_this_account_s_resources_only(default_run):
    for policy in default_run.of_type(ENDPOINT_POLICY):
        for statement in document(policy)["Statement"]:
            assert (statement["Effect"], statement["Principal"]) == ("Allow", "*")
            assert statement["Condition"] == {
                "StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID, "aws:ResourceAccount": ACCOUNT_ID}
            }, policy.name


@pytest.mark.parametrize(
    ("service", "actions", "resources"),
    [
        (
            "s3",
            ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
            [DATA["archive_bucket_arn"], f"{DATA['archive_bucket_arn']}/*"],
        ),
        ("dynamodb", ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem"], [DATA["table_arn"]]),
        (
            "kinesis-streams",
            ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecord", "kinesis:PutRecords"],
            [DATA["stream_arn"]],
        ),
    ],
)
def test_an_endpoint_of_the_pipeline_s_data_reaches_only_this_stack_s_resource(
    default_run, service, actions, resources
):
    statement = endpoint_statement(default_run, service)
    assert (statement["Action"], statement["Resource"]) == (actions, resources)


def test_the_step_functions_endpoint_may_start_only_this_stack_s_state_machine(default_run):
    statement = endpoint_statement(default_run, "sync-states")
    assert (statement["Action"], statement["Resource"]) == (
        ["states:StartSyncExecution"],
        [default_run.one(STATE_MACHINE).outputs["arn"]],
    )


def test_an_endpoint_of_a_service_the_pipeline_does_not_use_is_limited_to_the_account():
    network = network_exports()
    network["vpc_endpoint_ids"] = {**network["vpc_endpoint_ids"], "logs": "vpce-0logs"}
    run = run_compute(upstream={"network": network, "data": data_exports()})
    statement = endpoint_statement(run, "logs")
    assert (statement["Sid"], statement["Action"], statement["Resource"]) == ("OnlyThisAccount", "*", "*")
    assert statement["Condition"]["StringEquals"]["aws:ResourceAccount"] == ACCOUNT_ID


def test_the_failure_queue_and_the_keys_are_what_their_endpoints_may_reach(prod):
    network = network_exports(stack="prod")
    network["vpc_endpoint_ids"] = {**network["vpc_endpoint_ids"], "sqs": "vpce-0sqs", "kms": "vpce-0kms"}
    data = data_exports(stack="prod", config=CUSTOMER_MANAGED_KEYS)
    run = run_compute(stack="prod", upstream={"network": network, "data": data})
    assert endpoint_statement(run, "sqs")["Resource"] == [run.one(QUEUE).outputs["arn"]]
    assert sorted(endpoint_statement(run, "kms")["Resource"]) == sorted(
        [data["stream_kms_key_arn"], data["archive_kms_key_arn"], run.one(KEY).outputs["arn"]]
    )


def test_records_start_flowing_only_once_the_endpoints_are_limited(default_run):
    mapping = default_run.one(MAPPING)
    assert all(default_run.depends_on(mapping, policy) for policy in default_run.of_type(ENDPOINT_POLICY))


# -- the functions' network interfaces --------------------------------------------------------------


def test_every_function_role_has_what_the_lambda_vpc_guide_lists_inline_and_no_managed_policy(default_run):
    ec2 = f"arn:aws:ec2:{TEST_REGION}:{ACCOUNT_ID}"
    for stage in STAGES:
        role = default_run.find(default_run.one(FUNCTION, stage).inputs["role"])
        assert role is not None
        granted = {
            (action, resource)
            for statement in statements_of(default_run, role)
            for action in statement["Action"]
            for resource in statement["Resource"]
            if action.startswith("ec2:")
        }
        assert {action for action, _ in granted} == LAMBDA_VPC_GUIDE_ACTIONS
        assert {resource for action, resource in granted if action == "ec2:CreateNetworkInterface"} == {
            f"{ec2}:network-interface/*",
            *(f"{ec2}:subnet/{subnet}" for subnet in NETWORK["private_subnet_ids"]),
            f"{ec2}:security-group/{NETWORK['lambda_security_group_id']}",
        }
    assert default_run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


# -- the state machine: trust, and what its logs hold ----------------------------------------------


def test_only_this_account_s_state_machine_may_use_its_role(default_run):
    machine = default_run.one(STATE_MACHINE)
    [trust] = document(default_run.find(machine.inputs["roleArn"]), "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": machine.outputs["arn"]},
    }


def test_a_stack_that_is_not_disposable_logs_no_records(prod):
    assert prod.one(STATE_MACHINE).inputs["loggingConfiguration"]["includeExecutionData"] is False


def test_a_disposable_stack_logs_a_failed_batch_s_records(default_run):
    assert default_run.one(STATE_MACHINE).inputs["loggingConfiguration"]["includeExecutionData"] is True


@pytest.mark.parametrize(("stack", "setting"), [("prod", True), ("dev", False)])
def test_the_execution_data_key_overrides_the_stack_s_default(stack, setting):
    upstream = {"network": network_exports(stack=stack), "data": data_exports(stack=stack)}
    run = run_compute(stack=stack, upstream=upstream, config={"stateMachineExecutionData": setting})
    assert run.one(STATE_MACHINE).inputs["loggingConfiguration"]["includeExecutionData"] is setting


def test_all_is_refused_on_a_stack_that_is_not_disposable():
    upstream = {"network": network_exports(stack="prod"), "data": data_exports(stack="prod")}
    with pytest.raises(ProgramFailed) as failure:
        run_compute(stack="prod", upstream=upstream, config={"stateMachineLogLevel": "ALL"})
    assert failure.value.error.keys == ["streaming-compute:stateMachineLogLevel"]
    assert failure.value.run.cloud_resources == []


# -- the log groups' key ----------------------------------------------------------------------------


def test_with_the_data_under_customer_managed_keys_every_log_group_is_encrypted_with_the_layer_s_key(prod):
    key = prod.one(KEY)
    groups = prod.of_type(LOG_GROUP)
    assert len(groups) == len(STAGES) + 1
    assert {group.inputs["kmsKeyId"] for group in groups} == {key.outputs["arn"]}
    assert prod.exports["logs_kms_key_arn"] == key.outputs["arn"]


def test_the_logs_key_lets_cloudwatch_logs_use_it_for_exactly_these_groups(prod):
    [logs] = [s for s in document(prod.one(KEY))["Statement"] if s["Sid"] == "CloudWatchLogsEncryptTheseGroups"]
    assert logs["Principal"] == {"Service": f"logs.{TEST_REGION}.amazonaws.com"}
    assert sorted(logs["Condition"]["StringEquals"]["kms:EncryptionContext:aws:logs:arn"]) == sorted(
        f"arn:aws:logs:{TEST_REGION}:{ACCOUNT_ID}:log-group:{group.inputs['name']}" for group in prod.of_type(LOG_GROUP)
    )


def test_without_customer_managed_data_keys_the_logs_keep_cloudwatch_s_own_encryption(default_run):
    assert default_run.of_type(KEY) == []
    assert all("kmsKeyId" not in group.inputs for group in default_run.of_type(LOG_GROUP))


def test_the_logs_key_can_be_asked_for_on_its_own():
    run = run_compute(config={"logsCustomerManagedKey": True})
    assert {group.inputs["kmsKeyId"] for group in run.of_type(LOG_GROUP)} == {run.one(KEY).outputs["arn"]}


# -- KMS grants only through the service that uses them ----------------------------------------------


def test_every_kms_grant_holds_only_through_the_service_that_makes_the_call(prod):
    via = {}
    for policy in prod.of_type(ROLE_POLICY):
        for statement in document(policy)["Statement"]:
            if any(action.startswith("kms:") for action in statement["Action"]):
                via[(policy.name, statement["Sid"])] = statement["Condition"]["StringEquals"]["kms:ViaService"]
    s3, kinesis = f"s3.{TEST_REGION}.amazonaws.com", f"kinesis.{TEST_REGION}.amazonaws.com"
    assert via == {
        **{(stage, "UseArchiveKey"): s3 for stage in STAGES},
        ("ingest-event-source", "DecryptStream"): kinesis,
        ("replay", "UseStreamKeyThroughKinesis"): kinesis,
    }


# -- the failure queue --------------------------------------------------------------------------------


def test_the_failure_queue_refuses_requests_without_tls(default_run):
    queue = default_run.one(QUEUE)
    policy = default_run.one("aws:sqs/queuePolicy:QueuePolicy")
    assert policy.inputs["queueUrl"] == queue.outputs["url"]
    [deny] = document(policy)["Statement"]
    assert (deny["Effect"], deny["Principal"], deny["Action"], deny["Resource"]) == (
        "Deny",
        "*",
        "sqs:*",
        queue.outputs["arn"],
    )
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# -- the replay tool's role -----------------------------------------------------------------------------


def test_the_replay_role_is_assumed_by_principals_the_account_allows_and_reaches_only_this_stack(prod):
    role = prod.one(ROLE, "replay")
    [trust] = document(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    data = data_exports(stack="prod", config=CUSTOMER_MANAGED_KEYS)
    resources = {statement["Sid"]: statement["Resource"] for statement in statements_of(prod, role)}
    assert resources == {
        "ReadFailureMessages": [prod.one(QUEUE).outputs["arn"]],
        "RereadAndPutBackRecords": [data["stream_arn"]],
        "CheckAndMarkStateItems": [data["table_arn"]],
        "UseStreamKeyThroughKinesis": [data["stream_kms_key_arn"]],
    }
    assert prod.exports["replay_role_arn"] == role.outputs["arn"]


# -- permissions boundary -----------------------------------------------------------------------------


def test_every_role_carries_the_boundary_on_a_stack_that_is_not_disposable(prod):
    assert {role.name: role.inputs.get("permissionsBoundary") for role in prod.of_type(ROLE)} == dict.fromkeys(
        [*STAGES, "pipeline", "replay"], BOUNDARY
    )


def test_no_role_carries_a_boundary_on_a_disposable_stack(default_run):
    assert all("permissionsBoundary" not in role.inputs for role in default_run.of_type(ROLE))


@pytest.mark.parametrize(
    ("setting", "boundary"),
    [
        ("platform-boundary", f"arn:aws:iam::{ACCOUNT_ID}:policy/platform-boundary"),
        ("arn:aws:iam::210987654321:policy/org/pipelines", "arn:aws:iam::210987654321:policy/org/pipelines"),
        (True, BOUNDARY),
    ],
)
def test_the_boundary_key_takes_a_policy_name_an_arn_or_true(setting, boundary):
    run = run_compute(config={"permissionsBoundary": setting})
    assert {role.inputs["permissionsBoundary"] for role in run.of_type(ROLE)} == {boundary}


def test_the_boundary_can_be_turned_off_on_a_stack_that_is_not_disposable():
    upstream = {"network": network_exports(stack="prod"), "data": data_exports(stack="prod")}
    run = run_compute(stack="prod", upstream=upstream, config={"permissionsBoundary": False})
    assert all("permissionsBoundary" not in role.inputs for role in run.of_type(ROLE))
