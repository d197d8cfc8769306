"""Generated sections of the documentation, so they cannot drift from the code.

A generated section sits between `<!-- <kind>:<name> -->` and `<!-- /<kind>:<name> -->` in any of
the files `documentation_files` lists: `config:common` (keys every layer accepts),
`config:<layer>` (from the layer's settings model, in `stacks/<layer>/README.md`),
`exports:<layer>` and `contract:exports`, `contract:reads`, `contract:waves` (from the
catalogue, in the layer's README and `docs/contract.md`), `alarms:observability` (from the
alarm catalogue) and the `estimate:` sections (from `nox -s estimate`, see
`estimate/docs.py`). `nox -s docs` rewrites them; a test fails when one is stale or missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from streaming_shared.catalogue import LAYERS, Layer, destroy_order, waves
from streaming_shared.config import LayerSettings, settings_table

from .estimate import docs as estimate_docs
from .layers import layer_module, layer_settings_model

DOCUMENTATION_GLOBS = ("README.md", "docs/**/*.md", "stacks/*/README.md", "stacks/*/*/README.md", "shared/**/*.md")


def documentation_files(root: Path) -> list[Path]:
    """Every Markdown file of the repository that may hold generated sections."""
    found = {path for pattern in DOCUMENTATION_GLOBS for path in root.glob(pattern) if ".nox" not in path.parts}
    return sorted(found)


def readers_of(upstream: Layer, export: str) -> list[str]:
    """The layers that read `export` of `upstream`, in catalogue order."""
    return [
        item.name
        for item in LAYERS.values()
        if export in (*item.reads.get(upstream.name, ()), *item.optional_reads.get(upstream.name, ()))
    ]


def exports_table(item: Layer) -> str:
    """One layer's exports: shape, whether every stack has it, and who reads it."""
    rows = ["| export | shape | present | read by |", "| --- | --- | --- | --- |"]
    for exports, present in ((item.exports, "always"), (item.optional_exports, "only in some configurations")):
        for name, shape in exports.items():
            readers = ", ".join(readers_of(item, name)) or "no layer (for operators and CI)"
            rows.append(f"| `{name}` | {shape.value} | {present} | {readers} |")
    return "\n".join(rows)


def contract_exports() -> str:
    parts = []
    for item in LAYERS.values():
        parts += [f"### {item.name} (`{item.project}`)", "", exports_table(item), ""]
    return "\n".join(parts).rstrip()


def contract_reads() -> str:
    rows = ["| reader | reads from | exports |", "| --- | --- | --- |"]
    for item in LAYERS.values():
        for upstream, keys in item.reads.items():
            optional = item.optional_reads.get(upstream, ())
            listed = [f"`{key}`" for key in keys] + [f"`{key}` (when exported)" for key in optional]
            rows.append(f"| {item.name} | {upstream} | {', '.join(listed)} |")
    for item in LAYERS.values():
        if not item.reads:
            rows.append(f"| {item.name} | nothing | |")
    return "\n".join(rows)


def contract_waves() -> str:
    lines = [
        f"{number}. {' and '.join(item.name for item in wave)}"
        + (" (concurrently: neither reads the other)" if len(wave) > 1 else "")
        for number, wave in enumerate(waves(), start=1)
    ]
    lines += ["", f"Destroy runs dependents first: {', '.join(item.name for item in destroy_order())}."]
    return "\n".join(lines)


def generated_sections(root: Path) -> dict[str, str]:
    """Each generated section's marker (`config:data`) and its content."""
    sections = {
        "config:common": settings_table(LayerSettings, include_common=True),
        "contract:exports": contract_exports(),
        "contract:reads": contract_reads(),
        "contract:waves": contract_waves(),
    }
    for name, item in LAYERS.items():
        sections[f"exports:{name}"] = exports_table(item)
    for name in LAYERS:
        model = layer_settings_model(root, name)
        if model is not None:
            sections[f"config:{name}"] = settings_table(model)
    alarm_kinds = layer_module(root, "observability", "alarm_kinds")
    if alarm_kinds is not None:
        sections["alarms:observability"] = alarm_kinds.reference_table()
    return sections | estimate_docs.sections()


def _replacement(content: str) -> Callable[[re.Match[str]], str]:
    return lambda match: f"{match.group(1)}{content}\n{match.group(2)}"


def render(text: str, sections: dict[str, str]) -> str:
    for marker, content in sections.items():
        # The block may be empty (the markers on consecutive lines), as it is before a layer exists.
        pattern = re.compile(rf"(<!-- {marker} -->\n)(?:.*?\n)?(<!-- /{marker} -->)", re.DOTALL)
        text = pattern.sub(_replacement(content), text)
    return text


def stale_files(root: Path) -> list[Path]:
    """Documentation files whose generated sections differ from what the code generates now."""
    sections = generated_sections(root)
    return [path for path in documentation_files(root) if render(path.read_text(), sections) != path.read_text()]


def missing_sections(root: Path) -> list[str]:
    """Generated sections no documentation file holds."""
    texts = "".join(path.read_text() for path in documentation_files(root))
    return [marker for marker in generated_sections(root) if f"<!-- {marker} -->" not in texts]


def write_all(root: Path) -> list[Path]:
    """Rewrite every stale documentation file; returns the files rewritten."""
    sections = generated_sections(root)
    rewritten = []
    for path in documentation_files(root):
        text = path.read_text()
        rendered = render(text, sections)
        if rendered != text:
            path.write_text(rendered)
            rewritten.append(path)
    return rewritten
