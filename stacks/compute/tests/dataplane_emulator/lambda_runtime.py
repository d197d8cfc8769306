"""The stage handlers loaded and called as Lambda does, with a context whose time runs down."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from streaming_shared.catalogue import STAGES

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
ACCOUNT_ID = "123456789012"


def functions_on_path() -> None:
    """Each function's package holds `pipeline_core` at its root; here the functions folder is that root."""
    if str(FUNCTIONS) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS))


def load_module(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def handlers() -> dict[str, ModuleType]:
    """Every stage's `handler.py`, as a module named `<stage>_handler` (they are all `handler` in Lambda)."""
    functions_on_path()
    return {stage: load_module(f"{stage}_handler", FUNCTIONS / stage / "handler.py") for stage in STAGES}


def pipeline_core(module: str) -> ModuleType:
    """A module of the functions' `pipeline_core` (`aws`: their boto3 clients, one per service and process)."""
    functions_on_path()
    return importlib.import_module(f"pipeline_core.{module}")


def function_arn(region: str, environment: str, stage: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:streaming-{environment}-{stage}"


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as `context` (the attributes Powertools reads); its remaining
    time runs down from `timeout_seconds` on `clock` (seconds) from when it is made."""

    function_name: str
    timeout_seconds: float = 300
    clock: Callable[[], float] = time.monotonic
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock()) * 1000))
