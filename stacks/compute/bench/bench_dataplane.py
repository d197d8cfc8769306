"""`nox -s bench`: what the data plane costs for 1,000 records at batch size 100.

1. AWS requests per 1,000 records: records are put into a Kinesis stream in moto server, read back
   in batches of 100 and run through ingest and the four stages (tools/dataplane_runner.py: only
   StartSyncExecution is answered in-process). Every API call the functions' clients make is
   counted from botocore events. Goal: at most 100; a design with per-record calls needs about
   6,000 (per record: a PutItem from ingest, a Step Functions start, a PutObject, a PutItem from
   archive, plus the stage hand-offs).
2. CPU microseconds per record of transform, validate and enrich: the chunks the state machine
   received in step 1 are run through the three stages again many times, timed with
   time.process_time (moto stopped first, so only this work is on the clock). Goal: under 50 us
   per record for the three together (a shard delivers up to 1,000 records a second). Reported
   for the stage code alone and for the whole handlers (Powertools Logger and Metrics included,
   their output sent to /dev/null); the Lambda runtime's JSON decoding and encoding between the
   stages is shown separately, for scale.
This is a measurement, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import dataplane_runner as runner

from streaming_tooling.testing import TEST_REGION

RECORDS = 1_000
BATCH_SIZE = 100
REQUEST_GOAL = 100
PER_RECORD_DESIGN_REQUESTS = 6_000
CPU_GOAL_US = 50.0
PURE_STAGES = ("transform", "validate", "enrich")


def producer_event(number: int) -> dict[str, Any]:
    """A typical producer event (about 250 bytes), with the aliases transform normalises."""
    return {
        "eventId": f"ord-{number:08d}",
        "source": "orders-service",
        "eventType": "order.created",
        "ts": 1_764_000_000 + number,
        "data": {"order": number, "customer": f"c-{number % 97}", "amount": round(number * 1.37, 2), "items": 3},
        "metadata": {"trace": f"t-{number:x}"},
    }


def workload(mixed: bool) -> list[bytes]:
    events = [json.dumps(producer_event(n)).encode() for n in range(RECORDS)]
    if mixed:
        for n in range(0, RECORDS, 40):
            events[n] = b"\xff not json"
        for n in range(20, RECORDS, 40):
            events[n] = json.dumps({"eventId": f"bad-{n}", "source": "orders-service"}).encode()
    return events


def count_requests(mixed: bool) -> tuple[Counter[str], Counter[str], list[str]]:
    """API calls and HTTP sends of the functions for RECORDS records; and the chunks transform received."""
    pipeline = runner.Pipeline(region=TEST_REGION, environment="bench")
    pipeline.put(workload(mixed))
    records = pipeline.read()
    assert len(records) == RECORDS, len(records)
    chunks: list[str] = []

    def keep_input(stage: str, payload: dict[str, Any]) -> None:
        if stage == "transform":
            chunks.append(json.dumps(payload))

    pipeline.state_machine.before_step = keep_input
    pipeline.requests.reset()
    for batch in runner.batches(records, BATCH_SIZE):
        response = pipeline.invoke(pipeline.event(batch))
        assert response == {"batchItemFailures": []}, response
    return Counter(pipeline.requests.calls), Counter(pipeline.requests.sends), chunks


@contextlib.contextmanager
def stdout_discarded():
    """Powertools writes logs and EMF metrics to file descriptor 1: send it to /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def cpu_per_record(chunks: list[str], repetitions: int) -> dict[str, float]:
    """Microseconds of CPU per record: each stage's code, the three handlers, and runtime JSON."""
    stages = runner.handlers()
    functions = {
        "transform": stages["transform"].transform,
        "validate": lambda chunk: stages["validate"].validate(chunk)[0],
        "enrich": lambda chunk: stages["enrich"].enrich(chunk)[0],
    }
    context = runner.LambdaContext(function_name="bench")
    totals: Counter[str] = Counter()
    records = 0
    with stdout_discarded():
        for _ in range(repetitions):
            for text in chunks:
                for mode in ("code", "handler"):
                    chunk = json.loads(text)
                    for stage in PURE_STAGES:
                        started = time.process_time()
                        chunk = functions[stage](chunk) if mode == "code" else stages[stage].handler(chunk, context)
                        totals[f"{mode}:{stage}"] += time.process_time() - started
                        if mode == "handler":
                            started = time.process_time()
                            chunk = json.loads(json.dumps(chunk))
                            totals["json"] += time.process_time() - started
                records += len(json.loads(text)["records"])
    return {name: seconds * 1e6 / records for name, seconds in totals.items()}


def machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=30, help="passes over the 1,000 records for the CPU figure")
    args = parser.parse_args(argv)

    server, endpoint = runner.start_moto()
    os.environ.update(runner.emulator_environment(endpoint, TEST_REGION) | {"POWERTOOLS_LOG_LEVEL": "INFO"})
    try:
        with stdout_discarded():
            calls, sends, chunks = count_requests(mixed=False)
            mixed_calls, _, _ = count_requests(mixed=True)
    finally:
        server.stop()
    cpu = cpu_per_record(chunks, args.repetitions)

    per_thousand = sum(calls.values()) * 1_000 // RECORDS
    mixed_per_thousand = sum(mixed_calls.values()) * 1_000 // RECORDS
    code = sum(cpu[f"code:{stage}"] for stage in PURE_STAGES)
    handler = sum(cpu[f"handler:{stage}"] for stage in PURE_STAGES)
    verdict = {True: "meets the goal", False: "MISSES the goal"}
    print(f"Data-plane benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {machine()}")
    print(f"{RECORDS} records in batches of {BATCH_SIZE}, against moto server on 127.0.0.1")
    print()
    print(
        f"AWS requests per 1,000 records: {per_thousand} ({verdict[per_thousand <= REQUEST_GOAL]} of <= {REQUEST_GOAL};"
    )
    print(f"  baseline: a per-record design needs about {PER_RECORD_DESIGN_REQUESTS:,})")
    print(f"  by operation: {', '.join(f'{op} {n}' for op, n in sorted(calls.items()))}")
    print(f"  HTTP sends: {sum(sends.values())} (StartSyncExecution answered in-process, so not sent)")
    print(
        f"  with 5% malformed or invalid records: {mixed_per_thousand}"
        " (one more PutObject per batch: the quarantine object)"
    )
    print()
    print(f"CPU per record, transform + validate + enrich: {code:.1f} us for the stage code, {handler:.1f} us")
    print(f"  for the whole handlers with Powertools ({verdict[handler < CPU_GOAL_US]} of < {CPU_GOAL_US:.0f} us;")
    print("  baseline: a shard delivers up to 1,000 records/s, so 1,000 us per record is the whole budget of one core)")
    for stage in PURE_STAGES:
        print(f"  {stage:<10} code {cpu[f'code:{stage}']:6.2f} us   handler {cpu[f'handler:{stage}']:6.2f} us")
    print(f"  for scale, not counted: the runtime's JSON decode + encode between the stages, {cpu['json']:.1f} us")
    print(f"  ({args.repetitions} passes over {RECORDS} records, time.process_time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
