"""StartSyncExecution of the pipeline's Express state machine, answered in-process on the client
ingest uses, where botocore would send it (`before-send.sfn.StartSyncExecution`): the request is
built and signed, and the HTTP answer parsed, as against AWS; only the network is left out.

Like the service: the four stage handlers run in the order `steps_in_order(definition(...))` gives,
each step's output JSON-encoded and decoded again as Step Functions passes it on, an output over
256 KiB failing the execution with States.DataLimitExceeded, input that is not JSON (NaN, Infinity)
refused with InvalidExecutionInput, a result that is not JSON failing the execution, and an
exception in a stage failing it with the exception's name as the error, as the Lambda integration does.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from compute_layer.state_machine_definition import STEPS, definition, steps_in_order

from .lambda_runtime import ACCOUNT_ID, LambdaContext, function_arn, handlers

DATA_LIMIT_BYTES = 256 * 1024


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str) -> Any:
    """`text` decoded as Step Functions reads JSON: NaN and Infinity are not JSON."""
    return json.loads(text, parse_constant=reject_constant)


@dataclass
class Execution:
    input_bytes: int
    sequence_numbers: list[str]
    status: str
    step_output_bytes: dict[str, int]
    error: str | None = None


class StateMachineEmulator:
    """Answers StartSyncExecution by running the stage handlers in the definition's order, each
    inside `running_as(stage)` (the environment of that stage's function)."""

    def __init__(
        self,
        region: str,
        environment: str,
        running_as: Callable[[str], AbstractContextManager[None]] = lambda stage: contextlib.nullcontext(),
    ) -> None:
        self.arns = {step: function_arn(region, environment, step) for step in STEPS}
        self.order = steps_in_order(definition(self.arns))
        self.stage_of = {arn: step for step, arn in self.arns.items()}
        self.handlers = handlers()
        self.running_as = running_as
        self.region = region
        self.arn = f"arn:aws:states:{region}:{ACCOUNT_ID}:stateMachine:streaming-{environment}-pipeline"
        self.executions: list[Execution] = []
        self.before_step: Callable[[str, dict[str, Any]], None] | None = None
        """A test hook, called with the step name and its input; raising fails the step."""
        self.cpu: Counter[str] = Counter()
        """CPU seconds of this thread (time.thread_time) spent in each stage's handler, in the JSON
        decoding and encoding between the steps (`json`), and in the whole emulated call (`run`:
        everything between StartSyncExecution leaving the client and its answer, which the
        real service does, not the caller)."""

    def install(self, sfn_client: Any) -> None:
        sfn_client.meta.events.register(
            "before-send.sfn.StartSyncExecution", self._intercept, unique_id="dataplane-state-machine"
        )

    @contextlib.contextmanager
    def timed(self, bucket: str) -> Iterator[None]:
        """Adds the CPU time the block takes to `cpu[bucket]`."""
        clock = time.thread_time()
        try:
            yield
        finally:
            self.cpu[bucket] += time.thread_time() - clock

    def _intercept(self, request: Any, **_: Any) -> AWSResponse:
        with self.timed("run"):
            return self._answer(json.loads(request.body))

    def _answer(self, request: dict[str, Any]) -> AWSResponse:
        try:
            strict_json(request["input"])
        except ValueError as error:  # Step Functions refuses input that is not JSON (NaN, Infinity...)
            return http_answer(400, {"__type": "InvalidExecutionInput", "message": f"Invalid execution input: {error}"})
        return http_answer(200, self.run(request["stateMachineArn"], request["input"]))

    def run(self, state_machine_arn: str, text: str) -> dict[str, Any]:
        started = datetime.now(UTC)
        name = str(uuid.uuid4())
        execution = Execution(
            input_bytes=len(text.encode()),
            sequence_numbers=[record["sequence_number"] for record in json.loads(text)["records"]],
            status="RUNNING",
            step_output_bytes={},
        )
        self.executions.append(execution)
        state = text
        error = cause = None
        for step, arn in self.order:
            stage = self.stage_of[arn]
            try:
                with self.timed("json"):
                    payload = json.loads(state)
                if self.before_step is not None:
                    self.before_step(stage, payload)
                context = LambdaContext(function_name=arn.rsplit(":", 1)[1])
                with self.running_as(stage), self.timed(stage):
                    output = self.handlers[stage].handler(payload, context)
            except Exception as failure:  # the Lambda integration reports any unhandled error this way
                error = type(failure).__name__
                cause = json.dumps({"errorMessage": str(failure), "errorType": error})
                break
            try:
                with self.timed("json"):
                    state = json.dumps(output, allow_nan=False)
            except ValueError as failure:  # a result that is not JSON: Step Functions fails the task
                error, cause = "States.Runtime", f"The task '{step}' returned a result that is not JSON: {failure}"
                break
            execution.step_output_bytes[step] = len(state.encode())
            if len(state.encode()) > DATA_LIMIT_BYTES:
                error = "States.DataLimitExceeded"
                cause = (
                    f"The state/task '{step}' returned a result with a size exceeding "
                    "the maximum number of bytes service limit."
                )
                break
        execution.status = "FAILED" if error else "SUCCEEDED"
        execution.error = error
        response: dict[str, Any] = {
            "executionArn": f"{state_machine_arn.replace(':stateMachine:', ':express:')}:{name}:{name}",
            "stateMachineArn": state_machine_arn,
            "name": name,
            "startDate": started.timestamp(),
            "stopDate": datetime.now(UTC).timestamp(),
            "status": execution.status,
            "input": text,
            "inputDetails": {"included": True},
            "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100},
        }
        if error:
            response |= {"error": error, "cause": cause}
        else:
            response |= {"output": state, "outputDetails": {"included": True}}
        return response


class AnswerBody(io.BytesIO):
    """An HTTP answer's body, read the way botocore reads urllib3's (`stream()`)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def http_answer(status: int, document: dict[str, Any]) -> AWSResponse:
    """`document` as the JSON protocol's answer with `status`, for botocore to parse."""
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    return AWSResponse("https://sync-states.invalid/", status, headers, AnswerBody(json.dumps(document).encode()))
