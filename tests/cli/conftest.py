"""Fixtures for the CLI tests: the implementation to drive, a shared PKI, and
peers that are always stopped.

Every server listens on 127.0.0.1 on an ephemeral port, every wait is bounded,
and every process a test starts is killed at teardown.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from cli_helpers import Server, cli_env, cytls_reason

from cytls.cli import _certgen


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
