"""The 256 KiB Step Functions payload limit: a batch is split into chunks under MAX_PAYLOAD_BYTES, each
run by its own execution; a record too large to pass inline travels by reference (claim check under
the archive bucket's staging/ prefix) and is archived whole, up to the Kinesis maximum of 1 MiB."""

from __future__ import annotations

import base64
import itertools
import json

import pytest
from dataplane_emulator.lambda_runtime import functions_on_path
from dataplane_emulator.pipeline import Pipeline
from dataplane_support import (
    KINESIS_MAX_RECORD_BYTES,
    REGION,
    encoded,
    event,
    event_of_size,
    failures,
    items,
    lines,
    objects,
    sequence_of,
)
from hypothesis import given
from hypothesis import strategies as st

functions_on_path()
from pipeline_core import chunking  # noqa: E402

DEFAULT_LIMIT = 200_000


@pytest.fixture(scope="module")
def wide():
    """100 records of about 6 KB: some 600 KB, over three times what one execution may carry."""
    pipeline = Pipeline(region=REGION)
    pipeline.put(encoded(*(event(n, data={"blob": "x" * 6_000, "n": n}) for n in range(100))))
    records = pipeline.read()
    response = pipeline.invoke(pipeline.event(records))
    return pipeline, records, response


def test_a_batch_over_the_limit_is_processed_in_several_executions(wide):
    pipeline, _, response = wide
    assert failures(response) == []
    assert len(pipeline.state_machine.executions) >= 3


def test_every_execution_input_is_under_max_payload_bytes(wide):
    pipeline, _, _ = wide
    assert max(execution.input_bytes for execution in pipeline.state_machine.executions) <= DEFAULT_LIMIT


def test_every_step_output_is_under_max_payload_bytes(wide):
    pipeline, _, _ = wide
    sizes = [size for execution in pipeline.state_machine.executions for size in execution.step_output_bytes.values()]
    assert max(sizes) <= DEFAULT_LIMIT


def test_chunks_are_consecutive_and_cover_the_batch_in_stream_order(wide):
    pipeline, records, _ = wide
    chunks = [execution.sequence_numbers for execution in pipeline.state_machine.executions]
    assert [number for chunk in chunks for number in chunk] == [r["SequenceNumber"] for r in records]


def test_each_chunk_is_archived_in_its_own_object(wide):
    pipeline, records, _ = wide
    archived = objects(pipeline, "archive")
    assert len(archived) == len(pipeline.state_machine.executions)
    assert sorted(sequence_of(line) for body in archived.values() for line in body) == sorted(
        r["SequenceNumber"] for r in records
    )


@pytest.fixture(scope="module")
def oversized():
    pipeline = Pipeline(region=REGION)
    sizes = [1_000, 200_000, 900_000, KINESIS_MAX_RECORD_BYTES - 3]
    big_garbage = b"\xff" * 300_000
    payloads = [*encoded(event(0)), *(event_of_size(n + 1, size) for n, size in enumerate(sizes)), big_garbage]
    pipeline.put([*payloads, *encoded(event(9))])
    records = pipeline.read()
    response = pipeline.invoke(pipeline.event(records))
    return pipeline, records, response


def test_records_too_large_to_pass_inline_do_not_fail_the_batch(oversized):
    _, _, response = oversized
    assert failures(response) == []


@pytest.mark.parametrize("position", [1, 2, 3, 4], ids=["1KB", "200KB", "900KB", "1MiB"])
def test_a_valid_record_up_to_the_kinesis_maximum_is_archived_with_its_content(oversized, position):
    pipeline, records, _ = oversized
    record = records[position]
    (line,) = [line for line in lines(pipeline, "archive") if sequence_of(line) == record["SequenceNumber"]]
    assert line["payload"] == json.loads(record["Data"])["data"]
    assert items(pipeline)[record["SequenceNumber"]]["State"] == "ARCHIVED"


def test_the_largest_records_travel_by_reference_and_executions_stay_under_the_limit(oversized):
    pipeline, _, _ = oversized
    sizes = [e.input_bytes for e in pipeline.state_machine.executions] + [
        size for e in pipeline.state_machine.executions for size in e.step_output_bytes.values()
    ]
    assert max(sizes) <= DEFAULT_LIMIT
    assert len(oversized[1][4]["Data"]) + len("key") == KINESIS_MAX_RECORD_BYTES


def test_a_large_malformed_record_is_quarantined_with_its_data(oversized):
    pipeline, records, _ = oversized
    record = records[5]
    (line,) = [line for line in lines(pipeline, "quarantine") if line["sequence_number"] == record["SequenceNumber"]]
    assert line["reason"].startswith("not valid UTF-8")
    assert base64.b64decode(line["raw"]) == record["Data"]
    assert line["size_bytes"] == len(record["Data"])
    assert items(pipeline)[record["SequenceNumber"]]["State"] == "QUARANTINED"


def test_no_staging_copy_is_left_once_archived(oversized):
    pipeline, _, _ = oversized
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.bucket, Prefix="staging/")
    assert listed.get("KeyCount", 0) == 0


def test_the_neighbours_of_large_records_are_archived(oversized):
    pipeline, records, _ = oversized
    archived = [sequence_of(line) for line in lines(pipeline, "archive")]
    assert sorted(archived) == sorted(r["SequenceNumber"] for r in records[:5] + records[6:])


def test_a_payload_string_that_expands_when_parsed_is_staged_by_transform_and_archived(pipeline):
    """60 KB of `1e9,` parse into 1000000000.0, three times as long: past what one execution carries."""
    numbers = "[" + ",".join(["1e9"] * 15_000) + "]"
    pipeline.put(encoded(event(0), event(1, data=f'{{"n": {numbers}}}'), event(2)))
    records = pipeline.read()
    assert failures(pipeline.invoke(pipeline.event(records))) == []
    archived = {sequence_of(line): line for line in lines(pipeline, "archive")}
    assert sorted(archived) == sorted(r["SequenceNumber"] for r in records)
    assert archived[records[1]["SequenceNumber"]]["payload"] == {"n": [1e9] * 15_000}
    sizes = [size for e in pipeline.state_machine.executions for size in e.step_output_bytes.values()]
    assert max(sizes) <= DEFAULT_LIMIT


def test_small_numbers_are_budgeted_with_the_separators_the_runtime_writes(pipeline):
    """`[0,0,...]` is half as long again with the runtime's `", "`: the chunk must allow for it."""
    pipeline.put(encoded(*(event(n, data={"z": [0] * 20_000}) for n in range(6))))
    records = pipeline.read()
    assert failures(pipeline.invoke(pipeline.event(records))) == []
    assert len(lines(pipeline, "archive")) == 6
    sizes = [size for e in pipeline.state_machine.executions for size in e.step_output_bytes.values()]
    assert max(sizes) <= DEFAULT_LIMIT


@given(
    costs=st.lists(st.integers(min_value=1, max_value=5_000), max_size=200),
    envelope=st.integers(min_value=0, max_value=1_000),
)
def test_split_covers_every_record_once_in_order_and_each_chunk_fits(costs, envelope):
    limit = 6_000
    ranges = chunking.split(costs, envelope, limit)
    assert [index for span in ranges for index in span] == list(range(len(costs)))
    for span in ranges:
        assert len(span) == 1 or envelope + sum(costs[i] for i in span) <= limit
        assert len(span) > 0


@given(costs=st.lists(st.integers(min_value=1, max_value=3_000), min_size=1, max_size=100))
def test_split_starts_a_new_chunk_only_when_the_next_record_does_not_fit(costs):
    limit, envelope = 6_000, 500
    ranges = chunking.split(costs, envelope, limit)
    for before, after in itertools.pairwise(ranges):
        assert envelope + sum(costs[i] for i in before) + costs[after.start] > limit


@given(
    costs=st.lists(st.integers(min_value=20, max_value=200), min_size=60, max_size=400),
    envelope=st.integers(min_value=0, max_value=1_000),
    data=st.data(),
)
def test_a_redelivery_from_any_chunk_start_splits_the_records_it_shares_as_before(costs, envelope, data):
    """Kinesis redelivers from a failed record (the start of a failed chunk) with up to a batch of
    records, often past where the first delivery ended. Archive objects are named after their
    chunk's first record, so the chunks must start where they started before, and the first
    delivery's last chunk may only grow: otherwise an archived record would lose its line in the
    object its item names, or gain a second line in another object."""
    limit = 6_000
    first_end = data.draw(st.integers(1, len(costs)), label="first delivery's end")
    first = chunking.split(costs[:first_end], envelope, limit)
    start = data.draw(st.sampled_from([span.start for span in first]), label="redelivered from")
    end = data.draw(st.integers(first_end, len(costs)), label="redelivery's end")
    again = [range(start + span.start, start + span.stop) for span in chunking.split(costs[start:end], envelope, limit)]
    assert [span.start for span in again if span.start < first_end] == [
        span.start for span in first if span.start >= start
    ]
