"""Shared pieces of the TLS 1.3 malformed-input tests (test_tls13_malformed_*):
alert numbers, ClientHello surgery, a hostile first flight into a server,
and a client given the server's (edited) answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tls_helpers import (
    Keys,
    client_config,
    plaintext_record,
    server_config,
    split_records,
)

from cytls._connection import Connection
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec8, vec16
from cytls._wire.messages import ClientHello, ServerHello, handshake

UNEXPECTED_MESSAGE = 10
BAD_RECORD_MAC = 20
ILLEGAL_PARAMETER = 47
DECODE_ERROR = 50
DECRYPT_ERROR = 51
HANDSHAKE_FAILURE = 40
PROTOCOL_VERSION = 70
MISSING_EXTENSION = 109
UNSUPPORTED_EXTENSION = 110


def client_hello(**kw: object) -> bytes:
    c = Connection(client_config(**kw))  # type: ignore[arg-type]
    c.start_handshake()
    (rec,) = split_records(c.data_to_send())
    return rec[5:]


def exts_raw(pairs: list[tuple[int, bytes]]) -> bytes:
    return vec16(b"".join(t.to_bytes(2, "big") + vec16(b) for t, b in pairs))


def rebuild_ch(
    ch_msg: bytes, edit: Callable[[list[tuple[int, bytes]]], list[tuple[int, bytes]]]
) -> bytes:
    """Re-serialize a ClientHello with its extension list edited (duplicates allowed)."""
    ch = ClientHello.parse(ch_msg[4:])
    pairs = edit(list(ch.extensions.items()))
    body = (
        ch.legacy_version.to_bytes(2, "big")
        + ch.random
        + vec8(ch.session_id)
        + vec16(b"".join(s.to_bytes(2, "big") for s in ch.cipher_suites))
        + vec8(ch.compression_methods)
        + exts_raw(pairs)
    )
    return handshake(1, body)


def server_alert(data: bytes, expected: int, **skw: object) -> TLSAlert:
    s = Connection(server_config(**skw))  # type: ignore[arg-type]
    with pytest.raises(TLSAlert) as info:
        s.receive_data(data)
    assert info.value.description == expected, info.value
    assert not info.value.received
    out = s.data_to_send()
    assert out.endswith(bytes((2, expected))) or len(out) > 0
    with pytest.raises(TLSAlert):
        s.receive_data(b"\x16")  # the failure is sticky
    return info.value


def hs_record(msg: bytes) -> bytes:
    return plaintext_record(22, msg)


def drop(t: int) -> Callable[[list[tuple[int, bytes]]], list[tuple[int, bytes]]]:
    return lambda p: [(a, b) for a, b in p if a != t]


def replace(t: int, v: bytes) -> Callable[[list[tuple[int, bytes]]], list[tuple[int, bytes]]]:
    return lambda p: [(a, v if a == t else b) for a, b in p]


# ------------------------------------------------------------ client side


def server_flight(
    server_kw: dict[str, object] | None = None, **ckw: object
) -> tuple[Connection, bytes, Keys, int]:
    """A client that sent its ClientHello, and the server's answer."""
    keys = Keys()
    c = Connection(client_config(**ckw))  # type: ignore[arg-type]
    s = Connection(server_config(keylog=keys, **(server_kw or {})))  # type: ignore[arg-type]
    c.start_handshake()
    s.receive_data(c.data_to_send())
    out = s.data_to_send()
    assert s._ctx.suite is not None
    return c, out, keys, s._ctx.suite


def client_alert(c: Connection, data: bytes, expected: int) -> TLSAlert:
    with pytest.raises(TLSAlert) as info:
        c.receive_data(data)
    assert info.value.description == expected, info.value
    assert not info.value.received and c.data_to_send()
    return info.value


def edit_server_hello(
    edit: Callable[[ServerHello], None], **ckw: object
) -> tuple[Connection, bytes]:
    c, out, _, _ = server_flight(**ckw)
    sh_rec = split_records(out)[0]
    sh = ServerHello.parse(sh_rec[9:])
    edit(sh)
    return c, hs_record(sh.serialize())
