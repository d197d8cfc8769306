"""The loop transform, validate and enrich share: one stage's step over each live record's event.

A record quarantined by an earlier stage passes untouched. The event of a staged record
(pipeline_core.claimcheck) is read from its staging object and, when the step returns one, written
back; an inline event is replaced by what the step returns. An exception the step raises while
processing one record quarantines that record alone, with the stage and the error as its reason
(`Rejected` gives its own reason); failures of AWS calls (INFRASTRUCTURE_ERRORS) fail the execution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import claimcheck, model, settings
from .aws import INFRASTRUCTURE_ERRORS, client

Event = dict[str, Any]
Step = Callable[[Event, dict[str, Any]], Event | None]
"""(event, record) -> the event as the step leaves it, or None when the step changes nothing."""


class Rejected(Exception):
    """The step refuses the record's event: the record is quarantined with this reason."""


@dataclass
class Tally:
    """What a step did: records it passed, records it quarantined."""

    passed: int = 0
    quarantined: int = 0


def run(
    chunk: dict[str, Any],
    stage: str,
    step: Step,
    *,
    outgrew: Callable[[Event, Event], bool] | None = None,
) -> Tally:
    """Run `step` on every live record of `chunk` and record the stage's timing. `outgrew(before,
    after)` says when an inline event grew past what ingest budgeted for it: the record then moves
    to the staging prefix."""
    started = model.now_ms()
    tally = Tally()
    for record in chunk["records"]:
        if not model.is_live(record):
            continue
        try:
            if claimcheck.is_staged(record):
                bucket = settings.required("BUCKET_NAME")
                changed = step(claimcheck.fetch(client("s3"), bucket, record)["event"], record)
                if changed is not None:
                    claimcheck.store(client("s3"), bucket, record, {"event": changed})
            else:
                event = record["event"]
                changed = step(event, record)
                if changed is not None:
                    record["event"] = changed
                    if outgrew is not None and outgrew(event, changed):
                        claimcheck.stage(client("s3"), settings.required("BUCKET_NAME"), record)
        except INFRASTRUCTURE_ERRORS:
            raise
        except Rejected as rejection:
            model.quarantine(record, stage, str(rejection))
            tally.quarantined += 1
            continue
        except Exception as error:
            model.quarantine(record, stage, model.failure_reason(stage, error))
            tally.quarantined += 1
            continue
        tally.passed += 1
    model.record_timing(chunk, stage, started)
    return tally
