"""`.github/CODEOWNERS`: every tracked file has an owner, each layer its team, the contract its readers."""

from __future__ import annotations

import fnmatch
import re

import pytest

from streaming_shared.catalogue import LAYERS
from streaming_tooling.testing import repo_root
from streaming_tooling.testing.git_repository import git

ROOT = repo_root()
CATALOGUE = "shared/streaming_shared/catalogue.py"
HANDLE = re.compile(r"^@[A-Za-z0-9-]+/[A-Za-z0-9_-]+$")


def rules() -> list[tuple[str, list[str]]]:
    parsed = []
    for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pattern, *owners = line.split()
            parsed.append((pattern, owners))
    return parsed


def matches(pattern: str, path: str) -> bool:
    """The subset of CODEOWNERS (gitignore) patterns the file uses: `*`, `/folder/`, `/file`."""
    if pattern == "*":
        return True
    assert pattern.startswith("/") and "*" not in pattern, f"unsupported pattern {pattern!r}"
    anchored = pattern[1:]
    if anchored.endswith("/"):
        return path.startswith(anchored)
    return fnmatch.fnmatchcase(path, anchored)


def owners(path: str) -> list[str]:
    """The owners GitHub requests for `path`: those of the last matching line."""
    found: list[str] = []
    for pattern, names in rules():
        if matches(pattern, path):
            found = names
    return found


def test_every_tracked_file_has_an_owner():
    tracked = git(ROOT, "ls-files").splitlines()
    assert tracked
    assert [path for path in tracked if not owners(path)] == []


def test_every_owner_is_a_team_handle():
    assert [name for _, names in rules() for name in names if not HANDLE.match(name)] == []


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_layer_folder_is_owned_by_its_own_team_alone(name):
    [team] = owners(f"stacks/{name}/__main__.py")
    assert owners(f"stacks/{name}/tests/conftest.py") == [team]
    assert owners(f"stacks/{name}/README.md") == [team]
    assert [other for other in LAYERS if owners(f"stacks/{other}/__main__.py") == [team]] == [name]


def test_the_shared_package_and_tooling_belong_to_the_platform_team():
    platform = owners("noxfile.py")
    assert owners("shared/streaming_shared/upstream.py") == platform
    assert owners("shared/tooling/streaming_tooling/deploy/cli.py") == platform


def test_the_teams_of_the_layers_that_read_the_contract_own_it():
    readers = [item.name for item in LAYERS.values() if item.reads]
    contract_owners = owners(CATALOGUE)
    assert owners("noxfile.py")[0] in contract_owners
    for reader in readers:
        [team] = owners(f"stacks/{reader}/__main__.py")
        assert team in contract_owners, f"{team} reads the contract but does not own {CATALOGUE}"


def test_ci_and_the_roles_it_assumes_belong_to_the_platform_team_alone():
    platform = owners("noxfile.py")
    for path in (".github/workflows/deploy-layer.yml", ".github/CODEOWNERS", "docs/iam/deploy-role-policy.json"):
        assert owners(path) == platform, path
    explicit = [pattern for pattern, _ in rules()]
    assert {"/.github/", "/docs/iam/"} <= set(explicit)
