"""Network measurements for `python -m cytls bench` and benchmarks/: sockets and latency.

Owns: the measurement loops that need a socket: bulk over 127.0.0.1 between two
processes (both directions, write size and reader chosen), the per-connection
latency of connect + handshake + one request + one response + close, and
threads each driving both ends of their own connection pair (thread scaling). Each
returns one implementation's figure; the caller interleaves cytls and `ssl` and
keeps the median of the rounds.
Must not: print, or compare implementations itself (bench.py does both).

The peer process is forked (multiprocessing "fork"), so that both ends run the
same implementation, code and interpreter; every socket has a timeout and every
child is joined with a bound.
"""

from __future__ import annotations

import multiprocessing
import socket
import ssl
import struct
import threading
import time
from typing import Any

from cytls.cli import _impl
from cytls.cli._certgen import CertFiles

__all__ = ["PLAIN_TCP", "latency", "recv_exact", "socket_rate", "thread_scaling"]

_TIMEOUT = 60.0
_READ_BUF = 256 * 1024


def _contexts(impl_name: str, files: CertFiles) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    impl = _impl.load(impl_name)
    server = impl.server_context()
    server.load_cert_chain(str(files.server_chain), str(files.server_key))
    client = impl.client_context()
    client.load_verify_locations(cafile=str(files.ca))
    return client, server


def _send_bulk(tls: Any, total: int, size: int) -> None:
    chunk = memoryview(bytes(size))
    sent = 0
    while sent < total:
        tls.sendall(chunk)
        sent += size


def _read_bulk(tls: Any, total: int, reader: str) -> int:
    got = 0
    if reader == "recv_into":
        buf = bytearray(_READ_BUF)
        while got < total:
            n = tls.recv_into(buf)
            if not n:
                break
            got += n
    else:
        while got < total:
            data = tls.recv(_READ_BUF)
            if not data:
                break
            got += len(data)
    return got


def recv_exact(tls: Any, n: int) -> bytes:
    """Exactly n bytes from a TLS socket (ConnectionError if it ends first)."""
    data = b""
    while len(data) < n:
        part = tls.recv(n - len(data))
        if not part:
            raise ConnectionError("peer closed early")
        data += part
    return data


def _bulk_peer(impl_name: str, files: CertFiles, listener: socket.socket, size: int,
               reader: str) -> None:
    """Child: accept one client; on b"W"+total read total bytes and ack, on
    b"R"+total write total bytes."""
    _, ctx = _contexts(impl_name, files)
    listener.settimeout(_TIMEOUT)
    raw, _ = listener.accept()
    raw.settimeout(_TIMEOUT)
    with ctx.wrap_socket(raw, server_side=True) as tls:
        order = recv_exact(tls, 9)
        (total,) = struct.unpack("!Q", order[1:])
        if order[:1] == b"W":
            got = _read_bulk(tls, total, reader)
            tls.sendall(struct.pack("!Q", got))
        else:
            _send_bulk(tls, total, size)
            recv_exact(tls, 1)


def socket_rate(impl_name: str, files: CertFiles, *, direction: str, size: int, reader: str,
                total: int) -> float:
    """Bytes/s of SSLSocket bulk between this process and a forked peer.

    Args:
        impl_name: "cytls" or "ssl" (both ends).
        direction: "send" (this process writes, the peer reads) or "recv".
        size: bytes per sendall().
        reader: "recv_into" (one reusable 256 KiB buffer) or "recv".
        total: bytes to move.
    """
    client_ctx, _ = _contexts(impl_name, files)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    mp = multiprocessing.get_context("fork")
    proc = mp.Process(target=_bulk_peer, args=(impl_name, files, listener, size, reader),
                      daemon=True)
    proc.start()
    listener.close()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=_TIMEOUT) as raw, \
                client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            if direction == "send":
                t0 = time.perf_counter()
                tls.sendall(b"W" + struct.pack("!Q", total))
                _send_bulk(tls, total, size)
                (got,) = struct.unpack("!Q", recv_exact(tls, 8))
                dt = time.perf_counter() - t0
            else:
                t0 = time.perf_counter()
                tls.sendall(b"R" + struct.pack("!Q", total))
                got = _read_bulk(tls, total, reader)
                dt = time.perf_counter() - t0
                tls.sendall(b"k")
        if got != total:
            raise _impl.Unavailable(f"{got} of {total} bytes arrived")
        return total / dt
    finally:
        proc.join(_TIMEOUT)
        if proc.is_alive():
            proc.kill()
            proc.join()


# ---------------------------------------------------------------------------
# Per-connection latency

_REQUEST = b"GET / HTTP/1.0\r\n\r\n"
_RESPONSE = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def _latency_server(impl_name: str, files: CertFiles, listener: socket.socket, count: int) -> None:
    """Child: answer count connections as `s_server -www` does (serve_latency)."""
    _, ctx = _contexts(impl_name, files)
    serve_latency(ctx, listener, count)


def serve_latency(ctx: ssl.SSLContext, listener: socket.socket, count: int) -> None:
    """Answer count connections as `s_server -www` does: read the request,
    write the response, send close_notify without waiting for the client's,
    close."""
    listener.settimeout(_TIMEOUT)
    for _ in range(count):
        raw, _ = listener.accept()
        raw.settimeout(_TIMEOUT)
        try:
            with ctx.wrap_socket(raw, server_side=True) as tls:
                tls.recv(4096)
                tls.sendall(_RESPONSE)
                tls.settimeout(0.0)
                try:
                    tls.unwrap()
                except (OSError, ssl.SSLError, ValueError):
                    pass
        except (OSError, ssl.SSLError):
            continue


def latency(server_impl: str, client_impl: str, files: CertFiles, count: int) -> float:
    """Median seconds of one connection: connect, handshake, a request, the
    response read to EOF, close; a Python client with Nagle on (the default)."""
    client_ctx, _ = _contexts(client_impl, files)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    mp = multiprocessing.get_context("fork")
    proc = mp.Process(target=_latency_server, args=(server_impl, files, listener, count + 1),
                      daemon=True)
    proc.start()
    listener.close()
    times = []
    try:
        for i in range(count + 1):
            dt = timed_connection(client_ctx, port)
            if i:  # the first connection warms caches
                times.append(dt)
    finally:
        proc.join(_TIMEOUT)
        if proc.is_alive():
            proc.kill()
            proc.join()
    times.sort()
    return times[len(times) // 2]


def timed_connection(client_ctx: ssl.SSLContext, port: int) -> float:
    """Seconds for one connection to 127.0.0.1:port: connect, handshake, a
    request, the response read to EOF, close (Nagle on, the default)."""
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=_TIMEOUT) as raw, \
            client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(_REQUEST)
        while True:
            try:
                if not tls.recv(4096):
                    break
            except ssl.SSLEOFError:
                break
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------
# Thread scaling
#
# Each thread drives both ends of its own connection pair: it writes a chunk
# on the client and reads it back on the server, in turn. One thread is then
# at most one core, so two threads can reach 2x on two cores only if the GIL
# is free while either end encrypts, decrypts or waits on the socket. (With a
# writer thread and a reader thread per pair, one pair already keeps both
# cores busy, and no implementation scales on two cores.)
#
# PLAIN_TCP runs the same loop over the bare sockets: what loopback TCP
# itself scales to in the same run, the ceiling for either implementation
# (on this machine's kind it is well short of 2x: the kernel's share of
# each pair's time does not scale as the user-space share does).

PLAIN_TCP = "plain TCP"


def _bulk_socket_options(sock: socket.socket) -> None:
    # One thread writes a whole chunk before it reads any: the kernel must
    # be able to hold it (TCP's first window and send buffer are smaller
    # than 64 KiB of records, and the write would then wait for a read that
    # never comes).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    # The reader waits for a chunk's last record before it reads on, and
    # its delayed ACK would hold that record back under Nagle's algorithm
    # (40 ms stalls that measure TCP, not TLS).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _connected_pair(client_ctx: ssl.SSLContext | None,
                    server_ctx: ssl.SSLContext | None) -> tuple[Any, Any]:
    """A client and server SSLSocket over 127.0.0.1, handshake done (the
    server's end on a helper thread, which is then joined); with no
    contexts, the two plain sockets."""
    with socket.socket() as listener:
        _bulk_socket_options(listener)  # before listen(): accepted sockets inherit them
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(_TIMEOUT)
        port = listener.getsockname()[1]
        accepted: list[Any] = []

        def accept() -> None:
            raw, _ = listener.accept()
            raw.settimeout(_TIMEOUT)
            accepted.append(raw if server_ctx is None
                            else server_ctx.wrap_socket(raw, server_side=True))

        helper = threading.Thread(target=accept, daemon=True)
        helper.start()
        raw = socket.socket()
        _bulk_socket_options(raw)
        raw.settimeout(_TIMEOUT)
        raw.connect(("127.0.0.1", port))
        client = (raw if client_ctx is None
                  else client_ctx.wrap_socket(raw, server_hostname="localhost"))
        helper.join(_TIMEOUT)
    if not accepted:
        client.close()
        raise _impl.Unavailable("the server end of a thread pair did not connect")
    return client, accepted[0]


def _pair_bulk(client: Any, server: Any, total: int, size: int, start: threading.Barrier,
               out: list[float], index: int) -> None:
    chunk = memoryview(bytes(size))
    buf = bytearray(size)
    view = memoryview(buf)
    moved = 0
    start.wait(_TIMEOUT)
    t0 = time.perf_counter()
    while moved < total:
        client.sendall(chunk)
        got = 0
        while got < size:
            n = server.recv_into(view[got:])
            if not n:
                raise _impl.Unavailable("a thread pair's connection ended early")
            got += n
        moved += size
    out[index] = time.perf_counter() - t0


def thread_scaling(impl_name: str, files: CertFiles, *, pairs: int, total: int,
                   size: int = 65536) -> float:
    """Aggregate bytes/s of `pairs` threads of this process, each moving
    `total` bytes in `size`-byte writes over its own connection pair (one
    thread writes on the client end and reads on the server end), all
    started together. impl_name PLAIN_TCP: the pairs are bare sockets."""
    plain = impl_name == PLAIN_TCP
    client_ctx, server_ctx = (None, None) if plain else _contexts(impl_name, files)
    conns = [_connected_pair(client_ctx, server_ctx) for _ in range(pairs)]
    if plain:
        # A plain socket with a timeout polls before every recv and send
        # (an SSLSocket polls only when a read or write would block): the
        # ceiling is the blocking loop. Nothing here can block for long:
        # each write fits the buffers and is read back in the same thread.
        for sock in (s for pair in conns for s in pair):
            sock.settimeout(None)
    try:
        start = threading.Barrier(pairs)
        out = [0.0] * pairs
        errors: list[BaseException] = []

        def run(i: int) -> None:
            try:
                _pair_bulk(conns[i][0], conns[i][1], total, size, start, out, i)
            except BaseException as e:
                errors.append(e)
                start.abort()

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(pairs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(_TIMEOUT)
    finally:
        for client, server in conns:
            client.close()
            server.close()
    if errors:
        raise _impl.Unavailable(f"a thread pair failed: {errors[0]!r}")
    if not all(out):
        raise _impl.Unavailable("a thread pair did not finish")
    return pairs * total / max(out)
