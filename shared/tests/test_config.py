"""Config loading: typed values from Pulumi's strings, every problem named with its key."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field

from streaming_shared.catalogue import DATA
from streaming_shared.config import DEFAULT_EMULATOR_ENDPOINT, LayerSettings, settings_table
from streaming_shared.errors import ConfigError


class SampleSettings(LayerSettings):
    LAYER = DATA

    shard_count: int = Field(1, ge=1, le=10, description="Shards.")
    mode: Literal["ON_DEMAND", "PROVISIONED"] = Field("ON_DEMAND", description="Capacity mode.")
    names: list[str] = Field(default_factory=list, description="Some names.")
    sizes: dict[str, int] = Field(default_factory=dict, description="Sizes by name.")


def load(values=None, stack="dev", region="eu-west-1"):
    return SampleSettings.from_values(values or {}, stack=stack, region=region)


def test_defaults_apply_when_nothing_is_set():
    settings = load()
    assert (settings.shard_count, settings.mode, settings.names, settings.org) == (1, "ON_DEMAND", [], None)


def test_values_arrive_as_pulumi_strings_and_are_decoded():
    settings = load({"shardCount": "4", "mode": "PROVISIONED", "names": '["a", "b"]', "tags": '{"Team": "data"}'})
    assert (settings.shard_count, settings.mode, settings.names, settings.tags) == (
        4,
        "PROVISIONED",
        ["a", "b"],
        {"Team": "data"},
    )


def test_environment_comes_from_stack_and_region():
    env = load(stack="prod-eu", region="eu-central-1").environment
    assert (env.name, env.region, env.layer) == ("prod-eu", "eu-central-1", DATA)


def test_an_unknown_enum_value_names_the_key_value_and_allowed_values():
    with pytest.raises(ConfigError) as error:
        load({"mode": "SERVERLESS"})
    assert error.value.keys == ["streaming-data:mode"]
    assert "'SERVERLESS'" in str(error.value)
    assert "'ON_DEMAND' or 'PROVISIONED'" in str(error.value)


def test_out_of_range_numbers_name_the_bound():
    with pytest.raises(ConfigError, match=r"streaming-data:shardCount = 11: .*less than or equal to 10"):
        load({"shardCount": "11"})


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        load({"shardCount": "0", "mode": "x", "colour": "blue"}, stack="Bad Name", region="mars")
    assert sorted(error.value.keys) == sorted(
        ["stack name", "aws:region", "streaming-data:colour", "streaming-data:shardCount", "streaming-data:mode"]
    )


def test_a_misspelt_key_lists_the_real_ones():
    with pytest.raises(
        ConfigError, match="its settings are: emulatorEndpoint, mode, names, org, shardCount, sizes, tags"
    ):
        load({"shardcount": "2"})


@pytest.mark.parametrize("stack", ["dev", "prod-eu", "a", "local", "x1234567890abcde"])
def test_valid_environment_names(stack):
    assert load(stack=stack).environment.name == stack


@pytest.mark.parametrize("stack", ["Dev", "prod_eu", "1dev", "dev-", "de--v", "x1234567890abcdef", ""])
def test_environment_names_that_would_break_resource_names(stack):
    with pytest.raises(ConfigError) as error:
        load(stack=stack)
    assert error.value.keys == ["stack name"]


def test_region_is_required_and_checked():
    with pytest.raises(ConfigError, match="aws:region: is required"):
        load(region=None)
    with pytest.raises(ConfigError, match="aws:region = 'Europe'"):
        load(region="Europe")


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"Layer": "x"}, "set by the project"),
        ({"aws:owner": "x"}, "reserved by AWS"),
        ({"k" * 129: "x"}, "1-128 characters"),
    ],
)
def test_user_tags_are_checked(tags, reason):
    with pytest.raises(ConfigError, match=reason):
        load({"tags": tags})


def test_stack_local_talks_to_the_emulator_and_others_to_aws():
    assert load(stack="local").emulator == DEFAULT_EMULATOR_ENDPOINT
    assert load(stack="dev").emulator is None
    assert load({"emulatorEndpoint": "http://127.0.0.1:5000/"}, stack="dev").emulator == "http://127.0.0.1:5000"


def test_emulator_endpoint_must_be_a_url():
    with pytest.raises(ConfigError, match="streaming-data:emulatorEndpoint"):
        load({"emulatorEndpoint": "localhost"})


def test_settings_table_documents_every_layer_key_with_default_and_range():
    table = settings_table(SampleSettings)
    assert "| `streaming-data:shardCount` | integer 1..10 | `1` | Shards. |" in table
    assert "| `streaming-data:mode` | one of `ON_DEMAND`, `PROVISIONED` | `ON_DEMAND` | Capacity mode. |" in table
    assert "| `streaming-data:names` | list of strings | `[]` | Some names. |" in table
    assert "| `streaming-data:sizes` | map of integers | `{}` | Sizes by name. |" in table
    assert "org" not in table


class StructuredSettings(LayerSettings):
    LAYER = DATA

    limits: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="Per-thing limits.",
        json_schema_extra={"allowed": "map: thing -> {`low`, `high`}", "default": "see below"},
    )


def test_settings_table_takes_cells_a_structured_key_gives_for_itself():
    table = settings_table(StructuredSettings)
    assert "| `streaming-data:limits` | map: thing -> {`low`, `high`} | see below | Per-thing limits. |" in table


def test_full_config_key_of_a_field():
    assert load().key("shard_count") == "streaming-data:shardCount"
