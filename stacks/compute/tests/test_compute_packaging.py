"""Deployment packages and the dependency layer, built from a functions tree in the contract's layout."""

from __future__ import annotations

import ast
import os
import zipfile
from pathlib import Path

import pytest
from compute_fixtures import COMPUTE_DIR
from compute_layer.packaging import (
    SHARED_RUNTIME_FILES,
    DependencyBuildError,
    build_dependency_layer,
    function_code,
    layer_key,
    pip_command,
)

import streaming_shared
from streaming_shared.catalogue import STAGES

# A pip that can reach no index: every source it would use points at a closed port on this machine.
NO_INDEX = {
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple/",
    "PIP_EXTRA_INDEX_URL": "",
    "PIP_FIND_LINKS": "",
    "PIP_RETRIES": "0",
    "PIP_TIMEOUT": "2",
    "PIP_NO_CACHE_DIR": "1",
}


REQUIREMENTS = "aws-lambda-powertools==3.37.0\nfastjsonschema==2.22.3\n"


@pytest.fixture
def functions(tmp_path: Path) -> Path:
    """A small functions tree in the layout `function_code` packages, with a byte-code cache to leave out."""
    root = tmp_path / "functions"
    core = root / "pipeline_core"
    (core / "__pycache__").mkdir(parents=True)
    (root / "requirements.txt").write_text(REQUIREMENTS)
    (core / "__init__.py").write_text('"""Shared by every stage."""\n')
    (core / "records.py").write_text("def key(shard, sequence):\n    return f'{shard}#{sequence}'\n")
    (core / "__pycache__" / "records.cpython-313.pyc").write_bytes(b"\0")
    for stage in STAGES:
        (root / stage).mkdir()
        (root / stage / "handler.py").write_text(f"def handler(event, context):\n    return {{'stage': '{stage}'}}\n")
    (root / "validate" / "event.schema.json").write_text('{"type": "object"}\n')
    return root


SHIPPED_SHARED = ["streaming_shared/__init__.py", "streaming_shared/record_store.py"]


def test_a_stage_package_has_the_stage_folder_at_the_root_and_the_shared_packages_beside_it(functions):
    assert sorted(function_code(functions, "validate").assets) == [
        "event.schema.json",
        "handler.py",
        "pipeline_core/__init__.py",
        "pipeline_core/records.py",
        *SHIPPED_SHARED,
    ]


def test_byte_code_caches_stay_out_of_the_package(functions):
    (functions / "transform" / "__pycache__").mkdir()
    (functions / "transform" / "__pycache__" / "handler.cpython-313.pyc").write_bytes(b"\0")
    (functions / "transform" / "stray.pyc").write_bytes(b"\0")
    assert sorted(function_code(functions, "transform").assets) == [
        "handler.py",
        "pipeline_core/__init__.py",
        "pipeline_core/records.py",
        *SHIPPED_SHARED,
    ]


def test_nested_folders_of_a_stage_keep_their_paths(functions):
    (functions / "enrich" / "lookups").mkdir()
    (functions / "enrich" / "lookups" / "regions.json").write_text("{}")
    assert "lookups/regions.json" in function_code(functions, "enrich").assets


def test_a_stage_without_a_handler_is_an_error_naming_the_file(functions):
    (functions / "archive" / "handler.py").unlink()
    with pytest.raises(FileNotFoundError, match=r"archive/handler\.py is missing"):
        function_code(functions, "archive")


def test_a_missing_shared_package_is_an_error_naming_it(functions):
    (functions / "pipeline_core" / "__init__.py").unlink()
    with pytest.raises(FileNotFoundError, match=r"pipeline_core/__init__\.py is missing"):
        function_code(functions, "ingest")


@pytest.mark.parametrize("package", ["pipeline_core", "streaming_shared"])
def test_a_stage_may_not_bring_its_own_shared_package(functions, package):
    (functions / "ingest" / package).mkdir()
    (functions / "ingest" / package / "__init__.py").write_text("")
    with pytest.raises(ValueError, match=f"has its own {package}"):
        function_code(functions, "ingest")


def imports(path: Path) -> list[str]:
    """The modules a Python file imports (`from x import y` counts as `x`)."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_the_streaming_shared_files_a_function_gets_import_nothing():
    """Nothing else of the package ships, so a shipped file importing anything (pulumi, another module
    of the package) would fail in Lambda while every test passed."""
    package = Path(streaming_shared.__file__).parent
    assert {name: imports(package / name) for name in SHARED_RUNTIME_FILES} == {
        name: [] for name in SHARED_RUNTIME_FILES
    }


def test_the_functions_import_only_the_streaming_shared_modules_that_ship():
    shipped = {"streaming_shared", *(f"streaming_shared.{Path(name).stem}" for name in SHARED_RUNTIME_FILES)}
    imported = {
        module
        for path in (COMPUTE_DIR / "functions").rglob("*.py")
        for module in imports(path)
        if module.split(".")[0] == "streaming_shared"
    }
    assert imported and imported <= shipped


def test_pip_installs_for_the_lambda_runtime_not_for_this_interpreter(tmp_path):
    command = pip_command(tmp_path / "requirements.txt", tmp_path / "python", "python3.13", "arm64")
    joined = " ".join(command)
    assert "--only-binary=:all:" in command
    assert "--platform manylinux2014_aarch64" in joined
    assert "--python-version 3.13" in joined
    assert "--implementation cp" in joined
    assert "--abi cp313" in joined
    assert "--no-compile" in command
    assert "--require-hashes" in command


def test_the_cache_key_changes_with_requirements_runtime_and_architecture():
    keys = {
        layer_key(b"a==1\n", "python3.13", "arm64"),
        layer_key(b"a==2\n", "python3.13", "arm64"),
        layer_key(b"a==1\n", "python3.12", "arm64"),
        layer_key(b"a==1\n", "python3.13", "x86_64"),
    }
    assert len(keys) == 4
    assert layer_key(b"a==1\n", "python3.13", "arm64") == layer_key(b"a==1\n", "python3.13", "arm64")


def layer_zip(run) -> Path:
    return Path(run.one("aws:lambda/layerVersion:LayerVersion").inputs["code"].path)


def test_the_layer_is_a_zip_built_by_pip_under_python_and_then_reused(default_run):
    built = layer_zip(default_run)
    requirements = COMPUTE_DIR / "functions" / "requirements.txt"
    again = build_dependency_layer(requirements, built.parent, "python3.13", "arm64")
    assert again == built and built.suffix == ".zip"
    with zipfile.ZipFile(built) as bundle:
        names = bundle.namelist()
    assert all(name.startswith("python/") for name in names)
    packages = {name.split("/")[1] for name in names}
    assert {"aws_lambda_powertools", "fastjsonschema", "jmespath", "orjson"} <= packages
    assert not [name for name in names if "__pycache__" in name or name.startswith("python/bin/")]


def test_the_built_layer_carries_nothing_of_the_machine_or_time_it_was_built_on(default_run):
    with zipfile.ZipFile(layer_zip(default_run)) as bundle:
        entries = bundle.infolist()
    assert not [entry.filename for entry in entries if entry.filename.endswith(".dist-info/RECORD")]
    assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert {entry.external_attr >> 16 for entry in entries} == {0o100644}
    assert [entry.filename for entry in entries] == sorted(entry.filename for entry in entries)


def test_an_unreachable_package_index_fails_with_one_sentence_naming_the_file(tmp_path, monkeypatch):
    for key, value in NO_INDEX.items():
        monkeypatch.setenv(key, value)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(REQUIREMENTS)
    with pytest.raises(DependencyBuildError) as error:
        build_dependency_layer(requirements, tmp_path / "build", "python3.13", "arm64")
    message = str(error.value)
    assert message.startswith(f"pip could not install {requirements} for python3.13 on arm64 into the Lambda layer")
    assert "check that the package index is reachable" in message
    assert "\n" not in message
    assert list((tmp_path / "build").iterdir()) == []


def test_a_missing_requirements_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"requirements\.txt is missing"):
        build_dependency_layer(tmp_path / "requirements.txt", tmp_path / "build", "python3.13", "arm64")
