"""The pure parts of the stages, without AWS: decoding, normalising, validating, enriching."""

from __future__ import annotations

import base64
import json

import pytest
from dataplane_emulator.lambda_runtime import handlers
from hypothesis import given
from hypothesis import strategies as st

stages = handlers()
from pipeline_core import model  # noqa: E402

transform = stages["transform"]
validate = stages["validate"]
enrich = stages["enrich"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("%%%", "not valid base64"),
        ("é", "not valid base64"),
        (b64(b"\xc3\x28"), "not valid UTF-8: invalid continuation byte at byte 0"),
        (b64(b'{"a": 1'), "not valid JSON: Expecting ',' delimiter"),
        (b64(b'{"a": Infinity}'), "not valid JSON: Infinity is not a JSON value"),
        (b64(b"[" * 100_000), "not valid JSON: nested too deeply"),
        (b64(b"42"), "not a JSON object: the record holds a JSON number"),
        (b64(b"null"), "not a JSON object: the record holds a JSON null"),
    ],
)
def test_decode_names_why_a_record_is_malformed(data, reason):
    event, why, _ = model.decode(data)
    assert event is None
    assert why.startswith(reason)


def test_decode_returns_the_json_object_and_its_bytes():
    assert model.decode(b64(b'{"a": [1, "\\u00e9"]}')) == ({"a": [1, "é"]}, None, b'{"a": [1, "\\u00e9"]}')


@given(st.text())
def test_a_capped_reason_stays_within_its_json_budget(text):
    assert len(json.dumps(model.capped(text))) <= model.MAX_REASON_CHARS + 2


@pytest.mark.parametrize(
    ("key", "name"),
    [("eventId", "id"), ("EVENT_ID", "id"), ("event-id", "id"), ("detail-type", "type"), ("occurredAt", "timestamp")],
)
def test_transform_recognises_producer_spellings(key, name):
    assert transform.canonical_name(key) == name


def test_transform_keeps_the_canonical_field_when_an_alias_is_present_too():
    assert transform.normalise({"id": "a", "eventId": "b"}) == {"id": "a", "eventId": "b"}


def test_transform_leaves_unknown_fields_alone():
    assert transform.normalise({"customerName": "x"}) == {"customerName": "x"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_700_000_000, 1_700_000_000_000),
        (1_700_000_000.25, 1_700_000_000_250),
        (1_700_000_000_123, 1_700_000_000_123),
        (1_700_000_000_123_456, 1_700_000_000_123),
        (1_700_000_000_123_456_789, 1_700_000_000_123),
        ("1700000000", 1_700_000_000_000),
        ("2023-11-14T22:13:20Z", 1_700_000_000_000),
        ("2023-11-14T23:13:20.5+01:00", 1_700_000_000_500),
        ("2023-11-14T22:13:20", 1_700_000_000_000),
        ("yesterday", "yesterday"),
        (True, True),
        (None, None),
        (10**30, 10**30),
    ],
)
def test_transform_turns_a_timestamp_into_epoch_milliseconds(value, expected):
    assert transform.epoch_ms(value) == expected


def test_transform_normalises_types():
    assert transform.normalise(
        {"id": 42, "source": " orders ", "type": "order.created\n", "payload": '{"a": 1}', "version": "2"}
    ) == {"id": "42", "source": "orders", "type": "order.created", "payload": {"a": 1}, "version": 2}


VALID = {"id": "a-1", "source": "orders", "type": "order.created", "timestamp": 1_700_000_000_000, "payload": {}}


def test_validate_accepts_a_normalised_event():
    assert validate.violation(dict(VALID)) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"timestamp": 12}, "event.timestamp must be bigger than or equal to 946684800000"),
        ({"payload": []}, "event.payload must be object"),
        ({"type": "order..created"}, "event.type must match pattern"),
        ({"pipeline": 1}, "event must not contain ['pipeline']: enrich writes these fields"),
        ({"id": ""}, "event.id must be longer than or equal to 1 characters"),
        ({"metadata": {"k": 1}}, "event.metadata.k must be string"),
    ],
)
def test_validate_reports_the_rule_an_event_breaks(change, reason):
    assert validate.violation(VALID | change).startswith(reason)


def test_an_unknown_field_is_accepted_unless_the_envelope_is_strict():
    assert validate.violation(VALID | {"extra": 1}) is None
    assert (
        validate.violation(VALID | {"extra": 1}, strict_envelope=True) == "event must not contain {'extra'} properties"
    )


def test_the_schema_requires_the_five_fields_of_an_event():
    assert sorted(validate.SCHEMA["required"]) == ["id", "payload", "source", "timestamp", "type"]


def test_enrich_writes_event_time_in_utc_with_milliseconds():
    assert enrich.iso_utc(1_700_000_000_007) == "2023-11-14T22:13:20.007Z"
