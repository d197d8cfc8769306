"""`nox -s affected -- --base <git ref> [--json]`: the layers a change since `<ref>` affects.

A layer is affected when something its deployed program is built from changed:

- a file under `stacks/<layer>/`, except its `tests/`, `bench/` and `tools/` folders and its
  Markdown files (none of them is part of the program; CI runs the whole offline test suite on
  every pull request, so a test-only change is still tested);
- a module of the runtime package `shared/streaming_shared/` that the layer's program imports,
  directly or through another module of the package, or `shared/pyproject.toml`;
- a pin in `requirements/constraints.txt` of a package in the program's environment (its
  `requirements.txt` and everything they pull in);
- in the catalogue, the layer's own entry (its exports, reads, project name): that layer and
  every layer that reads it. Comments and docstrings of the catalogue affect nothing.

The tooling (`shared/tooling/`), the policy pack, tests, documentation, `noxfile.py` and the CI
files affect no deployed layer. The change is the work tree (committed or not, untracked files
included) against the merge base of `<ref>` and HEAD, as a pull request shows it.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from streaming_shared.catalogue import LAYERS, Layer, deploy_order, readers_of, repo_root

CATALOGUE = "shared/streaming_shared/catalogue.py"
RUNTIME_PACKAGE = "shared/streaming_shared"
RUNTIME_PROJECT = "shared/pyproject.toml"
CONSTRAINTS = "requirements/constraints.txt"
NOT_PART_OF_THE_PROGRAM = ("tests", "bench", "tools")
"""Folders of a layer that its program never imports or ships."""


class GitError(RuntimeError):
    """A git command failed; the message says which and why."""


def git(root: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise GitError(f"`git {' '.join(args)}` failed in {root}: {completed.stderr.strip() or completed.stdout}")
    return completed.stdout


def merge_base(root: Path, base: str) -> str:
    try:
        git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except GitError:
        raise GitError(
            f"git ref {base!r} is not known in {root}: fetch it first (`git fetch origin main`, and in CI check "
            "out with `fetch-depth: 0`) or pass another --base"
        ) from None
    return git(root, "merge-base", base, "HEAD").strip()


def changed_files(root: Path, base: str) -> list[str]:
    """Paths changed between the merge base of `base` and the work tree, both sides of a rename."""
    since = merge_base(root, base)
    tracked = git(root, "diff", "--name-only", "--no-renames", since).splitlines()
    untracked = git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted({path for path in (*tracked, *untracked) if path})


def file_at(root: Path, commit: str, path: str) -> str | None:
    """A file's text at a commit, or None where it did not exist."""
    try:
        return git(root, "show", f"{commit}:{path}")
    except GitError:
        return None


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


# -- the runtime package: which layer imports which module ------------------------------------


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


def _runtime_module_of(path: str) -> str:
    relative = PurePosixPath(path).relative_to("shared").with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def runtime_modules_used(root: Path, item: Layer) -> set[str]:
    """Every module of streaming_shared the layer's program imports, directly or transitively."""
    package = root / RUNTIME_PACKAGE
    known = {_runtime_module_of(str(path.relative_to(root))) for path in package.rglob("*.py")}
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


# -- pinned requirements ----------------------------------------------------------------------

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str | None) -> dict[str, str]:
    found = {}
    for line in (text or "").splitlines():
        match = _PIN.match(line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def _requirement_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement or requirement.startswith("-"):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if match:
            names.add(canonical(match.group(0)))
    return names


def program_environment(root: Path, item: Layer) -> set[str] | None:
    """The packages a layer's program environment holds: its requirements and theirs, from the
    installed metadata. None when some package is not installed here, so nothing can be ruled out."""
    requirements = root / item.folder / "requirements.txt"
    if not requirements.exists():
        return None
    wanted = _requirement_names(requirements.read_text())
    runtime_project = root / RUNTIME_PROJECT
    if runtime_project.exists():
        wanted |= _requirement_names("\n".join(_pyproject_dependencies(runtime_project.read_text())))
    closure: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            return None
        wanted |= {
            canonical(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group(0))  # type: ignore[union-attr]
            for requirement in requires
            if "extra ==" not in requirement
        }
    return closure


def _pyproject_dependencies(text: str) -> list[str]:
    return list(tomllib.loads(text).get("project", {}).get("dependencies", []))


# -- the catalogue, compared as values ---------------------------------------------------------


def load_catalogue(source: str, label: str) -> types.ModuleType:
    """The catalogue module executed from its source text (it imports only the standard library)."""
    name = f"_catalogue_{re.sub(r'[^0-9A-Za-z]', '_', label)}"
    module = types.ModuleType(name)
    module.__file__ = CATALOGUE
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    try:
        exec(compile(source, f"{label}:{CATALOGUE}", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module


def _shapes(exports: object) -> dict[str, object]:
    """Export name -> shape (`None` for a catalogue that declared names only)."""
    if isinstance(exports, Mapping):
        return {name: getattr(shape, "value", shape) for name, shape in exports.items()}
    return dict.fromkeys(exports) if isinstance(exports, tuple | list) else {}


def _entry(item: object) -> dict[str, object]:
    return {
        "project": getattr(item, "project", None),
        "exports": _shapes(getattr(item, "exports", ())),
        "optional_exports": _shapes(getattr(item, "optional_exports", ())),
        "reads": {key: tuple(value) for key, value in dict(getattr(item, "reads", {})).items()},
        "optional_reads": {key: tuple(value) for key, value in dict(getattr(item, "optional_reads", {})).items()},
    }


def _comparable(was: dict[str, object], now: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """The two entries with shapes dropped where one side declares none (a catalogue of names only)."""
    was, now = dict(was), dict(now)
    for key in ("exports", "optional_exports"):
        before, after = was[key], now[key]
        if isinstance(before, dict) and isinstance(after, dict) and None in (*before.values(), *after.values()):
            was[key], now[key] = dict.fromkeys(before), dict.fromkeys(after)
    return was, now


def _code_without_docstrings(source: str) -> list[str]:
    """Top-level functions and classes, docstrings dropped: what the catalogue does besides its data."""
    dumps = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                node.body = body[1:]
            for inner in ast.walk(node):
                if isinstance(inner, ast.FunctionDef | ast.ClassDef) and inner is not node:
                    first = inner.body[0] if inner.body else None
                    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                        inner.body = inner.body[1:] or [ast.Pass()]
            dumps.append(ast.dump(node))
    return dumps


def _public_values(module: types.ModuleType) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str | tuple | int) and name != "LAYERS"
    }


def catalogue_changes(before: str | None, after: str | None) -> tuple[dict[str, list[str]], list[str]]:
    """(changes of each layer's entry, other changes that concern every program importing it)."""
    if before == after:
        return {}, []
    if before is None or after is None:
        return {}, ["the catalogue was added or removed"]
    old, new = load_catalogue(before, "base"), load_catalogue(after, "head")
    old_layers, new_layers = dict(old.LAYERS), dict(new.LAYERS)
    per_layer: dict[str, list[str]] = {}
    for name in sorted(old_layers.keys() | new_layers.keys()):
        if name not in old_layers or name not in new_layers:
            per_layer[name] = ["added to the catalogue" if name in new_layers else "removed from the catalogue"]
            continue
        was, now = _comparable(_entry(old_layers[name]), _entry(new_layers[name]))
        described = [describe_entry_change(key, was[key], now[key]) for key in was if was[key] != now[key]]
        if described:
            per_layer[name] = described
    general = []
    old_values, new_values = _public_values(old), _public_values(new)
    names = sorted(old_values.keys() | new_values.keys())
    general += [f"{name} changed" for name in names if old_values.get(name) != new_values.get(name)]
    if _code_without_docstrings(before) != _code_without_docstrings(after):
        general.append("its code changed")
    return per_layer, general


def describe_entry_change(key: str, was: object, now: object) -> str:
    if key in ("exports", "optional_exports") and isinstance(was, dict) and isinstance(now, dict):
        removed = [name for name in was if name not in now]
        added = [name for name in now if name not in was]
        reshaped = [name for name in was if name in now and was[name] != now[name]]
        parts = [
            f"removed {', '.join(removed)}" if removed else "",
            f"added {', '.join(added)}" if added else "",
            f"reshaped {', '.join(f'{name} ({was[name]} -> {now[name]})' for name in reshaped)}" if reshaped else "",
        ]
        return f"{key.replace('_', ' ')}: {'; '.join(part for part in parts if part) or 'reordered'}"
    return f"{key} changed"


# -- the rules --------------------------------------------------------------------------------


def _layer_of(path: str) -> Layer | None:
    parts = PurePosixPath(path).parts
    if len(parts) >= 2 and parts[0] == "stacks" and parts[1] in LAYERS:
        return LAYERS[parts[1]]
    return None


def affected(root: Path, base: str) -> Affected:
    """Which layers the change since `base` affects, and why (see the module docstring)."""
    result = Affected()
    since = merge_base(root, base)
    files = changed_files(root, base)
    programs = {name: runtime_modules_used(root, item) for name, item in LAYERS.items()}
    for path in files:
        layer_ = _layer_of(path)
        if layer_ is not None:
            inner = PurePosixPath(path).parts[2:]
            if path.endswith(".md") or (len(inner) > 1 and inner[0] in NOT_PART_OF_THE_PROGRAM):
                result.unaffecting.append(path)
            else:
                result.add(layer_, f"{path} changed")
        elif path == CATALOGUE:
            _catalogue_rule(root, since, programs, result)
        elif path == RUNTIME_PROJECT:
            for item in LAYERS.values():
                if programs[item.name]:
                    result.add(item, f"{path} changed (the runtime package every program installs)")
        elif path.startswith(f"{RUNTIME_PACKAGE}/") and path.endswith(".py"):
            module = _runtime_module_of(path)
            users = [item for item in LAYERS.values() if module in programs[item.name]]
            for item in users:
                result.add(item, f"{path} changed (the program imports {module})")
            if not users:
                result.unaffecting.append(path)
        elif path == CONSTRAINTS:
            _constraints_rule(root, since, result)
        else:
            result.unaffecting.append(path)
    return result


def _catalogue_rule(root: Path, since: str, programs: Mapping[str, set[str]], result: Affected) -> None:
    head = root / CATALOGUE
    per_layer, general = catalogue_changes(file_at(root, since, CATALOGUE), head.read_text() if head.exists() else None)
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


def _constraints_rule(root: Path, since: str, result: Affected) -> None:
    old = pins(file_at(root, since, CONSTRAINTS))
    new = pins((root / CONSTRAINTS).read_text() if (root / CONSTRAINTS).exists() else None)
    changed = {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}
    touched = False
    for item in LAYERS.values():
        environment = program_environment(root, item)
        relevant = sorted(changed if environment is None else changed & environment)
        for name in relevant:
            touched = True
            result.add(item, f"{CONSTRAINTS}: {name} {old.get(name, '(none)')} -> {new.get(name, '(none)')}")
    if not touched:
        result.unaffecting.append(CONSTRAINTS)


def render_text(base: str, found: Affected) -> str:
    if not found.layers:
        lines = [f"No layer is affected by the change since {base}."]
    else:
        lines = [f"Layers affected by the change since {base}, in deploy order:"]
        for item in found.layers:
            lines.append(f"  {item.name}")
            lines += [f"    - {reason}" for reason in found.reasons[item.name]]
    if found.unaffecting:
        lines.append("Changed, affecting no deployed layer: " + ", ".join(found.unaffecting))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, root: Path | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s affected --", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git ref to compare with (say, origin/main)")
    parser.add_argument("--json", action="store_true", help='print {"layers": [...], "reasons": {...}} only')
    args = parser.parse_args(argv)
    try:
        found = affected(root or repo_root(), args.base)
    except GitError as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(found.as_json()) if args.json else render_text(args.base, found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
