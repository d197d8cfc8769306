"""What Lambda runs: each stage's deployment package and the one dependency layer they share.

A stage's package is its folder `functions/<stage>/` at the zip root plus `functions/pipeline_core/`
as the package `pipeline_core/` and the modules of `streaming_shared` the functions import
(`SHARED_RUNTIME_FILES`) as the package `streaming_shared/`. Third-party dependencies are installed
by pip into a layer (`python/` prefix, as Lambda expects) built for the functions' runtime and
architecture, so `pulumi up` needs nothing but the virtualenv and a package index.

The layer is reproducible: `functions/requirements.txt` is a lock (`nox -s lock` compiles it from
`requirements.in`) pinning every package, transitive ones included, with the hashes of all their
files, and pip installs it with `--require-hashes`; the zip has sorted entries, fixed times and
modes. Two machines build byte-identical zips, so a rebuild does not publish a new layer version
and update all five functions. The zip is built once per lock, runtime and architecture and
cached under `build/` (git-ignored).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import pulumi

import streaming_shared
from streaming_shared.catalogue import STAGES

FUNCTIONS = "functions"
"""The data plane's folder in the layer (`functions/README.md`): a folder per stage, the shared
package, and the lock of the dependency layer."""
SHARED_PACKAGE = "pipeline_core"
HANDLER = "handler.handler"
REQUIREMENTS = "requirements.txt"
SHARED_RUNTIME_FILES = ("__init__.py", "record_store.py")
"""The modules of `streaming_shared` the functions import: `record_store`, the bucket's prefixes and the
table's schema, by which the data layer creates the bucket's lifecycle and the table. They import
nothing (a test holds it), so a function needs nothing else of the package."""

PLATFORMS = {
    # Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34); manylinux2014 wheels
    # also load there. Pure-Python wheels ignore the platform.
    "arm64": ("manylinux_2_28_aarch64", "manylinux2014_aarch64"),
    "x86_64": ("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
}
_LAYER_FORMAT = "2"
"""Bump when the way the layer is built changes, so cached builds are not reused."""
_FIXED_TIME = 315532800  # 1980-01-01, the earliest time a zip entry can carry
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_FILE_MODE = 0o100644  # a regular file, rw-r--r--; Lambda needs no execute bit on a layer's files
_SKIPPED = ("__pycache__", ".pytest_cache", ".mypy_cache")


class DependencyBuildError(RuntimeError):
    """pip could not install the functions' dependencies for the layer."""


def _packaged(relative: PurePosixPath) -> bool:
    """Whether a file of a packaged folder, at `relative` in it, goes into the package."""
    return not set(relative.parts) & set(_SKIPPED) and relative.suffix != ".pyc"


def _package_files(folder: Path) -> list[Path]:
    """Files of a source folder that belong in a deployment package, in a stable order."""
    return sorted(
        path for path in folder.rglob("*") if path.is_file() and _packaged(PurePosixPath(path.relative_to(folder)))
    )


def ships(relative: PurePosixPath) -> bool:
    """Whether the file at `relative` in the functions folder reaches Lambda: it is in a stage's
    package (its folder, or the shared package every stage's package holds) or it is the lock the
    dependency layer is built from. Every other file there (a README beside the stages) does not."""
    if relative == PurePosixPath(REQUIREMENTS):
        return True
    return len(relative.parts) > 1 and relative.parts[0] in (*STAGES, SHARED_PACKAGE) and _packaged(relative)


def function_code(functions_dir: Path, stage: str) -> pulumi.AssetArchive:
    """The deployment package of `stage`: its folder at the root, plus `pipeline_core` and `streaming_shared`'s
    runtime files."""
    stage_dir = functions_dir / stage
    shared_dir = functions_dir / SHARED_PACKAGE
    for required in (stage_dir / "handler.py", shared_dir / "__init__.py"):
        if not required.is_file():
            raise FileNotFoundError(
                f"{required} is missing: the {stage} function is packaged from {stage_dir} and {shared_dir}"
            )
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {
        path.relative_to(stage_dir).as_posix(): pulumi.FileAsset(str(path)) for path in _package_files(stage_dir)
    }
    for package in (SHARED_PACKAGE, streaming_shared.__name__):
        if any(name == package or name.startswith(f"{package}/") for name in assets):
            raise ValueError(f"{stage_dir} has its own {package}, which would clash with the one every function gets")
    for path in _package_files(shared_dir):
        assets[f"{SHARED_PACKAGE}/{path.relative_to(shared_dir).as_posix()}"] = pulumi.FileAsset(str(path))
    runtime_dir = Path(streaming_shared.__file__).parent
    for name in SHARED_RUNTIME_FILES:
        assets[f"{streaming_shared.__name__}/{name}"] = pulumi.FileAsset(str(runtime_dir / name))
    return pulumi.AssetArchive(assets)


def python_version(runtime: str) -> str:
    """`python3.13` -> `3.13`."""
    return runtime.removeprefix("python")


def layer_key(requirements: bytes, runtime: str, architecture: str) -> str:
    """The cache key of a layer build: everything that changes what pip installs."""
    digest = hashlib.sha256()
    for part in (_LAYER_FORMAT.encode(), runtime.encode(), architecture.encode(), requirements):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()[:16]


def pip_command(requirements: Path, target: Path, runtime: str, architecture: str) -> list[str]:
    platforms = [arg for platform in PLATFORMS[architecture] for arg in ("--platform", platform)]
    version = python_version(runtime)
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",  # byte code would be for this interpreter, not the runtime's
        "--require-hashes",  # every file pip installs must match a hash in the lock
        "--only-binary=:all:",
        *platforms,
        "--implementation",
        "cp",
        "--python-version",
        version,
        "--abi",
        f"cp{version.replace('.', '')}",
        "--target",
        str(target),
        "--requirement",
        str(requirements),
    ]


def build_dependency_layer(requirements: Path, build_dir: Path, runtime: str, architecture: str) -> Path:
    """The layer zip (`python/<packages>`), built by pip from the lock or taken from the cache."""
    if not requirements.is_file():
        raise FileNotFoundError(f"{requirements} is missing: it lists the functions' third-party dependencies")
    key = layer_key(requirements.read_bytes(), runtime, architecture)
    archive = build_dir / f"layer-{python_version(runtime)}-{architecture}-{key}.zip"
    if archive.is_file():
        return archive
    build_dir.mkdir(parents=True, exist_ok=True)
    guard = os.open(build_dir, os.O_RDONLY)
    try:
        fcntl.flock(guard, fcntl.LOCK_EX)  # another program run may be building the same layer: wait for it
        if not archive.is_file():
            name = archive.name.removesuffix(".zip")
            folder = _install_dependencies(requirements, build_dir, name, runtime, architecture)
            staging = archive.parent / f"{archive.name}.{os.getpid()}.tmp"
            write_reproducible_zip(folder, staging)
            os.replace(staging, archive)
    finally:
        os.close(guard)
    return archive


def _install_dependencies(requirements: Path, build_dir: Path, name: str, runtime: str, architecture: str) -> Path:
    """A folder holding `python/<packages>`, installed by pip (or already there)."""
    final = build_dir / name
    if (final / "python").is_dir():
        return final
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{final.name}.", dir=build_dir))
    try:
        result = subprocess.run(
            pip_command(requirements, staging / "python", runtime, architecture),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            errors = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("ERROR")]
            detail = errors[-1] if errors else (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise DependencyBuildError(
                f"pip could not install {requirements} for {runtime} on {architecture} into the Lambda layer, "
                f"so check that the package index is reachable from this machine (pip said: {detail})"
            )
        _make_reproducible(staging / "python")
        try:
            os.replace(staging, final)
        except OSError:
            if not (final / "python").is_dir():  # another build that finished first is just as good
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def _make_reproducible(site: Path) -> None:
    """Drop what depends on the building machine and when it built: console scripts (their
    shebang names this interpreter), the install records that hash them, and file times."""
    shutil.rmtree(site / "bin", ignore_errors=True)
    for path in list(site.rglob("__pycache__")):
        shutil.rmtree(path, ignore_errors=True)
    for record in site.glob("*.dist-info/RECORD"):
        record.unlink()
    for installer in site.glob("*.dist-info/INSTALLER"):
        installer.unlink()
    for path in [site, *site.rglob("*")]:
        os.utime(path, (_FIXED_TIME, _FIXED_TIME))


def write_reproducible_zip(folder: Path, archive: Path) -> None:
    """Zip `folder`'s files with sorted names, a fixed time and mode, and fixed compression: the
    same files give the same bytes on every machine."""
    files = sorted(
        (path for path in folder.rglob("*") if path.is_file()), key=lambda p: p.relative_to(folder).as_posix()
    )
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=_ZIP_TIME)
            entry.external_attr = _ZIP_FILE_MODE << 16
            entry.create_system = 3  # Unix, whatever system builds it
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, path.read_bytes(), compresslevel=9)


def requirement_pins(requirements: Path) -> list[str]:
    """The `name==version` pins of a requirements file or lock: hashes, options, comments and
    line continuations left out."""
    lines = (line.split("#", 1)[0].strip().removesuffix("\\").strip() for line in requirements.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]
