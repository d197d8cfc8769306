"""How a Kinesis record travels through the state machine, and the states it ends in.

A chunk (the input of one Step Functions execution, and what every stage returns) is a JSON
object: the records of one shard in stream order plus the stage timings. Each record carries its
identity (shard id, sequence number, arrival time: the source of every deterministic key) and
either the decoded `event` or, once a stage has given up on it, a `quarantine` reason.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from typing import Any

import orjson

ARCHIVED = "ARCHIVED"
"""Valid: its line is in the archive object named by the item's `ObjectKey`."""
QUARANTINED = "QUARANTINED"
"""Malformed or invalid: its line (with `Reason`) is in the quarantine object named by `ObjectKey`."""
FAILED = "FAILED"
"""Its last attempt failed; it went back to Kinesis as a batch item failure and will be retried."""
REPLAYED = "REPLAYED"
"""An operator re-put it into the stream after its retries ran out (`ReplayedAs` names the copy)."""

STATUSES = (ARCHIVED, QUARANTINED, FAILED, REPLAYED)
FINAL_STATUSES = (ARCHIVED, QUARANTINED, REPLAYED)
"""Never overwritten by a state that is not final (see pipeline_core.table)."""
ATTENTION_STATUSES = (QUARANTINED, FAILED)
"""The states an operator looks for: only items in them carry the `Status` attribute `StatusIndex` holds."""

MAX_DEPTH = 200
"""Deepest nesting of arrays and objects an event may have. Python's JSON decoder accepts about
1,000 levels, its encoders (ours, and the Lambda runtime's between the stages) fail earlier than
that inside a handler's call stack, and orjson encodes at most 254: an event nested deeper is
quarantined at ingest, so no later stage can fail on it."""

PAYLOAD_VERSION = 1
MAX_REASON_CHARS = 400
"""Reasons are messages about a record, never the record itself: capped so the payload stays bounded."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def pipeline_id(shard_id: str, sequence_number: str) -> str:
    """The record's key in the state table: stable across redeliveries of the same stream record."""
    return f"{shard_id}:{sequence_number}"


def shard_of(event_id: str) -> str:
    """`shardId-000000000006` from a Kinesis event record's `eventID` (`<shard id>:<sequence number>`)."""
    return event_id.split(":", 1)[0]


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


def finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is outside the range of a double")
    return value


_LONG_DIGITS = re.compile(rb"\d{19}")
"""orjson turns an integer past 64 bits into a float; a text with 19 digits in a row goes to json."""


def parse(text: str, data: bytes | None = None) -> Any:
    """Strict JSON: no NaN or Infinity, no number past the double range, at most MAX_DEPTH levels.

    orjson parses what it can represent exactly (most records, several times faster); anything else
    (an integer past 64 bits, a lone surrogate escape, an error to explain) goes through Python's
    json, whose reading of JSON the pipeline keeps. Raises ValueError with the reason.
    """
    data = text.encode() if isinstance(text, str) else text
    value: Any
    try:
        if _LONG_DIGITS.search(data):
            raise orjson.JSONDecodeError("long digits", "", 0)
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(text, parse_constant=reject_constant, parse_float=finite_float)
        except RecursionError:
            raise ValueError(f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    if (data.count(b"[") + data.count(b"{")) > MAX_DEPTH and depth(value) > MAX_DEPTH:
        raise ValueError(f"nested too deeply (more than {MAX_DEPTH} levels)")
    return value


def depth(value: Any) -> int:
    """Levels of arrays and objects in `value` (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        current, level = stack.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def decode(data: str) -> tuple[dict[str, Any] | None, str | None, bytes | None]:
    """(event, None, raw bytes) for a JSON object, or (None, reason, raw bytes or None) for anything else."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        return None, f"not valid base64: {error}", None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"not valid UTF-8: {error.reason} at byte {error.start}", raw
    try:
        value = parse(text, raw)
    except ValueError as error:
        return None, f"not valid JSON: {error}", raw
    if not isinstance(value, dict):
        return None, f"not a JSON object: the record holds a JSON {_JSON_KINDS.get(type(value), 'value')}", raw
    return value, None, raw


def dumps(value: Any) -> bytes:
    """Compact JSON (UTF-8): orjson, or Python's json for what orjson cannot encode (integers past
    64 bits, lone surrogates), ASCII-escaped then."""
    try:
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, separators=(",", ":")).encode()


def capped(reason: str, limit: int = MAX_REASON_CHARS) -> str:
    """`reason`, shortened so that its JSON encoding takes at most about `limit` characters."""
    if len(json.dumps(reason)) <= limit:
        return reason
    cut = reason[:limit]
    while len(json.dumps(cut)) > limit - 40:
        cut = cut[: len(cut) * 3 // 4]
    return f"{cut} [... {len(reason) - len(cut)} more characters]"


def failure_reason(stage: str, error: BaseException) -> str:
    """The quarantine reason of a record whose processing raised `error` in `stage`."""
    return f"{stage} could not process this record: {type(error).__name__}: {error}"


def quarantine(record: dict[str, Any], stage: str, reason: str) -> None:
    record["quarantine"] = {"stage": stage, "reason": capped(reason)}


def is_live(record: dict[str, Any]) -> bool:
    """Still on its way to the archive (not quarantined by an earlier stage)."""
    return "quarantine" not in record


def new_chunk(
    *,
    stream_arn: str,
    shard_id: str,
    records: list[dict[str, Any]],
    index: int,
    count: int,
    ingest_started_ms: int,
    rewrite: list[str] | None = None,
) -> dict[str, Any]:
    """`rewrite`: the prefixes (archive, quarantine) whose object at this chunk's key an item in a
    final state names already, so that archive keeps its lines of records the chunk does not hold."""
    return {
        "version": PAYLOAD_VERSION,
        "stream_arn": stream_arn,
        "shard_id": shard_id,
        "first_sequence_number": records[0]["sequence_number"] if records else "",
        "last_sequence_number": records[-1]["sequence_number"] if records else "",
        "chunk_index": index,
        "chunk_count": count,
        "ingest_started_ms": ingest_started_ms,
        "rewrite": rewrite or [],
        "timings": {},
        "records": records,
    }


def record_timing(chunk: dict[str, Any], stage: str, started_ms: int) -> None:
    chunk["timings"][stage] = {"started_ms": started_ms, "duration_ms": now_ms() - started_ms}
