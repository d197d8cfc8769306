"""`nox -s plan` end to end over all four layers: counts, wiring, a contract break, the diagram."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from streaming_shared import catalogue
from streaming_shared.catalogue import LAYERS, deploy_order
from streaming_tooling.deploy.cli import main
from streaming_tooling.deploy.plan import Wire, build_plan, embed_in_readme, render_mermaid, render_text
from streaming_tooling.testing import repo_root


@pytest.fixture(scope="module")
def plan():
    return build_plan("local")


def test_every_layer_runs_in_dependency_order(plan):
    assert plan.problems == []
    assert list(plan.runs) == [item.name for item in deploy_order()]


def test_each_layer_plans_resources_and_the_text_counts_them(plan):
    text = render_text(plan)
    for name, run in plan.runs.items():
        count = len(run.cloud_resources)
        assert count > 0
        assert f"{name} ({run.project}, {run.region}): {count} resources" in text


def test_every_layer_reads_exports_its_upstream_produces(plan):
    for wire in plan.wiring:
        assert wire.key in plan.runs[wire.upstream].exports, wire
    assert Wire("network", "private_subnet_ids", "compute") in plan.wiring
    assert Wire("compute", "function_names", "observability") in plan.wiring


def test_consumers_get_the_upstream_values_through_their_stack_references(plan):
    reference = plan.runs["compute"].one("pulumi:pulumi:StackReference", "organization/streaming-network/local")
    assert reference.outputs["outputs"]["private_subnet_ids"] == plan.runs["network"].exports["private_subnet_ids"]


def test_the_wiring_is_printed_as_export_to_consumer(plan):
    text = render_text(plan)
    assert "network.private_subnet_ids" in text and "-> compute" in text


@pytest.fixture
def compute_reads_a_missing_key():
    """Compute declares a read of `nat_gateway_id`, which the network layer does not export."""
    original = catalogue.COMPUTE.reads
    broken = {**original, "network": (*original["network"], "nat_gateway_id")}
    object.__setattr__(catalogue.COMPUTE, "reads", MappingProxyType(broken))
    try:
        yield
    finally:
        object.__setattr__(catalogue.COMPUTE, "reads", original)


def test_a_consumer_requiring_a_missing_export_fails_naming_both_layers_and_the_key(compute_reads_a_missing_key):
    broken = build_plan("local")
    assert not broken.ok
    [problem] = [p for p in broken.problems if "nat_gateway_id" in p]
    assert "streaming-compute" in problem and "streaming-network" in problem
    assert "observability" not in broken.runs


def test_a_layer_using_something_deprecated_fails_the_plan(monkeypatch, tmp_path):
    program = tmp_path / "stacks" / "network" / "__main__.py"
    program.parent.mkdir(parents=True)
    program.write_text(
        "import pulumi\nimport pulumi_aws as aws\n"
        'aws.s3.Bucket("legacy", acl="private")\n'
        f"for key in {list(LAYERS['network'].exports)!r}:\n    pulumi.export(key, 'x')\n"
    )
    (program.parent / "Pulumi.local.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    monkeypatch.setenv("STREAMING_REPO_ROOT", str(tmp_path))
    failed = build_plan("local", catalogue={"network": LAYERS["network"]})
    assert [p for p in failed.problems if "deprecated" in p] == [
        "streaming-network: uses deprecated aws:s3/bucket:Bucket 'legacy' argument acl: "
        "acl is deprecated. Use the s3.BucketAcl resource instead."
    ]


def test_plan_command_exits_non_zero_on_a_problem(compute_reads_a_missing_key):
    said: list[str] = []
    assert main(["plan"], root=repo_root(), say=said.append) == 1
    assert "PROBLEMS:" in said[0]


def test_the_diagram_shows_every_layer_and_the_exports_between_them(plan):
    diagram = render_mermaid(plan)
    assert diagram.startswith("flowchart LR")
    for name in LAYERS:
        assert f'subgraph {name}["{name}' in diagram
    assert 'network -- "' in diagram and "--> compute" in diagram


def test_readme_embeds_the_current_diagram(plan):
    readme = (repo_root() / "README.md").read_text()
    assert "<!-- plan:diagram -->" in readme
    assert embed_in_readme(readme, render_mermaid(plan)) == readme, (
        "README diagram is stale: run `nox -s plan -- --write-readme`"
    )
