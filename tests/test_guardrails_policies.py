"""Each guardrail passes on the real stacks and fails on a resource crafted to break it.

The crafted program runs as stack `prod`, which is not disposable, so the rules that apply only
there (log-group encryption) see it too."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from streaming_shared.catalogue import LAYERS
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.guardrails.offline import evaluate
from streaming_tooling.guardrails.policies import POLICIES
from streaming_tooling.testing import run_program

VIOLATIONS = Path(__file__).parent / "programs" / "policy_violations"

EXPECTED = {
    "kinesis-stream-encrypted": {"plain-stream"},
    "sqs-queue-encrypted": {"plain-queue"},
    "sns-topic-encrypted": {"plain-topic"},
    "dynamodb-table-encrypted-with-pitr": {"plain-table"},
    "lambda-in-vpc": {"loose-function"},
    "lambda-reserved-concurrency-capped": {"loose-function"},
    "no-open-ingress": {"open-ingress"},
    "no-open-egress": {"open-egress"},
    "iam-no-wildcards": {"wildcard-policy"},
    "required-tags": {"untagged-queue"},
    "alarm-has-actions-and-dimensions": {"blind-alarm"},
    "s3-public-access-blocked": {"bare-bucket"},
    "s3-encrypted": {"bare-bucket"},
    "s3-tls-only": {"bare-bucket"},
    "lambda-log-group-with-retention": {"loose-function"},
    "iam-no-open-principals": {"open-bucket-policy", "open-key", "open-trust-role", "open-endpoint-policy"},
    "iam-confused-deputy": {"deputy-topic-policy"},
    "iam-no-broad-managed-policies": {"admin-attachment"},
    "iam-parliament": {"mismatched-policy"},
    "kms-key-rotation": {"unrotated-key"},
    "log-group-encrypted": {"plain-log-group"},
    "step-functions-logging": {"silent-state-machine"},
    "s3-bucket-versioning": {"bare-bucket"},
    "vpc-endpoint-policy-scoped": {"open-endpoint-policy"},
}
CRAFTED_STACK = "prod"


@pytest.fixture(scope="module")
def crafted_run():
    return run_program(VIOLATIONS, project="probe", stack=CRAFTED_STACK)


@pytest.fixture(scope="module")
def crafted(crafted_run):
    run = crafted_run
    found = defaultdict(set)
    messages = defaultdict(list)
    for violation in evaluate(run):
        found[violation.policy].add(violation.resource)
        messages[violation.policy].append(violation.message)
    return found, messages


def test_every_policy_has_a_crafted_violation():
    assert set(EXPECTED) == {policy.name for policy in POLICIES}


@pytest.mark.parametrize("policy", sorted(EXPECTED))
def test_policy_flags_exactly_the_resource_crafted_to_break_it(policy, crafted):
    found, _ = crafted
    assert found[policy] == EXPECTED[policy]


@pytest.mark.parametrize("policy", sorted(EXPECTED))
def test_policy_message_says_how_to_fix_it(policy, crafted):
    _, messages = crafted
    assert messages[policy] and all(". Fix: " in message for message in messages[policy])


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_real_stacks_pass_every_policy(stack):
    plan = build_plan(stack)
    assert plan.runs, plan.problems
    violations = [str(v) for run in plan.runs.values() for v in evaluate(run)]
    assert violations == []


def test_reserved_concurrency_cap_is_configurable(crafted_run):
    relaxed = evaluate(crafted_run, config={"lambda-reserved-concurrency-capped": {"maximum": 1000}})
    assert "lambda-reserved-concurrency-capped" not in {v.policy for v in relaxed}


def test_log_groups_of_disposable_stacks_need_no_key():
    run = run_program(VIOLATIONS, project="probe", stack="dev-alice")
    assert "log-group-encrypted" not in {violation.policy for violation in evaluate(run)}


def test_a_violation_names_the_policy_the_resource_type_and_the_resource(crafted_run):
    [violation] = [v for v in evaluate(crafted_run) if v.policy == "kms-key-rotation"]
    assert str(violation) == (
        "policy kms-key-rotation on aws:kms/key:Key 'unrotated-key': the customer-managed KMS key does not "
        "rotate. Fix: set enable_key_rotation=True"
    )


@pytest.fixture(scope="module")
def prod_plan():
    """The plan of every layer's own `Pulumi.prod.yaml`: a stack that is not disposable."""
    return build_plan("prod")


@pytest.mark.slow
def test_real_stacks_that_are_not_disposable_pass_every_policy(prod_plan):
    assert prod_plan.runs.keys() == set(LAYERS), prod_plan.problems
    assert prod_plan.problems == []
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for name, run in prod_plan.runs.items():
        for violation in evaluate(run):
            found[violation.policy][name].add(violation.resource)
    assert {policy: dict(by_layer) for policy, by_layer in found.items()} == {}
