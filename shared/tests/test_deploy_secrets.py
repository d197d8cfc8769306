"""Creating a stack on a self-managed backend needs a secrets provider; the sessions say so first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streaming_shared.catalogue import Layer
from streaming_tooling.deploy import cli
from streaming_tooling.deploy.orchestrator import DeployError, Operation, Outcome
from streaming_tooling.deploy.secrets import secrets_problem, secrets_provider_for

from .test_deploy_orchestration import RecordingGateway, run_cli


@pytest.mark.parametrize("backend", ["s3://acme-pulumi-state", "file:///srv/pulumi", "gs://state", "azblob://state"])
def test_a_self_managed_backend_without_provider_or_passphrase_is_one_sentence_naming_what_to_set(backend):
    problem = secrets_problem("dev", backend, None, {})
    assert problem is not None and problem.count("\n") == 0
    assert problem.startswith(f"Creating stack 'dev' on the self-managed backend {backend} needs a secrets provider")
    for option in ("--secrets-provider awskms://alias/", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        assert option in problem


@pytest.mark.parametrize(
    ("stack", "backend", "requested", "environment"),
    [
        ("dev", "s3://state", "awskms://alias/pulumi-secrets", {}),
        ("dev", "s3://state", None, {"PULUMI_CONFIG_PASSPHRASE": "correct horse"}),
        ("dev", "s3://state", None, {"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/secrets/passphrase"}),
        ("dev", "https://api.pulumi.com", None, {}),
        ("local", "file:///repo/.pulumi-state", None, {}),
    ],
)
def test_a_provider_a_passphrase_pulumi_cloud_or_stack_local_is_enough(stack, backend, requested, environment):
    assert secrets_problem(stack, backend, requested, environment) is None


def test_the_requested_provider_is_used_for_new_stacks_and_local_keeps_its_passphrase():
    assert secrets_provider_for("prod", "awskms://alias/pulumi-secrets") == "awskms://alias/pulumi-secrets"
    assert secrets_provider_for("local", None) == "passphrase"
    assert secrets_provider_for("prod", None) is None


def test_the_option_reaches_the_gateway():
    args = cli.parser().parse_args(["deploy-all", "--stack", "prod", "--secrets-provider", "awskms://alias/x"])
    assert cli.gateway_options(args, Path("/repo"))["secrets_provider"] == "awskms://alias/x"


class NoSecretsGateway(RecordingGateway):
    """Creating a stack stops as the real gateway does on a self-managed backend without a provider."""

    def run(
        self, operation: Operation, layer: Layer, stack: str, on_output: Callable[[str], None], **_: Any
    ) -> Outcome:
        super().run(operation, layer, stack, on_output)
        raise DeployError(secrets_problem(stack, "s3://acme-pulumi-state", None, {}))


def test_the_run_stops_with_that_one_sentence_instead_of_a_failure_per_layer():
    gateway = NoSecretsGateway()
    code, text = run_cli(["deploy-all", "--stack", "dev"], gateway)
    assert code == 1
    assert text.splitlines()[-1].startswith("Creating stack 'dev' on the self-managed backend s3://acme-pulumi-state")
    assert "up of stack" not in text  # no summary of half-attempted layers
    assert gateway.layers("up") == [] and "compute" not in {layer for _, layer, _ in gateway.calls}
