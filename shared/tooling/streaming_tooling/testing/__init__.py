"""Offline test support: run layer programs under Pulumi's mock engine (see `harness`)."""

from streaming_shared.catalogue import repo_root

from ..aws_types import DeprecatedUse, deprecated_uses
from .fake_cloud import ACCOUNT_ID
from .harness import (
    TEST_REGION,
    TEST_STACK,
    ProgramFailed,
    ProgramRun,
    Resource,
    run_chain,
    run_layer,
    run_program,
    upstream_exports,
)

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
