"""The resumption parsers' one-step paths against their Reader twins:
OfferedPsks.parse (one identity, one binder) against OfferedPsks._read, and
SessionState.decode (no client chains) against SessionState._read. For
well-formed inputs, every truncation, one or two bytes more, and every
value of every length byte, both give the same result, or the same alert
and message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cytls._handshake.tickets import SessionState
from cytls._wire.alerts import TLSAlert
from cytls._wire.psk import OfferedPsks


def _outcome(fn: Callable[[bytes], Any], data: bytes) -> Any:
    try:
        return ("ok", fn(data))
    except TLSAlert as exc:
        return ("alert", exc.description, str(exc))


def _variants(data: bytes, length_positions: list[int]) -> list[bytes]:
    out = [data[:cut] for cut in range(len(data))] + [data + b"\x00", data + b"\x00\x00"]
    for i in length_positions:
        out += [data[:i] + bytes((v,)) + data[i + 1 :] for v in range(256)]
    return out


def _offer(identity: bytes, binder: bytes, age: int = 0x01020304) -> bytes:
    ids = len(identity).to_bytes(2, "big") + identity + age.to_bytes(4, "big")
    binders = bytes((len(binder),)) + binder
    return len(ids).to_bytes(2, "big") + ids + len(binders).to_bytes(2, "big") + binders


OFFERS = [
    _offer(b"t" * 120, b"b" * 32),
    _offer(b"x", b"y" * 48),
    _offer(b"t" * 300, b"b" * 32),  # identity length over 255
    # Two identities and two binders: left to the Reader.
    b"\x00\x0e\x00\x01a\x00\x00\x00\x01\x00\x01b\x00\x00\x00\x02"
    b"\x00\x42" + (b"\x20" + b"c" * 32) * 2,
]


@pytest.mark.parametrize("offer", range(len(OFFERS)))
def test_offered_psks_fast_path_matches_reader(offer: int) -> None:
    body = OFFERS[offer]
    assert _outcome(OfferedPsks.parse, body)[0] == "ok"
    ids_len = (body[0] << 8) | body[1]
    p = 2 + ids_len
    lengths = [0, 1, 2, 3, p, p + 1, p + 2]
    for variant in _variants(body, lengths):
        assert _outcome(OfferedPsks.parse, variant) == _outcome(OfferedPsks._read, variant), (
            variant.hex()
        )


def test_offered_psks_fast_path_keeps_the_fields() -> None:
    body = _offer(b"ticket-" * 10, bytes(range(32)), age=0xFFFFFFFE)
    offer = OfferedPsks.parse(body)
    assert offer.identities == [(b"ticket-" * 10, 0xFFFFFFFE)]
    assert offer.binders == [bytes(range(32))]
    assert offer.binders_len == 2 + 33
    assert type(offer.identities[0][0]) is bytes and type(offer.binders[0]) is bytes


STATES = [
    SessionState(0x0304, 0x1301, 1_700_000_000_123, 0xDEADBEEF, 7200, 0, b"s" * 32, "localhost", None),
    SessionState(0x0304, 0x1302, 1, 2, 3, 16384, b"k" * 48, None, "h2"),
    SessionState(0x0303, 0xC02B, 5, 0, 300, 0, b"m" * 48, "a" * 300, "http/1.1", ems=True),
    # A client chain: left to the Reader.
    SessionState(0x0304, 0x1301, 5, 6, 7, 0, b"p" * 32, "x", None, peer_chain=(b"cert",)),
]


@pytest.mark.parametrize("state", range(len(STATES)))
def test_session_state_fast_path_matches_reader(state: int) -> None:
    data = STATES[state].encode()
    assert SessionState.decode(data) == STATES[state]
    head = 26
    q = head + 1 + data[head]
    r = q + 2 + ((data[q] << 8) | data[q + 1])
    lengths = [0, head, q, q + 1, r, *range(len(data) - 6, len(data))]
    for variant in _variants(data, lengths):
        assert SessionState.decode(variant) == SessionState._read(variant), variant.hex()
