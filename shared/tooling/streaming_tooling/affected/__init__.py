"""`nox -s affected -- --base <git ref> [--json]`: the layers a change since `<ref>` affects.

A layer is affected when something its deployed program is built from changed:

- a file its program reads under `stacks/<layer>/` (not its `tests/`, `bench/` and `tools/`
  folders, not Markdown; a Python file only when its code changed, not its comments or
  docstrings), and every file that ships to Lambda, whatever its kind, as the layer's packaging
  code says (`compute_layer/packaging.py`, `ships`);
- its stack file `Pulumi.<stack>.yaml`, which also affects each reader of the layer whose reads it
  changes: the offline plan of that stack at the base (with the base's own code and environment)
  and in the work tree differ in an export the reader reads, optional reads included
  (`stack_files`);
- a module of the runtime package `shared/streaming_shared/` that the layer's program imports,
  directly or through another module of the package (by its code, as above), or
  `shared/pyproject.toml`;
- a pin, in `requirements/constraints.txt` or the programs' lock `requirements/program.txt`, of a
  package in the program's environment (its `requirements.txt` and everything they pull in:
  `requirements`);
- in the catalogue, the layer's own entry (its exports, reads, project name): that layer and
  every layer that reads it. Comments and docstrings of the catalogue affect nothing (`catalogue`).

The tooling (`shared/tooling/`), the policy pack, tests, documentation, `noxfile.py` and the CI
files affect no deployed layer. The change is the work tree (committed or not, untracked files
included) against the merge base of `<ref>` and HEAD, as a pull request shows it. The rules
(`rules`) take the changed paths, the base's files and the stack plans; `cli` reads them from git.
"""

from .cli import affected, affected_since, main, render_text
from .requirements import RequirementFileError
from .rules import Affected

__all__ = ["Affected", "RequirementFileError", "affected", "affected_since", "main", "render_text"]
