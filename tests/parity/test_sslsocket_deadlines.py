"""Parity: a socket timeout bounds a whole SSLSocket call, not each recv().

The ssl module gives do_handshake(), read() and write() one deadline across
all their socket waits; a peer that trickles bytes (here one every 50 ms)
must not keep a call with a 0.5 s timeout busy for longer. Each test runs
against the ssl module and cytls; the trickling peer stops after a bounded
number of bytes, so a regression fails instead of hanging.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from types import ModuleType

import pytest
from parity_helpers import BioPair, Pki, Server, contexts, needs_engine

pytestmark = [needs_engine, pytest.mark.timeout(60)]

TIMEOUT = 0.5
STEP = 0.05
# Enough trickled bytes to outlast the timeout several times over.
BOUND = 60


def _trickle(sock: socket.socket, data: bytes, stop: threading.Event) -> None:
    """Send data one byte per STEP seconds, until stop is set or BOUND bytes."""
    for i in range(min(len(data), BOUND)):
        if stop.wait(STEP):
            return
        try:
            sock.sendall(data[i : i + 1])
        except OSError:
            return


def _client_hello(mod: ModuleType, pki: Pki) -> bytes:
    client_ctx, _ = contexts(mod, mod, pki)
    out = ssl.MemoryBIO()
    obj = client_ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def _timed_out_within(call: object, message: str) -> float:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=message):
        call()  # type: ignore[operator]
    return time.monotonic() - started


def test_server_handshake_with_trickled_client_hello(mod: ModuleType, pki: Pki) -> None:
    _, server_ctx = contexts(mod, mod, pki)
    hello = _client_hello(mod, pki)
    stop = threading.Event()

    def handler(raw: socket.socket) -> float:
        raw.settimeout(TIMEOUT)
        tls = server_ctx.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        try:
            return _timed_out_within(tls.do_handshake, "handshake operation timed out")
        finally:
            stop.set()
            tls.close()

    server = Server(handler)
    with server.connect() as client:
        _trickle(client, hello, stop)
        took = server.join()
    assert TIMEOUT * 0.9 <= took < TIMEOUT + 1.0, took


def test_client_handshake_with_trickled_server_flight(mod: ModuleType, pki: Pki) -> None:
    client_ctx, _ = contexts(mod, mod, pki)
    stop = threading.Event()
    # Any bytes that look like the start of a long record keep the client waiting.
    flight = b"\x16\x03\x03\x40\x00" + bytes(BOUND)

    def handler(raw: socket.socket) -> None:
        raw.recv(65536)  # the ClientHello
        _trickle(raw, flight, stop)

    server = Server(handler)
    raw = server.connect()
    raw.settimeout(TIMEOUT)
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
    try:
        took = _timed_out_within(tls.do_handshake, "handshake operation timed out")
    finally:
        stop.set()
        tls.close()
    server.join()
    assert TIMEOUT * 0.9 <= took < TIMEOUT + 1.0, took


def test_read_with_trickled_record(mod: ModuleType, pki: Pki) -> None:
    """A record that arrives one byte at a time cannot stretch one recv()."""
    client_ctx, server_ctx = contexts(mod, mod, pki)
    stop = threading.Event()
    # The server's records are made in memory and trickled raw.
    pair = BioPair(client_ctx, server_ctx)

    def handler(raw: socket.socket) -> None:
        # Relay the handshake between the socket client and the memory server.
        if not _relay_handshake(pair, raw):
            return
        srv = pair.server
        srv.write(b"x" * 4000)
        _trickle(raw, pair.s_out.read(), stop)

    server = Server(handler)
    raw = server.connect()
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost")
    tls.settimeout(TIMEOUT)
    try:
        took = _timed_out_within(lambda: tls.recv(100), "read operation timed out")
    finally:
        stop.set()
        tls.close()
    server.join()
    assert TIMEOUT * 0.9 <= took < TIMEOUT + 1.0, took


def test_deadline_is_per_call(mod: ModuleType, pki: Pki) -> None:
    """Each call gets the whole timeout again: slow but steady calls succeed."""
    client_ctx, server_ctx = contexts(mod, mod, pki)

    def handler(raw: socket.socket) -> None:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            for _ in range(4):
                time.sleep(TIMEOUT * 0.6)
                tls.sendall(b"tick")
            tls.recv(10)

    server = Server(handler)
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        tls.settimeout(TIMEOUT)
        got = [tls.recv(10) for _ in range(4)]
        tls.sendall(b"done")
    server.join()
    assert got == [b"tick"] * 4


def _relay_handshake(pair: BioPair, raw: socket.socket) -> bool:
    """Run the memory server of pair against a socket client, over raw."""
    srv = pair.server
    while True:
        try:
            srv.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        out = pair.s_out.read()
        if out:
            raw.sendall(out)
        data = raw.recv(65536)
        if not data:
            return False
        pair.s_in.write(data)
    out = pair.s_out.read()
    if out:
        raw.sendall(out)
    return True


def test_write_to_a_slow_reader(mod: ModuleType, pki: Pki) -> None:
    """A reader that drains 16 KiB of the socket every STEP lets each
    send() progress, but one write() of much more must still end at its
    timeout."""
    client_ctx, server_ctx = contexts(mod, mod, pki)
    stop = threading.Event()
    pair = BioPair(client_ctx, server_ctx)

    def handler(raw: socket.socket) -> None:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        if not _relay_handshake(pair, raw):
            return
        for _ in range(BOUND):
            if stop.wait(STEP):
                break
            try:
                if not raw.recv(16384):
                    break
            except OSError:
                break

    server = Server(handler)
    raw = server.connect()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost")
    tls.settimeout(TIMEOUT)
    try:
        took = _timed_out_within(lambda: tls.send(bytes(8 * 1024 * 1024)),
                                 "write operation timed out")
    finally:
        stop.set()
        tls.close()
    server.join()
    assert TIMEOUT * 0.9 <= took < TIMEOUT + 1.0, took
