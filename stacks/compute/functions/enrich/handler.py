"""enrich: add derived fields and processing metadata to each valid event; the result is the archived line.

Derived fields: `event_time` (the timestamp as ISO 8601 UTC) and `event_category` (the first
dot-separated part of `type`). Processing metadata, under `pipeline`: the record's pipeline id,
source shard, sequence number and partition key, its arrival in the stream, the ingest lag (arrival
to ingest start), the event lag (event time to arrival) and how long each earlier stage took on
the chunk. Quarantined records pass through untouched.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from pipeline_core import model
from pipeline_core.observability import logger_for, publish

STAGE = "enrich"

logger = logger_for(STAGE)
metrics = Metrics()


def iso_utc(epoch_ms: int) -> str:
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def enrich(chunk: dict[str, Any]) -> tuple[dict[str, Any], int]:
    started = model.now_ms()
    ingest_started = chunk["ingest_started_ms"]
    stage_ms = {stage: timing["duration_ms"] for stage, timing in chunk["timings"].items()}
    enriched = 0
    for record in chunk["records"]:
        if "quarantine" in record:
            continue
        event = record["event"]
        arrival = record["arrival_ms"]
        event["event_time"] = iso_utc(event["timestamp"])
        event["event_category"] = event["type"].split(".", 1)[0]
        event["pipeline"] = {
            "id": record["pipeline_id"],
            "shard_id": record["shard_id"],
            "sequence_number": record["sequence_number"],
            "partition_key": record["partition_key"],
            "arrival_ms": arrival,
            "ingest_lag_ms": ingest_started - arrival,
            "event_lag_ms": arrival - event["timestamp"],
            "stage_ms": stage_ms,
        }
        enriched += 1
    model.record_timing(chunk, STAGE, started)
    return chunk, enriched


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    chunk, enriched = enrich(event)
    publish(metrics, STAGE, {"RecordsEnriched": enriched})
    return chunk
