"""Every workflow of the monorepo is a nox session: `nox -l` lists them."""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"

nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"


def install_project(session: nox.Session, *requirement_files: str) -> None:
    """The shared library (editable, as the stacks use it) plus the given requirement files."""
    args = ["-c", str(CONSTRAINTS), "-e", str(ROOT / "shared")]
    for name in requirement_files:
        args += ["-r", str(ROOT / "requirements" / name)]
    session.install(*args)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole offline test suite (Pulumi mock engine, moto server); pass pytest args after --."""
    install_project(session, "tests.txt")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff over the repo and a strict type check of shared/."""
    install_project(session, "lint.txt")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", str(ROOT / "shared" / "streaming_shared"))


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate README's config tables from the layers' settings models."""
    install_project(session)
    session.run(
        "python",
        "-c",
        "import pathlib; from streaming_shared import docs; p = pathlib.Path('README.md'); "
        "p.write_text(docs.render(p.read_text(), docs.config_tables(pathlib.Path('.'))))",
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Data-plane benchmark against moto server: AWS requests and CPU per record, 1,000 records in batches of 100."""
    install_project(session, "tests.txt")
    session.run("python", str(ROOT / "stacks" / "compute" / "bench" / "bench_dataplane.py"), *session.posargs)


@nox.session(name="replay-failures")
def replay_failures(session: nox.Session) -> None:
    """Put the records of the on-failure queue's messages back into the stream; options after `--` (see --help)."""
    install_project(session)
    session.install("-c", str(CONSTRAINTS), "boto3")
    session.run("python", str(ROOT / "stacks" / "compute" / "tools" / "replay_failures.py"), *session.posargs)
