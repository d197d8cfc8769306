"""enrich: add derived fields and processing metadata to each valid event; the result is the archived line.

Derived fields: `event_time` (the timestamp as ISO 8601 UTC) and `event_category` (the first
dot-separated part of `type`). Processing metadata, under `pipeline`: the record's pipeline id,
source shard, sequence number and partition key, its arrival in the stream, the ingest lag (arrival
to ingest start), the event lag (event time to arrival) and how long each earlier stage took on
the chunk. The loop is pipeline_core.steps': quarantined records pass through untouched, a staged
record is read from the staging prefix and written back, an exception while enriching one record
quarantines that record alone.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from pipeline_core import steps
from pipeline_core.observability import pipeline_logger, publish

STAGE = "enrich"

logger = pipeline_logger()
metrics = Metrics()


def iso_utc(epoch_ms: int) -> str:
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def add_fields(
    event: dict[str, Any], record: dict[str, Any], ingest_started: int, stage_ms: dict[str, int]
) -> dict[str, Any]:
    """`event` with its derived fields and metadata, computed before anything is assigned, so a failure
    leaves the event as it was."""
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
    return event


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ingest_started = event["ingest_started_ms"]
    stage_ms = {stage: timing["duration_ms"] for stage, timing in event["timings"].items()}
    tally = steps.run(event, STAGE, lambda found, record: add_fields(found, record, ingest_started, stage_ms))
    publish(metrics, STAGE, {"RecordsEnriched": tally.passed})
    return event
