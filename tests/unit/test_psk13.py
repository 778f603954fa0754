"""TLS 1.3 resumption and 0-RTT between cytls Connections, well-formed and hostile.

Owns: psk_dhe_ke and psk_ke resumption, tickets issued right after the
client Finished and before any application data, the fallbacks to a full
handshake (ticket from another key, expired, age far off, other server
name, no common mode), the alerts (wrong binder, truncated binder list,
pre_shared_key not last, no psk_key_exchange_modes, early data over the
limit), 0-RTT accepted once and rejected when replayed or not configured,
and 0-RTT through a HelloRetryRequest.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from tls_helpers import client_config, pki, pump, seal_records, server_config, split_records

from cytls._connection import Connection
from cytls._handshake.antireplay import StrikeRegister
from cytls._handshake.config import TLSConfig
from cytls._handshake.sessionstore import StatefulTickets
from cytls._handshake.tickets import TicketKeyRing
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import ContentType
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.events import EarlyDataReceived, NewSessionTicket
from cytls._wire.psk import OfferedPsks


def servers(**kw: Any) -> TLSConfig:
    kw.setdefault("num_tickets", 2)
    kw.setdefault("ticket_keys", TicketKeyRing())
    return server_config(**kw)


def first_ticket(scfg: TLSConfig, ccfg: TLSConfig | None = None) -> NewSessionTicket:
    c = Connection(ccfg or client_config())
    s = Connection(scfg)
    c.start_handshake()
    pump(c, s)
    assert c.handshake_complete and len(c.session_tickets) == scfg.num_tickets
    return c.session_tickets[-1]


def resume(
    scfg: TLSConfig,
    ticket: NewSessionTicket,
    ccfg: TLSConfig | None = None,
    early: bytes | None = None,
) -> tuple[Connection, Connection]:
    c = Connection(ccfg or client_config(), session=ticket, early_data=early)
    s = Connection(scfg)
    c.start_handshake()
    pump(c, s)
    return c, s


def client_hello_record(ticket: NewSessionTicket, ccfg: TLSConfig | None = None) -> bytes:
    c = Connection(ccfg or client_config(), session=ticket)
    c.start_handshake()
    return split_records(c.data_to_send())[0]


def alert_of(scfg: TLSConfig, data: bytes) -> int:
    s = Connection(scfg)
    with pytest.raises(TLSAlert) as info:
        s.receive_data(data)
    return info.value.description


def rebuild(record: bytes, change: Any) -> bytes:
    """The ClientHello record with its extensions changed by change(exts)."""
    ch = m.ClientHello.parse(record[9:])
    change(ch.extensions)
    body = ch.serialize()
    return b"\x16\x03\x01" + len(body).to_bytes(2, "big") + body


# ------------------------------------------------------------------ resumption


@pytest.mark.parametrize("modes", [(1,), (0,), (0, 1)])
def test_resumption_modes(modes: tuple[int, ...]) -> None:
    scfg = servers(psk_modes=(0, 1))
    c, s = resume(scfg, first_ticket(scfg), client_config(psk_modes=modes))
    assert c.session_resumed and s.session_resumed and s.psk_outcome == "hit"
    # psk_ke skips the key exchange; psk_dhe_ke does one (server's order).
    assert (c.group is None) == (modes != (1,))
    assert c.peer_certificates and c.peer_certificates == list(ticket_chain(scfg))
    c.send_application_data(b"ping")
    pump(c, s)
    assert s.read_application_data() == b"ping"


def ticket_chain(scfg: TLSConfig) -> list[Any]:
    return list(scfg.certificate_chain)


def test_psk_ke_only_when_configured() -> None:
    scfg = servers()  # psk_dhe_ke only
    c, s = resume(scfg, first_ticket(scfg), client_config(psk_modes=(0,)))
    assert c.handshake_complete and not c.session_resumed and s.psk_outcome == "miss"


def test_tickets_go_right_after_client_finished() -> None:
    scfg = servers(num_tickets=3)
    c = Connection(client_config())
    s = Connection(scfg)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    assert c.handshake_complete
    s.receive_data(c.data_to_send())  # the client Finished
    assert s.handshake_complete
    s.send_application_data(b"response")
    out = s.data_to_send()
    # The tickets precede the response: the client sees them first.
    c.receive_data(out)
    assert len(c.session_tickets) == 3
    assert c.read_application_data() == b"response"
    nonces = {t.nonce for t in c.session_tickets}
    assert len(nonces) == 3 and len({t.psk for t in c.session_tickets}) == 3


def test_ticket_contents() -> None:
    ring = TicketKeyRing()
    scfg = servers(ticket_keys=ring, ticket_lifetime=600, alpn_protocols=["h2"])
    ticket = first_ticket(scfg, client_config(alpn_protocols=["h2"]))
    assert ticket.lifetime == 600 and ticket.max_early_data_size == 0
    state = ring.open(ticket.ticket)
    assert state is not None
    assert state.psk == ticket.psk if hasattr(state, "psk") else state.secret == ticket.psk
    assert state.server_name == "localhost" and state.alpn == "h2"
    assert state.age_add == ticket.age_add and state.suite == ticket.cipher_suite


# ------------------------------------------------------------------ tickets built ahead
# Connection.work_ahead (the socket layer calls it before it waits for the
# client's Finished) builds the tickets from the Finished the server expects.


def at_client_finished(scfg: TLSConfig, ccfg: TLSConfig | None = None) -> tuple[Connection, Connection]:
    """A pair whose server has sent its flight and the client its Finished,
    which the server has not read yet."""
    c = Connection(ccfg or client_config())
    s = Connection(scfg)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    assert c.handshake_complete and not s.handshake_complete
    return c, s


def test_tickets_built_ahead_are_the_ones_sent() -> None:
    scfg = servers(num_tickets=2)
    c, s = at_client_finished(scfg)
    s.work_ahead()
    ahead = s._state.ahead
    assert ahead is not None
    s.work_ahead()  # once is enough: the same tickets
    assert s._state.ahead is ahead
    pump(c, s)
    assert s.handshake_complete and len(c.session_tickets) == 2
    assert all(t.ticket in ahead[2] for t in c.session_tickets)
    again, _ = resume(scfg, c.session_tickets[-1])
    assert again.session_resumed


def test_nothing_built_ahead_when_the_client_authenticates() -> None:
    # Its Certificate and CertificateVerify come before its Finished: the
    # transcript the tickets follow from is not known until they come.
    p = pki()
    scfg = servers(verify_mode=2)
    ccfg = client_config(certificate_chain=p.client_chain, private_key=p.client_key)
    c, s = at_client_finished(scfg, ccfg)
    s.work_ahead()
    assert getattr(s._state, "ahead", None) is None
    pump(c, s)
    assert s.peer_certificates
    _c2, s2 = resume(scfg, c.session_tickets[-1], ccfg)
    assert s2.session_resumed and s2.peer_certificates == s.peer_certificates


def test_tickets_built_ahead_are_dropped_on_a_wrong_finished() -> None:
    _c, s = at_client_finished(servers())
    s.work_ahead()
    state = s._state
    secret = state.ahead[1]
    assert any(secret)
    ks = s._ctx.ks
    wrong = m.handshake(HT.finished, bytes(ks.info.hash_len))
    record = seal_records(s._ctx.suite, bytes(ks.client_hs_secret), [(ContentType.handshake, wrong)])
    with pytest.raises(TLSAlert) as info:
        s.receive_data(record)
    assert info.value.description == AD.decrypt_error
    assert not any(secret)  # the resumption_master_secret built ahead is wiped
    out = split_records(s.data_to_send())
    assert len(out) == 1 and len(out[0]) == 5 + 2 + 1 + 16  # our alert, and no tickets


def test_tickets_built_ahead_unused_when_another_message_comes() -> None:
    _c, s = at_client_finished(servers())
    s.work_ahead()
    secret = s._state.ahead[1]
    ks = s._ctx.ks
    other = m.handshake(HT.certificate, b"\x00\x00\x00\x00")
    record = seal_records(s._ctx.suite, bytes(ks.client_hs_secret), [(ContentType.handshake, other)])
    with pytest.raises(TLSAlert) as info:
        s.receive_data(record)
    assert info.value.description == AD.unexpected_message
    assert not any(secret)


def test_no_tickets_built_ahead_for_a_stateful_store() -> None:
    # OP_NO_TICKET: sealing stores the session, so nothing is sealed
    # before the client's Finished checks.
    store = StatefulTickets()
    scfg = servers(ticket_keys=store)
    c, s = at_client_finished(scfg)
    s.work_ahead()
    assert s._state.ahead is None and len(store) == 0
    pump(c, s)
    assert len(c.session_tickets) == 2 and len(store) == 2


def test_a_failed_head_start_leaves_the_work_to_the_finished(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cytls._handshake import server13

    secrets = []

    def failing(ctx: Any, secret: bytearray) -> bytes:
        secrets.append(secret)
        raise RuntimeError("sealing failed")

    # work_ahead's own reference only: issue_tickets still builds them.
    monkeypatch.setattr(server13, "ticket_messages", failing)
    c, s = at_client_finished(servers())
    s.work_ahead()  # not raised: only a head start
    assert s._state.ahead is None and secrets and not any(secrets[0])
    pump(c, s)
    assert s.handshake_complete and len(c.session_tickets) == 2


def test_work_ahead_is_a_no_op_elsewhere() -> None:
    c = Connection(client_config())
    s = Connection(servers())
    s.work_ahead()  # waiting for a ClientHello: nothing to prepare
    c.work_ahead()  # not started
    c.start_handshake()
    c.work_ahead()
    pump(c, s)
    s.work_ahead()  # complete
    assert s.handshake_complete and len(c.session_tickets) == 2


# ------------------------------------------------------------------ fallbacks


def test_ticket_from_another_key_falls_back() -> None:
    ticket = first_ticket(servers())
    c, s = resume(servers(), ticket)
    assert c.handshake_complete and not c.session_resumed and s.psk_outcome == "miss"


def test_expired_ticket_falls_back() -> None:
    now = [1_000_000.0]
    scfg = servers(ticket_keys=TicketKeyRing(clock=lambda: now[0]), ticket_lifetime=60)
    ticket = first_ticket(scfg)
    now[0] += 61
    c, s = resume(scfg, ticket)
    assert c.handshake_complete and not c.session_resumed and s.psk_outcome == "timeout"


def test_obfuscated_age_far_off_falls_back() -> None:
    scfg = servers()
    ticket = dataclasses.replace(first_ticket(scfg), age_add=0)  # the age now looks random
    c, s = resume(scfg, ticket)
    assert c.handshake_complete and not c.session_resumed and s.psk_outcome == "miss"


def test_other_server_name_falls_back() -> None:
    scfg = servers()
    ticket = dataclasses.replace(first_ticket(scfg), server_name="other.example")
    ccfg = client_config(server_hostname="other.example", check_hostname=False)
    c, s = resume(scfg, ticket, ccfg)
    assert c.handshake_complete and not c.session_resumed and s.psk_outcome == "miss"


def test_client_does_not_offer_ticket_for_another_name() -> None:
    scfg = servers()
    record = client_hello_record(first_ticket(scfg), client_config(server_hostname="x.example"))
    assert Ext.pre_shared_key not in m.ClientHello.parse(record[9:]).extensions


# ------------------------------------------------------------------ alerts


def test_wrong_binder_is_decrypt_error() -> None:
    scfg = servers()
    record = bytearray(client_hello_record(first_ticket(scfg)))
    record[-1] ^= 1  # the binder is the ClientHello's last byte
    assert alert_of(scfg, bytes(record)) == 51


def test_truncated_binder_list_is_illegal_parameter() -> None:
    scfg = servers()
    record = client_hello_record(first_ticket(scfg))

    def two_identities(exts: dict[int, bytes]) -> None:
        offer = OfferedPsks.parse(exts[Ext.pre_shared_key])
        exts[Ext.pre_shared_key] = OfferedPsks(offer.identities * 2, offer.binders).serialize()

    assert alert_of(scfg, rebuild(record, two_identities)) == 47


def test_empty_binder_list_is_decode_error() -> None:
    scfg = servers()
    record = client_hello_record(first_ticket(scfg))

    def no_binders(exts: dict[int, bytes]) -> None:
        body = exts[Ext.pre_shared_key]
        ids_len = int.from_bytes(body[:2], "big")
        exts[Ext.pre_shared_key] = body[: 2 + ids_len] + b"\x00\x00"

    assert alert_of(scfg, rebuild(record, no_binders)) == 50


def test_psk_not_last_is_illegal_parameter() -> None:
    scfg = servers()
    record = client_hello_record(first_ticket(scfg))

    def psk_first(exts: dict[int, bytes]) -> None:
        psk = exts.pop(Ext.pre_shared_key)
        rest = dict(exts)
        exts.clear()
        exts[Ext.pre_shared_key] = psk
        exts.update(rest)

    assert alert_of(scfg, rebuild(record, psk_first)) == 47


def test_psk_without_modes_is_missing_extension() -> None:
    scfg = servers()
    record = client_hello_record(first_ticket(scfg))

    def no_modes(exts: dict[int, bytes]) -> None:
        del exts[Ext.psk_key_exchange_modes]

    assert alert_of(scfg, rebuild(record, no_modes)) == 109


def test_server_selecting_unoffered_identity_is_illegal_parameter() -> None:
    scfg = servers()
    ticket = first_ticket(scfg)
    c = Connection(client_config(), session=ticket)
    s = Connection(scfg)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    records = split_records(s.data_to_send())
    sh = m.ServerHello.parse(records[0][9:])
    sh.extensions[Ext.pre_shared_key] = b"\x00\x01"
    body = sh.serialize()
    with pytest.raises(TLSAlert) as info:
        c.receive_data(b"\x16\x03\x03" + len(body).to_bytes(2, "big") + body)
    assert info.value.description == 47


# ------------------------------------------------------------------ 0-RTT


def early_servers(**kw: Any) -> TLSConfig:
    kw.setdefault("max_early_data", 1000)
    kw.setdefault("anti_replay", StrikeRegister())
    return servers(**kw)


def test_early_data_accepted_once() -> None:
    scfg = early_servers()
    ticket = first_ticket(scfg)
    assert ticket.max_early_data_size == 1000
    c = Connection(client_config(), session=ticket, early_data=b"GET /")
    s = Connection(scfg)
    c.start_handshake()
    flight = c.data_to_send()
    events = s.receive_data(flight)
    assert EarlyDataReceived(5) in events
    assert s.read_early_data() == b"GET /"
    c.receive_data(s.data_to_send())
    s.receive_data(c.data_to_send())
    assert c.early_data_status == "accepted" == s.early_data_status
    assert s.handshake_complete and s.read_application_data() == b""
    # The same flight replayed to another connection: 0-RTT rejected.
    s2 = Connection(scfg)
    s2.receive_data(flight)
    assert s2.early_data_status == "rejected" and s2.read_early_data() == b""
    assert s2.session_resumed  # the handshake itself may go on (1-RTT)


def test_early_data_cut_to_ticket_limit() -> None:
    scfg = early_servers(max_early_data=10)
    c, s = resume(scfg, first_ticket(scfg), early=b"0123456789abcdef")
    assert c.early_data_status == "accepted" and c.early_data_sent == b"0123456789"
    assert s.read_early_data() == b"0123456789"


def test_early_data_over_the_limit_is_unexpected_message() -> None:
    scfg = early_servers(max_early_data=10)
    # A client that ignores the ticket's limit.
    ticket = dataclasses.replace(first_ticket(scfg), max_early_data_size=100)
    c = Connection(client_config(), session=ticket, early_data=bytes(50))
    c.start_handshake()
    assert alert_of(scfg, c.data_to_send()) == 10


def test_early_data_not_configured_is_skipped() -> None:
    scfg = servers()  # no max_early_data: tickets allow none
    ticket = dataclasses.replace(first_ticket(scfg), max_early_data_size=1000)
    c, s = resume(scfg, ticket, early=b"hello early")
    assert c.handshake_complete and s.handshake_complete and c.session_resumed
    assert c.early_data_status == "rejected" and s.early_data_status == "rejected"
    assert s.read_early_data() == b"" and s.read_application_data() == b""


def test_early_data_without_register_is_rejected() -> None:
    scfg = servers(max_early_data=1000)  # no anti-replay: never accept
    c, s = resume(scfg, first_ticket(scfg), early=b"x")
    assert c.session_resumed and c.early_data_status == "rejected" == s.early_data_status


def test_early_data_through_hello_retry() -> None:
    scfg = early_servers()
    ticket = first_ticket(scfg)
    scfg2 = dataclasses.replace(scfg, groups=[0x0017])  # no share for it: a retry
    c, s = resume(scfg2, ticket, client_config(), early=b"early")
    assert c.handshake_complete and s.handshake_complete
    assert c.early_data_status == "rejected" and not s.session_resumed


@pytest.mark.parametrize("suite", [0x1301, 0x1302])
def test_resumption_psks_in_batches_equal_one_at_a_time(suite: int) -> None:
    from cytls._handshake.keyschedule import KeySchedule

    ks = KeySchedule(suite)
    ks.resumption_secret = bytearray(range(ks.info.hash_len))
    nonces = [i.to_bytes(1, "big") for i in range(11)]  # more than one batch of 8
    batch = ks.resumption_psks(nonces)
    assert [bytes(p) for p in batch] == [ks.resumption_psk(n) for n in nonces]
    assert len({bytes(p) for p in batch}) == 11
    assert ks.resumption_psks([]) == []
