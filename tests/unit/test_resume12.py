"""TLS 1.2 resumption between cytls Connections: RFC 5077 tickets, session
IDs, the extended master secret carried over (RFC 7627 §5.3), fallbacks
and the client's refusals.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from tls_helpers import client_config, pump, server_config, split_records

from cytls._connection import Connection
from cytls._handshake.config import TLSConfig
from cytls._handshake.resume12 import SessionCache
from cytls._handshake.sessionstore import StatefulTickets
from cytls._handshake.state import Hooks
from cytls._handshake.tickets import TicketKeyRing
from cytls._wire import messages as m
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.events import NewSessionTicket

EMS = Ext.extended_master_secret


def servers(**kw: Any) -> TLSConfig:
    kw.setdefault("num_tickets", 2)
    kw.setdefault("ticket_keys", TicketKeyRing())
    kw.setdefault("max_version", 0x0303)
    return server_config(**kw)


def clients(**kw: Any) -> TLSConfig:
    kw.setdefault("max_version", 0x0303)
    return client_config(**kw)


def connect(
    scfg: TLSConfig, session: NewSessionTicket | None = None, ccfg: TLSConfig | None = None
) -> tuple[Connection, Connection]:
    c = Connection(ccfg or clients(), session=session)
    s = Connection(scfg)
    c.start_handshake()
    pump(c, s)
    assert c.handshake_complete and s.handshake_complete
    return c, s


def test_ticket_resumption() -> None:
    scfg = servers()
    c, _ = connect(scfg)
    (session,) = c.session_tickets
    assert session.version == 0x0303 and session.ticket and session.psk == c._ctx.ks12.master_secret
    c2, s2 = connect(scfg, session)
    assert c2.session_resumed and s2.session_resumed and s2.psk_outcome == "hit"
    # The same master secret, new keys (new randoms): data flows.
    assert c2._ctx.ks12.master_secret == session.psk
    assert c2.peer_certificates == list(session.peer_certificates)
    c2.send_application_data(b"ping")
    pump(c2, s2)
    assert s2.read_application_data() == b"ping"
    # A renewed ticket came with the abbreviated handshake.
    (renewed,) = c2.session_tickets
    assert renewed.ticket != session.ticket


def test_session_id_resumption() -> None:
    cache = SessionCache()
    scfg = servers(num_tickets=0, session_cache=cache)
    c, _ = connect(scfg)
    (session,) = c.session_tickets
    assert session.ticket == b"" and len(session.session_id) == 32 and len(cache) == 1
    c2, s2 = connect(scfg, session)
    assert c2.session_resumed and s2.session_resumed
    assert c2._ctx.session_id12 == session.session_id


def test_tls13_client_resumes_tls12_session() -> None:
    scfg = servers()
    c, _ = connect(scfg)
    c2, s2 = connect(scfg, c.session_tickets[0], client_config())
    assert c2.version == 0x0303 and c2.session_resumed and s2.session_resumed


def test_tls12_session_not_offered_to_tls13_only() -> None:
    scfg = servers()
    c, _ = connect(scfg)
    c2 = Connection(client_config(min_version=0x0304), session=c.session_tickets[0])
    c2.start_handshake()
    ch = m.ClientHello.parse(split_records(c2.data_to_send())[0][9:])
    assert Ext.pre_shared_key not in ch.extensions and Ext.session_ticket not in ch.extensions


@pytest.mark.parametrize(
    "change",
    [
        {"ticket_keys": TicketKeyRing()},  # another key
        {"cipher_suites": [0xC02C]},  # the session's suite is gone
    ],
)
def test_fallback_to_full_handshake(change: dict[str, Any]) -> None:
    scfg = servers()
    c, _ = connect(scfg)
    c2, s2 = connect(dataclasses.replace(scfg, **change), c.session_tickets[0])
    assert not c2.session_resumed and not s2.session_resumed and s2.psk_outcome == "miss"


def test_expired_session_is_a_timeout() -> None:
    now = [1_000.0]
    scfg = servers(ticket_keys=TicketKeyRing(clock=lambda: now[0]), ticket_lifetime=60)
    c, _ = connect(scfg)
    now[0] += 61
    c2, s2 = connect(scfg, c.session_tickets[0])
    assert not c2.session_resumed and s2.psk_outcome == "timeout"


def test_session_without_ems_is_not_resumed() -> None:
    # RFC 7627 §5.3: a session whose master secret is not an extended one
    # is not resumed into a ClientHello that offers EMS: a full handshake.
    ring = TicketKeyRing()
    scfg = servers(ticket_keys=ring)
    c, _ = connect(scfg)
    session = c.session_tickets[0]
    state = ring.open(session.ticket)
    assert state is not None and state.ems
    legacy = dataclasses.replace(session, ticket=ring.seal(dataclasses.replace(state, ems=False)))
    c2, s2 = connect(scfg, legacy)
    assert not c2.session_resumed and s2.psk_outcome == "miss"


def _hello(cfg: TLSConfig, session: NewSessionTicket | None = None, ems: bool = True) -> bytes:
    """The ClientHello message a client with `session` sends, without
    extended_master_secret unless `ems`."""
    c = Connection(cfg, session=session)
    c.start_handshake()
    record = split_records(c.data_to_send())[0]
    ch = m.ClientHello.parse(record[9:])
    if not ems:
        ch.extensions.pop(EMS)
    return ch.serialize()


def _record(msg: bytes) -> bytes:
    return b"\x16\x03\x01" + len(msg).to_bytes(2, "big") + msg


def _no_ems_session(scfg: TLSConfig) -> tuple[Connection, NewSessionTicket]:
    """A full TLS 1.2 handshake without EMS (RFC 7627 §5.2) and its session."""
    c = Connection(clients(), hooks=Hooks(client_hello=_hello(clients(), ems=False)))
    s = Connection(scfg)
    c.start_handshake()
    pump(c, s)
    assert c.handshake_complete and s.handshake_complete
    (session,) = c.session_tickets
    return s, session


def test_session_records_whether_it_used_ems() -> None:
    ring = TicketKeyRing()
    scfg = servers(ticket_keys=ring)
    c, _ = connect(scfg)
    (session,) = c.session_tickets
    state = ring.open(session.ticket)
    assert session.ems and state is not None and state.ems
    _, legacy = _no_ems_session(scfg)
    state = ring.open(legacy.ticket)
    assert not legacy.ems and state is not None and not state.ems


def test_ems_session_resumed_without_ems_is_aborted() -> None:
    # RFC 7627 §5.3: the original session used EMS, the new ClientHello
    # does not offer it: handshake_failure, not a resumption (nor a full
    # handshake).
    scfg = servers()
    c, _ = connect(scfg)
    s2 = Connection(scfg)
    with pytest.raises(TLSAlert) as info:
        s2.receive_data(_record(_hello(clients(), c.session_tickets[0], ems=False)))
    assert info.value.description == 40


def test_no_ems_session_offered_with_ems_is_a_full_handshake() -> None:
    # RFC 7627 §5.3: the original session had no EMS, the new ClientHello
    # offers it: a full handshake (with EMS).
    scfg = servers()
    _, legacy = _no_ems_session(scfg)
    c2, s2 = connect(scfg, legacy)
    assert not c2.session_resumed and not s2.session_resumed and s2.psk_outcome == "miss"
    assert c2.session_tickets[0].ems


def test_no_ems_session_resumes_without_ems() -> None:
    # RFC 7627 §5.3 leaves it to the server; as OpenSSL does, a session
    # without EMS resumes into a ClientHello without EMS.
    scfg = servers()
    _, legacy = _no_ems_session(scfg)
    ch_raw = _hello(clients(), legacy, ems=False)
    s2 = Connection(scfg)
    s2.receive_data(_record(ch_raw))
    sh_record = split_records(s2.data_to_send())[0]
    sh = m.ServerHello.parse(sh_record[9 : 9 + int.from_bytes(sh_record[6:9], "big")])
    assert s2.psk_outcome == "hit" and s2.session_resumed
    assert sh.session_id == m.ClientHello.parse(ch_raw[4:]).session_id
    assert EMS not in sh.extensions


def test_tampered_ticket_falls_back() -> None:
    scfg = servers()
    c, _ = connect(scfg)
    session = c.session_tickets[0]
    forged = dataclasses.replace(
        session, ticket=session.ticket[:-1] + bytes([session.ticket[-1] ^ 1])
    )
    c2, s2 = connect(scfg, forged)
    assert not c2.session_resumed and not s2.session_resumed


def test_server_echo_of_unoffered_session_is_illegal() -> None:
    # A TLS 1.3-capable client sends a session ID but offers no session.
    scfg = servers(session_cache=SessionCache())
    c2 = Connection(client_config())
    s2 = Connection(scfg)
    c2.start_handshake()
    ch_record = c2.data_to_send()
    s2.receive_data(ch_record)
    records = split_records(s2.data_to_send())
    ch = m.ClientHello.parse(split_records(ch_record)[0][9:])
    sh = m.ServerHello.parse(records[0][9 : 9 + int.from_bytes(records[0][6:9], "big")])
    assert ch.session_id
    sh.session_id = ch.session_id
    body = sh.serialize()
    with pytest.raises(TLSAlert) as info:
        c2.receive_data(b"\x16\x03\x03" + len(body).to_bytes(2, "big") + body)
    assert info.value.description == 47


def test_session_cache_is_bounded() -> None:
    cache = SessionCache(capacity=2)
    scfg = servers(num_tickets=0, session_cache=cache)
    sessions = [connect(scfg)[0].session_tickets[0] for _ in range(3)]
    assert len(cache) == 2
    assert not connect(scfg, sessions[0])[0].session_resumed  # the oldest went out
    assert connect(scfg, sessions[2])[0].session_resumed


def test_op_no_ticket_store_sends_no_tls12_ticket() -> None:
    # OP_NO_TICKET puts a StatefulTickets store where the key ring was:
    # TLS 1.2 then resumes by session ID only, as OpenSSL does.
    cache = SessionCache()
    scfg = servers(ticket_keys=StatefulTickets(), session_cache=cache)
    c, _ = connect(scfg)
    (session,) = c.session_tickets
    assert not session.ticket and session.session_id and len(cache) == 1
    c2, s2 = connect(scfg, session)
    assert c2.session_resumed and s2.session_resumed
    assert not c2.session_tickets[0].ticket
