"""Every IAM document the stacks produce passes parliament and the wildcard rules."""

from __future__ import annotations

import json

import pytest

from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.guardrails import iam


@pytest.fixture(scope="module")
def stack_documents():
    plan = build_plan("dev")
    assert plan.runs, plan.problems
    return [
        document
        for run in plan.runs.values()
        for resource in run.resources
        for document in iam.documents(resource.type, resource.name, resource.inputs)
    ]


SEED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["kinesis:GetRecords", "kinesis:ListStreams"],
            "Resource": "arn:aws:kinesis:eu-west-1:123456789012:stream/streaming-data-dev",
        },
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:PutLogEvents"], "Resource": "arn:aws:logs:*:*:*"},
    ],
}


def test_no_stack_iam_document_has_a_parliament_finding_above_low(stack_documents):
    findings = {f"{d.type} {d.name} {d.property}": [str(f) for f in iam.lint(d)] for d in stack_documents}
    assert {where: found for where, found in findings.items() if found} == {}


def test_no_stack_iam_document_grants_wildcards(stack_documents):
    problems = {f"{d.name} {d.property}": iam.wildcard_problems(d.document) for d in stack_documents}
    assert {where: found for where, found in problems.items() if found} == {}


def test_every_accepted_finding_has_a_reason():
    assert all(accepted.reason.strip() for accepted in iam.ACCEPTED_FINDINGS)


def test_the_stacks_produce_role_policies_and_trust_policies_to_check(stack_documents):
    properties = {(d.type, d.property) for d in stack_documents}
    assert ("aws:iam/rolePolicy:RolePolicy", "policy") in properties
    assert ("aws:iam/role:Role", "assumeRolePolicy") in properties
    assert ("aws:s3/bucketPolicy:BucketPolicy", "policy") in properties


def test_an_accepted_finding_is_accepted_only_where_it_applies():
    missing_resource = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    as_trust_policy = iam.Document("aws:iam/role:Role", "r", "assumeRolePolicy", True, missing_resource)
    as_permissions = iam.Document("aws:iam/rolePolicy:RolePolicy", "p", "policy", False, missing_resource)
    assert iam.lint(as_trust_policy) == []
    assert [finding.issue for finding in iam.lint(as_permissions)] == ["MALFORMED"]


def test_the_seed_policy_is_caught_by_parliament():
    document = iam.Document("aws:iam/rolePolicy:RolePolicy", "seed", "policy", False, SEED_POLICY)
    issues = {finding.issue for finding in iam.lint(document)}
    assert "RESOURCE_MISMATCH" in issues


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "action '*'"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}, "action 's3:*'"),
        (
            {"Effect": "Allow", "Action": "dynamodb:BatchWriteItem", "Resource": "*"},
            "Resource '*' for dynamodb:BatchWriteItem",
        ),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction"),
    ],
)
def test_wildcards_are_reported(statement, expected):
    problems = iam.wildcard_problems({"Version": "2012-10-17", "Statement": [statement]})
    assert any(expected in problem for problem in problems)


def test_star_resource_is_fine_for_actions_that_cannot_be_scoped():
    document = {
        "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogDelivery", "kinesis:ListStreams"], "Resource": "*"}]
    }
    assert iam.wildcard_problems(document) == []


def test_resource_level_support_comes_from_the_iam_definition():
    assert iam.supports_resource_level_permissions("kinesis:GetRecords")
    assert not iam.supports_resource_level_permissions("kinesis:ListStreams")
    assert iam.supports_resource_level_permissions("s3:Put*")


def test_documents_are_found_inside_role_inline_policies():
    props = {"inlinePolicies": [{"name": "x", "policy": json.dumps(SEED_POLICY)}], "assumeRolePolicy": "{}"}
    found = iam.documents("aws:iam/role:Role", "r", props)
    assert [(d.property, d.resource_policy) for d in found] == [
        ("assumeRolePolicy", True),
        ("inlinePolicies[].policy", False),
    ]
