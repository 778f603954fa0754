"""Parity: channel bindings, ssl module vs cytls (issue 13, item 6).

"tls-unique" is compared across mixed pairs (an ssl-module client with a
cytls server and the other way), so each side's value must be the one the
ssl module computes for the same connection: RFC 5929's first Finished in
TLS 1.2 and, in TLS 1.3 (which defines no tls-unique, RFC 8446 §C.5),
OpenSSL's value, the client's Finished. "tls-exporter" (RFC 9266, the
binding TLS 1.3 defines) is a cytls addition: the ssl module refuses it with
ValueError; it is checked against pyOpenSSL's exporter instead.
"""

from __future__ import annotations

import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, contexts, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]

VERSIONS = [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2]


def _pair(client_mod: ModuleType, server_mod: ModuleType, pki: Pki, version: Any) -> BioPair:
    client, server = contexts(client_mod, server_mod, pki)
    client.maximum_version = version
    pair = BioPair(client, server)
    pair.handshake()
    return pair


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("client_mod", "server_mod"), [(ssl, cytls), (cytls, ssl)])
def test_tls_unique_matches_the_ssl_module(
    client_mod: ModuleType, server_mod: ModuleType, pki: Pki, version: Any
) -> None:
    pair = _pair(client_mod, server_mod, pki, version)
    client_value = pair.client.get_channel_binding("tls-unique")
    server_value = pair.server.get_channel_binding()
    assert client_value is not None and len(client_value) >= 12
    assert client_value == server_value


@pytest.mark.parametrize("version", VERSIONS)
def test_tls_unique_differs_per_connection(mod: ModuleType, pki: Pki, version: Any) -> None:
    first = _pair(mod, mod, pki, version).client.get_channel_binding()
    second = _pair(mod, mod, pki, version).client.get_channel_binding()
    assert first != second


def test_channel_binding_before_handshake_and_unknown_type(mod: ModuleType, pki: Pki) -> None:
    client, server = contexts(mod, mod, pki)
    pair = BioPair(client, server)
    assert pair.client.get_channel_binding() is None
    with pytest.raises(ValueError, match="'nope' channel binding type not implemented"):
        pair.client.get_channel_binding("nope")


def test_tls_exporter_is_a_cytls_addition(pki: Pki) -> None:
    """The ssl module knows only tls-unique; cytls adds tls-exporter."""
    assert "tls-exporter" not in ssl.CHANNEL_BINDING_TYPES
    with pytest.raises(ValueError):
        _pair(ssl, ssl, pki, ssl.TLSVersion.TLSv1_3).client.get_channel_binding("tls-exporter")
    pair = _pair(cytls, cytls, pki, ssl.TLSVersion.TLSv1_3)
    value = pair.client.get_channel_binding("tls-exporter")
    assert value is not None and len(value) == 32
    assert pair.server.get_channel_binding("tls-exporter") == value


@pytest.mark.parametrize("version", VERSIONS)
def test_tls_exporter_matches_pyopenssl(pki: Pki, version: Any) -> None:
    """RFC 9266 §2: the exporter with label "EXPORTER-Channel-Binding", an
    empty context and 32 bytes, as pyOpenSSL's OpenSSL computes it."""
    pytest.importorskip("OpenSSL")
    from OpenSSL import SSL

    sctx = SSL.Context(SSL.TLS_METHOD)
    sctx.use_certificate_file(pki.path("cert.pem"))
    sctx.use_privatekey_file(pki.path("key.pem"))
    peer = SSL.Connection(sctx, None)
    peer.set_accept_state()
    client = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(client)
    client.maximum_version = version
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client.wrap_bio(incoming, outgoing, server_hostname="localhost")
    for _ in range(10):
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        peer.bio_write(outgoing.read())
        try:
            peer.do_handshake()
        except SSL.WantReadError:
            pass
        try:
            incoming.write(peer.bio_read(65536))
        except SSL.WantReadError:
            pass
    assert obj.version() == ("TLSv1.3" if version == ssl.TLSVersion.TLSv1_3 else "TLSv1.2")
    rest = outgoing.read()  # TLS 1.3: the client's Finished
    if rest:
        peer.bio_write(rest)
        try:
            peer.do_handshake()
        except SSL.WantReadError:
            pass
    theirs = peer.export_keying_material(b"EXPORTER-Channel-Binding", 32, b"")
    assert obj.get_channel_binding("tls-exporter") == theirs
