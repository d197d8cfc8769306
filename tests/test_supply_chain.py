"""The deploy-time supply chain: hashed locks, installs that take nothing else, and a Pulumi CLI
installed only from an archive whose SHA-256 matches the recorded one.

The CLI's real download never runs here (this machine reaches no release host): the tests give
`pulumi_cli.install` a local archive through its `fetch` boundary."""

from __future__ import annotations

import ast
import hashlib
import io
import re
import shutil
import tarfile
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from streaming_tooling.deploy import pulumi_cli
from streaming_tooling.deploy.automation import ensure_cli
from streaming_tooling.deploy.orchestrator import DeployError
from streaming_tooling.installs import locked_install
from streaming_tooling.testing import repo_root

ROOT = repo_root()
REQUIREMENTS = ROOT / "requirements"
LOCKS = sorted(path.stem for path in REQUIREMENTS.glob("*.in"))
PINNED = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)")
LOCAL_PACKAGES = {"streaming-shared", "streaming-tooling"}


def lock_entries(lock: str) -> dict[str, dict[str, object]]:
    """Each pinned package of requirements/<lock>.txt: its version and its hashes."""
    entries: dict[str, dict[str, object]] = {}
    current: dict[str, object] | None = None
    for raw in (REQUIREMENTS / f"{lock}.txt").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PINNED.match(line)
        if match:
            current = {"version": match["version"], "hashes": []}
            entries[canonicalize_name(match["name"])] = current
        elif line.startswith("--hash=sha256:") and current is not None:
            current["hashes"].append(line.removeprefix("--hash=sha256:").rstrip(" \\"))  # type: ignore[attr-defined]
        else:
            raise AssertionError(f"requirements/{lock}.txt: unexpected line {raw!r}")
    return entries


def named_requirements(path: Path, cwd: Path = ROOT) -> set[str]:
    """The packages a requirements input names, following `-r` and, for `-e <repo package>`, the
    package's own dependencies (with the extras asked for); `-e` paths are relative to `cwd`,
    where pip runs, as `-r` paths are to the file."""
    names: set[str] = set()
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-c"):
            continue
        if line.startswith("-r"):
            names |= named_requirements(path.parent / line[2:].strip(), cwd)
        elif line.startswith("-e"):
            names |= package_dependencies(cwd, line[2:].strip())
        else:
            names.add(canonicalize_name(Requirement(line).name))
    return names


def package_dependencies(base: Path, spec: str) -> set[str]:
    folder, _, extras = spec.partition("[")
    project = tomllib.loads((base / folder / "pyproject.toml").read_text())["project"]
    requirements = list(project.get("dependencies", []))
    for extra in filter(None, extras.rstrip("]").split(",")):
        requirements += project["optional-dependencies"][extra.strip()]
    return {canonicalize_name(Requirement(item).name) for item in requirements} - LOCAL_PACKAGES


def test_every_session_environment_has_a_lock():
    assert set(LOCKS) == {"base", "tests", "lint", "deploy", "program", "nox", "lock"}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_is_pinned_with_its_hashes(lock):
    entries = lock_entries(lock)
    assert entries
    assert {name: entry for name, entry in entries.items() if not entry["hashes"]} == {}
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for entry in entries.values() for digest in entry["hashes"])


@pytest.mark.parametrize("lock", LOCKS)
def test_every_lock_holds_what_its_input_names(lock):
    missing = named_requirements(REQUIREMENTS / f"{lock}.in") - set(lock_entries(lock))
    assert missing == set()


@pytest.mark.parametrize("lock", LOCKS)
def test_every_lock_keeps_the_versions_of_the_constraints(lock):
    pins = {
        canonicalize_name(Requirement(line).name): str(Requirement(line).specifier).removeprefix("==")
        for line in (REQUIREMENTS / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    entries = lock_entries(lock)
    assert {name: entries[name]["version"] for name in pins if name in entries} == {
        name: version for name, version in pins.items() if name in entries
    }


def test_the_programs_lock_holds_what_every_layer_and_the_policy_pack_require():
    for requirements in sorted(ROOT.glob("stacks/*/requirements.txt")):  # pulumi install runs in the folder
        assert named_requirements(requirements, requirements.parent) - set(lock_entries("program")) == set()
    policy_pack = ROOT / "shared" / "policy_pack" / "requirements.txt"
    assert named_requirements(policy_pack, policy_pack.parent) - set(lock_entries("base")) == set()


def test_the_lock_input_names_no_package_only_its_lock_could_add(tmp_path):
    """The check above can fail: a requirement the lock does not hold is named."""
    extra = tmp_path / "extra.in"
    extra.write_text(f"-r {REQUIREMENTS / 'base.in'}\nrequests\n")
    assert "requests" in named_requirements(extra) - set(lock_entries("base"))


def noxfile_installs() -> list[str]:
    """The source of every argument list the noxfile passes to session.install or session.run_install."""
    source = (ROOT / "noxfile.py").read_text()
    calls = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("install", "run_install")
        ):
            calls.append(", ".join(ast.get_source_segment(source, arg) or "" for arg in node.args))
    return calls


def test_the_noxfile_installs_only_from_hashed_locks_then_the_repos_packages_without_dependencies():
    lock_install, local_install = locked_install(REQUIREMENTS / "tests.txt", ROOT / "shared")
    assert lock_install[:3] == ["--require-hashes", "--only-binary", ":all:"]
    assert lock_install[-1] == str(REQUIREMENTS / "tests.txt")
    assert local_install == ["--no-deps", "--no-build-isolation", "-e", str(ROOT / "shared")]
    allowed = (
        "*command",  # a command of locked_install
        '"--require-hashes", "-r", str(REQUIREMENTS / "lock.txt")',  # uv for `nox -s lock`
        '"python", "-m", "venv", str(venv)',
        '"python", "-m", "streaming_tooling.deploy.pulumi_cli", str(ROOT)',
        "*pip, *command",
    )
    assert [call for call in noxfile_installs() if call not in allowed] == []


# -- the Pulumi CLI -------------------------------------------------------------------------------

ARCHIVE = "pulumi-v3.272.0-linux-x64.tar.gz"


def cli_archive(path: Path, *, version: str = pulumi_cli.CLI_VERSION, extra: tarfile.TarInfo | None = None) -> str:
    """A release-shaped archive whose `pulumi/pulumi` prints `version`; its SHA-256."""
    script = f"#!/bin/sh\necho v{version}\n".encode()
    with tarfile.open(path, "w:gz") as tar:
        member = tarfile.TarInfo("pulumi/pulumi")
        member.size, member.mode = len(script), 0o755
        tar.addfile(member, io.BytesIO(script))
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b""))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def local_fetch(source: Path, fetched: list[str]):
    def fetch(url: str, target: Path) -> None:
        fetched.append(url)
        shutil.copy(source, target)

    return fetch


def install(root: Path, source: Path, checksums: dict[str, str], fetched: list[str]) -> Path:
    return pulumi_cli.install(
        root, checksums=checksums, fetch=local_fetch(source, fetched), system="Linux", machine="x86_64"
    )


def test_an_archive_with_the_recorded_sha256_is_unpacked_and_runs(tmp_path):
    source = tmp_path / "download.tar.gz"
    digest = cli_archive(source)
    fetched: list[str] = []
    binary = install(tmp_path, source, {ARCHIVE: digest}, fetched)
    assert fetched == [f"https://github.com/pulumi/pulumi/releases/download/v3.272.0/{ARCHIVE}"]
    assert binary == tmp_path / ".pulumi-cli" / "bin" / "pulumi"
    command = ensure_cli(tmp_path, print, which=lambda name: None)
    assert str(command.version) == pulumi_cli.CLI_VERSION


def test_an_archive_whose_sha256_differs_is_refused_and_nothing_is_installed(tmp_path):
    source = tmp_path / "download.tar.gz"
    digest = cli_archive(source)
    recorded = "0" * 64
    with pytest.raises(pulumi_cli.CliInstallError) as error:
        install(tmp_path, source, {ARCHIVE: recorded}, [])
    assert f"{ARCHIVE} has SHA-256 {digest}, not the recorded {recorded}: nothing was installed" in str(error.value)
    assert not (tmp_path / ".pulumi-cli").exists()


def test_without_a_recorded_sha256_nothing_is_downloaded(tmp_path):
    fetched: list[str] = []
    with pytest.raises(pulumi_cli.CliInstallError) as error:
        install(tmp_path, tmp_path / "never.tar.gz", {}, fetched)
    assert fetched == []
    assert str(error.value) == (
        f"No SHA-256 of {ARCHIVE} is recorded in requirements/pulumi-cli.sha256 (`nox -s lock` records it), so "
        "nothing is downloaded: install Pulumi 3.272.0 from https://www.pulumi.com/docs/install/ so that `pulumi` "
        "is on PATH, then run again."
    )


def test_an_archive_reaching_outside_its_folder_is_refused(tmp_path):
    escape = tarfile.TarInfo("../../escaped")
    source = tmp_path / "download.tar.gz"
    digest = cli_archive(source, extra=escape)
    with pytest.raises(pulumi_cli.CliInstallError, match="cannot be unpacked safely"):
        install(tmp_path / "repo", source, {ARCHIVE: digest}, [])
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "repo" / ".pulumi-cli" / "bin").exists()


def test_a_machine_without_a_release_archive_is_told_what_to_install(tmp_path):
    with pytest.raises(pulumi_cli.CliInstallError, match=r"no 3\.272\.0 archive for this machine"):
        pulumi_cli.install(tmp_path, checksums={}, system="Windows", machine="AMD64")


def test_the_deploy_says_the_sentence_when_no_cli_can_be_had(tmp_path):
    (tmp_path / "requirements").mkdir()
    with pytest.raises(DeployError, match=r"^No SHA-256 of pulumi-v3\.272\.0-.* then run again\.$"):
        ensure_cli(tmp_path, lambda line: None, which=lambda name: None)


def test_recording_keeps_the_release_checksums_of_the_archives_the_sessions_install(tmp_path):
    (tmp_path / "requirements").mkdir()
    listing = tmp_path / "published.txt"
    lines = {
        ARCHIVE: "a" * 64,
        "pulumi-v3.272.0-darwin-arm64.tar.gz": "b" * 64,
        "pulumi-v3.272.0-windows-x64.zip": "c" * 64,
        "sdk/pulumi-3.272.0.tar.gz": "d" * 64,
    }
    listing.write_text("".join(f"{digest}  {name}\n" for name, digest in lines.items()))
    fetched: list[str] = []
    written = pulumi_cli.record_checksums(tmp_path, fetch=local_fetch(listing, fetched))
    assert fetched == ["https://github.com/pulumi/pulumi/releases/download/v3.272.0/pulumi-3.272.0-checksums.txt"]
    assert pulumi_cli.recorded_checksums(tmp_path) == {
        ARCHIVE: "a" * 64,
        "pulumi-v3.272.0-darwin-arm64.tar.gz": "b" * 64,
    }
    assert written == tmp_path / "requirements" / "pulumi-cli.sha256"


def test_the_recorded_checksums_are_for_the_pinned_version():
    recorded = pulumi_cli.recorded_checksums(ROOT)
    assert all(name.startswith(f"pulumi-v{pulumi_cli.CLI_VERSION}-") for name in recorded)
    assert f"v{pulumi_cli.CLI_VERSION}" in (ROOT / pulumi_cli.CHECKSUMS_FILE).read_text()
