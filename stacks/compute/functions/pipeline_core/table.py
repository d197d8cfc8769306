"""State-table writes: DynamoDB BatchWriteItem in requests of 25, unprocessed items retried with backoff.

Items follow ../shared/DESIGN.md: hash `PipelineId` (shard id and sequence number), range `Timestamp`
(the record's arrival in the stream, epoch milliseconds), GSI `StatusIndex` (`Status`, `Timestamp`),
TTL `ExpirationTime` (epoch seconds). Every attribute comes from the record, none from the clock,
so processing the same record again writes the same item.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

MAX_ITEMS_PER_REQUEST = 25
"""The BatchWriteItem limit."""

RETRYABLE_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)

Item = dict[str, dict[str, str]]


def item(record: dict[str, Any], status: str, ttl_days: int, **attributes: str | int | None) -> Item:
    """The table item of `record` with `status`; extra attributes in CamelCase, None ones left out."""
    arrival_ms = int(record["arrival_ms"])
    result: Item = {
        "PipelineId": {"S": record["pipeline_id"]},
        "Timestamp": {"N": str(arrival_ms)},
        "Status": {"S": status},
        "ExpirationTime": {"N": str(arrival_ms // 1000 + ttl_days * 86_400)},
        "ShardId": {"S": record["shard_id"]},
        "SequenceNumber": {"S": record["sequence_number"]},
        "PartitionKey": {"S": record["partition_key"]},
    }
    for name, value in attributes.items():
        if value is None:
            continue
        result[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return result


class StateTable:
    """Writes items in as few requests as DynamoDB allows; reports what it could not write."""

    def __init__(
        self,
        client: Any,
        name: str,
        *,
        max_attempts: int = 6,
        base_delay: float = 0.05,
        max_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.name = name
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep

    def put(self, items: Sequence[Item]) -> list[Item]:
        """Write `items`; return those left unwritten (empty = all written).

        A throttled or briefly failing request counts as all of its items unprocessed. When a
        request still has unprocessed items after `max_attempts` tries, the table is overloaded:
        the remaining requests are not sent, and their items are returned with the unprocessed
        ones, so the time spent is bounded too. Any other error (a missing table, a malformed
        item) is raised.
        """
        for start in range(0, len(items), MAX_ITEMS_PER_REQUEST):
            requests = [{"PutRequest": {"Item": it}} for it in items[start : start + MAX_ITEMS_PER_REQUEST]]
            unwritten = self._write(requests)
            if unwritten:
                return unwritten + list(items[start + MAX_ITEMS_PER_REQUEST :])
        return []

    def _write(self, requests: list[dict[str, Any]]) -> list[Item]:
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.client.batch_write_item(RequestItems={self.name: requests})
                requests = response.get("UnprocessedItems", {}).get(self.name, [])
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in RETRYABLE_ERRORS:
                    raise
            if not requests:
                return []
            if attempt < self.max_attempts:
                # Full jitter: concurrent shards backing off together would otherwise retry together.
                self.sleep(random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt)))
        return [request["PutRequest"]["Item"] for request in requests]
