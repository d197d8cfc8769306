"""What the repository's `noxfile.py` declares, read without importing nox."""

from __future__ import annotations

import ast
from pathlib import Path


def noxfile_sessions(root: Path) -> set[str]:
    """The names of the sessions `noxfile.py` declares (`@nox.session`, with its `name=` if given)."""
    sessions: set[str] = set()
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
                    sessions.add(named[0] if named else node.name)
    return sessions
