"""Which layers a change affects, from the changed paths and the base's text of a few files: the
rules of `streaming_tooling.affected`, with no git (the caller reads the change, and gives the
offline plans a changed stack file is compared with).

The runtime package's import graph is kept because it changes answers: every layer imports most
of `streaming_shared`, but only the network and compute programs (which create IAM roles) import
`streaming_shared.roles`, so a change to it affects those two only (`shared/tests/test_affected.py`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from streaming_shared.catalogue import LAYERS, Layer, deploy_order, readers_of

from ..deploy.tree_plan import CannotPlan, TreePlan
from ..installs import PROGRAMS_LOCK
from ..layers import layer_module
from .catalogue import CATALOGUE, catalogue_changes
from .code import same_code
from .requirements import RUNTIME_PROJECT, pins, program_environment
from .stack_files import Plans, readers_affected, stack_of

CONSTRAINTS = "requirements/constraints.txt"
PIN_FILES = (CONSTRAINTS, f"requirements/{PROGRAMS_LOCK}.txt")
"""The pins the programs' environment is installed with: the constraints `pulumi up` installs a
layer's requirements.txt under, and the hashed lock the sessions install `.venv` from."""
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
    """`shared/streaming_shared/roles.py` -> `streaming_shared.roles`."""
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


AtBase = Callable[[str], str | None]
"""A file's text at the base of the change, or None where it did not exist."""


@dataclass
class Affected:
    """Each affected layer with its reasons, and the changed files that affect no layer."""

    reasons: dict[str, list[str]] = field(default_factory=dict)
    unaffecting: list[str] = field(default_factory=list)

    def add(self, item: Layer, reason: str) -> None:
        reasons = self.reasons.setdefault(item.name, [])
        if reason not in reasons:
            reasons.append(reason)

    @property
    def layers(self) -> list[Layer]:
        return [item for item in deploy_order() if item.name in self.reasons]

    def as_json(self) -> dict[str, object]:
        return {
            "layers": [item.name for item in self.layers],
            "reasons": {item.name: self.reasons[item.name] for item in self.layers},
        }


def _layer_of(path: str) -> Layer | None:
    parts = PurePosixPath(path).parts
    if len(parts) >= 2 and parts[0] == "stacks" and parts[1] in LAYERS:
        return LAYERS[parts[1]]
    return None


def _now(root: Path, path: str) -> str | None:
    return (root / path).read_text() if (root / path).exists() else None


def affected_by(root: Path, files: Sequence[str], at_base: AtBase, plans: Plans | None = None) -> Affected:
    """Which layers the change of `files` in the work tree at `root` affects, and why. `plans` gives
    the offline plans a changed stack file is compared with; without it, such a change names every
    reader of the layer."""
    result = Affected()
    programs = {name: runtime_modules_used(root, item) for name, item in LAYERS.items()}
    for path in files:
        layer_ = _layer_of(path)
        if layer_ is not None:
            _layer_file_rule(root, layer_, path, at_base, result, plans=plans)
        elif path == CATALOGUE:
            _catalogue_rule(root, at_base, programs, result)
        elif path == RUNTIME_PROJECT:
            for item in LAYERS.values():
                if programs[item.name]:
                    result.add(item, f"{path} changed (the runtime package every program installs)")
        elif path.startswith(f"{RUNTIME_PACKAGE}/") and path.endswith(".py"):
            module = runtime_module_of(path)
            users = [item for item in LAYERS.values() if module in programs[item.name]]
            if not users or same_code(at_base(path), _now(root, path)):
                result.unaffecting.append(path)
                continue
            for item in users:
                result.add(item, f"{path} changed (the program imports {module})")
        elif path in PIN_FILES:
            _pins_rule(root, path, at_base, result)
        else:
            result.unaffecting.append(path)
    return result


def _layer_file_rule(
    root: Path, layer_: Layer, path: str, at_base: AtBase, result: Affected, *, plans: Plans | None
) -> None:
    """A file in a layer's folder: what ships to Lambda (the layer's `packaging` module says), else
    the program's files (not its tests, bench, tools or Markdown; Python by its code)."""
    inner = PurePosixPath(path).parts[2:]
    packaging = layer_module(root, layer_.name, "packaging")
    if packaging is not None and inner[0] == packaging.FUNCTIONS:
        if packaging.ships(PurePosixPath(*inner[1:])):
            result.add(layer_, f"{path} changed (it ships to Lambda)")
        else:
            result.unaffecting.append(path)
        return
    if path.endswith(".md") or (len(inner) > 1 and inner[0] in NOT_PART_OF_THE_PROGRAM):
        result.unaffecting.append(path)
        return
    if path.endswith(".py") and same_code(at_base(path), _now(root, path)):
        result.unaffecting.append(path)
        return
    result.add(layer_, f"{path} changed")
    stack = stack_of(inner)
    if stack is not None:
        for reader, reason in readers_affected(layer_, stack, path, plans or _no_plans).items():
            result.add(LAYERS[reader], reason)


def _no_plans(stack: str) -> tuple[TreePlan, TreePlan]:
    raise CannotPlan("no offline plans were given")


def _catalogue_rule(root: Path, at_base: AtBase, programs: Mapping[str, set[str]], result: Affected) -> None:
    per_layer, general = catalogue_changes(at_base(CATALOGUE), _now(root, CATALOGUE))
    for name, changes in per_layer.items():
        if name not in LAYERS:
            continue
        changed = LAYERS[name]
        result.add(changed, f"its catalogue entry changed ({'; '.join(changes)})")
        for reader in readers_of(changed):
            result.add(reader, f"it reads {changed.project}, whose catalogue entry changed")
    for change in general:
        for item in LAYERS.values():
            if "streaming_shared.catalogue" in programs[item.name]:
                result.add(item, f"{CATALOGUE}: {change} (the program imports streaming_shared.catalogue)")
    if not per_layer and not general:
        result.unaffecting.append(CATALOGUE)


def _pins_rule(root: Path, path: str, at_base: AtBase, result: Affected) -> None:
    old = pins(at_base(path), f"{path} at the base")
    new = pins(_now(root, path), path)
    changed = {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}
    touched = False
    for item in LAYERS.values():
        environment = program_environment(root, item)
        for name in sorted(changed if environment is None else changed & environment):
            touched = True
            result.add(item, f"{path}: {name} {old.get(name, '(none)')} -> {new.get(name, '(none)')}")
    if not touched:
        result.unaffecting.append(path)
