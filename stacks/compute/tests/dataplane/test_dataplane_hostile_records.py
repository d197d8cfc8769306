"""Hostile records through the real stage chain (hypothesis): arbitrary JSON, built as text so that it
can hold what Python would never write (numbers past the double range, integers of thousands of
digits, tiny and negative-zero numbers, nesting up to and past the decoder's limit, long strings,
unusual Unicode and lone surrogate escapes), placed between and inside valid events, and run by the
five handlers with Step Functions' real 256 KiB limit between the steps.

Conservation: nothing fails the batch (no fault is injected, so no execution may fail), each record
is archived or quarantined exactly once, in the table and in S3, and every good record is archived
with its payload intact."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from dataplane_emulator.lambda_runtime import functions_on_path
from dataplane_emulator.pipeline import Pipeline
from dataplane_support import REGION, failures, items, lines, sequence_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

functions_on_path()
from pipeline_core import model  # noqa: E402

GOOD, BAD, EITHER = "good", "bad", "either"
"""What a record must end as: archived, quarantined, or either (the test then checks only conservation)."""

unusual_text = st.text(
    st.characters(codec=None, categories=None, exclude_characters="\x00"), max_size=40
) | st.sampled_from(["\u202e\u0000", "Zoë 🚀", "\ufeff", "\U0010ffff", "e\u0301", "\u2028\u2029"])
json_strings = unusual_text.map(json.dumps) | st.sampled_from([r'"\ud800"', r'"\udfff\ud800"', r'"\u0000"'])
good_numbers = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.sampled_from(["-0", "0.0e0", "1e-400", "5e-324", "1.7976931348623157e308", "-1e308", "1E+2", "1e16"]),
    st.integers(1, 4_000).map(lambda digits: "9" * digits),
)
leaves = st.one_of(st.sampled_from(["null", "true", "false"]), good_numbers, json_strings)


def array(children: list[str]) -> str:
    return "[" + ",".join(children) + "]"


def obj(members: dict[str, str]) -> str:
    return "{" + ",".join(f"{key}:{value}" for key, value in members.items()) + "}"


good_json = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=5).map(array) | st.dictionaries(json_strings, children, max_size=5).map(obj)
    ),
    max_leaves=25,
)
bad_fragments = st.one_of(
    st.sampled_from(["1e400", "-1e400", "1.5e999"]),
    st.integers(4_301, 20_000).map(lambda digits: "1" * digits),
    st.integers(model.MAX_DEPTH + 1, 3_000).map(lambda depth: "[" * depth + "]" * depth),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "[1,]", '{"a" 1}', "01"]),
)


def envelope(payload: str, extra: str | None = None, **fields: str) -> bytes:
    members = {
        '"eventId"': json.dumps(fields.get("id", "evt-1")),
        '"source"': json.dumps("orders-service"),
        '"eventType"': json.dumps("order.created"),
        '"ts"': fields.get("ts", "1700000000"),
        '"data"': payload,
    }
    if extra is not None:
        members['"shipTo"'] = extra
    return obj(members).encode()


@st.composite
def records(draw):
    kind = draw(
        st.sampled_from(
            ["good", "good-deep", "good-large", "good-expanding", "bad-in-payload", "bad-top", "odd-envelope", "any"]
        )
    )
    if kind == "good":
        extra = draw(st.none() | good_json)
        return GOOD, envelope(obj({'"v"': draw(good_json)}), extra)
    if kind == "good-deep":
        # event -> payload -> v: the event is 2 + depth levels deep, at most MAX_DEPTH.
        depth = draw(st.integers(1, model.MAX_DEPTH - 2))
        return GOOD, envelope(obj({'"v"': "[" * depth + "1" + "]" * depth}))
    if kind == "good-large":
        size = draw(st.sampled_from([150_000, 300_000, 700_000]))
        return GOOD, envelope(obj({'"blob"': json.dumps(draw(unusual_text) + "x" * size)}))
    if kind == "good-expanding":
        # A JSON string that transform parses: `1e9` becomes 1000000000.0, four times as long.
        count = draw(st.integers(1, 30_000))
        return GOOD, envelope(json.dumps(obj({'"n"': array(["1e9"] * count)})))
    if kind == "bad-in-payload":
        return BAD, envelope(obj({'"v"': array([draw(good_json), draw(bad_fragments)])}))
    if kind == "bad-top":
        return BAD, draw(bad_fragments).encode()
    if kind == "odd-envelope":
        ts = draw(good_numbers | json_strings | st.integers(1, 6_000).map(lambda n: json.dumps("9" * n)))
        identifier = draw(unusual_text)
        return EITHER, envelope(obj({}), None, ts=ts, id=identifier)
    return EITHER, draw(good_json).encode()


def payload_of(data: bytes):
    return json.loads(data)["data"]


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(batch=st.lists(records(), min_size=1, max_size=8), limit=st.sampled_from([20_000, 200_000]))
def test_hostile_records_are_each_archived_or_quarantined_once_and_good_ones_archived(batch, limit):
    pipeline = Pipeline(region=REGION, max_payload_bytes=limit)
    pipeline.put([data for _, data in batch])
    records_read = pipeline.read()
    numbers = [record["SequenceNumber"] for record in records_read]

    response = pipeline.invoke(pipeline.event(records_read))

    assert failures(response) == [], "a record's content must never fail the batch"
    assert {e.status for e in pipeline.state_machine.executions} <= {"SUCCEEDED"}
    archived = {sequence_of(line): line for line in lines(pipeline, "archive")}
    quarantined = [line["sequence_number"] for line in lines(pipeline, "quarantine")]
    assert Counter([*archived, *quarantined]) == Counter(numbers), "each record exactly once in S3"
    table = items(pipeline)
    assert sorted(table) == sorted(numbers)
    for number, (expected, data) in zip(numbers, batch, strict=True):
        state = table[number]["State"]
        assert state == ("ARCHIVED" if number in archived else "QUARANTINED")
        if expected == GOOD:
            assert state == "ARCHIVED", table[number].get("Reason")
            assert archived[number]["payload"] == _normalised_payload(data)
        elif expected == BAD:
            assert state == "QUARANTINED"
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.bucket, Prefix="staging/")
    assert listed.get("KeyCount", 0) == 0, "no staging copy is left behind"


def _normalised_payload(data: bytes):
    """The payload as transform leaves it: a JSON-encoded object string becomes the object."""
    payload = payload_of(data)
    if isinstance(payload, str) and payload.lstrip().startswith("{"):
        return json.loads(payload)
    return payload
