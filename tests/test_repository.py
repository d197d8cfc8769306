"""Repository-wide rules: README matches the code, no hard-coded region, the layout is fixed.

Region literals are allowed only in tests, in test support (`streaming_shared/testing`) and in
the example stack files (`Pulumi.<stack>.yaml`).
"""

from __future__ import annotations

import re

from streaming_shared.catalogue import LAYERS
from streaming_tooling import docs
from streaming_tooling.testing import repo_root

ROOT = repo_root()


def test_generated_documentation_sections_are_up_to_date():
    assert docs.stale_files(ROOT) == [], "generated documentation is stale: run `nox -s docs`"


def test_every_generated_section_has_a_place_in_the_documentation():
    assert docs.missing_sections(ROOT) == []


def test_each_layer_documents_its_config_in_its_own_folder():
    for name in docs.generated_sections(ROOT).keys() & {f"config:{layer}" for layer in LAYERS}:
        layer_readme = (ROOT / "stacks" / name.removeprefix("config:") / "README.md").read_text()
        assert f"<!-- {name} -->" in layer_readme, name


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
        assert (ROOT / name).exists() or name.startswith("stacks/"), name


def test_each_built_layer_is_a_pulumi_project_with_the_catalogue_name():
    for item in LAYERS.values():
        project_file = ROOT / item.folder / "Pulumi.yaml"
        if project_file.exists():
            assert re.search(rf"^name: {item.project}$", project_file.read_text(), re.MULTILINE)
            assert "virtualenv: ../../.venv" in project_file.read_text()


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^(nox -s tests)\b", readme, re.MULTILINE)
    assert command
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci_lines[-1] == command.group(1)


def test_example_stack_files_disable_the_default_aws_provider():
    for path in (ROOT / "stacks").glob("*/Pulumi.*.yaml"):
        assert "pulumi:disable-default-providers" in path.read_text(), path
