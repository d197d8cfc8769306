"""How many records a second one shard's consumer sustains, and which limit binds.

One batch goes through the event source mapping (`esm_invoke`), then `ingest`: its own CPU, its
DynamoDB requests, and per chunk one synchronous Express run (`start_sync_execution`) of four Lambda
hops (`lambda_hop` each), each stage's CPU, and archive's S3 PUTs. A shard runs
`parallelizationFactor` such batches at once, so it sustains P x batch / (time per batch), at most
what the shard can be read at (2 MB/s). CPU is the bench's CPU per record, divided by the share of
a vCPU the function's memory buys (1,769 MB is one vCPU; Python uses one).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from streaming_shared.catalogue import repo_root

from .errors import EstimateError
from .measured import SERVICE_OF, MeasuredWork
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
runtime's JSON between stages grows with it, so that part is scaled by record size."""

LATENCY_MS: dict[str, float] = {
    "esm_invoke": 20.0,
    "dynamodb": 10.0,
    "s3_put": 100.0,
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
def _chunking() -> ModuleType:
    """The data plane's own chunking rules (`pipeline_core/chunking.py`, standard library only)."""
    path = repo_root() / "stacks" / "compute" / "functions" / "pipeline_core" / "chunking.py"
    spec = importlib.util.spec_from_file_location("streaming_estimate_chunking", path)
    if spec is None or spec.loader is None:
        raise EstimateError(f"cannot load the data plane's chunking rules from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KINESIS_SEQUENCE_DIGITS = 56
"""Kinesis sequence numbers are 56-digit strings; they travel in each record's identity."""


def inline_bytes_per_record(record_kb: float, sequence_digits: int = KINESIS_SEQUENCE_DIGITS) -> int:
    """What one record takes in the state machine's payload, by ingest's own sizing rule."""
    sequence_number = "4" * sequence_digits
    record: dict[str, Any] = {
        "pipeline_id": f"shardId-000000000000:{sequence_number}",
        "shard_id": "shardId-000000000000",
        "sequence_number": sequence_number,
        "partition_key": "k" * 16,
        "arrival_ms": 1_764_000_000_000,
        "size_bytes": int(record_kb * 1024),
        "event": {"data": "x" * max(0, int(record_kb * 1024) - 11)},
    }
    return int(_chunking().record_cost(record))


def executions_per_batch(
    records: float, record_kb: float, max_payload_bytes: int, sequence_digits: int = KINESIS_SEQUENCE_DIGITS
) -> float:
    """Chunks (Express executions) ingest splits a batch into; 1 KB of envelope per chunk."""
    room = max_payload_bytes - 1024
    return float(max(1, math.ceil(records * inline_bytes_per_record(record_kb, sequence_digits) / room)))


@dataclass(frozen=True)
class BatchTiming:
    records: float
    executions: float
    calls: Mapping[str, float]
    stage_seconds: Mapping[str, float]
    """Each stage's duration in one execution."""
    execution_seconds: float
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
    executions = executions_per_batch(records, record_kb, facts.max_payload_bytes, sequence_digits)
    calls = measured.calls_per_batch(records, executions)
    seconds = {name: ms / 1000 for name, ms in latencies.items()}
    per_execution = records / executions
    json_us = measured.json_between_stages_us_per_record * max(1.0, record_kb / BENCH_RECORD_KB)
    cpu = measured.cpu_us_per_record_by_handler
    s3_per_execution = sum(n for api, n in calls.items() if SERVICE_OF.get(api) == "s3") / executions
    stage_seconds = {
        stage: (cpu.get(stage, 0.0) + json_us / len(STAGES_IN_RUN)) * per_execution / 1e6 / shares[stage]
        + seconds["lambda_hop"]
        for stage in STAGES_IN_RUN
    }
    stage_seconds["archive"] += s3_per_execution * seconds["s3_put"]
    execution_seconds = sum(stage_seconds.values())
    dynamodb_calls = sum(n for api, n in calls.items() if SERVICE_OF.get(api) == "dynamodb")
    ingest_seconds = (
        cpu.get("ingest", 0.0) * records / 1e6 / shares["ingest"]
        + dynamodb_calls * seconds["dynamodb"]
        + executions * (seconds["start_sync_execution"] + execution_seconds)
    )
    return BatchTiming(
        records=records,
        executions=executions,
        calls=calls,
        stage_seconds=stage_seconds,
        execution_seconds=execution_seconds,
        ingest_seconds=ingest_seconds,
        cycle_seconds=seconds["esm_invoke"] + ingest_seconds,
    )


def records_per_batch(facts: StackFacts, records_per_second_per_shard: float, full_batch: BatchTiming) -> float:
    """A batch fills up to batchSize while the mapping waits (its window, at least its one-second poll)
    or while the shard's slots are busy with earlier batches."""
    wait = max(facts.batching_window_seconds, 1.0, full_batch.cycle_seconds / facts.parallelization_factor)
    return float(min(facts.batch_size, max(1.0, records_per_second_per_shard * wait)))


def shard_write_limit(record_kb: float) -> float:
    return min(SHARD_WRITE_RECORDS, SHARD_WRITE_KB / record_kb)


def shards_for(facts: StackFacts, records_per_second: float, record_kb: float) -> int:
    if facts.stream_mode == "ON_DEMAND":
        return max(ON_DEMAND_MIN_SHARDS, math.ceil(records_per_second / shard_write_limit(record_kb)))
    return facts.shard_count


@dataclass(frozen=True)
class Capacity:
    shards: int
    per_shard_records_per_second: float
    stream_write_limit_records_per_second: float
    sustainable_records_per_second: float
    bottleneck: str
    full_batch: BatchTiming

    @property
    def consumer_records_per_second(self) -> float:
        return self.per_shard_records_per_second * self.shards


def consumer_per_shard(facts: StackFacts, timing: BatchTiming) -> float:
    return facts.parallelization_factor * timing.records / timing.cycle_seconds


def capacity(
    facts: StackFacts,
    measured: MeasuredWork,
    latencies: Mapping[str, float],
    record_kb: float,
    records_per_second: float,
) -> Capacity:
    full = batch_timing(facts, measured, latencies, facts.batch_size, record_kb)
    read_limit = SHARD_READ_KB / record_kb
    consumer = consumer_per_shard(facts, full)
    per_shard = min(consumer, read_limit)
    shards = shards_for(facts, records_per_second, record_kb)
    write_limit = shards * shard_write_limit(record_kb)
    if per_shard * shards >= write_limit:
        bottleneck = "stream write limit"
    else:
        bottleneck = "consumer" if consumer <= read_limit else "stream read limit"
    return Capacity(
        shards=shards,
        per_shard_records_per_second=per_shard,
        stream_write_limit_records_per_second=write_limit,
        sustainable_records_per_second=min(per_shard * shards, write_limit),
        bottleneck=bottleneck,
        full_batch=full,
    )
