"""Parity: SSLSocket reads and writes when the bytes come in pieces.

A relay between the two ends forwards the TLS stream in tiny pieces (one
byte, then a few), so records arrive split at arbitrary points; readers are
blocking, with a timeout, or non-blocking with SSLWantReadError retries;
writers are non-blocking with SSLWantWriteError retries. Run against the ssl
module and cytls; every socket has a timeout and every thread is joined.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import threading
import time
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import Pki, contexts, needs_engine

pytestmark = [needs_engine, pytest.mark.timeout(120)]

MESSAGES = [b"a", os.urandom(16384), os.urandom(40000), b"end"]


class Relay:
    """TCP 127.0.0.1 relay: what a end sends reaches the other end in
    pieces of `steps` bytes, cycled (server to client only)."""

    def __init__(self, steps: tuple[int, ...]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.server_listener = socket.create_server(("127.0.0.1", 0))
        self.server_listener.settimeout(10)
        self.steps = steps
        self.threads: list[threading.Thread] = []
        self.client_side: socket.socket | None = None

    def connect(self) -> socket.socket:
        sock = socket.create_connection(self.listener.getsockname(), timeout=10)
        a, _ = self.listener.accept()
        b = socket.create_connection(self.server_listener.getsockname(), timeout=10)
        for x in (a, b):
            x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            x.settimeout(10)
        self.threads = [
            threading.Thread(target=self._pipe, args=(a, b, (65536,)), daemon=True),
            threading.Thread(target=self._pipe, args=(b, a, self.steps), daemon=True),
        ]
        for t in self.threads:
            t.start()
        return sock

    def accept(self) -> socket.socket:
        raw, _ = self.server_listener.accept()
        raw.settimeout(10)
        return raw

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, steps: tuple[int, ...]) -> None:
        i = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                pos = 0
                while pos < len(data):
                    n = steps[i % len(steps)]
                    i += 1
                    dst.sendall(data[pos : pos + n])
                    pos += n
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self) -> None:
        for t in self.threads:
            t.join(15)
        self.listener.close()
        self.server_listener.close()
        assert not any(t.is_alive() for t in self.threads), "relay thread hung"


def _serve(server_ctx: Any, relay: Relay, done: list[Any]) -> None:
    try:
        with server_ctx.wrap_socket(relay.accept(), server_side=True) as tls:
            for m in MESSAGES:
                tls.sendall(m)
            done.append(tls.recv(10))
    except BaseException as exc:  # reported by the test
        done.append(exc)


def _read_all(tls: Any, mode: str, want: int) -> bytes:
    got = bytearray()
    buf = bytearray(20000)
    deadline = time.monotonic() + 60
    while len(got) < want and time.monotonic() < deadline:
        try:
            if mode == "recv":
                data = tls.recv(5000)
            else:
                n = tls.recv_into(buf)
                data = bytes(buf[:n])
        except ssl.SSLWantReadError:
            select.select([tls], [], [], 1)
            continue
        if not data:
            break
        got += data
    return bytes(got)


@pytest.mark.parametrize("steps", [(1,), (1, 2, 3, 7, 250)], ids=["bytes", "mixed"])
@pytest.mark.parametrize("mode", ["recv_into", "recv"])
@pytest.mark.parametrize("blocking", ["blocking", "timeout", "non-blocking"])
def test_records_split_anywhere(mod: ModuleType, pki: Pki, steps: tuple[int, ...], mode: str,
                                blocking: str) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    relay = Relay(steps)
    done: list[Any] = []
    server = threading.Thread(target=_serve, args=(server_ctx, relay, done), daemon=True)
    server.start()
    raw = relay.connect()
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost")
    try:
        if blocking == "blocking":
            tls.settimeout(None)
        elif blocking == "non-blocking":
            tls.setblocking(False)
        want = b"".join(MESSAGES)
        assert _read_all(tls, mode, len(want)) == want
        tls.settimeout(10)
        tls.sendall(b"ok")
    finally:
        server.join(30)
        tls.close()
        relay.close()
    assert done == [b"ok"]


def test_non_blocking_write_retries_until_taken(mod: ModuleType, pki: Pki) -> None:
    """A non-blocking writer facing a slow reader: every SSLWantWriteError
    is retried with the same data, and the reader gets every byte once."""
    client_ctx, server_ctx = contexts(mod, mod, pki)
    relay = Relay((65536,))
    payload = os.urandom(3 * 1024 * 1024)
    got: list[Any] = []

    def reader() -> None:
        try:
            with server_ctx.wrap_socket(relay.accept(), server_side=True) as tls:
                data = bytearray()
                while len(data) < len(payload):
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                    if len(data) < 1 << 20:
                        time.sleep(0.001)  # slow at first, so the writer blocks
                got.append(bytes(data))
                tls.sendall(b"k")
        except BaseException as exc:
            got.append(exc)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    raw = relay.connect()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost")
    tls.setblocking(False)
    view = memoryview(payload)
    pos = 0
    retries = 0
    deadline = time.monotonic() + 60
    while pos < len(payload) and time.monotonic() < deadline:
        piece = view[pos : pos + 100000]
        try:
            pos += tls.send(piece)
        except ssl.SSLWantWriteError:
            retries += 1
            select.select([], [tls], [], 1)
        except ssl.SSLWantReadError:
            select.select([tls], [], [], 1)
    tls.settimeout(10)
    try:
        assert tls.recv(1) == b"k"
    finally:
        t.join(30)
        tls.close()
        relay.close()
    assert got == [payload]
    assert retries, "the writer never had to retry"
