"""Upstream exports and a runner for the compute layer's harness tests.

The upstream exports are what the real network and data programs export for the stack and
region asked for (each combination runs once per session), so no test holds a name or ARN
those layers would not produce.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streaming_tooling.testing import TEST_REGION, TEST_STACK, ProgramRun, repo_root, run_layer, upstream_exports

COMPUTE_DIR = repo_root() / "stacks" / "compute"
CUSTOMER_MANAGED_KEYS = {"streamCustomerManagedKey": True, "archiveCustomerManagedKey": True}
"""Data-layer config under which it exports `stream_kms_key_arn` and `archive_kms_key_arn`."""


def real_upstream(
    region: str = TEST_REGION, *, stack: str = TEST_STACK, data_config: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    return upstream_exports("compute", stack=stack, region=region, config={"data": dict(data_config or {})})


def network_exports(region: str = TEST_REGION, *, stack: str = TEST_STACK) -> dict[str, Any]:
    return real_upstream(region, stack=stack)["network"]


def data_exports(
    region: str = TEST_REGION, *, stack: str = TEST_STACK, config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return real_upstream(region, stack=stack, data_config=config)["data"]


def run_compute(
    *,
    config: Mapping[str, Any] | None = None,
    upstream: Mapping[str, Mapping[str, Any]] | None = None,
    region: str = TEST_REGION,
    stack: str = TEST_STACK,
) -> ProgramRun:
    """Run the real compute program with the given config and upstream exports (default: what
    the real upstream layers export for `stack` in `region`)."""
    return run_layer(
        "compute",
        stack=stack,
        region=region,
        config=config,
        upstream=upstream if upstream is not None else real_upstream(region, stack=stack),
    )
