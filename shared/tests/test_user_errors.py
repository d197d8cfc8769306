"""Mistakes a new user makes get one clear answer naming what to fix, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from streaming_shared.catalogue import LAYERS, repo_root
from streaming_tooling.deploy import cli
from streaming_tooling.deploy.arguments import argument_problem
from streaming_tooling.deploy.plan import build_plan, render_text
from streaming_tooling.installs import install_when_changed

from .test_deploy_orchestration import RecordingGateway, run_cli


def copy_stack_files(root: Path) -> None:
    """The repo's real stack files, laid out under `root` as under the repo."""
    for item in LAYERS.values():
        (root / item.folder).mkdir(parents=True)
        for path in (repo_root() / item.folder).glob("Pulumi.*.yaml"):
            shutil.copy(path, root / item.folder / path.name)


def run_cli_in(root: Path, argv: list[str], gateway: RecordingGateway) -> tuple[int, str]:
    said: list[str] = []
    code = cli.main(argv, root=root, gateway_factory=lambda args, root, say: gateway, say=said.append)
    return code, "\n".join(said)


def test_a_yaml_syntax_error_is_one_line_with_the_file_line_and_column(tmp_path):
    copy_stack_files(tmp_path)
    broken = tmp_path / "stacks" / "data" / "Pulumi.dev.yaml"
    broken.write_text("config:\n  aws:region: eu-west-1\n  streaming-data:tags: {Team: [data\n")
    gateway = RecordingGateway()
    code, text = run_cli_in(tmp_path, ["preview-all", "--stack", "dev"], gateway)
    assert code == 2
    assert text.count("\n") == 0
    assert text.startswith("stacks/data/Pulumi.dev.yaml, line 4, column 1: not valid YAML:")
    assert gateway.calls == []


def test_the_offline_plan_names_the_broken_stack_file_too(tmp_path, monkeypatch):
    copy_stack_files(tmp_path)
    (tmp_path / "stacks" / "network" / "Pulumi.dev.yaml").write_text("config:\n\taws:region: eu-west-1\n")
    monkeypatch.setenv("STREAMING_REPO_ROOT", str(tmp_path))
    plan = build_plan("dev")
    assert plan.problems[0].startswith(
        "streaming-network: stacks/network/Pulumi.dev.yaml, line 2, column 1: not valid YAML:"
    )


def test_a_stack_without_stack_files_says_so_and_lists_the_stacks_that_exist():
    gateway = RecordingGateway()
    code, text = run_cli(["deploy-all", "--stack", "qa"], gateway)
    assert code == 2 and gateway.calls == []
    first = text.splitlines()[0]
    assert first.startswith("stacks/network/Pulumi.qa.yaml does not exist: streaming-network has no stack 'qa'")
    assert "(its stack files are for: dev, local, prod)" in first
    assert "aws:region is required" not in text


def test_the_offline_plan_of_a_stack_without_stack_files_says_the_same():
    plan = build_plan("qa")
    assert "streaming-network: stacks/network/Pulumi.qa.yaml does not exist" in plan.problems[0]
    assert not any("aws:region is required" in problem for problem in plan.problems)


def test_ctrl_d_at_the_destroy_confirmation_destroys_nothing():
    def end_of_input(prompt: str) -> str:
        raise EOFError

    said: list[str] = []
    gateway = RecordingGateway()
    code = cli.main(
        ["destroy-all", "--stack", "dev"],
        root=repo_root(),
        gateway_factory=lambda args, root, say: gateway,
        say=said.append,
        ask=end_of_input,
    )
    assert code == 1
    assert said[-1] == "Not confirmed; nothing destroyed."
    assert gateway.calls == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["deploy", "nonsense"], "argument layer: invalid choice: 'nonsense'"),
        (["deploy-all", "--stack"], "argument --stack: expected one argument"),
        (["preview-all", "--parallel", "many"], "argument --parallel: invalid int value: 'many'"),
        (["drift", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_a_bad_argument_is_answered_by_the_standard_library_parser(argv, says):
    problem = argument_problem(argv)
    assert problem is not None and says in problem
    assert problem.splitlines()[0].startswith("usage: python -m streaming_tooling.deploy")


def test_good_arguments_and_help_pass_the_check():
    assert argument_problem(["deploy", "compute", "--stack", "dev", "--with-downstream"]) is None
    assert argument_problem(["preview-all", "--strict", "--secrets-provider", "awskms://alias/x"]) is None
    assert argument_problem(["deploy", "--help"]) is None


def test_the_argument_check_imports_only_the_standard_library():
    """The noxfile runs it in nox's own interpreter, before anything is installed."""
    program = (
        "import sys; sys.path[:0] = sys.argv[1:]\n"
        "from streaming_tooling.deploy.arguments import argument_problem\n"
        "from streaming_tooling.installs import install_when_changed\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pydantic', 'yaml'))\n"
        "assert not loaded, loaded\n"
        "print(argument_problem(['deploy', 'nonsense']))\n"
    )
    shared = repo_root() / "shared"
    result = subprocess.run(
        [sys.executable, "-I", "-c", program, str(shared), str(shared / "tooling")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "invalid choice: 'nonsense'" in result.stdout


def test_requirements_are_reinstalled_only_when_they_change(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pulumi\n")
    installs: list[str] = []

    def install() -> None:
        installs.append(requirements.read_text())

    assert install_when_changed(tmp_path, [requirements], install) is True
    assert install_when_changed(tmp_path, [requirements], install) is False
    requirements.write_text("pulumi\nmoto\n")
    assert install_when_changed(tmp_path, [requirements], install) is True
    assert installs == ["pulumi\n", "pulumi\nmoto\n"]


def test_plan_problems_are_nested_under_their_layer_without_empty_headings():
    plan = build_plan("dev", config_overrides={"data": {"streamShardCount": 0, "streamMode": "FAST"}})
    text = render_text(plan)
    assert "Cross-layer wiring" not in text  # nothing was wired: compute never ran
    problems = text[text.index("PROBLEMS:") :].splitlines()
    assert problems[:3] == [
        "PROBLEMS:",
        "  streaming-data:",
        "    - invalid stack configuration:",
    ]
    assert all(line.startswith("        - streaming-data:") for line in problems[3:5]), problems
    assert "  streaming-compute:" in problems
    assert "    - not run, because upstream data did not run" in problems


def test_deploying_one_layer_needs_only_the_stack_files_of_the_layers_it_deploys(tmp_path):
    copy_stack_files(tmp_path)
    (tmp_path / "stacks" / "data" / "Pulumi.qa.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    gateway = RecordingGateway()
    code, _ = run_cli_in(tmp_path, ["deploy", "data", "--stack", "qa", "--allow-dirty"], gateway)  # no git work tree
    assert code == 0 and gateway.layers("up") == ["data"]
    code, text = run_cli_in(tmp_path, ["deploy", "network", "--stack", "qa", "--with-downstream"], gateway)
    assert code == 2
    assert text.splitlines()[0].startswith("stacks/network/Pulumi.qa.yaml does not exist")
    assert "stacks/compute/Pulumi.qa.yaml does not exist" in text
