"""The bad-record table: each hostile or broken record, between two valid ones, ends in exactly one
place (archived, or quarantined with its reason) and nothing of the batch is lost or fails it.

Records are really put into the (moto) Kinesis stream and read back, except where the table
corrupts the Lambda event itself (a producer cannot put broken base64 on a stream).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from dataplane_support import encoded, event, failures, items, lines, sequence_of

ARCHIVED, QUARANTINED = "ARCHIVED", "QUARANTINED"


def nested(depth: int) -> bytes:
    return b'{"id": "deep", "payload": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


def corrupt_base64(record: dict[str, Any]) -> None:
    record["kinesis"]["data"] = "not*base64!"


@dataclass(frozen=True)
class Case:
    data: bytes
    ends: str
    reason: str = ""
    corrupt: Callable[[dict[str, Any]], None] | None = None
    partition_key: str = "key"


def raw(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


BAD_RECORDS: dict[str, Case] = {
    "broken-base64": Case(b"{}", QUARANTINED, "not valid base64", corrupt=corrupt_base64),
    "invalid-utf8": Case(b"\xff\xfe{not text", QUARANTINED, "not valid UTF-8"),
    "utf8-bom-before-json": Case(b"\xef\xbb\xbf" + raw(event(1)), QUARANTINED, "not valid JSON"),
    "truncated-json": Case(b'{"eventId": "evt-1", "source": "orders', QUARANTINED, "not valid JSON"),
    "json-array": Case(b"[1, 2, 3]", QUARANTINED, "not a JSON object: the record holds a JSON array"),
    "json-string": Case(b'"order.created"', QUARANTINED, "holds a JSON string"),
    "json-number": Case(b"42", QUARANTINED, "holds a JSON number"),
    "json-null": Case(b"null", QUARANTINED, "holds a JSON null"),
    "whitespace-only": Case(b"   ", QUARANTINED, "not valid JSON"),
    "nan-constant": Case(b'{"eventId": "evt-1", "amount": NaN}', QUARANTINED, "not valid JSON"),
    "deep-nesting": Case(nested(5_000), QUARANTINED, "nested too deeply"),
    "nesting-just-below-the-decoders-limit": Case(nested(990), QUARANTINED, "nested too deeply (more than 200 levels)"),
    "nesting-just-past-the-pipelines-limit": Case(nested(200), QUARANTINED, "nested too deeply (more than 200 levels)"),
    "nesting-at-the-pipelines-limit": Case(
        raw(event(1, data=json.loads(b'{"a": ' * 198 + b"1" + b"}" * 198))), ARCHIVED
    ),
    "number-past-the-double-range": Case(raw(event(1))[:-1] + b', "big": 1e400}', QUARANTINED, "range of a double"),
    "integer-past-64-bits-kept": Case(raw(event(1, data={"n": 2**70})), ARCHIVED),
    "timestamp-digits-past-the-int-limit": Case(raw(event(1, ts="9" * 5_000)), QUARANTINED, "event.timestamp"),
    "timestamp-past-the-double-range": Case(raw(event(1, ts="9" * 400 + ".5")), QUARANTINED, "event.timestamp"),
    "field-enrich-writes": Case(raw({**event(1), "pipeline": "mine"}), QUARANTINED, "enrich writes these fields"),
    "huge-string-archived-by-reference": Case(raw(event(1, data={"blob": "x" * 600_000})), ARCHIVED),
    "missing-id": Case(raw({k: v for k, v in event(1).items() if k != "eventId"}), QUARANTINED, "must contain"),
    "missing-source": Case(raw({k: v for k, v in event(1).items() if k != "source"}), QUARANTINED, "must contain"),
    "missing-timestamp": Case(raw({k: v for k, v in event(1).items() if k != "ts"}), QUARANTINED, "must contain"),
    "missing-payload": Case(raw({k: v for k, v in event(1).items() if k != "data"}), QUARANTINED, "must contain"),
    "timestamp-not-a-time": Case(raw(event(1, ts="yesterday")), QUARANTINED, "timestamp"),
    "timestamp-before-2000": Case(raw(event(1, ts=86_400)), QUARANTINED, "timestamp"),
    "payload-not-an-object": Case(raw(event(1, data=[1, 2])), QUARANTINED, "payload"),
    "id-with-spaces": Case(raw(event(1, eventId="evt 1; drop table")), QUARANTINED, "event.id"),
    "unknown-top-level-field-kept": Case(raw({**event(1), "shipTo": "x"}), ARCHIVED),
    "numeric-id-normalised": Case(raw(event(1, eventId=12345)), ARCHIVED),
    "iso-timestamp-normalised": Case(raw(event(1, ts="2024-05-01T10:00:00Z")), ARCHIVED),
    "unicode-everywhere": Case(raw(event(1, data={"name": "Zoë 🚀 \u202e"})), ARCHIVED, partition_key="clé-🔑"),
    # JSON's grammar allows a lone surrogate escape; it is kept escaped, exactly as the producer sent it.
    "lone-surrogate-escape-kept-as-sent": Case(
        b'{"eventId": "evt-1", "source": "s", "eventType": "t", "ts": 1700000000, "data": {"name": "\\ud800"}}',
        ARCHIVED,
    ),
}


@pytest.mark.parametrize("case_name", list(BAD_RECORDS))
def test_a_bad_record_ends_in_one_place_and_its_neighbours_are_archived(pipeline, case_name):
    case = BAD_RECORDS[case_name]
    pipeline.put([raw(event(100)), case.data, raw(event(101))], ["key", case.partition_key, "key"])
    records = pipeline.read()
    assert len(records) == 3
    bad_sequence = records[1]["SequenceNumber"]
    lambda_event = pipeline.event(records)
    if case.corrupt:
        case.corrupt(lambda_event["Records"][1])

    response = pipeline.invoke(lambda_event)

    archived = [sequence_of(line) for line in lines(pipeline, "archive")]
    quarantined = {line["sequence_number"]: line for line in lines(pipeline, "quarantine")}
    failed = failures(response)
    every = [r["SequenceNumber"] for r in records]
    assert failed == [], "a bad record must never fail the batch"
    assert sorted(archived + list(quarantined)) == sorted(every), "each record in exactly one place"
    assert items(pipeline)[bad_sequence]["State"] == case.ends
    if case.ends == QUARANTINED:
        assert case.reason in quarantined[bad_sequence]["reason"]
        assert items(pipeline)[bad_sequence]["Reason"] == quarantined[bad_sequence]["reason"]
    else:
        assert bad_sequence in archived
    assert {records[0]["SequenceNumber"], records[2]["SequenceNumber"]} <= set(archived)


def test_duplicate_records_are_each_kept_once_under_their_own_sequence_number(pipeline):
    pipeline.put(encoded(event(7), event(7), event(7)))
    records = pipeline.read()
    assert failures(pipeline.invoke(pipeline.event(records))) == []
    archived = [sequence_of(line) for line in lines(pipeline, "archive")]
    assert sorted(archived) == sorted(r["SequenceNumber"] for r in records)
    assert {line["id"] for line in lines(pipeline, "archive")} == {"evt-7"}


def test_the_table_has_at_least_twenty_bad_records():
    assert len(BAD_RECORDS) >= 20
