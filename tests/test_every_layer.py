"""What every layer must do, checked once over the real chain for stacks `dev` and `local`.

Stack `dev` runs with the data layer's customer-managed keys, so the optional exports are there
to check too; stack `local` runs from the example stack files, as `nox -s plan` does.
"""

from __future__ import annotations

import pytest

from streaming_shared.catalogue import DEFAULT_ORG, LAYERS, Layer
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.testing import ProgramRun, run_chain

STACKS = ("dev", "local")
CASES = [pytest.param(stack, item, id=f"{stack}-{item.name}") for stack in STACKS for item in LAYERS.values()]


@pytest.fixture(scope="module")
def chains() -> dict[str, dict[str, ProgramRun]]:
    plan = build_plan("local")
    assert plan.problems == []
    keyed = {"data": {"streamCustomerManagedKey": True, "archiveCustomerManagedKey": True}}
    return {"dev": run_chain(stack="dev", region="eu-west-1", config=keyed), "local": plan.runs}


@pytest.mark.parametrize(("stack", "item"), CASES)
def test_every_aws_resource_uses_the_one_layer_provider(chains, stack: str, item: Layer):
    run = chains[stack][item.name]
    [provider] = run.of_type("pulumi:providers:aws")
    aws_resources = [r for r in run.cloud_resources if r.type.startswith("aws:")]
    assert aws_resources
    assert [r.name for r in aws_resources if r.provider != provider.urn] == []


@pytest.mark.parametrize(("stack", "item"), CASES)
def test_no_deprecated_pulumi_aws_resource_argument_or_warning(chains, stack: str, item: Layer):
    run = chains[stack][item.name]
    assert run.deprecations == []
    assert [message for message in run.warnings() if "deprecat" in message.lower()] == []


@pytest.mark.parametrize(("stack", "item"), CASES)
def test_every_export_has_the_shape_the_catalogue_declares(chains, stack: str, item: Layer):
    exports = chains[stack][item.name].exports
    declared = {**item.exports, **{k: v for k, v in item.optional_exports.items() if stack == "dev"}}
    assert {name: shape.value for name, shape in declared.items() if not shape.fits(exports.get(name))} == {}


@pytest.mark.parametrize(("stack", "item"), CASES)
def test_a_layer_opens_stack_references_to_exactly_its_upstream_layers(chains, stack: str, item: Layer):
    references = {r.name for r in chains[stack][item.name].of_type("pulumi:pulumi:StackReference")}
    assert references == {LAYERS[name].stack_reference_name(DEFAULT_ORG, stack) for name in item.upstream}


@pytest.mark.parametrize(("stack", "item"), CASES)
def test_every_child_is_named_after_its_component_so_a_second_instance_cannot_collide(chains, stack, item):
    run = chains[stack][item.name]
    components = {r.urn: r for r in run.resources if not r.custom}
    misnamed = [
        f"{components[r.parent].name} -> {r.name}"
        for r in run.resources
        if r.parent in components
        and r.name != components[r.parent].name
        and not r.name.startswith(f"{components[r.parent].name}-")
    ]
    assert misnamed == []
