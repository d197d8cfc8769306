"""`nox -s config-diff -- dev prod`: the settings whose values differ between two stacks, defaults
applied, on the repository's real stack files (and tmp copies of them for bad input)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from streaming_shared.catalogue import DATA, LAYERS, NETWORK, OBSERVABILITY, deploy_order
from streaming_shared.config import is_disposable
from streaming_tooling.deploy.config_diff import SECRET, differences, main
from streaming_tooling.deploy.stack_files import read_stack_file
from streaming_tooling.layers import layer_module, layer_settings_model
from streaming_tooling.testing import repo_root

STACKS = ("dev", "prod")


@pytest.fixture(scope="module")
def dev_to_prod() -> dict[str, dict[str, dict[str, object]]]:
    return differences(repo_root(), STACKS)


def file_config(layer_name: str, stack: str) -> dict[str, object]:
    return read_stack_file(repo_root(), LAYERS[layer_name], stack).get("config") or {}


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def copied_stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the layers' stack files and settings models, which the command then reads."""
    for item in LAYERS.values():
        source = repo_root() / item.folder
        for path in source.glob("Pulumi.*.yaml"):
            (tmp_path / item.folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, tmp_path / item.folder / path.name)
        if (source / f"{item.name}_layer").exists():
            shutil.copytree(source / f"{item.name}_layer", tmp_path / item.folder / f"{item.name}_layer")
    monkeypatch.setenv("STREAMING_REPO_ROOT", str(tmp_path))
    return tmp_path


def test_a_key_set_in_neither_file_differs_by_its_stack_dependent_default(dev_to_prod):
    unset_in_both = (
        (DATA.name, "streaming-data:streamCustomerManagedKey"),
        (NETWORK.name, "streaming-network:flowLogs"),
    )
    for layer_name, key in unset_in_both:
        assert key not in file_config(layer_name, "dev") and key not in file_config(layer_name, "prod")
        assert dev_to_prod[layer_name][key] == {"dev": False, "prod": True}
    assert dev_to_prod[DATA.name]["streaming-data:tableDeletionProtection"] == {"dev": False, "prod": True}
    assert dev_to_prod["compute"]["streaming-compute:stateMachineExecutionData"] == {"dev": True, "prod": False}


def test_a_map_differs_leaf_by_leaf_with_its_defaults_filled_in(dev_to_prod):
    dev_memory = file_config("compute", "dev")["streaming-compute:memoryMb"]
    prod_memory = file_config("compute", "prod")["streaming-compute:memoryMb"]
    assert set(dev_memory) != set(prod_memory)
    memory = {key: pair for key, pair in dev_to_prod["compute"].items() if key.startswith("streaming-compute:memoryMb")}
    model = layer_settings_model(repo_root(), "compute")
    assert model is not None
    defaults = model.model_fields["memory_mb"].get_default(call_default_factory=True)
    expected = {
        f"streaming-compute:memoryMb.{stage}": {"dev": dev_memory.get(stage, mb), "prod": prod_memory.get(stage, mb)}
        for stage, mb in defaults.items()
        if dev_memory.get(stage, mb) != prod_memory.get(stage, mb)
    }
    assert memory == expected and len(memory) >= 2


def test_an_alarm_tuned_in_one_stack_is_compared_with_the_alarm_tables_default(dev_to_prod):
    dev_alarms = file_config(OBSERVABILITY.name, "dev")["streaming-observability:alarms"]
    assert "streaming-observability:alarms" not in file_config(OBSERVABILITY.name, "prod")
    [(alarm, tuning)] = dev_alarms.items()
    model = layer_settings_model(repo_root(), OBSERVABILITY.name)
    assert model is not None
    default = model.from_values({}, stack="prod", region="eu-west-1").tuning(alarm).as_config()
    for part, value in tuning.items():
        assert dev_to_prod[OBSERVABILITY.name][f"streaming-observability:alarms.{alarm}.{part}"] == {
            "dev": value,
            "prod": default[part],
        }


def test_a_provisioned_table_shows_the_auto_scaling_it_gets_by_default(dev_to_prod):
    assert file_config(DATA.name, "prod")["streaming-data:tableBillingMode"] == "PROVISIONED"
    data_settings = layer_module(repo_root(), DATA.name, "settings")
    assert data_settings is not None
    for dimension, bounds in data_settings.DEFAULT_CAPACITY.items():
        key = "streaming-data:" + data_settings.DataSettings.model_fields[dimension].alias
        assert key not in file_config(DATA.name, "prod")
        for bound, units in bounds.items():
            assert dev_to_prod[DATA.name][f"{key}.{bound}"] == {"dev": None, "prod": units}
    target = {"dev": None, "prod": data_settings.DEFAULT_TARGET_UTILIZATION}
    assert dev_to_prod[DATA.name]["streaming-data:tableTargetUtilization"] == target


def test_a_key_set_in_the_files_shows_both_values_and_equal_keys_are_left_out(dev_to_prod):
    key = "streaming-data:streamShardCount"
    assert dev_to_prod[DATA.name][key] == {stack: file_config(DATA.name, stack)[key] for stack in STACKS}
    assert file_config(DATA.name, "dev")["aws:region"] == file_config(DATA.name, "prod")["aws:region"]
    assert "aws:region" not in dev_to_prod[DATA.name]
    assert "streaming-network:permissionsBoundary" not in dev_to_prod[NETWORK.name]


def test_a_secret_is_shown_as_secret_never_its_value_or_ciphertext(capsys):
    [ciphertext] = [
        value["secure"]
        for value in file_config(OBSERVABILITY.name, "prod").values()
        if isinstance(value, dict) and "secure" in value
    ]
    model = layer_settings_model(repo_root(), OBSERVABILITY.name)
    assert model is not None
    example = model.model_fields["alarm_https_endpoint"].examples[0]  # type: ignore[index]
    for arguments in (STACKS, (*STACKS, "--json")):
        code, out, _ = run(capsys, *arguments)
        assert code == 0
        assert SECRET in out
        assert ciphertext not in out and example not in out
    key = "streaming-observability:alarmHttpsEndpoint"
    assert json.loads(out)["layers"][OBSERVABILITY.name][key] == {"dev": None, "prod": SECRET}


def test_json_is_layers_keys_and_the_two_values_under_the_stack_names_as_given(capsys, dev_to_prod):
    code, out, _ = run(capsys, "prod", "dev", "--json")
    assert code == 0
    document = json.loads(out)
    assert list(document) == ["layers"]
    assert set(document["layers"]) == set(LAYERS)
    pairs = [pair for keys in document["layers"].values() for pair in keys.values()]
    assert pairs and all(list(pair) == ["prod", "dev"] for pair in pairs)
    assert {
        layer_name: {key: {"dev": pair["dev"], "prod": pair["prod"]} for key, pair in keys.items()}
        for layer_name, keys in document["layers"].items()
    } == json.loads(json.dumps(dev_to_prod))


def test_text_is_a_table_per_layer_of_key_and_both_values(capsys):
    code, out, _ = run(capsys, *STACKS)
    assert code == 0
    blocks = out.strip().split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [f"{item.name}:" for item in deploy_order()]
    data_block = blocks[1].splitlines()
    assert data_block[1].split() == ["key", "dev", "prod"]
    assert "  streaming-data:streamCustomerManagedKey" in blocks[1]
    [row] = [line for line in data_block if "streamCustomerManagedKey" in line]
    assert row.split() == ["streaming-data:streamCustomerManagedKey", "false", "true"]


def test_identical_stacks_say_that_nothing_differs(capsys):
    code, out, _ = run(capsys, "dev", "dev")
    assert code == 0
    assert out == "Nothing differs between stacks 'dev' and 'dev': every setting of every layer is the same.\n"


def test_a_stack_no_layer_has_is_one_sentence_and_exit_2(capsys):
    code, out, err = run(capsys, "dev", "prdo")
    assert (code, out) == (2, "")
    assert err == (
        "config-diff: no layer has a stack file for 'prdo' (stacks/<layer>/Pulumi.prdo.yaml); "
        "the stacks with one are: dev, local, prod\n"
    )


def test_a_missing_argument_is_one_sentence_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["dev"])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert err == (
        "config-diff: the following arguments are required: second "
        "(usage: nox -s config-diff -- <stack> <stack> [--json])\n"
    )


def test_a_bad_value_names_the_file_and_the_key(capsys, copied_stacks):
    path = copied_stacks / "stacks/data/Pulumi.prod.yaml"
    path.write_text(path.read_text() + "  streaming-data:streamShardCount: lots\n")
    code, out, err = run(capsys, *STACKS)
    assert (code, out) == (2, "")
    assert err.startswith("config-diff: stacks/data/Pulumi.prod.yaml: streaming-data:streamShardCount = 'lots': ")
    assert len(err.splitlines()) == 1


def test_a_file_yaml_cannot_parse_names_the_file_and_line(capsys, copied_stacks):
    (copied_stacks / "stacks/compute/Pulumi.prod.yaml").write_text("config:\n\t- x\n")
    code, _, err = run(capsys, *STACKS)
    assert code == 2
    assert err.startswith("config-diff: stacks/compute/Pulumi.prod.yaml, line 2, column 1: not valid YAML")


def test_a_stack_some_layers_lack_names_the_missing_file(capsys, copied_stacks):
    (copied_stacks / "stacks/observability/Pulumi.prod.yaml").unlink()
    code, _, err = run(capsys, *STACKS)
    assert code == 2
    assert err.startswith("config-diff: stacks/observability/Pulumi.prod.yaml does not exist")


@pytest.mark.parametrize("name", [name for name in LAYERS if layer_settings_model(repo_root(), name)])
def test_every_stack_dependent_default_is_resolved_for_the_stack(name):
    """A field whose description says its unset value depends on the stack being disposable is in
    STACK_DEFAULTS, and each of those really resolves differently for dev and prod (or local)."""
    model = layer_settings_model(repo_root(), name)
    assert model is not None
    described = {
        field_name
        for field_name, field in model.model_fields.items()
        if "Unset:" in (field.description or "") and "disposable" in (field.description or "")
    }
    assert described <= set(model.STACK_DEFAULTS), described - set(model.STACK_DEFAULTS)
    assert not is_disposable("prod")
    values = {
        stack: model.from_values({}, stack=stack, region="eu-west-1").effective_values() for stack in ("local", "prod")
    }
    for field_name in model.STACK_DEFAULTS:
        key = model.model_fields[field_name].alias or field_name
        assert values["local"][key] != values["prod"][key], key


def test_a_secret_set_in_both_stacks_is_not_listed_as_differing(capsys, copied_stacks):
    prod_file = copied_stacks / "stacks/observability/Pulumi.prod.yaml"
    [secret_lines] = [
        block for block in prod_file.read_text().split("  streaming-observability:") if block.startswith("alarmHttps")
    ]
    dev_file = copied_stacks / "stacks/observability/Pulumi.dev.yaml"
    dev_file.write_text(dev_file.read_text() + "  streaming-observability:" + secret_lines)
    code, out, _ = run(capsys, *STACKS, "--json")
    assert code == 0
    assert "streaming-observability:alarmHttpsEndpoint" not in json.loads(out)["layers"][OBSERVABILITY.name]
