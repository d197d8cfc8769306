"""The counts in `bench/measured.json` (read by the cost estimate) are what the code does: the bench's
workload, run through the real chain against moto, makes exactly the requests and item writes the
file records. Not timed: the CPU figures there are measurements, checked by nobody's clock here."""

from __future__ import annotations

import json

import pytest
from dataplane_emulator.lambda_runtime import FUNCTIONS, load_module
from dataplane_support import REGION

from streaming_shared.catalogue import STAGES

BENCH_FILE = FUNCTIONS.parent / "bench" / "bench_dataplane.py"


@pytest.fixture(scope="module")
def bench():
    return load_module("bench_dataplane", BENCH_FILE)


@pytest.fixture(scope="module")
def measured(bench):
    return json.loads(bench.MEASURED_FILE.read_text())


@pytest.fixture(scope="module")
def counts(bench):
    return bench.count_requests(mixed=False, region=REGION)


@pytest.fixture(scope="module")
def mixed_counts(bench):
    return bench.count_requests(mixed=True, region=REGION)


@pytest.fixture(scope="module")
def counted(bench, counts, mixed_counts):
    unclocked = {
        "per_record": dict.fromkeys((*bench.STAGES, "json"), 0.0),
        "total_range": (0.0, 0.0),
        "sdk_per_request": {},
    }
    return bench.figures(counts, mixed_counts, unclocked)


COUNTS = (
    "batch_size",
    "records",
    "requests_per_1000_records",
    "requests_per_1000_records_by_api",
    "requests_per_1000_records_with_5_percent_rejected",
    "table_item_writes_per_record",
    "index_item_writes_per_record",
    "index_item_writes_per_record_with_5_percent_rejected",
)


@pytest.mark.parametrize("name", COUNTS)
def test_the_measured_counts_are_what_the_code_does(measured, counted, name):
    assert measured[name] == counted[name], f"run `nox -s bench` to refresh {name} in measured.json"


def test_the_measured_file_has_every_figure_the_estimate_reads(measured):
    assert set(measured) >= {
        *COUNTS,
        "cpu_us_per_record_by_handler",
        "cpu_us_per_record_total",
        "cpu_us_per_record_total_range_of_rounds",
        "sdk_cpu_us_per_record",
        "own_code_cpu_us_per_record",
        "sdk_cpu_us_per_request_by_api",
        "sdk_cpu_us_per_request_by_phase",
        "bare_http_post_cpu_us",
        "final_state_writes_sdk_cpu_us_per_record_at_full_requests",
        "json_between_stages_us_per_record",
        "machine",
        "measured_on",
    }
    assert set(measured["cpu_us_per_record_by_handler"]) == set(STAGES)
    assert set(measured["sdk_cpu_us_per_request_by_api"]) == set(measured["requests_per_1000_records_by_api"])


def test_the_request_budget_holds(measured):
    assert measured["requests_per_1000_records"] <= 100
    assert measured["table_item_writes_per_record"] == 1
    assert measured["index_item_writes_per_record"] == 0


@pytest.mark.slow
def test_every_timed_round_makes_the_counted_calls_and_the_sdk_clock_sees_each_once(bench, counts, mixed_counts):
    """The SDK's CPU per request divides by calls the clock saw; they must be the calls the counts say
    (nested ones from inside the emulated state machine included), in every round alike."""
    cpu = bench.cpu_per_record(passes=2, region=REGION)
    assert cpu["calls_per_round"] == [counts["calls"]] * 2
    clocked = bench.figures(counts, mixed_counts, cpu)
    assert 0 < clocked["sdk_cpu_us_per_record"] < clocked["cpu_us_per_record_total"]
    # The floor of the final-state writes (every BatchWriteItem full) is under what they took.
    floor = clocked["final_state_writes_sdk_cpu_us_per_record_at_full_requests"]
    assert 0 < floor <= cpu["per_record"]["sdk:BatchWriteItem"]
    # The steps of every call over HTTP cover it exactly (StartSyncExecution is answered in-process).
    by_phase = cpu["sdk_per_request_by_phase"]
    assert set(by_phase) == set(counts["calls"]) - {"StartSyncExecution"}
    for api, phases in by_phase.items():
        assert list(phases) == list(bench.PHASES.values())
        assert sum(phases.values()) == pytest.approx(cpu["sdk_per_request"][api], rel=1e-9), api
    assert json.loads(cpu["request_body"])["RequestItems"]


def test_the_measured_file_has_what_the_cost_estimate_reads_of_sizes(measured, bench):
    sizes = measured["stored_by_record_kb"]
    assert sorted(float(kb) for kb in sizes) == list(bench.STORED_SIZES_KB)
    small, large = (sizes[key] for key in sorted(sizes, key=float))
    assert small["record_bytes"] < large["record_bytes"]
    assert small["archived_bytes_per_record"] < large["archived_bytes_per_record"] < large["record_bytes"]
    assert large["sync_answer_bytes_per_execution"] > large["sync_request_bytes_per_execution"]


@pytest.mark.slow
def test_the_measured_sizes_are_what_the_code_stores_and_sends(measured, bench):
    """The bytes are measured on records with moto's sequence numbers made as long as Kinesis', so
    they hardly move from run to run (the numbers themselves differ)."""
    for kb, size in measured["stored_by_record_kb"].items():
        again = bench.stored(float(kb), region=REGION)
        for name, value in size.items():
            assert again[name] == pytest.approx(value, rel=0.02), (kb, name)


@pytest.mark.slow
def test_the_claim_check_requests_are_what_the_code_makes(measured, bench):
    again = bench.claim_check(region=REGION)
    assert measured["claim_check"] == again
    assert again["s3_requests_per_staged_record_by_api"] == {"DeleteObjects": 0.1, "GetObject": 4.0, "PutObject": 3.0}
