"""preview-all, drift and refresh-all on an environment whose later layers are not deployed yet."""

from __future__ import annotations

import pytest

from .test_deploy_orchestration import RecordingGateway, run_cli

PARTIAL_COMMANDS = ["preview-all", "drift", "refresh-all"]


@pytest.mark.parametrize("command", PARTIAL_COMMANDS)
def test_on_a_new_environment_the_layers_without_upstream_outputs_wait_and_the_run_succeeds(command):
    gateway = RecordingGateway(outputs={})
    code, text = run_cli([command, "--stack", "dev"], gateway)
    assert code == 0
    assert sorted(layer for _, layer, _ in gateway.calls) == ["data", "network"]
    summary = text[text.index("of stack 'dev':") :].splitlines()
    assert summary[3] == (
        "  compute        waiting for network, data (not deployed yet); "
        "`nox -s plan -- --stack dev` checks this layer offline"
    )
    assert summary[4].startswith("  observability  waiting for data, compute (not deployed yet);")


@pytest.mark.parametrize("command", PARTIAL_COMMANDS)
def test_strict_makes_a_waiting_layer_fail_the_run(command):
    code, text = run_cli([command, "--stack", "dev", "--strict"], RecordingGateway(outputs={}))
    assert code == 1
    assert "compute        waiting for network, data" in text


def test_only_the_layers_whose_upstream_is_missing_wait():
    deployed = {"network": {"vpc_id": "vpc-1"}, "data": {"stream_name": "s"}}
    gateway = RecordingGateway(outputs=deployed)
    code, text = run_cli(["preview-all", "--stack", "dev"], gateway)
    assert code == 0
    assert sorted(layer for _, layer, _ in gateway.calls) == ["compute", "data", "network"]
    assert "  observability  waiting for compute (not deployed yet);" in text


def test_a_failed_preview_still_fails_the_run():
    code, text = run_cli(["preview-all", "--stack", "dev"], RecordingGateway(failing=("data",), outputs={}))
    assert code == 1
    assert "compute        skipped    upstream data did not succeed" in text


def test_deploy_all_does_not_wait_it_deploys_upstream_first():
    gateway = RecordingGateway(outputs={})
    code, _ = run_cli(["deploy-all", "--stack", "dev"], gateway)
    assert code == 0
    assert gateway.layers("up")[2:] == ["compute", "observability"]
