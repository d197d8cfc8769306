"""Each guardrail passes on the real stacks and fails on a resource crafted to break it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

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
}


@pytest.fixture(scope="module")
def crafted():
    run = run_program(VIOLATIONS, project="probe")
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


def test_reserved_concurrency_cap_is_configurable(crafted):
    run = run_program(VIOLATIONS, project="probe")
    relaxed = evaluate(run, config={"lambda-reserved-concurrency-capped": {"maximum": 1000}})
    assert "lambda-reserved-concurrency-capped" not in {v.policy for v in relaxed}
