"""Session resumption through the ssl API: cytls and the ssl module in
every pairing, over memory BIOs.

Owns: `session` / `session=` / `session_reused` / `session_stats()` parity,
the cytls-only rules (tickets single-use on the client, OP_NO_TICKET and
num_tickets on the server, shared ticket keys, 0-RTT resend).
"""

from __future__ import annotations

import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, contexts, engine_ready

import cytls

pytestmark = pytest.mark.skipif(not engine_ready(), reason="cytls engine not built")

PAIRS = [(cytls, cytls), (cytls, ssl), (ssl, cytls), (ssl, ssl)]
IDS = ["cytls-cytls", "cytls-ssl", "ssl-cytls", "ssl-ssl"]


class SessionPair(BioPair):
    """A BioPair whose client resumes `session`."""

    def __init__(self, client_ctx: Any, server_ctx: Any, session: Any = None) -> None:
        self.c_in, self.c_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.s_in, self.s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.client = client_ctx.wrap_bio(
            self.c_in, self.c_out, server_hostname="localhost", session=session
        )
        self.server = server_ctx.wrap_bio(self.s_in, self.s_out, server_side=True)


def connect(client_ctx: Any, server_ctx: Any, session: Any = None) -> SessionPair:
    """Handshake, then one byte from the server (which carries the tickets
    to an ssl-module client, which reads them only then)."""
    pair = SessionPair(client_ctx, server_ctx, session)
    pair.handshake()
    pair.server.write(b"x")
    pair.pump()
    assert pair.client.read() == b"x"
    return pair


@pytest.mark.parametrize(("cmod", "smod"), PAIRS, ids=IDS)
def test_resume(cmod: ModuleType, smod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cmod, smod, pki)
    first = connect(client_ctx, server_ctx)
    assert not first.client.session_reused and not first.server.session_reused
    session = first.client.session
    assert session is not None and session.has_ticket
    assert first.client.session == session  # two reads compare equal
    second = connect(client_ctx, server_ctx, session)
    assert second.client.session_reused and second.server.session_reused
    assert second.client.version() == "TLSv1.3"
    # The server's certificate is still known on the resumed connection.
    assert second.client.getpeercert()["subject"] == first.client.getpeercert()["subject"]
    assert server_ctx.session_stats()["hits"] == 1
    assert server_ctx.session_stats()["accept_good"] == 2
    assert client_ctx.session_stats()["hits"] == 1


@pytest.mark.parametrize("smod", [cytls, ssl], ids=["cytls-server", "ssl-server"])
def test_cytls_client_tickets_are_single_use(smod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cytls, smod, pki)
    session = connect(client_ctx, server_ctx).client.session
    assert session is not None
    reused = [connect(client_ctx, server_ctx, session).client.session_reused for _ in range(3)]
    # Two tickets (num_tickets defaults to 2), each offered once.
    assert reused == [True, True, False]
    assert not session.has_ticket


def test_dangerous_reuse_tickets(pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    client_ctx.dangerous_reuse_tickets = True
    session = connect(client_ctx, server_ctx).client.session
    reused = [connect(client_ctx, server_ctx, session).client.session_reused for _ in range(3)]
    assert reused == [True, True, True]


@pytest.mark.parametrize("smod", [cytls, ssl], ids=["cytls-server", "ssl-server"])
@pytest.mark.parametrize(("count", "option"), [(0, False), (1, False), (3, False), (2, True)])
def test_num_tickets_and_op_no_ticket(
    smod: ModuleType, count: int, option: bool, pki: Pki
) -> None:
    # A cytls client counts the tickets each server sends (the ssl module
    # keeps only the last one), so the same body checks both servers.
    # OP_NO_TICKET does not stop TLS 1.3 tickets in OpenSSL: they become
    # stateful (an identifier of a session the server keeps).
    client_ctx, server_ctx = contexts(cytls, smod, pki)
    server_ctx.num_tickets = count
    if option:
        server_ctx.options |= ssl.OP_NO_TICKET
    pair = connect(client_ctx, server_ctx)
    assert len(pair.client._sslobj._conn.session_tickets) == count
    assert (pair.client.session is None) == (count == 0)


# Deliberate difference: the ssl module's server (OpenSSL 3.0 here) sends
# stateful tickets under OP_NO_TICKET and keeps their sessions in its cache
# (session_stats()["number"] grows), but a client presenting one gets a full
# handshake (a miss) in this setup; a cytls server resumes them, once each,
# as OpenSSL documents stateful tickets. So these two run on cytls servers.
@pytest.mark.parametrize("cmod", [cytls, ssl], ids=["cytls-client", "ssl-client"])
def test_op_no_ticket_sessions_stay_on_their_server(cmod: ModuleType, pki: Pki) -> None:
    smod = cytls
    client_ctx, server_ctx = contexts(cmod, smod, pki)
    server_ctx.options |= ssl.OP_NO_TICKET
    session = connect(client_ctx, server_ctx).client.session
    assert session is not None and session.has_ticket
    # Another server with the same certificate and even the same ticket
    # keys has no such session: the ticket names a session, it holds none.
    _, other = contexts(cmod, smod, pki)
    other.options |= ssl.OP_NO_TICKET
    other.set_ticket_keys(server_ctx.export_ticket_keys())
    missed = connect(client_ctx, other, session)
    assert not missed.client.session_reused and not missed.server.session_reused
    # The server that keeps it resumes it (a cytls client offered its
    # first ticket to `other`, so it offers the second one here).
    resumed = connect(client_ctx, server_ctx, session)
    assert resumed.client.session_reused and resumed.server.session_reused
    assert server_ctx.session_stats()["hits"] == 1


def test_op_no_ticket_tickets_resume_once(pki: Pki) -> None:
    smod = cytls
    # A stateful ticket is taken out of the server's store when it is used:
    # offered again (dangerous_reuse_tickets makes a cytls client do so),
    # it is a full handshake, as with OpenSSL's stateful tickets.
    client_ctx, server_ctx = contexts(cytls, smod, pki)
    client_ctx.dangerous_reuse_tickets = True
    server_ctx.num_tickets = 1
    server_ctx.options |= ssl.OP_NO_TICKET
    session = connect(client_ctx, server_ctx).client.session
    first = connect(client_ctx, server_ctx, session)
    again = connect(client_ctx, server_ctx, session)
    assert first.client.session_reused
    assert not again.client.session_reused and not again.server.session_reused


@pytest.mark.parametrize("cmod", [cytls, ssl], ids=["cytls-client", "ssl-client"])
def test_ticket_from_other_keys_is_a_miss(cmod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cmod, cytls, pki)
    session = connect(client_ctx, server_ctx).client.session
    _, other = contexts(cmod, cytls, pki)
    pair = connect(client_ctx, other, session)
    assert not pair.client.session_reused and not pair.server.session_reused
    assert other.session_stats()["misses"] == 1 and other.session_stats()["hits"] == 0


@pytest.mark.parametrize("cmod", [cytls, ssl], ids=["cytls-client", "ssl-client"])
def test_shared_ticket_keys(cmod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cmod, cytls, pki)
    _, other = contexts(cmod, cytls, pki)
    other.set_ticket_keys(server_ctx.export_ticket_keys())
    session = connect(client_ctx, server_ctx).client.session
    pair = connect(client_ctx, other, session)
    assert pair.client.session_reused and pair.server.session_reused
    assert other.session_stats()["hits"] == 1


def test_expired_ticket_is_a_timeout(pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    client_ctx.dangerous_reuse_tickets = True
    session = connect(client_ctx, server_ctx).client.session
    ring = server_ctx._ticket_ring()
    real = ring.clock
    ring.clock = lambda: real() + 7201
    pair = connect(client_ctx, server_ctx, session)
    assert not pair.server.session_reused
    assert server_ctx.session_stats()["timeouts"] == 1


def test_resumed_session_keeps_client_identity(pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    pki.client.configure_cert(client_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    pki.ca.configure_trust(server_ctx)
    first = connect(client_ctx, server_ctx)
    cert = first.server.getpeercert()
    assert cert
    second = connect(client_ctx, server_ctx, first.client.session)
    assert second.server.session_reused
    assert second.server.getpeercert() == cert


def test_early_data_resent_when_not_accepted(pki: Pki) -> None:
    # A cytls server issues no 0-RTT tickets by default: the early data is
    # sent once, as ordinary data after the handshake.
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    session = connect(client_ctx, server_ctx).client.session
    pair = SessionPair(client_ctx, server_ctx, session)
    pair.client.set_early_data(b"GET / HTTP/1.0\r\n\r\n")
    pair.handshake()
    assert pair.client.session_reused
    assert pair.client.early_data_status == "not sent"
    pair.pump()
    assert pair.server.read() == b"GET / HTTP/1.0\r\n\r\n"
    with pytest.raises(ValueError):
        pair.client.set_early_data(b"late")


@pytest.mark.parametrize(("cmod", "smod"), PAIRS, ids=IDS)
@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session-id"])
def test_resume_tls12(cmod: ModuleType, smod: ModuleType, tickets: bool, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cmod, smod, pki)
    client_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if not tickets:
        server_ctx.options |= ssl.OP_NO_TICKET
    first = connect(client_ctx, server_ctx)
    assert first.client.version() == "TLSv1.2" and not first.client.session_reused
    session = first.client.session
    assert session is not None and session.has_ticket == tickets
    second = connect(client_ctx, server_ctx, session)
    assert second.client.session_reused and second.server.session_reused
    assert second.client.getpeercert()["subject"] == first.client.getpeercert()["subject"]
    assert server_ctx.session_stats()["hits"] == 1


def test_server_tickets_leave_with_its_last_flight(pki: Pki) -> None:
    # Issue 15: after the client's Finished the server's do_handshake()
    # itself puts the tickets on the wire (TLSObject._handshake_loop flushes
    # before it returns), so the client sees them before any response.
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    pair = SessionPair(client_ctx, server_ctx)
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.do_handshake()
    pair.pump()
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.do_handshake()
    pair.pump()
    pair.client.do_handshake()  # complete: its Finished is queued
    pair.pump()
    pair.server.do_handshake()  # takes the Finished: complete
    tickets = pair.s_out.read()
    assert tickets  # written by do_handshake, no application data asked for
    pair.c_in.write(tickets)
    session = pair.client.session
    assert session is not None and len(pair.client._sslobj._conn.session_tickets) == 2


def test_socket_server_builds_its_tickets_before_the_finished(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 15: an SSLSocket server builds its tickets while the client
    # checks its flight (Connection.work_ahead), so that only sending them
    # is left once the client's Finished comes; the session resumes.
    import socket
    import threading

    from cytls._handshake import server13

    seen: list[bool] = []
    handle = server13.ExpectFinished.handle

    def spy(self: Any, msg_type: int, body: bytes, raw: bytes) -> Any:
        seen.append(self.ahead is not None)
        return handle(self, msg_type, body, raw)

    monkeypatch.setattr(server13.ExpectFinished, "handle", spy)
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    lsock = socket.create_server(("127.0.0.1", 0))
    lsock.settimeout(10)

    def serve() -> None:
        for _ in range(2):
            raw, _ = lsock.accept()
            raw.settimeout(10)
            with server_ctx.wrap_socket(raw, server_side=True) as s:
                s.sendall(s.recv(10))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    session = None
    reused = []
    for _ in range(2):
        with socket.create_connection(lsock.getsockname(), timeout=10) as raw, \
                client_ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            s.sendall(b"ping")
            assert s.recv(10) == b"ping"
            reused.append(s.session_reused)
            session = s.session
    thread.join(10)
    lsock.close()
    assert seen == [True, True] and reused == [False, True]


def test_session_survives_unclean_close_over_sockets(pki: Pki) -> None:
    import socket
    import threading

    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(10)

    def serve() -> None:
        raw, _ = lsock.accept()
        raw.settimeout(10)
        s = server_ctx.wrap_socket(raw, server_side=True)
        s.recv(10)
        raw.close()  # no close_notify: the client sees a bare EOF

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    raw = socket.create_connection(lsock.getsockname(), timeout=10)
    s = client_ctx.wrap_socket(raw, server_hostname="localhost")
    s.sendall(b"x")
    thread.join(10)
    assert s.recv(10) == b""  # a ragged EOF (suppress_ragged_eofs)
    s.close()
    session = s.session
    assert session is not None and session.has_ticket
    lsock.close()


@pytest.mark.parametrize("cmod", [cytls, ssl], ids=["cytls-client", "ssl-client"])
def test_session_does_not_wait_on_a_socket_with_a_timeout(cmod: ModuleType, pki: Pki) -> None:
    """`session` reads what has arrived and never waits for tickets (none
    come here: num_tickets = 0), not even on a socket with a timeout, whose
    own recv() would first poll for that long."""
    import socket
    import threading
    import time

    client_ctx, server_ctx = contexts(cmod, ssl, pki)
    server_ctx.num_tickets = 0
    lsock = socket.create_server(("127.0.0.1", 0))
    lsock.settimeout(10)
    done = threading.Event()

    def serve() -> None:
        raw, _ = lsock.accept()
        with server_ctx.wrap_socket(raw, server_side=True) as s:
            s.recv(10)
            done.wait(10)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    raw = socket.create_connection(lsock.getsockname(), timeout=10)
    with client_ctx.wrap_socket(raw, server_hostname="localhost") as s:
        t0 = time.monotonic()
        session = s.session
        waited = time.monotonic() - t0
        s.sendall(b"x")
        done.set()
        assert waited < 5, waited  # the socket's timeout is 10 s
        assert session is None or not session.has_ticket
    thread.join(10)
    lsock.close()
