"""What the issue 11 conformance probes share (tests/unit/test_conformance_11*.py):
alert numbers, a sanity handshake, plaintext framing of raw messages, the
exact-alert check, ClientHello editing, key shares and empty records.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from tls_helpers import client_config, pair, plaintext_record, split_handshake, split_records

from cytls._connection import Connection
from cytls._handshake.config import TLSConfig
from cytls._handshake.keyschedule import KeySchedule
from cytls._handshake.state import Hooks
from cytls._record import RecordLayer
from cytls._wire import messages as m
from cytls._wire.alerts import TLSAlert

UNEXPECTED_MESSAGE = 10
HANDSHAKE_FAILURE = 40
ILLEGAL_PARAMETER = 47
DECODE_ERROR = 50
DECRYPT_ERROR = 51
PROTOCOL_VERSION = 70
MISSING_EXTENSION = 109
X25519, P256, P384 = 0x001D, 0x0017, 0x0018
EMS, EARLY_DATA, COOKIE, SUPPORTED_VERSIONS, KEY_SHARE = 0x17, 0x2A, 0x2C, 0x2B, 0x33
TLS12 = {"max_version": 0x0303}


HRR_CLIENT = {"groups": [X25519, P384], "key_share_groups": [X25519]}


# ------------------------------------------------------------- helpers


def sanity(server_cfg: TLSConfig, **ckw: object) -> None:
    """A full handshake with this server config, and data both ways."""
    c, s = pair(client_config(**ckw), server_cfg)  # type: ignore[arg-type]
    assert c.handshake_complete and s.handshake_complete
    c.send_application_data(b"ping")
    s.receive_data(c.data_to_send())
    assert s.read_application_data() == b"ping"
    s.send_application_data(b"pong")
    c.receive_data(s.data_to_send())
    assert c.read_application_data() == b"pong"


def records(msg: bytes, size: int = 16384, ctype: int = 22, version: int = 0x0303) -> bytes:
    """msg cut into plaintext records of at most size bytes."""
    return b"".join(
        plaintext_record(ctype, msg[i : i + size], version) for i in range(0, len(msg), size)
    )


def refused(conn: Connection, data: bytes, alert: int) -> TLSAlert:
    """conn fails on data with exactly this alert, and queues it."""
    with pytest.raises(TLSAlert) as info:
        conn.receive_data(data)
    assert info.value.description == alert, info.value
    assert not info.value.received
    last = split_records(conn.data_to_send())[-1]
    if last[0] == 21 and len(last) == 7:  # plaintext
        assert last[5:] == bytes((2, alert))
    else:  # protected: an alert record of its size
        assert last[0] in (21, 23) and len(last) in (5 + 2 + 1 + 16, 5 + 8 + 2 + 16)
    return info.value


def first_message(data: bytes) -> bytes:
    """The first handshake message of a plaintext flight."""
    payload = b"".join(r[5:] for r in split_records(data) if r[0] == 22)
    return split_handshake(payload)[0]


def client_hello(cfg: TLSConfig, hooks: Hooks | None = None) -> bytes:
    c = Connection(cfg, hooks=hooks)
    c.start_handshake()
    return first_message(c.data_to_send())


def edit_ch(msg: bytes, fn: Callable[[m.ClientHello], None]) -> bytes:
    ch = m.ClientHello.parse(msg[4:])
    fn(ch)
    return ch.serialize()


def without(ext: int) -> Callable[[m.ClientHello], None]:
    def fn(ch: m.ClientHello) -> None:
        ch.extensions.pop(ext, None)

    return fn


def steps(conn: Connection, step: str) -> list[dict[str, object]]:
    return [dict(t.details) for t in conn.trace if t.step == step]


def seal_empty_application_data(suite: int, key: bytes, iv: bytes, version: int, seq: int) -> bytes:
    """One protected application_data record with no content."""
    rl = RecordLayer()
    rl.set_write_key(suite, key, iv, version)
    rl._write.set_seq(seq)
    out = bytearray()
    assert rl._write.seal_padded_into(out, 23, b"", 0)
    return bytes(out)


def keys13(suite: int, secret: bytes) -> tuple[bytes, bytes]:
    return KeySchedule(suite).traffic_key(secret)


def p_hash(name: str, secret: bytes, seed: bytes, n: int) -> bytes:
    """RFC 5246 §5 P_hash, written out independently of cytls."""
    out, a = b"", seed
    while len(out) < n:
        a = hmac.digest(secret, a, name)
        out += hmac.digest(secret, a + seed, name)
    return out[:n]


def share(group: int) -> bytes:
    if group == X25519:
        return x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    key = ec.generate_private_key(ec.SECP384R1() if group == P384 else ec.SECP256R1())
    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def set_ext(ext: int, body: bytes) -> Callable[[m.ClientHello], None]:
    def fn(ch: m.ClientHello) -> None:
        ch.extensions[ext] = body

    return fn


def set_field(name: str, value: object) -> Callable[[m.ClientHello], None]:
    def fn(ch: m.ClientHello) -> None:
        setattr(ch, name, value)

    return fn
