"""The "Working as a team" documentation: README's short version, the full page, each layer's pointer."""

from __future__ import annotations

import re

import pytest

from streaming_shared.catalogue import LAYERS
from streaming_tooling.testing import repo_root
from streaming_tooling.testing.noxfile import noxfile_sessions

ROOT = repo_root()
README = (ROOT / "README.md").read_text()
TEAM_PAGE = "docs/working-as-a-team.md"


def test_readmes_session_table_lists_every_nox_session():
    listed = set(re.findall(r"^\| `nox -s ([\w-]+)", README, re.MULTILINE))
    assert {"affected", "deploy-changed", "contract-check", "preview"} <= noxfile_sessions(ROOT)
    assert sorted(noxfile_sessions(ROOT) - listed) == []


def test_readme_has_the_short_version_and_links_the_full_page():
    section = README.split("## Working as a team", 1)[1].split("\n## ", 1)[0]
    assert f"({TEAM_PAGE})" in section
    assert "replace the\nplaceholder `@your-org/...` handles" in section
    assert "--allow-contract-break" in section
    assert (ROOT / TEAM_PAGE).exists()


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_layer_readme_names_its_owners_and_points_to_the_team_page(name):
    codeowners = (ROOT / ".github" / "CODEOWNERS").read_text()
    [team] = re.findall(rf"^/stacks/{name}/\s+(\S+)$", codeowners, re.MULTILINE)
    layer_readme = (ROOT / "stacks" / name / "README.md").read_text()
    assert f"Owned by `{team}`" in layer_readme
    assert "(../../docs/working-as-a-team.md)" in layer_readme


def test_the_team_page_documents_every_secret_and_variable_the_workflows_use():
    page = (ROOT / TEAM_PAGE).read_text()
    used = set()
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        used |= set(re.findall(r"\$\{\{ (?:secrets|vars)\.(\w+) \}\}", path.read_text()))
    assert used
    assert sorted(name for name in used if f"`{name}`" not in page) == []
