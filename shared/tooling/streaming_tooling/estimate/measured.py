"""What the data plane does per record, as `nox -s bench` measured it (`stacks/compute/bench/measured.json`).

The estimate never types these counts itself: requests per API, item writes to the table and to
`StatusIndex`, CPU per handler all come from the bench run over the data plane's own code paths.
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
    "StartSyncExecution": "stepfunctions",
}


@dataclass(frozen=True)
class MeasuredWork:
    requests_per_1000_records_by_api: Mapping[str, float]
    table_item_writes_per_record: float
    index_item_writes_per_record: float
    cpu_us_per_record_by_handler: Mapping[str, float]
    json_between_stages_us_per_record: float
    batch_size: int
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
        machine=str(document["machine"]),
        measured_on=str(document["measured_on"]),
    )
