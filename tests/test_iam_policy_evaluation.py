"""The evaluator the CI role tests judge docs/iam/ with decides as IAM documents it does."""

from __future__ import annotations

import pytest

from .iam_policy_evaluation import Request, allows, denies

TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/streaming-dev-state"
TAGGED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "dynamodb:Describe*",
            "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/streaming-dev-*",
            "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "dev"}},
        }
    ],
}


def test_an_allow_matches_action_globs_case_insensitively_and_resources_exactly():
    assert allows(TAGGED, Request("DynamoDB:describetable", TABLE, {"aws:ResourceTag/Environment": "dev"}))
    assert not allows(TAGGED, Request("dynamodb:DescribeTable", TABLE.upper(), {"aws:ResourceTag/Environment": "dev"}))
    assert not allows(TAGGED, Request("dynamodb:UpdateTable", TABLE, {"aws:ResourceTag/Environment": "dev"}))


def test_a_condition_on_a_missing_key_fails_unless_if_exists_or_negated():
    assert not allows(TAGGED, Request("dynamodb:DescribeTable", TABLE))
    assert not allows(TAGGED, Request("dynamodb:DescribeTable", TABLE, {"aws:ResourceTag/Environment": "prod"}))
    if_exists = {
        "Statement": [
            {**TAGGED["Statement"][0], "Condition": {"StringEqualsIfExists": {"aws:ResourceTag/Environment": "dev"}}}
        ]
    }
    assert allows(if_exists, Request("dynamodb:DescribeTable", TABLE))
    negated = {
        "Statement": [
            {**TAGGED["Statement"][0], "Condition": {"StringNotEquals": {"aws:ResourceTag/Environment": "prod"}}}
        ]
    }
    assert allows(negated, Request("dynamodb:DescribeTable", TABLE))


@pytest.mark.parametrize(
    ("null", "context", "holds"),
    [("true", {}, True), ("true", {"aws:ResourceTag/Environment": "x"}, False), ("false", {}, False)],
)
def test_null_checks_whether_the_request_has_the_key(null, context, holds):
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "kms:TagResource",
                "Resource": "*",
                "Condition": {"Null": {"aws:ResourceTag/Environment": null}},
            }
        ]
    }
    assert allows(document, Request("kms:TagResource", "arn:aws:kms:eu-west-1:123456789012:key/k", context)) is holds


def test_an_explicit_deny_wins_over_any_allow_and_not_resource_excludes():
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::state/*"},
        ]
    }
    assert allows(document, Request("s3:GetObject", "arn:aws:s3:::state/stack.json"))
    assert denies(document, Request("s3:GetObject", "arn:aws:s3:::streaming-dev-archive/archive/x.gz"))
    assert not allows(document, Request("s3:GetObject", "arn:aws:s3:::streaming-dev-archive/archive/x.gz"))


def test_an_operator_it_does_not_know_is_an_error():
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
            }
        ]
    }
    with pytest.raises(ValueError, match="DateGreaterThan"):
        allows(document, Request("s3:ListBucket", "arn:aws:s3:::b"))
