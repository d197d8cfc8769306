"""ingest: the Kinesis consumer. Decodes a batch, skips what is final already, runs the state machine on
the rest chunk by chunk.

For a batch of records (one shard, stream order):
1. Decode each record (strict base64, UTF-8, a JSON object of at most MAX_DEPTH levels, no number
   past the double range). One that is not is quarantined here with its reason and its data as
   received, and travels on to `archive` like any other record, which writes it under the
   quarantine prefix: never dropped, never failing the batch. A second record with the same
   sequence number in one event (a hand-made or replayed event) is the same record: it gets the
   first one's outcome.
2. Read the state of every record once (BatchGetItem, 100 keys a request). Records already final
   (ARCHIVED, QUARANTINED, REPLAYED) are acknowledged without work.
3. Split the batch into chunks that stay under MAX_PAYLOAD_BYTES at every stage (Step Functions
   refuses more than 256 KiB). A record too large to pass inline is stored under the archive
   bucket's `staging/` prefix and travels by reference (pipeline_core.claimcheck). A chunk whose
   records are all final is not run; a chunk with some final records (its final states were only
   partly written last time) runs whole, so its archive object is rewritten with the same content.
   A delivery that starts inside an archived chunk leaves out its leading records that are final
   in that chunk's object (`from_a_chunk_start`), so they are not archived again under a new key.
4. Run the Express state machine synchronously once per chunk, in stream order. `archive` writes
   each record's final state and answers its outcome (ARCHIVED or QUARANTINED). A chunk after the
   first is started only while the invocation has time left for the longest execution and what
   follows it (TIME_NEEDED_PER_CHUNK_MS); the rest of the batch goes back to Kinesis instead. A
   timeout would be a function error, after which Kinesis bisects the batch: a half starting
   inside a chunk archived already would archive its records a second time, under another key.
5. Report the rest as batch item failures (Powertools' partial batch response): every record of a
   chunk whose execution did not succeed. Each is marked FAILED, item by item, with a condition
   that never replaces a final state. Kinesis retries from the first of them, which is the first
   record of a chunk; every key downstream is deterministic, so the retry overwrites.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamEvent,
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pipeline_core import chunking, claimcheck, model, settings, storage, table
from pipeline_core.aws import EXPRESS_MAX_SECONDS, client
from pipeline_core.observability import pipeline_logger, publish

from streaming_shared.record_store import ARCHIVE_PREFIX, QUARANTINE_PREFIX

STAGE = "ingest"
LONGEST_NUMBER = 10**15
FINISH_SECONDS = 30
"""ingest's own work after its last execution (FAILED marks, metrics). The compute layer gives
ingest a timeout of at least EXPRESS_MAX_SECONDS + FINISH_SECONDS, so the first chunk always fits."""
TIME_NEEDED_PER_CHUNK_MS = (EXPRESS_MAX_SECONDS + FINISH_SECONDS) * 1000
PREFIXES = (ARCHIVE_PREFIX, QUARANTINE_PREFIX)

logger = pipeline_logger()
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
    try:
        event, reason, raw = model.decode(data)
    except Exception as error:
        event, reason, raw = None, f"could not be decoded: {type(error).__name__}: {error}", None
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


class Ingest:
    def __init__(self) -> None:
        self.table = table.StateTable(client("dynamodb"), settings.required("TABLE_NAME"))
        self.bucket = settings.required("BUCKET_NAME")
        self.state_machine_arn = settings.required("STATE_MACHINE_ARN")
        self.ttl_days = settings.record_ttl_days()
        self.limit = settings.max_payload_bytes()
        self.texts: dict[str, str] = {}
        """Each inline record's JSON, encoded once for its size and reused in the execution input."""
        self.unstaged: dict[str, dict[str, Any]] = {}
        """Records to store under staging/ before their chunk runs, by pipeline id."""
        self.named_by: dict[str, str] = {}
        """The object the item of each final record of the batch names, by pipeline id."""
        self.counts = {
            "RecordsMalformed": 0,
            "RecordsStaged": 0,
            "RecordsAlreadyFinal": 0,
            "RecordsDuplicate": 0,
            "Executions": 0,
            "ExecutionsFailed": 0,
            "RecordsDeferred": 0,
        }

    def process(self, event: KinesisStreamEvent, remaining_ms: Callable[[], int]) -> BatchOutcome:
        started = model.now_ms()
        outcome = BatchOutcome()
        shards: dict[str, list[dict[str, Any]]] = {}
        stream_arn = ""
        for kinesis_record in event.records:
            record = prepare(kinesis_record)
            stream_arn = kinesis_record.event_source_arn or stream_arn
            if record["pipeline_id"] in outcome.status:
                self.counts["RecordsDuplicate"] += 1
                continue
            outcome.status[record["pipeline_id"]] = model.FAILED
            shards.setdefault(record["shard_id"], []).append(record)
            if not model.is_live(record):
                self.counts["RecordsMalformed"] += 1
        all_records = [record for records in shards.values() for record in records]
        final = self.final_states(all_records)
        if final is None:
            outcome.fail(all_records, "the states of the batch could not be read from the state table")
            return outcome
        for pipeline_id, state in final.items():
            outcome.status[pipeline_id] = state
        self.counts["RecordsAlreadyFinal"] = len(final)

        chunks = [
            chunk
            for shard_id, records in shards.items()
            for chunk in self.split(
                stream_arn,
                shard_id,
                self.from_a_chunk_start([r for r in records if final.get(r["pipeline_id"]) != model.REPLAYED]),
            )
        ]
        executed = 0
        for index, records in enumerate(chunks):
            if all(record["pipeline_id"] in final for record in records):
                continue
            if executed and remaining_ms() < TIME_NEEDED_PER_CHUNK_MS:
                self.defer([r for rest in chunks[index:] for r in rest], outcome, remaining_ms())
                break
            self.execute(stream_arn, records, index=index, count=len(chunks), started=started, outcome=outcome)
            executed += 1
        self.mark_failed(all_records, outcome, final)
        return outcome

    def final_states(self, records: list[dict[str, Any]]) -> dict[str, str] | None:
        """The records already in a final state, by pipeline id; None when the table cannot be read.

        Then nothing is processed and the whole batch goes back to Kinesis: processing a record that
        is final already is not harmless when the delivery is shorter than the one that archived it
        (a bisected batch), because its chunk, and so its archive object, would hold fewer records.
        """
        if not records:
            return {}
        try:
            states = self.table.states([table.key(record) for record in records])
        except (ClientError, BotoCoreError):
            logger.warning("could not read the states of the batch; it goes back to Kinesis", exc_info=True)
            return None
        if states is None:
            logger.warning("the state table kept some keys unread; the batch goes back to Kinesis")
            return None
        final = {pid: (state, named) for pid, (state, named) in states.items() if state in model.FINAL_STATUSES}
        self.named_by = {pid: named for pid, (_, named) in final.items() if named}
        return {pid: state for pid, (state, _) in final.items()}

    def from_a_chunk_start(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A shard's `records` without the leading ones that are final in the object of a chunk that
        started before them. A delivery can start inside a chunk (a shorter delivery acknowledged the
        chunk's first records, or a bisected batch): chunking from there would archive them again
        under another key. Left out, they are acknowledged without work, and their lines stay where
        their items say."""
        start = 0
        for record in records:
            named = self.named_by.get(record["pipeline_id"])
            if named is None or named in (storage.chunk_object_key(prefix, record) for prefix in PREFIXES):
                break
            start += 1
        return records[start:]

    def split(self, stream_arn: str, shard_id: str, records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        if not records:
            return []
        longest = max((record["sequence_number"] for record in records), key=len)
        envelope = chunking.envelope_cost(
            model.new_chunk(
                stream_arn=stream_arn,
                shard_id=shard_id,
                records=[{"sequence_number": longest}],
                index=LONGEST_NUMBER,
                count=LONGEST_NUMBER,
                ingest_started_ms=LONGEST_NUMBER,
                rewrite=list(PREFIXES),
            )
            | {"records": []}
        )
        costs = []
        for position, record in enumerate(records):
            text = chunking.encoded(record)
            cost = chunking.record_cost(record, len(text))
            if chunking.fits_alone(cost, envelope, self.limit):
                self.texts[record["pipeline_id"]] = text
            else:
                reference = {name: value for name, value in record.items() if name not in claimcheck.MOVED}
                reference["staged"] = {"key": claimcheck.staging_key(record), "bytes": LONGEST_NUMBER}
                self.unstaged[record["pipeline_id"]] = record
                records[position] = reference
                cost = chunking.record_cost(reference)
            costs.append(cost)
        return [records[span.start : span.stop] for span in chunking.split(costs, envelope, self.limit)]

    def defer(self, records: list[dict[str, Any]], outcome: BatchOutcome, remaining: int) -> None:
        """`records` (the first is a chunk's first) go back to Kinesis unprocessed."""
        self.counts["RecordsDeferred"] = len(records)
        outcome.fail(
            records,
            f"not started: {remaining // 1000} s of the invocation were left, and an execution and what "
            f"follows it may take {TIME_NEEDED_PER_CHUNK_MS // 1000} s",
        )
        logger.warning("the rest of the batch goes back to Kinesis", extra={"records": len(records)})

    def execute(
        self,
        stream_arn: str,
        records: list[dict[str, Any]],
        *,
        index: int,
        count: int,
        started: int,
        outcome: BatchOutcome,
    ) -> None:
        self.counts["Executions"] += 1
        try:
            texts = [self.text(record) for record in records]
        except (ClientError, BotoCoreError) as error:
            self.counts["ExecutionsFailed"] += 1
            outcome.fail(records, model.capped(f"could not store a large record under staging/: {error}"))
            logger.warning("could not store a large record under staging/", extra={"chunk": index})
            return
        chunk = model.new_chunk(
            stream_arn=stream_arn,
            shard_id=records[0]["shard_id"],
            records=[],
            index=index,
            count=count,
            ingest_started_ms=started,
            rewrite=self.named_prefixes(records),
        )
        model.record_timing(chunk, STAGE, started)
        envelope = chunking.encoded(chunk)
        chunk_input = f"{envelope[:-3]}[{', '.join(texts)}]}}"
        try:
            response = client("stepfunctions").start_sync_execution(
                stateMachineArn=self.state_machine_arn, input=chunk_input
            )
        except (ClientError, BotoCoreError) as error:
            self.counts["ExecutionsFailed"] += 1
            outcome.fail(records, model.capped(f"StartSyncExecution failed: {error}"))
            logger.warning("could not start the state machine", extra={"chunk": index})
            return
        if response.get("status") != "SUCCEEDED":
            self.counts["ExecutionsFailed"] += 1
            reason = f"execution {response.get('status')}: {response.get('error')}: {response.get('cause')}"
            outcome.fail(records, model.capped(reason))
            logger.warning(
                "execution did not succeed",
                extra={"chunk": index, "execution": response.get("executionArn"), "reason": reason},
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

    def named_prefixes(self, records: list[dict[str, Any]]) -> list[str]:
        """The prefixes under which the object of a chunk of `records` is named by a final item already:
        an earlier delivery archived records into it, possibly more than this chunk holds."""
        named = set(self.named_by.values())
        return [prefix for prefix in PREFIXES if storage.chunk_object_key(prefix, records[0]) in named]

    def text(self, record: dict[str, Any]) -> str:
        """The record's JSON in the execution input; a large record is stored under staging/ first."""
        pipeline_id = record["pipeline_id"]
        if pipeline_id in self.texts:
            return self.texts[pipeline_id]
        original = self.unstaged.pop(pipeline_id, None)
        if original is not None:
            claimcheck.stage(client("s3"), self.bucket, original)
            record["staged"] = original["staged"]
            self.counts["RecordsStaged"] += 1
        return chunking.encoded(record)

    def mark_failed(self, records: list[dict[str, Any]], outcome: BatchOutcome, final: dict[str, str]) -> None:
        """Best effort: FAILED items let an operator see what is waiting for a Kinesis retry. Written one
        by one with a condition, so a final state already recorded (by an earlier delivery, or by
        archive before this execution failed) is never replaced."""
        failed = [
            r for r in records if outcome.status[r["pipeline_id"]] == model.FAILED and r["pipeline_id"] not in final
        ]
        if not failed:
            return
        items = [
            table.item(r, model.FAILED, self.ttl_days, Reason=outcome.reasons.get(r["pipeline_id"])) for r in failed
        ]
        try:
            self.table.put_unless_final(items)
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


def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    if not event.get("Records"):
        # Powertools refuses an empty batch (UnexpectedBatchTypeError); there is nothing to report.
        return {"batchItemFailures": []}
    response: PartialItemFailureResponse = process_batch(event, context)
    return response


@metrics.log_metrics
@logger.inject_lambda_context
def process_batch(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    ingest = Ingest()
    outcome = ingest.process(KinesisStreamEvent(event), context.get_remaining_time_in_millis)
    ingest.publish(outcome)
    return process_partial_response(event=event, record_handler=outcome.settle, processor=processor, context=context)
