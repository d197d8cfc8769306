"""`nox -s affected`: which layers a change affects, against real commits in a temporary git repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from streaming_tooling.affected import affected, main
from streaming_tooling.git import GitError
from streaming_tooling.testing.git_repository import append, commit_all, edit, git


def layers(repo: Path, base: str = "base") -> list[str]:
    return affected(repo, base).as_json()["layers"]  # type: ignore[return-value]


def test_nothing_changed_affects_nothing(repo):
    assert affected(repo, "base").as_json() == {"layers": [], "reasons": {}}


def test_a_file_of_a_layer_affects_that_layer_only(repo):
    append(repo, "stacks/data/data_layer/table.py", "\n# a change\n")
    commit_all(repo, "data change")
    found = affected(repo, "base")
    assert found.as_json() == {"layers": ["data"], "reasons": {"data": ["stacks/data/data_layer/table.py changed"]}}


def test_uncommitted_and_untracked_files_count(repo):
    append(repo, "stacks/network/network_layer/extra.py", "VALUE = 1\n")
    append(repo, "stacks/compute/Pulumi.dev.yaml", "  streaming-compute:batchSize: 50\n")
    assert layers(repo) == ["network", "compute"]


def test_a_layers_tests_docs_and_non_program_folders_affect_no_layer(repo):
    append(repo, "stacks/compute/tests/test_compute_program.py", "\n")
    append(repo, "stacks/compute/README.md", "\nMore words.\n")
    append(repo, "stacks/compute/functions/README.md", "\nMore words.\n")
    append(repo, "stacks/compute/bench/bench_dataplane.py", "\n")
    append(repo, "stacks/compute/tools/replay_failures.py", "\n")
    commit_all(repo, "tests and docs")
    found = affected(repo, "base")
    assert found.layers == []
    assert "stacks/compute/tests/test_compute_program.py" in found.unaffecting


def test_documentation_tooling_and_ci_files_affect_no_layer(repo):
    append(repo, "README.md", "\nA line.\n")
    append(repo, "docs/conventions.md", "\nA line.\n")
    append(repo, "shared/tooling/streaming_tooling/docs.py", "\n")
    append(repo, "shared/policy_pack/__main__.py", "\n")
    append(repo, "noxfile.py", "\n")
    append(repo, ".github/workflows/extra.yml", "name: extra\n")
    commit_all(repo, "docs and tooling")
    assert layers(repo) == []


def test_a_runtime_module_affects_only_the_layers_whose_programs_import_it(repo):
    append(repo, "shared/streaming_shared/retention.py", "DAYS = 30\n")
    edit(
        repo,
        "stacks/observability/__main__.py",
        "from streaming_shared.catalogue",
        "import streaming_shared.retention\nfrom streaming_shared.catalogue",
    )
    base = commit_all(repo, "a module only observability imports")
    append(repo, "shared/streaming_shared/retention.py", "WEEKS = 4\n")
    commit_all(repo, "change it")
    found = affected(repo, base)
    assert found.as_json() == {
        "layers": ["observability"],
        "reasons": {
            "observability": [
                "shared/streaming_shared/retention.py changed (the program imports streaming_shared.retention)"
            ]
        },
    }


def test_the_runtime_module_network_and_compute_do_not_import_affects_only_data_and_observability(repo):
    """The case that keeps the import graph: with "every runtime module affects every layer", a
    change to `keys` would redeploy network and compute too."""
    append(repo, "shared/streaming_shared/keys.py", "\n")
    found = affected(repo, "base")
    assert found.as_json() == {
        "layers": ["data", "observability"],
        "reasons": {
            name: ["shared/streaming_shared/keys.py changed (the program imports streaming_shared.keys)"]
            for name in ("data", "observability")
        },
    }


def test_a_runtime_module_imported_through_another_affects_every_program(repo):
    append(repo, "shared/streaming_shared/errors.py", "\n")
    commit_all(repo, "errors")
    assert layers(repo) == ["network", "data", "compute", "observability"]


def test_an_export_added_to_the_catalogue_affects_that_layer_and_its_readers(repo):
    edit(
        repo,
        "shared/streaming_shared/catalogue.py",
        '"lambda_security_group_id": Shape.STRING,\n',
        '"lambda_security_group_id": Shape.STRING,\n            "nat_gateway_ids": Shape.STRINGS,\n',
    )
    commit_all(repo, "network exports more")
    found = affected(repo, "base")
    assert found.as_json() == {
        "layers": ["network", "compute"],
        "reasons": {
            "network": ["its catalogue entry changed (exports: added nat_gateway_ids)"],
            "compute": ["it reads streaming-network, whose catalogue entry changed"],
        },
    }


def test_a_removed_export_of_compute_affects_compute_and_observability_only(repo):
    edit(repo, "shared/streaming_shared/catalogue.py", '            "function_arns": Shape.BY_STAGE,\n', "")
    commit_all(repo, "compute exports less")
    found = affected(repo, "base")
    assert found.layers and [item.name for item in found.layers] == ["compute", "observability"]
    assert found.reasons["compute"] == ["its catalogue entry changed (exports: removed function_arns)"]


def test_a_reshaped_export_affects_that_layer_and_its_readers(repo):
    edit(
        repo,
        "shared/streaming_shared/catalogue.py",
        '"private_subnet_ids": Shape.STRINGS,',
        '"private_subnet_ids": Shape.STRING,',
    )
    commit_all(repo, "network's subnets as one string")
    found = affected(repo, "base")
    assert found.as_json() == {
        "layers": ["network", "compute"],
        "reasons": {
            "network": [
                "its catalogue entry changed (exports: reshaped private_subnet_ids (list of strings -> string))"
            ],
            "compute": ["it reads streaming-network, whose catalogue entry changed"],
        },
    }


def test_comments_and_docstrings_of_the_catalogue_affect_nothing(repo):
    edit(repo, "shared/streaming_shared/catalogue.py", '"""The layers that read', '"""Which layers read')
    edit(repo, "shared/streaming_shared/catalogue.py", "\nNETWORK = Layer(", "\n# the network layer\nNETWORK = Layer(")
    commit_all(repo, "words")
    assert layers(repo) == []


def test_catalogue_code_affects_every_program_importing_it(repo):
    edit(repo, "shared/streaming_shared/catalogue.py", 'return f"stacks/{self.name}"', 'return f"stacks/{self.name}/"')
    commit_all(repo, "code")
    assert layers(repo) == ["network", "data", "compute", "observability"]


def test_a_pin_outside_the_programs_environments_affects_nothing(repo):
    edit(repo, "requirements/constraints.txt", "pytest==9.2.0", "pytest==9.2.1")
    commit_all(repo, "pytest bump")
    found = affected(repo, "base")
    assert found.layers == []
    assert found.unaffecting == ["requirements/constraints.txt"]


def test_a_pin_every_program_installs_affects_every_layer(repo):
    edit(repo, "requirements/constraints.txt", "pydantic==2.14.4", "pydantic==2.14.5")
    commit_all(repo, "pydantic bump")
    found = affected(repo, "base")
    assert [item.name for item in found.layers] == ["network", "data", "compute", "observability"]
    assert found.reasons["data"] == ["requirements/constraints.txt: pydantic 2.14.4 -> 2.14.5"]


def test_a_branch_is_compared_with_its_merge_base_not_with_the_tip_of_main(repo):
    git(repo, "checkout", "--quiet", "-b", "feature")
    append(repo, "stacks/network/network_layer/settings.py", "\n")
    commit_all(repo, "feature work")
    git(repo, "checkout", "--quiet", "main")
    append(repo, "stacks/data/data_layer/stream.py", "\n")
    commit_all(repo, "someone else's merge")
    git(repo, "checkout", "--quiet", "feature")
    assert layers(repo, "main") == ["network"]


def test_an_unknown_base_is_one_clear_sentence(repo):
    with pytest.raises(GitError, match=r"git ref 'origin/nowhere' is not known in .*: fetch it first"):
        affected(repo, "origin/nowhere")


def test_json_output_is_the_documented_shape_and_nothing_else(repo, capsys):
    append(repo, "stacks/compute/compute_layer/iam.py", "\n")
    assert main(["--base", "base", "--json"], root=repo) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == {
        "layers": ["compute"],
        "reasons": {"compute": ["stacks/compute/compute_layer/iam.py changed"]},
    }
    assert printed.count("\n") == 1


def test_text_output_lists_layers_in_deploy_order_with_their_reasons(repo, capsys):
    append(repo, "stacks/observability/observability_layer/alarms.py", "\n")
    append(repo, "stacks/network/network_layer/settings.py", "\n")
    assert main(["--base", "base"], root=repo) == 0
    printed = capsys.readouterr().out
    assert re.search(r"network\n.*settings.py changed\n  observability\n", printed)


def test_an_unknown_base_exits_2_without_a_traceback(repo, capsys):
    assert main(["--base", "nowhere", "--json"], root=repo) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "is not known" in captured.err and "Traceback" not in captured.err


def test_a_constraints_line_packaging_cannot_read_exits_2_naming_the_file_and_line(repo, capsys):
    append(repo, "requirements/constraints.txt", "pydantic=>2\n")
    assert main(["--base", "base"], root=repo) == 2
    error = capsys.readouterr().err
    assert error.startswith("requirements/constraints.txt line ") and "'pydantic=>2' is not a requirement" in error


def test_pins_are_compared_by_canonical_name(repo):
    edit(repo, "requirements/constraints.txt", "pydantic==2.14.4", "Pydantic==2.14.4")
    edit(repo, "requirements/constraints.txt", "pulumi-aws==7.51.1", "pulumi_aws==7.51.2")
    found = affected(repo, "base")
    assert found.reasons["network"] == ["requirements/constraints.txt: pulumi-aws 7.51.1 -> 7.51.2"]
