"""transform: normalise each event's field names, timestamp and types, so validate sees one shape.

- Field names: the five fields of the schema (and `version`, `metadata`) are recognised under the
  usual producer spellings, whatever the case and separators (`eventId`, `event_id`, `EventID`,
  `ts`, `occurredAt`, `detail`...) and renamed; when the canonical name is present as well, it wins
  and the alias stays as it is (validate then reports it as an unknown field). Other fields are
  left untouched: what they mean is for the schema to decide, not for a guess here.
- `timestamp`: epoch seconds, milliseconds, microseconds or nanoseconds (numbers or numeric
  strings, told apart by magnitude) and ISO 8601 strings (no offset = UTC) become epoch
  milliseconds; anything else is left for validate to reject.
- Types: a numeric `id` becomes a string; `id`, `source` and `type` lose surrounding whitespace;
  a `payload` sent as a JSON-encoded object string becomes the object (parsed as strictly as ingest
  parses records); a numeric string `version` becomes an integer.
The loop is pipeline_core.steps': quarantined records pass through untouched, a record staged by
ingest is read from and written back to the staging prefix. transform rejects nothing on purpose
(that is validate's job), but an exception while reshaping one record quarantines that record
alone. A parsed payload string that would grow the record past the budget ingest gave it (a short
string of many numbers expands when parsed and encoded again) moves the record to the staging
prefix (`expanded`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from pipeline_core import chunking, model, steps
from pipeline_core.observability import pipeline_logger, publish

STAGE = "transform"

logger = pipeline_logger()
metrics = Metrics()

ALIASES = {
    "id": ("id", "eventid", "uuid", "messageid"),
    "source": ("source", "eventsource", "origin", "producer"),
    "type": ("type", "eventtype", "detailtype", "kind", "eventname"),
    "timestamp": ("timestamp", "time", "ts", "eventtime", "occurredat", "createdat", "datetime"),
    "payload": ("payload", "data", "detail", "body"),
    "version": ("version", "schemaversion"),
    "metadata": ("metadata", "meta"),
}
FOLDED = {alias: canonical for canonical, aliases in ALIASES.items() for alias in aliases}
SEPARATORS = re.compile(r"[\s_.-]+")
NUMBER = re.compile(r"-?\d{1,30}(\.\d{1,30})?")
"""A numeric timestamp string: at most 30 digits each side (far past any point in time), so neither
`int` (Python refuses more than 4,300 digits) nor `float` (past 1e308 is infinity) can fail on it."""
_names: dict[str, str | None] = {}


def canonical_name(key: str) -> str | None:
    """The schema field `key` spells, or None. Cached: producers repeat the same keys."""
    try:
        return _names[key]
    except KeyError:
        name = FOLDED.get(SEPARATORS.sub("", key).lower())
        if len(_names) < 10_000:
            _names[key] = name
        return name


def scaled_to_ms(value: float) -> int | float:
    magnitude = abs(value)
    if magnitude >= 1e20:
        return value
    if magnitude < 1e11:
        return round(value * 1000)
    if magnitude < 1e14:
        return round(value)
    if magnitude < 1e17:
        return round(value / 1_000)
    return round(value / 1_000_000)


def epoch_ms(value: Any) -> Any:
    """`value` as epoch milliseconds when it reads as a point in time; otherwise `value` unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return scaled_to_ms(value) if abs(value) < 1e300 else value
    if isinstance(value, str):
        text = value.strip()
        if NUMBER.fullmatch(text):
            return scaled_to_ms(float(text) if "." in text else int(text))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return round(moment.timestamp() * 1000)
        except (OverflowError, ValueError):
            return value
    return value


def normalise(event: dict[str, Any]) -> dict[str, Any]:
    """`event` reshaped (see above); raises nothing but for a bug."""
    result: dict[str, Any] = {}
    for key, value in event.items():
        name = canonical_name(key)
        if name is None or name in result or (name != key and name in event):
            result[key] = value
        else:
            result[name] = value
    identifier = result.get("id")
    if isinstance(identifier, int) and not isinstance(identifier, bool):
        result["id"] = str(identifier)
    for name in ("id", "source", "type"):
        if isinstance(result.get(name), str):
            result[name] = result[name].strip()
    if "timestamp" in result:
        result["timestamp"] = epoch_ms(result["timestamp"])
    payload = result.get("payload")
    if isinstance(payload, str) and payload.lstrip().startswith("{"):
        try:
            decoded = model.parse(payload)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            result["payload"] = decoded
    version = result.get("version")
    if isinstance(version, str) and version.strip().isdigit():
        result["version"] = int(version.strip())
    return result


def expanded(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether `after` (with a parsed payload string) outgrew what ingest budgeted for transform."""
    payload = after.get("payload")
    parsed = isinstance(payload, dict) and all(value is not payload for value in before.values())
    return parsed and chunking.encoded_size(after) > chunking.encoded_size(before) + chunking.TRANSFORM_GROWTH_BYTES


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tally = steps.run(event, STAGE, lambda found, record: normalise(found), outgrew=expanded)
    publish(metrics, STAGE, {"RecordsTransformed": tally.passed})
    return event
