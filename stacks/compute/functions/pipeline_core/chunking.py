"""Split a batch into chunks whose JSON stays under the Step Functions payload limit at every stage.

Step Functions refuses an execution input or a state output above 256 KiB (States.DataLimitExceeded).
A chunk is sized at ingest, so the budget of each record includes what the later stages may add to
it (`growth`): transform's renamed fields, validate's quarantine reason or enrich's derived fields
and processing metadata (which copies the record's identity). A stage whose change would take a
record past that budget (transform parsing a JSON string payload that expands) moves the record to
the staging prefix instead (pipeline_core.claimcheck).

Sizes are measured as Python's `json.dumps` writes them with its default separators (`", "` and
`": "`) and non-ASCII escaped: that is how the Lambda Python runtime encodes each stage's result
(with non-ASCII escaped or as UTF-8, which is never longer), and the separators alone make a list of
small numbers half again as long as its compact form.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

STEP_FUNCTIONS_LIMIT_BYTES = 256 * 1024
"""The most a chunk may be; the compute layer's `maxPayloadBytes` (MAX_PAYLOAD_BYTES) keeps a margin below it."""

TIMINGS_RESERVE_BYTES = 512
"""The chunk-level `timings` the four stages add."""
TRANSFORM_GROWTH_BYTES = 64
"""What transform may add to a record inline: renamed keys, seconds to milliseconds, a numeric id
made a string. A parsed payload string that would grow the record by more is staged instead."""
BASE_GROWTH_BYTES = 640
"""Per record, besides the copied identity: transform <= TRANSFORM_GROWTH_BYTES, then either a
quarantine (<= 470 with the reason capped) or enrich's derived fields and metadata without identity
(<= 450 with `type` capped at 128 characters by the schema), or a staging reference (<= 140)."""


def encoded(value: Any) -> str:
    """`value` as the Lambda runtime passes it from one stage to the next (see above)."""
    return json.dumps(value)


def encoded_size(value: Any) -> int:
    return len(json.dumps(value))


def growth(record: dict[str, Any]) -> int:
    """The most the later stages add to `record`: enrich copies its identity into the event."""
    identity = [record["pipeline_id"], record["shard_id"], record["sequence_number"], record["partition_key"]]
    return BASE_GROWTH_BYTES + encoded_size(identity)


def record_cost(record: dict[str, Any], size: int | None = None) -> int:
    """Bytes `record` (`size` bytes encoded, when known) may take in any stage's output, plus its separator."""
    return (encoded_size(record) if size is None else size) + growth(record) + 2


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
