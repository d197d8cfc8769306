"""Stack `local` can reach only the emulator: every service a layer uses has an endpoint there."""

from __future__ import annotations

import json

import pytest

from streaming_shared.catalogue import deploy_order
from streaming_shared.config import DEFAULT_EMULATOR_ENDPOINT
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.testing import repo_root

# The pulumi-aws endpoint key of the AWS service behind each resource module. The `cloudwatch`
# module spans two services: log groups are CloudWatch Logs, alarms and dashboards CloudWatch.
ENDPOINT_OF_MODULE = {
    "ec2": "ec2",
    "vpc": "ec2",
    "s3": "s3",
    "dynamodb": "dynamodb",
    "kinesis": "kinesis",
    "lambda": "lambda",
    "iam": "iam",
    "sqs": "sqs",
    "sns": "sns",
    "sfn": "sfn",
    "kms": "kms",
}
ENDPOINT_OF_TYPE = {
    "aws:cloudwatch/logGroup:LogGroup": "logs",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "cloudwatch",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "cloudwatch",
    "aws:cloudwatch/dashboard:Dashboard": "cloudwatch",
}
ENDPOINT_OF_INVOKE = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": "ec2",
    "aws:ec2/getVpcEndpointService:getVpcEndpointService": "ec2",
    "aws:index/getCallerIdentity:getCallerIdentity": "sts",
    "aws:index/getRegion:getRegion": None,
    "aws:index/getPartition:getPartition": None,
}


def endpoint_for(type_token: str) -> str:
    if type_token in ENDPOINT_OF_TYPE:
        return ENDPOINT_OF_TYPE[type_token]
    module = type_token.split(":")[1].split("/", maxsplit=1)[0]
    assert module in ENDPOINT_OF_MODULE, f"add the endpoint of {type_token} to this test and to EMULATOR_SERVICES"
    return ENDPOINT_OF_MODULE[module]


@pytest.fixture(scope="module")
def local_runs():
    built: list[str] = []
    for item in deploy_order():
        if (repo_root() / item.folder / "__main__.py").exists() and set(item.upstream) <= set(built):
            built.append(item.name)
    plan = build_plan("local")
    assert list(plan.runs) == built, plan.problems
    return plan.runs


def provider_inputs(run):
    provider = run.one("pulumi:providers:aws")
    return {
        key: json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
        for key, value in provider.inputs.items()
    }


def test_every_service_a_local_layer_calls_has_an_emulator_endpoint(local_runs):
    for name, run in local_runs.items():
        [endpoints] = provider_inputs(run)["endpoints"]
        used = {endpoint_for(r.type) for r in run.cloud_resources if r.type.startswith("aws:")}
        used |= {ENDPOINT_OF_INVOKE[token] for token, _ in run.invokes} - {None}
        assert used <= set(endpoints), (name, used - set(endpoints))


def test_every_local_endpoint_is_the_loopback_emulator(local_runs):
    for run in local_runs.values():
        [endpoints] = provider_inputs(run)["endpoints"]
        assert set(endpoints.values()) == {DEFAULT_EMULATOR_ENDPOINT}


def test_local_provider_never_asks_real_aws_for_credentials_account_or_metadata(local_runs):
    for run in local_runs.values():
        inputs = provider_inputs(run)
        assert inputs["skipCredentialsValidation"] == "true"
        assert inputs["skipRequestingAccountId"] == "true"
        assert inputs["skipMetadataApiCheck"] == "true"
        assert inputs["accessKey"] == "test" and inputs["secretKey"] == "test"
