"""README's config tables, generated from the layers' settings models so they cannot drift.

README.md holds one block per layer between `<!-- config:<layer> -->` and `<!-- /config:<layer> -->`
(and `common` for the keys every layer accepts). `nox -s docs` rewrites them; a test fails
when they are stale.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path

from .catalogue import LAYERS
from .config import LayerSettings, settings_table


def layer_settings_model(root: Path, layer_name: str) -> type[LayerSettings] | None:
    """The settings model in `stacks/<layer>/<layer>_layer/settings.py`, if the layer has one."""
    path = root / "stacks" / layer_name / f"{layer_name}_layer" / "settings.py"
    if not path.exists():
        return None
    module_name = f"{layer_name}_layer.settings"
    if module_name not in sys.modules:
        sys.path.insert(0, str(path.parents[1]))
        try:
            importlib.import_module(module_name)
        finally:
            sys.path.remove(str(path.parents[1]))
    module = sys.modules[module_name]
    models = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, LayerSettings)
        and getattr(value, "LAYER", None) is LAYERS[layer_name]
    ]
    return models[0] if models else None


def config_tables(root: Path) -> dict[str, str]:
    tables = {"common": settings_table(LayerSettings, include_common=True)}
    for name in LAYERS:
        model = layer_settings_model(root, name)
        if model is not None:
            tables[name] = settings_table(model)
    return tables


def _replacement(table: str) -> Callable[[re.Match[str]], str]:
    return lambda match: f"{match.group(1)}{table}\n{match.group(2)}"


def render(readme: str, tables: dict[str, str]) -> str:
    for name, table in tables.items():
        # The block may be empty (the markers on consecutive lines), as it is before a layer exists.
        pattern = re.compile(rf"(<!-- config:{name} -->\n)(?:.*?\n)?(<!-- /config:{name} -->)", re.DOTALL)
        readme = pattern.sub(_replacement(table), readme)
    return readme
