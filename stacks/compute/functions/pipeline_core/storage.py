"""S3 layout of the archive: one gzip JSON Lines object per chunk and prefix, at a deterministic key.

    archive/dt=YYYY-MM-DD/hour=HH/<shard id>-<first sequence number>.jsonl.gz
    quarantine/dt=YYYY-MM-DD/hour=HH/<shard id>-<first sequence number>.jsonl.gz

Date and hour are those of the chunk's first record's arrival in the stream (UTC), not of the
processing, and the name holds the chunk's first sequence number only: Kinesis redelivers a failed
batch from its first failed record, which is always the first record of a chunk, so the retry
writes the same key whatever the batch's end is this time (bisected, or longer because more records
arrived), and overwrites the object instead of adding a second copy of the same records. The last
sequence number and the record count are in the object's metadata. A rewrite keeps the lines of
the records it does not hold (`merge_lines`): a shorter delivery (a bisected batch) must not drop
the line of a record an earlier, longer one archived there, whose item still names the object. An
object that is gone (an operator deleted it) has no lines to keep, and the rewrite goes on.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from .model import dumps

CONTENT_TYPE = "application/x-ndjson"


def chunk_object_key(prefix: str, first_record: dict[str, Any]) -> str:
    """The key of the object under `prefix` of the chunk that starts with `first_record`."""
    arrived = datetime.fromtimestamp(first_record["arrival_ms"] / 1000, tz=UTC)
    name = f"{first_record['shard_id']}-{first_record['sequence_number']}.jsonl.gz"
    return f"{prefix}/dt={arrived:%Y-%m-%d}/hour={arrived:%H}/{name}"


def json_line(line: dict[str, Any]) -> bytes:
    """One compact ASCII JSON line: orjson, or Python's json where the line holds non-ASCII text
    (escaped, as every line of the archive is ASCII) or what orjson cannot encode."""
    encoded = dumps(line)
    if not encoded.isascii():
        encoded = json.dumps(line, separators=(",", ":")).encode("ascii")
    return encoded + b"\n"


def json_lines_gz(lines: list[dict[str, Any]]) -> bytes:
    """Gzip JSON Lines (ASCII, one object per line), with a zero mtime so equal content gives equal bytes."""
    return gzip.compress(b"".join(json_line(line) for line in lines), compresslevel=6, mtime=0)


def read_json_lines_gz(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(body).decode("ascii").splitlines() if line]


def put_lines(client: Any, bucket: str, key: str, lines: list[dict[str, Any]], metadata: dict[str, str]) -> None:
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=json_lines_gz(lines),
        ContentType=CONTENT_TYPE,
        Metadata=metadata,
    )


def lines_if_any(client: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    """The object's lines, or none when it is gone (an operator deleted it): its records' lines are
    lost either way, and writing the chunk's object again loses no other one."""
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchKey":
            return []
        raise
    return read_json_lines_gz(body)


def sequence_number_of(line: dict[str, Any]) -> str:
    """The sequence number of the record an archive line (an enriched event) or a quarantine line holds."""
    return str(line["pipeline"]["sequence_number"] if "pipeline" in line else line["sequence_number"])


def merge_lines(existing: list[dict[str, Any]], lines: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """`lines` and the lines of `existing` for records `lines` do not hold, in stream order; and
    their sequence numbers."""
    held = {sequence_number_of(line) for line in lines}
    merged = sorted(
        [line for line in existing if sequence_number_of(line) not in held] + lines,
        key=lambda line: int(sequence_number_of(line)),
    )
    return merged, [sequence_number_of(line) for line in merged]
