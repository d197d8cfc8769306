"""How noxfile.py installs: from hashed locks only, and again only when they changed.

Standard library only: the noxfile imports it before anything is installed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

STAMP = ".streaming-requirements.sha256"
PROGRAMS_LOCK = "program"
"""The hashed lock the stack programs' `.venv` is installed from (`requirements/program.txt`)."""


def requirements_digest(inputs: Iterable[Path]) -> str:
    """One hash over the names and contents of every file an install reads."""
    digest = hashlib.sha256()
    for path in inputs:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def install_when_changed(venv: Path, inputs: Iterable[Path], install: Callable[[], None]) -> bool:
    """Run `install` unless `venv` was last installed from identical inputs; True when it ran.

    The repo's packages are installed editable, so a code change needs no reinstall; a change to
    a requirement, constraint or package metadata file does.
    """
    stamp = venv / STAMP
    digest = requirements_digest(inputs)
    if stamp.exists() and stamp.read_text() == digest:
        return False
    install()
    stamp.write_text(digest)
    return True


def locked_install(lock: Path, *local_packages: Path) -> list[list[str]]:
    """The pip arguments that install a lock: every file checked against its hash (wheels only, so
    no build fetches an unhashed build backend), then the repo's own packages, which are editable
    and so cannot be hashed, without their dependencies and built with the lock's setuptools."""
    editable = [arg for package in local_packages for arg in ("-e", str(package))]
    return [
        ["--require-hashes", "--only-binary", ":all:", "-r", str(lock)],
        ["--no-deps", "--no-build-isolation", *editable],
    ]
