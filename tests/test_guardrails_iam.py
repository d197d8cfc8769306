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


LOOSE_POLICY = {
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


def test_a_loose_policy_is_caught_by_parliament():
    document = iam.Document("aws:iam/rolePolicy:RolePolicy", "loose", "policy", False, LOOSE_POLICY)
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
    props = {"inlinePolicies": [{"name": "x", "policy": json.dumps(LOOSE_POLICY)}], "assumeRolePolicy": "{}"}
    found = iam.documents("aws:iam/role:Role", "r", props)
    assert [(d.property, d.resource_policy) for d in found] == [
        ("assumeRolePolicy", True),
        ("inlinePolicies[].policy", False),
    ]


def statement_document(**statement):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", **statement}]}


@pytest.mark.parametrize(
    ("principal", "condition", "open_to_anyone"),
    [
        ("*", None, True),
        ({"AWS": "*"}, None, True),
        ({"AWS": ["arn:aws:iam::123456789012:root", "*"]}, None, True),
        ("*", {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}, False),
        ("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, False),
        ("*", {"StringEquals": {"kms:CallerAccount": "123456789012"}}, False),
        ("*", {"StringEqualsIfExists": {"aws:PrincipalAccount": "123456789012"}}, True),
        ("*", {"StringNotEquals": {"aws:PrincipalAccount": "999999999999"}}, True),
        ("*", {"StringLike": {"aws:PrincipalAccount": "*"}}, True),
        ("*", {"StringEquals": {"aws:ResourceAccount": "123456789012"}}, True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, None, False),
    ],
)
def test_a_statement_open_to_any_principal_needs_a_limiting_condition(principal, condition, open_to_anyone):
    extra = {"Condition": condition} if condition else {}
    document = statement_document(Principal=principal, Resource="arn:aws:s3:::b/*", **extra)
    assert bool(iam.open_principal_problems(document)) is open_to_anyone


def test_not_principal_in_an_allow_is_open_to_every_other_principal():
    document = statement_document(NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"}, Resource="arn:aws:s3:::b/*")
    assert "NotPrincipal" in iam.open_principal_problems(document)[0]


@pytest.mark.parametrize(
    ("property_name", "condition", "deputy"),
    [
        ("policy", None, True),
        ("policy", {"StringEquals": {"aws:SourceAccount": "123456789012"}}, False),
        ("policy", {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x-*"}}, False),
        ("policy", {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}, True),
        (
            "policy",
            {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:x"}},
            False,
        ),
        ("policy", {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": "*"}}, True),
        ("assumeRolePolicy", None, False),
    ],
)
def test_a_service_principal_in_a_resource_policy_needs_a_source_condition(property_name, condition, deputy):
    extra = {"Condition": condition} if condition else {}
    document = statement_document(Principal={"Service": "cloudwatch.amazonaws.com"}, Resource="*", **extra)
    topic_policy = iam.Document("aws:sns/topicPolicy:TopicPolicy", "t", property_name, True, document)
    assert bool(iam.confused_deputy_problems(topic_policy)) is deputy


@pytest.mark.parametrize(
    ("arn", "broad"),
    [
        ("arn:aws:iam::aws:policy/AdministratorAccess", True),
        ("arn:aws:iam::aws:policy/PowerUserAccess", True),
        ("arn:aws:iam::aws:policy/AmazonS3FullAccess", True),
        ("arn:aws:iam::aws:policy/AWSLambda_FullAccess", True),
        ("arn:aws:iam::aws:policy/IAMFullAccess", True),
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", True),
        ("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", True),
        ("arn:aws-us-gov:iam::aws:policy/AdministratorAccess", True),
        ("arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess", False),
        ("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole", False),
        ("arn:aws:iam::123456789012:policy/AdministratorAccess", False),
    ],
)
def test_broad_aws_managed_policies_are_named(arn, broad):
    assert bool(iam.broad_managed_policy(arn)) is broad


def test_managed_policies_are_read_from_attachments_and_the_role_itself():
    assert iam.managed_policy_arns("aws:iam/role:Role", {"managedPolicyArns": ["arn:a", "arn:b"]}) == ["arn:a", "arn:b"]
    attachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    assert iam.managed_policy_arns(attachment, {"policyArn": "arn:a"}) == ["arn:a"]
    assert iam.managed_policy_arns("aws:s3/bucket:Bucket", {"policyArn": "arn:a"}) == []


def test_an_endpoint_policy_is_read_as_a_document_and_its_resources_must_be_named():
    open_policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
    [document] = iam.documents("aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy", "e", {"policy": json.dumps(open_policy)})
    assert iam.wildcard_problems(document.document) == []  # a resource policy: Resource is the resource itself
    assert "Resource '*' for s3:GetObject" in iam.wildcard_problems(document.document, principal_statements=True)[0]
