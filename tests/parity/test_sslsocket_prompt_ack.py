"""A cytls server acknowledges the client's last handshake flight at once.

The cause of a 40 ms stall per connection: after the client's Finished a
TLS 1.3 server that issues no ticket has nothing to send, the kernel delays
its ACK (Linux: at least 40 ms), and a client with Nagle's algorithm on (the
ssl module's default) holds its first request until that ACK comes. These
tests look at the cause itself, over 127.0.0.1: once the server's
do_handshake() has returned, the client's kernel must hold no unacknowledged
byte (SIOCOUTQ), long before any delayed ACK could have come. They run for
TLS 1.3 and TLS 1.2 and whether or not tickets are configured. The same
holds for the other writes a peer waits on: a server's close_notify in
unwrap(), and a cytls client's first request to a server that sends nothing
after the Finished (nothing of it may stay unsent, SIOCOUTQNSD).
"""

from __future__ import annotations

import fcntl
import socket
import ssl
import struct
import sys
import threading
import time

import pytest
from parity_helpers import Pki, Server, contexts, needs_engine

import cytls

pytestmark = [
    needs_engine,
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or not hasattr(socket, "TCP_QUICKACK"),
        reason="TCP_QUICKACK and SIOCOUTQ are Linux's",
    ),
]

SIOCOUTQ = 0x5411  # TIOCOUTQ: bytes in the send queue not yet acknowledged
# Well under the 40 ms minimum of a delayed ACK.
PROMPT = 0.015


def _unacked(sock: socket.socket) -> int:
    out = fcntl.ioctl(sock.fileno(), SIOCOUTQ, struct.pack("i", 0))
    value: int = struct.unpack("i", out)[0]
    return value


def _wait_acked(sock: socket.socket, bound: float) -> int:
    """Poll the send queue until it is empty or bound seconds passed; return it."""
    end = time.monotonic() + bound
    left = _unacked(sock)
    while left and time.monotonic() < end:
        time.sleep(0.0005)
        left = _unacked(sock)
    return left


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2])
@pytest.mark.parametrize("num_tickets", [0, 2])
def test_client_finished_is_acked_at_once(pki: Pki, version: ssl.TLSVersion, num_tickets: int) -> None:
    client_ctx, server_ctx = contexts(ssl, cytls, pki)
    server_ctx.num_tickets = num_tickets
    server_ctx.maximum_version = version
    handshaken = threading.Event()
    release = threading.Event()

    def handler(raw: socket.socket) -> bytes:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            handshaken.set()
            release.wait(10)
            data = tls.recv(100)
            tls.sendall(data)
            return data

    server = Server(handler)
    raw = server.connect()
    assert not raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)  # Nagle on
    with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.version() == version.name.replace("_", ".")
        assert handshaken.wait(10)
        left = _wait_acked(tls, PROMPT)
        # The request is not held back by Nagle: it leaves and is answered.
        release.set()
        tls.sendall(b"GET /")
        assert tls.recv(100) == b"GET /"
    assert server.join() == b"GET /"
    assert left == 0, f"{left} bytes of the client's last flight still unacknowledged"


def test_close_notify_is_not_held_back_by_nagle(pki: Pki) -> None:
    """A server that writes its response, then unwraps (waiting for the
    client's close_notify): its close_notify must leave at once, not wait
    behind the unacknowledged response for the client's delayed ACK."""
    import select

    client_ctx, server_ctx = contexts(ssl, cytls, pki)

    def handler(raw: socket.socket) -> bool:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            tls.recv(100)
            tls.sendall(b"HTTP/1.0 200 OK\r\n\r\nok")  # still unacknowledged...
            plain = tls.unwrap()  # ...when the close_notify follows
            nodelay = plain.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            return bool(nodelay)

    server = Server(handler)
    raw = server.connect()
    with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"GET /")
        assert tls.recv(4096) == b"HTTP/1.0 200 OK\r\n\r\nok"
        readable, _, _ = select.select([tls], [], [], PROMPT)
        assert tls.recv(100) == b""  # the close_notify
        tls.unwrap()
    # The socket's own setting is back after unwrap().
    assert server.join() is False
    assert readable, f"no close_notify within {PROMPT * 1000:.0f} ms"


SIOCOUTQNSD = 0x894B  # bytes in the send queue not yet sent


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2])
def test_client_first_write_is_not_held_back(pki: Pki, version: ssl.TLSVersion) -> None:
    """A cytls client against a server that sends nothing after the
    client's Finished (the ssl module with num_tickets = 0): its first
    request leaves at once instead of waiting behind the unacknowledged
    Finished for the server's delayed ACK."""
    client_ctx, server_ctx = contexts(cytls, ssl, pki)
    server_ctx.num_tickets = 0
    client_ctx.maximum_version = version
    release = threading.Event()

    def handler(raw: socket.socket) -> bytes:
        # The ssl module's server does not ACK the Finished at once.
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            release.wait(10)
            data = tls.recv(100)
            tls.sendall(data)
            return data

    server = Server(handler)
    raw = server.connect()
    with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"GET /")
        unsent = struct.unpack("i", fcntl.ioctl(tls.fileno(), SIOCOUTQNSD, struct.pack("i", 0)))[0]
        assert not tls.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)  # put back
        release.set()
        assert tls.recv(100) == b"GET /"
    assert server.join() == b"GET /"
    assert unsent == 0, f"{unsent} bytes of the first request held back"
