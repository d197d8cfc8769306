"""The dependency layer is reproducible: a hashed lock installed with --require-hashes, and a zip
whose bytes depend only on the files in it. Builds use the real package index, as `pulumi up` does."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from compute_layer.packaging import (
    DependencyBuildError,
    build_dependency_layer,
    requirement_pins,
    write_reproducible_zip,
)

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"
LOCK = FUNCTIONS / "requirements.txt"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_two_builds_of_the_lock_give_byte_identical_zips(tmp_path):
    first = build_dependency_layer(LOCK, tmp_path / "one", "python3.13", "arm64")
    second = build_dependency_layer(LOCK, tmp_path / "two", "python3.13", "arm64")
    assert first.name == second.name
    assert digest(first) == digest(second)


@pytest.mark.slow
@pytest.mark.parametrize(("runtime", "architecture"), [("python3.12", "x86_64"), ("python3.14", "arm64")])
def test_the_lock_has_hashes_for_every_runtime_and_architecture_the_layer_supports(tmp_path, runtime, architecture):
    built = build_dependency_layer(LOCK, tmp_path, runtime, architecture)
    assert built.is_file()


def test_a_requirement_without_a_hash_is_refused(tmp_path):
    unhashed = tmp_path / "requirements.txt"
    unhashed.write_text("fastjsonschema==2.22.3\n")
    with pytest.raises(DependencyBuildError, match="pip could not install"):
        build_dependency_layer(unhashed, tmp_path / "build", "python3.13", "arm64")


def test_the_zip_ignores_file_times_and_the_order_files_were_written(tmp_path):
    contents = {"python/b/module.py": b"B = 2\n", "python/a/__init__.py": b"", "python/a/data.json": b"{}"}
    folders = []
    for label, order in (("forward", sorted(contents)), ("backward", sorted(contents, reverse=True))):
        folder = tmp_path / label
        for index, name in enumerate(order):
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(contents[name])
            os.utime(path, (1_700_000_000 + index, 1_700_000_000 + index))
            path.chmod(0o755 if label == "backward" else 0o600)
        folders.append(folder)
    zips = [tmp_path / f"{folder.name}.zip" for folder in folders]
    for folder, archive in zip(folders, zips, strict=True):
        write_reproducible_zip(folder, archive)
    assert digest(zips[0]) == digest(zips[1])


def test_the_lock_pins_every_input_at_the_same_version_with_hashes():
    locked = dict(pin.split("==") for pin in requirement_pins(LOCK))
    wanted = dict(pin.split("==") for pin in requirement_pins(FUNCTIONS / "requirements.in"))
    assert {name: locked.get(name) for name in wanted} == wanted
    entries = re.split(r"\n(?=\S)", LOCK.read_text().split("\n", 2)[2].strip())
    assert len(entries) == len(locked)
    assert all("--hash=sha256:" in entry for entry in entries)
