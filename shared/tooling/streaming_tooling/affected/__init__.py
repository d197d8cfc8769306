"""`nox -s affected -- --base <git ref> [--json]`: the layers a change since `<ref>` affects.

The rules are docs/working-as-a-team.md's "What affects which layer". `rules` applies them to the
changed paths, the base's files and the stack plans, which `cli` reads from git; a stack file's
readers are decided by `stack_files`, pins by `requirements`, catalogue entries by `catalogue`,
and Python files are compared by their code (`code`), not their comments and docstrings.
"""

from .cli import affected, affected_since, main, render_text
from .requirements import RequirementFileError
from .rules import Affected

__all__ = ["Affected", "RequirementFileError", "affected", "affected_since", "main", "render_text"]
