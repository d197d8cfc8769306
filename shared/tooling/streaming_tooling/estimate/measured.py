"""What the data plane does per record, as `nox -s bench` measured it (`stacks/compute/bench/measured.json`).

The estimate never types these counts itself: requests per API, item writes to the table and to
`StatusIndex`, CPU per handler, the bytes the archive stores per record, a state item's size, the
bytes of each StartSyncExecution, the S3 requests of a record that goes by claim check, all come
from the bench run over the data plane's own code paths.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streaming_shared.catalogue import repo_root

from .errors import EstimateError

MEASURED_FILE = Path("stacks") / "compute" / "bench" / "measured.json"
REQUIRED_KEYS = (
    "requests_per_1000_records",
    "requests_per_1000_records_by_api",
    "table_item_writes_per_record",
    "index_item_writes_per_record",
    "cpu_us_per_record_by_handler",
    "cpu_us_per_record_total",
    "json_between_stages_us_per_record",
    "stored_by_record_kb",
    "claim_check",
    "batch_size",
    "machine",
    "measured_on",
)

ITEMS_PER_REQUEST = {"BatchWriteItem": 25, "BatchGetItem": 100}
"""DynamoDB's per-request item limits: how these calls scale with the batch size."""
PER_EXECUTION = frozenset({"StartSyncExecution", "PutObject"})
"""Calls made once per state machine execution (ingest starts one per chunk; archive writes a chunk's object)."""
SERVICE_OF = {
    "BatchWriteItem": "dynamodb",
    "BatchGetItem": "dynamodb",
    "PutItem": "dynamodb",
    "UpdateItem": "dynamodb",
    "GetItem": "dynamodb",
    "Query": "dynamodb",
    "TransactWriteItems": "dynamodb",
    "PutObject": "s3",
    "GetObject": "s3",
    "DeleteObjects": "s3",
    "StartSyncExecution": "stepfunctions",
}
CALLER = {"BatchGetItem": "ingest", "GetItem": "ingest", "BatchWriteItem": "archive", "PutObject": "archive"}
"""Which function waits for each call: ingest reads the batch's states, archive writes the final
states and the chunk's object."""


@dataclass(frozen=True)
class Line:
    """A quantity measured at two record sizes, drawn as the line through them (never below `floor`)."""

    at: tuple[tuple[float, float], tuple[float, float]]
    """(record bytes, value) twice."""
    floor: float = 0.0

    def __call__(self, record_bytes: float) -> float:
        (x0, y0), (x1, y1) = self.at
        slope = (y1 - y0) / (x1 - x0) if x1 != x0 else 0.0
        return max(self.floor, y0 + slope * (record_bytes - x0))


@dataclass(frozen=True)
class StoredSizes:
    """Bytes per record the bench measured at two record sizes (`stored_by_record_kb`)."""

    archived_bytes: Line
    """gzip bytes the archive holds per record."""
    state_item_bytes: float
    """A state item as DynamoDB bills its storage (attributes plus 100 bytes)."""
    sync_request_bytes: Line
    """StartSyncExecution request bytes per record of the execution."""
    sync_answer_bytes: Line
    """StartSyncExecution answer bytes per record (the answer repeats the input and adds the output)."""

    @property
    def smallest_record_bytes(self) -> float:
        """The smaller record size measured: about what a staged record's reference takes inline."""
        return self.sync_request_bytes.at[0][0]


@dataclass(frozen=True)
class ClaimCheck:
    """S3 requests per record that travels by reference, beyond its chunk's object."""

    s3_requests_by_api: Mapping[str, float]


@dataclass(frozen=True)
class MeasuredWork:
    requests_per_1000_records_by_api: Mapping[str, float]
    table_item_writes_per_record: float
    index_item_writes_per_record: float
    cpu_us_per_record_by_handler: Mapping[str, float]
    json_between_stages_us_per_record: float
    batch_size: int
    stored: StoredSizes
    claim_check: ClaimCheck
    machine: str = ""
    measured_on: str = ""

    def calls_per_batch(self, records: float, executions: float) -> dict[str, float]:
        """API calls for one batch of `records` run in `executions` state machine executions, scaled from
        the bench's batches by each call's own unit (items per request, executions, or records)."""
        measured_executions = self._per_measured_batch("StartSyncExecution") or 1.0
        calls = {}
        for api in self.requests_per_1000_records_by_api:
            per_batch = self._per_measured_batch(api)
            if api in ITEMS_PER_REQUEST:
                limit = ITEMS_PER_REQUEST[api]
                calls[api] = per_batch * math.ceil(records / limit) / math.ceil(self.batch_size / limit)
            elif api in PER_EXECUTION:
                calls[api] = per_batch * executions / measured_executions
            else:
                calls[api] = per_batch * records / self.batch_size
        return calls

    def _per_measured_batch(self, api: str) -> float:
        return self.requests_per_1000_records_by_api.get(api, 0.0) * self.batch_size / 1000

    @property
    def read_items_per_record(self) -> float:
        """Items read per record: BatchGetItem reads up to 100 keys a request, GetItem one."""
        by_api = self.requests_per_1000_records_by_api
        batch_get = by_api.get("BatchGetItem", 0.0) / 1000 * ITEMS_PER_REQUEST["BatchGetItem"]
        return min(1.0, batch_get) + by_api.get("GetItem", 0.0) / 1000


def _line(sizes: Mapping[str, Mapping[str, float]], figure: str, per_record: bool = False) -> Line:
    points = []
    for size in sorted(sizes.values(), key=lambda s: s["record_bytes"]):
        value = float(size[figure]) / (float(size["records_per_execution"]) if per_record else 1.0)
        points.append((float(size["record_bytes"]), value))
    if len(points) != 2:
        raise EstimateError("stored_by_record_kb must hold two record sizes; run `nox -s bench` to rewrite it")
    return Line((points[0], points[1]), floor=min(value for _, value in points) / 10)


def stored_sizes(sizes: Mapping[str, Mapping[str, float]]) -> StoredSizes:
    return StoredSizes(
        archived_bytes=_line(sizes, "archived_bytes_per_record"),
        state_item_bytes=max(float(size["state_item_bytes"]) for size in sizes.values()),
        sync_request_bytes=_line(sizes, "sync_request_bytes_per_execution", per_record=True),
        sync_answer_bytes=_line(sizes, "sync_answer_bytes_per_execution", per_record=True),
    )


def load_measured(path: Path | None = None) -> MeasuredWork:
    """measured.json, or an EstimateError saying how to produce it."""
    path = path or repo_root() / MEASURED_FILE
    if not path.exists():
        raise EstimateError(f"{path} does not exist; run `nox -s bench` to measure the data plane")
    try:
        document: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise EstimateError(f"{path} is not JSON ({error}); run `nox -s bench` to rewrite it") from None
    missing = [key for key in REQUIRED_KEYS if key not in document]
    if missing:
        raise EstimateError(f"{path} lacks {', '.join(missing)}; run `nox -s bench` to rewrite it")
    return MeasuredWork(
        requests_per_1000_records_by_api={k: float(v) for k, v in document["requests_per_1000_records_by_api"].items()},
        table_item_writes_per_record=float(document["table_item_writes_per_record"]),
        index_item_writes_per_record=float(document["index_item_writes_per_record"]),
        cpu_us_per_record_by_handler={k: float(v) for k, v in document["cpu_us_per_record_by_handler"].items()},
        json_between_stages_us_per_record=float(document["json_between_stages_us_per_record"]),
        batch_size=int(document["batch_size"]),
        stored=stored_sizes(document["stored_by_record_kb"]),
        claim_check=ClaimCheck(
            {k: float(v) for k, v in document["claim_check"]["s3_requests_per_staged_record_by_api"].items()}
        ),
        machine=str(document["machine"]),
        measured_on=str(document["measured_on"]),
    )
