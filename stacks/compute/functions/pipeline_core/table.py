"""The state table: one item per record, holding its final state (or FAILED while Kinesis retries it).

Key: hash `PipelineId` (shard id and sequence number), range `Timestamp` (the record's arrival in
the stream, epoch milliseconds); TTL `ExpirationTime` (epoch seconds). Every attribute comes from
the record, none from the clock, so processing the same record again writes the same item.

- `State` holds the record's state in every item.
- `Status` is written only for the states that need an operator's attention (QUARANTINED, FAILED),
  so `StatusIndex` (`Status`, `Timestamp`) is sparse: an archived record costs one item write to
  the table and none to the index.
- Final states (ARCHIVED, QUARANTINED, REPLAYED) are written by BatchWriteItem (25 items a
  request, unprocessed items retried with backoff); writing a final state again is idempotent.
  FAILED is written item by item with a condition that never replaces a final state: BatchWriteItem
  takes no conditions, and failures are rare, so the per-item requests cost nothing in the normal case.
- ingest reads the state of a batch's records once (BatchGetItem, 100 keys a request) and lets
  records that are final already through without work.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from streaming_shared.record_store import HASH_KEY, RANGE_KEY, STATUS_ATTRIBUTE, TTL_ATTRIBUTE

from .model import ATTENTION_STATUSES, FINAL_STATUSES

MAX_ITEMS_PER_REQUEST = 25
"""The BatchWriteItem limit."""
MAX_KEYS_PER_READ = 100
"""The BatchGetItem limit."""
STATE = "State"

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


_STATE_VALUES = {state: {"S": state} for state in (*FINAL_STATUSES, *ATTENTION_STATUSES)}
"""Attribute values built once: they are the same dicts in every item."""

NOT_FINAL = "NOT (#state IN (:archived, :quarantined, :replayed))"
"""The condition of a FAILED write. A missing attribute makes `IN` false, so a new item passes."""
STATE_NAMES = {"#state": STATE}
"""`State` is a DynamoDB reserved word: expressions name it through a placeholder."""
NOT_FINAL_VALUES = {
    ":archived": {"S": "ARCHIVED"},
    ":quarantined": {"S": "QUARANTINED"},
    ":replayed": {"S": "REPLAYED"},
}


def key(record: dict[str, Any]) -> Item:
    return {HASH_KEY: {"S": record["pipeline_id"]}, RANGE_KEY: {"N": str(int(record["arrival_ms"]))}}


def item(record: dict[str, Any], state: str, ttl_days: int, **attributes: str | int | None) -> Item:
    """The table item of `record` in `state`; extra attributes in CamelCase, None ones left out."""
    arrival_ms = int(record["arrival_ms"])
    value = _STATE_VALUES.get(state) or {"S": state}
    result: Item = {
        HASH_KEY: {"S": record["pipeline_id"]},
        RANGE_KEY: {"N": str(arrival_ms)},
        STATE: value,
        TTL_ATTRIBUTE: {"N": str(arrival_ms // 1000 + ttl_days * 86_400)},
        "ShardId": {"S": record["shard_id"]},
        "SequenceNumber": {"S": record["sequence_number"]},
        "PartitionKey": {"S": record["partition_key"]},
    }
    if state in ATTENTION_STATUSES:
        result[STATUS_ATTRIBUTE] = value
    for name, attribute in attributes.items():
        if attribute is None:
            continue
        result[name] = {"N": str(attribute)} if isinstance(attribute, int) else {"S": attribute}
    return result


def unique(items: Sequence[Item]) -> list[Item]:
    """`items` with one item per key, the last one winning: DynamoDB refuses a batch request that
    names a key twice (two records of one event with the same sequence number)."""
    by_key = {(it[HASH_KEY]["S"], it[RANGE_KEY]["N"]): it for it in items}
    return list(by_key.values()) if len(by_key) < len(items) else list(items)


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
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.client = client
        self.name = name
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep or time.sleep

    def put(self, items: Sequence[Item]) -> list[Item]:
        """Write `items`; return those left unwritten (empty = all written).

        A throttled or briefly failing request counts as all of its items unprocessed. When a
        request still has unprocessed items after `max_attempts` tries, the table is overloaded:
        the remaining requests are not sent, and their items are returned with the unprocessed
        ones, so the time spent is bounded too. Any other error (a missing table, a malformed
        item) is raised.
        """
        items = unique(items)
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

    def states(self, keys: Sequence[Item]) -> dict[str, tuple[str, str | None]] | None:
        """The state of each key that has an item, and the object its item names (None: none), by
        pipeline id (BatchGetItem, 100 keys a request, only the key, state and object attributes
        read). Unprocessed keys and throttled requests are retried with backoff; None when some keys
        are still unread after `max_attempts`. Raises for errors other than throttling."""
        found: dict[str, tuple[str, str | None]] = {}
        keys = unique(keys)
        for start in range(0, len(keys), MAX_KEYS_PER_READ):
            request: dict[str, Any] = {
                self.name: {
                    "Keys": keys[start : start + MAX_KEYS_PER_READ],
                    "ProjectionExpression": f"{HASH_KEY}, #state, ObjectKey",
                    "ExpressionAttributeNames": STATE_NAMES,
                }
            }
            for attempt in range(1, self.max_attempts + 1):
                try:
                    response = self.client.batch_get_item(RequestItems=request)
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") not in RETRYABLE_ERRORS:
                        raise
                else:
                    for found_item in response.get("Responses", {}).get(self.name, ()):
                        if STATE in found_item:
                            named = found_item.get("ObjectKey", {}).get("S")
                            found[found_item[HASH_KEY]["S"]] = (found_item[STATE]["S"], named)
                    request = response.get("UnprocessedKeys") or {}
                    if not request:
                        break
                if attempt < self.max_attempts:
                    self.sleep(random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt)))
            if request:
                return None
        return found

    def put_unless_final(self, items: Sequence[Item]) -> int:
        """Write each item (a FAILED one) unless its record's item holds a final state already;
        best effort: stops at the first error other than the condition. Returns items written."""
        written = 0
        for failed in unique(items):
            try:
                self.client.put_item(
                    TableName=self.name,
                    Item=failed,
                    ConditionExpression=NOT_FINAL,
                    ExpressionAttributeNames=STATE_NAMES,
                    ExpressionAttributeValues=NOT_FINAL_VALUES,
                )
                written += 1
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
        return written
