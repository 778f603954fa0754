#!/usr/bin/env python3
"""Soak `python -m cytls s_server`: sequential handshakes, RSS as they go.

Starts the server (cytls, then the same server with `--impl ssl`), runs N
sequential connections against it from an ssl-module client (handshake,
a short echo, close), and prints the server's resident set every 1,000
connections, so a leak per connection shows as steady growth. Not part of
the default test run.

    python scripts/soak.py [--count 10000] [--every 1000] [--impl cytls,ssl]
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def start_server(impl: str) -> tuple[subprocess.Popen[bytes], int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cytls", "s_server", "--impl", impl, "-accept", "127.0.0.1:0",
         "-quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode(errors="replace")
        if line.startswith("ACCEPT"):
            return proc, int(line.split()[1].rsplit(":", 1)[1])
        if not line and proc.poll() is not None:
            break
    proc.kill()
    sys.exit(f"s_server --impl {impl} did not start")


def one(ctx: ssl.SSLContext, port: int) -> None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"soak\n")
        got = b""
        while len(got) < 5:
            chunk = tls.recv(64)
            if not chunk:
                raise ConnectionError("closed before the echo")
            got += chunk


def soak(impl: str, count: int, every: int) -> list[tuple[int, int, int]]:
    proc, port = start_server(impl)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    rows = [(0, rss_kib(proc.pid), fds(proc.pid))]
    print(f"{impl}: {'connections':>11} {'RSS MiB':>8} {'fds':>4} {'conn/s':>7}", flush=True)
    print(f"{impl}: {0:>11} {rows[0][1] / 1024:>8.1f} {rows[0][2]:>4}", flush=True)
    began = time.monotonic()
    last = began
    try:
        for i in range(1, count + 1):
            one(ctx, port)
            if i % every == 0:
                now = time.monotonic()
                time.sleep(0.2)  # let the last worker thread finish
                row = (i, rss_kib(proc.pid), fds(proc.pid))
                rows.append(row)
                rate = every / (now - last)
                last = time.monotonic()
                print(f"{impl}: {i:>11} {row[1] / 1024:>8.1f} {row[2]:>4} {rate:>7.0f}", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--every", type=int, default=1000)
    ap.add_argument("--impl", default="cytls,ssl")
    args = ap.parse_args()
    summary = []
    for impl in args.impl.split(","):
        rows = soak(impl, args.count, args.every)
        first_k = rows[1][1] if len(rows) > 1 else rows[0][1]
        summary.append(
            f"{impl}: RSS {rows[0][1] / 1024:.1f} MiB at start, {first_k / 1024:.1f} after "
            f"{rows[1][0] if len(rows) > 1 else 0}, {rows[-1][1] / 1024:.1f} after {rows[-1][0]} "
            f"(growth after the first {args.every}: {(rows[-1][1] - first_k) / 1024:+.1f} MiB); "
            f"fds {rows[0][2]} -> {rows[-1][2]}"
        )
    print("\n".join(summary))


if __name__ == "__main__":
    main()
