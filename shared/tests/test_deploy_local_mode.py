"""Local mode: file backend and throwaway passphrase for stack `local`, and the emulator helper."""

from __future__ import annotations

import socket
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from pulumi import automation as auto

from streaming_tooling.deploy.automation import (
    LOCAL_PASSPHRASE,
    ensure_cli,
    stack_environment,
    update_of,
)
from streaming_tooling.deploy.emulator import Emulator, free_loopback_port, listening
from streaming_tooling.deploy.orchestrator import DeployError
from streaming_tooling.deploy.pulumi_cli import CLI_VERSION, CliInstallError
from streaming_tooling.deploy.versions import stack_version


def test_stack_local_uses_the_file_backend_under_the_repo_and_a_throwaway_passphrase(tmp_path):
    environment = stack_environment(tmp_path, "local")
    assert environment["PULUMI_BACKEND_URL"] == f"file://{(tmp_path / '.pulumi-state').resolve()}"
    assert environment["PULUMI_CONFIG_PASSPHRASE"] == LOCAL_PASSPHRASE
    assert environment["AWS_ACCESS_KEY_ID"] == "test"


def test_other_stacks_keep_the_users_backend_and_credentials(tmp_path):
    environment = stack_environment(tmp_path, "dev")
    assert not {"PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "AWS_ACCESS_KEY_ID"} & set(environment)


def test_state_and_cli_folders_are_git_ignored():
    ignored = (Path(__file__).parents[2] / ".gitignore").read_text().splitlines()
    assert ".pulumi-state/" in ignored and ".pulumi-cli/" in ignored


def test_emulator_starts_moto_server_on_a_free_loopback_port_and_stops_it():
    port = free_loopback_port()
    with Emulator(f"http://127.0.0.1:{port}") as emulator:
        assert emulator.started_here
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=5) as response:
            assert response.status == 200
    assert not listening("127.0.0.1", port)


def test_emulator_reuses_one_already_listening_and_leaves_it_running():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # connections wait in the backlog; nobody needs to accept them
    port = server.getsockname()[1]
    try:
        with Emulator(f"http://127.0.0.1:{port}") as emulator:
            assert not emulator.started_here
        assert listening("127.0.0.1", port)
    finally:
        server.close()


def test_emulator_will_not_start_on_a_remote_host():
    with pytest.raises(DeployError, match="only a loopback emulator"):
        Emulator("http://192.0.2.1:4566", start_timeout=1).start()


def test_a_cli_that_cannot_be_installed_ends_in_one_sentence_saying_what_to_install(tmp_path):
    def install(root):
        raise CliInstallError(f"Could not download the archive: install Pulumi {CLI_VERSION} from the docs.")

    said: list[str] = []
    with pytest.raises(DeployError) as error:
        ensure_cli(tmp_path, said.append, which=lambda name: None, install=install)
    assert str(error.value) == f"Could not download the archive: install Pulumi {CLI_VERSION} from the docs."
    assert said == [
        f"The Pulumi CLI is not on PATH; installing Pulumi {CLI_VERSION} into {tmp_path / '.pulumi-cli'}, "
        "its SHA-256 checked ..."
    ]


def test_the_history_s_times_are_utc_as_pulumi_means_them():
    """Pulumi's Automation API parses `pulumi stack history --json`'s `...Z` times without a zone."""
    summary = auto.UpdateSummary(
        kind="update",
        start_time=datetime.strptime("2026-12-01T10:00:00.000Z", "%Y-%m-%dT%H:%M:%S.%fZ"),
        end_time=datetime.strptime("2026-12-01T10:03:00.000Z", "%Y-%m-%dT%H:%M:%S.%fZ"),
        message="deploy of " + "a" * 40 + " (clean tree) by tests",
        environment={},
        config={},
        result="succeeded",
    )
    found = stack_version([update_of(summary)])
    assert found is not None and found.deployed_at is not None
    assert found.deployed_at.isoformat() == "2026-12-01T10:03:00+00:00"
