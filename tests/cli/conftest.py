"""Helpers for the CLI tests: run `python -m cytls`, start and always stop servers.

Every server listens on 127.0.0.1 on an ephemeral port, every wait is bounded,
and every process a test starts is killed at teardown.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cytls.cli import _certgen, _impl

SRC = Path(__file__).resolve().parents[2] / "src"


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(*args: str, input: bytes | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run `python -m cytls ARGS` to completion (bounded) and capture its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "cytls", *args], input=input, capture_output=True,
        timeout=timeout, env=cli_env(), check=False,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(errors="replace"),
        proc.stderr.decode(errors="replace"),
    )


def cytls_reason() -> str | None:
    """Why cytls's ssl-compatible API cannot be driven yet, or None when it can."""
    try:
        _impl.load("cytls")
    except _impl.Unavailable as e:
        return str(e)
    return None


@pytest.fixture(params=["cytls", "ssl"])
def impl(request: pytest.FixtureRequest) -> str:
    """The TLS implementation the CLI drives; cytls is skipped until its API lands."""
    if request.param == "cytls":
        reason = cytls_reason()
        if reason:
            pytest.skip(f"cytls ssl API not on this branch yet: {reason}")
    return str(request.param)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> _certgen.CertFiles:
    return _certgen.generate().write(tmp_path_factory.mktemp("pki"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, head: str) -> None:
        self.proc = proc
        self.port = port
        self.head = head  # what it printed up to its ready line

    def stop(self) -> str:
        """Stop (if still running) and return everything it printed."""
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            out, _ = self.proc.communicate(timeout=10)
        except ValueError:  # already read
            out = b""
        return out.decode(errors="replace")


@pytest.fixture
def start() -> Iterator[object]:
    """start(argv, ready, port=None, cytls=False) -> Server.

    Starts a peer (or `python -m cytls ARGV` when cytls=True) and waits, at most
    15 s, for a line containing `ready` on its output; for s_server the port is
    read from its "ACCEPT host:port" line. Every process is killed at teardown.
    """
    procs: list[subprocess.Popen[bytes]] = []

    def _start(argv: list[str], ready: str, port: int | None = None, cytls: bool = False) -> Server:
        if cytls:
            argv = [sys.executable, "-m", "cytls", *argv]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=cli_env())
        procs.append(proc)
        assert proc.stdout is not None
        seen = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = proc.stdout.readline().decode(errors="replace")
            seen.append(line)
            if ready in line:
                if cytls:
                    port = int(line.split()[1].rsplit(":", 1)[1])
                break
            if not line and proc.poll() is not None:
                raise AssertionError(f"{argv[0]} exited ({proc.returncode}): {''.join(seen)}")
        else:
            proc.kill()
            raise AssertionError(f"{argv[0]} not ready in 15 s: {''.join(seen)}")
        assert port is not None
        return Server(proc, port, "".join(seen))

    yield _start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(10)


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None
