"""The capacity model agrees within 20% with a simulation of one shard (bench/capacity_simulation.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import capacity_simulation as simulation


@pytest.mark.slow
@pytest.mark.parametrize(
    "scenario", simulation.default_scenarios(), ids=lambda s: f"batch{s.batch_size}-p{s.parallelization_factor}"
)
def test_simulated_throughput_is_within_20_percent_of_the_model(scenario):
    outcome = simulation.compare(scenario)
    assert outcome.executions_per_batch == outcome.modelled_executions_per_batch
    assert 0.8 <= outcome.ratio <= 1.2, outcome
