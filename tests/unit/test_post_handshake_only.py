"""TLSConfig.client_auth_post_handshake_only (OpenSSL's
SSL_VERIFY_POST_HANDSHAKE): a TLS 1.3 server sends no CertificateRequest in
the handshake and asks afterwards; TLS 1.2 still asks in the handshake."""

from __future__ import annotations

import pytest
from tls_helpers import client_config, pair, pki, pump, server_config

from cytls._handshake.config import TLSConfig
from cytls._wire.alerts import TLSAlert


def _client(**kw: object) -> TLSConfig:
    p = pki()
    return client_config(
        post_handshake_auth=True, certificate_chain=p.client_chain, private_key=p.client_key, **kw
    )


def test_tls13_no_request_in_handshake_then_asked() -> None:
    p = pki()
    c, s = pair(_client(), server_config(verify_mode=2, client_auth_post_handshake_only=True))
    assert c.handshake_complete and s.handshake_complete
    assert not s.client_auth_requested and not s.peer_certificates
    steps = [t.step for t in s.trace]
    assert "send CertificateRequest (post-handshake)" not in steps
    s.request_client_certificate()
    pump(c, s)
    assert s.peer_certificates == p.client_chain
    assert "verify client Finished (post-handshake)" in [t.step for t in s.trace]


def test_tls13_required_and_refused_later() -> None:
    c, s = pair(
        client_config(post_handshake_auth=True),
        server_config(verify_mode=2, client_auth_post_handshake_only=True),
    )
    assert s.handshake_complete and not s.peer_certificates
    s.request_client_certificate()
    with pytest.raises(TLSAlert) as info:
        pump(c, s)
    assert info.value.description == 116  # certificate_required
    assert info.value.reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE"


def test_tls12_still_asks_in_handshake() -> None:
    p = pki()
    c, s = pair(
        _client(max_version=0x0303),
        server_config(verify_mode=2, client_auth_post_handshake_only=True),
    )
    assert c.handshake_complete and s.version == 0x0303 and s.client_auth_requested
    assert s.peer_certificates == p.client_chain


def test_flag_off_asks_in_handshake() -> None:
    p = pki()
    c, s = pair(_client(), server_config(verify_mode=2))
    assert c.handshake_complete and s.client_auth_requested
    assert s.peer_certificates == p.client_chain
