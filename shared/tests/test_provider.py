"""The layer provider: region, default tags, and in local mode only the emulator."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pulumi_aws as aws

from streaming_shared.config import DEFAULT_EMULATOR_ENDPOINT
from streaming_shared.provider import EMULATOR_SERVICES
from streaming_tooling.testing import run_program

PROBE = Path(__file__).parent / "programs" / "local_provider"


def provider_inputs(stack, config=None):
    run = run_program(PROBE, project="streaming-data", stack=stack, region="eu-west-1", config=config or {})
    provider = run.one("pulumi:providers:aws")
    assert run.one("aws:sqs/queue:Queue").provider == provider.urn
    return {key: json.loads(value) if value[:1] in "[{" else value for key, value in provider.inputs.items()}


def test_default_tags_carry_environment_project_managed_by_layer_and_user_tags():
    inputs = provider_inputs("dev", {"tags": {"Team": "data"}})
    assert inputs["defaultTags"]["tags"] == {
        "Environment": "dev",
        "Project": "streaming-pipeline",
        "ManagedBy": "pulumi",
        "Layer": "data",
        "Team": "data",
    }
    assert inputs["region"] == "eu-west-1"


def test_a_real_aws_stack_has_no_endpoint_overrides_or_fake_credentials():
    inputs = provider_inputs("dev")
    assert "endpoints" not in inputs and "accessKey" not in inputs


def test_stack_local_sends_every_service_the_layers_use_to_the_emulator():
    inputs = provider_inputs("local")
    [endpoints] = inputs["endpoints"]
    assert set(endpoints.values()) == {DEFAULT_EMULATOR_ENDPOINT}
    assert {key.rstrip("_") for key in EMULATOR_SERVICES} == set(endpoints)
    assert inputs["skipCredentialsValidation"] == "true"
    assert inputs["skipRequestingAccountId"] == "true"
    assert inputs["skipMetadataApiCheck"] == "true"
    assert inputs["s3UsePathStyle"] == "true"
    assert inputs["accessKey"] == "test"


def test_emulator_services_are_real_provider_endpoint_keys():
    endpoint_keys = set(inspect.signature(aws.ProviderEndpointArgs).parameters)
    assert set(EMULATOR_SERVICES) - endpoint_keys == set()
