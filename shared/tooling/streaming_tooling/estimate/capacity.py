"""How many records a second one shard's consumer sustains, and which limit binds.

The model (a batch's path through ingest and the state machine, the partition keys that cap the
batches in flight, CPU by the memory's share of a vCPU) is docs/cost-and-capacity.md's "The
capacity model". A record too large to pass the state machine inline travels by claim check, and
a batch holds at most `batchSize` records and at most Lambda's 6 MB invocation payload.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from streaming_shared.catalogue import repo_root
from streaming_shared.record_store import STAGING_PREFIX

from .errors import EstimateError
from .measured import CALLER, SERVICE_OF, MeasuredWork
from .stack import StackFacts

STAGES_IN_RUN = ("transform", "validate", "enrich", "archive")
LAMBDA_MB_PER_VCPU = 1769
"""Lambda developer guide, "Configure Lambda function memory": at 1,769 MB a function has the
equivalent of one vCPU; CPU is allocated in proportion to memory."""
SHARD_WRITE_RECORDS = 1000
SHARD_WRITE_KB = 1024
SHARD_READ_KB = 2048
"""Kinesis Data Streams quotas: per shard 1,000 records and 1 MiB a second in, 2 MiB a second out."""
ON_DEMAND_MIN_SHARDS = 4
"""An ON_DEMAND stream starts with 4 MiB/s (4,000 records/s) of write capacity and adds shards as
traffic grows (Kinesis developer guide, "On-demand mode")."""
BENCH_RECORD_KB = 0.2
"""The bench's producer events are about 210 bytes (bench_dataplane.producer_event). The handlers'
CPU per record hardly moves with size (measured within 10% at 1 KB: their work is per item); the
runtime's JSON between stages grows with it, so that part is scaled by the size a record has in the
state machine's payload (a staged record's is its reference: about 1 KB)."""
INVOCATION_PAYLOAD_BYTES = 6 * 1024 * 1024
"""Lambda's limit on a synchronous invocation's payload: the mapping cuts a batch to fit it."""
EVENT_BYTES_PER_RECORD = 600
"""What the Kinesis event adds to each record's base64 data: its ids, ARNs and timestamps."""
ENVELOPE_BYTES = 1024
"""A chunk's own fields in the state machine input, besides its records."""
CLAIM_CHECK_CALLER = {"PutObject": ("ingest", "transform", "enrich"), "GetObject": STAGES_IN_RUN}
"""Who makes the S3 requests of a staged record (pipeline_core.claimcheck): ingest stores it,
transform and enrich store it again, each stage reads it; archive deletes it (DeleteObjects)."""

LATENCY_MS: dict[str, float] = {
    "esm_invoke": 20.0,
    "dynamodb": 10.0,
    "s3_put": 100.0,
    "s3_get": 50.0,
    "start_sync_execution": 50.0,
    "lambda_hop": 25.0,
}
LATENCY_SOURCES = {
    "esm_invoke": "the mapping's GetRecords and Invoke per batch; assumed (no published figure), measure "
    "with the function's Duration vs. the batch's IteratorAge",
    "dynamodb": "per request; DynamoDB promises single-digit millisecond latency "
    "(https://aws.amazon.com/dynamodb/features/), 10 ms for a 25-item BatchWriteItem",
    "s3_put": "per PUT; S3 performance guidelines give 100-200 ms for small objects "
    "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance-design-patterns.html)",
    "s3_get": "per GET of a staged record, first byte to last; assumed from the same guidelines",
    "start_sync_execution": "per execution, beyond its states; assumed (no published figure), measure "
    "with X-Ray on a deployed stack",
    "lambda_hop": "per Task state invoking a Lambda function (warm), beyond the function's duration; "
    "assumed, measure with X-Ray",
}


def latencies_with(overrides: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(overrides) - set(LATENCY_MS))
    if unknown:
        raise EstimateError(
            f"unknown latency {', '.join(map(repr, unknown))}; the latencies are {', '.join(LATENCY_MS)}"
        )
    for name, value in overrides.items():
        if not 0 <= value <= 60_000:
            raise EstimateError(f"latency {name} = {value}: must be from 0 to 60000 ms")
    return {**LATENCY_MS, **overrides}


def cpu_share(memory_mb: int) -> float:
    return min(1.0, memory_mb / LAMBDA_MB_PER_VCPU)


@cache
def module_from_file(name: str, path: Path, what: str) -> ModuleType:
    """A module of a layer or of the data plane, loaded by path as `name`: no layer is installed."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise EstimateError(f"cannot load {what} from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # a dataclass looks its module up while it is made
    spec.loader.exec_module(module)
    return module


def _chunking() -> ModuleType:
    path = repo_root() / "stacks" / "compute" / "functions" / "pipeline_core" / "chunking.py"
    return module_from_file("streaming_estimate_chunking", path, "the data plane's chunking rules")


KINESIS_SEQUENCE_DIGITS = 56
"""Kinesis sequence numbers are 56-digit strings; they travel in each record's identity."""


def _record(record_kb: float, sequence_digits: int) -> dict[str, Any]:
    sequence_number = "4" * sequence_digits
    return {
        "pipeline_id": f"shardId-000000000000:{sequence_number}",
        "shard_id": "shardId-000000000000",
        "sequence_number": sequence_number,
        "partition_key": "k" * 16,
        "arrival_ms": 1_764_000_000_000,
        "size_bytes": int(record_kb * 1024),
        "event": {"data": "x" * max(0, int(record_kb * 1024) - 11)},
    }


def inline_bytes_per_record(record_kb: float, sequence_digits: int = KINESIS_SEQUENCE_DIGITS) -> int:
    """What one record takes in the state machine's payload, by ingest's own sizing rule."""
    return int(_chunking().record_cost(_record(record_kb, sequence_digits)))


def staged_bytes_per_record(sequence_digits: int = KINESIS_SEQUENCE_DIGITS) -> int:
    """What a record that travels by reference takes inline: its identity and the staging object's key."""
    reference = {name: value for name, value in _record(0, sequence_digits).items() if name != "event"}
    key = f"{STAGING_PREFIX}/{reference['shard_id']}/{reference['sequence_number']}.json"
    reference["staged"] = {"key": key, "bytes": 0}
    return int(_chunking().record_cost(reference))


def is_staged(record_kb: float, max_payload_bytes: int, sequence_digits: int = KINESIS_SEQUENCE_DIGITS) -> bool:
    """Whether ingest sends records of this size by claim check (they do not fit an execution alone)."""
    return inline_bytes_per_record(record_kb, sequence_digits) + ENVELOPE_BYTES > max_payload_bytes


def executions_per_batch(
    records: float, record_kb: float, max_payload_bytes: int, sequence_digits: int = KINESIS_SEQUENCE_DIGITS
) -> float:
    """Chunks (Express executions) ingest splits a batch into."""
    room = max_payload_bytes - ENVELOPE_BYTES
    per_record = (
        staged_bytes_per_record(sequence_digits)
        if is_staged(record_kb, max_payload_bytes, sequence_digits)
        else inline_bytes_per_record(record_kb, sequence_digits)
    )
    return float(max(1, math.ceil(records * per_record / room)))


def records_per_invocation(record_kb: float) -> int:
    """The most records of this size a batch can hold under Lambda's 6 MB invocation payload (base64 data)."""
    event_bytes = math.ceil(record_kb * 1024 / 3) * 4 + EVENT_BYTES_PER_RECORD
    return max(1, INVOCATION_PAYLOAD_BYTES // event_bytes)


def batch_limit(facts: StackFacts, record_kb: float) -> int:
    return min(facts.batch_size, records_per_invocation(record_kb))


@dataclass(frozen=True)
class BatchTiming:
    records: float
    executions: float
    staged: bool
    """Whether the batch's records travel by claim check."""
    calls: Mapping[str, float]
    """API calls of the batch, the claim check's S3 requests included."""
    stage_seconds: Mapping[str, float]
    """Each stage's duration in one execution: what Lambda bills (the hops around it are Step Functions')."""
    execution_seconds: float
    """One execution, from its first hop to archive's answer: what Express bills."""
    ingest_seconds: float
    cycle_seconds: float
    """From the mapping taking the batch to ingest returning: what one slot of the shard spends on it."""


def batch_timing(
    facts: StackFacts,
    measured: MeasuredWork,
    latencies: Mapping[str, float],
    records: float,
    record_kb: float,
    *,
    sequence_digits: int = KINESIS_SEQUENCE_DIGITS,
) -> BatchTiming:
    """Time for one batch of `records` (`sequence_digits`: moto's sequence numbers are shorter)."""
    shares = {stage: cpu_share(f.memory_mb) for stage, f in facts.functions.items()}
    staged = is_staged(record_kb, facts.max_payload_bytes, sequence_digits)
    executions = executions_per_batch(records, record_kb, facts.max_payload_bytes, sequence_digits)
    calls = measured.calls_per_batch(records, executions)
    claim_calls = {api: n * records for api, n in measured.claim_check.s3_requests_by_api.items()} if staged else {}
    seconds = {name: ms / 1000 for name, ms in latencies.items()}
    per_execution = records / executions
    inline_kb = staged_bytes_per_record(sequence_digits) / 1024 if staged else record_kb
    json_us = measured.json_between_stages_us_per_record * max(1.0, inline_kb / BENCH_RECORD_KB)
    cpu = measured.cpu_us_per_record_by_handler

    def call_seconds(api: str) -> float:
        if SERVICE_OF.get(api) == "dynamodb":
            return seconds["dynamodb"]
        return seconds["s3_put"] if api == "PutObject" else seconds["s3_get"]

    def waits(stage: str) -> float:
        """Seconds `stage` waits for its own calls in the whole batch."""
        own = sum(n * call_seconds(api) for api, n in calls.items() if CALLER.get(api) == stage)
        if staged:
            own += records * seconds["s3_put"] * (stage in CLAIM_CHECK_CALLER["PutObject"])
            own += records * seconds["s3_get"] * (stage in CLAIM_CHECK_CALLER["GetObject"])
        return own

    stage_seconds = {
        stage: (cpu.get(stage, 0.0) + json_us / len(STAGES_IN_RUN)) * per_execution / 1e6 / shares[stage]
        + waits(stage) / executions
        for stage in STAGES_IN_RUN
    }
    execution_seconds = sum(stage_seconds.values()) + len(STAGES_IN_RUN) * seconds["lambda_hop"]
    ingest_seconds = (
        cpu.get("ingest", 0.0) * records / 1e6 / shares["ingest"]
        + waits("ingest")
        + executions * (seconds["start_sync_execution"] + execution_seconds)
    )
    all_calls = dict(calls)
    for api, n in claim_calls.items():
        all_calls[api] = all_calls.get(api, 0.0) + n
    return BatchTiming(
        records=records,
        executions=executions,
        staged=staged,
        calls=all_calls,
        stage_seconds=stage_seconds,
        execution_seconds=execution_seconds,
        ingest_seconds=ingest_seconds,
        cycle_seconds=seconds["esm_invoke"] + ingest_seconds,
    )


def records_per_batch(facts: StackFacts, records_per_second_per_shard: float, full_batch: BatchTiming) -> float:
    """A batch fills up to its limit while the mapping waits (its window, at least its one-second poll)
    or while the shard's slots are busy with earlier batches."""
    wait = max(facts.batching_window_seconds, 1.0, full_batch.cycle_seconds / facts.parallelization_factor)
    return float(min(full_batch.records, max(1.0, records_per_second_per_shard * wait)))


def shard_write_limit(record_kb: float) -> float:
    return min(SHARD_WRITE_RECORDS, SHARD_WRITE_KB / record_kb)


def shards_for(facts: StackFacts, records_per_second: float, record_kb: float) -> int:
    if facts.stream_mode == "ON_DEMAND":
        return max(ON_DEMAND_MIN_SHARDS, math.ceil(records_per_second / shard_write_limit(record_kb)))
    return facts.shard_count


def loaded_shards(shards: int, partition_keys: int | None) -> int:
    """The shards that get records: a partition key's records all go to one shard (None: many keys)."""
    return shards if partition_keys is None else max(1, min(shards, partition_keys))


def concurrent_batches(facts: StackFacts, shards: int, partition_keys: int | None) -> float:
    """Batches a loaded shard runs at once: its factor, or as many as it has keys (None: many keys)."""
    if partition_keys is None:
        return float(facts.parallelization_factor)
    return float(min(facts.parallelization_factor, partition_keys / loaded_shards(shards, partition_keys)))


@dataclass(frozen=True)
class Capacity:
    shards: int
    loaded_shards: int
    """The shards the partition keys reach."""
    concurrent_batches: float
    per_shard_records_per_second: float
    stream_write_limit_records_per_second: float
    sustainable_records_per_second: float
    bottleneck: str
    full_batch: BatchTiming

    @property
    def consumer_records_per_second(self) -> float:
        return self.per_shard_records_per_second * self.loaded_shards


def consumer_per_shard(concurrent: float, timing: BatchTiming) -> float:
    return concurrent * timing.records / timing.cycle_seconds


def capacity(
    facts: StackFacts,
    measured: MeasuredWork,
    latencies: Mapping[str, float],
    record_kb: float,
    records_per_second: float,
    *,
    partition_keys: int | None = None,
) -> Capacity:
    full = batch_timing(facts, measured, latencies, batch_limit(facts, record_kb), record_kb)
    read_limit = SHARD_READ_KB / record_kb
    shards = shards_for(facts, records_per_second, record_kb)
    loaded = loaded_shards(shards, partition_keys)
    concurrent = concurrent_batches(facts, shards, partition_keys)
    consumer = consumer_per_shard(concurrent, full)
    per_shard = min(consumer, read_limit)
    write_limit = loaded * shard_write_limit(record_kb)
    if per_shard * loaded >= write_limit:
        bottleneck = "stream write limit"
    else:
        bottleneck = "consumer" if consumer <= read_limit else "stream read limit"
    return Capacity(
        shards=shards,
        loaded_shards=loaded,
        concurrent_batches=concurrent,
        per_shard_records_per_second=per_shard,
        stream_write_limit_records_per_second=write_limit,
        sustainable_records_per_second=min(per_shard * loaded, write_limit),
        bottleneck=bottleneck,
        full_batch=full,
    )
