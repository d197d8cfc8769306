"""Run the data plane in-process against an AWS API emulator (moto server): what the tests and `nox -s bench` share.

Lambda and Step Functions cannot run the stage code in moto. So StartSyncExecution, and only that
call, is answered in-process on the client ingest uses, where botocore would send it
(`before-send.sfn.StartSyncExecution`: the request is built and signed, and the HTTP answer parsed,
as against AWS; only the network is left out), like the real API: the four stage handlers run in the order
`steps_in_order(definition(...))` gives, each step's output JSON-encoded and decoded again as Step
Functions passes it on, an output over 256 KiB failing the execution with States.DataLimitExceeded,
input that is not JSON (NaN, Infinity) refused with InvalidExecutionInput, a result that is not
JSON failing the execution, and an exception in a stage failing it with the exception's name as
the error, as the Lambda integration does. Every other call (DynamoDB, S3, Kinesis) reaches the emulator for real.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import logging
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

COMPUTE = Path(__file__).resolve().parents[1]
FUNCTIONS = COMPUTE / "functions"
STATE_MACHINE_FILE = COMPUTE / "compute_layer" / "state_machine.py"
STAGES = ("ingest", "transform", "validate", "enrich", "archive")
ACCOUNT_ID = "123456789012"
DATA_LIMIT_BYTES = 256 * 1024


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str) -> Any:
    """`text` decoded as Step Functions reads JSON: NaN and Infinity are not JSON."""
    return json.loads(text, parse_constant=reject_constant)


def load_module(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def functions_on_path() -> None:
    """Each function's package holds `pipeline_core` at its root; here the functions folder is that root."""
    if str(FUNCTIONS) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS))


def handlers() -> dict[str, ModuleType]:
    """Every stage's `handler.py`, as a module named `<stage>_handler` (they are all `handler` in Lambda)."""
    functions_on_path()
    return {stage: load_module(f"{stage}_handler", FUNCTIONS / stage / "handler.py") for stage in STAGES}


def state_machine() -> ModuleType:
    """`compute_layer/state_machine.py` by path: the package's __init__ may import Pulumi."""
    return load_module("compute_state_machine", STATE_MACHINE_FILE)


def compute_settings() -> ModuleType:
    """`compute_layer/settings.py`: the compute layer's defaults and rules, which these runs follow."""
    if str(COMPUTE) not in sys.path:
        sys.path.insert(0, str(COMPUTE))
    import compute_layer.settings  # noqa: PLC0415 (needs the compute folder on sys.path)

    return compute_layer.settings


def default_timeout_seconds(stage: str) -> int:
    return int(compute_settings().DEFAULT_TIMEOUT_SECONDS[stage])


def default_mapping() -> tuple[int, int]:
    """The compute layer's default `batchSize` and `parallelizationFactor`: what the benchmarks measure."""
    defaults = compute_settings().ComputeSettings.model_fields
    return int(defaults["batch_size"].default), int(defaults["parallelization_factor"].default)


def aws_clients() -> ModuleType:
    functions_on_path()
    import pipeline_core.aws  # noqa: PLC0415 (needs the functions folder on sys.path first)

    return pipeline_core.aws


def state_table() -> ModuleType:
    functions_on_path()
    import pipeline_core.table  # noqa: PLC0415 (needs the functions folder on sys.path first)

    return pipeline_core.table


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as `context` (the attributes Powertools reads); its remaining
    time runs down from `timeout_seconds` on `clock` (seconds) from when it is made."""

    function_name: str
    timeout_seconds: float = 300
    clock: Callable[[], float] = time.monotonic
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock()) * 1000))


def function_arn(region: str, environment: str, stage: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:streaming-{environment}-{stage}"


@dataclass
class Execution:
    input_bytes: int
    sequence_numbers: list[str]
    status: str
    step_output_bytes: dict[str, int]
    error: str | None = None


class StateMachineEmulator:
    """Answers StartSyncExecution by running the stage handlers in the definition's order."""

    def __init__(self, region: str, environment: str) -> None:
        machine = state_machine()
        self.arns = {step: function_arn(region, environment, step) for step in machine.STEPS}
        self.order = machine.steps_in_order(machine.definition(self.arns))
        self.stage_of = {arn: step for step, arn in self.arns.items()}
        self.handlers = handlers()
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

    def _intercept(self, request: Any, **_: Any) -> AWSResponse:
        clock = time.thread_time()
        try:
            return self._answer(json.loads(request.body))
        finally:
            self.cpu["run"] += time.thread_time() - clock

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
                clock = time.thread_time()
                payload = json.loads(state)
                self.cpu["json"] += time.thread_time() - clock
                if self.before_step is not None:
                    self.before_step(stage, payload)
                context = LambdaContext(function_name=arn.rsplit(":", 1)[1])
                clock = time.thread_time()
                try:
                    output = self.handlers[stage].handler(payload, context)
                finally:
                    self.cpu[stage] += time.thread_time() - clock
            except Exception as failure:  # the Lambda integration reports any unhandled error this way
                error = type(failure).__name__
                cause = json.dumps({"errorMessage": str(failure), "errorType": error})
                break
            clock = time.thread_time()
            try:
                state = json.dumps(output, allow_nan=False)
            except ValueError as failure:  # a result that is not JSON: Step Functions fails the task
                error, cause = "States.Runtime", f"The task '{step}' returned a result that is not JSON: {failure}"
                break
            finally:
                self.cpu["json"] += time.thread_time() - clock
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


class RequestCounter:
    """Counts API calls (one per operation invoked, intercepted or not) and HTTP sends, per operation,
    and the DynamoDB items those calls write: to the table, and to `StatusIndex` (the items that
    carry its key attribute `Status`)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.sends: Counter[str] = Counter()
        self.item_writes: Counter[str] = Counter()

    def attach(self, client: Any) -> None:
        # On the service's own event, first: the functions' DynamoDB client sets its parameters aside
        # (pipeline_core.aws) on that event, last, and more specific events are emitted first.
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(
            f"before-parameter-build.{service}", self._call, unique_id="dataplane-count-call"
        )
        client.meta.events.register("before-send", self._send, unique_id="dataplane-count-send")

    def _call(self, event_name: str, params: dict[str, Any] | None = None, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.calls[operation] += 1
        written: list[dict[str, Any]] = []
        if operation == "BatchWriteItem" and params:
            written = [
                r["PutRequest"]["Item"] for rs in params["RequestItems"].values() for r in rs if "PutRequest" in r
            ]
        elif operation == "PutItem" and params:
            written = [params["Item"]]
        self.item_writes["table"] += len(written)
        self.item_writes["index"] += sum(1 for item in written if "Status" in item)

    def _send(self, event_name: str, **_: Any) -> None:
        self.sends[event_name.rsplit(".", 1)[-1]] += 1

    def reset(self) -> None:
        self.calls.clear()
        self.sends.clear()
        self.item_writes.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@contextlib.contextmanager
def stdout_discarded() -> Iterator[None]:
    """Powertools writes logs and EMF metrics to file descriptor 1: send it to /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def start_moto() -> tuple[Any, str]:
    """A moto server on 127.0.0.1 and a free port; (server, endpoint URL)."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 (a test dependency, not a tool one)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def emulator_environment(endpoint: str, region: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "POWERTOOLS_SERVICE_NAME": "streaming-pipeline",
        "POWERTOOLS_METRICS_NAMESPACE": "StreamingPipeline",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


def kinesis_event(records: list[dict[str, Any]], *, stream_arn: str, shard_id: str, region: str) -> dict[str, Any]:
    """The event Lambda's event source mapping builds from GetRecords output (see the Lambda developer guide)."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode("ascii"),
                    "approximateArrivalTimestamp": round(record["ApproximateArrivalTimestamp"].timestamp(), 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard_id}:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT_ID}:role/streaming-ingest",
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            for record in records
        ]
    }


def read_shard(
    kinesis: Any, stream_name: str, shard_id: str, *, at_sequence_number: str | None = None, limit: int = 10_000
) -> list[dict[str, Any]]:
    """Records of a shard from TRIM_HORIZON or from `at_sequence_number`, at most `limit`."""
    position = (
        {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": at_sequence_number}
        if at_sequence_number
        else {"ShardIteratorType": "TRIM_HORIZON"}
    )
    iterator = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **position)["ShardIterator"]
    records: list[dict[str, Any]] = []
    while iterator and len(records) < limit:
        response = kinesis.get_records(ShardIterator=iterator, Limit=min(10_000, limit - len(records)))
        records += response["Records"]
        if not response["Records"]:
            break
        iterator = response.get("NextShardIterator")
    return records


def batches(records: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


class Pipeline:
    """A stream, a table and a bucket in the emulator, and the five functions wired to them.

    The environment variables are the ones the compute layer sets; the functions' own boto3
    clients (pipeline_core.aws) are rebuilt, counted and, for Step Functions, intercepted.
    """

    def __init__(self, *, region: str, environment: str = "test", max_payload_bytes: int | None = None) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.region = region
        self.stream_name = f"stream-{suffix}"
        self.table_name = f"table-{suffix}"
        self.bucket = f"bucket-{suffix}"
        self.kinesis = boto3.client("kinesis", region_name=region)
        self.dynamodb = boto3.client("dynamodb", region_name=region)
        self.s3 = boto3.client("s3", region_name=region)
        self.kinesis.create_stream(StreamName=self.stream_name, ShardCount=1)
        summary = self.kinesis.describe_stream_summary(StreamName=self.stream_name)["StreamDescriptionSummary"]
        self.stream_arn = summary["StreamARN"]
        self.shard_id = self.kinesis.list_shards(StreamName=self.stream_name)["Shards"][0]["ShardId"]
        self.dynamodb.create_table(
            TableName=self.table_name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "PipelineId", "AttributeType": "S"},
                {"AttributeName": "Timestamp", "AttributeType": "N"},
                {"AttributeName": "Status", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "PipelineId", "KeyType": "HASH"},
                {"AttributeName": "Timestamp", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "StatusIndex",
                    "KeySchema": [
                        {"AttributeName": "Status", "KeyType": "HASH"},
                        {"AttributeName": "Timestamp", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        self.dynamodb.update_time_to_live(
            TableName=self.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "ExpirationTime"},
        )
        self.s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": region})
        self.state_machine = StateMachineEmulator(region, environment)
        os.environ.update(
            {
                "ENVIRONMENT": environment,
                "TABLE_NAME": self.table_name,
                "BUCKET_NAME": self.bucket,
                "STATE_MACHINE_ARN": self.state_machine.arn,
                "RECORD_TTL_DAYS": "30",
            }
        )
        if max_payload_bytes is None:
            os.environ.pop("MAX_PAYLOAD_BYTES", None)
        else:
            os.environ["MAX_PAYLOAD_BYTES"] = str(max_payload_bytes)
        clients = aws_clients()
        clients.client.cache_clear()
        self.requests = RequestCounter()
        self.function_clients = {service: clients.client(service) for service in ("dynamodb", "s3", "stepfunctions")}
        for function_client in self.function_clients.values():
            self.requests.attach(function_client)
        self.state_machine.install(self.function_clients["stepfunctions"])
        self.ingest = handlers()["ingest"]

    def put(self, payloads: list[bytes], partition_keys: list[str] | None = None) -> None:
        """PutRecords in calls of at most 500 (the Kinesis limit), in order."""
        keys = partition_keys or ["key"] * len(payloads)
        for start in range(0, len(payloads), 500):
            entries = [
                {"Data": data, "PartitionKey": key}
                for data, key in zip(payloads[start : start + 500], keys[start : start + 500], strict=True)
            ]
            response = self.kinesis.put_records(StreamName=self.stream_name, Records=entries)
            assert response.get("FailedRecordCount", 0) == 0, response

    def read(self, *, at_sequence_number: str | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        return read_shard(
            self.kinesis, self.stream_name, self.shard_id, at_sequence_number=at_sequence_number, limit=limit
        )

    def event(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return kinesis_event(records, stream_arn=self.stream_arn, shard_id=self.shard_id, region=self.region)

    def invoke(self, event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
        """Run ingest's handler as Lambda would (by default with the compute layer's default timeout);
        its partial batch response."""
        if context is None:
            context = LambdaContext("streaming-test-ingest", timeout_seconds=default_timeout_seconds("ingest"))
        return self.ingest.handler(event, context)
