"""`nox -s bench`: what the data plane costs for 1,000 records at batch size 100.

1. AWS requests per 1,000 records, and DynamoDB item writes per record (to the table, and to
   `StatusIndex`): records are put into a Kinesis stream in moto server, read back in batches of
   100 and run through ingest and the four stages (tools/dataplane_runner.py: only
   StartSyncExecution is answered in-process). Every API call the functions' clients make is
   counted from botocore events. Goal: at most 100 requests; a design with per-record calls needs
   about 6,000.
2. CPU microseconds per record of the whole pipeline: each of the five handlers as Lambda runs it
   (Powertools Logger and Metrics included, their output sent to /dev/null), with all of its SDK
   client-side work (building, signing and sending requests, parsing responses). The handlers run
   in this thread and moto server in its own threads, so the clock is `time.thread_time` of this
   thread around each handler call: moto's CPU, in other threads, is never on it, and waiting for
   moto's answer is not CPU. ingest's figure is its handler minus the emulated state machine run
   it waits for (which is where the four stages run). The JSON decoding and encoding between the
   stages (done by the Lambda runtime and Step Functions, not by the handlers) is its own line.
   Goal: at most 100 us per record for the five handlers together.
The figures are written to `measured.json` beside this file (read by the cost estimate, and checked
by the tests for the counts). This is a measurement: it asserts nothing about time.
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
CPU_GOAL_US = 100.0
STAGES = runner.STAGES
MEASURED_FILE = Path(__file__).with_name("measured.json")


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


def count_requests(mixed: bool, region: str = TEST_REGION) -> dict[str, Any]:
    """API calls (by operation), HTTP sends and item writes of the functions for RECORDS records
    (`region`: the one the emulator environment names)."""
    pipeline = runner.Pipeline(region=region, environment="bench")
    pipeline.put(workload(mixed))
    records = pipeline.read()
    assert len(records) == RECORDS, len(records)
    pipeline.requests.reset()
    for batch in runner.batches(records, BATCH_SIZE):
        response = pipeline.invoke(pipeline.event(batch))
        assert response == {"batchItemFailures": []}, response
    return {
        "calls": dict(sorted(pipeline.requests.calls.items())),
        "sends": sum(pipeline.requests.sends.values()),
        "table_item_writes": pipeline.requests.item_writes["table"],
        "index_item_writes": pipeline.requests.item_writes["index"],
    }


def cpu_per_record(passes: int) -> dict[str, float]:
    """Microseconds of this thread's CPU per record: each handler, and the JSON between the stages.

    One pipeline, `passes + 1` rounds of RECORDS new records; the first round (imports, clients,
    connections: a cold start) is not counted."""
    pipeline = runner.Pipeline(region=TEST_REGION, environment="bench")
    payloads = workload(mixed=False)
    for _ in range(passes + 1):
        pipeline.put(payloads)
    records = pipeline.read(limit=RECORDS * (passes + 1))
    totals: Counter[str] = Counter()
    counted = 0
    for round_number in range(passes + 1):
        pipeline.state_machine.cpu.clear()
        ingest = 0.0
        for batch in runner.batches(records[round_number * RECORDS : (round_number + 1) * RECORDS], BATCH_SIZE):
            event = pipeline.event(batch)
            started = time.thread_time()
            response = pipeline.invoke(event)
            ingest += time.thread_time() - started
            assert response == {"batchItemFailures": []}, response
        if round_number == 0:
            continue
        cpu = pipeline.state_machine.cpu
        totals["ingest"] += ingest - cpu["run"]
        for stage in STAGES[1:]:
            totals[stage] += cpu[stage]
        totals["json"] += cpu["json"]
        counted += RECORDS
    return {name: seconds * 1e6 / counted for name, seconds in totals.items()}


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


def figures(counts: dict[str, Any], mixed: dict[str, Any], cpu: dict[str, float]) -> dict[str, Any]:
    return {
        "batch_size": BATCH_SIZE,
        "records": RECORDS,
        "requests_per_1000_records": sum(counts["calls"].values()) * 1_000 // RECORDS,
        "requests_per_1000_records_by_api": {op: n * 1_000 // RECORDS for op, n in counts["calls"].items()},
        "requests_per_1000_records_with_5_percent_rejected": sum(mixed["calls"].values()) * 1_000 // RECORDS,
        "table_item_writes_per_record": counts["table_item_writes"] / RECORDS,
        "index_item_writes_per_record": counts["index_item_writes"] / RECORDS,
        "index_item_writes_per_record_with_5_percent_rejected": mixed["index_item_writes"] / RECORDS,
        "cpu_us_per_record_by_handler": {stage: round(cpu[stage], 1) for stage in STAGES},
        "cpu_us_per_record_total": round(sum(cpu[stage] for stage in STAGES), 1),
        "json_between_stages_us_per_record": round(cpu["json"], 1),
        "cpu_clock": "time.thread_time of the thread running the handlers; moto server runs in other threads",
        "machine": machine(),
        "measured_on": f"{datetime.now(UTC):%Y-%m-%d}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5, help="rounds of 1,000 records timed for the CPU figure")
    parser.add_argument("--output", type=Path, default=MEASURED_FILE, help="where to write the figures (JSON)")
    args = parser.parse_args(argv)

    server, endpoint = runner.start_moto()
    os.environ.update(runner.emulator_environment(endpoint, TEST_REGION) | {"POWERTOOLS_LOG_LEVEL": "INFO"})
    try:
        with runner.stdout_discarded():
            counts = count_requests(mixed=False)
            mixed = count_requests(mixed=True)
            cpu = cpu_per_record(args.passes)
    finally:
        server.stop()
    result = figures(counts, mixed, cpu)
    args.output.write_text(json.dumps(result, indent=2) + "\n")

    per_thousand = result["requests_per_1000_records"]
    total = result["cpu_us_per_record_total"]
    verdict = {True: "meets the goal", False: "MISSES the goal"}
    print(f"Data-plane benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {result['machine']}")
    print(f"{RECORDS} records in batches of {BATCH_SIZE}, against moto server on 127.0.0.1")
    print()
    print(
        f"AWS requests per 1,000 records: {per_thousand} ({verdict[per_thousand <= REQUEST_GOAL]} of <= {REQUEST_GOAL};"
    )
    print(f"  baseline: a per-record design needs about {PER_RECORD_DESIGN_REQUESTS:,})")
    print(f"  by operation: {', '.join(f'{op} {n}' for op, n in result['requests_per_1000_records_by_api'].items())}")
    print(f"  HTTP sends: {counts['sends']} (StartSyncExecution answered in-process, so not sent)")
    print(
        f"  with 5% malformed or invalid records: {result['requests_per_1000_records_with_5_percent_rejected']}"
        " (one more PutObject per batch: the quarantine object)"
    )
    print(
        f"DynamoDB item writes per record: {result['table_item_writes_per_record']:.2f} to the table, "
        f"{result['index_item_writes_per_record']:.2f} to StatusIndex"
    )
    print(f"  with 5% rejected: {result['index_item_writes_per_record_with_5_percent_rejected']:.2f} to StatusIndex")
    print()
    print(
        f"CPU per record, the five handlers: {total:.1f} us "
        f"({verdict[total <= CPU_GOAL_US]} of <= {CPU_GOAL_US:.0f} us)"
    )
    for stage in STAGES:
        print(f"  {stage:<10} {result['cpu_us_per_record_by_handler'][stage]:6.1f} us")
    print(
        f"  not the handlers' (Lambda runtime and Step Functions): JSON between the stages "
        f"{result['json_between_stages_us_per_record']:.1f} us"
    )
    print(f"  ({args.passes} rounds of {RECORDS} records after a warm-up round; clock: {result['cpu_clock']})")
    print(f"Figures written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
