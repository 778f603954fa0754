"""Memory per idle connection, for `python -m cytls bench` and benchmarks/.

Owns: the measurement of what an established, idle TLS connection costs in
one process: `count` client/server SSLSocket pairs over socketpairs, each
through its handshake and one small request and response (so that tickets
and first-use buffers are in), then left idle. The figure is the growth of
the process's resident set (RSS, which counts OpenSSL's C allocations that
tracemalloc cannot see) divided by the number of sides (a client socket or
a server socket); the Python-heap growth (tracemalloc) comes with it, from a
second batch, since tracing inflates the RSS. Each implementation runs in a
fresh interpreter (`python -m cytls.cli._bench_mem ...`), so that neither
inherits the other's allocations.
Must not: print (but the child's one JSON line), or compare implementations
(bench.py does).
"""

from __future__ import annotations

import gc
import json
import os
import socket
import ssl
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

from cytls.cli._bench_net import recv_exact

__all__ = ["idle_memory"]

_TIMEOUT = 120.0
_REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _step(tls: Any) -> bool:
    try:
        tls.do_handshake()
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    return True


def _pair(client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext) -> tuple[Any, Any]:
    """An established pair over a socketpair, one request and response done."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    client = client_ctx.wrap_socket(a, server_hostname="localhost",
                                    do_handshake_on_connect=False)
    server = server_ctx.wrap_socket(b, server_side=True, do_handshake_on_connect=False)
    done_c = done_s = False
    for _ in range(50):
        done_c = done_c or _step(client)
        done_s = done_s or _step(server)
        if done_c and done_s:
            break
    else:
        raise RuntimeError("handshake over a socketpair did not finish")
    client.settimeout(10)
    server.settimeout(10)
    client.sendall(_REQUEST)
    recv_exact(server, len(_REQUEST))
    server.sendall(_RESPONSE)
    recv_exact(client, len(_RESPONSE))  # the server's tickets are read on the way
    return client, server


def _measure(impl_name: str, chain: str, key: str, ca: str, count: int) -> dict[str, float]:
    from cytls.cli import _impl

    impl = _impl.load(impl_name)
    server_ctx = impl.server_context()
    server_ctx.load_cert_chain(chain, key)
    client_ctx = impl.client_context()
    client_ctx.load_verify_locations(cafile=ca)
    # Warm up: lazy imports, caches, the allocator's first arenas.
    warm = [_pair(client_ctx, server_ctx) for _ in range(5)]
    gc.collect()
    before = _rss()
    idle = [_pair(client_ctx, server_ctx) for _ in range(count)]
    gc.collect()
    rss = (_rss() - before) / (2 * count)
    traced = max(1, count // 4)
    tracemalloc.start()
    heap_before = tracemalloc.get_traced_memory()[0]
    more = [_pair(client_ctx, server_ctx) for _ in range(traced)]
    gc.collect()
    heap = (tracemalloc.get_traced_memory()[0] - heap_before) / (2 * traced)
    tracemalloc.stop()
    for c, s in warm + idle + more:
        c.close()
        s.close()
    return {"rss_per_side": rss, "heap_per_side": heap, "sides": 2 * count}


def idle_memory(impl_name: str, files: Any, count: int) -> dict[str, float]:
    """Bytes per idle established connection side of `impl_name` ("cytls" or
    "ssl"), measured in a fresh interpreter over `count` pairs.

    Returns:
        {"rss_per_side": RSS growth per side, "heap_per_side": Python heap
        growth per side (tracemalloc), "sides": sides in the RSS batch}.

    Raises:
        RuntimeError: the child failed (its stderr in the message).
    """
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    args = [sys.executable, "-m", "cytls.cli._bench_mem", impl_name, str(files.server_chain),
            str(files.server_key), str(files.ca), str(count)]
    res = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT, env=env)
    if res.returncode != 0:
        tail = res.stderr.strip().splitlines()[-1:] or [f"exit status {res.returncode}"]
        raise RuntimeError(f"memory child for {impl_name}: {tail[0]}")
    result: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    impl_name, chain, key, ca, count = argv
    print(json.dumps(_measure(impl_name, chain, key, ca, int(count))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
