"""The extension-body parsers' fast paths (messages.py) against the
Reader's checks they short-cut: for well-formed bodies, for every
truncation and for every value of each length byte, the same result or
the same alert and message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cytls._wire import messages as m
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import Reader


def _u16_list(body: bytes) -> list[int]:
    r = Reader(body, "supported_groups")
    v = r.u16_list(2, minimum=2)
    r.expect_end()
    return v


def _client_shares(body: bytes) -> list[tuple[int, bytes]]:
    r = Reader(body, "key_share")
    lst = r.sub16()
    r.expect_end()
    out: list[tuple[int, bytes]] = []
    while not lst.at_end():
        g = lst.u16()
        k = lst.vec16(minimum=1)
        if g in [x for x, _ in out]:
            raise TLSAlert(47, f"two key shares for group 0x{g:04x}")
        out.append((g, k))
    return out


def _server_share(body: bytes) -> tuple[int, bytes]:
    r = Reader(body, "key_share")
    g = r.u16()
    k = r.vec16(minimum=1)
    r.expect_end()
    return g, k


def _client_versions(body: bytes) -> list[int]:
    r = Reader(body, "supported_versions")
    v = r.u16_list(1, minimum=2)
    r.expect_end()
    return v


def _server_version(body: bytes) -> int:
    r = Reader(body, "supported_versions")
    v = r.u16()
    r.expect_end()
    return v


def _psk_modes(body: bytes) -> bytes:
    r = Reader(body, "psk_key_exchange_modes")
    v = r.vec8(minimum=1)
    r.expect_end()
    return v


def _record_size_limit(body: bytes) -> int:
    r = Reader(body, "record_size_limit")
    v = r.u16()
    r.expect_end()
    if v < 64:
        raise TLSAlert(47, "record_size_limit below 64")
    return v


CASES: list[tuple[Callable[[bytes], Any], Callable[[bytes], Any], list[bytes]]] = [
    (
        lambda b: m.parse_u16_list(b, "supported_groups"),
        _u16_list,
        [b"\x00\x04\x00\x1d\x00\x17", b"\x00\x02\x11\xec"],
    ),
    (
        m.parse_client_key_shares,
        _client_shares,
        [
            b"\x00\x06\x00\x1d\x00\x02ab",
            b"\x00\x0c\x00\x1d\x00\x02ab\x00\x17\x00\x02cd",
            b"\x00\x00",
        ],
    ),
    (m.parse_server_key_share, _server_share, [b"\x00\x1d\x00\x03abc"]),
    (m.parse_client_versions, _client_versions, [b"\x04\x03\x04\x03\x03", b"\x02\x03\x04"]),
    (m.parse_server_version, _server_version, [b"\x03\x04"]),
    (m.parse_psk_modes, _psk_modes, [b"\x01\x01", b"\x02\x00\x01"]),
    (m.parse_record_size_limit, _record_size_limit, [b"\x40\x01", b"\x00\x40"]),
]


def _outcome(fn: Callable[[bytes], Any], body: bytes) -> Any:
    try:
        return ("ok", fn(body))
    except TLSAlert as exc:
        return ("alert", exc.description, str(exc))


def _variants(body: bytes) -> list[bytes]:
    out = [body[:cut] for cut in range(len(body))] + [body + b"\x00", body + b"\x00\x00"]
    for i in range(min(len(body), 6)):  # every value of the length bytes
        out += [body[:i] + bytes((v,)) + body[i + 1 :] for v in range(256)]
    return out


# Every body of up to two bytes: where the short cuts' bounds are decided.
SHORT = (
    [b""]
    + [bytes((a,)) for a in range(256)]
    + [bytes((a, b)) for a in range(256) for b in range(256)]
)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_fast_path_matches_reader(case: int) -> None:
    fast, reader, bodies = CASES[case]
    for body in bodies:
        assert _outcome(fast, body)[0] == "ok"
        for variant in _variants(body):
            assert _outcome(fast, variant) == _outcome(reader, variant), variant.hex()
    for short in SHORT:
        assert _outcome(fast, short) == _outcome(reader, short), short.hex()
