"""validate: check each event against the JSON Schema `event.schema.json`; quarantine what fails.

The schema is compiled once per process with fastjsonschema, the engine behind Powertools'
validation utility. Powertools' `validate()` compiles the schema again on every call (about 4 ms
here, against about 4 us for a compiled check), which per record would cost 80 times the CPU budget
of the pure stages, so the compiled validator is called directly. An invalid record is quarantined
with the first violation fastjsonschema reports (`event.timestamp must be integer`).

Tolerant reader: only the required fields are checked for presence, and the fields the schema
names for type; a field it does not name is kept and archived, so a producer can add fields
without its events being quarantined. STRICT_ENVELOPE=true (config `strictEnvelope`) quarantines
events with fields the schema does not name. Either way, the names enrich writes
(`event_time`, `event_category`, `pipeline`) are refused at the top level: enrich would overwrite them.
A record staged by ingest or transform is read from the staging prefix (the loop is pipeline_core.steps').
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import fastjsonschema
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from pipeline_core import steps
from pipeline_core.observability import pipeline_logger, publish

STAGE = "validate"
SCHEMA_FILE = Path(__file__).with_name("event.schema.json")
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
check_tolerant = fastjsonschema.compile(SCHEMA, use_default=False)
check_strict = fastjsonschema.compile(SCHEMA | {"additionalProperties": False}, use_default=False)
DERIVED_FIELDS = ("event_time", "event_category", "pipeline")
"""What enrich adds to every event: a producer's field of one of these names would be overwritten."""

logger = pipeline_logger()
metrics = Metrics()


def strict() -> bool:
    return os.environ.get("STRICT_ENVELOPE", "false").strip().lower() == "true"


def violation(event: dict[str, Any], strict_envelope: bool = False) -> str | None:
    """None for a valid event, else the first rule it breaks."""
    try:
        (check_strict if strict_envelope else check_tolerant)(event)
    except fastjsonschema.JsonSchemaValueException as error:
        message = str(error.message)
        return "event" + message[4:] if message.startswith("data") else message
    reserved = [name for name in DERIVED_FIELDS if name in event]
    if reserved:
        return f"event must not contain {reserved}: enrich writes these fields"
    return None


def checked(event: dict[str, Any], strict_envelope: bool) -> None:
    """Nothing for a valid event; the record is quarantined with the first rule an invalid one breaks."""
    reason = violation(event, strict_envelope)
    if reason is not None:
        raise steps.Rejected(f"does not match the event schema: {reason}")


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    strict_envelope = strict()
    invalid = steps.run(event, STAGE, lambda found, record: checked(found, strict_envelope)).quarantined
    publish(metrics, STAGE, {"RecordsInvalid": invalid})
    if invalid:
        logger.info("records quarantined as invalid", extra={"invalid": invalid})
    return event
