"""What only tests need: the offline runner with a default stack and region, the real upstream
exports as fixtures (`upstream_exports`), and throwaway git repositories (`git_repository`,
`git_fixtures`)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import partial
from typing import Any

from streaming_shared.catalogue import layer, repo_root

from ..aws_types import DeprecatedUse, deprecated_uses
from ..offline import program as offline
from ..offline.cloud import ACCOUNT_ID
from ..offline.program import ProgramFailed, ProgramRun, Resource

__all__ = [
    "ACCOUNT_ID",
    "TEST_REGION",
    "TEST_STACK",
    "DeprecatedUse",
    "ProgramFailed",
    "ProgramRun",
    "Resource",
    "deprecated_uses",
    "repo_root",
    "run_chain",
    "run_layer",
    "run_program",
    "upstream_exports",
]

TEST_REGION = "eu-central-1"
TEST_STACK = "dev"

run_program = partial(offline.run_program, stack=TEST_STACK, region=TEST_REGION)
run_layer = partial(offline.run_layer, stack=TEST_STACK, region=TEST_REGION)
run_chain = partial(offline.run_chain, stack=TEST_STACK, region=TEST_REGION)

_UPSTREAM_RUNS: dict[tuple[str, str, str, str], dict[str, dict[str, Any]]] = {}


def upstream_exports(
    consumer: str,
    *,
    stack: str = TEST_STACK,
    region: str = TEST_REGION,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """What the real upstream programs of `consumer` export, keyed by layer name: a fresh copy
    for the caller to change. Each combination of arguments runs the chain once per process."""
    target = layer(consumer)
    key = (target.name, stack, region, json.dumps(config or {}, sort_keys=True))
    if key not in _UPSTREAM_RUNS and target.upstream:
        runs = offline.run_chain(target.upstream, stack=stack, region=region, config=config)
        _UPSTREAM_RUNS[key] = {name: runs[name].exports for name in target.upstream}
    return copy.deepcopy(_UPSTREAM_RUNS.get(key, {}))
