"""enrich: add derived fields and processing metadata to each valid event; the result is the archived line.

Derived fields: `event_time` (the timestamp as ISO 8601 UTC) and `event_category` (the first
dot-separated part of `type`). Processing metadata, under `pipeline`: the record's pipeline id,
source shard, sequence number and partition key, its arrival in the stream, the ingest lag (arrival
to ingest start), the event lag (event time to arrival) and how long each earlier stage took on
the chunk. Quarantined records pass through untouched; a staged record (pipeline_core.claimcheck)
is read from the staging prefix and written back; an exception while enriching one record
quarantines that record alone.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from pipeline_core import claimcheck, model, settings
from pipeline_core.aws import INFRASTRUCTURE_ERRORS, client
from pipeline_core.observability import pipeline_logger, publish

STAGE = "enrich"

logger = pipeline_logger()
metrics = Metrics()


def iso_utc(epoch_ms: int) -> str:
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def add_fields(event: dict[str, Any], record: dict[str, Any], ingest_started: int, stage_ms: dict[str, int]) -> None:
    """Computed before anything is assigned, so a failure leaves the event as it was."""
    arrival = record["arrival_ms"]
    timestamp = event["timestamp"]
    event_time = iso_utc(timestamp)
    category = event["type"].split(".", 1)[0]
    event["event_time"] = event_time
    event["event_category"] = category
    event["pipeline"] = {
        "id": record["pipeline_id"],
        "shard_id": record["shard_id"],
        "sequence_number": record["sequence_number"],
        "partition_key": record["partition_key"],
        "arrival_ms": arrival,
        "ingest_lag_ms": ingest_started - arrival,
        "event_lag_ms": arrival - timestamp,
        "stage_ms": stage_ms,
    }


def enrich(chunk: dict[str, Any]) -> tuple[dict[str, Any], int]:
    started = model.now_ms()
    ingest_started = chunk["ingest_started_ms"]
    stage_ms = {stage: timing["duration_ms"] for stage, timing in chunk["timings"].items()}
    enriched = 0
    for record in chunk["records"]:
        if "quarantine" in record:
            continue
        try:
            if claimcheck.is_staged(record):
                bucket = settings.required("BUCKET_NAME")
                event = claimcheck.fetch(client("s3"), bucket, record)["event"]
                add_fields(event, record, ingest_started, stage_ms)
                claimcheck.store(client("s3"), bucket, record, {"event": event})
            else:
                add_fields(record["event"], record, ingest_started, stage_ms)
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as error:
            model.quarantine(record, STAGE, model.failure_reason(STAGE, error))
            continue
        enriched += 1
    model.record_timing(chunk, STAGE, started)
    return chunk, enriched


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    chunk, enriched = enrich(event)
    publish(metrics, STAGE, {"RecordsEnriched": enriched})
    return chunk
