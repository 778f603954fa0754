"""Parity: close_notify, read() and unwrap() around it, ssl module vs cytls (issue 13, item 1).

OpenSSL's rules, which the ssl module exposes: a read after the peer's
close_notify returns b"" while this side has not sent its own, and raises
SSLZeroReturnError once close_notify went both ways; unwrap() waiting for the
peer's close_notify fails on application data; whatever follows the
close_notify on a memory BIO stays there. asyncio's SSLProtocol depends on
these, so an asyncio server whose peer closes and then sends clear bytes must
finish its connection, within a bound, on both.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, contexts, needs_engine

pytestmark = [needs_engine, pytest.mark.timeout(60)]


def test_read_after_close_notify_both_ways(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.unwrap()  # our close_notify is out, the server's not in
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.read()
    pair.pump()
    # The server received close_notify and has not sent its own: b"".
    assert pair.server.read() == b""
    assert pair.server.read(10, bytearray(10)) == 0
    assert pair.server.unwrap() is None
    # Now both ways: the server's next read is SSL_ERROR_ZERO_RETURN.
    with pytest.raises(ssl.SSLZeroReturnError) as info:
        pair.server.read()
    assert info.value.errno == ssl.SSL_ERROR_ZERO_RETURN
    assert "TLS/SSL connection has been closed (EOF)" in str(info.value)
    pair.pump()
    with pytest.raises(ssl.SSLZeroReturnError):
        pair.client.read()  # the client sent first, then got the server's
    with pytest.raises(ssl.SSLZeroReturnError):
        pair.client.read(10, bytearray(10))
    assert pair.client.pending() == 0
    assert pair.client.unwrap() is None  # done already: no error
    with pytest.raises(ssl.SSLError) as shut:
        pair.client.write(b"x")
    assert shut.value.reason == "PROTOCOL_IS_SHUTDOWN"


def test_data_before_close_notify_is_read_first(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    pair.server.write(b"abc")
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.unwrap()
    pair.pump()
    assert pair.client.read() == b"abc"
    assert pair.client.read() == b""  # only the peer has closed
    pair.client.write(b"still allowed")  # half-closed: this side may still write


def test_unwrap_refuses_application_data(mod: ModuleType, pki: Pki) -> None:
    """SSL_shutdown waiting for close_notify fails on application data."""
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    pair.server.write(b"abc")
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.unwrap()
    pair.pump()
    with pytest.raises(ssl.SSLError) as info:
        pair.client.unwrap()
    assert info.value.reason == "APPLICATION_DATA_AFTER_CLOSE_NOTIFY"
    assert info.value.library == "SSL"
    assert str(info.value).startswith(
        "[SSL: APPLICATION_DATA_AFTER_CLOSE_NOTIFY] application data after close notify"
    )


def test_clear_bytes_after_close_notify_stay_in_the_bio(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.unwrap()
    pair.s_in.write(pair.c_out.read() + b"GET / HTTP/1.0\r\n")
    assert pair.server.read() == b""
    assert pair.server.unwrap() is None
    assert pair.s_in.read() == b"GET / HTTP/1.0\r\n"


def _raw_client(port: int, pki: Pki, trailing: bytes) -> socket.socket:
    """An ssl-module client over a plain socket: handshake, b"hello", its
    close_notify, then clear bytes in a separate segment."""
    import time

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(ctx)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(outgoing.read())
            incoming.write(sock.recv(65536))
    sock.sendall(outgoing.read())
    obj.write(b"hello")
    with pytest.raises(ssl.SSLWantReadError):
        obj.unwrap()
    sock.sendall(outgoing.read())
    time.sleep(0.2)
    sock.sendall(trailing)
    return sock


@pytest.mark.parametrize("server_reply", [False, True])
def test_asyncio_server_peer_closes_then_sends_clear_bytes(
    mod: ModuleType, pki: Pki, server_reply: bool
) -> None:
    """The server's connection ends (EOF seen, close completes) within a
    bound; a hang or a busy loop would hit the timeout."""
    _, server_ctx = contexts(mod, mod, pki)

    async def main() -> list[Any]:
        seen: list[Any] = []
        done = asyncio.Event()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while data := await reader.read(100):
                seen.append(data)
            seen.append("eof")
            if server_reply:
                writer.write(b"late")
            writer.close()
            try:
                await writer.wait_closed()
            except (ssl.SSLError, OSError) as exc:  # reported, not hidden
                seen.append(type(exc).__name__)
            done.set()

        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        sock = await loop.run_in_executor(None, _raw_client, port, pki, b"GET / HTTP/1.0\r\n\r\n")
        try:
            await asyncio.wait_for(done.wait(), 10)
        finally:
            sock.close()
            server.close()
            await server.wait_closed()
        return seen

    assert asyncio.run(asyncio.wait_for(main(), 30)) == [b"hello", "eof"]
