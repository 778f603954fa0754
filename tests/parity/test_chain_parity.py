"""Parity: the certificate chain each side sends and the peer's verified
chain, ssl module vs cytls (issue 13, items 7 and 13).

OpenSSL completes a chain loaded as a lone leaf from the context's own trust
store, the anchor included (SSL_MODE_NO_AUTO_CHAIN is not set by the ssl
module); a chain loaded with its intermediates is sent as loaded. The peer's
unverified chain (what was sent) and verified chain (leaf to anchor) are
compared, over the handshake and over post-handshake authentication.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import trustme
from parity_helpers import BioPair, Pki, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]

MODS = [ssl, cytls]


def _der(chain: list[Any]) -> list[bytes]:
    """DER of each certificate (3.11's _sslobj gives _ssl.Certificate objects)."""
    import _ssl

    return [c if isinstance(c, bytes) else c.public_bytes(_ssl.ENCODING_DER) for c in chain]


def _chains(obj: Any) -> tuple[list[bytes], list[bytes]]:
    inner = obj._sslobj
    return _der(inner.get_unverified_chain()), _der(inner.get_verified_chain())


@pytest.fixture(scope="module")
def tiers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A root, an intermediate, leaves under each, and files for them."""
    d: Path = tmp_path_factory.mktemp("tiers")
    root = trustme.CA()
    inter = root.create_child_ca()
    server_leaf = inter.issue_cert("localhost")
    client_leaf = inter.issue_cert("client@example.com")
    direct_client = root.issue_cert("direct@example.com")
    for name, leaf in (("server", server_leaf), ("client", client_leaf), ("direct", direct_client)):
        leaf.cert_chain_pems[0].write_to_path(d / f"{name}_leaf.pem")
        leaf.private_key_pem.write_to_path(d / f"{name}_key.pem")
    root.cert_pem.write_to_path(d / "root.pem")
    (d / "root_and_inter.pem").write_bytes(root.cert_pem.bytes() + inter.cert_pem.bytes())
    return {"dir": d, "root": root, "inter": inter}


@pytest.mark.parametrize("client_mod", MODS, ids=["ssl_client", "cytls_client"])
@pytest.mark.parametrize("server_mod", MODS, ids=["ssl_server", "cytls_server"])
def test_leaf_only_server_sends_the_chain_from_its_store(
    tiers: dict[str, Any], client_mod: ModuleType, server_mod: ModuleType
) -> None:
    d = tiers["dir"]
    server = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(d / "server_leaf.pem", d / "server_key.pem")
    server.load_verify_locations(d / "root_and_inter.pem")  # the intermediate is only here
    client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(d / "root.pem")
    pair = BioPair(client, server)
    pair.handshake()
    sent, verified = _chains(pair.client)
    assert len(sent) == 3  # leaf, intermediate, root: as OpenSSL builds it
    assert verified == sent


@pytest.mark.parametrize("client_mod", MODS, ids=["ssl_client", "cytls_client"])
def test_leaf_only_server_without_the_issuer_sends_the_leaf(
    tiers: dict[str, Any], pki: Pki, client_mod: ModuleType
) -> None:
    results = []
    for server_mod in MODS:
        d = tiers["dir"]
        server = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(d / "server_leaf.pem", d / "server_key.pem")
        server.load_verify_locations(pki.path("ca.pem"))  # an unrelated CA
        client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(d / "root_and_inter.pem")
        pair = BioPair(client, server)
        pair.handshake()
        results.append([len(c) for c in _chains(pair.client)])
    assert results[1] == results[0] == [1, 3]


def _pha_pair(
    client_mod: ModuleType, server_mod: ModuleType, tiers: dict[str, Any], leaf: str, pha: bool
) -> BioPair:
    d = tiers["dir"]
    server = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tiers["root"].issue_cert("localhost").configure_cert(server)
    server.load_verify_locations(d / "root.pem")
    server.verify_mode = ssl.CERT_REQUIRED
    server.post_handshake_auth = pha
    client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(d / "root_and_inter.pem")
    client.load_cert_chain(d / f"{leaf}_leaf.pem", d / f"{leaf}_key.pem")
    client.post_handshake_auth = True
    pair = BioPair(client, server)
    pair.handshake()
    if pha:
        pair.server.verify_client_post_handshake()
        pair.server.write(b"ping")
        pair.pump()
        assert pair.client.read() == b"ping"
        pair.pump()
        with pytest.raises(ssl.SSLWantReadError):
            pair.server.read()
    return pair


@pytest.mark.parametrize("pha", [True, False], ids=["post_handshake", "in_handshake"])
@pytest.mark.parametrize("leaf", ["client", "direct"])
@pytest.mark.parametrize("client_mod", MODS, ids=["ssl_client", "cytls_client"])
def test_client_chain_seen_by_the_server(
    tiers: dict[str, Any], client_mod: ModuleType, leaf: str, pha: bool
) -> None:
    """The client loaded only its leaf; what the server sees (sent and
    verified), in the handshake and after post-handshake authentication,
    is the same for either server module."""
    results = []
    for server_mod in MODS:
        pair = _pha_pair(client_mod, server_mod, tiers, leaf, pha)
        sent, verified = _chains(pair.server)
        results.append((sent, verified))
        assert pair.server.getpeercert()["subjectAltName"][0][0] == "email"
    assert [len(c) for c in results[0]] == ([3, 3] if leaf == "client" else [2, 2])
    assert [len(c) for c in results[1]] == [len(c) for c in results[0]]


def test_required_certificate_not_sent_after_pha(tiers: dict[str, Any]) -> None:
    """The server fails with PEER_DID_NOT_RETURN_A_CERTIFICATE and the
    client reads TLSV13_ALERT_CERTIFICATE_REQUIRED, for every pairing."""
    outcomes = []
    for client_mod in MODS:
        for server_mod in MODS:
            d = tiers["dir"]
            server = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tiers["root"].issue_cert("localhost").configure_cert(server)
            server.load_verify_locations(d / "root.pem")
            server.verify_mode = ssl.CERT_REQUIRED
            server.post_handshake_auth = True
            client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            client.load_verify_locations(d / "root.pem")
            client.post_handshake_auth = True
            pair = BioPair(client, server)
            pair.handshake()
            pair.server.verify_client_post_handshake()
            pair.server.write(b"ping")
            pair.pump()
            assert pair.client.read() == b"ping"
            pair.pump()
            with pytest.raises(ssl.SSLError) as server_error:
                pair.server.read()
            pair.pump()
            with pytest.raises(ssl.SSLError) as client_error:
                pair.client.read()
            outcomes.append(
                (
                    server_error.value.reason,
                    str(server_error.value).split(" (_ssl.c:")[0],
                    client_error.value.reason,
                    str(client_error.value).split(" (_ssl.c:")[0],
                )
            )
    assert outcomes == [outcomes[0]] * 4
    assert outcomes[0] == (
        "PEER_DID_NOT_RETURN_A_CERTIFICATE",
        "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required",
    )


@pytest.mark.parametrize("server_mod", MODS, ids=["ssl_server", "cytls_server"])
def test_pha_to_a_client_that_did_not_offer_it(
    tiers: dict[str, Any], server_mod: ModuleType
) -> None:
    for client_mod in MODS:
        d = tiers["dir"]
        server = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tiers["root"].issue_cert("localhost").configure_cert(server)
        server.verify_mode = ssl.CERT_REQUIRED
        server.post_handshake_auth = True
        server.load_verify_locations(d / "root.pem")
        client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(d / "root.pem")
        pair = BioPair(client, server)
        pair.handshake()
        with pytest.raises(ssl.SSLError) as info:
            pair.server.verify_client_post_handshake()
        assert str(info.value).startswith("[SSL: EXTENSION_NOT_RECEIVED] extension not received")
