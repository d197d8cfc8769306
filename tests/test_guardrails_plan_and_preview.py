"""Every guardrail refuses a violation planted in a real layer program: in the offline plan
(`nox -s plan`) and in the deploy's preview, where only the Automation API is replaced.

The planted violations (`tests/programs/policy_violations/`) run inside a copy of the network
layer's program, as stack `prod` (not disposable), from a copy of the stacks that
STREAMING_REPO_ROOT points at."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import EngineEvent

from streaming_shared.catalogue import LAYERS, NETWORK, Layer
from streaming_tooling.deploy import cli
from streaming_tooling.deploy.orchestrator import Operation, Outcome
from streaming_tooling.deploy.plan import build_plan, stack_config
from streaming_tooling.deploy.policy_check import mandatory_violations
from streaming_tooling.guardrails.offline import evaluate
from streaming_tooling.guardrails.policies import ENFORCEMENT
from streaming_tooling.testing import ProgramRun, repo_root, run_layer

from .test_guardrails_policies import EXPECTED, VIOLATIONS

STACK = "prod"
PACK = "streaming-pipeline-guardrails"
PLANTED = sorted((policy, resource) for policy, resources in EXPECTED.items() for resource in resources)


@contextlib.contextmanager
def repository_at(root: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STREAMING_REPO_ROOT", str(root))
        yield


def plant(root: Path, layers: tuple[str, ...]) -> Path:
    """Copies of `layers` under `root`, stack `prod` configured like `dev`, the violations planted in network."""
    for name in layers:
        folder = root / "stacks" / name
        shutil.copytree(repo_root() / "stacks" / name, folder, ignore=shutil.ignore_patterns("tests", "bench"))
        shutil.copy(folder / "Pulumi.dev.yaml", folder / f"Pulumi.{STACK}.yaml")
    program = root / NETWORK.folder / "__main__.py"
    program.write_text(program.read_text() + f"\nimport runpy\n\nrunpy.run_path({str(VIOLATIONS / '__main__.py')!r})\n")
    return root


@pytest.fixture(scope="module")
def planted_root(tmp_path_factory):
    return plant(tmp_path_factory.mktemp("planted"), (NETWORK.name,))


@pytest.fixture(scope="module")
def network_plan(planted_root):
    with repository_at(planted_root):
        return build_plan(STACK, catalogue={"network": NETWORK})


@pytest.mark.parametrize(("policy", "resource"), PLANTED)
def test_the_plan_refuses_each_planted_violation_naming_the_policy_and_the_resource(network_plan, policy, resource):
    assert not network_plan.ok
    problems = network_plan.problems_by_project[NETWORK.project]
    named = [problem for problem in problems if f"policy {policy} on " in problem]
    assert any(f"'{resource}': " in problem for problem in named), named


def test_the_plan_of_the_real_network_layer_has_no_violation():
    assert build_plan("dev", catalogue={"network": NETWORK}).problems == []


@pytest.mark.slow
def test_nox_plan_exits_1_and_names_the_rule_and_the_resource(tmp_path):
    root = plant(tmp_path, tuple(LAYERS))
    said: list[str] = []
    with repository_at(root):
        code = cli.main(["plan", "--stack", STACK], root=root, say=said.append)
    text = "\n".join(said)
    assert code == 1
    assert (
        "    - violates policy kms-key-rotation on aws:kms/key:Key 'unrotated-key': the customer-managed KMS key "
        "does not rotate. Fix: set enable_key_rotation=True"
    ) in text


class EngineGateway:
    """Stands in for the Automation API as `pulumi preview --policy-pack shared/policy_pack` would
    answer for a program run: evaluates the pack's policies on the run and reports each violation
    as the engine event the CLI streams. Nothing is ever deployed."""

    def __init__(self, runs: Mapping[str, ProgramRun]) -> None:
        self.runs = runs
        self.calls: list[tuple[str, str]] = []

    def run(
        self, operation: Operation, layer: Layer, stack: str, on_output: Callable[[str], None], **_: Any
    ) -> Outcome:
        self.calls.append((operation.value, layer.name))
        if operation is not Operation.PREVIEW:
            return Outcome(changes={"create": 1})
        run = self.runs[layer.name]
        events = [
            EngineEvent.from_json(
                {
                    "sequence": number,
                    "timestamp": 1764576000,
                    "policyEvent": {
                        "message": violation.message,
                        "color": "never",
                        "policyName": violation.policy,
                        "policyPackName": PACK,
                        "policyPackVersion": "1.0.0",
                        "policyPackVersionTag": "1.0.0",
                        "enforcementLevel": ENFORCEMENT.value,
                        "resourceUrn": urn_of(run, violation.resource),
                    },
                }
            )
            for number, violation in enumerate(evaluate(run))
        ]
        return Outcome(policy_violations=tuple(mandatory_violations(events)))

    def outputs(self, layer: Layer, stack: str) -> Mapping[str, Any] | None:
        return None


def urn_of(run, name: str) -> str:
    return next(resource.urn for resource in run.resources if resource.name == name)


@pytest.fixture(scope="module")
def refused_deploy(planted_root):
    """`nox -s deploy -- network --stack prod` of the planted program (run offline in this thread:
    the deploy runs each layer's preview in a worker thread)."""
    said: list[str] = []
    with repository_at(planted_root):
        config = stack_config(NETWORK, STACK)
        run = run_layer(NETWORK.name, stack=STACK, region=str(config.pop("aws:region")), config=config)
        gateway = EngineGateway({NETWORK.name: run})
        code = cli.main(
            ["deploy", "network", "--stack", STACK, "--allow-dirty"],  # the planted copy is no git work tree
            root=planted_root,
            gateway_factory=lambda args, root, say: gateway,
            say=said.append,
        )
    return code, "\n".join(said), gateway


def test_the_deploy_previews_and_never_starts_up(refused_deploy):
    code, _, gateway = refused_deploy
    assert code == 1
    assert gateway.calls == [("preview", "network")]


@pytest.mark.parametrize(("policy", "resource"), PLANTED)
def test_the_preview_refuses_each_planted_violation_naming_the_policy_and_the_resource(
    refused_deploy, policy, resource
):
    _, text, _ = refused_deploy
    lines = [line for line in text.splitlines() if f"policy {policy} ({PACK}) on " in line]
    assert any(f" '{resource}': " in line for line in lines), text


def test_the_pack_pulumi_runs_is_the_one_evaluated_here():
    pack = (repo_root() / "shared" / "policy_pack" / "__main__.py").read_text()
    assert f'name="{PACK}"' in pack
    assert "policies=POLICIES" in pack
    assert "enforcement_level=ENFORCEMENT" in pack
