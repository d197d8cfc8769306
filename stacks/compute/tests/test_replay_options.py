"""`nox -s replay-failures` without a readable stack names the options that replace it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "replay_failures.py"


@pytest.fixture(scope="module")
def replay_failures():
    spec = importlib.util.spec_from_file_location("replay_failures_options", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_without_a_pulumi_cli_the_message_names_the_options_to_pass(replay_failures, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `pulumi` to run
    with pytest.raises(SystemExit) as stopped:
        replay_failures.resolve(replay_failures.parser().parse_args(["--stack", "dev"]))
    message = str(stopped.value)
    assert message.startswith("cannot read the outputs of stack 'dev' of streaming-compute")
    assert "--queue-url, --stream-name and --table-name (and --region)" in message


def test_the_stack_is_read_from_the_logged_in_organization_unless_one_is_given(replay_failures, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit, match="stack 'acme/streaming-compute/dev'"):
        replay_failures.resolve(replay_failures.parser().parse_args(["--stack", "dev", "--org", "acme"]))
