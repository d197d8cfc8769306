"""An AWS API emulator on loopback for stack `local`.

If something already listens on the endpoint (a LocalStack, a moto server you started), it is
used as it is and left running. Otherwise moto server (from PyPI, no Docker) is started on that
port and stopped again when the deploy is over: the helper stops only what it started.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.parse
from types import TracebackType

from .orchestrator import DeployError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def listening(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Emulator:
    """Context manager: an emulator listening on `endpoint` for as long as the block runs."""

    def __init__(self, endpoint: str, *, start_timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlparse(endpoint)
        if parsed.hostname is None or parsed.port is None:
            raise DeployError(f"emulator endpoint {endpoint!r} needs a host and a port, e.g. http://127.0.0.1:4566")
        self.endpoint = endpoint
        self.host = parsed.hostname
        self.port = parsed.port
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def started_here(self) -> bool:
        return self.process is not None

    def start(self) -> Emulator:
        if listening(self.host, self.port):
            return self
        if self.host not in LOOPBACK_HOSTS:
            raise DeployError(f"nothing listens on {self.endpoint}, and only a loopback emulator can be started here")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.start_timeout
        while not listening(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise DeployError(
                    f"moto server did not start on {self.endpoint}; is `moto[server]` installed in this environment?"
                )
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
