"""Multi-stack ordering through the same code the nox sessions run; only Pulumi is replaced."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from streaming_shared.catalogue import LAYERS, Layer
from streaming_tooling.deploy import cli
from streaming_tooling.deploy.orchestrator import (
    DeployError,
    Operation,
    Outcome,
    Status,
    deploy_one,
    exit_code,
    run_layers,
    summary,
)
from streaming_tooling.deploy.versions import StackVersion, Version

ALL = list(LAYERS.values())


class RecordingGateway:
    """Stands in for the Automation API: records calls, fails or reports changes on request."""

    def __init__(
        self,
        *,
        failing: tuple[str, ...] = (),
        changes: Mapping[str, Mapping[str, int]] | None = None,
        outputs: Mapping[str, Mapping[str, Any]] | None = None,
        rendezvous: tuple[str, ...] = (),
    ) -> None:
        self.failing = failing
        self.changes = changes or {}
        self.stack_outputs = outputs or {}
        self.calls: list[tuple[str, str, str]] = []
        self.finished: list[str] = []
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(len(rendezvous), timeout=5) if rendezvous else None
        self.rendezvous = rendezvous

    def run(
        self,
        operation: Operation,
        layer: Layer,
        stack: str,
        on_output: Callable[[str], None],
        *,
        version: Version | None = None,
    ) -> Outcome:
        with self.lock:
            self.calls.append((operation.value, layer.name, stack))
        if layer.name in self.rendezvous and self.barrier is not None:
            self.barrier.wait()  # times out (and fails the layer) unless its partner runs at the same time
        on_output(f"Updating ({stack})\nresource changes for {layer.name}")
        with self.lock:
            self.finished.append(layer.name)
        if layer.name in self.failing:
            raise RuntimeError(f"error: {layer.name} exploded\n  at somewhere")
        return Outcome(changes=dict(self.changes.get(layer.name, {"same": 3})))

    def outputs(self, layer: Layer, stack: str) -> Mapping[str, Any] | None:
        return self.stack_outputs.get(layer.name)

    def deployed(self, layer: Layer, stack: str) -> StackVersion | None:
        return None

    def reads(self, layer: Layer, stack: str) -> Mapping[str, Mapping[str, Any]]:
        return {}

    def layers(self, operation: str) -> list[str]:
        """The layers `operation` ran on, in call order."""
        return [layer for op, layer, _ in self.calls if op == operation]


def names(results) -> list[tuple[str, str]]:
    return [(result.layer.name, result.status.value) for result in results]


def test_network_and_data_run_at_the_same_time():
    gateway = RecordingGateway(rendezvous=("network", "data"))
    results = run_layers(Operation.UP, ALL, gateway, "dev", emit=lambda line: None)
    assert all(result.status is Status.SUCCEEDED for result in results)


def test_compute_starts_after_network_and_data_and_observability_last():
    gateway = RecordingGateway()
    run_layers(Operation.UP, ALL, gateway, "dev", emit=lambda line: None)
    called = gateway.layers("up")
    assert set(called[:2]) == {"network", "data"}
    assert called[2:] == ["compute", "observability"]
    last_finished = {name: index for index, name in enumerate(gateway.finished)}
    assert max(last_finished["network"], last_finished["data"]) < gateway.finished.index("compute")


def test_destroy_runs_dependents_first():
    gateway = RecordingGateway()
    run_layers(Operation.DESTROY, ALL, gateway, "dev", emit=lambda line: None)
    called = [layer for _, layer, _ in gateway.calls]
    assert called[:2] == ["observability", "compute"]
    assert set(called[2:]) == {"network", "data"}


def test_a_failed_layer_skips_its_dependents_and_the_others_finish():
    gateway = RecordingGateway(failing=("data",))
    results = run_layers(Operation.UP, ALL, gateway, "dev", emit=lambda line: None)
    assert names(results) == [
        ("network", "succeeded"),
        ("data", "failed"),
        ("compute", "skipped"),
        ("observability", "skipped"),
    ]
    assert sorted(gateway.layers("preview")) == ["data", "network"]
    assert gateway.layers("up") == ["network"]
    assert results[2].detail == "upstream data did not succeed"
    assert results[1].detail == "error: data exploded"
    assert exit_code(Operation.UP, results) == 1


def test_a_failed_destroy_keeps_what_it_depends_on():
    gateway = RecordingGateway(failing=("compute",))
    results = run_layers(Operation.DESTROY, ALL, gateway, "dev", emit=lambda line: None)
    assert names(results) == [
        ("observability", "succeeded"),
        ("compute", "failed"),
        ("network", "skipped"),
        ("data", "skipped"),
    ]
    assert results[2].detail == "dependent compute did not succeed"


def test_output_is_streamed_with_the_layer_name_as_prefix():
    lines: list[str] = []
    run_layers(Operation.UP, [LAYERS["network"]], RecordingGateway(), "dev", emit=lines.append)
    assert lines == ["[network] Updating (dev)", "[network] resource changes for network"] * 2  # preview, up


def test_summary_says_up_to_date_changed_failed_or_skipped():
    gateway = RecordingGateway(failing=("compute",), changes={"network": {"create": 18}})
    results = run_layers(Operation.UP, ALL, gateway, "dev", emit=lambda line: None)
    text = summary(Operation.UP, "dev", results)
    assert "network        succeeded  18 create" in text
    assert "data           succeeded  up to date" in text
    assert "compute        failed     error: compute exploded" in text
    assert "observability  skipped    upstream compute did not succeed" in text


def test_drift_exits_non_zero_only_when_a_layer_has_changes():
    clean = run_layers(Operation.DRIFT, ALL, RecordingGateway(), "prod", emit=lambda line: None)
    drifted = run_layers(
        Operation.DRIFT,
        ALL,
        RecordingGateway(changes={"data": {"update": 1, "same": 9}}),
        "prod",
        emit=lambda line: None,
    )
    assert exit_code(Operation.DRIFT, clean) == 0
    assert exit_code(Operation.DRIFT, drifted) == 1
    assert [r.detail for r in drifted if r.layer.name == "data"] == ["drift: 1 update"]


def test_deploy_one_layer_is_refused_while_an_upstream_has_no_outputs():
    gateway = RecordingGateway(outputs={"network": {"vpc_id": "vpc-1"}})
    with pytest.raises(DeployError) as error:
        deploy_one("compute", gateway, "dev", emit=lambda line: None)
    message = str(error.value)
    assert "stack 'dev' of streaming-data has no outputs yet" in message
    assert "nox -s deploy -- data --stack dev" in message
    assert "streaming-network" not in message
    assert gateway.calls == []


def test_deploy_one_layer_runs_only_that_layer():
    gateway = RecordingGateway(outputs={"network": {"a": 1}, "data": {"b": 2}})
    results = deploy_one("compute", gateway, "dev", emit=lambda line: None)
    assert names(results) == [("compute", "succeeded")]


def test_with_downstream_redeploys_dependents_in_order():
    gateway = RecordingGateway(outputs={"network": {"a": 1}, "data": {"b": 2}})
    results = deploy_one("network", gateway, "dev", with_downstream=True, emit=lambda line: None)
    assert names(results) == [("network", "succeeded"), ("compute", "succeeded"), ("observability", "succeeded")]


def test_a_layer_without_upstream_deploys_without_any_outputs_present():
    results = deploy_one("data", RecordingGateway(), "dev", emit=lambda line: None)
    assert names(results) == [("data", "succeeded")]


# -- the command line the nox sessions call ------------------------------------------------


def run_cli(argv, gateway, answers=()):
    said: list[str] = []
    replies = iter(answers)
    code = cli.main(
        argv,
        root=Path("."),
        gateway_factory=lambda args, root, say: gateway,
        say=said.append,
        ask=lambda prompt: next(replies),
    )
    return code, "\n".join(said)


def test_cli_deploy_all_prints_the_summary_and_exits_zero():
    gateway = RecordingGateway()
    code, text = run_cli(["deploy-all", "--stack", "dev"], gateway)
    assert code == 0
    assert "up of stack 'dev':" in text
    assert len(gateway.layers("up")) == 4
    assert {stack for _, _, stack in gateway.calls} == {"dev"}


def test_cli_destroy_all_asks_and_does_nothing_without_the_stack_name():
    gateway = RecordingGateway()
    code, text = run_cli(["destroy-all", "--stack", "dev"], gateway, answers=["yes"])
    assert code == 1 and "nothing destroyed" in text
    assert gateway.calls == []


def test_cli_destroy_all_proceeds_when_the_stack_name_is_typed():
    gateway = RecordingGateway()
    code, _ = run_cli(["destroy-all", "--stack", "dev"], gateway, answers=["dev"])
    assert code == 0
    assert [op for op, _, _ in gateway.calls] == ["destroy"] * 4


def test_cli_destroy_all_with_yes_does_not_ask():
    gateway = RecordingGateway()
    code, _ = run_cli(["destroy-all", "--stack", "dev", "--yes"], gateway, answers=[])
    assert code == 0 and len(gateway.calls) == 4


def test_cli_deploy_one_layer_refusal_is_a_clear_message_not_a_traceback():
    code, text = run_cli(["deploy", "observability", "--stack", "dev"], RecordingGateway())
    assert code == 1
    assert text.startswith("cannot deploy streaming-observability to stack 'dev':")
    assert "nox -s deploy -- compute --stack dev" in text


def test_cli_rejects_an_unknown_layer():
    with pytest.raises(SystemExit):
        run_cli(["deploy", "storage"], RecordingGateway())


def test_preview_and_deploy_always_run_the_guardrails_policy_pack():
    args = cli.parser().parse_args(["deploy-all", "--stack", "dev", "--policy-pack", "/opt/org-policies"])
    options = cli.gateway_options(args, Path("/repo"))
    assert options["policy_packs"] == ["/repo/shared/policy_pack", "/opt/org-policies"]
    assert options["extra_config"] == {}


def test_a_local_emulator_elsewhere_is_passed_to_every_layer_as_config():
    args = cli.parser().parse_args(["deploy-all", "--emulator-endpoint", "http://127.0.0.1:5000"])
    assert cli.gateway_options(args, Path("/repo"))["extra_config"] == {"emulatorEndpoint": "http://127.0.0.1:5000"}
