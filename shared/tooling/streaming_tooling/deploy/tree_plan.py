"""The offline plan of a version of the repository, run with that version's own code and environment.

`nox -s contract-check` and `nox -s affected` compare what a base commit and the work tree export.
The base's programs run in a git worktree of the commit (`commit_tree`), its own packages first on
the import path, in an environment installed from its own lock, built once per hash of
`ENVIRONMENT_INPUTS` under `build/environments/` (the current one when they are the work tree's).
A plan that cannot run, or runs without some layer, is `CannotPlan` with the reason: a comparison
must never pass because one side is missing.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streaming_shared.upstream import Read, parse_contract_reads

from ..git import GitError, worktree
from ..installs import PROGRAMS_LOCK as PROGRAMS

ENVIRONMENT_LOCK = "requirements/base.txt"
ENVIRONMENT_INPUTS = (
    ENVIRONMENT_LOCK,
    "requirements/constraints.txt",
    "shared/pyproject.toml",
    "shared/tooling/pyproject.toml",
)
"""The files a plan environment is installed from: the lock and the two packages' metadata."""
ENVIRONMENTS = Path("build") / "environments"
PROGRAMS_LOCK = f"requirements/{PROGRAMS}.txt"


class CannotPlan(Exception):
    """The offline plan of a version cannot run, or ran without some layer; the message says why."""


# The plan, run in the tree's environment with the tree's code: its exports, and what each layer
# reads (from the tree's catalogue, in the form of the `contract_reads` export).
_PLAN_DUMP = """
import json, sys
from streaming_shared.catalogue import LAYERS
from streaming_tooling.deploy.plan import build_plan
plan = build_plan(sys.argv[1])
def reads(item):
    found = {}
    for kind, optional in (("reads", False), ("optional_reads", True)):
        for name, keys in getattr(item, kind, {}).items():
            upstream = LAYERS[name]
            shapes = {**upstream.exports, **getattr(upstream, "optional_exports", {})}
            found.setdefault(upstream.project, {}).update(
                {key: {"shape": shapes[key].value, "optional": optional} for key in keys}
            )
    return found
document = {
    "exports": {name: run.exports for name, run in plan.runs.items()},
    "projects": {name: item.project for name, item in LAYERS.items()},
    "reads": {name: reads(item) for name, item in LAYERS.items()},
    "problems": plan.problems,
}
with open(sys.argv[2], "w") as out:
    json.dump(document, out, default=str)
"""


@dataclass(frozen=True)
class TreePlan:
    """The offline plan of one version: each layer's exports and what each layer reads."""

    exports: Mapping[str, Mapping[str, Any]]
    projects: Mapping[str, str]
    reads: Mapping[str, Mapping[str, Mapping[str, Read]]]
    """Reader layer -> upstream project -> export -> read."""
    problems: Sequence[str]

    @property
    def read_layers(self) -> list[str]:
        """The layers some layer reads: those whose exports a comparison needs."""
        read = {project for readers in self.reads.values() for project in readers}
        return [name for name, project in self.projects.items() if project in read]

    def require(self, names: Iterable[str]) -> TreePlan:
        """This plan; CannotPlan, with the plan's problems, when one of the layers `names` did not run."""
        for name in names:
            if name not in self.exports:
                project = self.projects.get(name, name)
                why = [text.removeprefix(f"{project}: ") for text in self.problems if text.startswith(f"{project}: ")]
                raise CannotPlan(f"its offline plan of {project} did not run: {'; '.join(why) or 'no reason given'}")
        return self


def environment_key(tree: Path, lock: str = ENVIRONMENT_LOCK) -> str:
    """The hash of the files an environment of `tree` is installed from: `lock` and the packages'
    metadata (a missing one counts too)."""
    digest = hashlib.sha256()
    for relative in (lock, *ENVIRONMENT_INPUTS[1:]):
        path = tree / relative
        digest.update(relative.encode() + b"\0" + (path.read_bytes() if path.exists() else b"(missing)") + b"\0")
    return digest.hexdigest()[:16]


def plan_python(root: Path, tree: Path) -> Path:
    """The interpreter of an environment installed from `tree`'s own lock: this one when `tree`'s
    inputs are `root`'s (the work tree this process was installed for), else one built once under
    `root/build/environments/<hash>`."""
    if environment_key(tree) == environment_key(root):
        return Path(sys.executable)
    return locked_environment(root, tree, ENVIRONMENT_LOCK) / "bin" / "python"


def locked_environment(root: Path, tree: Path, lock: str) -> Path:
    """A virtualenv of the third-party packages `tree`'s hashed `lock` pins, built once under
    `root/build/environments/<hash>`; the tree's own packages come from PYTHONPATH."""
    key = environment_key(tree, lock)
    if not (tree / lock).exists():
        raise CannotPlan(f"it has no {lock}, the lock its environment is installed from")
    venv = root / ENVIRONMENTS / key
    python = venv / "bin" / "python"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{key}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # another process may be building the same environment
        complete = venv / ".installed"
        if not complete.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv)], check=True)
            install = subprocess.run(
                [
                    *(sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"),
                    *("install", "--quiet", "--require-hashes", "--only-binary", ":all:", "-r", str(tree / lock)),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if install.returncode != 0:
                raise CannotPlan(f"its environment could not be installed from {lock}: {_last_line(install.stderr)}")
            complete.write_text(key)
    return venv


def tree_path(tree: Path) -> str:
    """PYTHONPATH that imports the runtime package and the tooling from `tree`."""
    return os.pathsep.join([str(tree / "shared"), str(tree / "shared" / "tooling")])


def program_environments(root: Path, tree: Path) -> dict[str, str]:
    """Prepare a commit's worktree for the Pulumi CLI: the `.venv` its Pulumi.yaml files name, from
    its `requirements/program.txt`, and its policy pack's `.venv-policy-pack`, from its
    `requirements/base.txt` (each cached by hash); returns the environment variables that put the
    tree's own packages on their path."""
    for link, lock in ((".venv", PROGRAMS_LOCK), (".venv-policy-pack", ENVIRONMENT_LOCK)):
        (tree / link).symlink_to(locked_environment(root, tree, lock).resolve(), target_is_directory=True)
    return {"PYTHONPATH": tree_path(tree)}


def plan_tree(tree: Path, stack: str, python: Path | None = None) -> TreePlan:
    """The offline plan of `tree` for `stack`, in a subprocess of `python` (this interpreter by
    default) whose imports of the runtime package and the tooling come from `tree`."""
    with tempfile.TemporaryDirectory() as scratch:
        result_file = Path(scratch) / "plan.json"
        environment = {
            **os.environ,
            "PYTHONPATH": tree_path(tree),
            "STREAMING_REPO_ROOT": str(tree),
        }
        completed = subprocess.run(
            [str(python or sys.executable), "-c", _PLAN_DUMP, stack, str(result_file)],
            cwd=tree,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0 or not result_file.exists():
            raise CannotPlan(f"its offline plan did not run: {_last_line(completed.stderr)}")
        document = json.loads(result_file.read_text())
    reads = {name: parse_contract_reads(value) for name, value in document["reads"].items()}
    unreadable = sorted(name for name, value in reads.items() if value is None)
    if unreadable:
        raise CannotPlan(f"the reads of {', '.join(unreadable)} in its catalogue are not of a form this tooling reads")
    return TreePlan(
        document["exports"],
        document["projects"],
        {name: value for name, value in reads.items() if value is not None},
        document["problems"],
    )


@contextlib.contextmanager
def commit_tree(root: Path, commit: str) -> Iterator[Path]:
    """A git worktree of `commit`, sharing `root`'s Lambda dependency layer cache (`build/`, keyed by
    what each layer is built from) so its plan does not build the layer again; removed afterwards."""
    with worktree(root, commit) as tree:
        (root / "build").mkdir(exist_ok=True)
        (tree / "build").symlink_to((root / "build").resolve(), target_is_directory=True)
        yield tree


def plan_commit(root: Path, commit: str, stack: str) -> TreePlan:
    """The offline plan of `commit` for `stack`, with the commit's own code and environment."""
    try:
        with commit_tree(root, commit) as tree:
            return plan_tree(tree, stack, plan_python(root, tree))
    except GitError as error:
        raise CannotPlan(str(error)) from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR") or "Error" in line]
    return (errors or lines or ["no output"])[-1]
