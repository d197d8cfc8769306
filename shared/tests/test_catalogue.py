"""The layer catalogue is DESIGN.md's contract, and the deploy order is derived from it."""

from __future__ import annotations

import pytest

from streaming_shared.catalogue import (
    COMPUTE,
    DATA,
    LAYERS,
    NETWORK,
    OBSERVABILITY,
    STAGES,
    deploy_order,
    destroy_order,
    downstream_of,
    layer,
    waves,
)


def test_project_names_match_the_design():
    assert {item.name: item.project for item in LAYERS.values()} == {
        "network": "streaming-network",
        "data": "streaming-data",
        "compute": "streaming-compute",
        "observability": "streaming-observability",
    }


def test_upstream_graph_matches_the_design():
    assert {item.name: set(item.upstream) for item in LAYERS.values()} == {
        "network": set(),
        "data": set(),
        "compute": {"network", "data"},
        "observability": {"data", "compute"},
    }


def test_contract_exports_match_the_design():
    assert set(NETWORK.exports) == {
        "region",
        "vpc_id",
        "vpc_cidr",
        "availability_zones",
        "private_subnet_ids",
        "private_route_table_ids",
        "lambda_security_group_id",
    }
    assert set(DATA.exports) == {
        "region",
        "stream_name",
        "stream_arn",
        "table_name",
        "table_arn",
        "archive_bucket_name",
        "archive_bucket_arn",
    }
    assert set(COMPUTE.exports) >= {
        "region",
        "function_names",
        "function_arns",
        "state_machine_arn",
        "event_source_mapping_id",
        "dead_letter_queue_arn",
        "dead_letter_queue_url",
    }
    assert set(OBSERVABILITY.exports) >= {"dashboard_name", "alarm_topic_arn", "alarm_names"}


def test_every_key_a_layer_reads_is_exported_by_its_upstream():
    for consumer in LAYERS.values():
        for upstream, keys in consumer.reads.items():
            assert set(keys) <= set(LAYERS[upstream].exports), (consumer.name, upstream)


def test_stages_are_in_processing_order():
    assert STAGES == ("ingest", "transform", "validate", "enrich", "archive")


def test_network_and_data_deploy_together_then_compute_then_observability():
    assert [[item.name for item in wave] for wave in waves()] == [["network", "data"], ["compute"], ["observability"]]


def test_destroy_runs_dependents_first():
    assert [item.name for item in destroy_order()] == ["observability", "compute", "data", "network"]
    assert destroy_order() == list(reversed(deploy_order()))


def test_waves_of_a_subset_ignore_layers_outside_it():
    assert [[item.name for item in wave] for wave in waves([COMPUTE, OBSERVABILITY])] == [
        ["compute"],
        ["observability"],
    ]


def test_downstream_is_transitive_and_in_deploy_order():
    assert [item.name for item in downstream_of("network")] == ["compute", "observability"]
    assert [item.name for item in downstream_of("data")] == ["compute", "observability"]
    assert [item.name for item in downstream_of("compute")] == ["observability"]
    assert downstream_of("observability") == []


def test_layers_are_found_by_folder_or_project_name():
    assert layer("streaming-data") is DATA
    assert layer("data") is DATA
    with pytest.raises(KeyError, match="network, data, compute, observability"):
        layer("storage")


def test_stack_reference_names_are_fully_qualified():
    assert NETWORK.stack_reference_name("acme", "prod") == "acme/streaming-network/prod"
