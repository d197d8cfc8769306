"""Upstream exports for the observability tests, shaped as the data and compute layers export them.

The data and compute layers are built in parallel, so these tests supply their exports: realistic
names and ARNs in the test's region and account, as those layers' contracts promise them.
"""

from __future__ import annotations

import copy

import pytest

from streaming_tooling.testing import ACCOUNT_ID, run_layer

REGION = "eu-west-1"
"""Not the harness default, so a value that ignored the configured region would show."""
STACK = "dev"

FUNCTION_NAMES = {stage: f"streaming-dev-{stage}" for stage in ("ingest", "transform", "validate", "enrich", "archive")}
STREAM_NAME = "streaming-dev-events"
TABLE_NAME = "streaming-dev-pipeline-state"
QUEUE_NAME = "streaming-dev-ingest-failures"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:streaming-dev-stages"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{QUEUE_NAME}"


def upstream_exports() -> dict[str, dict[str, object]]:
    return {
        "data": {
            "region": REGION,
            "stream_name": STREAM_NAME,
            "stream_arn": f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{STREAM_NAME}",
            "table_name": TABLE_NAME,
            "table_arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{TABLE_NAME}",
            "archive_bucket_name": "streaming-dev-archive-123456789012",
            "archive_bucket_arn": "arn:aws:s3:::streaming-dev-archive-123456789012",
        },
        "compute": {
            "region": REGION,
            "function_names": dict(FUNCTION_NAMES),
            "function_arns": {
                stage: f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}" for stage, name in FUNCTION_NAMES.items()
            },
            "state_machine_arn": STATE_MACHINE_ARN,
            "event_source_mapping_id": "6c5f1f6e-2a4b-4b8e-9a57-3f0d1c2b3a4d",
            "dead_letter_queue_arn": QUEUE_ARN,
            "dead_letter_queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{QUEUE_NAME}",
        },
    }


@pytest.fixture
def upstream():
    """A fresh copy of the upstream exports, for a test to change."""
    return copy.deepcopy(upstream_exports())


@pytest.fixture
def run_observability():
    """Run the layer's real program: `run_observability(config=..., upstream=..., region=...)`."""

    def run(config=None, upstream=None, region=REGION, stack=STACK):
        return run_layer(
            "observability",
            stack=stack,
            region=region,
            config=config or {},
            upstream=upstream if upstream is not None else upstream_exports(),
        )

    return run


@pytest.fixture(scope="module")
def default_run():
    """The layer with default config and the upstream exports above, run once per module."""
    return run_layer("observability", stack=STACK, region=REGION, upstream=upstream_exports())


@pytest.fixture(scope="module")
def names():
    """The upstream names, for assertions."""
    return {
        "functions": dict(FUNCTION_NAMES),
        "stream": STREAM_NAME,
        "table": TABLE_NAME,
        "queue": QUEUE_NAME,
        "queue_arn": QUEUE_ARN,
        "state_machine_arn": STATE_MACHINE_ARN,
        "region": REGION,
        "account": ACCOUNT_ID,
    }
