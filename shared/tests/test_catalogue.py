"""The layer catalogue: the contract between the layers, and the deploy order derived from it."""

from __future__ import annotations

import pytest

from streaming_shared.catalogue import (
    COMPUTE,
    DATA,
    LAYERS,
    NETWORK,
    OBSERVABILITY,
    STAGES,
    Shape,
    deploy_order,
    destroy_order,
    downstream_of,
    layer,
    waves,
)


def test_every_key_a_layer_reads_is_exported_by_its_upstream():
    for consumer in LAYERS.values():
        for upstream, keys in consumer.reads.items():
            assert set(keys) <= set(LAYERS[upstream].exports), (consumer.name, upstream)


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


def test_every_optional_read_is_an_optional_export_of_its_upstream():
    for consumer in LAYERS.values():
        for upstream, keys in consumer.optional_reads.items():
            assert set(keys) <= set(LAYERS[upstream].optional_exports), (consumer.name, upstream)


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        (Shape.STRING, "vpc-0a1b"),
        (Shape.STRINGS, ["subnet-1", "subnet-2"]),
        (Shape.BY_STAGE, {stage: f"streaming-dev-{stage}" for stage in STAGES}),
        (Shape.BY_NAME, {"ingest-errors": "streaming-dev-ingest-errors"}),
    ],
)
def test_a_value_of_the_declared_shape_fits(shape, value):
    assert shape.fits(value)


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        (Shape.STRING, ""),
        (Shape.STRING, ["vpc-0a1b"]),
        (Shape.STRINGS, "subnet-1"),
        (Shape.STRINGS, []),
        (Shape.STRINGS, ["subnet-1", 2]),
        (Shape.BY_STAGE, {stage: "x" for stage in STAGES[:4]}),
        (Shape.BY_NAME, {"ingest-errors": ["streaming-dev-ingest-errors"]}),
        (Shape.BY_NAME, {}),
    ],
)
def test_a_value_of_another_shape_does_not_fit(shape, value):
    assert not shape.fits(value)
