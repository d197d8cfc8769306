"""Claim check: a record too large to travel inline through the state machine travels by reference.

ingest stores the part of the record that does not fit (its decoded `event`, or its `raw` data
when it is malformed) as one JSON object under the archive bucket's `staging/` prefix, and the
record carries `staged` (the object's key and size) instead. transform and enrich read it, change
it and store it again; validate reads it; archive reads it into the final archive or quarantine
object and deletes it. A lifecycle rule of the data layer expires whatever a failed run leaves
under `staging/` after a day. Every delivery of a record writes its staging object again from the
stream's data, so a retry never reads what an earlier, failed run left.

    staging/<shard id>/<sequence number>.json
"""

from __future__ import annotations

from typing import Any

from streaming_shared.record_store import STAGING_PREFIX

from . import model

CONTENT_TYPE = "application/json"
MOVED = ("event", "raw")
"""The fields that move to the staging object; everything else (identity, quarantine) stays inline."""


def staging_key(record: dict[str, Any]) -> str:
    return f"{STAGING_PREFIX}/{record['shard_id']}/{record['sequence_number']}.json"


def is_staged(record: dict[str, Any]) -> bool:
    return "staged" in record


def stage(client: Any, bucket: str, record: dict[str, Any]) -> None:
    """Move `record`'s event or raw data to its staging object; the record keeps a reference."""
    fields = {name: record.pop(name) for name in MOVED if name in record}
    store(client, bucket, record, fields)


def store(client: Any, bucket: str, record: dict[str, Any], fields: dict[str, Any]) -> None:
    body = model.dumps(fields)
    key = record["staged"]["key"] if is_staged(record) else staging_key(record)
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=CONTENT_TYPE)
    record["staged"] = {"key": key, "bytes": len(body)}


def fetch(client: Any, bucket: str, record: dict[str, Any]) -> dict[str, Any]:
    """The fields stored for `record` (`event` or `raw`)."""
    body = client.get_object(Bucket=bucket, Key=record["staged"]["key"])["Body"].read()
    fields: dict[str, Any] = model.parse(body.decode("utf-8", "surrogatepass"), body)
    return fields


def discard(client: Any, bucket: str, records: list[dict[str, Any]]) -> None:
    """Delete the staging objects of `records` (one DeleteObjects request per 1,000)."""
    keys = [record["staged"]["key"] for record in records if is_staged(record)]
    for start in range(0, len(keys), 1000):
        client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True}
        )
