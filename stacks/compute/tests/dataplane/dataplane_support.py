"""Helpers of the data-plane tests: events to put, what landed in S3 and DynamoDB, faults to inject."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from dataplane_emulator.lambda_runtime import functions_on_path

REGION = "eu-west-1"
functions_on_path()

from pipeline_core import storage  # noqa: E402


def event(number: int, **overrides: Any) -> dict[str, Any]:
    """A valid event as a producer might send it (aliases and epoch seconds on purpose)."""
    value = {
        "eventId": f"evt-{number}",
        "source": "orders-service",
        "eventType": "order.created",
        "ts": 1_700_000_000 + number,
        "data": {"order": number, "amount": number * 1.5},
    }
    value.update(overrides)
    return value


def encoded(*events: dict[str, Any]) -> list[bytes]:
    return [json.dumps(value).encode() for value in events]


KINESIS_MAX_RECORD_BYTES = 1024 * 1024
"""Data plus partition key (`key`: 3 bytes in these tests)."""


def event_of_size(number: int, size: int) -> bytes:
    """A valid event whose JSON is exactly `size` bytes."""
    base = json.dumps(event(number, data={"blob": ""})).encode()
    return json.dumps(event(number, data={"blob": "z" * (size - len(base))})).encode()


def objects(pipeline: Any, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every object under `prefix` (archive or quarantine) with its decoded lines."""
    result: dict[str, list[dict[str, Any]]] = {}
    for page in pipeline.s3.get_paginator("list_objects_v2").paginate(Bucket=pipeline.bucket, Prefix=f"{prefix}/"):
        for entry in page.get("Contents", []):
            body = pipeline.s3.get_object(Bucket=pipeline.bucket, Key=entry["Key"])["Body"].read()
            result[entry["Key"]] = storage.read_json_lines_gz(body)
    return result


def lines(pipeline: Any, prefix: str) -> list[dict[str, Any]]:
    return [line for object_lines in objects(pipeline, prefix).values() for line in object_lines]


sequence_of = storage.sequence_number_of
"""The sequence number an archive or quarantine line belongs to."""


def items(pipeline: Any) -> dict[str, dict[str, str]]:
    """Table items by sequence number, attribute values flattened to strings."""
    result: dict[str, dict[str, str]] = {}
    for page in pipeline.dynamodb.get_paginator("scan").paginate(TableName=pipeline.table_name):
        for item in page["Items"]:
            flat = {name: next(iter(value.values())) for name, value in item.items()}
            result[flat["SequenceNumber"]] = flat
    return result


def failures(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def run_until_done(pipeline: Any, records: list[dict[str, Any]], batch_size: int, max_invocations: int = 50) -> int:
    """Deliver `records` as Lambda's event source mapping does: batches in order, and after a partial
    failure the next batch starts again at the lowest failed sequence number. Returns invocations."""
    position = 0
    invocations = 0
    sequence_numbers = [record["SequenceNumber"] for record in records]
    while position < len(records):
        invocations += 1
        assert invocations <= max_invocations, "the pipeline never completed"
        batch = records[position : position + batch_size]
        failed = failures(pipeline.invoke(pipeline.event(batch)))
        if failed:
            position = min(sequence_numbers.index(number) for number in failed)
        else:
            position += len(batch)
    return invocations


def error_response(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    return (
        AWSResponse("https://fault.invalid/", status, {}, None),
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
    )


class Fault:
    """Answers chosen calls of a function's client with an error, before botocore sends anything.

    Registered on `before-call`, so botocore's own retries do not see it: it stands for a failure
    that outlasted them. `when(call_number, params)` decides per call (1-based, per operation).
    """

    def __init__(
        self,
        client: Any,
        operation: str,
        status: int,
        code: str,
        when: Callable[[int], bool],
        *,
        first: bool = False,
    ) -> None:
        self.calls = 0
        self.injected = 0
        self.status = status
        self.code = code
        self.when = when
        self.active = True
        service = client.meta.service_model.service_id.hyphenize()
        register = client.meta.events.register_first if first else client.meta.events.register
        register(f"before-call.{service}.{operation}", self, unique_id=f"fault-{operation}")
        self.unregister = lambda: client.meta.events.unregister(
            f"before-call.{service}.{operation}", unique_id=f"fault-{operation}"
        )

    def __call__(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.calls += 1
        if self.active and self.when(self.calls):
            self.injected += 1
            return error_response(self.status, self.code, "injected by the test")
        return None


def throttle(client: Any, when: Callable[[int], bool]) -> Fault:
    return Fault(client, "BatchWriteItem", 400, "ProvisionedThroughputExceededException", when)


def s3_internal_error(client: Any, when: Callable[[int], bool]) -> Fault:
    return Fault(client, "PutObject", 500, "InternalError", when)


class Unprocessed:
    """DynamoDB accepting only part of a BatchWriteItem: the rest comes back as UnprocessedItems.

    The kept items really reach moto (the request is trimmed before it is built); the held-back
    ones are added to the parsed response, as DynamoDB does when a partition is throttled.
    """

    def __init__(self, client: Any, keep: int, when: Callable[[int], bool]) -> None:
        self.keep = keep
        self.when = when
        self.calls = 0
        self.held: list[Any] = []
        client.meta.events.register(
            "provide-client-params.dynamodb.BatchWriteItem", self.trim, unique_id="unprocessed-trim"
        )
        client.meta.events.register("after-call.dynamodb.BatchWriteItem", self.add, unique_id="unprocessed-add")

    def trim(self, params: dict[str, Any], **_: Any) -> None:
        self.calls += 1
        self.held = []
        if not self.when(self.calls):
            return
        for name, requests in params["RequestItems"].items():
            params["RequestItems"][name] = requests[: self.keep]
            self.held = [(name, request) for request in requests[self.keep :]]

    def add(self, parsed: dict[str, Any], **_: Any) -> None:
        if self.held:
            unprocessed = parsed.setdefault("UnprocessedItems", {})
            for name, request in self.held:
                unprocessed.setdefault(name, []).append(request)
