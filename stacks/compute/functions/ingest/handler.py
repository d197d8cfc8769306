"""ingest: the Kinesis consumer. Decodes a batch, records it, runs the state machine on it chunk by chunk.

For a batch of records (one shard, stream order):
1. Decode each record (strict base64, UTF-8, a JSON object). One that is not is quarantined here
   with its reason and its data as received, and travels on to `archive` like any other record,
   which writes it under the quarantine prefix: never dropped, never failing the batch.
2. Split the batch into chunks that stay under MAX_PAYLOAD_BYTES at every stage (Step Functions
   refuses more than 256 KiB). A record too large to pass inline even alone is quarantined with
   its size, SHA-256 and the reason, without its data (it stays readable in the stream by its
   sequence number until the stream's retention ends): nothing is truncated.
3. Record every record as RECEIVED in the state table (BatchWriteItem, 25 a request).
4. Run the Express state machine synchronously once per chunk, in stream order. `archive`
   answers with each record's outcome (ARCHIVED or QUARANTINED).
5. Report the rest as batch item failures (Powertools' partial batch response): every record of a
   chunk whose execution did not succeed, or whose RECEIVED item could not be written. Kinesis
   retries from the first of them; every key downstream is deterministic, so the retry overwrites.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamEvent,
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pipeline_core import chunking, model, settings, table
from pipeline_core.aws import client
from pipeline_core.observability import logger_for, publish

STAGE = "ingest"
LONGEST_NUMBER = 10**15

logger = logger_for(STAGE)
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)


class NotProcessed(Exception):
    """The record goes back to Kinesis as a batch item failure."""


@dataclass
class BatchOutcome:
    """The outcome of every record of a batch, by pipeline id: ARCHIVED, QUARANTINED or FAILED."""

    status: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def fail(self, records: list[dict[str, Any]], reason: str) -> None:
        for record in records:
            self.status[record["pipeline_id"]] = model.FAILED
            self.reasons[record["pipeline_id"]] = reason

    def settle(self, record: KinesisStreamRecord) -> str:
        """Powertools' record handler: raising makes the record a batch item failure."""
        key = model.pipeline_id(model.shard_of(record.event_id), record.kinesis.sequence_number)
        status = self.status.get(key, model.FAILED)
        if status == model.FAILED:
            raise NotProcessed(self.reasons.get(key, "no outcome recorded for this record"))
        return status

    def count(self, status: str) -> int:
        return sum(1 for value in self.status.values() if value == status)


def prepare(kinesis_record: KinesisStreamRecord) -> dict[str, Any]:
    """The record as it travels through the state machine: identity plus event, or quarantined."""
    payload = kinesis_record.kinesis
    shard_id = model.shard_of(kinesis_record.event_id)
    data = payload.data
    event, reason, raw = model.decode(data)
    record: dict[str, Any] = {
        "pipeline_id": model.pipeline_id(shard_id, payload.sequence_number),
        "shard_id": shard_id,
        "sequence_number": payload.sequence_number,
        "partition_key": payload.partition_key,
        "arrival_ms": round(payload.approximate_arrival_timestamp * 1000),
        "size_bytes": len(raw) if raw is not None else len(data),
    }
    if event is not None:
        record["event"] = event
    else:
        record["raw"] = data
        model.quarantine(record, STAGE, reason or "malformed")
    return record


def too_large(record: dict[str, Any], data: str, cost: int, limit: int) -> dict[str, Any]:
    """What travels instead of a record that cannot pass inline: its identity, size and the SHA-256 of
    its bytes as the producer put them (`data` is the record's base64 text from the event)."""
    try:
        original = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        original = data.encode()
    stub = {name: record[name] for name in ("pipeline_id", "shard_id", "sequence_number", "partition_key")}
    stub |= {"arrival_ms": record["arrival_ms"], "size_bytes": len(original)}
    stub["sha256"] = hashlib.sha256(original).hexdigest()
    model.quarantine(
        stub,
        STAGE,
        f"too large to pass through the state machine inline: {cost} bytes with what the stages add, "
        f"over MAX_PAYLOAD_BYTES={limit}; not archived, it stays readable in the stream by its "
        "sequence number until the stream's retention ends",
    )
    return stub


class Ingest:
    def __init__(self) -> None:
        self.table = table.StateTable(client("dynamodb"), settings.required("TABLE_NAME"))
        self.state_machine_arn = settings.required("STATE_MACHINE_ARN")
        self.ttl_days = settings.record_ttl_days()
        self.limit = settings.max_payload_bytes()
        self.data: dict[str, str] = {}
        self.counts = {"RecordsMalformed": 0, "RecordsTooLarge": 0, "Executions": 0, "ExecutionsFailed": 0}

    def process(self, event: KinesisStreamEvent) -> BatchOutcome:
        started = model.now_ms()
        outcome = BatchOutcome()
        shards: dict[str, list[dict[str, Any]]] = {}
        stream_arn = ""
        for kinesis_record in event.records:
            record = prepare(kinesis_record)
            self.data[record["pipeline_id"]] = kinesis_record.kinesis.data
            stream_arn = kinesis_record.event_source_arn or stream_arn
            outcome.status[record["pipeline_id"]] = model.FAILED
            shards.setdefault(record["shard_id"], []).append(record)
            if not model.is_live(record):
                self.counts["RecordsMalformed"] += 1

        chunks = [chunk for shard_id, records in shards.items() for chunk in self.split(stream_arn, shard_id, records)]
        all_records = [record for records in shards.values() for record in records]
        unrecorded = self.record_received(all_records)
        for index, records in enumerate(chunks):
            if unrecorded.intersection(record["pipeline_id"] for record in records):
                outcome.fail(records, "its RECEIVED state could not be written to the state table")
                continue
            chunk = model.new_chunk(
                stream_arn=stream_arn,
                shard_id=records[0]["shard_id"],
                records=records,
                index=index,
                count=len(chunks),
                ingest_started_ms=started,
            )
            model.record_timing(chunk, STAGE, started)
            self.execute(chunk, outcome)
        self.mark_failed(all_records, outcome)
        return outcome

    def split(self, stream_arn: str, shard_id: str, records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        longest = max((record["sequence_number"] for record in records), key=len)
        envelope = chunking.envelope_cost(
            model.new_chunk(
                stream_arn=stream_arn,
                shard_id=shard_id,
                records=[{"sequence_number": longest}],
                index=LONGEST_NUMBER,
                count=LONGEST_NUMBER,
                ingest_started_ms=LONGEST_NUMBER,
            )
            | {"records": []}
        )
        costs = []
        for position, record in enumerate(records):
            cost = chunking.record_cost(record)
            if not chunking.fits_alone(cost, envelope, self.limit):
                records[position] = too_large(record, self.data[record["pipeline_id"]], cost, self.limit)
                cost = chunking.record_cost(records[position])
                self.counts["RecordsTooLarge"] += 1
            costs.append(cost)
        return [records[span.start : span.stop] for span in chunking.split(costs, envelope, self.limit)]

    def record_received(self, records: list[dict[str, Any]]) -> set[str]:
        """Write RECEIVED items; the pipeline ids that could not be written."""
        items = [table.item(r, model.RECEIVED, self.ttl_days, SizeBytes=r["size_bytes"]) for r in records]
        try:
            unwritten = self.table.put(items)
        except (ClientError, BotoCoreError):
            logger.exception("the state table refused the RECEIVED items")
            return {record["pipeline_id"] for record in records}
        if unwritten:
            logger.warning("RECEIVED items not written after retries", extra={"unwritten": len(unwritten)})
        return {it["PipelineId"]["S"] for it in unwritten}

    def execute(self, chunk: dict[str, Any], outcome: BatchOutcome) -> None:
        records = chunk["records"]
        self.counts["Executions"] += 1
        try:
            response = client("stepfunctions").start_sync_execution(
                stateMachineArn=self.state_machine_arn, input=json.dumps(chunk, separators=(",", ":"))
            )
        except (ClientError, BotoCoreError) as error:
            self.counts["ExecutionsFailed"] += 1
            outcome.fail(records, model.capped(f"StartSyncExecution failed: {error}"))
            logger.warning("could not start the state machine", extra={"chunk": chunk["chunk_index"]})
            return
        if response.get("status") != "SUCCEEDED":
            self.counts["ExecutionsFailed"] += 1
            reason = f"execution {response.get('status')}: {response.get('error')}: {response.get('cause')}"
            outcome.fail(records, model.capped(reason))
            logger.warning(
                "execution did not succeed",
                extra={"chunk": chunk["chunk_index"], "execution": response.get("executionArn"), "reason": reason},
            )
            return
        result = json.loads(response.get("output") or "{}")
        archived = set(result.get("archived", ()))
        quarantined = set(result.get("quarantined", ()))
        for record in records:
            sequence_number = record["sequence_number"]
            if (sequence_number in archived) == (sequence_number in quarantined):
                outcome.fail([record], "the state machine returned no single outcome for this record")
                logger.error("record without a single outcome", extra={"pipeline_id": record["pipeline_id"]})
            else:
                outcome.status[record["pipeline_id"]] = (
                    model.ARCHIVED if sequence_number in archived else model.QUARANTINED
                )

    def mark_failed(self, records: list[dict[str, Any]], outcome: BatchOutcome) -> None:
        """Best effort, one try: FAILED items let an operator see what is waiting for a Kinesis retry."""
        failed = [r for r in records if outcome.status[r["pipeline_id"]] == model.FAILED]
        if not failed:
            return
        items = [
            table.item(r, model.FAILED, self.ttl_days, Reason=outcome.reasons.get(r["pipeline_id"])) for r in failed
        ]
        try:
            table.StateTable(self.table.client, self.table.name, max_attempts=1).put(items)
        except (ClientError, BotoCoreError):
            logger.warning("could not mark failed records as FAILED", exc_info=True)

    def publish(self, outcome: BatchOutcome) -> None:
        failures = outcome.count(model.FAILED)
        publish(
            metrics,
            STAGE,
            self.counts
            | {
                "RecordsReceived": len(outcome.status),
                "RecordsArchived": outcome.count(model.ARCHIVED),
                "RecordsQuarantined": outcome.count(model.QUARANTINED),
                "BatchItemFailures": failures,
            },
        )
        log = logger.warning if failures else logger.info
        log("batch processed", extra={"records": len(outcome.status), "failures": failures, **self.counts})


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ingest = Ingest()
    outcome = ingest.process(KinesisStreamEvent(event))
    ingest.publish(outcome)
    return process_partial_response(event=event, record_handler=outcome.settle, processor=processor, context=context)
