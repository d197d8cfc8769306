"""`nox -s bench`: what the data plane costs per record, at the compute layer's default batch size.

1. AWS requests per 1,000 records, and DynamoDB item writes per record (to the table, and to
   `StatusIndex`): records are put into a Kinesis stream in moto server, read back in batches of the
   default `batchSize`, with sequence numbers as long as Kinesis makes them, and run through ingest
   and the four stages (tests/dataplane_emulator: only StartSyncExecution is answered in-process,
   where botocore would send it, so the SDK still builds and signs it and parses the answer).
   Every API call the functions' clients make is counted from botocore events. Goal: at most 100
   requests; a design with per-record calls needs about 6,000.
2. CPU microseconds per record of the whole pipeline: each of the five handlers as Lambda runs it
   (Powertools Logger and Metrics included, their output sent to /dev/null), with all of its SDK
   client-side work (building, signing and sending requests, parsing responses). The handlers run
   in this thread and moto server in its own threads, so the clock is `time.thread_time` of this
   thread around each handler call: moto's CPU, in other threads, is never on it, and waiting for
   moto's answer is not CPU. ingest's figure is its handler minus the emulated state machine run
   it waits for (which is where the four stages run). The JSON decoding and encoding between the
   stages (done by the Lambda runtime and Step Functions, not by the handlers) is its own line.
   Goal: at most 100 us per record for the five handlers together.
   The same clock, read at botocore's first and last event of every call (`provide-client-params`,
   `after-call`), splits that CPU into the SDK's client-side work per request (by API) and the
   handlers' own code. Each figure is the median of the timed rounds: this machine's speed varies
   from one round to the next, and the range of the rounds' totals is printed beside it. For the
   calls that go over HTTP, the same clock at botocore's events in between splits each request's
   CPU into its steps (PHASES). The item writes per record, 25 to a BatchWriteItem, times the
   SDK's CPU per BatchWriteItem, give the least SDK work the final states alone can take: the
   floor of a state model with one item per record, whatever else changes.
3. What the records leave stored and what crosses the network, for the cost estimate: the bytes of
   the archive's gzip objects per record, at the bench's events and at events of about 1 KB
   (STORED_SIZES_KB); the size of a state item as DynamoDB bills it (attribute names and values
   plus 100 bytes of overhead); the bytes of each StartSyncExecution request and answer (what the
   `sync-states` endpoint carries); and the S3 requests per record of a record too large to pass
   the state machine inline (claim check: staged, read and rewritten by the stages, deleted).
4. The floor under any SDK here: this thread's CPU for one bare HTTP POST (urllib3, keep-alive) of
   a BatchWriteItem body the pipeline sent, to a server in its own process that answers at once
   or after the wait DynamoDB and moto take. On this machine the code that runs after a wait is
   slower than the same code run without one, so the second figure is the one to compare.
Left out of the CPU figures: TLS (moto is plain HTTP; AWS endpoints are HTTPS), the Lambda
runtime's own work around each invocation, and Step Functions' service-side work. Counted although
AWS would not cause it: moto's server (werkzeug) closes every connection, so each request here
opens a new one, where botocore keeps its connections to AWS alive.
The figures are written to `measured.json` beside this file (read by the cost estimate, and checked
by the tests for the counts). This is a measurement: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The layer's code, and the data-plane emulator the tests run on.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import dataplane_emulator.pipeline as runner
from dataplane_emulator.lambda_runtime import pipeline_core

from streaming_shared.catalogue import STAGES
from streaming_shared.record_store import ARCHIVE_PREFIX
from streaming_tooling.estimate.capacity import KINESIS_SEQUENCE_DIGITS
from streaming_tooling.testing import TEST_REGION

BATCH_SIZE, _ = runner.default_mapping()
RECORDS = BATCH_SIZE * max(1, round(1_000 / BATCH_SIZE))
"""Whole batches of the default size, as near 1,000 records as they come; figures are per 1,000."""
REQUEST_GOAL = 100
PER_RECORD_DESIGN_REQUESTS = 6_000
CPU_GOAL_US = 100.0
MAX_ITEMS_PER_REQUEST = pipeline_core("table").MAX_ITEMS_PER_REQUEST
MEASURED_FILE = Path(__file__).with_name("measured.json")
PHASES = {
    "provide-client-params": "prepare",
    "request-created": "sign",
    "before-send": "http",
    "before-parse": "parse",
    "response-received": "finish",
}
"""Where each step of an HTTP call starts (botocore's events): prepare (parameters, endpoint,
serialization), sign (signing, the HTTP request), http (sending it, waiting, reading the answer),
parse (the answer into a dict), finish (the retry decision, after-call handlers)."""
SERVER_WAIT_SECONDS = 0.012
"""About what moto takes to answer a 25-item BatchWriteItem here (DynamoDB: a few ms)."""


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


WORDS = (
    "red", "blue", "large", "small", "cotton", "steel", "organic", "express", "standard", "gift",
    "shirt", "lamp", "chair", "kettle", "battery", "notebook", "cable", "bottle", "candle", "towel",
)  # fmt: skip


def producer_event_of_kb(number: int, record_kb: float) -> dict[str, Any]:
    """`producer_event` with line items (a SKU digest, a name of catalogue words, a quantity, a price)
    appended until its JSON is about `record_kb`: numbers, ids and words as an order's JSON holds them.
    How well an archive compresses depends on the producers' data; these compress about 3:1."""
    event = producer_event(number)
    items: list[dict[str, Any]] = []
    size = len(json.dumps(event)) + len(', "items": []')
    while size < record_kb * 1024:
        digest = hashlib.sha1(f"{number}:{len(items)}".encode()).hexdigest()
        item = {
            "sku": f"SKU-{digest[:10].upper()}",
            "name": " ".join(WORDS[int(digest[i : i + 2], 16) % len(WORDS)] for i in (10, 12, 14)),
            "qty": 1 + int(digest[16:18], 16) % 5,
            "price": round(int(digest[18:24], 16) % 100_000 / 100, 2),
        }
        size += len(json.dumps(item)) + 2
        items.append(item)
    if items:
        event["data"]["items"] = items
    return event


def workload(mixed: bool) -> list[bytes]:
    events = [json.dumps(producer_event(n)).encode() for n in range(RECORDS)]
    if mixed:
        for n in range(0, RECORDS, 40):
            events[n] = b"\xff not json"
        for n in range(20, RECORDS, 40):
            events[n] = json.dumps({"eventId": f"bad-{n}", "source": "orders-service"}).encode()
    return events


def as_in_aws(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`records` with sequence numbers of the length Kinesis gives (56 digits) instead of moto's short
    counters: they travel in every record's identity, so they set how many records fit one execution,
    and moto's would change that from one round to the next as they grow."""
    return [
        record | {"SequenceNumber": f"49{int(record['SequenceNumber']):0{KINESIS_SEQUENCE_DIGITS - 2}d}"}
        for record in records
    ]


def count_requests(mixed: bool, region: str = TEST_REGION) -> dict[str, Any]:
    """API calls (by operation), HTTP sends and item writes of the functions for RECORDS records
    (`region`: the one the emulator environment names)."""
    pipeline = runner.Pipeline(region=region, environment="bench")
    pipeline.put(workload(mixed))
    records = as_in_aws(pipeline.read())
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


STORED_SIZES_KB = (0.25, 1.0)
"""Record sizes whose stored bytes are measured; the estimate draws a line through them."""
STAGED_RECORD_KB = 300
STAGED_RECORDS = 10
"""Records this large go by claim check (more than a state machine input holds); ten fit one batch
under Lambda's 6 MB invocation payload."""
ITEM_OVERHEAD_BYTES = 100
"""DynamoDB bills each item's storage at its attributes plus 100 bytes (developer guide, "Item sizes")."""


def attribute_bytes(name: str, value: dict[str, Any]) -> int:
    """An attribute's size as DynamoDB counts it: the name, and a string's UTF-8 bytes or a number's
    one byte per two significant digits plus one ("Item sizes and formats")."""
    [(kind, content)] = value.items()
    if kind == "N":
        digits = content.lstrip("-").replace(".", "").strip("0") or "0"
        return len(name.encode()) + (len(digits) + 1) // 2 + 1
    return len(name.encode()) + len(str(content).encode())


class WireBytes:
    """Item sizes of the final states written, and the bytes of each StartSyncExecution request and
    answer, read from the functions' clients at botocore's events."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self.item_bytes: list[int] = []
        self.requests: list[int] = []
        self.answers: list[int] = []
        clients["dynamodb"].meta.events.register_first(
            "before-parameter-build.dynamodb.BatchWriteItem", self._items, unique_id="bench-item-bytes"
        )
        clients["stepfunctions"].meta.events.register_first(
            "before-send.sfn.StartSyncExecution", self._request, unique_id="bench-sync-request"
        )
        clients["stepfunctions"].meta.events.register(
            "after-call.sfn.StartSyncExecution", self._answer, unique_id="bench-sync-answer"
        )

    def _items(self, params: dict[str, Any], **_: Any) -> None:
        for requests in params["RequestItems"].values():
            for request in requests:
                item = request["PutRequest"]["Item"]
                self.item_bytes.append(ITEM_OVERHEAD_BYTES + sum(attribute_bytes(n, v) for n, v in item.items()))

    def _request(self, request: Any, **_: Any) -> None:
        self.requests.append(len(request.body))

    def _answer(self, http_response: Any, **_: Any) -> None:
        self.answers.append(len(http_response.content))


def stored(record_kb: float, region: str = TEST_REGION) -> dict[str, float]:
    """For RECORDS valid events of about `record_kb`: the archive's bytes per record, the state item's
    bytes, and the StartSyncExecution bytes per execution (request, answer) and records per execution."""
    pipeline = runner.Pipeline(region=region, environment="bench")
    wire = WireBytes(pipeline.function_clients)
    pipeline.put([json.dumps(producer_event_of_kb(n, record_kb)).encode() for n in range(RECORDS)])
    records = as_in_aws(pipeline.read())
    for batch in runner.batches(records, BATCH_SIZE):
        assert pipeline.invoke(pipeline.event(batch)) == {"batchItemFailures": []}
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.bucket, Prefix=f"{ARCHIVE_PREFIX}/")["Contents"]
    executions = len(wire.requests)
    return {
        "record_bytes": statistics.mean(len(r["Data"]) for r in records),
        "archived_bytes_per_record": sum(entry["Size"] for entry in listed) / RECORDS,
        "state_item_bytes": statistics.mean(wire.item_bytes),
        "records_per_execution": RECORDS / executions,
        "sync_request_bytes_per_execution": statistics.mean(wire.requests),
        "sync_answer_bytes_per_execution": statistics.mean(wire.answers),
    }


def claim_check(region: str = TEST_REGION) -> dict[str, Any]:
    """S3 requests per staged record, by API, beyond the chunk objects: STAGED_RECORDS events of
    STAGED_RECORD_KB in one batch."""
    pipeline = runner.Pipeline(region=region, environment="bench")
    pipeline.put([json.dumps(producer_event_of_kb(n, STAGED_RECORD_KB)).encode() for n in range(STAGED_RECORDS)])
    records = as_in_aws(pipeline.read())
    pipeline.requests.reset()
    assert pipeline.invoke(pipeline.event(records)) == {"batchItemFailures": []}
    calls = pipeline.requests.calls
    executions = calls["StartSyncExecution"]
    s3 = {api: n for api, n in calls.items() if api in ("PutObject", "GetObject", "DeleteObjects")}
    s3["PutObject"] -= executions  # the chunk's archive object
    return {
        "record_kb": STAGED_RECORD_KB,
        "records_per_execution": STAGED_RECORDS / executions,
        "s3_requests_per_staged_record_by_api": {api: n / STAGED_RECORDS for api, n in sorted(s3.items())},
    }


class SdkClock:
    """CPU seconds of this thread inside the functions' SDK calls, by API: from botocore's first event
    of a call (`provide-client-params`) to its last (`after-call`, or `after-call-error`). The emulated
    state machine run inside StartSyncExecution (`excluded`, cumulative) is not the SDK's work, and
    a call made from inside it (archive's) is counted as its own call. For the clients attached
    with `phases` (calls of one client never nest), the same readings split each call into PHASES;
    the body of the last request each API sent is kept."""

    def __init__(self, excluded: Any) -> None:
        self.excluded = excluded
        self.cpu: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.phase_cpu: Counter[tuple[str, str]] = Counter()
        self.bodies: dict[str, bytes] = {}
        self._open: list[tuple[float, float]] = []
        self._phased: set[str] = set()
        self._phase: dict[str, tuple[str, str, float]] = {}

    def attach(self, client: Any, *, phases: bool = False) -> None:
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"provide-client-params.{service}", self._start)
        client.meta.events.register_last(f"after-call.{service}", self._stop)
        client.meta.events.register_last(f"after-call-error.{service}", self._stop)
        if phases:
            self._phased.add(service)
            for event in list(PHASES)[1:]:
                client.meta.events.register_first(f"{event}.{service}", self._enter)

    def _start(self, event_name: str, **_: Any) -> None:
        now = time.thread_time()
        self._open.append((now, self.excluded()))
        self._switch(event_name, now)

    def _enter(self, event_name: str, request: Any = None, **_: Any) -> None:
        self._switch(event_name, time.thread_time())
        if request is not None and event_name.startswith("before-send.") and isinstance(request.body, bytes):
            self.bodies[event_name.rsplit(".", 1)[1]] = request.body

    def _switch(self, event_name: str, now: float) -> None:
        """Close the running phase of the event's service at `now`; start the one the event begins."""
        event, service, api = event_name.split(".")
        if service not in self._phased:
            return
        self._close(service, now)
        self._phase[service] = (api, PHASES[event], now)

    def _close(self, service: str, now: float) -> None:
        running = self._phase.pop(service, None)
        if running is not None:
            api, phase, started = running
            self.phase_cpu[api, phase] += now - started

    def _stop(self, event_name: str, model: Any, **_: Any) -> None:
        now = time.thread_time()
        started, excluded = self._open.pop()
        nested = self.excluded() - excluded
        self.cpu[model.name] += now - started - nested
        self.calls[model.name] += 1
        self._close(event_name.split(".")[1], now)

    def reset(self) -> None:
        self.cpu.clear()
        self.calls.clear()
        self.phase_cpu.clear()


def cpu_per_record(passes: int, region: str = TEST_REGION) -> dict[str, Any]:
    """Microseconds of this thread's CPU per record: each handler, the JSON between the stages, and
    the SDK's share by API, each the median of `passes` rounds of RECORDS new records; the range of
    the rounds' handler totals; the calls the SDK clock saw in each round (every round does the same
    work). One pipeline runs `passes + 1` rounds; the first (imports, clients, connections: a cold
    start) is not counted."""
    pipeline = runner.Pipeline(region=region, environment="bench")
    sdk = SdkClock(lambda: pipeline.state_machine.cpu["run"])
    for service, function_client in pipeline.function_clients.items():
        sdk.attach(function_client, phases=service != "stepfunctions")
    payloads = workload(mixed=False)
    for _ in range(passes + 1):
        pipeline.put(payloads)
    records = as_in_aws(pipeline.read(limit=RECORDS * (passes + 1)))
    rounds: list[dict[str, float]] = []
    calls_per_round: list[dict[str, int]] = []
    for round_number in range(passes + 1):
        pipeline.state_machine.cpu.clear()
        sdk.reset()
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
        seconds = {"ingest": ingest - cpu["run"], **{stage: cpu[stage] for stage in STAGES[1:]}, "json": cpu["json"]}
        seconds |= {f"sdk:{api}": spent for api, spent in sdk.cpu.items()}
        seconds |= {f"phase:{api}:{phase}": spent for (api, phase), spent in sdk.phase_cpu.items()}
        rounds.append({name: spent * 1e6 / RECORDS for name, spent in seconds.items()})
        calls_per_round.append(dict(sorted(sdk.calls.items())))
    per_record = {name: statistics.median(figures[name] for figures in rounds) for name in rounds[0]}
    totals = [sum(figures[stage] for stage in STAGES) for figures in rounds]
    calls = calls_per_round[-1]
    phases: dict[str, dict[str, float]] = {}
    for name, spent in per_record.items():
        if name.startswith("phase:"):
            _, api, phase = name.split(":")
            phases.setdefault(api, {})[phase] = spent * RECORDS / calls[api]
    return {
        "per_record": per_record,
        "total_range": (min(totals), max(totals)),
        "sdk_per_request": {api: per_record[f"sdk:{api}"] * RECORDS / calls[api] for api in calls},
        "sdk_per_request_by_phase": {api: {p: phases[api][p] for p in PHASES.values()} for api in sorted(phases)},
        "calls_per_round": calls_per_round,
        "request_body": sdk.bodies.get("BatchWriteItem", b""),
    }


WAITING_SERVER = r"""
import socket, sys, threading, time
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
wait = float(sys.argv[1])
answer = b'{"UnprocessedItems":{}}'
def serve(connection):
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            data = connection.recv(65536)
            if not data:
                return
            buffer += data
        head, _, rest = buffer.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(rest) < length:
            rest += connection.recv(65536)
        buffer = rest[length:]
        time.sleep(wait)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(answer) + answer)
while True:
    threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()
"""


def bare_post_cpu(body: bytes, wait_seconds: float, posts: int = 60) -> float:
    """Median microseconds of this thread's CPU for one urllib3 POST of `body` (keep-alive) to a local
    server in its own process that answers after `wait_seconds`; the first ten posts warm up."""
    import urllib3  # noqa: PLC0415 (botocore's HTTP library, there whenever boto3 is)

    server = subprocess.Popen(
        [sys.executable, "-c", WAITING_SERVER, str(wait_seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(server.stdout.readline()) if server.stdout else 0
        pool = urllib3.HTTPConnectionPool("127.0.0.1", port)
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.BatchWriteItem"}
        spent = []
        for _ in range(posts + 10):
            started = time.thread_time()
            pool.urlopen("POST", "/", body=body, headers=headers).data  # noqa: B018 (the read is the point)
            spent.append(time.thread_time() - started)
        return statistics.median(spent[10:]) * 1e6
    finally:
        server.kill()
        server.wait()


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


def per_thousand(count: float) -> float:
    return round(count * 1_000 / RECORDS, 1)


def figures(
    counts: dict[str, Any],
    mixed: dict[str, Any],
    cpu: dict[str, Any],
    *,
    bare_post: dict[str, float] | None = None,
    sizes: dict[float, dict[str, float]] | None = None,
    staged: dict[str, Any] | None = None,
) -> dict[str, Any]:
    per_record = cpu["per_record"]
    total = sum(per_record[stage] for stage in STAGES)
    sdk = sum(spent for name, spent in per_record.items() if name.startswith("sdk:"))
    item_writes = counts["table_item_writes"] / RECORDS
    return {
        "batch_size": BATCH_SIZE,
        "records": RECORDS,
        "requests_per_1000_records": per_thousand(sum(counts["calls"].values())),
        "requests_per_1000_records_by_api": {op: per_thousand(n) for op, n in counts["calls"].items()},
        "requests_per_1000_records_with_5_percent_rejected": per_thousand(sum(mixed["calls"].values())),
        "table_item_writes_per_record": counts["table_item_writes"] / RECORDS,
        "index_item_writes_per_record": counts["index_item_writes"] / RECORDS,
        "index_item_writes_per_record_with_5_percent_rejected": mixed["index_item_writes"] / RECORDS,
        "cpu_us_per_record_by_handler": {stage: round(per_record[stage], 1) for stage in STAGES},
        "cpu_us_per_record_total": round(total, 1),
        "cpu_us_per_record_total_range_of_rounds": [round(bound, 1) for bound in cpu["total_range"]],
        "sdk_cpu_us_per_record": round(sdk, 1),
        "own_code_cpu_us_per_record": round(total - sdk, 1),
        "sdk_cpu_us_per_request_by_api": {api: round(spent, 1) for api, spent in cpu["sdk_per_request"].items()},
        "sdk_cpu_us_per_request_by_phase": {
            api: {phase: round(spent, 1) for phase, spent in phases.items()}
            for api, phases in cpu.get("sdk_per_request_by_phase", {}).items()
        },
        "bare_http_post_cpu_us": {name: round(spent, 1) for name, spent in (bare_post or {}).items()},
        "final_state_writes_sdk_cpu_us_per_record_at_full_requests": round(
            item_writes / MAX_ITEMS_PER_REQUEST * cpu["sdk_per_request"].get("BatchWriteItem", 0.0), 1
        ),
        "json_between_stages_us_per_record": round(per_record["json"], 1),
        "stored_by_record_kb": {
            f"{kb:g}": {name: round(value, 1) for name, value in figures_of_size.items()}
            for kb, figures_of_size in (sizes or {}).items()
        },
        "claim_check": staged or {},
        "cpu_clock": "time.thread_time of the thread running the handlers; moto server runs in other threads",
        "machine": machine(),
        "measured_on": f"{datetime.now(UTC):%Y-%m-%d}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5, help="rounds of the records timed for the CPU figures")
    parser.add_argument("--output", type=Path, default=MEASURED_FILE, help="where to write the figures (JSON)")
    args = parser.parse_args(argv)

    server, endpoint = runner.start_moto()
    os.environ.update(runner.emulator_environment(endpoint, TEST_REGION, log_level="INFO"))
    try:
        with runner.stdout_discarded():
            counts = count_requests(mixed=False)
            mixed = count_requests(mixed=True)
            cpu = cpu_per_record(args.passes)
            sizes = {kb: stored(kb) for kb in STORED_SIZES_KB}
            staged = claim_check()
    finally:
        server.stop()
    wait_ms = round(SERVER_WAIT_SECONDS * 1000)
    bare_post = {
        "answered_at_once": bare_post_cpu(cpu["request_body"], 0.0),
        f"answered_after_{wait_ms}_ms": bare_post_cpu(cpu["request_body"], SERVER_WAIT_SECONDS),
    }
    result = figures(counts, mixed, cpu, bare_post=bare_post, sizes=sizes, staged=staged)
    args.output.write_text(json.dumps(result, indent=2) + "\n")

    requests = result["requests_per_1000_records"]
    total = result["cpu_us_per_record_total"]
    verdict = {True: "meets the goal", False: "MISSES the goal"}
    print(f"Data-plane benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {result['machine']}")
    print(f"{RECORDS:,} records in batches of {BATCH_SIZE} (the default batchSize), against moto server on 127.0.0.1")
    print()
    print(f"AWS requests per 1,000 records: {requests:g} ({verdict[requests <= REQUEST_GOAL]} of <= {REQUEST_GOAL};")
    print(f"  baseline: a per-record design needs about {PER_RECORD_DESIGN_REQUESTS:,})")
    print(f"  by operation: {', '.join(f'{op} {n:g}' for op, n in result['requests_per_1000_records_by_api'].items())}")
    print(
        f"  HTTP sends: {counts['sends']} for {RECORDS:,} records "
        "(StartSyncExecution's answered in-process, where botocore would send them)"
    )
    print(
        f"  with 5% malformed or invalid records: {result['requests_per_1000_records_with_5_percent_rejected']:g}"
        " (one more PutObject per chunk: the quarantine object)"
    )
    print(
        f"DynamoDB item writes per record: {result['table_item_writes_per_record']:.2f} to the table, "
        f"{result['index_item_writes_per_record']:.2f} to StatusIndex"
    )
    print(f"  with 5% rejected: {result['index_item_writes_per_record_with_5_percent_rejected']:.2f} to StatusIndex")
    print()
    low, high = result["cpu_us_per_record_total_range_of_rounds"]
    print(
        f"CPU per record, the five handlers: {total:.1f} us, median of {args.passes} rounds "
        f"(rounds {low:.0f} to {high:.0f}; {verdict[total <= CPU_GOAL_US]} of <= {CPU_GOAL_US:.0f} us)"
    )
    for stage in STAGES:
        print(f"  {stage:<10} {result['cpu_us_per_record_by_handler'][stage]:6.1f} us")
    print(
        f"  of which the SDK's client-side work {result['sdk_cpu_us_per_record']:.1f} us, "
        f"the handlers' own code {result['own_code_cpu_us_per_record']:.1f} us"
    )
    print(
        "  SDK CPU per request: "
        + ", ".join(f"{api} {spent:,.0f} us" for api, spent in result["sdk_cpu_us_per_request_by_api"].items())
    )
    for api, phases in result["sdk_cpu_us_per_request_by_phase"].items():
        print(f"    {api}, by step: " + ", ".join(f"{phase} {spent:,.0f} us" for phase, spent in phases.items()))
    floor = result["final_state_writes_sdk_cpu_us_per_record_at_full_requests"]
    print(
        f"  the final states alone, {result['table_item_writes_per_record']:.2f} item per record at "
        f"{MAX_ITEMS_PER_REQUEST} a BatchWriteItem: {floor:.1f} us per record of SDK work "
        f"(the fewest requests this state model allows, at the CPU measured per request)"
    )
    at_once, after_wait = result["bare_http_post_cpu_us"].values()
    print(
        f"  this machine, one bare HTTP POST of a BatchWriteItem body (urllib3, no SDK): {at_once:,.0f} us "
        f"answered at once, {after_wait:,.0f} us answered after {wait_ms} ms"
    )
    print(
        f"  not the handlers' (Lambda runtime and Step Functions): JSON between the stages "
        f"{result['json_between_stages_us_per_record']:.1f} us"
    )
    print(f"  (clock: {result['cpu_clock']}; not measured: TLS, the Lambda runtime around each invocation)")
    print()
    print("Stored and sent per record (for the cost estimate):")
    for size in result["stored_by_record_kb"].values():
        print(
            f"  events of {size['record_bytes']:,.0f} bytes: {size['archived_bytes_per_record']:,.0f} bytes "
            "archived (gzip), "
            f"a {size['state_item_bytes']:,.0f}-byte state item, {size['records_per_execution']:g} records per "
            f"execution, StartSyncExecution {size['sync_request_bytes_per_execution']:,.0f} bytes out and "
            f"{size['sync_answer_bytes_per_execution']:,.0f} back"
        )
    staged_calls = result["claim_check"]["s3_requests_per_staged_record_by_api"]
    print(
        f"  a record of {STAGED_RECORD_KB} KB by claim check: "
        + ", ".join(f"{api} {n:g}" for api, n in staged_calls.items())
        + " per record"
    )
    print(f"Figures written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
