"""Transient failures (DynamoDB throttling, S3 errors, a failed execution) end as batch item failures,
and Kinesis' retry completes the work with no duplicate object, line or item."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ConnectionClosedError
from compute_layer.settings import DEFAULT_TIMEOUT_SECONDS, EXPRESS_MAX_SECONDS, INGEST_OWN_WORK_SECONDS
from dataplane_emulator.lambda_runtime import LambdaContext, handlers
from dataplane_emulator.pipeline import Pipeline
from dataplane_support import (
    REGION,
    Fault,
    Unprocessed,
    encoded,
    event,
    failures,
    items,
    lines,
    objects,
    run_until_done,
    s3_internal_error,
    sequence_of,
    throttle,
)


def put_and_read(pipeline, count):
    pipeline.put(encoded(*(event(n) for n in range(count))))
    return pipeline.read()


def sequence_numbers(records):
    return [record["SequenceNumber"] for record in records]


def assert_complete_without_duplicates(pipeline, records):
    archived = [sequence_of(line) for line in lines(pipeline, "archive")]
    assert Counter(archived) == Counter(sequence_numbers(records))
    table = items(pipeline)
    assert sorted(table) == sorted(sequence_numbers(records))
    assert {item["State"] for item in table.values()} == {"ARCHIVED"}


@pytest.mark.slow
def test_a_throttled_final_state_write_fails_the_whole_batch(pipeline):
    records = put_and_read(pipeline, 60)
    # BatchWriteItem is archive's final states only (ingest writes no state before them).
    fault = throttle(pipeline.function_clients["dynamodb"], when=lambda call: True)
    response = pipeline.invoke(pipeline.event(records))
    assert failures(response) == sequence_numbers(records)
    assert fault.injected > 1


@pytest.mark.slow
def test_after_a_throttled_final_state_write_the_retry_completes_without_duplicates(pipeline):
    records = put_and_read(pipeline, 60)
    fault = throttle(pipeline.function_clients["dynamodb"], when=lambda call: True)
    pipeline.invoke(pipeline.event(records))
    fault.active = False
    assert run_until_done(pipeline, records, batch_size=100) == 1
    assert_complete_without_duplicates(pipeline, records)
    assert len(objects(pipeline, "archive")) == 1


def test_unprocessed_items_are_retried_until_every_item_is_written(pipeline):
    records = put_and_read(pipeline, 100)
    # Four requests of 25; the first and the third are only partly taken, and retried once each.
    Unprocessed(pipeline.function_clients["dynamodb"], keep=10, when=lambda call: call in (1, 4))
    response = pipeline.invoke(pipeline.event(records))
    assert failures(response) == []
    assert_complete_without_duplicates(pipeline, records)
    assert pipeline.requests.calls["BatchWriteItem"] == 4 + 2


def test_items_still_unprocessed_after_the_retry_bound_fail_the_batch_and_the_retry_completes(pipeline):
    records = put_and_read(pipeline, 30)
    unprocessed = Unprocessed(pipeline.function_clients["dynamodb"], keep=1, when=lambda call: True)
    response = pipeline.invoke(pipeline.event(records))
    assert failures(response) == sequence_numbers(records)
    table = items(pipeline)
    # The one item a request took is final; FAILED never replaces it, the others say FAILED.
    assert {item["State"] for item in table.values()} == {"ARCHIVED", "FAILED"}
    unprocessed.when = lambda call: False
    run_until_done(pipeline, records, batch_size=100)
    assert_complete_without_duplicates(pipeline, records)
    assert len(objects(pipeline, "archive")) == 1


def test_an_s3_failure_fails_the_batch_and_marks_its_records_failed(pipeline):
    records = put_and_read(pipeline, 40)
    s3_internal_error(pipeline.function_clients["s3"], when=lambda call: True)
    response = pipeline.invoke(pipeline.event(records))
    assert failures(response) == sequence_numbers(records)
    table = items(pipeline)
    assert {item["State"] for item in table.values()} == {"FAILED"}
    assert "execution FAILED: ClientError" in table[records[0]["SequenceNumber"]]["Reason"]
    assert "InternalError" in table[records[0]["SequenceNumber"]]["Reason"]


def test_after_an_s3_failure_the_retry_completes_without_duplicates(pipeline):
    records = put_and_read(pipeline, 40)
    fault = s3_internal_error(pipeline.function_clients["s3"], when=lambda call: True)
    pipeline.invoke(pipeline.event(records))
    fault.active = False
    run_until_done(pipeline, records, batch_size=100)
    assert_complete_without_duplicates(pipeline, records)
    assert len(objects(pipeline, "archive")) == 1


def test_a_refused_start_sync_execution_fails_its_chunk(pipeline):
    records = put_and_read(pipeline, 10)
    Fault(
        pipeline.function_clients["stepfunctions"],
        "StartSyncExecution",
        400,
        "ThrottlingException",
        lambda n: True,
        first=True,
    )
    response = pipeline.invoke(pipeline.event(records))
    assert failures(response) == sequence_numbers(records)
    assert "StartSyncExecution failed" in items(pipeline)[records[0]["SequenceNumber"]]["Reason"]


def test_start_sync_execution_is_sent_once_when_its_connection_drops(pipeline):
    """No SDK retry of the call: a second attempt could run the whole execution again, past ingest's
    timeout. The chunk's records go back to Kinesis instead, which is ingest's own retry."""
    records = put_and_read(pipeline, 10)
    sent = []

    def drop_the_connection(request, **_):
        sent.append(request)
        raise ConnectionClosedError(endpoint_url=request.url)

    client = pipeline.function_clients["stepfunctions"]
    client.meta.events.register_first("before-send.sfn.StartSyncExecution", drop_the_connection)
    response = pipeline.invoke(pipeline.event(records))
    assert len(sent) == 1
    assert failures(response) == sequence_numbers(records)
    assert "StartSyncExecution failed" in items(pipeline)[records[0]["SequenceNumber"]]["Reason"]


def chunked_pipeline():
    return Pipeline(region=REGION, max_payload_bytes=12_000)


def fail_chunk(pipeline, index):
    def before_step(stage, payload):
        if stage == "transform" and payload["chunk_index"] == index:
            raise RuntimeError("injected failure in the second chunk")

    pipeline.state_machine.before_step = before_step


def test_an_execution_that_does_not_succeed_fails_exactly_the_records_of_its_chunk():
    pipeline = chunked_pipeline()
    records = put_and_read(pipeline, 60)
    fail_chunk(pipeline, 1)
    response = pipeline.invoke(pipeline.event(records))
    executions = pipeline.state_machine.executions
    assert len(executions) >= 3
    assert [execution.status for execution in executions[:3]] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    assert failures(response) == executions[1].sequence_numbers


def test_after_a_failed_chunk_kinesis_redelivery_completes_without_duplicates():
    pipeline = chunked_pipeline()
    records = put_and_read(pipeline, 60)
    fail_chunk(pipeline, 1)
    first = failures(pipeline.invoke(pipeline.event(records)))
    chunk_starts = [execution.sequence_numbers[0] for execution in pipeline.state_machine.executions]
    pipeline.state_machine.before_step = None
    # Kinesis redelivers from the lowest failed sequence number onwards.
    run_until_done(pipeline, records[sequence_numbers(records).index(min(first, key=int)) :], batch_size=100)
    assert_complete_without_duplicates(pipeline, records)
    keys = sorted(objects(pipeline, "archive"))
    assert [key.rsplit("/", 1)[1] for key in keys] == sorted(
        f"{pipeline.shard_id}-{start}.jsonl.gz" for start in chunk_starts
    )


class SlowFirstExecution:
    """A clock for ingest's Lambda context on which the first execution takes `seconds`."""

    def __init__(self, pipeline, seconds):
        self.now = 0.0
        self.seconds = seconds
        pipeline.state_machine.before_step = self.step

    def __call__(self):
        return self.now

    def step(self, name, payload):
        if name == "transform" and payload["chunk_index"] == 0:
            self.now += self.seconds


def ingest_context(clock):
    return LambdaContext("streaming-test-ingest", timeout_seconds=DEFAULT_TIMEOUT_SECONDS["ingest"], clock=clock)


def test_a_chunk_is_not_started_without_time_for_an_execution_and_the_rest_goes_back_from_a_chunk_start():
    """The default ingest timeout (360 s) leaves 320 s after a first execution of 40 s: less than an
    execution may take (300 s) and ingest's own work after it (30 s). Timing out instead would be a
    function error, and Kinesis would bisect the batch."""
    pipeline = chunked_pipeline()
    records = put_and_read(pipeline, 60)
    clock = SlowFirstExecution(pipeline, seconds=40)

    failed = failures(pipeline.invoke(pipeline.event(records), ingest_context(clock)))

    executions = pipeline.state_machine.executions
    assert len(executions) == 1
    assert failed == sequence_numbers(records)[len(executions[0].sequence_numbers) :]
    table = items(pipeline)
    assert {table[number]["State"] for number in executions[0].sequence_numbers} == {"ARCHIVED"}
    assert {table[number]["State"] for number in failed} == {"FAILED"}
    assert "not started: 320 s of the invocation were left" in table[failed[0]]["Reason"]

    pipeline.state_machine.before_step = None
    run_until_done(pipeline, records[len(records) - len(failed) :], batch_size=100)
    assert_complete_without_duplicates(pipeline, records)


def test_with_time_for_another_execution_every_chunk_runs():
    pipeline = chunked_pipeline()
    records = put_and_read(pipeline, 60)
    clock = SlowFirstExecution(pipeline, seconds=29)
    assert failures(pipeline.invoke(pipeline.event(records), ingest_context(clock))) == []
    assert len(pipeline.state_machine.executions) >= 3


def test_a_batch_never_goes_back_whole_for_lack_of_time():
    pipeline = chunked_pipeline()
    records = put_and_read(pipeline, 60)
    short = LambdaContext("streaming-test-ingest", timeout_seconds=10)
    failed = failures(pipeline.invoke(pipeline.event(records), short))
    first = pipeline.state_machine.executions[0].sequence_numbers
    assert failed == sequence_numbers(records)[len(first) :]


def test_ingest_times_its_chunks_by_the_rule_the_compute_layer_checks_its_timeout_with():
    needed = (EXPRESS_MAX_SECONDS + INGEST_OWN_WORK_SECONDS) * 1000
    assert needed == handlers()["ingest"].TIME_NEEDED_PER_CHUNK_MS
