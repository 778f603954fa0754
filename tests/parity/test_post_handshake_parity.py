"""Parity of server-side post_handshake_auth with the ssl module.

OpenSSL's SSL_VERIFY_POST_HANDSHAKE (which the ssl module sets on a server
whose context has post_handshake_auth and CERT_OPTIONAL/CERT_REQUIRED):
a TLS 1.3 handshake asks for no client certificate, verify_client_post_handshake()
asks later; TLS 1.2 handshakes ask during the handshake. Every server/client
pairing of ssl and cytls must behave alike.
"""

from __future__ import annotations

import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, needs_engine

import cytls

pytestmark = needs_engine

MODS = [ssl, cytls]


@pytest.fixture(params=MODS, ids=["ssl_server", "cytls_server"])
def server_mod(request: pytest.FixtureRequest) -> ModuleType:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=MODS, ids=["ssl_client", "cytls_client"])
def client_mod(request: pytest.FixtureRequest) -> ModuleType:
    return request.param  # type: ignore[no-any-return]


def _pair(
    client_mod: ModuleType,
    server_mod: ModuleType,
    pki: Pki,
    *,
    mode: int = ssl.CERT_REQUIRED,
    client_pha: bool = True,
    client_cert: bool = True,
    tls12: bool = False,
) -> BioPair:
    server = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pki.server.configure_cert(server)
    pki.ca.configure_trust(server)
    server.verify_mode = mode
    server.post_handshake_auth = True
    if tls12:
        server.maximum_version = ssl.TLSVersion.TLSv1_2
    client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(client)
    if client_cert:
        pki.client.configure_cert(client)
    client.post_handshake_auth = client_pha
    pair = BioPair(client, server)
    pair.handshake()
    return pair


def _ask(pair: BioPair) -> Any:
    """verify_client_post_handshake(), let the client answer, and return
    the server's getpeercert() (or raise the server's error)."""
    pair.server.verify_client_post_handshake()
    pair.server.write(b"ping")
    pair.pump()
    assert pair.client.read() == b"ping"
    pair.pump()
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.read()
    return pair.server.getpeercert()


@pytest.mark.parametrize("mode", [ssl.CERT_REQUIRED, ssl.CERT_OPTIONAL])
def test_no_certificate_in_handshake_then_asked(
    client_mod: ModuleType, server_mod: ModuleType, pki: Pki, mode: int
) -> None:
    pair = _pair(client_mod, server_mod, pki, mode=mode)
    assert pair.server.version() == "TLSv1.3"
    assert pair.server.getpeercert() is None  # not requested in the handshake
    cert = _ask(pair)
    assert cert["subjectAltName"] == (("email", "client@example.com"),)


def test_client_without_pha_is_not_asked(
    client_mod: ModuleType, server_mod: ModuleType, pki: Pki
) -> None:
    """Even with CERT_REQUIRED the handshake completes without a certificate;
    asking later fails as the client did not offer the extension."""
    pair = _pair(client_mod, server_mod, pki, client_pha=False)
    assert pair.server.getpeercert() is None
    with pytest.raises(ssl.SSLError) as info:
        pair.server.verify_client_post_handshake()
    assert info.value.reason == "EXTENSION_NOT_RECEIVED"
    assert "extension not received" in str(info.value)


def test_tls12_asks_in_handshake(client_mod: ModuleType, server_mod: ModuleType, pki: Pki) -> None:
    pair = _pair(client_mod, server_mod, pki, tls12=True)
    assert pair.server.version() == "TLSv1.2"
    assert pair.server.getpeercert()["subjectAltName"] == (("email", "client@example.com"),)
    with pytest.raises(ssl.SSLError) as info:
        pair.server.verify_client_post_handshake()
    assert info.value.reason == "WRONG_SSL_VERSION"


def test_required_but_client_has_none(
    client_mod: ModuleType, server_mod: ModuleType, pki: Pki
) -> None:
    pair = _pair(client_mod, server_mod, pki, client_cert=False)
    assert pair.server.getpeercert() is None
    with pytest.raises(ssl.SSLError) as info:
        _ask(pair)
    assert info.value.reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE"
    assert "peer did not return a certificate" in str(info.value)


def test_optional_and_client_has_none(
    client_mod: ModuleType, server_mod: ModuleType, pki: Pki
) -> None:
    pair = _pair(client_mod, server_mod, pki, mode=ssl.CERT_OPTIONAL, client_cert=False)
    assert _ask(pair) is None


def test_without_post_handshake_auth_asks_in_handshake(
    client_mod: ModuleType, server_mod: ModuleType, pki: Pki
) -> None:
    """The control: post_handshake_auth off on the server, the certificate
    comes in the handshake."""
    server = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pki.server.configure_cert(server)
    pki.ca.configure_trust(server)
    server.verify_mode = ssl.CERT_REQUIRED
    client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(client)
    pki.client.configure_cert(client)
    client.post_handshake_auth = True
    pair = BioPair(client, server)
    pair.handshake()
    assert pair.server.getpeercert()["subjectAltName"] == (("email", "client@example.com"),)
