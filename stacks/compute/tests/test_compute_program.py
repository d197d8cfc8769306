"""The compute program, run under Pulumi's mock engine through the shared harness."""

from __future__ import annotations

import json
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from compute_fixtures import COMPUTE_DIR, CUSTOMER_MANAGED_KEYS, data_exports, network_exports, run_compute
from compute_layer.state_machine_definition import STEPS, steps_in_order

import streaming_shared
from streaming_shared.catalogue import COMPUTE, STAGES
from streaming_tooling.testing import ACCOUNT_ID, TEST_REGION, ProgramRun, Resource

FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LAYER = "aws:lambda/layerVersion:LayerVersion"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"

DATA = data_exports()
TABLE_ARN = DATA["table_arn"]
STREAM_ARN = DATA["stream_arn"]
BUCKET_ARN = DATA["archive_bucket_arn"]
LOG_DELIVERY_ACTIONS = {
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
}


def statements_of(run: ProgramRun, role: Resource) -> list[dict]:
    """Every statement of every inline policy on `role`."""
    policies = [p for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.id]
    assert policies, f"no inline policy on {role.name}"
    return [statement for policy in policies for statement in json.loads(policy.inputs["policy"])["Statement"]]


def grants(run: ProgramRun, role: Resource) -> dict[str, set[str]]:
    """Action -> the resources it is allowed on, over all of the role's inline policies, without the
    network-interface actions every function role has (test_compute_security.py holds those)."""
    found: dict[str, set[str]] = {}
    for statement in statements_of(run, role):
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            if not action.startswith("ec2:"):
                found.setdefault(action, set()).update(statement["Resource"])
    return found


def log_streams(run: ProgramRun, name: str) -> str:
    return f"{run.one(LOG_GROUP, name).outputs['arn']}:*"


def function_role(run: ProgramRun, stage: str) -> Resource:
    role = run.find(run.one(FUNCTION, stage).inputs["role"])
    assert role is not None
    return role


def env(run: ProgramRun, stage: str) -> dict[str, str]:
    return run.one(FUNCTION, stage).inputs["environment"]["variables"]


def test_every_stage_has_a_function_named_after_the_environment(default_run):
    names = {f.name: f.inputs["name"] for f in default_run.of_type(FUNCTION)}
    assert names == {stage: f"streaming-dev-{stage}" for stage in STAGES}


def test_each_function_has_its_own_role(default_run):
    roles = [default_run.one(FUNCTION, stage).inputs["role"] for stage in STAGES]
    assert len(set(roles)) == len(STAGES)
    for stage in STAGES:
        trust = json.loads(function_role(default_run, stage).inputs["assumeRolePolicy"])
        assert trust["Statement"] == [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]


def test_ingest_may_write_state_run_the_state_machine_and_consume_the_stream(default_run):
    machine_arn = default_run.one(STATE_MACHINE).outputs["arn"]
    queue_arn = default_run.one(QUEUE).outputs["arn"]
    assert grants(default_run, function_role(default_run, "ingest")) == {
        "logs:CreateLogStream": {log_streams(default_run, "ingest")},
        "logs:PutLogEvents": {log_streams(default_run, "ingest")},
        "dynamodb:BatchGetItem": {TABLE_ARN},
        "dynamodb:PutItem": {TABLE_ARN},
        "s3:PutObject": {f"{BUCKET_ARN}/staging/*"},
        "states:StartSyncExecution": {machine_arn},
        "kinesis:DescribeStream": {STREAM_ARN},
        "kinesis:DescribeStreamSummary": {STREAM_ARN},
        "kinesis:GetRecords": {STREAM_ARN},
        "kinesis:GetShardIterator": {STREAM_ARN},
        "kinesis:ListShards": {STREAM_ARN},
        "sqs:SendMessage": {queue_arn},
    }


def test_archive_may_write_only_its_two_prefixes_and_the_state_table_and_clear_staging(default_run):
    assert grants(default_run, function_role(default_run, "archive")) == {
        "logs:CreateLogStream": {log_streams(default_run, "archive")},
        "logs:PutLogEvents": {log_streams(default_run, "archive")},
        "s3:PutObject": {f"{BUCKET_ARN}/archive/*", f"{BUCKET_ARN}/quarantine/*"},
        "s3:GetObject": {f"{BUCKET_ARN}/staging/*", f"{BUCKET_ARN}/archive/*", f"{BUCKET_ARN}/quarantine/*"},
        "s3:ListBucket": {BUCKET_ARN},
        "s3:DeleteObject": {f"{BUCKET_ARN}/staging/*"},
        "dynamodb:BatchWriteItem": {TABLE_ARN},
    }


@pytest.mark.parametrize(
    ("stage", "staging"),
    [
        ("transform", {"s3:GetObject", "s3:PutObject"}),
        ("validate", {"s3:GetObject"}),
        ("enrich", {"s3:GetObject", "s3:PutObject"}),
    ],
)
def test_the_middle_stages_may_only_write_their_logs_and_use_the_staging_prefix(default_run, stage, staging):
    assert grants(default_run, function_role(default_run, stage)) == {
        "logs:CreateLogStream": {log_streams(default_run, stage)},
        "logs:PutLogEvents": {log_streams(default_run, stage)},
        **{key: {f"{BUCKET_ARN}/staging/*"} for key in sorted(staging)},
    }


def test_no_policy_has_a_wildcard_action_and_only_unscopable_calls_have_a_wildcard_resource(default_run):
    """Log delivery setup and the network-interface lookups accept no resource: AWS documents them with `*`."""
    unscopable = {
        "pipeline": LOG_DELIVERY_ACTIONS,
        **{stage: {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"} for stage in STAGES},
    }
    for policy in default_run.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert all("*" not in action for action in statement["Action"]), policy.name
            if "*" in statement["Resource"]:
                assert (set(statement["Action"]), statement["Resource"]) == (unscopable[policy.name], ["*"])


def test_no_role_has_a_managed_policy_attached(default_run):
    assert default_run.of_type(ATTACHMENT) == []


def test_log_groups_are_named_for_their_functions_and_created_first(default_run):
    for stage in STAGES:
        function = default_run.one(FUNCTION, stage)
        group = default_run.one(LOG_GROUP, stage)
        assert group.inputs["name"] == f"/aws/lambda/{function.inputs['name']}"
        assert default_run.depends_on(function, group), stage


def test_functions_write_json_logs_to_their_own_log_group(default_run):
    for stage in STAGES:
        logging = default_run.one(FUNCTION, stage).inputs["loggingConfig"]
        assert logging == {
            "logFormat": "JSON",
            "logGroup": f"/aws/lambda/streaming-dev-{stage}",
            "applicationLogLevel": "INFO",
            "systemLogLevel": "INFO",
        }


def test_functions_are_created_after_their_permissions(default_run):
    for stage in STAGES:
        function = default_run.one(FUNCTION, stage)
        assert default_run.depends_on(function, default_run.one(ROLE_POLICY, stage))


def test_log_retention_is_configurable_for_every_group():
    run = run_compute(config={"logRetentionDays": 90})
    assert {g.inputs["retentionInDays"] for g in run.of_type(LOG_GROUP)} == {90}
    assert len(run.of_type(LOG_GROUP)) == len(STAGES) + 1


def test_default_log_retention_is_thirty_days(default_run):
    assert {g.inputs["retentionInDays"] for g in default_run.of_type(LOG_GROUP)} == {30}


def test_functions_run_in_the_private_subnets_with_the_lambda_security_group(default_run):
    network = network_exports()
    for function in default_run.of_type(FUNCTION):
        assert function.inputs["vpcConfig"] == {
            "subnetIds": network["private_subnet_ids"],
            "securityGroupIds": [network["lambda_security_group_id"]],
        }


def test_each_stage_gets_its_default_memory_and_timeout_and_ingest_waits_for_the_run(default_run):
    sizes = {f.name: (f.inputs["memorySize"], f.inputs["timeout"]) for f in default_run.of_type(FUNCTION)}
    assert sizes == {
        "ingest": (384, 360),
        "transform": (512, 120),
        "validate": (512, 60),
        "enrich": (512, 120),
        "archive": (768, 90),
    }


def test_one_stage_can_be_resized_without_restating_the_others():
    run = run_compute(config={"memoryMb": {"transform": 2048}, "timeoutSeconds": {"enrich": 30}})
    assert run.one(FUNCTION, "transform").inputs["memorySize"] == 2048
    assert run.one(FUNCTION, "enrich").inputs["timeout"] == 30
    assert run.one(FUNCTION, "validate").inputs["memorySize"] == 512


def test_reserved_concurrency_is_off_by_default(default_run):
    assert all("reservedConcurrentExecutions" not in f.inputs for f in default_run.of_type(FUNCTION))


def test_reserved_concurrency_is_set_only_for_the_stages_configured():
    run = run_compute(config={"reservedConcurrency": {"ingest": 4, "archive": 0}})
    reserved = {f.name: f.inputs.get("reservedConcurrentExecutions") for f in run.of_type(FUNCTION)}
    assert reserved == {"ingest": 4, "transform": None, "validate": None, "enrich": None, "archive": 0}


def test_functions_use_the_configured_runtime_architecture_and_the_handler_of_the_contract():
    run = run_compute(config={"runtime": "python3.12", "architecture": "x86_64"})
    for function in run.of_type(FUNCTION):
        assert (function.inputs["runtime"], function.inputs["architectures"], function.inputs["handler"]) == (
            "python3.12",
            ["x86_64"],
            "handler.handler",
        )
    layer = run.one(LAYER)
    assert (layer.inputs["compatibleRuntimes"], layer.inputs["compatibleArchitectures"]) == (["python3.12"], ["x86_64"])


def test_defaults_are_python_3_13_on_arm64(default_run):
    assert {(f.inputs["runtime"], tuple(f.inputs["architectures"])) for f in default_run.of_type(FUNCTION)} == {
        ("python3.13", ("arm64",))
    }


def test_every_function_uses_the_one_dependency_layer(default_run):
    layer = default_run.one(LAYER)
    assert layer.inputs["layerName"] == "streaming-dev-dependencies"
    assert all(f.inputs["layers"] == [layer.outputs["arn"]] for f in default_run.of_type(FUNCTION))


def common_environment(stage: str) -> dict[str, str]:
    return {
        "STAGE": stage,
        "ENVIRONMENT": "dev",
        "POWERTOOLS_SERVICE_NAME": "streaming-pipeline",
        "POWERTOOLS_METRICS_NAMESPACE": "StreamingPipeline",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_ingest_environment_adds_the_table_the_bucket_the_state_machine_the_ttl_and_the_payload_limit(default_run):
    assert env(default_run, "ingest") == {
        **common_environment("ingest"),
        "TABLE_NAME": DATA["table_name"],
        "BUCKET_NAME": DATA["archive_bucket_name"],
        "STATE_MACHINE_ARN": default_run.one(STATE_MACHINE).outputs["arn"],
        "RECORD_TTL_DAYS": "7",
        "MAX_PAYLOAD_BYTES": "200000",
    }


def test_archive_environment_adds_the_table_the_bucket_and_the_ttl(default_run):
    assert env(default_run, "archive") == {
        **common_environment("archive"),
        "TABLE_NAME": DATA["table_name"],
        "BUCKET_NAME": DATA["archive_bucket_name"],
        "RECORD_TTL_DAYS": "7",
    }


@pytest.mark.parametrize("stage", ["transform", "enrich"])
def test_transform_and_enrich_add_the_bucket_of_staged_records(default_run, stage):
    assert env(default_run, stage) == {**common_environment(stage), "BUCKET_NAME": DATA["archive_bucket_name"]}


def test_validate_adds_the_bucket_and_the_envelope_rule(default_run):
    assert env(default_run, "validate") == {
        **common_environment("validate"),
        "BUCKET_NAME": DATA["archive_bucket_name"],
        "STRICT_ENVELOPE": "false",
    }


def test_strict_envelope_reaches_validate():
    run = run_compute(config={"strictEnvelope": True})
    assert run.one(FUNCTION, "validate").inputs["environment"]["variables"]["STRICT_ENVELOPE"] == "true"


def test_log_level_reaches_powertools_and_the_lambda_log_filter():
    run = run_compute(config={"logLevel": "WARNING", "recordTtlDays": 30})
    ingest = run.one(FUNCTION, "ingest")
    assert ingest.inputs["environment"]["variables"]["POWERTOOLS_LOG_LEVEL"] == "WARNING"
    assert ingest.inputs["loggingConfig"]["applicationLogLevel"] == "WARN"
    assert ingest.inputs["environment"]["variables"]["RECORD_TTL_DAYS"] == "30"


def test_each_function_package_is_its_stage_folder_plus_the_shared_packages(default_run):
    functions = COMPUTE_DIR / "functions"
    runtime = Path(streaming_shared.__file__).parent
    for stage in STAGES:
        code = default_run.one(FUNCTION, stage).inputs["code"]
        expected = (
            {
                path.relative_to(functions / stage).as_posix(): str(path)
                for path in (functions / stage).rglob("*")
                if path.is_file() and "__pycache__" not in path.parts
            }
            | {
                f"pipeline_core/{path.relative_to(functions / 'pipeline_core').as_posix()}": str(path)
                for path in (functions / "pipeline_core").rglob("*")
                if path.is_file() and "__pycache__" not in path.parts
            }
            | {
                "streaming_shared/__init__.py": str(runtime / "__init__.py"),
                "streaming_shared/record_store.py": str(runtime / "record_store.py"),
            }
        )
        assert {name: asset.path for name, asset in code.assets.items()} == expected, stage
        assert "handler.py" in code.assets


def test_the_layer_zip_holds_the_dependencies_under_python(default_run):
    with zipfile.ZipFile(default_run.one(LAYER).inputs["code"].path) as bundle:
        names = bundle.namelist()
    assert {"aws_lambda_powertools", "fastjsonschema"} <= {name.split("/")[1] for name in names}
    assert {name.split("/")[0] for name in names} == {"python"}


def test_the_layer_ships_the_sdk_the_functions_are_tested_with(default_run):
    """The runtime's own boto3 is whatever the runtime and region have; the functions' client settings
    need a recent botocore, so the layer carries the one this test suite runs the functions with."""
    with zipfile.ZipFile(default_run.one(LAYER).inputs["code"].path) as bundle:
        shipped = {
            folder.split("-")[0]: folder.removesuffix(".dist-info").split("-")[1]
            for folder in {name.split("/")[1] for name in bundle.namelist()}
            if folder.endswith(".dist-info") and folder.split("-")[0] in ("boto3", "botocore")
        }
    assert shipped == {"boto3": version("boto3"), "botocore": version("botocore")}


# -- the state machine -----------------------------------------------------------------------


def test_state_machine_is_express_and_runs_the_four_steps_in_order(default_run):
    machine = default_run.one(STATE_MACHINE)
    assert machine.inputs["type"] == "EXPRESS"
    assert machine.inputs["name"] == "streaming-dev-pipeline"
    arns = {f.name: f.outputs["arn"] for f in default_run.of_type(FUNCTION)}
    assert steps_in_order(json.loads(machine.inputs["definition"])) == [(step, arns[step]) for step in STEPS]


def test_state_machine_role_may_invoke_exactly_the_four_steps_and_deliver_its_logs(default_run):
    machine = default_run.one(STATE_MACHINE)
    role = default_run.find(machine.inputs["roleArn"])
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "states.amazonaws.com"
    }
    step_arns = {default_run.one(FUNCTION, step).outputs["arn"] for step in STEPS}
    assert grants(default_run, role) == {
        "lambda:InvokeFunction": step_arns,
        **{action: {"*"} for action in LOG_DELIVERY_ACTIONS},
        "logs:CreateLogStream": {log_streams(default_run, "pipeline")},
        "logs:PutLogEvents": {log_streams(default_run, "pipeline")},
    }


def test_state_machine_logs_errors_with_execution_data_to_its_own_group(default_run):
    machine = default_run.one(STATE_MACHINE)
    group = default_run.one(LOG_GROUP, "pipeline")
    assert group.inputs["name"] == "/aws/vendedlogs/states/streaming-dev-pipeline"
    assert machine.inputs["loggingConfiguration"] == {
        "level": "ERROR",
        "includeExecutionData": True,
        "logDestination": f"{group.outputs['arn']}:*",
    }


def test_state_machine_is_created_after_its_role_policy(default_run):
    assert default_run.depends_on(default_run.one(STATE_MACHINE), default_run.one(ROLE_POLICY, "pipeline"))


def test_state_machine_log_level_is_configurable():
    run = run_compute(config={"stateMachineLogLevel": "ALL"})
    assert run.one(STATE_MACHINE).inputs["loggingConfiguration"]["level"] == "ALL"


# -- the event source mapping and its dead-letter queue -----------------------------------------


def test_event_source_mapping_feeds_ingest_from_the_stream_with_partial_batch_responses(default_run):
    mapping = default_run.one(MAPPING)
    assert mapping.inputs["eventSourceArn"] == STREAM_ARN
    assert mapping.inputs["functionName"] == default_run.one(FUNCTION, "ingest").outputs["arn"]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]


def test_event_source_mapping_defaults_are_bounded_and_bisect(default_run):
    inputs = default_run.one(MAPPING).inputs
    assert {
        key: inputs[key]
        for key in (
            "startingPosition",
            "batchSize",
            "maximumBatchingWindowInSeconds",
            "parallelizationFactor",
            "bisectBatchOnFunctionError",
            "maximumRetryAttempts",
            "maximumRecordAgeInSeconds",
        )
    } == {
        "startingPosition": "TRIM_HORIZON",
        "batchSize": 180,
        "maximumBatchingWindowInSeconds": 5,
        "parallelizationFactor": 10,
        "bisectBatchOnFunctionError": True,
        "maximumRetryAttempts": 10,
        "maximumRecordAgeInSeconds": 3600,
    }
    assert "startingPositionTimestamp" not in inputs


def test_event_source_mapping_settings_come_from_config():
    run = run_compute(
        config={
            "batchSize": 500,
            "maximumBatchingWindowSeconds": 0,
            "parallelizationFactor": 4,
            "startingPosition": "AT_TIMESTAMP",
            "startingPositionTimestamp": "2026-01-31T12:00:00Z",
            "maximumRetryAttempts": 2,
            "maximumRecordAgeSeconds": 600,
        },
    )
    inputs = run.one(MAPPING).inputs
    assert (
        inputs["batchSize"],
        inputs["maximumBatchingWindowInSeconds"],
        inputs["parallelizationFactor"],
        inputs["startingPosition"],
        inputs["startingPositionTimestamp"],
        inputs["maximumRetryAttempts"],
        inputs["maximumRecordAgeInSeconds"],
    ) == (500, 0, 4, "AT_TIMESTAMP", "2026-01-31T12:00:00Z", 2, 600)


def test_exhausted_batches_go_to_the_dead_letter_queue(default_run):
    queue = default_run.one(QUEUE)
    assert default_run.one(MAPPING).inputs["destinationConfig"] == {
        "onFailure": {"destinationArn": queue.outputs["arn"]}
    }


def test_dead_letter_queue_is_encrypted_and_keeps_messages_fourteen_days(default_run):
    queue = default_run.one(QUEUE)
    assert queue.inputs["name"] == "streaming-dev-ingest-dead-letters"
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 14 * 86400


def test_dead_letter_retention_is_configurable():
    run = run_compute(config={"deadLetterRetentionDays": 4})
    assert run.one(QUEUE).inputs["messageRetentionSeconds"] == 4 * 86400


def test_event_source_mapping_is_created_after_the_permissions_it_needs(default_run):
    assert default_run.depends_on(default_run.one(MAPPING), default_run.one(ROLE_POLICY, "ingest-event-source"))


# -- customer-managed keys of the data layer --------------------------------------------------


def test_without_customer_managed_keys_no_role_has_kms_permissions(default_run):
    for policy in default_run.of_type(ROLE_POLICY):
        assert "kms:" not in policy.inputs["policy"], policy.name


def test_customer_managed_keys_add_exactly_what_each_stage_needs_of_them():
    data = data_exports(config=CUSTOMER_MANAGED_KEYS)
    run = run_compute(upstream={"network": network_exports(), "data": data})
    stream_key, archive_key = data["stream_kms_key_arn"], data["archive_kms_key_arn"]
    kms = {
        stage: {
            action: resources
            for action, resources in grants(run, function_role(run, stage)).items()
            if action.startswith("kms:")
        }
        for stage in STAGES
    }
    assert kms == {
        "ingest": {"kms:Decrypt": {stream_key}, "kms:GenerateDataKey": {archive_key}},
        "transform": {"kms:Decrypt": {archive_key}, "kms:GenerateDataKey": {archive_key}},
        "validate": {"kms:Decrypt": {archive_key}},
        "enrich": {"kms:Decrypt": {archive_key}, "kms:GenerateDataKey": {archive_key}},
        "archive": {"kms:Decrypt": {archive_key}, "kms:GenerateDataKey": {archive_key}},
    }


# -- the stack as a whole ------------------------------------------------------------------------


def test_every_contract_export_exists_and_resolves(default_run):
    for name in COMPUTE.exports:
        assert default_run.exports.get(name) not in (None, "", {}, []), name
    exports = default_run.exports
    assert exports["region"] == TEST_REGION
    assert exports["function_names"] == {stage: f"streaming-dev-{stage}" for stage in STAGES}
    assert exports["function_arns"] == {
        stage: f"arn:aws:lambda:{TEST_REGION}:{ACCOUNT_ID}:function:streaming-dev-{stage}" for stage in STAGES
    }
    assert exports["state_machine_arn"] == default_run.one(STATE_MACHINE).outputs["arn"]
    assert exports["event_source_mapping_id"] == default_run.one(MAPPING).outputs["uuid"]
    assert exports["dead_letter_queue_arn"] == default_run.one(QUEUE).outputs["arn"]
    assert exports["dead_letter_queue_url"] == default_run.one(QUEUE).outputs["url"]


def test_useful_extras_are_exported(default_run):
    exports = default_run.exports
    assert exports["log_group_names"] == {stage: f"/aws/lambda/streaming-dev-{stage}" for stage in STAGES}
    assert exports["role_arns"] == {stage: function_role(default_run, stage).outputs["arn"] for stage in STAGES}
    assert exports["state_machine_name"] == "streaming-dev-pipeline"
    assert exports["state_machine_log_group_name"] == "/aws/vendedlogs/states/streaming-dev-pipeline"
    assert exports["dependency_layer_arn"] == default_run.one(LAYER).outputs["arn"]


def test_names_follow_the_stack_name():
    run = run_compute(
        stack="prod",
        upstream={"network": network_exports(), "data": data_exports(stack="prod")},
    )
    assert run.exports["function_names"]["ingest"] == "streaming-prod-ingest"
    assert run.exports["state_machine_name"] == "streaming-prod-pipeline"


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_arns_follow_the_configured_region(region):
    run = run_compute(region=region)
    assert run.exports["region"] == region
    assert all(f":{region}:" in arn for arn in run.exports["function_arns"].values())
    assert f":{region}:" in run.exports["state_machine_arn"]


def test_resource_inventory(default_run):
    assert default_run.type_counts() == {
        "aws:cloudwatch/logGroup:LogGroup": 6,
        "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": 4,
        "aws:iam/role:Role": 7,
        "aws:iam/rolePolicy:RolePolicy": 8,
        "aws:lambda/eventSourceMapping:EventSourceMapping": 1,
        "aws:lambda/function:Function": 5,
        "aws:lambda/layerVersion:LayerVersion": 1,
        "aws:sfn/stateMachine:StateMachine": 1,
        "aws:sqs/queue:Queue": 1,
        "aws:sqs/queuePolicy:QueuePolicy": 1,
    }
