"""Hypothesis fuzz targets for the TLS 1.2 flights: mutated ClientHello to
a server, mutated server first flight to a client, mutated
ClientKeyExchange (with the recorded CCS and Finished) to a server. Every
input must end in a clean alert or a normal step, never a crash or an
internal_error. CYTLS_FUZZ_EXAMPLES raises the example count (200 default).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import x25519
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_handshake_fuzz import FUZZ, _stable_sign, expect_clean, mutated
from tls_helpers import client_config, plaintext_record, server_config, split_records

from cytls._connection import Connection
from cytls._handshake.state import Hooks

CCFG = client_config(max_version=0x0303, groups=[0x001D, 0x0017])
SCFG = server_config(verify_mode=1)


def client_hooks() -> Hooks:
    key = x25519.X25519PrivateKey.from_private_bytes(bytes(range(32)))
    return Hooks(random=b"\x11" * 32, key_shares={0x001D: key})


def server_hooks() -> Hooks:
    key = x25519.X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    return Hooks(random=b"\x33" * 32, server_private=key, sign=_stable_sign)


@dataclass
class Flights:
    client_hello: bytes  # handshake message
    server_flight: bytes  # handshake messages (plaintext)
    client_cke: bytes  # the Certificate + ClientKeyExchange messages
    client_rest: bytes  # CCS and Finished records


@functools.cache
def flights() -> Flights:
    c = Connection(CCFG, hooks=client_hooks())
    s = Connection(SCFG, hooks=server_hooks())
    c.start_handshake()
    ch = c.data_to_send()
    s.receive_data(ch)
    sf = s.data_to_send()
    c.receive_data(sf)
    second = split_records(c.data_to_send())
    s.receive_data(b"".join(second))
    assert s.handshake_complete
    return Flights(ch[5:], sf[5:], second[0][5:], b"".join(second[1:]))


@FUZZ
@given(st.data())
def test_server_client_hello12(data: st.DataObject) -> None:
    msg = data.draw(mutated(flights().client_hello))
    s = Connection(SCFG, hooks=server_hooks())
    expect_clean(s, plaintext_record(22, msg))


@FUZZ
@given(st.data())
def test_client_server_flight12(data: st.DataObject) -> None:
    msg = data.draw(mutated(flights().server_flight))
    c = Connection(CCFG, hooks=client_hooks())
    c.start_handshake()
    expect_clean(c, plaintext_record(22, msg))


@FUZZ
@given(st.data())
def test_server_client_key_exchange12(data: st.DataObject) -> None:
    f = flights()
    msg = data.draw(mutated(f.client_cke))
    s = Connection(SCFG, hooks=server_hooks())
    s.receive_data(plaintext_record(22, f.client_hello))
    s.data_to_send()
    expect_clean(s, plaintext_record(22, msg) + f.client_rest)
