"""Errors raised before any resource is registered, each naming what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One bad setting: the config key, the value it had, and why it is not allowed."""

    key: str
    value: Any
    reason: str

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.key}: {self.reason}"
        return f"{self.key} = {self.value!r}: {self.reason}"


class ConfigError(ValueError):
    """Bad stack configuration. Lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid stack configuration:\n{lines}")

    @property
    def keys(self) -> list[str]:
        return [problem.key for problem in self.problems]


class UpstreamError(RuntimeError):
    """An upstream stack is missing, incomplete, or in another region."""
