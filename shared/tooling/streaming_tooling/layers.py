"""A layer's own modules (`stacks/<layer>/<layer>_layer/<module>.py`), imported by the tooling: its
settings model, for the documentation's config tables and the offline plan's stand-ins for secrets."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from streaming_shared.catalogue import LAYERS
from streaming_shared.config import LayerSettings


def layer_module(root: Path, layer_name: str, module: str) -> ModuleType | None:
    """`stacks/<layer>/<layer>_layer/<module>.py`, imported, if the layer has it."""
    path = root / "stacks" / layer_name / f"{layer_name}_layer" / f"{module}.py"
    if not path.exists():
        return None
    module_name = f"{layer_name}_layer.{module}"
    if module_name not in sys.modules:
        sys.path.insert(0, str(path.parents[1]))
        try:
            importlib.import_module(module_name)
        finally:
            sys.path.remove(str(path.parents[1]))
    return sys.modules[module_name]


def layer_settings_model(root: Path, layer_name: str) -> type[LayerSettings] | None:
    """The settings model in `stacks/<layer>/<layer>_layer/settings.py`, if the layer has one."""
    module = layer_module(root, layer_name, "settings")
    if module is None:
        return None
    models = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, LayerSettings)
        and getattr(value, "LAYER", None) is LAYERS[layer_name]
    ]
    return models[0] if models else None
