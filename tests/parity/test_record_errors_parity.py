"""Parity: the error a refused record raises, as the ssl module names it.

A record the record layer refuses (a bad tag, a wrong version, an unknown
type, a length over the limit), arriving in the handshake or once traffic
flows, raises ssl.SSLError with OpenSSL's reason and text: what applications
match on (the "[SSL: WRONG_VERSION_NUMBER] wrong version number" of a TLS
client talking to a plain-text server, for one). Where OpenSSL 3 only fails
later on a TLS 1.2 record (it tries to decrypt what cytls refuses from its
header), cytls names the check that refused it; those cases are listed
apart.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import Pki, contexts, needs_engine, socket_pair

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]

TLS13, TLS12 = ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2
MAX_13 = 16384 + 256  # RFC 8446 §5.2: TLSCiphertext.length

TRAFFIC = {
    "bad tag": b"\x17\x03\x03\x00\x20" + os.urandom(32),
    "shorter than a tag": b"\x17\x03\x03\x00\x0a" + os.urandom(10),
    "too long": b"\x17\x03\x03" + (MAX_13 + 1).to_bytes(2, "big") + os.urandom(MAX_13 + 1),
    "bad version": b"\x17\x02\x03\x00\x20" + os.urandom(32),
    "bad type": b"\x30\x03\x03\x00\x20" + os.urandom(32),
}
# OpenSSL 3 fails these TLS 1.2 records later: "internal error", or a failed
# decryption of what cytls refuses from the header (with a 2^14 + 2048 limit
# where cytls keeps RFC 8446's 2^14 + 256 for AEAD records).
CYTLS_TLS12 = {
    "shorter than a tag": ("DECRYPTION_FAILED_OR_BAD_RECORD_MAC", "decryption failed or bad record mac"),
    "too long": ("ENCRYPTED_LENGTH_TOO_LONG", "encrypted length too long"),
    "bad type": ("BAD_RECORD_TYPE", "bad record type"),
}


def _error(exc: ssl.SSLError) -> tuple[str, str]:
    # "[SSL: REASON] text (_ssl.c:NNN)": the ssl module appends where.
    return exc.reason, str(exc).split(" (_ssl.c:")[0]


def _refused_in_traffic(mod: ModuleType, pki: Pki, version: ssl.TLSVersion,
                        record: bytes) -> tuple[str, str]:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    client_ctx.maximum_version = version
    client, server = socket_pair(client_ctx, server_ctx)
    with client, server:
        client.sendall(b"x")
        assert server.recv(1) == b"x"
        os.write(client.fileno(), record)  # under the client's TLS layer
        with pytest.raises(ssl.SSLError) as info:
            server.recv(100)
        return _error(info.value)


@pytest.mark.parametrize("version", [TLS13, TLS12], ids=["tls13", "tls12"])
@pytest.mark.parametrize("case", list(TRAFFIC))
def test_refused_record_in_traffic(pki: Pki, version: ssl.TLSVersion, case: str) -> None:
    got = _refused_in_traffic(cytls, pki, version, TRAFFIC[case])
    if version == TLS12 and case in CYTLS_TLS12:
        reason, text = CYTLS_TLS12[case]
        assert got == (reason, f"[SSL: {reason}] {text}")
    else:
        assert got == _refused_in_traffic(ssl, pki, version, TRAFFIC[case])


HELLO_ANSWERS = {
    "a plain-text server": b"HTTP/1.1 400 Bad Request\r\n\r\n",
    "a record too long": b"\x16\x03\x03\x48\x01" + bytes(0x4801),
    "an unknown type": b"\x30\x03\x03\x00\x05hello",
    "a bad version": b"\x16\x02\x00\x00\x05hello",
}


def _refused_in_handshake(mod: ModuleType, pki: Pki, answer: bytes) -> tuple[str, str]:
    """A client whose ClientHello is answered with `answer`, then EOF."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                conn.recv(65536)
                conn.sendall(answer)

        t = threading.Thread(target=serve)
        t.start()
        ctx: Any = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        pki.ca.configure_trust(ctx)
        try:
            with socket.create_connection(listener.getsockname(), timeout=10) as raw:
                with pytest.raises(ssl.SSLError) as info:
                    ctx.wrap_socket(raw, server_hostname="localhost")
        finally:
            t.join(10)
    return _error(info.value)


@pytest.mark.parametrize("case", list(HELLO_ANSWERS))
def test_refused_record_in_handshake(pki: Pki, case: str) -> None:
    got = _refused_in_handshake(cytls, pki, HELLO_ANSWERS[case])
    assert got == _refused_in_handshake(ssl, pki, HELLO_ANSWERS[case])
    if case == "a plain-text server":
        assert got == ("WRONG_VERSION_NUMBER", "[SSL: WRONG_VERSION_NUMBER] wrong version number")
