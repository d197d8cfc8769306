"""The layer's exports and its alarm catalogue's defaults (its README table is checked with the others)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from streaming_shared.catalogue import OBSERVABILITY, STAGES
from streaming_tooling.testing import repo_root

LAYER_DIR = repo_root() / "stacks" / "observability"


def _import(module):
    sys.path.insert(0, str(LAYER_DIR))
    try:
        return importlib.import_module(f"observability_layer.{module}")
    finally:
        sys.path.remove(str(LAYER_DIR))


def test_exports_the_contract(default_run):
    assert set(OBSERVABILITY.exports) <= set(default_run.exports)


def test_exported_topic_and_dashboard_are_the_created_ones(default_run):
    assert default_run.exports["alarm_topic_arn"] == default_run.one("aws:sns/topic:Topic").outputs["arn"]
    assert default_run.exports["dashboard_name"] == "streaming-dev-euw1-pipeline"
    assert default_run.exports["alarm_topic_kms_key_arn"] == default_run.one("aws:kms/key:Key").outputs["arn"]


def test_alarm_names_map_each_alarm_key_to_its_physical_name(default_run):
    alarms = {
        alarm.name.removeprefix("alarms-"): alarm.inputs["name"]
        for alarm in default_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    assert default_run.exports["alarm_names"] == alarms


def test_alarm_names_cover_every_stage_and_the_queue(default_run):
    keys = set(default_run.exports["alarm_names"])
    assert {f"{stage}-errors" for stage in STAGES} <= keys
    assert {f"{stage}-throttles" for stage in STAGES} <= keys
    assert {"dead-letter-queue-depth", "dead-letter-queue-age", "ingest-iterator-age"} <= keys


def test_twenty_two_alarms_by_default(default_run):
    assert len(default_run.exports["alarm_names"]) == 22


def test_another_stack_gets_its_own_names(run_observability, upstream):
    run = run_observability(upstream=upstream, stack="prod")
    assert run.exports["dashboard_name"] == "streaming-prod-euw1-pipeline"
    assert all(name.startswith("streaming-prod-") for name in run.exports["alarm_names"].values())


def test_every_default_tuning_is_one_the_settings_accept():
    kinds, settings = _import("alarm_kinds"), _import("settings")
    for kind in kinds.KINDS:
        assert settings.AlarmTuning.model_validate(kind.default.as_config()).as_tuning() == kind.default, kind.key


def test_alarm_kind_keys_and_names_are_unique():
    kinds = _import("alarm_kinds").KINDS
    assert len({kind.key for kind in kinds}) == len({kind.name for kind in kinds}) == len(kinds)


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_example_stack_files_configure_a_region(stack):
    text = (LAYER_DIR / f"Pulumi.{stack}.yaml").read_text()
    assert "aws:region:" in text and "disable-default-providers" in text
