"""Upstream exports for the observability tests, from the real data and compute programs.

The chain runs once per session in a region that is not the harness default, so a value that
ignored the configured region would show.
"""

from __future__ import annotations

import pytest

from streaming_tooling.testing import ACCOUNT_ID, run_layer, upstream_exports

REGION = "eu-west-1"
STACK = "dev"


def real_upstream() -> dict[str, dict[str, object]]:
    return upstream_exports("observability", stack=STACK, region=REGION)


@pytest.fixture
def upstream():
    """A fresh copy of the upstream exports, for a test to change."""
    return real_upstream()


@pytest.fixture
def run_observability():
    """Run the layer's real program: `run_observability(config=..., upstream=..., region=...)`."""

    def run(config=None, upstream=None, region=REGION, stack=STACK, secret_keys=()):
        return run_layer(
            "observability",
            stack=stack,
            region=region,
            config=config or {},
            upstream=upstream if upstream is not None else real_upstream(),
            secret_keys=secret_keys,
        )

    return run


@pytest.fixture(scope="module")
def default_run():
    """The layer with default config and the real upstream exports, run once per module."""
    return run_layer("observability", stack=STACK, region=REGION, upstream=real_upstream())


@pytest.fixture(scope="module")
def names():
    """The upstream names the alarms and the dashboard must watch, as the upstream layers export them."""
    exports = real_upstream()
    data, compute = exports["data"], exports["compute"]
    return {
        "functions": dict(compute["function_names"]),
        "stream": data["stream_name"],
        "table": data["table_name"],
        "queue": str(compute["dead_letter_queue_url"]).rsplit("/", 1)[-1],
        "queue_arn": compute["dead_letter_queue_arn"],
        "state_machine_arn": compute["state_machine_arn"],
        "region": REGION,
        "account": ACCOUNT_ID,
    }
