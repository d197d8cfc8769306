"""`nox -s affected -- --base <git ref> [--json]`: the layers a change since `<ref>` affects.

A layer is affected when something its deployed program is built from changed:

- a file under `stacks/<layer>/`, except its `tests/`, `bench/` and `tools/` folders and its
  Markdown files (none of them is part of the program; CI runs the whole offline test suite on
  every pull request, so a test-only change is still tested);
- a module of the runtime package `shared/streaming_shared/` that the layer's program imports,
  directly or through another module of the package, or `shared/pyproject.toml`;
- a pin in `requirements/constraints.txt` of a package in the program's environment (its
  `requirements.txt` and everything they pull in: `requirements`);
- in the catalogue, the layer's own entry (its exports, reads, project name): that layer and
  every layer that reads it. Comments and docstrings of the catalogue affect nothing (`catalogue`).

The tooling (`shared/tooling/`), the policy pack, tests, documentation, `noxfile.py` and the CI
files affect no deployed layer. The change is the work tree (committed or not, untracked files
included) against the merge base of `<ref>` and HEAD, as a pull request shows it. The rules
(`rules`) take the changed paths and the base's files; `cli` reads them from git.
"""

from .cli import affected, main, render_text
from .requirements import RequirementFileError
from .rules import Affected

__all__ = ["Affected", "RequirementFileError", "affected", "main", "render_text"]
