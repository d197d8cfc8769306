"""Upstream exports and a runnable compute program for the compute layer's harness tests.

The upstream exports are what the network and data layers export for stack `dev` in the test
region. The program is the real `stacks/compute/__main__.py`; until the data plane's code exists
under `stacks/compute/functions/`, it runs from a temporary folder that links the real program
and layer package next to a tiny functions tree with the contract's layout.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import COMPUTE, DEFAULT_ORG
from streaming_tooling.testing import ACCOUNT_ID, TEST_REGION, TEST_STACK, ProgramRun, repo_root, run_program
from streaming_tooling.testing.harness import stack_outputs_for

COMPUTE_DIR = repo_root() / "stacks" / "compute"
REAL_FUNCTIONS = COMPUTE_DIR / "functions"
STAGES_WITH_CODE = ("ingest", "transform", "validate", "enrich", "archive")
REQUIREMENTS = "aws-lambda-powertools==3.37.0\nfastjsonschema==2.22.3\n"


def network_exports(region: str = TEST_REGION) -> dict[str, Any]:
    return {
        "region": region,
        "vpc_id": "vpc-0a1b2c3d4e5f60718",
        "vpc_cidr": "10.20.0.0/16",
        "availability_zones": [f"{region}a", f"{region}b"],
        "private_subnet_ids": ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"],
        "private_route_table_ids": ["rtb-0123456789abcdef0"],
        "lambda_security_group_id": "sg-0fedcba9876543210",
        "endpoint_security_group_id": "sg-00112233445566778",
    }


def data_exports(region: str = TEST_REGION, *, stack: str = TEST_STACK, **extra: Any) -> dict[str, Any]:
    return {
        "region": region,
        "stream_name": f"streaming-{stack}-events",
        "stream_arn": f"arn:aws:kinesis:{region}:{ACCOUNT_ID}:stream/streaming-{stack}-events",
        "table_name": f"streaming-{stack}-state",
        "table_arn": f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/streaming-{stack}-state",
        "archive_bucket_name": f"streaming-{stack}-archive-{ACCOUNT_ID}",
        "archive_bucket_arn": f"arn:aws:s3:::streaming-{stack}-archive-{ACCOUNT_ID}",
        **extra,
    }


def kms_key_arn(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}"


STREAM_KEY = kms_key_arn(TEST_REGION, "0b6e2c1a-1111-4a2b-8c3d-000000000001")
ARCHIVE_KEY = kms_key_arn(TEST_REGION, "0b6e2c1a-2222-4a2b-8c3d-000000000002")


def write_functions_tree(root: Path) -> Path:
    """A minimal functions tree in the contract's layout, with a byte-code cache to be left out."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text(REQUIREMENTS)
    core = root / "pipeline_core"
    core.mkdir(exist_ok=True)
    (core / "__init__.py").write_text('"""Shared by every stage."""\n')
    (core / "records.py").write_text("def key(shard, sequence):\n    return f'{shard}#{sequence}'\n")
    (core / "__pycache__").mkdir(exist_ok=True)
    (core / "__pycache__" / "records.cpython-313.pyc").write_bytes(b"\0")
    for stage in STAGES_WITH_CODE:
        (root / stage).mkdir(exist_ok=True)
        (root / stage / "handler.py").write_text(f"def handler(event, context):\n    return {{'stage': '{stage}'}}\n")
    (root / "validate" / "event.schema.json").write_text('{"type": "object"}\n')
    return root


def compute_program(workspace: Path) -> Path:
    """The folder to run the compute program from: the real one once the data plane's code is
    there, otherwise `workspace/stacks/compute` with links to the real program and a fixture tree."""
    if (REAL_FUNCTIONS / "requirements.txt").is_file():
        return COMPUTE_DIR
    program = workspace / "stacks" / "compute"
    if not program.exists():
        program.mkdir(parents=True)
        (program / "__main__.py").symlink_to(COMPUTE_DIR / "__main__.py")
        (program / "compute_layer").symlink_to(COMPUTE_DIR / "compute_layer", target_is_directory=True)
        shutil.copy(COMPUTE_DIR / "Pulumi.yaml", program / "Pulumi.yaml")
        write_functions_tree(program / "functions")
    return program


def run_compute(
    program: Path,
    *,
    config: Mapping[str, Any] | None = None,
    upstream: Mapping[str, Mapping[str, Any]] | None = None,
    region: str = TEST_REGION,
    stack: str = TEST_STACK,
) -> ProgramRun:
    """Run the compute program with the given config and upstream exports (defaults: both layers
    exported in `region`)."""
    exports = upstream if upstream is not None else {"network": network_exports(region), "data": data_exports(region)}
    org = str((config or {}).get("org", DEFAULT_ORG))
    return run_program(
        program,
        project=COMPUTE.project,
        stack=stack,
        region=region,
        config=config,
        stack_outputs=stack_outputs_for(COMPUTE, exports, stack=stack, org=org),
    )
