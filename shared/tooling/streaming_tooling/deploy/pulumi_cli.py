"""The pinned Pulumi CLI, installed only from a download whose SHA-256 matches the recorded one.

The deploy sessions use the CLI this module installed under `.pulumi-cli/`, else `pulumi` on PATH,
else they install `CLI_VERSION` for this machine, checked against `requirements/pulumi-cli.sha256`
(which `nox -s lock` writes) before anything is unpacked; no install script is ever run
(docs/security.md, supply chain).

Standard library only: the noxfile runs it in a session's install step, before any credential
is in the environment (`python -m streaming_tooling.deploy.pulumi_cli <repo root>`).
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

CLI_VERSION = "3.272.0"
"""The Pulumi CLI the sessions install when none is on PATH: the release of the pinned SDK."""

CLI_FOLDER = ".pulumi-cli"
CHECKSUMS_FILE = Path("requirements") / "pulumi-cli.sha256"
RELEASES = "https://github.com/pulumi/pulumi/releases/download/v{version}/"
INSTALL_PAGE = "https://www.pulumi.com/docs/install/"

_SYSTEMS = {"Linux": "linux", "Darwin": "darwin"}
_MACHINES = {"x86_64": "x64", "amd64": "x64", "AMD64": "x64", "aarch64": "arm64", "arm64": "arm64"}
_CHECKSUM_LINE = re.compile(r"^(?P<sha256>[0-9a-f]{64})\s+\*?(?P<name>\S+)$")

Fetch = Callable[[str, Path], None]


class CliInstallError(RuntimeError):
    """The CLI cannot be installed here; the message is one sentence saying what to do."""


def archive_name(version: str, system: str, machine: str) -> str | None:
    """The release archive for this operating system and processor, or None when there is none."""
    os_name, arch = _SYSTEMS.get(system), _MACHINES.get(machine)
    if os_name is None or arch is None:
        return None
    return f"pulumi-v{version}-{os_name}-{arch}.tar.gz"


def checksums_url(version: str) -> str:
    return RELEASES.format(version=version) + f"pulumi-{version}-checksums.txt"


def parse_checksums(text: str) -> dict[str, str]:
    """`<sha256>  <file name>` lines (as `sha256sum` writes them) by file name; `#` lines are comments."""
    found = {}
    for line in text.splitlines():
        match = _CHECKSUM_LINE.match(line.strip())
        if match:
            found[match["name"]] = match["sha256"]
    return found


def recorded_checksums(root: Path) -> dict[str, str]:
    path = root / CHECKSUMS_FILE
    return parse_checksums(path.read_text()) if path.exists() else {}


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def download(url: str, target: Path) -> None:
    with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
        shutil.copyfileobj(response, out)


def installed_cli(root: Path) -> Path | None:
    """The pulumi binary a previous install left under the repo, if any."""
    binary = root / CLI_FOLDER / "bin" / "pulumi"
    return binary if binary.is_file() else None


def install(
    root: Path,
    *,
    version: str = CLI_VERSION,
    checksums: Mapping[str, str] | None = None,
    fetch: Fetch = download,
    system: str | None = None,
    machine: str | None = None,
) -> Path:
    """Download, check and unpack the CLI into `<root>/.pulumi-cli/bin`; the pulumi binary's path.

    `checksums` defaults to the recorded ones. CliInstallError, with nothing installed, when this
    machine has no release archive, no checksum is recorded for it, the download fails or its
    SHA-256 differs from the recorded one."""
    name = archive_name(version, system or platform.system(), machine or platform.machine())
    how_to = f"install Pulumi {version} from {INSTALL_PAGE} so that `pulumi` is on PATH, then run again"
    if name is None:
        raise CliInstallError(f"Pulumi publishes no {version} archive for this machine: {how_to}.")
    expected = (recorded_checksums(root) if checksums is None else checksums).get(name)
    if expected is None:
        raise CliInstallError(
            f"No SHA-256 of {name} is recorded in {CHECKSUMS_FILE} (`nox -s lock` records it), so nothing is "
            f"downloaded: {how_to}."
        )
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / name
        url = RELEASES.format(version=version) + name
        try:
            fetch(url, archive)
        except OSError as error:
            raise CliInstallError(f"Could not download {url} ({error}): {how_to}.") from error
        actual = sha256_of(archive)
        if actual != expected:
            raise CliInstallError(
                f"{name} has SHA-256 {actual}, not the recorded {expected}: nothing was installed; {how_to}."
            )
        return _unpack(archive, root / CLI_FOLDER / "bin")


def _unpack(archive: Path, bin_folder: Path) -> Path:
    """The archive's `pulumi/` files into `bin_folder` (tar's `data` filter: no links out, no devices)."""
    staging = bin_folder.with_name("bin.partial")
    shutil.rmtree(staging, ignore_errors=True)
    binaries = staging / "pulumi"
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
    except tarfile.TarError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise CliInstallError(f"{archive.name} cannot be unpacked safely ({error}): nothing was installed.") from error
    if not (binaries / "pulumi").is_file():
        shutil.rmtree(staging)
        raise CliInstallError(f"{archive.name} holds no pulumi/pulumi binary: nothing was installed.")
    shutil.rmtree(bin_folder, ignore_errors=True)
    binaries.rename(bin_folder)
    shutil.rmtree(staging)
    return bin_folder / "pulumi"


def record_checksums(root: Path, *, version: str = CLI_VERSION, fetch: Fetch = download) -> Path:
    """Write the release's checksums of the archives the sessions can install to CHECKSUMS_FILE."""
    wanted = {archive_name(version, system, machine) for system in _SYSTEMS for machine in _MACHINES}
    with tempfile.TemporaryDirectory() as scratch:
        listing = Path(scratch) / "checksums.txt"
        try:
            fetch(checksums_url(version), listing)
        except OSError as error:
            raise CliInstallError(f"Could not download {checksums_url(version)} ({error}).") from error
        published = parse_checksums(listing.read_text())
    lines = [f"{published[name]}  {name}" for name in sorted(name for name in wanted if name in published)]
    if not lines:
        raise CliInstallError(f"{checksums_url(version)} lists none of {', '.join(sorted(n for n in wanted if n))}.")
    target = root / CHECKSUMS_FILE
    target.write_text(
        f"# SHA-256 of the Pulumi CLI {version} archives, from {checksums_url(version)}\n"
        "# (written by `nox -s lock`; the deploy sessions install only an archive that matches).\n"
        + "\n".join(lines)
        + "\n"
    )
    return target


def ensure(
    root: Path,
    say: Callable[[str], None] = print,
    *,
    which: Callable[[str], str | None] = shutil.which,
    install: Callable[[Path], Path] = install,
) -> Path | None:
    """The folder of the pinned CLI under the repo (installed now if needed), or None to use
    `pulumi` on PATH; CliInstallError when neither can be had."""
    folder = root / CLI_FOLDER
    if installed_cli(root):
        return folder
    if which("pulumi"):
        return None
    say(f"The Pulumi CLI is not on PATH; installing Pulumi {CLI_VERSION} into {folder}, its SHA-256 checked ...")
    install(root)
    return folder


def main(argv: list[str]) -> int:
    """`python -m streaming_tooling.deploy.pulumi_cli <repo root>`: make the CLI ready for the deploy
    sessions; exit 1 with the sentence that says what to install when it cannot be."""
    try:
        folder = ensure(Path(argv[0]) if argv else Path.cwd())
    except CliInstallError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Pulumi CLI: {folder / 'bin' / 'pulumi' if folder else shutil.which('pulumi')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
