"""Repository-wide rules: README matches the code, no hard-coded region, the layout is fixed,
nothing points outside the repository.

Region literals are allowed only in tests, in test support (`streaming_tooling/testing`) and in
the example stack files (`Pulumi.<stack>.yaml`).
"""

from __future__ import annotations

import re
import subprocess

import pytest

from streaming_shared.catalogue import LAYERS
from streaming_tooling import docs
from streaming_tooling.testing import repo_root
from streaming_tooling.testing.noxfile import noxfile_sessions

ROOT = repo_root()


@pytest.mark.slow  # it runs the cost estimate of every configuration the docs show
def test_generated_documentation_sections_are_up_to_date():
    assert docs.stale_files(ROOT) == [], "generated documentation is stale: run `nox -s docs`"


def test_every_generated_section_has_a_place_in_the_documentation():
    assert docs.missing_sections(ROOT) == []


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_readme_has_its_config_exports_costs_and_tests(layer):
    readme = (ROOT / "stacks" / layer / "README.md").read_text()
    for part in (f"<!-- config:{layer} -->", f"<!-- exports:{layer} -->", "\n## Costs\n", "\n## Tests\n"):
        assert part in readme, part


def test_no_region_or_zone_is_hard_coded_outside_tests_and_example_config():
    pattern = re.compile(
        r"\b(?:us|eu|ap|sa|ca|me|af|il|mx)-(?:north|south|east|west|central|northeast|southeast)-\d[a-f]?\b"
    )
    offenders = []
    for folder in ("stacks", "shared"):
        for path in (ROOT / folder).rglob("*"):
            relative = path.relative_to(ROOT)
            test_code = {"tests", "testing"} & set(relative.parts)
            price_book = path.name == "prices.json"  # the estimate's prices, keyed by region
            if not path.is_file() or test_code or price_book or path.name.startswith("Pulumi."):
                continue
            if path.suffix not in {".py", ".json", ".yaml", ".yml", ".toml", ".txt"}:
                continue
            offenders += [f"{relative}: {m}" for m in pattern.findall(path.read_text())]
    assert offenders == []


def test_top_level_layout():
    for name in (
        "stacks/network",
        "stacks/data",
        "stacks/compute",
        "stacks/observability",
        "shared",
        "noxfile.py",
        "README.md",
        ".ci/run",
    ):
        assert (ROOT / name).exists(), name


@pytest.mark.parametrize("item", LAYERS.values(), ids=list(LAYERS))
def test_each_layer_is_a_pulumi_project_with_the_catalogue_name(item):
    project_file = (ROOT / item.folder / "Pulumi.yaml").read_text()
    assert re.search(rf"^name: {item.project}$", project_file, re.MULTILINE)
    assert "virtualenv: ../../.venv" in project_file


def test_ci_runs_exactly_the_readme_test_command_then_the_slow_set_lint_and_the_offline_plan():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^(nox -s tests)\b", readme, re.MULTILINE)
    assert command
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci_lines[-4:] == [command.group(1), "nox -s tests-slow", "nox -s lint", "nox -s plan"]


def test_example_stack_files_disable_the_default_aws_provider():
    for path in (ROOT / "stacks").glob("*/Pulumi.*.yaml"):
        assert "pulumi:disable-default-providers" in path.read_text(), path


OUTSIDE_THE_REPOSITORY = re.compile(r"DESIGN\.md|(?<![./\w])\.\./shared\b|/work[/]")


def tracked_text_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [name for name in listed.splitlines() if not name.endswith(("package-lock.json", ".zip", ".pyc"))]


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    offenders = []
    for name in tracked_text_files():
        if not (ROOT / name).is_file():
            continue
        text = (ROOT / name).read_text(errors="replace")
        offenders += [f"{name}: {match.group(0)}" for match in OUTSIDE_THE_REPOSITORY.finditer(text)]
    assert offenders == []


def test_every_marker_in_the_documentation_is_generated():
    known = {*docs.generated_sections(ROOT), "plan:diagram"}
    markers = {
        marker
        for path in docs.documentation_files(ROOT)
        for marker in re.findall(r"<!-- ([\w-]+:[\w-]+) -->", path.read_text())
    }
    assert markers - known == set()


def test_the_example_tests_in_the_documentation_pass():
    [example] = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "verification.md").read_text(), re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(example, "docs/verification.md", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert len(tests) == 2
    for test in tests:
        test()


def test_the_readme_is_a_front_door_that_lists_every_nox_session():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    listed = set(re.findall(r"^\| `nox -s ([\w-]+)", readme, re.MULTILINE))
    assert noxfile_sessions(ROOT) - listed == set()
    assert "plan" in listed and "deploy-all" in listed


@pytest.mark.parametrize("readme", ["README.md", "stacks/compute/functions/README.md", "stacks/data/README.md"])
def test_the_readmes_say_a_record_can_be_stored_twice_never_lost_and_the_key_to_de_duplicate_by(readme):
    """What `test_a_bisected_redelivery_can_store_a_record_twice_never_lose_it...` (the data plane's
    redelivery tests) reproduces: the promise of no loss says so, and names the archive line's key."""
    text = " ".join((ROOT / readme).read_text().split())
    assert "stored twice, never lost" in text
    assert "de-duplicate" in text and "`pipeline.id`" in text


def file_map(readme: str) -> list[str]:
    """The paths the first code block of a README's "Layout and what you may change" section lists, one a line."""
    section = readme.split("\n## Layout and what you may change\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_readme_maps_every_file_of_its_folder_once_and_says_what_it_shares_and_what_a_change_trips(layer):
    readme = (ROOT / "stacks" / layer / "README.md").read_text()
    folder = ROOT / "stacks" / layer
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "."],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = sorted(name for name in listed if (folder / name).is_file())
    assert sorted(file_map(readme)) == files
    for part in ("**Shared with other layers.**", "trips."):
        assert part in readme, part
