"""The data plane as the compute layer wires it (`Pipeline`): each handler runs with its own
function's environment, built by `compute_layer.stages` from the settings; the functions' boto3
clients are rebuilt, counted and, for Step Functions, answered in-process (`step_functions`)."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import sys
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
from compute_layer import stages
from compute_layer.settings import DEFAULT_TIMEOUT_SECONDS, ComputeSettings

from streaming_shared.catalogue import PRODUCT, STAGES
from streaming_shared.record_store import HASH_KEY, RANGE_KEY, STATUS_ATTRIBUTE, STATUS_INDEX, TTL_ATTRIBUTE

from .lambda_runtime import ACCOUNT_ID, LambdaContext, handlers, pipeline_core
from .step_functions import StateMachineEmulator


def default_mapping() -> tuple[int, int]:
    """The compute layer's default `batchSize` and `parallelizationFactor`: what the benchmarks measure."""
    defaults = ComputeSettings.model_fields
    return int(defaults["batch_size"].default), int(defaults["parallelization_factor"].default)


class RequestCounter:
    """Counts API calls (one per operation invoked, intercepted or not) and HTTP sends, per operation,
    and the DynamoDB items those calls write: to the table, and to STATUS_INDEX (the items that
    carry its key attribute)."""

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
        self.item_writes["index"] += sum(1 for item in written if STATUS_ATTRIBUTE in item)

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


def powertools_environment() -> dict[str, str]:
    """The functions' service and metrics namespace, as the compute layer sets them: Powertools reads
    them once, when a handler module is imported."""
    return {"POWERTOOLS_SERVICE_NAME": PRODUCT, "POWERTOOLS_METRICS_NAMESPACE": stages.METRICS_NAMESPACE}


def emulator_environment(endpoint: str, region: str, log_level: str | None = None) -> dict[str, str]:
    """The process's environment: every client to moto at `endpoint`, with test credentials, and
    Powertools' level when the handlers are imported (`log_level`, else POWERTOOLS_LOG_LEVEL or WARNING)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        **powertools_environment(),
        "POWERTOOLS_LOG_LEVEL": log_level or os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
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
    """A stream, a table (the data layer's schema, streaming_shared.record_store) and a bucket in moto,
    and the five functions wired to them with the environments the compute layer gives them under
    `config` (compute config keys; `max_payload_bytes` sets `maxPayloadBytes`)."""

    def __init__(
        self,
        *,
        region: str,
        environment: str = "test",
        max_payload_bytes: int | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
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
        table_arn = self.dynamodb.create_table(
            TableName=self.table_name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": HASH_KEY, "AttributeType": "S"},
                {"AttributeName": RANGE_KEY, "AttributeType": "N"},
                {"AttributeName": STATUS_ATTRIBUTE, "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": HASH_KEY, "KeyType": "HASH"},
                {"AttributeName": RANGE_KEY, "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": STATUS_INDEX,
                    "KeySchema": [
                        {"AttributeName": STATUS_ATTRIBUTE, "KeyType": "HASH"},
                        {"AttributeName": RANGE_KEY, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )["TableDescription"]["TableArn"]
        self.dynamodb.update_time_to_live(
            TableName=self.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
        self.s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": region})

        values = dict(config or {}) | ({} if max_payload_bytes is None else {"maxPayloadBytes": max_payload_bytes})
        self.settings = ComputeSettings.from_values(values, stack=environment, region=region)
        self.state_machine = StateMachineEmulator(region, environment, self.running_as)
        data = stages.DataResources(
            stream_arn=self.stream_arn,
            table_name=self.table_name,
            table_arn=table_arn,
            bucket_name=self.bucket,
            bucket_arn=f"arn:aws:s3:::{self.bucket}",
            stream_kms_key_arn=None,
            archive_kms_key_arn=None,
        )
        self.environments: dict[str, dict[str, str]] = {
            stage: {
                **stages.common_environment(stage, environment, self.settings.log_level),
                **stages.environment(stage, self.settings, data, self.state_machine.arn),
            }
            for stage in STAGES
        }
        """Each function's environment variables, as the compute layer sets them."""

        clients = pipeline_core("aws")
        clients.client.cache_clear()
        self.requests = RequestCounter()
        self.function_clients = {service: clients.client(service) for service in ("dynamodb", "s3", "stepfunctions")}
        for function_client in self.function_clients.values():
            self.requests.attach(function_client)
        self.state_machine.install(self.function_clients["stepfunctions"])
        self.ingest = handlers()["ingest"]

    @contextlib.contextmanager
    def running_as(self, stage: str) -> Iterator[None]:
        """The process's environment holds `stage`'s function variables, and no other function's, meanwhile."""
        names = {name for variables in self.environments.values() for name in variables}
        saved = {name: os.environ.get(name) for name in names}
        for name in names - set(self.environments[stage]):
            os.environ.pop(name, None)
        os.environ.update(self.environments[stage])
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

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
            context = LambdaContext("streaming-test-ingest", timeout_seconds=DEFAULT_TIMEOUT_SECONDS["ingest"])
        with self.running_as("ingest"):
            response: dict[str, Any] = self.ingest.handler(event, context)
        return response
