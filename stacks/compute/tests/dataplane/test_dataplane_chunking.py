"""The 256 KiB Step Functions payload limit: a batch is split into chunks under MAX_PAYLOAD_BYTES, each
run by its own execution; a record too large to pass inline is quarantined, not truncated."""

from __future__ import annotations

import hashlib
import itertools

import dataplane_runner
import pytest
from dataplane_support import REGION, encoded, event, failures, items, lines, objects, sequence_of
from hypothesis import given
from hypothesis import strategies as st

dataplane_runner.functions_on_path()
from pipeline_core import chunking  # noqa: E402

DEFAULT_LIMIT = 200_000


@pytest.fixture(scope="module")
def wide():
    """100 records of about 6 KB: some 600 KB, over three times what one execution may carry."""
    pipeline = dataplane_runner.Pipeline(region=REGION)
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
    pipeline = dataplane_runner.Pipeline(region=REGION)
    big_valid = encoded(event(1, data={"blob": "y" * 300_000}))[0]
    big_garbage = b"\xff" * 300_000
    pipeline.put([*encoded(event(0)), big_valid, big_garbage, *encoded(event(3))])
    records = pipeline.read()
    response = pipeline.invoke(pipeline.event(records))
    return pipeline, records, response


def test_records_too_large_to_pass_inline_do_not_fail_the_batch(oversized):
    _, _, response = oversized
    assert failures(response) == []


@pytest.mark.parametrize("position", [1, 2])
def test_a_record_too_large_to_pass_inline_is_quarantined_with_size_and_checksum(oversized, position):
    pipeline, records, _ = oversized
    record = records[position]
    (line,) = [line for line in lines(pipeline, "quarantine") if line["sequence_number"] == record["SequenceNumber"]]
    assert line["reason"].startswith("too large to pass through the state machine inline")
    assert line["size_bytes"] == len(record["Data"])
    assert line["sha256"] == hashlib.sha256(record["Data"]).hexdigest()
    assert "event" not in line
    assert "raw" not in line
    assert items(pipeline)[record["SequenceNumber"]]["Status"] == "QUARANTINED"


def test_the_neighbours_of_a_record_too_large_are_archived(oversized):
    pipeline, records, _ = oversized
    assert [sequence_of(line) for line in lines(pipeline, "archive")] == [
        records[0]["SequenceNumber"],
        records[3]["SequenceNumber"],
    ]


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
