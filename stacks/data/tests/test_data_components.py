"""The data components build from their specs alone: no stack config, no `DataSettings`."""

from __future__ import annotations

from streaming_shared.catalogue import repo_root
from streaming_tooling.testing import run_program

PROGRAM = """
import sys

sys.path.insert(0, {folder!r})
from data_layer.stream import IngestStream, StreamSpec
from data_layer.settings import CapacityRange
from data_layer.table import StateTable, TableSpec

IngestStream(
    "stream",
    StreamSpec(
        environment="prod",
        mode="ON_DEMAND",
        shard_count=None,
        retention_hours=48,
        shard_level_metrics=("IncomingBytes",),
        customer_managed_key=True,
        protect=True,
    ),
)
StateTable(
    "state",
    TableSpec(
        environment="prod",
        billing_mode="PROVISIONED",
        capacity=dict(
            table_read_capacity=CapacityRange(5, 50),
            table_write_capacity=CapacityRange(7, 70),
            index_read_capacity=CapacityRange(2, 20),
            index_write_capacity=CapacityRange(3, 30),
        ),
        target_utilization=80,
        deletion_protection=False,
        protect=False,
    ),
)
"""


def test_a_stream_and_a_table_are_what_their_specs_say(tmp_path):
    (tmp_path / "__main__.py").write_text(PROGRAM.format(folder=str(repo_root() / "stacks" / "data")))
    run = run_program(tmp_path, project="probe")

    stream, key = run.one("aws:kinesis/stream:Stream"), run.one("aws:kms/key:Key")
    assert stream.inputs["name"] == "streaming-prod-records"
    assert stream.inputs["streamModeDetails"] == {"streamMode": "ON_DEMAND"}
    assert "shardCount" not in stream.inputs
    assert (stream.inputs["retentionPeriod"], stream.inputs["shardLevelMetrics"]) == (48, ["IncomingBytes"])
    assert stream.inputs["kmsKeyId"] == key.outputs["arn"]
    assert stream.protect and key.protect

    table = run.one("aws:dynamodb/table:Table")
    (index,) = table.inputs["globalSecondaryIndexes"]
    assert table.inputs["name"] == "streaming-prod-state"
    assert (table.inputs["readCapacity"], table.inputs["writeCapacity"]) == (5, 7)
    assert (index["readCapacity"], index["writeCapacity"]) == (2, 3)
    assert table.inputs["deletionProtectionEnabled"] is False
    assert not table.protect
    targets = {t.inputs["scalableDimension"]: t.inputs for t in run.of_type("aws:appautoscaling/target:Target")}
    assert {dimension: (t["minCapacity"], t["maxCapacity"]) for dimension, t in targets.items()} == {
        "dynamodb:table:ReadCapacityUnits": (5, 50),
        "dynamodb:table:WriteCapacityUnits": (7, 70),
        "dynamodb:index:ReadCapacityUnits": (2, 20),
        "dynamodb:index:WriteCapacityUnits": (3, 30),
    }
    policies = run.of_type("aws:appautoscaling/policy:Policy")
    assert {p.inputs["targetTrackingScalingPolicyConfiguration"]["targetValue"] for p in policies} == {80}


def test_children_are_named_after_their_component(tmp_path):
    renamed = PROGRAM.replace('IngestStream(\n    "stream",', 'IngestStream(\n    "clicks",').replace(
        'StateTable(\n    "state",', 'StateTable(\n    "clicks-state",'
    )
    (tmp_path / "__main__.py").write_text(renamed.format(folder=str(repo_root() / "stacks" / "data")))
    run = run_program(tmp_path, project="probe")
    assert run.one("aws:kinesis/stream:Stream").name == "clicks"
    assert run.one("aws:kms/key:Key").name == "clicks-key"
    assert run.one("aws:dynamodb/table:Table").name == "clicks-state"
    assert {t.name for t in run.of_type("aws:appautoscaling/target:Target")} == {
        f"clicks-state-{part}" for part in ("table-read", "table-write", "index-read", "index-write")
    }
