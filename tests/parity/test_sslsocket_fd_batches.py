"""Parity: SSLSocket reads whose batch holds more than application data.

cytls's socket reads recv() and open a whole batch of records in one step
(and copy the plaintext into the reader's buffer in it too); writes seal and
send in one step. These tests put a batch together before the reader reads,
so that one recv() brings application data with a KeyUpdate in the middle
(the records after it are under the new key), or with the peer's
close_notify behind it; and they move random bulk through a pair on each of
two threads at once. Run with the ssl module as the reader and writer where
it can be (it sends no KeyUpdate of its own).
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import Pki, contexts, needs_engine, socket_pair

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]


def _pair(client_mod: ModuleType, server_mod: ModuleType, pki: Pki) -> tuple[Any, Any]:
    return socket_pair(*contexts(client_mod, server_mod, pki))


def _read_exactly(tls: Any, n: int, into: bool) -> bytes:
    out = bytearray()
    buf = bytearray(65536)
    while len(out) < n:
        if into:
            k = tls.recv_into(buf, min(len(buf), n - len(out)))
            out += buf[:k]
        else:
            chunk = tls.recv(n - len(out))
            k = len(chunk)
            out += chunk
        if not k:
            raise ConnectionError("closed early")
    return bytes(out)


def _settle(sock: Any, n: int) -> None:
    """Wait until at least n bytes wait in sock's receive queue and no more
    come for a while, so that one recv() takes the whole batch."""
    deadline = time.monotonic() + 5
    last = -1
    while time.monotonic() < deadline:
        try:
            queued = len(sock.recv(1 << 20, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except BlockingIOError:
            queued = 0
        if queued >= n and queued == last:
            return
        last = queued
        time.sleep(0.05)


@pytest.mark.parametrize("reader_mod", [ssl, cytls], ids=["ssl-reader", "cytls-reader"])
@pytest.mark.parametrize("into", [False, True], ids=["recv", "recv_into"])
@pytest.mark.parametrize("requested", [False, True], ids=["update", "update-requested"])
def test_key_update_inside_one_batch(pki: Pki, reader_mod: ModuleType, into: bool,
                                     requested: bool) -> None:
    writer, reader = _pair(cytls, reader_mod, pki)
    with writer, reader:
        writer.sendall(b"x")  # the reader's tickets go to the writer meanwhile
        assert _read_exactly(reader, 1, into) == b"x"
        before, after = os.urandom(30000), os.urandom(40000)
        writer.sendall(before)
        writer.key_update(requested)
        writer.sendall(after)
        peek = socket.socket(fileno=os.dup(reader.fileno()))
        try:
            _settle(peek, len(before) + len(after))
        finally:
            peek.close()
        assert _read_exactly(reader, len(before) + len(after), into) == before + after
        # Both directions still work, under the new keys (and the reader's
        # answer to update_requested).
        reader.sendall(b"back")
        assert _read_exactly(writer, 4, into) == b"back"
        writer.sendall(b"again")
        assert _read_exactly(reader, 5, into) == b"again"


@pytest.mark.parametrize("into", [False, True], ids=["recv", "recv_into"])
def test_close_notify_behind_data_in_one_batch(mod: ModuleType, pki: Pki, into: bool) -> None:
    writer, reader = _pair(mod, mod, pki)
    with reader:
        writer.sendall(b"x")
        assert _read_exactly(reader, 1, into) == b"x"
        data = os.urandom(50000)
        writer.sendall(data)
        writer.settimeout(0.0)  # send close_notify right behind it, do not wait for one
        with pytest.raises(ssl.SSLWantReadError):
            writer.unwrap()
        writer.close()
        assert _read_exactly(reader, len(data), into) == data
        if into:
            assert reader.recv_into(bytearray(10)) == 0
        else:
            assert reader.recv(10) == b""


@pytest.mark.parametrize("timeout", [None, 5.0], ids=["blocking", "timeout"])
def test_two_threads_bulk_intact(mod: ModuleType, pki: Pki, timeout: float | None) -> None:
    """Two threads, each both ends of its own pair (the GIL released in
    every socket step): random bulk arrives intact on both."""
    results: list[bool] = []

    def run() -> None:
        client, server = _pair(mod, mod, pki)
        with client, server:
            client.settimeout(timeout)
            server.settimeout(timeout)
            ok = True
            for _ in range(20):
                data = os.urandom(65536)
                client.sendall(data)
                ok = ok and _read_exactly(server, len(data), True) == data
            results.append(ok)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [True, True]


@pytest.mark.parametrize("into", [False, True], ids=["recv", "recv_into"])
def test_reads_after_close_notify_do_not_wait(mod: ModuleType, pki: Pki, into: bool) -> None:
    """The peer's close_notify came but its socket stays open: later reads
    return EOF at once (they do not wait on the socket)."""
    writer, reader = _pair(mod, mod, pki)
    with reader, writer:
        writer.sendall(b"data")
        writer.settimeout(0.0)
        with pytest.raises(ssl.SSLWantReadError):
            writer.unwrap()
        assert _read_exactly(reader, 4, into) == b"data"
        t0 = time.monotonic()
        for _ in range(3):
            if into:
                assert reader.recv_into(bytearray(10)) == 0
            else:
                assert reader.recv(10) == b""
        assert time.monotonic() - t0 < 5  # the reader's timeout is 10 s
