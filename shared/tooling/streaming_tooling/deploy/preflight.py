"""Before compute's first `up`: does the account's Lambda concurrency fit what the stack will run?

A stack that does not fit deploys fine and then throttles forever, so the first deploy of compute
reads the account's quota (`lambda:GetAccountSettings`) and refuses with one sentence when the
offline plan of the stack needs more; without credentials or that permission it says so and lets
the deploy go on (docs/real-aws.md, the first-deploy checklist).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from streaming_shared.catalogue import COMPUTE, LOCAL_STACK, Layer

from ..offline.program import ProgramRun
from . import cross_layer
from .orchestrator import DeployError, Gateway
from .plan import build_plan, stack_config

UNRESERVED_MINIMUM = 100
"""Lambda keeps 100 of the account's concurrency unreserved: reservations may take only the rest."""


@dataclass(frozen=True)
class Need:
    """The concurrency a stack's functions need at once, and why."""

    unreserved: int
    """From the account's unreserved pool: the batches of stages without reserved concurrency."""
    reserved: int
    """The sum of the stack's reserved concurrency."""
    reason: str


def need_of(runs: dict[str, ProgramRun]) -> Need:
    """What the stack's planned functions and stream need: shards x parallelization factor batches, each
    holding an `ingest` and the step its execution runs, from the pool unless reserved."""
    compute = runs[COMPUTE.name]
    reserved = {
        function.name: value
        for function in compute.of_type(cross_layer.FUNCTION)
        if (value := cross_layer.reserved_concurrency(function)) is not None
    }
    batches, reason = 0, "an on-demand stream (its shard count is not fixed, so only reservations are checked)"
    for mapping, _ in cross_layer.mappings(runs):
        stream = cross_layer.stream_of(runs, mapping)
        if stream is not None and "shardCount" in stream.inputs:
            shards, factor = int(stream.inputs["shardCount"]), int(mapping.inputs.get("parallelizationFactor") or 1)
            batches += shards * factor
            reason = f"{shards} shard(s) x parallelization factor {factor} x 2 (ingest and the step its execution runs)"
    steps_unreserved = any(function.name not in reserved for function in compute.of_type(cross_layer.FUNCTION))
    holders = ("ingest" not in reserved) + steps_unreserved
    return Need(unreserved=batches * holders, reserved=sum(reserved.values()), reason=reason)


def refusal(stack: str, region: str, need: Need, account: dict[str, Any]) -> str | None:
    """The sentence that refuses the deploy, or None when the need fits the account's settings."""
    limit = account["AccountLimit"]
    total, unreserved = int(limit["ConcurrentExecutions"]), int(limit["UnreservedConcurrentExecutions"])
    quota = f"the account's Lambda concurrency in {region} is {total} ({unreserved} unreserved)"
    fix = (
        "ask AWS for more (Service Quotas, AWS Lambda, Concurrent executions) or lower "
        "streaming-compute:parallelizationFactor or reservedConcurrency in the stack file"
    )
    if need.reserved and need.reserved > unreserved - UNRESERVED_MINIMUM:
        return (
            f"Not deploying stack {stack!r}: {quota}, but its functions reserve {need.reserved} and Lambda keeps "
            f"{UNRESERVED_MINIMUM} unreserved; {fix}."
        )
    available = unreserved - need.reserved
    if need.unreserved > available:
        return (
            f"Not deploying stack {stack!r}: {quota}, but it needs {need.unreserved} at once from the unreserved "
            f"pool ({need.reason}) beside {need.reserved} reserved; {fix}."
        )
    return None


def account_settings(region: str) -> dict[str, Any]:
    """The account's Lambda settings in `region`, through the standard credential chain."""
    settings: dict[str, Any] = boto3.client("lambda", region_name=region).get_account_settings()
    return settings


def check_first_deploy(stack: str, layers: Sequence[Layer], gateway: Gateway, say: Callable[[str], None]) -> None:
    """DeployError when compute deploys to `stack` for the first time and does not fit the account."""
    if stack == LOCAL_STACK or COMPUTE not in layers or gateway.outputs(COMPUTE, stack):
        return
    region = str(stack_config(COMPUTE, stack).get("aws:region") or "")
    try:
        account = account_settings(region)
    except (BotoCoreError, ClientError) as error:
        say(
            f"Preflight: the account's Lambda concurrency in {region} could not be read ({error}); the first "
            "deploy of compute goes on without that check (the deploy role needs lambda:GetAccountSettings)."
        )
        return
    plan = build_plan(stack)
    if COMPUTE.name not in plan.runs:
        return  # the plan's problems stop the deploy at the preview, with the plan's own message
    problem = refusal(stack, region, need_of(plan.runs), account)
    if problem:
        raise DeployError(problem)
