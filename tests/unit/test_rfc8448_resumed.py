"""RFC 8448 §4 (resumed 0-RTT handshake) replayed through the engine.

Owns: the bit-for-bit checks of resumption against the RFC trace: the
binder (key, finished key, value, and our ClientHello binder filling), the
early secret from the PSK and the early traffic keys, the early data
record, the client's EndOfEarlyData and Finished records, the handshake
and master secrets and the resumption master secret; and the server's
binder check over the RFC's ClientHello (tampered: decrypt_error).
The vectors are found the way test_rfc8448.py finds simple_1rtt.json.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519
from test_rfc8448 import _server_cert, _server_key, _vectors_dir

from cytls._connection import Connection
from cytls._handshake import psk13
from cytls._handshake.config import TLSConfig
from cytls._handshake.keyschedule import KeySchedule
from cytls._handshake.state import Hooks
from cytls._handshake.tickets import SessionState
from cytls._handshake.transcript import Transcript
from cytls._record import RecordLayer
from cytls._wire import messages as m
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import ExtensionType
from cytls._wire.events import HandshakeComplete, NewSessionTicket

V: dict[str, Any] = json.loads((_vectors_dir() / "rfc8448" / "resumed_0rtt.json").read_text())
FIRST: dict[str, Any] = json.loads((_vectors_dir() / "rfc8448" / "simple_1rtt.json").read_text())
H = V["handshake_messages"]
KS = V["key_schedule"]
TH = V["transcript_hashes"]


def b(hexstr: str) -> bytes:
    return bytes.fromhex(hexstr)


def record(name: str) -> dict[str, Any]:
    return next(r for r in V["records"] if r["name"] == name)


def rfc_ticket() -> NewSessionTicket:
    """The ticket of RFC 8448 §3, as our client recorded it."""
    r = FIRST["resumption"]
    return NewSessionTicket(
        lifetime=r["ticket_lifetime"],
        age_add=int(r["ticket_age_add"], 16),
        nonce=b(r["ticket_nonce"]),
        ticket=b(r["ticket"]),
        max_early_data_size=r["max_early_data_size"],
        cipher_suite=0x1301,
        psk=b(r["resumption_psk"]),
        server_name="server",
        alpn_protocol=None,
        received_at=0.0,
    )


def test_psk_from_first_connection() -> None:
    assert rfc_ticket().psk == b(V["psk"])


def test_early_key_schedule_and_binder() -> None:
    ks = KeySchedule(0x1301, b(V["psk"]))
    assert ks.early_secret == b(KS["early_secret"])
    assert ks.binder_key() == b(KS["binder_key"]) == b(V["psk_binder"]["binder_key"])
    assert ks.finished_key(ks.binder_key()) == b(V["psk_binder"]["binder_finished_key"])
    t = Transcript("sha256")
    t.add(b(H["client_hello_truncated_for_binder"]))
    assert t.digest() == b(V["psk_binder"]["binder_hash"])
    assert ks.binder(t.digest()) == b(V["psk_binder"]["binder"])
    early, exporter = ks.early_stage(b(TH["client_hello"]))
    assert early == b(KS["client_early_traffic_secret"])
    assert exporter == b(KS["early_exporter_master_secret"])
    key, iv = ks.traffic_key(early)
    assert key == b(V["traffic_keys"]["client_early_key"])
    assert iv == b(V["traffic_keys"]["client_early_iv"])
    ks.handshake_stage(b(V["ecdhe_shared_secret"]), b(TH["client_hello_to_server_hello"]))
    assert ks.handshake_secret == b(KS["handshake_secret"])
    assert ks.client_hs_secret == b(KS["client_handshake_traffic_secret"])
    assert ks.server_hs_secret == b(KS["server_handshake_traffic_secret"])
    ks.master_stage(b(TH["client_hello_to_server_finished"]))
    assert ks.master_secret == b(KS["master_secret"])
    assert ks.client_app_secret == b(KS["client_application_traffic_secret_0"])
    assert ks.server_app_secret == b(KS["server_application_traffic_secret_0"])
    ks.resumption_stage(b(TH["client_hello_to_client_finished"]))
    assert ks.resumption_secret == b(KS["resumption_master_secret"])


def test_early_data_record() -> None:
    ks = KeySchedule(0x1301, b(V["psk"]))
    early, _ = ks.early_stage(b(TH["client_hello"]))
    rec = RecordLayer()
    rec.set_write_key(0x1301, *ks.traffic_key(early), 0x0304)
    rec.send(23, b(V["early_data"]))
    assert rec.take_outgoing() == b(record("client_early_data")["record"])


def _client() -> Connection:
    cfg = TLSConfig(is_client=True, verify_mode=0, check_hostname=False, cipher_suites=[0x1301])
    priv = x25519.X25519PrivateKey.from_private_bytes(b(V["client_x25519_private_key"]))
    hooks = Hooks(client_hello=b(H["client_hello"]), key_shares={0x001D: priv})
    return Connection(cfg, hooks=hooks, session=rfc_ticket(), early_data=b(V["early_data"]))


def test_fill_binder_reproduces_client_hello() -> None:
    conn = _client()
    ctx = conn._ctx
    ctx.psk_offered = ctx.session
    raw = b(H["client_hello"])
    zeroed = raw[:-32] + bytes(32)
    ch = m.ClientHello.parse(zeroed[4:])
    assert psk13.fill_binder(ctx, ch, zeroed, None) == raw
    assert m.ClientHello.parse(raw[4:]).extensions == ch.extensions


def test_client_replays_resumed_0rtt() -> None:
    conn = _client()
    conn.start_handshake()
    assert conn.data_to_send() == b(record("client_hello")["record"]) + b(
        record("client_early_data")["record"]
    )
    assert conn.early_data_status == "offered"
    assert conn.receive_data(b(record("server_hello")["record"])) == []
    assert conn.data_to_send() == b""
    events = conn.receive_data(b(record("server_encrypted_handshake_flight")["record"]))
    assert any(isinstance(e, HandshakeComplete) for e in events)
    assert conn.session_resumed and conn.early_data_status == "accepted"
    assert conn.early_data_sent == b(V["early_data"])
    assert conn.data_to_send() == b(record("client_end_of_early_data")["record"]) + b(
        record("client_finished")["record"]
    )
    ks = conn._ctx.ks
    assert ks is not None and ks.resumption_secret == b(KS["resumption_master_secret"])
    app = record("client_application_data")
    conn.send_application_data(b(app["content"]))
    assert conn.data_to_send() == b(app["record"])
    srv = record("server_application_data")
    conn.receive_data(b(srv["record"]))
    assert conn.read_application_data() == b(srv["content"])


class _RFCRing:
    """Stands in for our ring: opens the RFC's ticket to the state the
    RFC's server kept (issued 6 ms before, as the obfuscated age says)."""

    def __init__(self) -> None:
        self.clock = lambda: 1_000.0

    def open(self, ticket: bytes) -> SessionState | None:
        t = rfc_ticket()
        if ticket != t.ticket:
            return None
        return SessionState(
            0x0304, 0x1301, 1_000_000 - 6, t.age_add, 30, 1024, t.psk, "server", None
        )


def _server_context(raw: bytes) -> tuple[Any, m.ClientHello]:
    cfg = TLSConfig(
        is_client=False, verify_mode=0, sni_callback=lambda name: None, ticket_keys=_RFCRing()
    )
    conn = Connection(cfg)
    ctx = conn._ctx
    ctx.server_name = "server"
    return ctx, m.ClientHello.parse(raw[4:])


def test_server_verifies_rfc_binder() -> None:
    raw = b(H["client_hello"])
    ctx, ch = _server_context(raw)
    res = psk13.server_psk(ctx, ch, raw, 0x1301)
    assert res is not None and res.index == 0 and res.psk == b(V["psk"])
    assert ctx.psk_outcome == "hit"


def test_server_refuses_tampered_rfc_binder() -> None:
    raw = bytearray(b(H["client_hello"]))
    raw[-1] ^= 1
    ctx, ch = _server_context(bytes(raw))
    with pytest.raises(TLSAlert) as info:
        psk13.server_psk(ctx, ch, bytes(raw), 0x1301)
    assert info.value.description == 51  # decrypt_error


def test_rfc_client_hello_offers_psk_last() -> None:
    ch = m.ClientHello.parse(b(H["client_hello"])[4:])
    assert next(reversed(ch.extensions)) == ExtensionType.pre_shared_key


def test_server_replays_resumed_0rtt() -> None:
    from cryptography.hazmat.primitives.asymmetric import x25519 as x

    from cytls._handshake.antireplay import StrikeRegister
    from cytls._wire.events import EarlyDataReceived
    from cytls._wire.messages import EncryptedExtensions

    ee = EncryptedExtensions.parse(b(H["encrypted_extensions"])[4:])
    hooks = Hooks(
        random=b(V["server_random"]),
        server_private=x.X25519PrivateKey.from_private_bytes(b(V["server_x25519_private_key"])),
        ee_extra=[(ExtensionType.supported_groups, ee.extensions[ExtensionType.supported_groups])],
    )
    cfg = TLSConfig(
        is_client=False,
        cipher_suites=[0x1301],
        groups=[0x001D],
        certificate_chain=[_server_cert()],
        private_key=_server_key(),
        verify_mode=0,
        ticket_keys=_RFCRing(),
        max_early_data=1024,
        anti_replay=StrikeRegister(),
    )
    conn = Connection(cfg, hooks=hooks)
    events = conn.receive_data(
        b(record("client_hello")["record"]) + b(record("client_early_data")["record"])
    )
    assert conn.data_to_send() == b(record("server_hello")["record"]) + b(
        record("server_encrypted_handshake_flight")["record"]
    )
    assert EarlyDataReceived(6) in events
    assert conn.read_early_data() == b(V["early_data"])
    conn.receive_data(b(record("client_end_of_early_data")["record"]))
    events = conn.receive_data(b(record("client_finished")["record"]))
    assert any(isinstance(e, HandshakeComplete) for e in events)
    assert conn.session_resumed and conn.early_data_status == "accepted"
    ks = conn._ctx.ks
    assert ks is not None and ks.resumption_secret == b(KS["resumption_master_secret"])
    app = record("client_application_data")
    conn.receive_data(b(app["record"]))
    assert conn.read_application_data() == b(app["content"])
    conn.send_application_data(b(record("server_application_data")["content"]))
    assert conn.data_to_send() == b(record("server_application_data")["record"])
