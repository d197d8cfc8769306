"""Every IAM role any layer creates carries the account's permissions boundary on a stack that is not
disposable, and none on `local`: the real chain, planned for both."""

from __future__ import annotations

import pytest

from streaming_shared.roles import PERMISSIONS_BOUNDARY_NAME
from streaming_tooling.deploy.plan import build_plan
from streaming_tooling.testing import ACCOUNT_ID, run_chain

ROLE = "aws:iam/role:Role"


@pytest.fixture(scope="module")
def prod_roles():
    runs = run_chain(stack="prod", region="eu-west-1")
    return {
        (name, role.name): role.inputs.get("permissionsBoundary")
        for name, run in runs.items()
        for role in run.of_type(ROLE)
    }


def test_every_role_of_every_layer_carries_the_boundary_on_a_stack_that_is_not_disposable(prod_roles):
    assert {layer for layer, _ in prod_roles} == {"network", "compute"}
    assert set(prod_roles.values()) == {f"arn:aws:iam::{ACCOUNT_ID}:policy/{PERMISSIONS_BOUNDARY_NAME}"}


def test_no_role_carries_a_boundary_on_local():
    roles = [role for run in build_plan("local").runs.values() for role in run.of_type(ROLE)]
    assert roles
    assert [role.name for role in roles if "permissionsBoundary" in role.inputs] == []


def test_every_role_ci_deploys_to_dev_carries_the_boundary_the_deploy_role_requires():
    """dev is disposable, but CI's deploy role (docs/iam/deploy-role-policy.json) may create roles only
    under the boundary, so the dev stack files turn it on."""
    roles = [role for run in build_plan("dev").runs.values() for role in run.of_type(ROLE)]
    assert roles
    assert {role.inputs.get("permissionsBoundary") for role in roles} == {
        f"arn:aws:iam::{ACCOUNT_ID}:policy/{PERMISSIONS_BOUNDARY_NAME}"
    }
