"""Where the pipeline keeps its records: the archive bucket's prefixes and the state table's schema.

The data layer creates the bucket's lifecycle rules by these prefixes and the table with this
schema, the compute layer grants its functions these prefixes, the functions write by them, and
the observability layer watches the index. Packaging copies this module into every function's
package, so it imports nothing: a function needs nothing else of `streaming_shared`.
"""

ARCHIVE_PREFIX = "archive"
"""A chunk's valid records, one gzip JSON Lines object per chunk (`<prefix>/dt=<date>/hour=<hour>/...`)."""
QUARANTINE_PREFIX = "quarantine"
"""A chunk's rejected records, with the reason and the producer's data, one object per chunk."""
STAGING_PREFIX = "staging"
"""A record too large to pass through the state machine inline, while it travels by reference
(claim check): `staging/<shard id>/<sequence number>.json`."""

HASH_KEY = "PipelineId"
"""A record's shard id and sequence number: the same for every delivery of the record."""
RANGE_KEY = "Timestamp"
"""The record's arrival in the stream, epoch milliseconds."""
STATUS_INDEX = "StatusIndex"
"""The global secondary index (STATUS_ATTRIBUTE, RANGE_KEY) of the records that need attention."""
STATUS_ATTRIBUTE = "Status"
"""Written only in the states that need an operator's attention, so STATUS_INDEX is sparse."""
TTL_ATTRIBUTE = "ExpirationTime"
"""Epoch seconds after which DynamoDB's TTL removes the item."""
RECORD_TTL_DAYS = 7
"""Days a state item is kept by default (compute's `recordTtlDays`): long enough to follow recent
records and find the ones that need attention, the least the cost estimate's recommendations keep."""
