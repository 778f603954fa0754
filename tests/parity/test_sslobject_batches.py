"""Parity: how an SSLObject reader takes batches from its memory BIO, ssl vs cytls.

An event loop (asyncio's sslproto) writes what the socket gave into the
incoming BIO and calls read() until SSLWantReadError, into a buffer or not;
cytls opens such a batch straight into the bytes it returns. The same test
body runs on both implementations: records split at every byte across BIO
writes, reads smaller than a record, pending(), reads into buffers,
close_notify and a KeyUpdate inside a batch, and what follows a close_notify.
"""

from __future__ import annotations

import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, contexts, needs_engine

import cytls

pytestmark = needs_engine


def _pair(mod: ModuleType, pki: Pki, writer: ModuleType | None = None) -> BioPair:
    """mod on the server (the reader of these tests); the client is writer
    (default: mod too)."""
    pair = BioPair(*contexts(writer or mod, mod, pki))
    pair.handshake()
    return pair


def _wire(pair: BioPair) -> bytes:
    return pair.c_out.read()


def _read_all(obj: Any, size: int = 262144, into: bool = False) -> bytes:
    """What an event loop's read loop gets: read() until SSLWantReadError."""
    out = b""
    buf = bytearray(size)
    while True:
        try:
            if into:
                n = obj.read(size, buf)
                chunk = bytes(buf[:n])
            else:
                chunk = obj.read(size)
        except ssl.SSLWantReadError:
            return out
        if not chunk:
            return out
        out += chunk


@pytest.mark.parametrize("into", [False, True], ids=["bytes", "buffer"])
def test_records_split_at_every_byte(mod: ModuleType, pki: Pki, into: bool) -> None:
    pair = _pair(mod, pki)
    messages = [b"first", bytes(range(256)) * 5, b"x"]
    wires = []
    for m in messages:
        pair.client.write(m)
        wires.append(_wire(pair))
    wire = b"".join(wires)
    expected = b"".join(messages)
    got = b""
    for i in range(len(wire)):  # one byte per BIO write
        pair.s_in.write(wire[i : i + 1])
        got += _read_all(pair.server, into=into)
    assert got == expected
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.read(10)


@pytest.mark.parametrize("step", [7, 100, 1000, 5000])
def test_a_stream_cut_into_batches(mod: ModuleType, pki: Pki, step: int) -> None:
    pair = _pair(mod, pki)
    data = bytes(range(256)) * 200  # several records
    for start in range(0, len(data), 3000):
        pair.client.write(data[start : start + 3000])
    wire = _wire(pair)
    got = b""
    for start in range(0, len(wire), step):
        pair.s_in.write(wire[start : start + step])
        got += _read_all(pair.server)
    assert got == data


def test_read_smaller_than_a_record_and_pending(mod: ModuleType, pki: Pki) -> None:
    pair = _pair(mod, pki)
    pair.client.write(b"0123456789" * 100)
    pair.pump()
    assert pair.server.pending() == 0  # nothing decrypted before a read
    assert pair.server.read(10) == b"0123456789"
    assert pair.server.pending() == 990
    buf = bytearray(5)
    assert pair.server.read(5, buf) == 5 and buf == b"01234"
    assert pair.server.pending() == 985
    assert pair.server.read(2000) == (b"56789" + b"0123456789" * 98)
    assert pair.server.pending() == 0
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.read(10)


def test_read_limit_within_one_record(mod: ModuleType, pki: Pki) -> None:
    # Limits around the plaintext and ciphertext lengths of one record.
    pair = _pair(mod, pki)
    for limit in (1, 299, 300, 301, 317, 322, 1000):
        pair.client.write(b"y" * 300)
        pair.pump()
        got = pair.server.read(limit)
        assert got == b"y" * min(limit, 300)
        assert pair.server.pending() == 300 - len(got)
        if len(got) < 300:
            assert pair.server.read(1000) == b"y" * (300 - len(got))
        assert pair.server.pending() == 0
        with pytest.raises(ssl.SSLWantReadError):
            pair.server.read(1000)


def test_want_read_then_retry(mod: ModuleType, pki: Pki) -> None:
    pair = _pair(mod, pki)
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.read(1024)
    pair.client.write(b"hello")
    wire = _wire(pair)
    pair.s_in.write(wire[:-1])
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.read(1024)
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.read(1024, bytearray(1024))
    pair.s_in.write(wire[-1:])
    assert pair.server.read(1024) == b"hello"
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.read(1024)


def test_close_notify_inside_a_batch(mod: ModuleType, pki: Pki) -> None:
    pair = _pair(mod, pki)
    pair.client.write(b"last words")
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.unwrap()  # sends close_notify, waits for the server's
    pair.pump()  # data and close_notify in one BIO write
    assert _read_all(pair.server) == b"last words"
    assert pair.server.read(100) == b""  # close_notify seen, ours not sent
    pair.server.unwrap()
    pair.pump()
    pair.client.unwrap()


def test_bytes_after_close_notify_stay_in_the_bio(mod: ModuleType, pki: Pki) -> None:
    # STARTTLS-style unwrap: clear text after the close_notify is left to
    # the caller in the incoming BIO.
    pair = _pair(mod, pki)
    pair.client.write(b"tls data")
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.unwrap()
    pair.s_in.write(_wire(pair) + b"CLEAR TEXT")
    assert _read_all(pair.server) == b"tls data"
    assert pair.s_in.read() == b"CLEAR TEXT"


def test_bad_record_in_a_batch_releases_nothing_after_it(mod: ModuleType, pki: Pki) -> None:
    pair = _pair(mod, pki)
    pair.client.write(b"good")
    pair.client.write(b"bad!" * 100)
    wire = bytearray(_wire(pair))
    wire[-20] ^= 1  # inside the second record's ciphertext or tag
    pair.s_in.write(bytes(wire))
    got = b""
    errors = []
    for _ in range(3):
        try:
            got += pair.server.read(262144)
        except ssl.SSLWantReadError:
            break
        except ssl.SSLError as exc:
            errors.append(exc)
    # The record before the bad one is released (OpenSSL before the error,
    # cytls by the read after it: it opened the batch at once), the bad one
    # never.
    assert got == b"good"
    assert errors and "BAD_RECORD_MAC" in str(errors[0])


def test_key_update_inside_a_batch(mod: ModuleType, pki: Pki) -> None:
    # cytls writes (the ssl module has no KeyUpdate call); mod reads data,
    # the KeyUpdate and data under the new key from one BIO write.
    pair = _pair(mod, pki, writer=cytls)
    pair.client.write(b"old key " * 1000)
    pair.client.key_update(update_requested=True)
    pair.client.write(b"new key " * 1000)
    pair.pump()
    assert _read_all(pair.server) == b"old key " * 1000 + b"new key " * 1000
    # The server answered with its own KeyUpdate, then data under its new key.
    pair.server.write(b"answer")
    pair.pump()
    assert _read_all(pair.client) == b"answer"
    pair.client.write(b"after")
    pair.pump()
    assert _read_all(pair.server, 3) == b"after"
