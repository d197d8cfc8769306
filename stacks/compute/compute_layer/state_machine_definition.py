"""The Express state machine that runs the four later stages, as an Amazon States Language document.

Pure Python (no Pulumi import), so the data-plane emulator can run the stage handlers in exactly
the order this definition lists them: the definition and the tests cannot drift apart.
Each step invokes its function through the optimized Lambda integration, passes the previous
step's result on as the next step's input (`OutputPath: $.Payload`), and retries the errors
Lambda itself raises when throttled or briefly unavailable. An error raised by a stage's own
code is not retried here: the execution fails and `ingest` hands the records back to Kinesis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from streaming_shared.catalogue import STAGES

STEPS: tuple[str, ...] = STAGES[1:]
"""The stages after the first, ingest, which starts the state machine: its steps, in order."""

RETRYABLE_LAMBDA_ERRORS: tuple[str, ...] = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


@dataclass(frozen=True)
class RetryPolicy:
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0


def definition(function_arns: Mapping[str, str], retry: RetryPolicy = RetryPolicy()) -> dict[str, Any]:
    """The ASL document: `function_arns` maps each of STEPS to the function it invokes."""
    missing = [step for step in STEPS if step not in function_arns]
    if missing:
        raise ValueError(f"no function ARN for step(s) {', '.join(missing)}")
    states: dict[str, Any] = {}
    for index, step in enumerate(STEPS):
        state: dict[str, Any] = {
            "Type": "Task",
            "Comment": f"Run the {step} stage on the batch",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function_arns[step], "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "Retry": [
                {
                    "ErrorEquals": list(RETRYABLE_LAMBDA_ERRORS),
                    "IntervalSeconds": retry.interval_seconds,
                    "MaxAttempts": retry.max_attempts,
                    "BackoffRate": retry.backoff_rate,
                    "JitterStrategy": "FULL",
                }
            ],
        }
        if index + 1 < len(STEPS):
            state["Next"] = STEPS[index + 1]
        else:
            state["End"] = True
        states[step] = state
    return {
        "Comment": "Streaming pipeline: transform, validate, enrich and archive one batch of records",
        "StartAt": STEPS[0],
        "States": states,
    }


def steps_in_order(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(state name, function ARN) pairs, following StartAt and Next as Step Functions would."""
    order = []
    name: str | None = document["StartAt"]
    seen: set[str] = set()
    while name is not None:
        if name in seen:
            raise ValueError(f"the state machine loops back to {name!r}")
        seen.add(name)
        state = document["States"][name]
        order.append((name, state["Parameters"]["FunctionName"]))
        name = None if state.get("End") else state["Next"]
    return order
