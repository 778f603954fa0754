"""The ticket-key ring, the sealed session state, the 0-RTT strike register
and the pre_shared_key codec.

Owns: seal/open round trips (one state, and a connection's tickets
encoded and sealed together), NewSessionTicket framing, the shareable key format (export, reload,
bad sizes, duplicate names), rotation (current seals, previous opens),
forged, truncated and foreign tickets (None, never an exception), the
strike register's window and capacity, and every malformed OfferedPsks
with its exact alert.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cytls._handshake.antireplay import StrikeRegister
from cytls._handshake.tickets import (
    KEY_LEN,
    SessionState,
    TicketKeyRing,
    encode_states,
    parse_key_material,
)
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec8, vec16
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.messages import (
    NewSessionTicketMsg,
    serialize_extensions,
    serialize_new_session_ticket,
)
from cytls._wire.psk import OfferedPsks, parse_selected_identity

STATE = SessionState(
    0x0304,
    0x1301,
    1_700_000_000_000,
    0x01020304,
    7200,
    0,
    bytes(range(32)),
    "example.com",
    "h2",
    peer_chain=(b"\x30\x03\x02\x01\x01",),
    verified_chain=(b"\x30\x03\x02\x01\x01", b"\x30\x03\x02\x01\x02"),
)


def test_state_round_trip() -> None:
    assert SessionState.decode(STATE.encode()) == STATE
    bare = SessionState(0x0303, 0xC02F, 1, 2, 3, 0, b"m" * 48, None, None, ems=True)
    assert SessionState.decode(bare.encode()) == bare


@pytest.mark.parametrize("cut", [0, 1, 10, 30, -1])
def test_state_truncated_is_none(cut: int) -> None:
    data = STATE.encode()
    assert SessionState.decode(data[:cut]) is None
    assert SessionState.decode(data + b"\x00") is None
    assert SessionState.decode(b"\x02" + data[1:]) is None  # unknown format version


def test_seal_open_and_tamper() -> None:
    ring = TicketKeyRing()
    ticket = ring.seal(STATE)
    assert ring.open(ticket) == STATE
    assert ring.seal(STATE) != ticket  # a fresh nonce each time
    for i in (0, 16, 20, len(ticket) - 1):
        forged = bytearray(ticket)
        forged[i] ^= 1
        assert ring.open(bytes(forged)) is None
    assert ring.open(ticket[:40]) is None
    assert ring.open(b"") is None
    assert TicketKeyRing().open(ticket) is None  # another ring's key


def test_encode_refuses_overlong_fields() -> None:
    for field in ({"secret": b"s" * 256}, {"alpn": "a" * 256}):
        state = SessionState(0x0304, 0x1301, 1, 2, 3, 0, b"s" * 32, None, None)
        bad = SessionState(**{**{f: getattr(state, f) for f in state.__slots__}, **field})
        with pytest.raises(ValueError):
            bad.encode()


def test_encode_states_matches_each_state() -> None:
    # One connection's tickets differ in secret and age_add only; each
    # encoding is that state's own, the shared fields encoded once.
    secrets = [(bytearray(b"\x01" * 48), 7), (bytes(range(48)), 0xFFFFFFFF)]
    encoded = encode_states(
        0x0304,
        0x1302,
        1_700_000_000_000,
        7200,
        16384,
        "example.com",
        "h2",
        False,
        STATE.peer_chain,
        STATE.verified_chain,
        secrets,
    )
    assert len(encoded) == 2
    for data, (secret, age_add) in zip(encoded, secrets, strict=True):
        state = SessionState(
            0x0304,
            0x1302,
            1_700_000_000_000,
            age_add,
            7200,
            16384,
            bytes(secret),
            "example.com",
            "h2",
            peer_chain=STATE.peer_chain,
            verified_chain=STATE.verified_chain,
        )
        assert data == state.encode()
        assert SessionState.decode(data) == state
    with pytest.raises(ValueError):
        encode_states(0x0304, 0x1301, 1, 2, 0, None, None, False, (), (), [(b"", 1)])


def test_seal_encoded_tickets_open_each_to_its_state() -> None:
    ring = TicketKeyRing()
    states = [STATE, SessionState(0x0303, 0xC02F, 1, 2, 3, 0, b"m" * 48, None, None, ems=True)]
    tickets = ring.seal_encoded([s.encode() for s in states])
    assert [ring.open(t) for t in tickets] == states
    # Each ticket has its own nonce (after the 16-byte key name).
    assert tickets[0][16:28] != tickets[1][16:28]
    assert ring.seal_encoded([]) == []


def test_new_session_ticket_framing() -> None:
    exts = {int(Ext.early_data): (16384).to_bytes(4, "big")}
    msg = NewSessionTicketMsg(7200, 0xA1B2C3D4, b"\x00", b"t" * 100, exts)
    framed = serialize_new_session_ticket(
        7200, 0xA1B2C3D4, b"\x00", b"t" * 100, serialize_extensions(list(exts.items()))
    )
    assert framed == msg.serialize()
    assert framed[0] == HT.new_session_ticket
    assert int.from_bytes(framed[1:4], "big") == len(framed) - 4
    assert NewSessionTicketMsg.parse(framed[4:]) == msg


def test_shared_format(tmp_path: Path) -> None:
    ring = TicketKeyRing()
    ticket = ring.seal(STATE)
    path = tmp_path / "ticket.key"
    path.write_bytes(ring.export())
    assert len(path.read_bytes()) == KEY_LEN
    other = TicketKeyRing.from_file(path)
    assert other.shared and other.open(ticket) == STATE


@pytest.mark.parametrize("size", [0, 47, 49, 95])
def test_key_material_sizes(size: int) -> None:
    with pytest.raises(ValueError):
        parse_key_material(os.urandom(size))


def test_duplicate_key_names() -> None:
    key = os.urandom(KEY_LEN)
    with pytest.raises(ValueError, match="duplicate"):
        TicketKeyRing([key, key[:16] + os.urandom(32)])
    with pytest.raises(ValueError):
        TicketKeyRing([])


def test_rotation() -> None:
    now = [0.0]
    ring = TicketKeyRing(rotation=100, clock=lambda: now[0])
    t1 = ring.seal(STATE)
    now[0] = 150  # rotates on the next seal
    t2 = ring.seal(STATE)
    assert t1[:16] != t2[:16]
    assert ring.open(t1) == STATE and ring.open(t2) == STATE
    now[0] = 300
    ring.seal(STATE)
    assert ring.open(t1) is None and ring.open(t2) == STATE


def test_shared_ring_never_rotates_itself() -> None:
    now = [0.0]
    keys = [os.urandom(KEY_LEN), os.urandom(KEY_LEN)]
    ring = TicketKeyRing(keys, clock=lambda: now[0])
    now[0] = 1e9
    assert ring.seal(STATE)[:16] == keys[0][:16]
    assert ring.export() == b"".join(keys)


def test_previous_key_opens() -> None:
    old, new = os.urandom(KEY_LEN), os.urandom(KEY_LEN)
    ticket = TicketKeyRing([old]).seal(STATE)
    assert TicketKeyRing([new, old]).open(ticket) == STATE
    assert TicketKeyRing([new]).open(ticket) is None


def test_strike_register_window() -> None:
    now = [0.0]
    reg = StrikeRegister(window=20, clock=lambda: now[0])
    assert reg.check_and_add(b"t1")
    assert not reg.check_and_add(b"t1")  # a replay
    assert reg.check_and_add(b"t2")
    now[0] = 25  # both expired: the age check refuses their replays anyway
    assert reg.check_and_add(b"t1") and len(reg) == 1


def test_strike_register_full_refuses() -> None:
    reg = StrikeRegister(capacity=2, clock=lambda: 0.0)
    assert reg.check_and_add(b"a") and reg.check_and_add(b"b")
    assert not reg.check_and_add(b"c")
    assert not reg.check_and_add(b"a")


# ------------------------------------------------------------ the codec


def ident(ticket: bytes = b"T" * 8, age: int = 7) -> bytes:
    return vec16(ticket) + age.to_bytes(4, "big")


def test_offered_psks_round_trip() -> None:
    offer = OfferedPsks([(b"T" * 8, 7), (b"U" * 9, 8)], [b"B" * 32, b"C" * 48])
    again = OfferedPsks.parse(offer.serialize())
    assert again == offer
    assert again.binders_len == 2 + 33 + 49


@pytest.mark.parametrize(
    ("body", "alert"),
    [
        (b"", 50),
        (vec16(b"") + vec16(vec8(b"B" * 32)), 50),  # no identity
        (vec16(vec16(b"") + b"\x00" * 4) + vec16(vec8(b"B" * 32)), 50),  # empty identity
        (vec16(ident()) + vec16(b""), 50),  # no binder
        (vec16(ident()) + vec16(vec8(b"B" * 31) + b"\x00"), 50),  # short binder
        (vec16(ident()) + vec16(vec8(b"B" * 32)) + b"\x00", 50),  # trailing byte
        (vec16(ident()) + vec16(vec8(b"B" * 40)[:-1]), 50),  # binder truncated
        (vec16(ident() + ident()) + vec16(vec8(b"B" * 32)), 47),  # a binder missing
        (vec16(ident()) + vec16(vec8(b"B" * 32) * 2), 47),  # a binder too many
    ],
)
def test_offered_psks_malformed(body: bytes, alert: int) -> None:
    with pytest.raises(TLSAlert) as info:
        OfferedPsks.parse(body)
    assert info.value.description == alert


@pytest.mark.parametrize("body", [b"", b"\x00", b"\x00\x00\x00"])
def test_selected_identity_malformed(body: bytes) -> None:
    with pytest.raises(TLSAlert) as info:
        parse_selected_identity(body)
    assert info.value.description == 50
