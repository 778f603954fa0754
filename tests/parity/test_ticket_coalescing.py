"""When a cytls server over memory BIOs (asyncio's SSL transport) sends its
TLS 1.3 NewSessionTickets.

The cause of a 40 ms stall per new connection: asyncio leaves Nagle's
algorithm on for a server socket from socket.create_server, and tickets
sent in a segment of their own make the kernel hold the answer to the
client's first request until the client's delayed ACK of that segment. So
when the request came with the client's Finished, the tickets wait and go
out with the answer, in one BIO write; when the Finished came alone, they
go at once (a client with Nagle's algorithm waits for the ACK of its
Finished, which they carry). These tests look at the bytes in the server's
outgoing BIO, not at the clock.
"""

from __future__ import annotations

import ssl

import pytest
from parity_helpers import Pki, contexts, needs_engine

import cytls

pytestmark = [needs_engine]

APPLICATION_DATA = 23


def _records(data: bytes) -> list[int]:
    """The content types of the TLS records in data (the outer type: 23 for
    every protected TLS 1.3 record)."""
    types, i = [], 0
    while i + 5 <= len(data):
        types.append(data[i])
        i += 5 + int.from_bytes(data[i + 3 : i + 5], "big")
    assert i == len(data), "data ends inside a record"
    return types


class _Pair:
    def __init__(self, pki: Pki) -> None:
        client_ctx, server_ctx = contexts(cytls, cytls, pki)
        client_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.c_in, self.c_out, self.s_in, self.s_out = (ssl.MemoryBIO() for _ in range(4))
        self.client = client_ctx.wrap_bio(self.c_in, self.c_out, server_hostname="localhost")
        self.server = server_ctx.wrap_bio(self.s_in, self.s_out, server_side=True)

    def to_server(self) -> None:
        self.s_in.write(self.c_out.read())

    def to_client(self) -> None:
        self.c_in.write(self.s_out.read())

    def first_flights(self) -> None:
        """ClientHello, the server's flight; the client's Finished is then
        in c_out and its handshake complete."""
        with pytest.raises(ssl.SSLWantReadError):
            self.client.do_handshake()
        self.to_server()
        with pytest.raises(ssl.SSLWantReadError):
            self.server.do_handshake()
        self.to_client()
        self.client.do_handshake()


def test_tickets_go_with_the_answer_when_the_request_came_with_the_finished(pki: Pki) -> None:
    p = _Pair(pki)
    p.first_flights()
    p.client.write(b"GET / HTTP/1.1\r\n\r\n")  # in the same batch as the Finished
    p.to_server()
    p.server.do_handshake()
    assert p.s_out.pending == 0  # nothing yet: the tickets wait for the answer
    assert p.server.read(100) == b"GET / HTTP/1.1\r\n\r\n"
    with pytest.raises(ssl.SSLWantReadError):
        p.server.read(100)
    assert p.s_out.pending == 0  # a read that finds no more data sends nothing
    p.server.write(b"HTTP/1.1 200 OK\r\n\r\n")
    out = p.s_out.read()
    # The tickets' record(s) and the answer's, in one write to the transport.
    assert len(_records(out)) >= 2
    p.c_in.write(out)
    assert p.client.read(100) == b"HTTP/1.1 200 OK\r\n\r\n"
    session = p.client.session
    assert session is not None and session.has_ticket


def test_tickets_go_at_once_when_the_finished_came_alone(pki: Pki) -> None:
    p = _Pair(pki)
    p.first_flights()
    p.to_server()
    p.server.do_handshake()
    out = p.s_out.read()
    assert _records(out) and set(_records(out)) == {APPLICATION_DATA}  # the tickets, at once
    p.c_in.write(out)
    with pytest.raises(ssl.SSLWantReadError):
        p.client.read(1)
    assert p.client.session is not None and p.client.session.has_ticket


def test_held_tickets_go_before_close_notify(pki: Pki) -> None:
    p = _Pair(pki)
    p.first_flights()
    p.client.write(b"ping")
    p.to_server()
    p.server.do_handshake()
    assert p.server.read(10) == b"ping"
    with pytest.raises(ssl.SSLWantReadError):
        p.server.unwrap()  # the client's close_notify has not come
    out = p.s_out.read()
    assert len(_records(out)) >= 2  # the tickets, then close_notify
    p.c_in.write(out)
    assert p.client.read(10) == b""  # the peer's close_notify
    assert p.client.session is not None and p.client.session.has_ticket
