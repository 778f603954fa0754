"""Hypothesis fuzzing of both TLS 1.3 roles with mutated handshake flights.

Owns: the property that any mutation of any flight, plaintext or (re-sealed
under the right key, so it reaches the deep states) encrypted, ends in
success or a TLSAlert other than internal_error: never another exception,
an internal error, or a hang.

Deterministic peers (injected randoms and ephemeral keys) make every
recorded flight valid for a fresh connection, so each example starts clean.
Set CYTLS_FUZZ_EXAMPLES to run more than the default 200 per target.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from tls_helpers import (
    Keys,
    client_config,
    open_records,
    plaintext_record,
    seal_records,
    server_config,
    split_records,
)

from cytls._connection import Connection
from cytls._handshake import signatures
from cytls._handshake.state import Hooks
from cytls._wire.alerts import TLSAlert

EXAMPLES = int(os.environ.get("CYTLS_FUZZ_EXAMPLES", "200"))
INTERNAL_ERROR = 80
SUITE = 0x1301

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def client_hooks() -> Hooks:
    key = x25519.X25519PrivateKey.from_private_bytes(bytes(range(32)))
    return Hooks(random=b"\x11" * 32, session_id=b"\x22" * 32, key_shares={0x001D: key})


_SIGNATURES: dict[bytes, bytes] = {}


def _stable_sign(scheme: int, content: bytes) -> bytes:
    # ECDSA is randomised; replaying one signature per content keeps the
    # server's transcript, and so the recorded client Finished, valid.
    if content not in _SIGNATURES:
        _SIGNATURES[content] = signatures.sign(SCFG.private_key, scheme, content)
    return _SIGNATURES[content]


def server_hooks() -> Hooks:
    key = x25519.X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    return Hooks(random=b"\x33" * 32, server_private=key, sign=_stable_sign)


CCFG = client_config(cipher_suites=[SUITE], groups=[0x001D, 0x0017], key_share_groups=[0x001D])
SCFG = server_config(verify_mode=1)


@dataclass
class Flights:
    client_hello: bytes  # the handshake message
    server_hello: bytes  # the handshake message
    ccs: bytes  # the server's CCS record(s)
    server_encrypted: bytes  # EE..Finished plaintext
    client_plain_prefix: bytes  # the client's CCS record
    client_encrypted: bytes  # Certificate..Finished plaintext
    server_hs: bytes
    client_hs: bytes


@cache
def flights() -> Flights:
    skeys = Keys()
    c = Connection(CCFG, hooks=client_hooks())
    s = Connection(server_config(verify_mode=1, keylog=skeys), hooks=server_hooks())
    c.start_handshake()
    ch_rec = c.data_to_send()
    s.receive_data(ch_rec)
    out = split_records(s.data_to_send())
    c.receive_data(b"".join(out))
    cout = split_records(c.data_to_send())
    s.receive_data(b"".join(cout))
    assert c.handshake_complete and s.handshake_complete
    shs = skeys.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET")
    chs = skeys.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET")
    enc = open_records(SUITE, shs, [r for r in out if r[0] == 23])
    cenc = open_records(SUITE, chs, [r for r in cout if r[0] == 23])
    return Flights(
        client_hello=ch_rec[5:],
        server_hello=out[0][5:],
        ccs=b"".join(r for r in out[1:] if r[0] == 20),
        server_encrypted=b"".join(p for _, p in enc),
        client_plain_prefix=b"".join(r for r in cout if r[0] == 20),
        client_encrypted=b"".join(p for _, p in cenc),
        server_hs=shs,
        client_hs=chs,
    )


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """A few random edits: flip, overwrite, insert, delete, truncate."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "length"]))
        pos = draw(st.integers(0, max(len(buf) - 1, 0)))
        if op == "flip" and buf:
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and buf:
            buf[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and buf:
            del buf[pos : pos + draw(st.integers(1, 8))]
        elif op == "truncate":
            del buf[pos:]
        elif op == "length" and len(buf) > pos + 1:
            # Aim at length fields: small and boundary values.
            buf[pos] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF]))
    return bytes(buf)


def expect_clean(conn: Connection, data: bytes) -> None:
    try:
        conn.receive_data(data)
    except TLSAlert as exc:
        assert exc.description != INTERNAL_ERROR, f"internal error: {exc!r} from {exc.__cause__!r}"
        # The failure is sticky and does not raise anything else later.
        with pytest.raises(TLSAlert):
            conn.receive_data(b"\x17\x03\x03\x00\x01\x00")


@FUZZ
@given(st.data())
def test_server_client_hello(data: st.DataObject) -> None:
    msg = data.draw(mutated(flights().client_hello))
    s = Connection(SCFG, hooks=server_hooks())
    expect_clean(s, plaintext_record(22, msg))


@FUZZ
@given(st.data())
def test_client_server_hello(data: st.DataObject) -> None:
    f = flights()
    msg = data.draw(mutated(f.server_hello))
    c = Connection(CCFG, hooks=client_hooks())
    c.start_handshake()
    rest = seal_records(SUITE, f.server_hs, [(22, f.server_encrypted)])
    expect_clean(c, plaintext_record(22, msg) + f.ccs + rest)


@FUZZ
@given(st.data())
def test_client_encrypted_flight(data: st.DataObject) -> None:
    f = flights()
    plain = data.draw(mutated(f.server_encrypted))
    c = Connection(CCFG, hooks=client_hooks())
    c.start_handshake()
    records = seal_records(SUITE, f.server_hs, [(22, plain)]) if plain else b""
    expect_clean(c, plaintext_record(22, f.server_hello) + f.ccs + records)


@FUZZ
@given(st.data())
def test_server_client_flight(data: st.DataObject) -> None:
    f = flights()
    plain = data.draw(mutated(f.client_encrypted))
    s = Connection(SCFG, hooks=server_hooks())
    s.receive_data(plaintext_record(22, f.client_hello))
    records = seal_records(SUITE, f.client_hs, [(22, plain)]) if plain else b""
    expect_clean(s, f.client_plain_prefix + records)


@FUZZ
@given(st.data())
def test_raw_record_stream_both_roles(data: st.DataObject) -> None:
    f = flights()
    stream = plaintext_record(22, f.server_hello) + f.ccs
    stream += seal_records(SUITE, f.server_hs, [(22, f.server_encrypted)])
    c = Connection(CCFG, hooks=client_hooks())
    c.start_handshake()
    expect_clean(c, data.draw(mutated(stream)))
    s = Connection(SCFG, hooks=server_hooks())
    expect_clean(s, data.draw(mutated(plaintext_record(22, f.client_hello))))


def test_unmutated_flights_complete() -> None:
    """Control: the recorded flights, replayed unchanged, complete both roles."""
    f = flights()
    c = Connection(CCFG, hooks=client_hooks())
    c.start_handshake()
    c.receive_data(
        plaintext_record(22, f.server_hello)
        + f.ccs
        + seal_records(SUITE, f.server_hs, [(22, f.server_encrypted)])
    )
    assert c.handshake_complete
    s = Connection(SCFG, hooks=server_hooks())
    s.receive_data(plaintext_record(22, f.client_hello))
    s.receive_data(
        f.client_plain_prefix + seal_records(SUITE, f.client_hs, [(22, f.client_encrypted)])
    )
    assert s.handshake_complete


@st.composite
def post_handshake_messages(draw: st.DrawFn) -> bytes:
    """Plausible post-handshake messages, then mutated."""
    kinds = [
        b"\x18\x00\x00\x01\x00",  # KeyUpdate(update_not_requested)
        b"\x18\x00\x00\x01\x01",  # KeyUpdate(update_requested)
        bytes.fromhex("04000015")
        + bytes(4)
        + bytes(4)
        + b"\x01\x00"
        + b"\x00\x04tick"
        + b"\x00\x00",
        bytes.fromhex("0d00000c") + b"\x01\x07" + bytes.fromhex("0008000d000400020403"),  # CR
    ]
    msgs = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3))
    return draw(mutated(b"".join(msgs)))


@FUZZ
@given(post_handshake_messages())
def test_client_post_handshake(data: bytes) -> None:
    keys = Keys()
    c = Connection(CCFG, hooks=client_hooks())
    s = Connection(server_config(keylog=keys), hooks=server_hooks())
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    s.receive_data(c.data_to_send())
    assert c.handshake_complete
    sealed = seal_records(SUITE, keys.secret("SERVER_TRAFFIC_SECRET_0"), [(22, data)])
    expect_clean(c, sealed)


# HelloRetryRequest flows: a client offering only an X25519 share to a
# server that accepts only P-384.
HRR_CCFG = client_config(cipher_suites=[SUITE], groups=[0x001D, 0x0018], key_share_groups=[0x001D])
HRR_SCFG = server_config(groups=[0x0018])


def hrr_client_hooks() -> Hooks:
    from cryptography.hazmat.primitives.asymmetric import ec

    hooks = client_hooks()
    hooks.key_shares[0x0018] = ec.derive_private_key(424242, ec.SECP384R1())
    return hooks


@cache
def hrr_flights() -> tuple[bytes, bytes]:
    """(the HelloRetryRequest message, the client's second ClientHello message)."""
    c = Connection(HRR_CCFG, hooks=hrr_client_hooks())
    s = Connection(HRR_SCFG, hooks=server_hooks())
    c.start_handshake()
    s.receive_data(c.data_to_send())
    out = split_records(s.data_to_send())
    c.receive_data(b"".join(out))
    ch2 = next(r for r in split_records(c.data_to_send()) if r[0] == 22)
    return out[0][5:], ch2[5:]


@FUZZ
@given(st.data())
def test_client_hello_retry_request(data: st.DataObject) -> None:
    hrr, _ = hrr_flights()
    c = Connection(HRR_CCFG, hooks=hrr_client_hooks())
    c.start_handshake()
    expect_clean(c, plaintext_record(22, data.draw(mutated(hrr))))


@FUZZ
@given(st.data())
def test_server_second_client_hello(data: st.DataObject) -> None:
    c = Connection(HRR_CCFG, hooks=hrr_client_hooks())
    s = Connection(HRR_SCFG, hooks=server_hooks())
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    # This server's own cookie is in the real second ClientHello.
    ch2 = next(r for r in split_records(c.data_to_send()) if r[0] == 22)[5:]
    expect_clean(s, plaintext_record(22, data.draw(mutated(ch2))))
