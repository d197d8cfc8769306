"""The data plane end to end against moto server: records put into a real stream, read back with
GetRecords into a Lambda-shaped event, run through ingest and the four stages, checked in S3 and
DynamoDB."""

from __future__ import annotations

import base64
import time

import botocore.exceptions
import pytest
from compute_layer.state_machine_definition import definition, steps_in_order
from dataplane_emulator.pipeline import Pipeline
from dataplane_support import REGION, encoded, event, failures, items, lines, objects, sequence_of

from streaming_shared.record_store import RECORD_TTL_DAYS

BATCH = 100


def new_pipeline():
    return Pipeline(region=REGION)


@pytest.fixture(scope="module")
def happy():
    """One valid batch, processed once; the tests only read what it left."""
    pipeline = new_pipeline()
    pipeline.put(encoded(*(event(n) for n in range(BATCH))))
    records = pipeline.read()
    response = pipeline.invoke(pipeline.event(records))
    return pipeline, records, response


def test_a_valid_batch_reports_no_batch_item_failures(happy):
    _, _, response = happy
    assert response == {"batchItemFailures": []}


def test_a_valid_batch_is_archived_in_one_object_at_a_date_hour_key(happy):
    pipeline, records, _ = happy
    archived = objects(pipeline, "archive")
    first = records[0]
    arrived = time.gmtime(first["ApproximateArrivalTimestamp"].timestamp())
    expected = (
        f"archive/dt={time.strftime('%Y-%m-%d', arrived)}/hour={time.strftime('%H', arrived)}/"
        f"{pipeline.shard_id}-{first['SequenceNumber']}.jsonl.gz"
    )
    assert list(archived) == [expected]
    assert [sequence_of(line) for line in archived[expected]] == [r["SequenceNumber"] for r in records]


def test_nothing_is_quarantined_from_a_valid_batch(happy):
    pipeline, _, _ = happy
    assert objects(pipeline, "quarantine") == {}


def test_archived_lines_hold_the_normalised_event_and_its_processing_metadata(happy):
    pipeline, records, _ = happy
    line = lines(pipeline, "archive")[7]
    assert {k: line[k] for k in ("id", "source", "type", "timestamp", "payload")} == {
        "id": "evt-7",
        "source": "orders-service",
        "type": "order.created",
        "timestamp": 1_700_000_007_000,
        "payload": {"order": 7, "amount": 10.5},
    }
    assert line["event_time"] == "2023-11-14T22:13:27.000Z"
    assert line["event_category"] == "order"
    metadata = line["pipeline"]
    assert metadata["shard_id"] == pipeline.shard_id
    assert metadata["sequence_number"] == records[7]["SequenceNumber"]
    assert metadata["id"] == f"{pipeline.shard_id}:{records[7]['SequenceNumber']}"
    assert metadata["event_lag_ms"] == metadata["arrival_ms"] - 1_700_000_007_000
    assert metadata["ingest_lag_ms"] >= 0
    assert set(metadata["stage_ms"]) == {"ingest", "transform", "validate"}


def test_every_record_has_an_archived_item_naming_its_object_with_a_ttl(happy):
    """The TTL is the compute layer's default `recordTtlDays`, which its environment gives the functions."""
    pipeline, records, _ = happy
    table = items(pipeline)
    (key,) = objects(pipeline, "archive")
    assert sorted(table) == sorted(r["SequenceNumber"] for r in records)
    for record in records:
        item = table[record["SequenceNumber"]]
        arrival_ms = round(record["ApproximateArrivalTimestamp"].timestamp() * 1000)
        assert item["State"] == "ARCHIVED"
        assert item["ObjectKey"] == key
        assert item["PipelineId"] == f"{pipeline.shard_id}:{record['SequenceNumber']}"
        assert int(item["Timestamp"]) == arrival_ms
        assert int(item["ExpirationTime"]) == arrival_ms // 1000 + RECORD_TTL_DAYS * 86_400


def test_a_batch_of_100_costs_seven_requests_and_no_per_record_call(happy):
    pipeline, _, _ = happy
    assert dict(pipeline.requests.calls) == {
        "BatchGetItem": 1,
        "StartSyncExecution": 1,
        "PutObject": 1,
        "BatchWriteItem": 4,
    }


def test_stages_run_in_the_order_the_state_machine_definition_lists(happy):
    pipeline, _, _ = happy
    listed = [step for step, _ in steps_in_order(definition(pipeline.state_machine.arns))]
    (execution,) = pipeline.state_machine.executions
    assert list(execution.step_output_bytes) == listed == ["transform", "validate", "enrich", "archive"]


def test_the_emulated_state_machine_answers_over_botocore_as_the_service_does(pipeline):
    """StartSyncExecution is answered where botocore would send it: the SDK builds and signs the
    request and parses the answer, which echoes the input, as it does against AWS. (A chunk without
    records fails in a stage: a failed execution is an answer, not an error.)"""
    sfn = pipeline.function_clients["stepfunctions"]
    chunk = '{"version": 1, "shard_id": "shardId-000000000000", "rewrite": [], "timings": {}, "records": []}'
    answer = sfn.start_sync_execution(stateMachineArn=pipeline.state_machine.arn, input=chunk)
    assert (answer["status"], answer["input"], "output" in answer) == ("FAILED", chunk, False)
    assert answer["error"] and answer["cause"]
    assert answer["stopDate"] >= answer["startDate"]
    assert pipeline.requests.sends["StartSyncExecution"] == 1
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sfn.start_sync_execution(stateMachineArn=pipeline.state_machine.arn, input='{"n": NaN}')
    assert refused.value.response["Error"]["Code"] == "InvalidExecutionInput"


def test_processing_the_same_batch_twice_leaves_the_same_objects_and_items(pipeline):
    pipeline.put(encoded(*(event(n) for n in range(30))))
    records = pipeline.read()
    assert pipeline.invoke(pipeline.event(records)) == {"batchItemFailures": []}
    before_objects = {key: [sequence_of(line) for line in body] for key, body in objects(pipeline, "archive").items()}
    before_items = items(pipeline)
    assert pipeline.invoke(pipeline.event(records)) == {"batchItemFailures": []}
    after_objects = {key: [sequence_of(line) for line in body] for key, body in objects(pipeline, "archive").items()}
    assert after_objects == before_objects
    assert items(pipeline) == before_items


MALFORMED = {
    "not UTF-8": (b"\xff\xfe\x00", "not valid UTF-8"),
    "not JSON": (b"{'single': 'quotes'}", "not valid JSON"),
    "a JSON array": (b"[1, 2, 3]", "not a JSON object: the record holds a JSON array"),
    "a JSON string": (b'"text"', "not a JSON object: the record holds a JSON string"),
    "empty": (b" ", "not valid JSON"),
    "NaN": (b'{"id": NaN}', "not valid JSON: NaN is not a JSON value"),
}


@pytest.fixture(scope="module")
def mixed():
    pipeline = new_pipeline()
    bad = [data for data, _ in MALFORMED.values()]
    invalid = encoded(event(100, ts="yesterday"), event(101, source=""), {"id": "x"})
    pipeline.put(encoded(event(0)) + bad + invalid + encoded(event(1)))
    records = pipeline.read()
    response = pipeline.invoke(pipeline.event(records))
    return pipeline, records, response


def test_malformed_and_invalid_records_never_fail_the_batch(mixed):
    _, _, response = mixed
    assert failures(response) == []


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_record_is_quarantined_with_its_reason_and_data_as_received(mixed, case):
    pipeline, records, _ = mixed
    data, reason = MALFORMED[case]
    record = next(r for r in records if r["Data"] == data)
    (line,) = [line for line in lines(pipeline, "quarantine") if line["sequence_number"] == record["SequenceNumber"]]
    assert line["stage"] == "ingest"
    assert line["reason"].startswith(reason)
    assert base64.b64decode(line["raw"]) == data
    item = items(pipeline)[record["SequenceNumber"]]
    assert (item["State"], item["Stage"], item["Reason"]) == ("QUARANTINED", "ingest", line["reason"])


def test_a_schema_violation_is_quarantined_with_the_rule_it_breaks(mixed):
    pipeline, records, _ = mixed
    by_sequence = {line["sequence_number"]: line for line in lines(pipeline, "quarantine")}
    reasons = [by_sequence[r["SequenceNumber"]]["reason"] for r in records[-4:-1]]
    assert reasons == [
        "does not match the event schema: event.timestamp must be integer",
        "does not match the event schema: event.source must be longer than or equal to 1 characters",
        "does not match the event schema: event must contain ['payload', 'source', 'timestamp', 'type'] properties",
    ]
    assert by_sequence[records[-2]["SequenceNumber"]]["event"] == {"id": "x"}


def test_valid_neighbours_of_bad_records_are_archived(mixed):
    pipeline, records, _ = mixed
    assert [sequence_of(line) for line in lines(pipeline, "archive")] == [
        records[0]["SequenceNumber"],
        records[-1]["SequenceNumber"],
    ]


def test_quarantined_and_archived_records_go_to_one_object_each(mixed):
    pipeline, records, _ = mixed
    assert len(objects(pipeline, "archive")) == 1
    (key,) = objects(pipeline, "quarantine")
    assert key.startswith("quarantine/dt=")
    assert key.endswith(f"/{pipeline.shard_id}-{records[0]['SequenceNumber']}.jsonl.gz")


def test_corrupt_base64_is_quarantined_not_dropped(pipeline):
    pipeline.put(encoded(event(0), event(1)))
    records = pipeline.read()
    lambda_event = pipeline.event(records)
    lambda_event["Records"][1]["kinesis"]["data"] = "not*base64!"
    assert failures(pipeline.invoke(lambda_event)) == []
    (line,) = lines(pipeline, "quarantine")
    assert (line["sequence_number"], line["raw"]) == (records[1]["SequenceNumber"], "not*base64!")
    assert line["reason"].startswith("not valid base64")


def test_status_index_lists_the_quarantined_records_of_the_last_hour(mixed):
    pipeline, _, _ = mixed
    hour_ago = int(time.time() * 1000) - 3_600_000
    found = pipeline.dynamodb.query(
        TableName=pipeline.table_name,
        IndexName="StatusIndex",
        KeyConditionExpression="#s = :status AND #t >= :since",
        ExpressionAttributeNames={"#s": "Status", "#t": "Timestamp"},
        ExpressionAttributeValues={":status": {"S": "QUARANTINED"}, ":since": {"N": str(hour_ago)}},
    )["Items"]
    assert len(found) == len(MALFORMED) + 3
