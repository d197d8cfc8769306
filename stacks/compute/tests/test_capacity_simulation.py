"""The capacity model agrees within 20% with a simulation of one shard (bench/capacity_simulation.py),
and the simulation catches a model whose formula is broken."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from streaming_tooling.estimate import capacity

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import capacity_simulation as simulation

MANY_KEYS, HOT_KEY = simulation.default_scenarios()


@pytest.fixture(scope="module")
def simulated() -> dict[str, tuple[float, float, dict[str, float]]]:
    return {"many keys": simulation.simulate(MANY_KEYS), "one hot key": simulation.simulate(HOT_KEY)}


def outcome(scenario: simulation.Scenario, run: tuple[float, float, dict[str, float]]) -> simulation.Outcome:
    rate, executions, cpu = run
    model, modelled_executions = simulation.modelled(scenario, cpu)
    return simulation.Outcome(scenario, rate, model, executions, modelled_executions, cpu)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "scenario"), [("many keys", MANY_KEYS), ("one hot key", HOT_KEY)])
def test_simulated_throughput_is_within_20_percent_of_the_model(simulated, name, scenario):
    result = outcome(scenario, simulated[name])
    assert result.executions_per_batch == result.modelled_executions_per_batch
    assert 0.8 <= result.ratio <= 1.2, result


@pytest.mark.slow
def test_a_model_that_ignores_the_partition_keys_is_caught(simulated, monkeypatch):
    monkeypatch.setattr(capacity, "concurrent_batches", lambda facts, shards, keys: float(facts.parallelization_factor))
    result = outcome(HOT_KEY, simulated["one hot key"])
    assert result.ratio < 0.8, result


@pytest.mark.slow
def test_a_model_that_runs_a_batch_in_one_execution_whatever_its_size_is_caught(simulated, monkeypatch):
    monkeypatch.setattr(capacity, "executions_per_batch", lambda *args, **kwargs: 1.0)
    result = outcome(MANY_KEYS, simulated["many keys"])
    assert result.ratio < 0.8, result
