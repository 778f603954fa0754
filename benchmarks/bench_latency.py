"""Per-connection latency (connect, handshake, request, response read to
EOF, close), cytls against the ssl module, measured connection by
connection in turn: issue 15's target 0, with the noise of a shared
machine taken out of the ratio.

Run: python benchmarks/bench_latency.py [--count N] [--rounds R] [--side server|client|both]
     (or through pytest-benchmark: pytest benchmarks/bench_latency.py)

Why: `python -m cytls bench`'s latency section times a round of cytls
connections, then a round of ssl-module connections. On a machine whose
speed drifts by tens of percent from minute to minute, two rounds a few
seconds apart can differ by more than the two implementations do, and the
ratio moves from run to run by about as much as the target's margin. Here
the two implementations take turns connection by connection (the order
flips each time), so both see the same machine and the ratio of the
medians is tight.

How:
- server side: two server processes, one cytls and one ssl module, each
  serving connections as `s_server -www` does (the bench's own server:
  read the request, write the response, close_notify, close); one client
  process with the ssl module (Nagle on, as by default) connects to them
  in turn. Each server also reports its process CPU per connection.
- client side: one ssl-module server process; the client alternates a
  cytls and an ssl-module connection to it. Each client connection thus
  follows one of the other implementation's in the same process, so
  neither starts with caches warmed by its own last connection (as in a
  process that does other work between connections; the bench's section
  runs a round of one implementation's connections back to back).
Both sides: TLS 1.3, X25519, ECDSA P-256 chain verified, two tickets (the
servers' defaults). Each round prints the two medians and the ratio of
rates (the ssl module's median time over cytls's: above 1, cytls is
faster); the summary is the median of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cytls.cli import _certgen  # noqa: E402
from cytls.cli._bench_net import _contexts, serve_latency, timed_connection  # noqa: E402
from cytls.cli._certgen import CertFiles  # noqa: E402

_TIMEOUT = 30.0


def serve(impl: str, count: int, directory: Path) -> None:
    """Child: a listener on 127.0.0.1; its port on stdout, then `count`
    connections served; then its CPU seconds per connection, the first
    (warm-up) one left out, on stdout."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    print(listener.getsockname()[1], flush=True)
    _, ctx = _contexts(impl, CertFiles.in_directory(directory))
    serve_latency(ctx, listener, 1)
    t0 = time.process_time()
    serve_latency(ctx, listener, count - 1)
    print((time.process_time() - t0) / (count - 1), flush=True)


class Server:
    """A serve() child process."""

    def __init__(self, impl: str, count: int, directory: Path) -> None:
        self.impl = impl
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", impl, str(count), str(directory)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def cpu_per_connection(self) -> float:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.proc.wait(_TIMEOUT)
        return float(line)


def in_turn(clients: dict[str, tuple[Any, int]], count: int) -> dict[str, list[float]]:
    """count connections for each (context, port), taking turns (the order
    flips every turn); the first turn warms up and is not kept."""
    names = list(clients)
    times: dict[str, list[float]] = {n: [] for n in names}
    for i in range(count + 1):
        for name in names if i % 2 else names[::-1]:
            dt = timed_connection(*clients[name])
            if i:
                times[name].append(dt)
    return times


def server_round(files: CertFiles, count: int) -> dict[str, float]:
    """Medians (seconds) and server CPU per connection, cytls vs ssl servers."""
    servers = {impl: Server(impl, count + 1, files.directory) for impl in ("cytls", "ssl")}
    client_ctx, _ = _contexts("ssl", files)
    times = in_turn({impl: (client_ctx, s.port) for impl, s in servers.items()}, count)
    out = {impl: statistics.median(t) for impl, t in times.items()}
    for impl, s in servers.items():
        out[impl + " cpu"] = s.cpu_per_connection()
    return out


def client_round(files: CertFiles, count: int) -> dict[str, float]:
    """Medians (seconds), cytls vs ssl clients of one ssl-module server."""
    server = Server("ssl", 2 * (count + 1), files.directory)
    clients = {impl: (_contexts(impl, files)[0], server.port) for impl in ("cytls", "ssl")}
    times = in_turn(clients, count)
    server.cpu_per_connection()
    return {impl: statistics.median(t) for impl, t in times.items()}


def run(side: str, count: int, rounds: int) -> dict[str, list[float]]:
    """{side: [ratio of each round]}, printing each round."""
    files = _certgen.generate().write()
    ratios: dict[str, list[float]] = {}
    try:
        sides = ("server", "client") if side == "both" else (side,)
        for r in range(rounds):
            for s in sides:
                res = (server_round if s == "server" else client_round)(files, count)
                ratio = res["ssl"] / res["cytls"]
                ratios.setdefault(s, []).append(ratio)
                line = (f"round {r + 1}, cytls or ssl as the {s}: median cytls "
                        f"{res['cytls'] * 1e6:7.0f} us, ssl {res['ssl'] * 1e6:7.0f} us, "
                        f"ratio {ratio:.3f}x")
                if s == "server":
                    line += (f"; server CPU per connection cytls {res['cytls cpu'] * 1e6:.0f} us, "
                             f"ssl {res['ssl cpu'] * 1e6:.0f} us")
                print(line, flush=True)
    finally:
        files.cleanup()
    return ratios


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=300, help="connections per implementation and round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--side", choices=("server", "client", "both"), default="both")
    p.add_argument("--serve", nargs=3, metavar=("IMPL", "COUNT", "CERTDIR"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.serve:
        serve(a.serve[0], int(a.serve[1]), Path(a.serve[2]))
        return
    for side, got in run(a.side, a.count, a.rounds).items():
        print(f"cytls or ssl as the {side} (ssl module at the other end): ratio of rates, "
              f"median of {len(got)} rounds {statistics.median(got):.3f}x "
              f"(rounds {min(got):.3f}x-{max(got):.3f}x; target: at least 1.0x)")


def test_bench_latency(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(run, args=("both", 20, 1), rounds=1, iterations=1)


if __name__ == "__main__":
    main()
