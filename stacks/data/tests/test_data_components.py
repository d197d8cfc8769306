"""The data components build from their specs alone: no stack config, no `DataSettings`."""

from __future__ import annotations

from streaming_shared.catalogue import repo_root
from streaming_tooling.testing import run_program

PROGRAM = """
import sys

sys.path.insert(0, {folder!r})
from data_layer.stream import IngestStream, StreamSpec
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
        read_capacity=5,
        write_capacity=7,
        index_read_capacity=2,
        index_write_capacity=3,
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


def test_children_are_named_after_their_component(tmp_path):
    renamed = PROGRAM.replace('IngestStream(\n    "stream",', 'IngestStream(\n    "clicks",').replace(
        'StateTable(\n    "state",', 'StateTable(\n    "clicks-state",'
    )
    (tmp_path / "__main__.py").write_text(renamed.format(folder=str(repo_root() / "stacks" / "data")))
    run = run_program(tmp_path, project="probe")
    assert run.one("aws:kinesis/stream:Stream").name == "clicks"
    assert run.one("aws:kms/key:Key").name == "clicks-key"
    assert run.one("aws:dynamodb/table:Table").name == "clicks-state"
