"""Which modules of the runtime package `streaming_shared` a layer's program imports.

Kept because it changes answers: every layer imports most of the package, but the network and
compute programs do not import `streaming_shared.keys`, so a change to it affects data and
observability only (`shared/tests/test_affected.py` holds that case).
"""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

from streaming_shared.catalogue import Layer

RUNTIME_PACKAGE = "shared/streaming_shared"
NOT_PART_OF_THE_PROGRAM = ("tests", "bench", "tools")
"""Folders of a layer that its program never imports or ships."""


def _imported_runtime_modules(source: str) -> set[str]:
    """Modules of streaming_shared a Python file imports (absolute or relative)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("streaming_shared"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative, inside the package itself
                found.add(f"streaming_shared.{node.module}" if node.module else "streaming_shared")
                if not node.module:
                    found.update(f"streaming_shared.{alias.name}" for alias in node.names)
            elif node.module and node.module.startswith("streaming_shared"):
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def runtime_module_of(path: str) -> str:
    """`shared/streaming_shared/keys.py` -> `streaming_shared.keys`."""
    relative = PurePosixPath(path).relative_to("shared").with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def runtime_modules_used(root: Path, item: Layer) -> set[str]:
    """Every module of streaming_shared the layer's program imports, directly or transitively."""
    package = root / RUNTIME_PACKAGE
    known = {runtime_module_of(str(path.relative_to(root))) for path in package.rglob("*.py")}
    program_files = [
        path
        for path in (root / item.folder).rglob("*.py")
        if not set(path.relative_to(root / item.folder).parts[:-1]) & set(NOT_PART_OF_THE_PROGRAM)
    ]
    frontier = {name for path in program_files for name in _imported_runtime_modules(path.read_text())}
    used: set[str] = set()
    while frontier:
        name = frontier.pop()
        if name not in known or name in used:
            continue
        used.add(name)
        used.add("streaming_shared")  # importing any module runs the package's __init__
        module_path = package / Path(*name.split(".")[1:]) if name != "streaming_shared" else package
        source = module_path / "__init__.py" if module_path.is_dir() else module_path.with_suffix(".py")
        frontier |= _imported_runtime_modules(source.read_text()) - used
    return used
