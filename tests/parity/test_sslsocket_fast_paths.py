"""SSLSocket's fast paths once traffic flows: writes through
Connection.send_app_fd, reads with recv_into's nbytes in the record layer.

Every write after the first (a client's first is pushed past Nagle's
algorithm) tries Connection.send_app_fd, which seals the records onto the
socket in one step and declines whenever the full path has more to do: a
KeyUpdate the peer asked for, the peer's close_notify, our own, a message
callback, output still queued, the write key at its record limit. These
tests make each of those happen on a connection that already takes the fast
path, and check that the result is the full path's: the same bytes, errors
and KeyUpdates. Where the ssl module has the behaviour, it runs the same
body (parity).
"""

from __future__ import annotations

import array
import os
import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import Pki, contexts, needs_engine, socket_pair

import cytls
from cytls._connection import Connection
from cytls._record import KEY_UPDATE_AFTER

pytestmark = [needs_engine, pytest.mark.timeout(60)]


def _read_exactly(tls: Any, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = tls.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed early")
        out += chunk
    return bytes(out)


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """What every Connection.send_app_fd call returned, in order."""
    results: list[int] = []
    real = Connection.send_app_fd

    def spy(self: Connection, data: Any, fd: int) -> int:
        n = real(self, data, fd)
        results.append(n)
        return n

    monkeypatch.setattr(Connection, "send_app_fd", spy)
    return results


def _steady_pair(client_mod: ModuleType, server_mod: ModuleType, pki: Pki,
                 version: ssl.TLSVersion | None = None) -> tuple[Any, Any]:
    client_ctx, server_ctx = contexts(client_mod, server_mod, pki)
    if version is not None:
        client_ctx.maximum_version = version
    client, server = socket_pair(client_ctx, server_ctx)
    for writer, reader in ((client, server), (server, client)):
        for _ in range(2):  # past the first write
            writer.sendall(b"warm")
            assert _read_exactly(reader, 4) == b"warm"
    return client, server


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2],
                         ids=["tls13", "tls12"])
def test_writes_after_the_first_take_the_fast_path(pki: Pki, fast_calls: list[int],
                                                    version: ssl.TLSVersion) -> None:
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    client_ctx.maximum_version = version
    client, server = socket_pair(client_ctx, server_ctx)
    with client, server:
        client.sendall(b"first")  # pushed at once by the full path
        assert fast_calls == []
        assert _read_exactly(server, 5) == b"first"
        data = os.urandom(100000)
        client.sendall(data)
        assert client.send(b"more") == 4
        assert fast_calls == [len(data), 4]
        assert _read_exactly(server, len(data) + 4) == data + b"more"
        server.sendall(b"reply")  # the server's first write: the full path
        server.sendall(b"again")
        assert fast_calls[2:] == [5]
        assert _read_exactly(client, 10) == b"replyagain"


def test_any_buffer_is_written_as_its_bytes(mod: ModuleType, pki: Pki) -> None:
    client, server = _steady_pair(mod, mod, pki)
    with client, server:
        words = array.array("I", range(5000))
        sent = [b"bytes", bytearray(b"bytearray"), memoryview(os.urandom(70000)),
                memoryview(words), memoryview(b"0123456789")[2:8]]
        expect = b"".join(bytes(memoryview(x).cast("B")) for x in sent)
        counts = [client.send(x) for x in sent]
        assert counts == [len(memoryview(x).cast("B")) for x in sent]
        assert client.send(b"") == 0
        assert _read_exactly(server, len(expect)) == expect
        # Not one contiguous buffer: the same TypeError as the ssl module's.
        with pytest.raises(TypeError):
            client.sendall(memoryview(bytes(100))[::2])
        client.sendall(b"still")
        assert _read_exactly(server, 5) == b"still"


def test_key_update_asked_for_is_sent_before_the_data(pki: Pki, fast_calls: list[int]) -> None:
    writer, peer = _steady_pair(cytls, cytls, pki)
    with writer, peer:
        conn = writer._sslobj._conn
        peer.key_update(True)  # asks the writer to update its key too
        peer.sendall(b"ping")
        assert _read_exactly(writer, 4) == b"ping"  # the read sends the answer
        assert conn._record._write.seq == 0  # a new key (the KeyUpdate went under the old)
        del fast_calls[:]
        writer.sendall(b"pong")
        assert fast_calls == [4]
        assert _read_exactly(peer, 4) == b"pong"
        # Had the read not answered, the write must: the fast path declines
        # while an answer is due, and the full path sends it first.
        conn._state.update_pending = True
        writer.sendall(b"late")
        assert fast_calls[-1] == -1
        assert not conn._state.update_pending
        assert conn._record._write.seq == 1  # another new key, then the data
        assert _read_exactly(peer, 4) == b"late"
        writer.sendall(b"fast again")
        assert fast_calls[-1] == 10
        assert _read_exactly(peer, 10) == b"fast again"


@pytest.mark.parametrize("already_at_limit", [False, True], ids=["crossing", "at-limit"])
def test_write_key_limit_sends_key_update(pki: Pki, fast_calls: list[int],
                                          already_at_limit: bool) -> None:
    """RFC 8446 §5.5: a KeyUpdate once the AES-GCM write key has sealed
    KEY_UPDATE_AFTER records, whichever path sealed the write that got there."""
    writer, reader = _steady_pair(cytls, cytls, pki)
    with writer, reader:
        record = writer._sslobj._conn._record
        start = KEY_UPDATE_AFTER if already_at_limit else KEY_UPDATE_AFTER - 2
        record._write.set_seq(start)
        reader._sslobj._conn._record._read.set_seq(start)
        del fast_calls[:]
        data = os.urandom(65536)  # four records
        writer.sendall(data)
        assert fast_calls == [-1 if already_at_limit else -2]
        assert record._write.seq == 0  # the KeyUpdate went out behind the data
        assert _read_exactly(reader, len(data)) == data
        writer.sendall(b"new key")
        assert fast_calls[-1] == 7
        assert _read_exactly(reader, 7) == b"new key"


def test_message_callback_keeps_the_full_path(pki: Pki, fast_calls: list[int]) -> None:
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    seen: list[int] = []
    client_ctx._msg_callback = lambda conn, direction, v, ct, mt, data: seen.append(ct)
    client, server = socket_pair(client_ctx, server_ctx)
    with client, server:
        for _ in range(3):
            client.sendall(b"x" * 100)
        assert _read_exactly(server, 300) == b"x" * 300
        assert fast_calls == []
        assert seen.count(ssl._TLSContentType.APPLICATION_DATA) == 0  # OpenSSL reports none
        assert seen.count(256) >= 3  # a record header per write


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2],
                         ids=["tls13", "tls12"])
def test_writes_after_close_notify(pki: Pki, fast_calls: list[int],
                                   version: ssl.TLSVersion) -> None:
    """The peer's close_notify: TLS 1.3 half-closes (writes go on), TLS 1.2
    sends nothing more but its own (RFC 5246 §7.2.1). After our own
    close_notify (unwrap), nothing is written."""
    writer, peer = _steady_pair(cytls, cytls, pki, version)
    with writer:
        peer.settimeout(0.0)
        with pytest.raises(ssl.SSLWantReadError):
            peer.unwrap()  # sends close_notify, waits for ours
        peer.settimeout(10)
        assert writer.recv(10) == b""
        del fast_calls[:]
        if version == ssl.TLSVersion.TLSv1_3:
            writer.sendall(b"after")
        else:
            with pytest.raises(ssl.SSLError):
                writer.sendall(b"after")
        assert fast_calls == [-1]
        peer.close()


def test_write_after_own_close_notify_is_refused(pki: Pki, fast_calls: list[int]) -> None:
    writer, peer = _steady_pair(cytls, cytls, pki)
    with writer, peer:
        writer.settimeout(0.0)
        with pytest.raises(ssl.SSLWantReadError):
            writer.unwrap()  # our close_notify sent, the peer's not read yet
        writer.settimeout(10)
        del fast_calls[:]
        with pytest.raises(ssl.SSLError, match="PROTOCOL_IS_SHUTDOWN"):
            writer.sendall(b"after")
        assert fast_calls == [-1]


def test_recv_into_nbytes(mod: ModuleType, pki: Pki) -> None:
    client, server = _steady_pair(mod, mod, pki)
    with client, server:
        data = os.urandom(5000)
        client.sendall(data)
        buf = bytearray(8192)
        assert server.recv_into(buf, 100) == 100
        assert bytes(buf[:100]) == data[:100] and buf[100:] == bytes(8092)
        assert _read_exactly(server, 4900) == data[100:]
        client.sendall(data)
        small = bytearray(300)
        assert server.recv_into(small, 10**6) == 300  # at most the buffer
        assert bytes(small) == data[:300]
        assert server.recv_into(bytearray()) == 0
        assert _read_exactly(server, 4700) == data[300:]
        client.sendall(b"abc")
        # Not a writable contiguous buffer: the ssl module's TypeError.
        for bad in (b"read-only", memoryview(bytearray(10))[::2]):
            with pytest.raises(TypeError, match="must be read-write bytes-like object"):
                server.recv_into(bad)
        assert server.recv(3) == b"abc"


@pytest.mark.parametrize("into", [False, True], ids=["recv", "recv_into"])
def test_forged_record_in_traffic(mod: ModuleType, pki: Pki, into: bool) -> None:
    """A record that does not decrypt, arriving once traffic flows (the
    readers' fast path): bad_record_mac (RFC 8446 §5.2), the same error as
    the ssl module's, the alert sent, and what was accepted before kept."""
    writer, reader = _steady_pair(mod, mod, pki)
    with writer, reader:
        writer.sendall(b"accepted")
        forged = b"\x17\x03\x03\x00\x20" + os.urandom(32)
        os.write(writer.fileno(), forged)  # under the TLS layer, after real data
        assert _read_exactly(reader, 8) == b"accepted"
        with pytest.raises(ssl.SSLError) as info:
            if into:
                reader.recv_into(bytearray(100))
            else:
                reader.recv(100)
        assert info.value.reason == "DECRYPTION_FAILED_OR_BAD_RECORD_MAC"
        assert "decryption failed or bad record mac" in str(info.value)
        with pytest.raises(ssl.SSLError) as peer:
            writer.recv(100)  # our alert reached the writer
        assert peer.value.reason == "SSLV3_ALERT_BAD_RECORD_MAC"
