"""What the repository's `noxfile.py` declares, read without importing nox."""

from __future__ import annotations

import ast
from pathlib import Path


def session_functions(root: Path) -> dict[str, ast.FunctionDef]:
    """Each session `noxfile.py` declares (`@nox.session`, by its `name=` if given) and its function."""
    sessions: dict[str, ast.FunctionDef] = {}
    for node in ast.walk(ast.parse((root / "noxfile.py").read_text())):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                target = call.func if call else decorator
                if isinstance(target, ast.Attribute) and target.attr == "session":
                    named = [
                        k.value.value
                        for k in (call.keywords if call else [])
                        if k.arg == "name" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
                    ]
                    sessions[named[0] if named else node.name] = node
    return sessions


def noxfile_sessions(root: Path) -> set[str]:
    """The names of the sessions `noxfile.py` declares."""
    return set(session_functions(root))
