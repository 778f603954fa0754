"""X25519MLKEM768 against OpenSSL 4 (pyOpenSSL over cryptography's bundled
OpenSSL, the only local peer with the hybrid group), both directions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from tls_helpers import client_config, pki, server_config

from cytls._connection import Connection

SSL = pytest.importorskip("OpenSSL.SSL")
crypto = pytest.importorskip("OpenSSL.crypto")

pytestmark = pytest.mark.interop


def _pump(conn: Connection, peer: object, rounds: int = 10) -> None:
    for _ in range(rounds):
        data = conn.data_to_send()
        if data:
            peer.bio_write(data)  # type: ignore[attr-defined]
        try:
            peer.do_handshake()  # type: ignore[attr-defined]
        except SSL.WantReadError:
            pass
        try:
            out = peer.bio_read(1 << 16)  # type: ignore[attr-defined]
        except SSL.WantReadError:
            out = b""
        if out:
            conn.receive_data(out)
        if not data and not out:
            return


def test_cytls_client_hybrid_only() -> None:
    p = pki()
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate(crypto.X509.from_cryptography(p.leaf))
    ctx.add_extra_chain_cert(crypto.X509.from_cryptography(p.inter))
    ctx.use_privatekey(crypto.PKey.from_cryptography_key(p.leaf_key))
    peer = SSL.Connection(ctx, None)
    peer.set_accept_state()
    conn = Connection(client_config(groups=[0x11EC], key_share_groups=[0x11EC]))
    conn.start_handshake()
    _pump(conn, peer)
    assert conn.handshake_complete and conn.group == 0x11EC
    assert peer.get_group_name() == "X25519MLKEM768"
    conn.send_application_data(b"post-quantum hello")
    peer.bio_write(conn.data_to_send())
    assert peer.recv(100) == b"post-quantum hello"


def test_openssl4_client_gets_hybrid_from_cytls_server() -> None:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE)
    peer = SSL.Connection(ctx, None)
    peer.set_connect_state()
    peer.set_tlsext_host_name(b"localhost")
    conn = Connection(server_config())
    try:
        peer.do_handshake()
    except SSL.WantReadError:
        pass
    conn.receive_data(peer.bio_read(1 << 16))
    _pump(conn, peer)
    assert conn.handshake_complete and conn.group == 0x11EC
    assert peer.get_group_name() == "X25519MLKEM768"
