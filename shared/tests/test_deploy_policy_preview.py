"""A deploy previews each layer with the policy packs first and never starts `up` on a
mandatory violation; only the Automation API is replaced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi.automation import EngineEvent

from streaming_shared.catalogue import LAYERS, Layer
from streaming_tooling.deploy.orchestrator import Operation, Outcome, Status, exit_code, run_layers, summary
from streaming_tooling.deploy.policy_check import mandatory_violations

from .test_deploy_orchestration import RecordingGateway, run_cli

BUCKET_URN = "urn:pulumi:dev::streaming-data::streaming:data:ArchiveBucket$aws:s3/bucket:Bucket::archive"


def policy_event(level: str, *, policy: str = "s3-public-access-blocked", urn: str | None = BUCKET_URN) -> EngineEvent:
    """An engine event as the CLI streams it (`pulumi preview --event-log`)."""
    event = {
        "message": "The bucket must block public access.\nSet every PublicAccessBlock flag.",
        "color": "never",
        "policyName": policy,
        "policyPackName": "streaming-pipeline-guardrails",
        "policyPackVersion": "0.0.1",
        "policyPackVersionTag": "0.0.1",
        "enforcementLevel": level,
    }
    if urn:
        event["resourceUrn"] = urn
    return EngineEvent.from_json({"sequence": 7, "timestamp": 1764576000, "policyEvent": event})


class PolicyGateway(RecordingGateway):
    """Its preview of `violating` reports a mandatory violation, as the real preview's events do."""

    def __init__(self, violating: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.violating = violating

    def run(
        self, operation: Operation, layer: Layer, stack: str, on_output: Callable[[str], None], **_: Any
    ) -> Outcome:
        outcome = super().run(operation, layer, stack, on_output)
        if operation is Operation.PREVIEW and layer.name == self.violating:
            return Outcome(policy_violations=tuple(mandatory_violations([policy_event("mandatory")])))
        return outcome


def test_every_up_is_preceded_by_a_preview_of_the_same_layer():
    gateway = RecordingGateway()
    run_layers(Operation.UP, list(LAYERS.values()), gateway, "dev", emit=lambda line: None)
    for name in LAYERS:
        calls = [op for op, layer, _ in gateway.calls if layer == name]
        assert calls == ["preview", "up"], (name, calls)


def test_a_mandatory_violation_in_the_preview_stops_that_layer_before_up():
    gateway = PolicyGateway("data")
    results = run_layers(Operation.UP, list(LAYERS.values()), gateway, "dev", emit=lambda line: None)
    assert gateway.layers("up") == ["network"]
    by_layer = {result.layer.name: result for result in results}
    assert by_layer["data"].status is Status.FAILED
    assert by_layer["compute"].status is Status.SKIPPED
    assert exit_code(Operation.UP, results) == 1
    text = summary(Operation.UP, "dev", results)
    assert (
        "data           failed     not deployed, nothing changed: the preview found policy "
        "s3-public-access-blocked (streaming-pipeline-guardrails) on aws:s3/bucket:Bucket 'archive': "
        "The bucket must block public access."
    ) in text


def test_deploy_one_layer_is_refused_the_same_way():
    gateway = PolicyGateway("compute", outputs={"network": {"a": 1}, "data": {"b": 2}})
    code, text = run_cli(["deploy", "compute", "--stack", "dev"], gateway)
    assert code == 1
    assert gateway.layers("up") == []
    assert "policy s3-public-access-blocked" in text


def test_preview_all_fails_on_a_mandatory_violation():
    gateway = PolicyGateway("network", outputs={})
    code, text = run_cli(["preview-all", "--stack", "dev"], gateway)
    assert code == 1
    assert "network        failed     policy s3-public-access-blocked" in text


def test_only_mandatory_violations_count_and_a_stack_level_one_names_the_stack():
    events = [
        policy_event("advisory", policy="lambda-log-group-with-retention"),
        policy_event("mandatory", policy="s3-tls-only", urn=None),
        EngineEvent.from_json({"sequence": 8, "timestamp": 1764576001}),
    ]
    [violation] = mandatory_violations(events)
    assert str(violation) == (
        "policy s3-tls-only (streaming-pipeline-guardrails) on the stack: The bucket must block public access."
    )
