"""The server's CPU time per TLS 1.3 handshake with warm and with cold
caches: cytls against the ssl module measured in the same run.

Run: python benchmarks/bench_server_cold.py [--count N] [--rounds R] [--evict-mib M]
     (or through pytest-benchmark: pytest benchmarks/bench_server_cold.py)

Why: in memory, one handshake after another, the cytls server's phases
cost what the ssl module's do; over sockets, where a client process, the
kernel and other connections run between the server's two steps, the
cytls server's thread CPU per connection came out 1.1x-1.5x the ssl
module's. This reproduces that without sockets: before each server step
(the ClientHello, then the client's Finished) the script writes one byte
per cache line of a buffer larger than the last-level cache, so that the
step starts as it does after other work ran, with its code and data out of
the caches. The cold figure is what a server with many connections pays
per handshake; the difference to the warm one is the cost of the memory a
handshake touches, which Python's objects and bytecode make larger for
cytls than OpenSSL's C makes it for the ssl module.

Both ends: X25519, ECDSA P-256 chain verified, TLS 1.3, two tickets (what
both servers send by default). The figure is the thread CPU time of the
server's do_handshake() calls (wrap_bio excluded), median per round;
rounds alternate cytls and the ssl module, and the ratio is the ssl
module's median over cytls's (above 1: cytls's server spends less).
"""

from __future__ import annotations

import argparse
import os
import ssl
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, x25519  # noqa: E402

from cytls import _core  # noqa: E402
from cytls.cli import _certgen  # noqa: E402
from cytls.cli._bench_sections import (  # noqa: E402
    _handshake_contexts,
    server_handshake_cpu,
)

IMPLS = ("cytls", "ssl")


def evicter(mib: int) -> Callable[[], None]:
    """A function that writes one byte in every 64-byte line of a `mib` MiB
    buffer (nothing when mib is 0)."""
    if mib <= 0:
        return lambda: None
    buf = bytearray(mib * 1024 * 1024)
    lines = len(buf) // 64
    patterns = (b"\1" * lines, bytes(lines))
    turn = [0]

    def evict() -> None:
        # Alternate the byte written, so every pass really stores.
        turn[0] ^= 1
        buf[::64] = patterns[turn[0]]

    return evict


def server_cpu(client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext, count: int,
               evict: Callable[[], None]) -> float:
    """Median server thread CPU seconds per handshake over `count` in-memory
    handshakes (its do_handshake calls; wrap_bio excluded), `evict` called
    before each server step (untimed)."""
    return statistics.median(
        server_handshake_cpu(client_ctx, server_ctx, evict)[1] for _ in range(count)
    )


def primitive_costs(evict_mib: int, count: int = 200) -> dict[str, tuple[float, float]]:
    """{name: (warm, cold) median thread CPU seconds} of the steps the
    server's crypto takes, each alone: cytls's X25519 (one scalar
    multiplication, C in csrc/) and an ECDSA P-256 signature through
    cryptography (the server's CertificateVerify); "nothing" is an empty
    call, what the eviction alone leaves behind."""
    priv, peer = os.urandom(32), x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    key = ec.generate_private_key(ec.SECP256R1())
    steps: dict[str, Callable[[], object]] = {
        "X25519 (cytls C)": lambda: _core.x25519(priv, peer),
        "ECDSA P-256 sign (cryptography)": lambda: key.sign(b"x" * 130, ec.ECDSA(hashes.SHA256())),
        "nothing": lambda: None,
    }
    out = {}
    for name, step in steps.items():
        per = []
        for evict in (evicter(0), evicter(evict_mib)):
            times = []
            for _ in range(count):
                evict()
                t0 = time.thread_time()
                step()
                times.append(time.thread_time() - t0)
            per.append(statistics.median(times))
        out[name] = (per[0], per[1])
    return out


def measure(count: int, rounds: int, evict_mib: int) -> dict[str, dict[str, float]]:
    """{"warm"/"cold": {impl: median of the rounds' medians (seconds)}}."""
    files = _certgen.generate().write()
    contexts = {impl: _handshake_contexts(impl, files, ["x25519"]) for impl in IMPLS}
    cases = {"warm": evicter(0), "cold": evicter(evict_mib)}
    got: dict[str, dict[str, list[float]]] = {c: {i: [] for i in IMPLS} for c in cases}
    for impl in IMPLS:
        server_cpu(*contexts[impl], 20, cases["warm"])  # warm up
    for r in range(rounds):
        for case, evict in cases.items():
            order = IMPLS if r % 2 == 0 else IMPLS[::-1]
            for impl in order:
                got[case][impl].append(server_cpu(*contexts[impl], count, evict))
    return {c: {i: statistics.median(v) for i, v in per.items()} for c, per in got.items()}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=200, help="handshakes per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--evict-mib", type=int, default=64,
                   help="size of the buffer written before each cold step (above the L3 size)")
    a = p.parse_args(argv)
    res = measure(a.count, a.rounds, a.evict_mib)
    print(f"server CPU per handshake (median of {a.rounds} rounds of {a.count}; "
          f"cold: {a.evict_mib} MiB written before each server step)")
    for case, per in res.items():
        cy, ref = per["cytls"], per["ssl"]
        print(f"  {case:4s}  cytls {cy * 1e6:7.1f} us   ssl {ref * 1e6:7.1f} us   "
              f"ratio {ref / cy:.2f}x")
    warm, cold = res["warm"], res["cold"]
    print(f"  cold - warm: cytls {(cold['cytls'] - warm['cytls']) * 1e6:+.1f} us, "
          f"ssl {(cold['ssl'] - warm['ssl']) * 1e6:+.1f} us")
    print("steps alone (warm / cold / cold - warm):")
    for name, (w, c) in primitive_costs(a.evict_mib).items():
        print(f"  {name:32s} {w * 1e6:7.1f} / {c * 1e6:7.1f} / {(c - w) * 1e6:+7.1f} us")


def test_bench_server_cold(benchmark) -> None:  # type: ignore[no-untyped-def]
    files = _certgen.generate().write()
    contexts = _handshake_contexts("cytls", files, ["x25519"])
    benchmark(server_cpu, *contexts, 5, evicter(64))


if __name__ == "__main__":
    main()
