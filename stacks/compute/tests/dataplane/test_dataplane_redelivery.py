"""Redelivery never undoes a final state: a record already ARCHIVED, QUARANTINED or REPLAYED is
acknowledged without work, and a failure while it is processed again never turns it FAILED. Also
the state model (one item write per record, a sparse StatusIndex) and the small cases of the event
itself (an empty Records list, two records with one sequence number)."""

from __future__ import annotations

import time
from collections import Counter
from unittest import mock

import pytest
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FINAL = {"ARCHIVED", "QUARANTINED", "REPLAYED"}


def archived_batch(pipeline, count=30, bad=()):
    payloads = encoded(*(event(n) for n in range(count)))
    for position in bad:
        payloads[position] = b"\xff not json"
    pipeline.put(payloads)
    records = pipeline.read()
    assert failures(pipeline.invoke(pipeline.event(records))) == []
    return records


def raw_items(pipeline):
    """Items by sequence number, attributes as DynamoDB returns them."""
    scanned = pipeline.dynamodb.scan(TableName=pipeline.table_name, ConsistentRead=True)["Items"]
    return {item["SequenceNumber"]["S"]: item for item in scanned}


def test_a_final_batch_delivered_again_while_s3_refuses_writes_is_acknowledged_without_work(pipeline):
    records = archived_batch(pipeline, bad=(3,))
    before = items(pipeline)
    s3_internal_error(pipeline.function_clients["s3"], when=lambda call: True)
    pipeline.requests.reset()

    response = pipeline.invoke(pipeline.event(records))

    assert failures(response) == []
    assert items(pipeline) == before
    assert dict(pipeline.requests.calls) == {"BatchGetItem": 1}


def test_a_redelivery_reaching_past_the_first_delivery_keeps_one_line_per_record_where_its_item_says(pipeline):
    """Records of about 6 KB, 28 to an execution. The first delivery (55 records) runs two: the first
    fails on S3, the second (27 records) is archived. Kinesis redelivers from the first record with a
    full batch (85), past the first delivery's end: its chunks must start where they did (0, 28,
    then 56), or records 28 to 54 would be archived a second time under another chunk's key."""
    pipeline.put(encoded(*(event(n, data={"blob": "x" * 6_000, "n": n}) for n in range(85))))
    records = pipeline.read()
    s3_failure = s3_internal_error(pipeline.function_clients["s3"], when=lambda call: call == 1)

    first = failures(pipeline.invoke(pipeline.event(records[:55])))
    assert first == [record["SequenceNumber"] for record in records[:28]]
    s3_failure.active = False
    assert failures(pipeline.invoke(pipeline.event(records))) == []

    archived = objects(pipeline, "archive")
    assert Counter(sequence_of(line) for body in archived.values() for line in body) == Counter(
        record["SequenceNumber"] for record in records
    )
    for number, item in items(pipeline).items():
        assert number in {sequence_of(line) for line in archived[item["ObjectKey"]]}


MALFORMED = (3, 7)


def partly_written_chunk(pipeline):
    """50 valid records and 2 malformed ones (MALFORMED) make one chunk. archive writes both objects,
    then the valid records' final states (two full BatchWriteItem), and the malformed ones' never get
    in (throttled past the retries), as when ingest itself fails meanwhile."""
    payloads = encoded(*(event(n) for n in range(52)))
    for position in MALFORMED:
        payloads[position] = b"\xff not json"
    pipeline.put(payloads)
    records = pipeline.read()
    stuck = throttle(pipeline.function_clients["dynamodb"], when=lambda call: call >= 3)
    assert len(failures(pipeline.invoke(pipeline.event(records)))) == 52
    stuck.active = False
    return records


def test_a_bisected_redelivery_after_partly_written_states_loses_no_line_an_item_names(pipeline):
    """Kinesis bisects the partly written chunk: the first half (26 records) has records that are
    not final, so it runs and rewrites the chunk's objects with its own records only; the second
    half is final already and is acknowledged without work. Every record's item must still name an
    object that holds its line."""
    records = partly_written_chunk(pipeline)
    assert sum(item["State"] == "ARCHIVED" for item in items(pipeline).values()) == 50

    for half in (records[:26], records[26:]):
        assert failures(pipeline.invoke(pipeline.event(half))) == []

    stored = {prefix: objects(pipeline, prefix) for prefix in ("archive", "quarantine")}
    table = items(pipeline)
    assert sorted(table) == sorted(record["SequenceNumber"] for record in records)
    for number, item in table.items():
        prefix = {"ARCHIVED": "archive", "QUARANTINED": "quarantine"}[item["State"]]
        assert number in {sequence_of(line) for line in stored[prefix][item["ObjectKey"]]}, number


def test_a_bisected_redelivery_can_store_a_record_twice_never_lose_it_and_its_pipeline_id_tells(pipeline, monkeypatch):
    """Stored twice, never lost, as the functions README says: a chunk of 50 records whose archive object
    is written but only its first 25 final states (DynamoDB refuses the second BatchWriteItem past the
    retries); Kinesis bisects the batch. The first half (30 records) runs the chunk again from its first
    record, and the rewrite keeps the lines of records 30 to 49 (they were not final); the second half
    starts a chunk of its own at record 30 and archives them again. By `pipeline.id` every record is in
    the archive, 30 to 49 twice, with the same event apart from the processing times."""
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # the retries' backoff
    pipeline.put(encoded(*(event(n) for n in range(50))))
    records = pipeline.read()
    refused = throttle(pipeline.function_clients["dynamodb"], when=lambda call: call >= 2)
    assert len(failures(pipeline.invoke(pipeline.event(records)))) == 50
    refused.active = False

    for half in (records[:30], records[30:]):
        assert failures(pipeline.invoke(pipeline.event(half))) == []

    archived = objects(pipeline, "archive")
    copies: dict[str, list[dict]] = {}
    for line in (line for body in archived.values() for line in body):
        timings = ("ingest_lag_ms", "stage_ms")
        copies.setdefault(line["pipeline"]["id"], []).append(
            line | {"pipeline": {k: v for k, v in line["pipeline"].items() if k not in timings}}
        )
    ids = [f"{pipeline.shard_id}:{record['SequenceNumber']}" for record in records]
    assert sorted(copies) == sorted(ids)
    assert {pid for pid, lines_of_record in copies.items() if len(lines_of_record) == 2} == set(ids[30:])
    assert all(
        len(lines_of_record) == 1 or lines_of_record[0] == lines_of_record[1] for lines_of_record in copies.values()
    )
    for number, item in items(pipeline).items():
        assert number in {sequence_of(line) for line in archived[item["ObjectKey"]]}, number


@pytest.mark.slow
def test_a_rewrite_of_an_object_an_operator_deleted_goes_on_with_the_lines_it_holds(pipeline):
    """As above, but the archive object is deleted before the bisected redelivery: the first half's
    rewrite finds nothing to keep and writes its own records, instead of failing on every retry until
    the batch reaches the dead-letter queue."""
    records = partly_written_chunk(pipeline)
    (deleted,) = objects(pipeline, "archive")
    pipeline.s3.delete_object(Bucket=pipeline.bucket, Key=deleted)

    for half in (records[:26], records[26:]):
        assert failures(pipeline.invoke(pipeline.event(half))) == []

    rewritten = objects(pipeline, "archive")[deleted]
    first_half = {record["SequenceNumber"] for record in records[:26]} - {
        records[position]["SequenceNumber"] for position in MALFORMED
    }
    assert {sequence_of(line) for line in rewritten} == first_half
    assert all(items(pipeline)[number]["ObjectKey"] == deleted for number in first_half)


def test_a_delivery_starting_inside_an_archived_chunk_archives_none_of_its_records_again():
    """Small executions (8,000 bytes): the first delivery (14 records) ends with a chunk of two. The
    next one starts at the second of them, as after a shorter delivery that acknowledged the first
    one alone, or a bisected batch: that record is final in the chunk's object already, so it is
    acknowledged without work instead of starting a chunk that archives it again."""
    pipeline = Pipeline(region=REGION, max_payload_bytes=8_000)
    pipeline.put(encoded(*(event(n) for n in range(20))))
    records = pipeline.read()
    assert failures(pipeline.invoke(pipeline.event(records[:14]))) == []
    last_chunk = pipeline.state_machine.executions[-1].sequence_numbers
    assert len(last_chunk) >= 2, "the test needs a delivery that starts inside a chunk"
    inside = [record["SequenceNumber"] for record in records].index(last_chunk[1])

    assert failures(pipeline.invoke(pipeline.event(records[inside:]))) == []

    stored = [sequence_of(line) for line in lines(pipeline, "archive")]
    assert Counter(stored) == Counter(record["SequenceNumber"] for record in records)
    archived = objects(pipeline, "archive")
    for number, item in items(pipeline).items():
        assert number in {sequence_of(line) for line in archived[item["ObjectKey"]]}, number


@pytest.mark.slow
def test_when_the_states_cannot_be_read_the_batch_goes_back_to_kinesis_untouched(pipeline):
    records = archived_batch(pipeline, bad=(3,))
    before = items(pipeline)
    reads = Fault(pipeline.function_clients["dynamodb"], "BatchGetItem", 400, "ThrottlingException", lambda n: True)
    pipeline.requests.reset()

    response = pipeline.invoke(pipeline.event(records))

    assert failures(response) == [r["SequenceNumber"] for r in records]
    assert items(pipeline) == before
    assert set(pipeline.requests.calls) == {"BatchGetItem"}
    reads.active = False
    assert run_until_done(pipeline, records, batch_size=100) == 1
    assert len(lines(pipeline, "archive")) == len(records) - 1


@pytest.mark.slow
def test_a_failure_while_a_final_record_is_processed_again_never_makes_it_failed(pipeline):
    """A chunk of which archive wrote only some final states runs again whole; if it fails again,
    the records already final stay final."""
    pipeline.put(encoded(*(event(n) for n in range(30))))
    records = pipeline.read()
    unprocessed = Unprocessed(pipeline.function_clients["dynamodb"], keep=1, when=lambda call: True)
    assert len(failures(pipeline.invoke(pipeline.event(records)))) == 30
    unprocessed.when = lambda call: False
    final_before = {n: item["State"] for n, item in items(pipeline).items() if item["State"] == "ARCHIVED"}
    assert final_before
    s3_internal_error(pipeline.function_clients["s3"], when=lambda call: True)
    assert len(failures(pipeline.invoke(pipeline.event(records)))) == 30
    table = items(pipeline)
    assert {n: table[n]["State"] for n in final_before} == final_before
    assert {item["State"] for n, item in table.items() if n not in final_before} == {"FAILED"}


def test_a_replayed_record_delivered_again_is_acknowledged_and_stays_replayed(pipeline):
    pipeline.put(encoded(event(0), event(1)))
    records = pipeline.read()
    pipeline.dynamodb.put_item(
        TableName=pipeline.table_name,
        Item={
            "PipelineId": {"S": f"{pipeline.shard_id}:{records[0]['SequenceNumber']}"},
            "Timestamp": {"N": str(round(records[0]["ApproximateArrivalTimestamp"].timestamp() * 1000))},
            "State": {"S": "REPLAYED"},
            "SequenceNumber": {"S": records[0]["SequenceNumber"]},
        },
    )
    assert failures(pipeline.invoke(pipeline.event(records))) == []
    table = items(pipeline)
    assert (table[records[0]["SequenceNumber"]]["State"], table[records[1]["SequenceNumber"]]["State"]) == (
        "REPLAYED",
        "ARCHIVED",
    )
    assert [sequence_of(line) for line in lines(pipeline, "archive")] == [records[1]["SequenceNumber"]]


def test_archived_items_stay_out_of_the_sparse_status_index(pipeline):
    archived_batch(pipeline, count=10, bad=(2, 5))
    table = raw_items(pipeline)
    states = Counter(item["State"]["S"] for item in table.values())
    assert states == {"ARCHIVED": 8, "QUARANTINED": 2}
    assert all(("Status" in item) == (item["State"]["S"] == "QUARANTINED") for item in table.values())
    indexed = pipeline.dynamodb.scan(TableName=pipeline.table_name, IndexName="StatusIndex")["Items"]
    assert sorted(item["Status"]["S"] for item in indexed) == ["QUARANTINED", "QUARANTINED"]


def test_failed_items_are_in_the_status_index_with_their_reason(pipeline):
    pipeline.put(encoded(event(0), event(1)))
    records = pipeline.read()
    s3_internal_error(pipeline.function_clients["s3"], when=lambda call: True)
    assert len(failures(pipeline.invoke(pipeline.event(records)))) == 2
    found = pipeline.dynamodb.query(
        TableName=pipeline.table_name,
        IndexName="StatusIndex",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "Status"},
        ExpressionAttributeValues={":s": {"S": "FAILED"}},
    )["Items"]
    assert len(found) == 2
    assert all("InternalError" in item["Reason"]["S"] for item in found)


def test_each_record_costs_one_item_write_when_all_goes_well(pipeline):
    writes = Counter()

    def count(params, **_):
        for requests in params["RequestItems"].values():
            writes["items"] += len(requests)

    pipeline.function_clients["dynamodb"].meta.events.register("provide-client-params.dynamodb.BatchWriteItem", count)
    archived_batch(pipeline, count=60)
    assert writes["items"] == 60
    assert pipeline.requests.calls["PutItem"] == 0


def test_an_event_with_no_records_returns_no_failures(pipeline):
    assert pipeline.invoke({"Records": []}) == {"batchItemFailures": []}
    assert pipeline.requests.total == 0


def test_two_records_with_one_sequence_number_do_not_fail_the_batch(pipeline):
    pipeline.put(encoded(event(0), event(1)))
    records = pipeline.read()
    lambda_event = pipeline.event([records[0], records[0], records[1], records[1], records[1]])
    assert failures(pipeline.invoke(lambda_event)) == []
    assert sorted(items(pipeline)) == sorted(r["SequenceNumber"] for r in records)
    assert sorted(sequence_of(line) for line in lines(pipeline, "archive")) == sorted(
        r["SequenceNumber"] for r in records
    )


FAULTS = ["none", "s3", "throttle-writes", "throttle-reads", "stage"]


def deliver(pipeline, batch, fault):
    """One delivery with `fault` active; the faults are removed afterwards."""
    clients = pipeline.function_clients
    injected = None
    if fault == "s3":
        injected = s3_internal_error(clients["s3"], when=lambda call: True)
    elif fault == "throttle-writes":
        injected = throttle(clients["dynamodb"], when=lambda call: True)
    elif fault == "throttle-reads":
        injected = Fault(clients["dynamodb"], "BatchGetItem", 400, "ThrottlingException", lambda n: True)
    elif fault == "stage":

        def before_step(stage, payload):
            if stage == "enrich":
                raise RuntimeError("injected failure in enrich")

        pipeline.state_machine.before_step = before_step
    try:
        return failures(pipeline.invoke(pipeline.event(batch)))
    finally:
        pipeline.state_machine.before_step = None
        if injected is not None:
            injected.unregister()


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["advance", "checkpoint-lost"]), st.integers(1, 20), st.sampled_from(FAULTS)),
        min_size=1,
        max_size=8,
    )
)
def test_no_order_of_deliveries_and_failures_turns_a_final_state_back(steps):
    """Deliveries as the event source mapping makes them: each batch starts at the shard's
    checkpoint, which moves to the first failed record, or past the batch; or stays where it was
    (at-least-once: a lost checkpoint makes the next batch repeat records already processed). A
    batch never ends before a record an earlier batch reached (the records are still in the stream;
    a batch is cut short only by bisection, after a function error, which ingest never raises).
    Each delivery has a fault or none."""
    with mock.patch.object(time, "sleep", lambda seconds: None):  # the retries' backoff, not the clock under test
        run_deliveries(steps)


def run_deliveries(steps):
    pipeline = Pipeline(region=REGION, max_payload_bytes=8_000)
    payloads = encoded(*(event(n) for n in range(20)))
    payloads[7] = b"not json"
    pipeline.put(payloads)
    records = pipeline.read()
    numbers = [r["SequenceNumber"] for r in records]
    checkpoint = 0
    reached = 0
    seen_final: dict[str, str] = {}
    for kind, length, fault in steps:
        if checkpoint >= len(records):
            break
        end = max(min(len(records), checkpoint + length), reached)
        reached = end
        failed = deliver(pipeline, records[checkpoint:end], fault)
        if kind == "advance":
            checkpoint = min((numbers.index(n) for n in failed), default=end)
        table = items(pipeline)
        for sequence_number, state in seen_final.items():
            assert table[sequence_number]["State"] == state, "a final state was replaced"
        seen_final |= {n: item["State"] for n, item in table.items() if item["State"] in FINAL}
    run_until_done(pipeline, records[checkpoint:], batch_size=100)
    table = items(pipeline)
    assert {n: item["State"] for n, item in table.items()} == {
        n: ("QUARANTINED" if index == 7 else "ARCHIVED") for index, n in enumerate(numbers)
    }
    stored = [sequence_of(line) for prefix in ("archive", "quarantine") for line in lines(pipeline, prefix)]
    assert Counter(stored) == Counter(numbers), "each record exactly once in S3"
