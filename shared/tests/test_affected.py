"""`nox -s affected`: which layers a change affects, against real commits in a temporary git repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from streaming_tooling.affected import affected, main
from streaming_tooling.affected.requirements import RequirementFileError, pins
from streaming_tooling.affected.rules import affected_by
from streaming_tooling.git import GitError
from streaming_tooling.testing.git_repository import append, commit_all, edit, git

CODE = "\nCHANGED = True\n"
"""A line of code appended to a Python file: a change its program would run."""


def layers(repo: Path, base: str = "base") -> list[str]:
    return affected(repo, base).as_json()["layers"]  # type: ignore[return-value]


def test_nothing_changed_affects_nothing(repo):
    assert affected(repo, "base").as_json() == {"layers": [], "reasons": {}}


def test_a_file_of_a_layer_affects_that_layer_only(repo):
    append(repo, "stacks/data/data_layer/table.py", CODE)
    commit_all(repo, "data change")
    found = affected(repo, "base")
    assert found.as_json() == {"layers": ["data"], "reasons": {"data": ["stacks/data/data_layer/table.py changed"]}}


def test_uncommitted_and_untracked_files_count(repo):
    append(repo, "stacks/network/network_layer/extra.py", "VALUE = 1\n")
    append(repo, "stacks/compute/compute_layer/iam.py", CODE)
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


def test_the_runtime_module_data_and_observability_do_not_import_affects_only_network_and_compute(repo):
    """The case that keeps the import graph: with "every runtime module affects every layer", a
    change to `roles` (only the layers that create IAM roles import it) would redeploy data and
    observability too."""
    append(repo, "shared/streaming_shared/roles.py", "ROLE_SESSION_SECONDS = 3600\n")
    found = affected(repo, "base")
    assert found.as_json() == {
        "layers": ["network", "compute"],
        "reasons": {
            name: ["shared/streaming_shared/roles.py changed (the program imports streaming_shared.roles)"]
            for name in ("network", "compute")
        },
    }


def test_a_runtime_module_imported_through_another_affects_every_program(repo):
    append(repo, "shared/streaming_shared/errors.py", CODE)
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
    append(repo, "stacks/network/network_layer/settings.py", CODE)
    commit_all(repo, "feature work")
    git(repo, "checkout", "--quiet", "main")
    append(repo, "stacks/data/data_layer/stream.py", CODE)
    commit_all(repo, "someone else's merge")
    git(repo, "checkout", "--quiet", "feature")
    assert layers(repo, "main") == ["network"]


def test_an_unknown_base_is_one_clear_sentence(repo):
    with pytest.raises(GitError, match=r"git ref 'origin/nowhere' is not known in .*: fetch it first"):
        affected(repo, "origin/nowhere")


def test_json_output_is_the_documented_shape_and_nothing_else(repo, capsys):
    append(repo, "stacks/compute/compute_layer/iam.py", CODE)
    assert main(["--base", "base", "--json"], root=repo) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == {
        "layers": ["compute"],
        "reasons": {"compute": ["stacks/compute/compute_layer/iam.py changed"]},
    }
    assert printed.count("\n") == 1


def test_text_output_lists_layers_in_deploy_order_with_their_reasons(repo, capsys):
    append(repo, "stacks/observability/observability_layer/alarms.py", CODE)
    append(repo, "stacks/network/network_layer/settings.py", CODE)
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


def test_a_hashed_lock_s_bad_line_is_named_by_its_own_line_number():
    lock = (
        "# compiled by uv\n"
        "boto3==1.40.0 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "orjson==3.11.0 \\\n"
        "    --hash=sha256:cccc\n"
        "pydantic=>2\n"
    )
    with pytest.raises(RequirementFileError, match=r"^requirements/program\.txt line 7: 'pydantic=>2'"):
        pins(lock, "requirements/program.txt")
    assert pins(lock.removesuffix("pydantic=>2\n"), "lock") == {"boto3": "1.40.0", "orjson": "3.11.0"}


def test_pins_are_compared_by_canonical_name(repo):
    edit(repo, "requirements/constraints.txt", "pydantic==2.14.4", "Pydantic==2.14.4")
    edit(repo, "requirements/constraints.txt", "pulumi-aws==7.51.1", "pulumi_aws==7.51.2")
    found = affected(repo, "base")
    assert found.reasons["network"] == ["requirements/constraints.txt: pulumi-aws 7.51.1 -> 7.51.2"]


# -- what ships, what is only words, what pins a program's environment -----------------------------


def test_every_file_that_ships_in_a_functions_package_affects_compute_whatever_its_kind(repo):
    append(repo, "stacks/compute/functions/validate/event.schema.json", "\n")
    append(repo, "stacks/compute/functions/transform/NOTES.md", "Shipped beside the handler.\n")
    append(repo, "stacks/compute/functions/pipeline_core/defaults.txt", "batch=100\n")
    found = affected(repo, "base")
    assert found.as_json() == {
        "layers": ["compute"],
        "reasons": {
            "compute": [
                f"stacks/compute/functions/{path} changed (it ships to Lambda)"
                for path in ("pipeline_core/defaults.txt", "transform/NOTES.md", "validate/event.schema.json")
            ]
        },
    }


def test_the_dependency_layers_lock_ships_and_files_beside_the_stages_do_not(repo):
    append(repo, "stacks/compute/functions/requirements.txt", "\n")
    append(repo, "stacks/compute/functions/requirements.in", "\n")
    append(repo, "stacks/compute/functions/README.md", "\nMore words.\n")
    found = affected(repo, "base")
    assert found.reasons == {"compute": ["stacks/compute/functions/requirements.txt changed (it ships to Lambda)"]}
    assert found.unaffecting == ["stacks/compute/functions/README.md", "stacks/compute/functions/requirements.in"]


def test_a_comment_or_docstring_change_to_a_runtime_module_affects_no_layer(repo):
    edit(repo, "shared/streaming_shared/errors.py", '"""', '"""Errors, in other words. ')
    append(repo, "shared/streaming_shared/naming.py", "# a comment\n")
    edit(repo, "stacks/data/data_layer/table.py", "\n\n", "\n\n# why the table looks as it does\n")
    found = affected(repo, "base")
    assert found.layers == []
    assert found.unaffecting == [
        "shared/streaming_shared/errors.py",
        "shared/streaming_shared/naming.py",
        "stacks/data/data_layer/table.py",
    ]


def test_a_pin_of_the_programs_lock_affects_the_layers_whose_environment_holds_it(repo):
    text = (repo / "requirements/program.txt").read_text()
    [pin] = [line.split(" ")[0] for line in text.splitlines() if line.startswith("pydantic==")]
    edit(repo, "requirements/program.txt", pin, "pydantic==2.99.0")
    found = affected(repo, "base")
    assert [item.name for item in found.layers] == ["network", "data", "compute", "observability"]
    assert found.reasons["data"] == [f"requirements/program.txt: pydantic {pin.split('==')[1]} -> 2.99.0"]


def test_a_stack_file_of_a_layer_nobody_reads_plans_nothing(repo):
    append(repo, "stacks/observability/Pulumi.dev.yaml", "  streaming-observability:tableOperations: [PutItem]\n")
    found = affected_by(repo, ["stacks/observability/Pulumi.dev.yaml"], lambda path: None, plans=None)
    assert found.as_json() == {
        "layers": ["observability"],
        "reasons": {"observability": ["stacks/observability/Pulumi.dev.yaml changed"]},
    }


# -- bases git cannot compare with ----------------------------------------------------------------------


def test_a_base_on_unrelated_history_is_one_sentence_naming_the_fix(repo):
    git(repo, "checkout", "--quiet", "--orphan", "elsewhere")
    commit_all(repo, "another history")
    git(repo, "checkout", "--quiet", "main")
    with pytest.raises(GitError) as failure:
        affected(repo, "elsewhere")
    assert str(failure.value) == (
        f"'elsewhere' and HEAD share no history in {repo} (an unrelated branch): pass a --base that HEAD grew "
        "from, such as origin/main"
    )


def test_a_shallow_clone_is_one_sentence_naming_the_fix(repo, tmp_path):
    for number in range(2):
        append(repo, "docs/history.md", f"{number}\n")
        commit_all(repo, f"docs {number}")
    git(repo, "branch", "feature", "HEAD~1")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", "--no-single-branch", f"file://{repo}", str(clone))
    with pytest.raises(GitError) as failure:
        affected(clone, "origin/feature")
    assert str(failure.value) == (
        f"this clone of {clone} is shallow, so git cannot find where 'origin/feature' and HEAD meet: fetch the "
        "whole history (`git fetch --unshallow`; in CI, check out with `fetch-depth: 0`)"
    )
