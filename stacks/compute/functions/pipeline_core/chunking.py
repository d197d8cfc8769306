"""Split a batch into chunks whose JSON stays under the Step Functions payload limit at every stage.

Step Functions refuses an execution input or a state output above 256 KiB (States.DataLimitExceeded).
A chunk is sized at ingest, so the budget of each record includes what the later stages may add to
it (`growth`): transform's renamed fields, validate's quarantine reason or enrich's derived fields
and processing metadata (which copies the record's identity). Sizes are measured as `json.dumps`
writes them (non-ASCII escaped), which is never less than the UTF-8 size Step Functions counts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

STEP_FUNCTIONS_LIMIT_BYTES = 256 * 1024
DEFAULT_MAX_PAYLOAD_BYTES = 200_000
"""Below the hard limit: the Lambda integration wraps each result in response metadata."""

TIMINGS_RESERVE_BYTES = 512
"""The chunk-level `timings` the four stages add."""
BASE_GROWTH_BYTES = 640
"""Per record, besides the copied identity: transform <= 64 (renamed keys, seconds to milliseconds),
then either validate's quarantine (<= 460 with the reason capped) or enrich's derived fields and
metadata without identity (<= 420 with `type` capped at 128 characters by the schema)."""


def encoded_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def growth(record: dict[str, Any]) -> int:
    """The most the later stages add to `record`: enrich copies its identity into the event."""
    identity = [record["pipeline_id"], record["shard_id"], record["sequence_number"], record["partition_key"]]
    return BASE_GROWTH_BYTES + encoded_size(identity)


def record_cost(record: dict[str, Any]) -> int:
    """Bytes `record` may take in any stage's output, plus its separating comma."""
    return encoded_size(record) + growth(record) + 1


def envelope_cost(envelope: dict[str, Any]) -> int:
    """Bytes of a chunk without records (built with the longest values it may hold), timings included."""
    return encoded_size(envelope) + TIMINGS_RESERVE_BYTES


def split(costs: Sequence[int], envelope: int, limit: int) -> list[range]:
    """Consecutive index ranges, each fitting `limit` with `envelope`; a cost that cannot fit alone
    must have been dealt with before (see `fits_alone`)."""
    ranges: list[range] = []
    start = 0
    used = envelope
    for index, cost in enumerate(costs):
        if index > start and used + cost > limit:
            ranges.append(range(start, index))
            start = index
            used = envelope
        used += cost
    if start < len(costs):
        ranges.append(range(start, len(costs)))
    return ranges


def fits_alone(cost: int, envelope: int, limit: int) -> bool:
    return envelope + cost <= limit
