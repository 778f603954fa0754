"""X25519MLKEM768 against OpenSSL 4 (pyOpenSSL over cryptography's bundled
OpenSSL, the only local peer with the hybrid group), both directions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from pyopenssl_peer import Peer, exchange, run
from tls_helpers import client_config, pki, server_config

from cytls._connection import Connection

SSL = pytest.importorskip("OpenSSL.SSL")
crypto = pytest.importorskip("OpenSSL.crypto")

pytestmark = pytest.mark.interop


def test_cytls_client_hybrid_only() -> None:
    p = pki()
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate(crypto.X509.from_cryptography(p.leaf))
    ctx.add_extra_chain_cert(crypto.X509.from_cryptography(p.inter))
    ctx.use_privatekey(crypto.PKey.from_cryptography_key(p.leaf_key))
    peer = Peer(SSL, ctx, server=True)
    conn = Connection(client_config(groups=[0x11EC], key_share_groups=[0x11EC]))
    run(conn, peer)
    assert conn.handshake_complete and conn.group == 0x11EC
    assert peer.obj.get_group_name() == "X25519MLKEM768"
    exchange(conn, peer)


def test_openssl4_client_gets_hybrid_from_cytls_server() -> None:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE)
    peer = Peer(SSL, ctx, server=False, hostname="localhost")
    conn = Connection(server_config())
    run(conn, peer)
    assert conn.handshake_complete and conn.group == 0x11EC
    assert peer.obj.get_group_name() == "X25519MLKEM768"
    exchange(conn, peer)
