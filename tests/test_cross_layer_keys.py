"""Customer-managed keys in the data layer reach the compute layer's IAM through the optional exports."""

from __future__ import annotations

import json

import pytest

from streaming_shared.catalogue import DATA
from streaming_tooling.testing import run_chain

WITH_KEYS = {"data": {"streamCustomerManagedKey": True, "archiveCustomerManagedKey": True}}


def statements(run, policy_name_part):
    found = []
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        if policy_name_part in policy.name:
            found += json.loads(policy.inputs["policy"])["Statement"]
    return found


@pytest.fixture(scope="module")
def chain_with_keys():
    return run_chain(["compute"], region="eu-west-1", config=WITH_KEYS)


def test_the_data_layer_exports_exactly_its_declared_optional_keys(chain_with_keys):
    exported = set(chain_with_keys["data"].exports) - set(DATA.exports)
    assert set(DATA.optional_exports) <= exported


def test_ingest_may_decrypt_the_stream_with_its_customer_managed_key(chain_with_keys):
    key_arn = chain_with_keys["data"].exports["stream_kms_key_arn"]
    grants = [
        s for s in statements(chain_with_keys["compute"], "ingest") if s["Action"] in ("kms:Decrypt", ["kms:Decrypt"])
    ]
    assert [s["Resource"] for s in grants] in ([key_arn], [[key_arn]])


def test_archive_may_encrypt_objects_with_the_bucket_key(chain_with_keys):
    key_arn = chain_with_keys["data"].exports["archive_kms_key_arn"]
    grants = [
        s
        for s in statements(chain_with_keys["compute"], "archive")
        if "kms:GenerateDataKey" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert [s["Resource"] for s in grants] in ([key_arn], [[key_arn]])


def test_without_customer_managed_keys_no_kms_permission_is_granted():
    runs = run_chain(["compute"], region="eu-west-1")
    policies = [p.inputs["policy"] for p in runs["compute"].of_type("aws:iam/rolePolicy:RolePolicy")]
    assert not [p for p in policies if "kms:" in p]
