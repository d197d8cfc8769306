"""The offline plan of a stack whose file holds secrets (`secure:` values only the backend decrypts):
each secret is given to the program as the example its settings field declares, marked secret."""

from __future__ import annotations

import pytest

from streaming_shared.catalogue import LAYERS, OBSERVABILITY
from streaming_tooling.deploy.plan import PlanFailed, plan_layer
from streaming_tooling.layers import layer_settings_model
from streaming_tooling.testing import repo_root, upstream_exports
from streaming_tooling.testing.git_repository import append

STACK = "dev"
SECRET = "    secure: v1:c2VjcmV0IHRoZSBvZmZsaW5lIHBsYW4gY2Fubm90IHJlYWQ=\n"
"""A stack file's encrypted value, as `pulumi config set --secret` writes it."""


@pytest.fixture(scope="module")
def observability_upstream() -> dict[str, dict[str, object]]:
    return upstream_exports("observability", stack=STACK, region="eu-west-1")


def test_a_secret_in_the_stack_file_is_planned_with_its_fields_example_as_a_secret(repo, observability_upstream):
    append(repo, "stacks/observability/Pulumi.dev.yaml", "  streaming-observability:alarmHttpsEndpoint:\n" + SECRET)
    run = plan_layer(OBSERVABILITY, STACK, observability_upstream, root=repo)
    [https] = [
        item
        for item in run.of_type("aws:sns/topicSubscription:TopicSubscription")
        if item.inputs["protocol"] == "https"
    ]
    assert https.inputs["endpoint"] == "https://events.example.com/sns"


def test_a_secret_whose_field_declares_no_example_names_the_key_and_the_fix(repo, observability_upstream):
    append(repo, "stacks/observability/Pulumi.dev.yaml", "  streaming-observability:tableOperations:\n" + SECRET)
    with pytest.raises(PlanFailed) as failure:
        plan_layer(OBSERVABILITY, STACK, observability_upstream, root=repo)
    assert str(failure.value) == (
        "streaming-observability:tableOperations is a secret in stacks/observability/Pulumi.dev.yaml; the offline "
        "plan stands in for a secret with an example its settings field declares, and this one declares none "
        "(`examples=[...]` on its field in stacks/observability/observability_layer/settings.py)"
    )


@pytest.mark.parametrize("name", [name for name in LAYERS if layer_settings_model(repo_root(), name)])
def test_every_field_that_must_be_a_secret_declares_an_example_its_validation_accepts(name):
    model = layer_settings_model(repo_root(), name)
    assert model is not None
    for field_name in model.SECRET_FIELDS:
        field = model.model_fields[field_name]
        key = field.alias or field_name
        assert field.examples, f"{name}: {key} declares no example"
        settings = model.from_values({key: field.examples[0]}, stack=STACK, region="eu-west-1", secret_keys={key})
        assert getattr(settings, field_name) == field.examples[0]
