"""The functions' default memory holds the largest batch Lambda can hand ingest: an event at the 6 MB
payload limit of a synchronous invocation, with records at the Kinesis maximum (1 MiB, all staged by
reference) among small ones.

The batch runs through the real chain in a process of its own (moto server in its threads), whose
peak resident size is an upper bound for any one function: it holds moto's copies of every record
and every object too, and all five handlers at once, where Lambda runs each in its own process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from compute_layer.settings import DEFAULT_MEMORY_MB
from dataplane_support import KINESIS_MAX_RECORD_BYTES

LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
HERE = Path(__file__).parent

LARGEST_BATCH = r"""
import json, os, sys
import dataplane_emulator.pipeline as runner
from dataplane_support import REGION, event, event_of_size, items

def peak_resident_mb():
    # VmHWM belongs to this program's memory; ru_maxrss would keep the forking parent's peak (pytest's).
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

largest, count = int(sys.argv[1]), int(sys.argv[2])
server, endpoint = runner.start_moto()
os.environ.update(runner.emulator_environment(endpoint, REGION))
with runner.stdout_discarded():
    pipeline = runner.Pipeline(region=REGION)
    small = [json.dumps(event(n)).encode() for n in range(50)]
    pipeline.put([*small[:25], *(event_of_size(100 + n, largest) for n in range(count)), *small[25:]])
    records = pipeline.read()
    batch = pipeline.event(records)
    response = pipeline.invoke(batch)
    archived = sum(1 for item in items(pipeline).values() if item["State"] == "ARCHIVED")
server.stop()
print(json.dumps({
    "event_bytes": len(json.dumps(batch)),
    "records": len(records),
    "archived": archived,
    "failures": response["batchItemFailures"],
    "peak_mb": peak_resident_mb(),
}))
"""


@pytest.fixture(scope="module")
def largest_batch():
    tests, compute = HERE.parent, HERE.parents[1]
    run = subprocess.run(
        [sys.executable, "-c", LARGEST_BATCH, str(KINESIS_MAX_RECORD_BYTES - 3), "4"],
        env={"PYTHONPATH": f"{tests}:{compute}:{HERE}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1])


@pytest.mark.slow
def test_the_batch_is_as_large_as_lambda_delivers_and_every_record_is_archived(largest_batch):
    assert 5 * 1024 * 1024 < largest_batch["event_bytes"] <= LAMBDA_SYNC_PAYLOAD_BYTES
    assert largest_batch["failures"] == []
    assert largest_batch["archived"] == largest_batch["records"] == 54


@pytest.mark.slow
def test_every_function_has_more_memory_by_default_than_the_whole_chain_needs(largest_batch):
    defaults = DEFAULT_MEMORY_MB
    smallest = min(defaults.values())
    assert largest_batch["peak_mb"] < smallest, (
        f"the largest batch took {largest_batch['peak_mb']:.0f} MB, more than the {smallest} MB a function gets"
    )
