"""archive: write the chunk to S3 (one object for its valid records, one for its quarantined ones),
then write each record's final state to the table (its only item write), and answer each record's
outcome to ingest.

Objects are gzip JSON Lines at deterministic keys (see pipeline_core.storage), written before the
table says ARCHIVED or QUARANTINED, so an item in a final state always names an object that
exists. A staged record (pipeline_core.claimcheck) is read from the staging prefix into its line,
and its staging object is deleted once the final object and state are written. Any failure (S3,
or items DynamoDB still refuses after bounded retries) fails the execution, and ingest turns the
whole chunk into batch item failures; the retry rewrites the same objects and items.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from pipeline_core import claimcheck, model, settings, storage, table
from pipeline_core.aws import client
from pipeline_core.observability import pipeline_logger, publish

from streaming_shared.record_store import ARCHIVE_PREFIX, QUARANTINE_PREFIX

STAGE = "archive"

logger = pipeline_logger()
metrics = Metrics()


class StateNotRecorded(RuntimeError):
    """DynamoDB did not take every final state within the retries: the execution fails, Kinesis retries."""


def quarantine_line(record: dict[str, Any]) -> dict[str, Any]:
    line = {
        "pipeline_id": record["pipeline_id"],
        "shard_id": record["shard_id"],
        "sequence_number": record["sequence_number"],
        "partition_key": record["partition_key"],
        "arrival_ms": record["arrival_ms"],
        "size_bytes": record["size_bytes"],
        "stage": record["quarantine"]["stage"],
        "reason": record["quarantine"]["reason"],
    }
    for name in ("event", "raw"):
        if name in record:
            line[name] = record[name]
    return line


def unstaged(records: list[dict[str, Any]], bucket: str) -> list[dict[str, Any]]:
    """`records`, each staged one with its fields read back from the staging prefix."""
    result = []
    for record in records:
        if claimcheck.is_staged(record):
            fields = claimcheck.fetch(client("s3"), bucket, record)
            result.append({name: value for name, value in record.items() if name != "staged"} | fields)
        else:
            result.append(record)
    return result


def write_object(
    bucket: str, prefix: str, chunk: dict[str, Any], records: list[dict[str, Any]], lines: list[dict[str, Any]]
) -> str:
    """The chunk's object under `prefix`. When ingest says a final item names it already (`rewrite`),
    the lines there of records this chunk does not hold are kept (pipeline_core.storage)."""
    key = storage.chunk_object_key(prefix, chunk["records"][0])
    numbers = [record["sequence_number"] for record in records]
    if prefix in chunk.get("rewrite", ()):
        lines, numbers = storage.merge_lines(storage.lines_if_any(client("s3"), bucket, key), lines)
    metadata = {
        "shard-id": chunk["shard_id"],
        "first-sequence-number": numbers[0],
        "last-sequence-number": numbers[-1],
        "record-count": str(len(numbers)),
    }
    storage.put_lines(client("s3"), bucket, key, lines, metadata)
    return key


def archive(chunk: dict[str, Any]) -> dict[str, Any]:
    state = table.StateTable(client("dynamodb"), settings.required("TABLE_NAME"))
    bucket = settings.required("BUCKET_NAME")
    ttl_days = settings.record_ttl_days()
    valid = [record for record in chunk["records"] if "quarantine" not in record]
    rejected = [record for record in chunk["records"] if "quarantine" in record]
    items = []
    objects = []
    if valid:
        events = [record["event"] for record in unstaged(valid, bucket)]
        key = write_object(bucket, ARCHIVE_PREFIX, chunk, valid, events)
        objects.append(key)
        items += [
            table.item(
                record,
                model.ARCHIVED,
                ttl_days,
                ObjectKey=key,
                EventId=event["id"],
                EventSource=event["source"],
                EventType=event["type"],
            )
            for record, event in zip(valid, events, strict=True)
        ]
    if rejected:
        lines = [quarantine_line(record) for record in unstaged(rejected, bucket)]
        key = write_object(bucket, QUARANTINE_PREFIX, chunk, rejected, lines)
        objects.append(key)
        items += [
            table.item(
                record,
                model.QUARANTINED,
                ttl_days,
                ObjectKey=key,
                Stage=record["quarantine"]["stage"],
                Reason=record["quarantine"]["reason"],
            )
            for record in rejected
        ]
    unwritten = state.put(items)
    if unwritten:
        raise StateNotRecorded(f"{len(unwritten)} of {len(items)} final states not written after retries")
    claimcheck.discard(client("s3"), bucket, chunk["records"])
    return {
        "shard_id": chunk["shard_id"],
        "archived": [record["sequence_number"] for record in valid],
        "quarantined": [record["sequence_number"] for record in rejected],
        "objects": objects,
    }


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        result = archive(event)
    except Exception:
        publish(metrics, STAGE, {"ChunksFailed": 1, "RecordsNotArchived": len(event.get("records", ()))})
        raise
    publish(
        metrics,
        STAGE,
        {
            "RecordsArchived": len(result["archived"]),
            "RecordsQuarantined": len(result["quarantined"]),
            "ObjectsWritten": len(result["objects"]),
        },
    )
    logger.info("chunk archived", extra={"objects": result["objects"]})
    return result
