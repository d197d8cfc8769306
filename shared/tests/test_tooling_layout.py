"""The tooling's layout: product code never stands on the test support, git runs in one module,
and the default test session leaves out the slow set that its own session and CI run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from streaming_tooling.testing import repo_root
from streaming_tooling.testing.noxfile import session_functions

ROOT = repo_root()
TOOLING = ROOT / "shared" / "tooling" / "streaming_tooling"
NOXFILE = ast.parse((ROOT / "noxfile.py").read_text())


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules a file of streaming_tooling imports (relative ones resolved)."""
    package = ["streaming_tooling", *path.relative_to(TOOLING).parent.parts]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_nothing_outside_testing_imports_testing():
    offenders = [
        f"{path.relative_to(TOOLING)}: {name}"
        for path in sorted(TOOLING.rglob("*.py"))
        if "testing" not in path.relative_to(TOOLING).parts
        for name in sorted(imported_modules(path))
        if name == "streaming_tooling.testing" or name.startswith("streaming_tooling.testing.")
    ]
    assert offenders == []


def test_the_product_runs_git_only_through_the_git_module():
    offenders = [
        str(path.relative_to(TOOLING))
        for path in sorted(TOOLING.rglob("*.py"))
        if path.name != "git.py" and re.search(r"""\[\s*["']git["']""", path.read_text())
    ]
    assert offenders == []
    assert "streaming_tooling.git" in imported_modules(TOOLING / "affected" / "cli.py")
    assert "streaming_tooling.git" in imported_modules(TOOLING / "deploy" / "contract.py")


def pytest_selection(session: ast.FunctionDef) -> str:
    """The `-m` expression a session gives `run_suite`."""
    [selection] = [
        node.args[1].value
        for node in ast.walk(session)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run_suite"
        if isinstance(node.args[1], ast.Constant)
    ]
    return str(selection)


def test_nox_tests_leaves_out_the_slow_set_which_tests_slow_runs_alone():
    sessions = session_functions(ROOT)
    assert pytest_selection(sessions["tests"]) == "not slow"
    assert pytest_selection(sessions["tests-slow"]) == "slow"
    [pytest_call] = [
        node
        for node in ast.walk(NOXFILE)
        if isinstance(node, ast.Call) and node.args and getattr(node.args[0], "value", None) == "pytest"
    ]
    # `-m <selection>` and the workers come before the arguments after --, so a `-m` or `-n` given there wins.
    assert [ast.unparse(arg) for arg in pytest_call.args] == [
        "'pytest'",
        "'-m'",
        "selection",
        "*PARALLEL",
        "*session.posargs",
    ]


def test_ci_runs_the_default_suite_first_then_the_slow_set():
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("nox ")]
    assert commands[:2] == ["nox -s tests", "nox -s tests-slow"]
