"""Requirement files, read with `packaging`: the pins of a constraints file, and the packages a
layer's program environment holds (its `requirements.txt`, the runtime package's dependencies,
and theirs, from the installed metadata)."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from streaming_shared.catalogue import Layer

RUNTIME_PROJECT = "shared/pyproject.toml"


class RequirementFileError(ValueError):
    """A requirement file has a line `packaging` cannot read; the message names the file and line."""


def requirements(text: str | None, source: str) -> Iterator[Requirement]:
    """The requirements of a pip requirements, constraints or hashed lock file; options (`-c`, `-e`,
    `-r`..., a line's `--hash`) and comments are skipped, continuation lines joined."""
    number = 1
    for logical in re.split(r"(?<!\\)\n", text or ""):
        first, number = number, number + logical.count("\n") + 1
        requirement = logical.replace("\\\n", " ").split(" #", 1)[0].split(" --", 1)[0].strip()
        if not requirement or requirement.startswith(("#", "-")):
            continue
        try:
            yield Requirement(requirement)
        except InvalidRequirement as error:
            raise RequirementFileError(
                f"{source} line {first}: {requirement!r} is not a requirement ({error})"
            ) from None


def pins(text: str | None, source: str) -> dict[str, str]:
    """Canonical package name -> pinned version, for each `name==version` of the file."""
    found: dict[str, str] = {}
    for requirement in requirements(text, source):
        [*specifiers] = requirement.specifier
        if len(specifiers) == 1 and specifiers[0].operator == "==":
            found[canonicalize_name(requirement.name)] = specifiers[0].version
    return found


def program_environment(root: Path, item: Layer) -> set[str] | None:
    """The packages a layer's program environment holds: its requirements and theirs, from the
    installed metadata. None when some package is not installed here, so nothing can be ruled out."""
    requirements_file = root / item.folder / "requirements.txt"
    if not requirements_file.exists():
        return None
    wanted = list(requirements(requirements_file.read_text(), f"{item.folder}/requirements.txt"))
    runtime_project = root / RUNTIME_PROJECT
    if runtime_project.exists():
        dependencies = tomllib.loads(runtime_project.read_text()).get("project", {}).get("dependencies", [])
        wanted += [Requirement(dependency) for dependency in dependencies]
    closure: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name in closure or (requirement.marker is not None and not requirement.marker.evaluate({"extra": ""})):
            continue
        closure.add(name)
        try:
            wanted += [Requirement(text) for text in importlib.metadata.requires(name) or []]
        except importlib.metadata.PackageNotFoundError:
            return None
    return closure
