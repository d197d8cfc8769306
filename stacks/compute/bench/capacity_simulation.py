"""The capacity model, checked: one shard's consumer simulated with the real handlers against moto server.

Each of `parallelizationFactor` worker processes plays one of the mapping's concurrent batches on
the shard: it takes its next batch of records read back from a moto stream, waits the mapping's
`esm_invoke` latency and runs the real `ingest` handler, which runs the four stages through the
in-process state machine (tools/dataplane_runner.py). The per-call latencies of the model are
injected as waits, not CPU: every DynamoDB request and S3 PUT lasts at least its latency (the wait
is what moto did not already take), StartSyncExecution waits its own before the run, and each
Lambda hop waits before its stage. The handlers' CPU is real, on one core of this machine, so the
model is evaluated with a whole vCPU per function.

moto is no DynamoDB: it answers a 25-item BatchWriteItem in about 15 ms of this machine's CPU, more
than the 10 ms the model assumes. So every latency is multiplied by `latency_scale` (10) on both
sides, which keeps moto's own time inside each injected wait and the simulation's CPU well below
its waits; what is checked is the model's structure (concurrent slots, executions per batch in
stream order, calls per batch, the hops), with the real handlers' CPU and call counts. Each slot
has its own moto server, so no slot waits for another's. Run directly, it prints the model and the
simulation side by side for the compute layer's default mapping and for one more; the slow test
(stacks/compute/tests/test_capacity_simulation.py) asserts +-20%.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import dataplane_runner as runner

from streaming_tooling.estimate.capacity import LATENCY_MS, batch_timing, consumer_per_shard
from streaming_tooling.estimate.measured import load_measured
from streaming_tooling.estimate.stack import FunctionFacts, StackFacts
from streaming_tooling.testing import TEST_REGION

FULL_CORE_MB = 1769
MAX_PAYLOAD_BYTES = 200_000
LATENCY_SCALE = 10.0


@dataclass(frozen=True)
class Scenario:
    batch_size: int
    parallelization_factor: int
    record_kb: float
    batches_per_worker: int = 2
    latency_scale: float = LATENCY_SCALE

    def latencies(self, latencies_ms: Mapping[str, float]) -> dict[str, float]:
        return {name: ms * self.latency_scale for name, ms in latencies_ms.items()}


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    modelled_records_per_second: float
    simulated_records_per_second: float
    executions_per_batch: float
    modelled_executions_per_batch: float
    overruns: int
    """Calls moto answered slower than their injected latency (they then last longer than modelled)."""

    @property
    def ratio(self) -> float:
        return self.simulated_records_per_second / self.modelled_records_per_second


class InjectedLatency:
    """Makes each call of a function's client last its modelled latency: a botocore hook pair waits the rest."""

    def __init__(self, latencies_ms: Mapping[str, float]) -> None:
        self.seconds = {name: ms / 1000 for name, ms in latencies_ms.items()}
        self.overruns = 0

    def attach(self, client: Any, latency_for: Mapping[str, str]) -> None:
        """`latency_for` maps an operation (or `*`) to a latency name."""

        def started(context: dict[str, Any], **_: Any) -> None:
            context["injected_latency_started"] = time.monotonic()

        def finished(context: dict[str, Any], event_name: str, **_: Any) -> None:
            operation = event_name.rsplit(".", 1)[-1]
            name = latency_for.get(operation, latency_for.get("*"))
            if name is None or "injected_latency_started" not in context:
                return
            remaining = self.seconds[name] - (time.monotonic() - context["injected_latency_started"])
            if remaining > 0:
                time.sleep(remaining)
            else:
                self.overruns += 1

        client.meta.events.register("before-call", started, unique_id="capacity-latency-start")
        client.meta.events.register("after-call", finished, unique_id="capacity-latency-finish")

    def wait(self, name: str) -> None:
        time.sleep(self.seconds[name])


def producer_event(number: int, record_kb: float) -> bytes:
    """A valid event padded (inside its payload) to about `record_kb`."""
    event = {
        "eventId": f"ord-{number:08d}",
        "source": "orders-service",
        "eventType": "order.created",
        "ts": 1_764_000_000 + number,
        "data": {"order": number, "customer": f"c-{number % 97}", "amount": round(number * 1.37, 2), "note": ""},
    }
    size = len(json.dumps(event))
    event["data"]["note"] = "x" * max(0, int(record_kb * 1024) - size)
    return json.dumps(event).encode()


def _worker(
    scenario: Scenario, latencies_ms: Mapping[str, float], slot: tuple[int, float], start: Any, results: Any
) -> None:
    """One of the shard's concurrent batch slots: its own moto server and records, batch after batch,
    the `slot`th, starting its offset in seconds after the first, as the mapping's slots drift apart."""
    number, offset_seconds = slot
    server, endpoint = runner.start_moto()
    os.environ.update(runner.emulator_environment(endpoint, TEST_REGION) | {"POWERTOOLS_LOG_LEVEL": "WARNING"})
    with runner.stdout_discarded():
        pipeline = runner.Pipeline(region=TEST_REGION, environment=f"sim{number}", max_payload_bytes=MAX_PAYLOAD_BYTES)
        count = scenario.batch_size * scenario.batches_per_worker
        pipeline.put(
            [producer_event(n, scenario.record_kb) for n in range(count)], [f"key-{n % 64}" for n in range(count)]
        )
        records = pipeline.read()
        latency = InjectedLatency(latencies_ms)
        latency.attach(pipeline.function_clients["dynamodb"], {"*": "dynamodb"})
        latency.attach(pipeline.function_clients["s3"], {"PutObject": "s3_put"})
        pipeline.function_clients["stepfunctions"].meta.events.register_first(
            "before-call.sfn.StartSyncExecution",
            lambda **_: latency.wait("start_sync_execution"),
            unique_id="capacity-latency-sync",
        )
        pipeline.state_machine.before_step = lambda _stage, _payload: latency.wait("lambda_hop")
        events = [pipeline.event(batch) for batch in runner.batches(records, scenario.batch_size)]
        start.wait()
        time.sleep(offset_seconds)
        began = time.monotonic()
        for event in events:
            latency.wait("esm_invoke")
            response = pipeline.invoke(event)
            assert response == {"batchItemFailures": []}, response
        finished = time.monotonic()
    server.stop()
    sequence_digits = len(records[0]["SequenceNumber"])
    results.put(
        (finished - began, len(records), len(pipeline.state_machine.executions), latency.overruns, sequence_digits)
    )


def simulate(
    scenario: Scenario, latencies_ms: Mapping[str, float], stagger_seconds: float = 0.0
) -> tuple[float, float, int, int]:
    """Records a second the shard's slots processed together (each slot's rate, summed); executions per
    batch; overruns; the length of moto's sequence numbers."""
    context = multiprocessing.get_context("fork")
    workers = scenario.parallelization_factor
    start = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(scenario, latencies_ms, (n, n * stagger_seconds), start, results))
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    start.wait(timeout=120)
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        if process.exitcode != 0:
            raise RuntimeError(f"a simulated batch slot failed (exit code {process.exitcode})")
    executions = sum(report[2] for report in reports)
    batches = workers * scenario.batches_per_worker
    rate = sum(report[1] / report[0] for report in reports)
    return rate, executions / batches, sum(report[3] for report in reports), reports[0][4]


def modelled(
    scenario: Scenario, latencies_ms: Mapping[str, float], sequence_digits: int, measured_path: Path | None = None
) -> tuple[float, float, float]:
    """The model's records a second per shard for the scenario (with a whole vCPU per function), its
    executions per batch and the seconds a batch takes."""
    facts = StackFacts(
        region=TEST_REGION,
        functions={stage: FunctionFacts(FULL_CORE_MB, "arm64") for stage in runner.STAGES},
        batch_size=scenario.batch_size,
        parallelization_factor=scenario.parallelization_factor,
        max_payload_bytes=MAX_PAYLOAD_BYTES,
    )
    timing = batch_timing(
        facts,
        load_measured(measured_path),
        latencies_ms,
        scenario.batch_size,
        scenario.record_kb,
        sequence_digits=sequence_digits,
    )
    return consumer_per_shard(facts, timing), timing.executions, timing.cycle_seconds


def compare(scenario: Scenario, latencies_ms: Mapping[str, float] | None = None) -> Outcome:
    latencies_ms = scenario.latencies(latencies_ms or LATENCY_MS)
    *_, cycle_seconds = modelled(scenario, latencies_ms, sequence_digits=1)
    stagger = cycle_seconds / scenario.parallelization_factor
    simulated, executions, overruns, sequence_digits = simulate(scenario, latencies_ms, stagger)
    model, modelled_executions, _ = modelled(scenario, latencies_ms, sequence_digits)
    return Outcome(scenario, model, simulated, executions, modelled_executions, overruns)


def default_scenarios() -> list[Scenario]:
    """The compute layer's default mapping at 1 KB records, and a single slot of the bench's small records."""
    batch_size, factor = runner.default_mapping()
    return [Scenario(batch_size, factor, 1.0), Scenario(100, 1, 0.2)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    print("Capacity model vs. simulation (one shard, real handlers, moto server, latencies injected as waits)")
    print(f"  latencies (ms) x {LATENCY_SCALE:g}: {', '.join(f'{name} {ms:g}' for name, ms in LATENCY_MS.items())}")
    for scenario in default_scenarios():
        outcome = compare(scenario)
        print(
            f"  batch {scenario.batch_size}, parallelization {scenario.parallelization_factor}, "
            f"{scenario.record_kb:g} KB records: model {outcome.modelled_records_per_second:,.0f}/s, "
            f"simulated {outcome.simulated_records_per_second:,.0f}/s ({outcome.ratio - 1:+.0%}); executions per "
            f"batch {outcome.executions_per_batch:g} (model {outcome.modelled_executions_per_batch:g}); "
            f"calls slower than their latency: {outcome.overruns}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
