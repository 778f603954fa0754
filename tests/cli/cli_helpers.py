"""Helpers for the CLI tests: run `python -m cytls`, find ports and peers.

A module of its own (not conftest) so that test files can import it by a
name no other test directory uses.

Every server listens on 127.0.0.1 on an ephemeral port, every wait is bounded,
and every process a test starts is killed at teardown.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from cytls.cli import _impl

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


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None
