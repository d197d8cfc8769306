"""The same stack name in two regions of one account: no account-global name repeats.

IAM roles and policies, CloudWatch dashboards and S3 buckets are named once per account (S3:
once worldwide), not per region; a second region's deploy would fail on the first name they
share. The offline plan of all four layers runs for two regions with the same stack name.
"""

from __future__ import annotations

from collections import Counter

import pytest

from streaming_shared.catalogue import LAYERS
from streaming_tooling.deploy.plan import Plan, build_plan

ACCOUNT_GLOBAL_NAMES = {
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
}
REGIONS = ("eu-west-1", "us-east-1")


def plan_in(region: str) -> Plan:
    return build_plan("dev", config_overrides={name: {"aws:region": region} for name in LAYERS})


@pytest.fixture(scope="module")
def plans() -> list[Plan]:
    return [plan_in(region) for region in REGIONS]


def account_global_names(plan: Plan) -> list[tuple[str, str]]:
    names = []
    for run in plan.runs.values():
        for resource in run.cloud_resources:
            if resource.type in ACCOUNT_GLOBAL_NAMES:
                name = resource.inputs.get(ACCOUNT_GLOBAL_NAMES[resource.type])
                assert name, f"{resource.type} {resource.name!r} has no explicit physical name"
                names.append((resource.type, str(name)))
    return names


def test_both_regions_plan_every_layer(plans):
    for plan in plans:
        assert plan.problems == []
        assert list(plan.runs) == list(LAYERS)
        assert {run.region for run in plan.runs.values()} == {plan.runs["network"].region}


def test_no_account_global_name_repeats_across_the_two_regions(plans):
    names = [name for plan in plans for name in account_global_names(plan)]
    kinds = {kind for kind, _ in names}
    assert {"aws:iam/role:Role", "aws:cloudwatch/dashboard:Dashboard"} <= kinds
    roles = 5 + 1 + 1  # the functions, the state machine, the replay tool
    assert len([1 for kind, _ in names if kind == "aws:iam/role:Role"]) == 2 * roles
    repeated = [name for name, count in Counter(names).items() if count > 1]
    assert repeated == []
