"""In-memory bulk transfer through SSLObject pairs: cytls against the ssl module.

Runs a client and a server SSLObject in one process over ssl.MemoryBIO, writes
64 KiB application records one way, and reports MB/s per suite for the ssl
module (system OpenSSL) and cytls in the same run, with the ratio. Also
reports the memory an idle established connection pair costs on each.

    python benchmarks/bench_bulk.py [--seconds 1.0] [--size 65536]
"""

from __future__ import annotations

import argparse
import gc
import ssl
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import trustme

import cytls
import cytls.crypto

SUITES = ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256")


class Pki:
    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert("localhost")

    def contexts(self, module: Any, suite: str | None) -> tuple[Any, Any]:
        server = module.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.cert.configure_cert(server)
        client = module.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ca.configure_trust(client)
        # The ssl module cannot choose TLS 1.3 suites (OpenSSL's
        # SSL_CTX_set_ciphersuites is not exposed): it negotiates
        # TLS_AES_256_GCM_SHA384, the only suite compared head to head.
        if suite is not None and module is not ssl:
            client.set_ciphers(suite)
            server.set_ciphers(suite)
        return client, server


def handshake(client_ctx: Any, server_ctx: Any) -> tuple[Any, Any, Any]:
    ci, co, si, so = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client_ctx.wrap_bio(ci, co, server_hostname="localhost")
    s = server_ctx.wrap_bio(si, so, server_side=True)

    def pump() -> None:
        data = co.read()
        if data:
            si.write(data)
        data = so.read()
        if data:
            ci.write(data)

    for _ in range(20):
        done = 0
        for obj in (c, s):
            try:
                obj.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
        pump()
        if done == 2:
            break
    return c, s, (ci, co, si, so)


def bulk(client_ctx: Any, server_ctx: Any, size: int, seconds: float) -> tuple[float, str]:
    c, s, (_ci, co, si, _so) = handshake(client_ctx, server_ctx)
    payload = b"\x5a" * size
    buf = bytearray(size)
    total = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while True:
        for _ in range(16):
            c.write(payload)
            si.write(co.read())
            got = 0
            while got < size:
                got += s.read(size, buf)
            total += size
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - start
    return total / elapsed / 1e6, c.cipher()[0]


def idle_memory(module: Any, pki: Pki, count: int = 200) -> float:
    client_ctx, server_ctx = pki.contexts(module, None)
    handshake(client_ctx, server_ctx)  # warm caches
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    keep = [handshake(client_ctx, server_ctx) for _ in range(count)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del keep
    return (after - before) / count / 2  # per connection (one side)


def rss_per_connection(module: Any, pki: Pki, count: int = 300) -> float:
    import resource

    client_ctx, server_ctx = pki.contexts(module, None)
    handshake(client_ctx, server_ctx)
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    keep = [handshake(client_ctx, server_ctx) for _ in range(count)]
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del keep
    return (after - before) * 1024 / count / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--size", type=int, default=65536)
    parser.add_argument("--memory", action="store_true", help="also measure idle memory")
    args = parser.parse_args()
    pki = Pki()
    print(f"backends: {cytls.crypto.backends()}")
    print(f"{'suite':32} {'ssl MB/s':>10} {'cytls MB/s':>11} {'ratio':>6}")
    ssl_rate, ssl_suite = bulk(*pki.contexts(ssl, None), args.size, args.seconds)
    for suite in SUITES:
        rate, got = bulk(*pki.contexts(cytls, suite), args.size, args.seconds)
        assert got == suite, (got, suite)
        ref = ssl_rate if suite == ssl_suite else float("nan")
        print(f"{suite:32} {ref:10.0f} {rate:11.0f} {rate / ref:6.2f}")
    if args.memory:
        for module in (ssl, cytls):
            print(
                f"{module.__name__:6} idle connection: "
                f"{idle_memory(module, pki) / 1024:.1f} KiB Python heap (tracemalloc), "
                f"{rss_per_connection(module, pki) / 1024:.1f} KiB RSS growth"
            )


if __name__ == "__main__":
    main()
