"""A layer's program environment, built from its `requirements.txt` alone, holds the runtime
package and not the tooling: `pulumi up` never installs deploy, plan, guardrails or the test
harness, and a program that imported them would fail there.

The environment is a fresh virtualenv installed with pip's cache (about 10 s), so these tests are
in the slow set (`nox -s tests-slow`).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from streaming_shared.catalogue import COMPUTE
from streaming_tooling.testing import repo_root

PROGRAM = repo_root() / COMPUTE.folder
PROBE = """
import importlib.util, json, sys
names = sys.argv[1:]
print(json.dumps({name: importlib.util.find_spec(name) is not None for name in names}))
"""


def imported_modules(program: Path) -> set[str]:
    """Every module `__main__.py` and the layer's package import, as absolute names."""
    found: set[str] = set()
    for path in [program / "__main__.py", *sorted((program / f"{COMPUTE.name}_layer").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return found


@pytest.fixture(scope="module")
def program_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("program-environment") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "install", "--quiet", "--no-compile", "-r", "requirements.txt"],
        cwd=PROGRAM,  # `-e ../../shared` is relative to the requirements file, as for `pulumi install`
        check=True,
        capture_output=True,
    )
    return python


def importable(python: Path, names: list[str]) -> dict[str, bool]:
    probe = subprocess.run([str(python), "-c", PROBE, *names], cwd=PROGRAM, check=True, capture_output=True, text=True)
    return json.loads(probe.stdout)


@pytest.mark.slow
def test_every_module_the_program_imports_is_there(program_python):
    modules = sorted(imported_modules(PROGRAM) - set(sys.stdlib_module_names) - {"__future__"})
    assert {"compute_layer.settings", "streaming_shared.upstream", "pulumi_aws"} <= set(modules)
    assert [name for name, found in importable(program_python, modules).items() if not found] == []


@pytest.mark.slow
def test_the_tooling_its_guardrail_libraries_and_the_test_dependencies_are_not(program_python):
    assert importable(program_python, ["streaming_tooling", "pulumi_policy", "parliament", "pytest", "moto"]) == {
        "streaming_tooling": False,
        "pulumi_policy": False,
        "parliament": False,
        "pytest": False,
        "moto": False,
    }
