"""The extension-body parsers' fast paths (messages.py) against their
_read_ twins, the Reader's checks they short-cut: for well-formed bodies, for every
truncation and for every value of each length byte, the same result or
the same alert and message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cytls._wire import messages as m
from cytls._wire.alerts import TLSAlert

CASES: list[tuple[Callable[[bytes], Any], Callable[[bytes], Any], list[bytes]]] = [
    (
        lambda b: m.parse_u16_list(b, "supported_groups"),
        lambda b: m._read_u16_list(b, "supported_groups"),
        [b"\x00\x04\x00\x1d\x00\x17", b"\x00\x02\x11\xec"],
    ),
    (
        m.parse_client_key_shares,
        m._read_client_key_shares,
        [
            b"\x00\x06\x00\x1d\x00\x02ab",
            b"\x00\x0c\x00\x1d\x00\x02ab\x00\x17\x00\x02cd",
            b"\x00\x00",
        ],
    ),
    (m.parse_server_key_share, m._read_server_key_share, [b"\x00\x1d\x00\x03abc"]),
    (m.parse_client_versions, m._read_client_versions, [b"\x04\x03\x04\x03\x03", b"\x02\x03\x04"]),
    (m.parse_server_version, m._read_server_version, [b"\x03\x04"]),
    (m.parse_psk_modes, m._read_psk_modes, [b"\x01\x01", b"\x02\x00\x01"]),
    (m.parse_record_size_limit, m._read_record_size_limit, [b"\x40\x01", b"\x00\x40"]),
    (
        m.parse_server_name,
        m._read_server_name,
        [
            b"\x00\x0c\x00\x00\x09localhost",
            b"\x00\x04\x00\x00\x01a",
            b"\x00\x0e\x00\x00\x04ab.c\x01\x00\x04wxyz",  # two entries: the Reader's
        ],
    ),
]

# Names the fast path must leave to the Reader (its exact alerts).
REFUSED_NAMES = [b"host.", b"a\x00b", "h\u00e9".encode(), b""]


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_server_name_refusals_match_reader(name: bytes) -> None:
    body = (len(name) + 3).to_bytes(2, "big") + b"\x00" + len(name).to_bytes(2, "big") + name
    assert _outcome(m.parse_server_name, body) == _outcome(m._read_server_name, body)
    assert _outcome(m.parse_server_name, body)[0] == "alert"


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
