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
import os
import socket
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
    # CPU time of this thread: both sides run here, and on a shared machine
    # wall time would count other processes' turns on the core.
    deadline = time.thread_time() + seconds
    start = time.thread_time()
    while True:
        for _ in range(16):
            c.write(payload)
            si.write(co.read())
            got = 0
            while got < size:
                got += s.read(size, buf)
            total += size
        if time.thread_time() >= deadline:
            break
    elapsed = time.thread_time() - start
    return total / elapsed / 1e6, c.cipher()[0]


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def idle_memory(module: Any, pki: Pki, count: int = 400) -> tuple[float, float]:
    """Bytes per idle established connection (one side): (Python heap, RSS)."""
    client_ctx, server_ctx = pki.contexts(module, None)
    handshake(client_ctx, server_ctx)  # warm caches
    gc.collect()
    rss_before = _rss()
    tracemalloc.start()
    heap_before = tracemalloc.get_traced_memory()[0]
    keep = [handshake(client_ctx, server_ctx) for _ in range(count)]
    gc.collect()
    heap_after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rss_after = _rss()
    del keep
    sides = 2 * count
    return (heap_after - heap_before) / sides, (rss_after - rss_before) / sides


def _socket_server(module_name: str, pki_files: tuple[str, str], total: int, port_q: Any) -> None:
    module = cytls if module_name == "cytls" else ssl
    ctx = module.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*pki_files)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port_q.put(listener.getsockname()[1])
        raw, _ = listener.accept()
        with ctx.wrap_socket(raw, server_side=True) as tls:
            buf = bytearray(262144)
            got = 0
            while got < total:
                n = tls.recv_into(buf)
                if not n:
                    break
                got += n
            tls.sendall(b"done")


def loopback(module: Any, pki: Pki, size: int, total: int) -> float:
    """MB/s from this process to a server process over 127.0.0.1."""
    import multiprocessing
    import tempfile

    d = tempfile.mkdtemp()
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    pki.cert.cert_chain_pems[0].write_to_path(cert)
    pki.cert.private_key_pem.write_to_path(key)
    mp = multiprocessing.get_context("fork")
    port_q = mp.Queue()
    proc = mp.Process(target=_socket_server, args=(module.__name__, (cert, key), total, port_q))
    proc.start()
    port = port_q.get(timeout=20)
    client_ctx, _ = pki.contexts(module, None)
    payload = b"\x5a" * size
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            start = time.perf_counter()
            sent = 0
            while sent < total:
                tls.sendall(payload)
                sent += size
            assert tls.recv(4) == b"done"
            elapsed = time.perf_counter() - start
    proc.join(20)
    return sent / elapsed / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="per implementation and suite")
    parser.add_argument("--size", type=int, default=65536)
    parser.add_argument("--rounds", type=int, default=3, help="best of, interleaved")
    parser.add_argument("--memory", action="store_true", help="also measure idle memory")
    parser.add_argument("--sockets", action="store_true", help="also run two-process loopback")
    args = parser.parse_args()
    pki = Pki()
    print(f"backends: {cytls.crypto.backends()}")
    print(f"{'suite':32} {'ssl MB/s':>10} {'cytls MB/s':>11} {'ratio':>6}")
    best: dict[tuple[str, str], float] = {}
    ssl_suite = ""
    slice_ = args.seconds / args.rounds
    for _ in range(args.rounds):
        # Interleave the two implementations so machine noise hits both.
        rate, ssl_suite = bulk(*pki.contexts(ssl, None), args.size, slice_)
        best["ssl", ssl_suite] = max(best.get(("ssl", ssl_suite), 0.0), rate)
        for suite in SUITES:
            rate, got = bulk(*pki.contexts(cytls, suite), args.size, slice_)
            assert got == suite, (got, suite)
            best["cytls", suite] = max(best.get(("cytls", suite), 0.0), rate)
    for suite in SUITES:
        ref = best.get(("ssl", suite), float("nan"))
        ours = best["cytls", suite]
        print(f"{suite:32} {ref:10.0f} {ours:11.0f} {ours / ref:6.2f}")
    if args.sockets:
        total = 256 * 1024 * 1024
        rates = {
            m.__name__: max(loopback(m, pki, args.size, total) for _ in range(2))
            for m in (ssl, cytls)
        }
        print(
            f"{'loopback, 2 processes (AES-256)':32} {rates['ssl']:10.0f} "
            f"{rates['cytls']:11.0f} {rates['cytls'] / rates['ssl']:6.2f}"
        )
    if args.memory:
        for module in (ssl, cytls):
            heap, rss = idle_memory(module, pki)
            print(
                f"{module.__name__:6} idle connection (one side): {heap / 1024:.1f} KiB "
                f"Python heap (tracemalloc), {rss / 1024:.1f} KiB RSS"
            )


if __name__ == "__main__":
    main()
