"""Compute configuration beyond single bad values (those are rows of tests/test_bad_input_config.py)."""

from __future__ import annotations

import pytest
import yaml
from compute_fixtures import COMPUTE_DIR, data_exports, network_exports, run_compute

from streaming_tooling.testing import ProgramFailed

P = "streaming-compute"


def test_every_bad_value_is_reported_at_once():
    with pytest.raises(ProgramFailed) as failure:
        run_compute(config={"batchSize": 0, "parallelizationFactor": 11, "runtime": "python2.7"})
    assert sorted(failure.value.error.keys) == [f"{P}:batchSize", f"{P}:parallelizationFactor", f"{P}:runtime"]


def test_both_timeout_relationships_are_reported_together():
    with pytest.raises(ProgramFailed) as failure:
        run_compute(config={"timeoutSeconds": {"ingest": 100, "transform": 400}})
    assert failure.value.error.keys == [f"{P}:timeoutSeconds", f"{P}:timeoutSeconds"]


def test_the_shortest_ingest_timeout_allowed_is_the_express_limit_plus_thirty_seconds():
    run = run_compute(config={"timeoutSeconds": {"ingest": 330, "archive": 300}})
    timeouts = {f.name: f.inputs["timeout"] for f in run.of_type("aws:lambda/function:Function")}
    assert (timeouts["ingest"], timeouts["archive"]) == (330, 300)


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_the_example_stack_files_are_valid(stack):
    example = yaml.safe_load((COMPUTE_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    region = example["aws:region"]
    config = {key.split(":", 1)[1]: value for key, value in example.items() if key.startswith(f"{P}:")}
    run = run_compute(
        stack=stack,
        region=region,
        config=config,
        upstream={"network": network_exports(region), "data": data_exports(region, stack=stack)},
    )
    assert run.exports["function_names"]["ingest"] == f"streaming-{stack}-ingest"
