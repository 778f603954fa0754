"""Interop of the cytls TLS 1.3 engine with pyOpenSSL over cryptography's
bundled OpenSSL (4.x), in memory: the peer that speaks the hybrid
post-quantum group X25519MLKEM768.

Owns: both directions over every suite x {X25519MLKEM768, X25519, P-256,
P-384}; the default configurations on both sides agreeing on
X25519MLKEM768 with no retry; HelloRetryRequest into and out of the hybrid
group; ECDSA, RSA and Ed25519 server certificates; client certificates
(present, missing when required); ALPN; exporter agreement; KeyUpdate asked
by cytls; untrusted peers. Groups are set through
SSL_CTX_set1_curves_list (the alias of SSL_CTX_set1_groups_list), which
pyOpenSSL binds but does not wrap.
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from peers import P256, P384, SUITES, X25519, X25519MLKEM768, PKIFiles
from pyopenssl_peer import Peer, exchange, run
from tls_helpers import client_config, pki, server_config

from cytls._connection import Connection
from cytls._wire.alerts import TLSAlert
from cytls._wire.events import KeyUpdated

pytestmark = [pytest.mark.interop, pytest.mark.timeout(30)]

GROUPS = [X25519MLKEM768, X25519, P256, P384]
GROUP_IDS = ["x25519mlkem768", "x25519", "p256", "p384"]
# Names for SSL_CTX_set1_groups_list, and what SSL_get0_group_name reports.
OPENSSL_GROUP = {X25519MLKEM768: "X25519MLKEM768", X25519: "X25519", P256: "P-256", P384: "P-384"}
REPORTED_GROUP = {
    X25519MLKEM768: "X25519MLKEM768",
    X25519: "x25519",
    P256: "secp256r1",
    P384: "secp384r1",
}


@pytest.fixture(scope="module")
def SSL(pyopenssl: Any) -> Any:
    """OpenSSL.SSL, once the bundled OpenSSL is known to speak X25519MLKEM768."""
    from OpenSSL._util import lib

    ctx = pyopenssl.Context(pyopenssl.TLS_METHOD)
    if lib.SSL_CTX_set1_curves_list(ctx._context, b"X25519MLKEM768") != 1:
        pytest.fail("cryptography's OpenSSL does not know X25519MLKEM768")
    return pyopenssl


def set_groups(ctx: Any, groups: list[int]) -> None:
    from OpenSSL._util import lib

    names = ":".join(OPENSSL_GROUP[g] for g in groups).encode()
    assert lib.SSL_CTX_set1_curves_list(ctx._context, names) == 1


def make_ctx(
    SSL: Any,
    files: PKIFiles,
    *,
    server: bool,
    suites: list[int] | None = None,
    groups: list[int] | None = None,
    cert: bool | None = None,
    verify: bool = False,
    alpn: list[bytes] | None = None,
    ca: str | None = None,
) -> Any:
    """A TLS 1.3-only pyOpenSSL context; `cert` defaults to `server`."""
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
    if suites:
        ctx.set_tls13_ciphersuites(":".join(SUITES[s] for s in suites).encode())
    if groups:
        set_groups(ctx, groups)
    if cert if cert is not None else server:
        ctx.use_certificate_chain_file(files.chain if server else files.client_chain)
        ctx.use_privatekey_file(files.key if server else files.client_key)
    ctx.load_verify_locations(ca or files.ca)
    if verify or not server:
        mode = SSL.VERIFY_PEER | (SSL.VERIFY_FAIL_IF_NO_PEER_CERT if server else 0)
        ctx.set_verify(mode, lambda conn, cert, errno, depth, ok: bool(ok))
    if alpn:
        if server:
            ctx.set_alpn_select_callback(
                lambda conn, offered: next(
                    (p for p in alpn if p in offered), SSL.NO_OVERLAPPING_PROTOCOLS
                )
            )
        else:
            ctx.set_alpn_protos(alpn)
    return ctx


def exporter_agrees(conn: Connection, peer: Peer) -> None:
    ours = conn.export_keying_material(b"EXPERIMENTER", b"ctx", 32)
    assert peer.obj.export_keying_material(b"EXPERIMENTER", 32, b"ctx") == ours


def steps(conn: Connection) -> list[str]:
    return [t.step for t in conn.trace]


# ======================================================== both directions


@pytest.mark.parametrize("group", GROUPS, ids=GROUP_IDS)
@pytest.mark.parametrize("suite", list(SUITES), ids=list(SUITES.values()))
def test_cytls_client_pyopenssl_server(
    SSL: Any, pki_files: dict[str, PKIFiles], suite: int, group: int
) -> None:
    peer = Peer(
        SSL, make_ctx(SSL, pki_files["p256"], server=True, suites=[suite], groups=[group]), True
    )
    conn = Connection(client_config(key_share_groups=[group]))
    run(conn, peer)
    assert peer.done and conn.handshake_complete
    assert conn.cipher_suite == suite and conn.group == group
    assert "receive HelloRetryRequest" not in steps(conn)
    assert peer.obj.get_cipher_name() == SUITES[suite]
    assert peer.obj.get_protocol_version_name() == "TLSv1.3"
    assert peer.obj.get_group_name() == REPORTED_GROUP[group]
    assert peer.obj.get_servername() == b"localhost"
    exporter_agrees(conn, peer)
    exchange(conn, peer)


@pytest.mark.parametrize("group", GROUPS, ids=GROUP_IDS)
@pytest.mark.parametrize("suite", list(SUITES), ids=list(SUITES.values()))
def test_pyopenssl_client_cytls_server(
    SSL: Any, pki_files: dict[str, PKIFiles], suite: int, group: int
) -> None:
    ctx = make_ctx(SSL, pki_files["p256"], server=False, suites=[suite], groups=[group])
    peer = Peer(SSL, ctx, False, "localhost")
    conn = Connection(server_config())
    peer.step()
    conn.receive_data(peer.pull())
    run(conn, peer)
    assert peer.done and conn.handshake_complete
    assert conn.cipher_suite == suite and conn.group == group
    assert "send HelloRetryRequest" not in steps(conn)
    assert peer.obj.get_cipher_name() == SUITES[suite]
    assert peer.obj.get_group_name() == REPORTED_GROUP[group]
    assert conn.server_name == "localhost"
    chain = [c.subject.rfc4514_string() for c in peer.obj.get_verified_chain(as_cryptography=True)]
    assert chain == ["CN=localhost", "CN=cytls test intermediate", "CN=cytls test root"]
    exporter_agrees(conn, peer)
    exchange(conn, peer)


def test_default_configs_agree_on_x25519mlkem768(SSL: Any, pki_files: dict[str, PKIFiles]) -> None:
    """cytls's defaults and OpenSSL 4's defaults meet on the hybrid group at
    the first flight, in both directions."""
    peer = Peer(SSL, make_ctx(SSL, pki_files["p256"], server=True), True)
    conn = Connection(client_config())
    run(conn, peer)
    assert conn.group == X25519MLKEM768 and peer.obj.get_group_name() == "X25519MLKEM768"
    assert "receive HelloRetryRequest" not in steps(conn)
    exchange(conn, peer)

    peer = Peer(SSL, make_ctx(SSL, pki_files["p256"], server=False), False, "localhost")
    conn = Connection(server_config())
    peer.step()
    conn.receive_data(peer.pull())
    run(conn, peer)
    assert conn.group == X25519MLKEM768 and peer.obj.get_group_name() == "X25519MLKEM768"
    assert "send HelloRetryRequest" not in steps(conn)
    exchange(conn, peer)


@pytest.mark.parametrize("server_group", [X25519MLKEM768, P384])
def test_cytls_client_pyopenssl_hello_retry_request(
    SSL: Any, pki_files: dict[str, PKIFiles], server_group: int
) -> None:
    peer = Peer(SSL, make_ctx(SSL, pki_files["p256"], server=True, groups=[server_group]), True)
    conn = Connection(client_config(key_share_groups=[X25519]))
    run(conn, peer)
    assert conn.group == server_group
    assert peer.obj.get_group_name() == REPORTED_GROUP[server_group]
    assert "receive HelloRetryRequest" in steps(conn)
    exchange(conn, peer, 1000)


@pytest.mark.parametrize("server_group", [X25519MLKEM768, P384])
def test_pyopenssl_client_hello_retry_request(
    SSL: Any, pki_files: dict[str, PKIFiles], server_group: int
) -> None:
    """The client shares X25519 only (the first of its list); the cytls
    server asks for the group it wants."""
    ctx = make_ctx(SSL, pki_files["p256"], server=False, groups=[X25519, X25519MLKEM768, P384])
    peer = Peer(SSL, ctx, False, "localhost")
    conn = Connection(server_config(groups=[server_group]))
    peer.step()
    conn.receive_data(peer.pull())
    run(conn, peer)
    assert conn.group == server_group
    assert peer.obj.get_group_name() == REPORTED_GROUP[server_group]
    assert "send HelloRetryRequest" in steps(conn)
    exchange(conn, peer, 1000)


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa", "ed25519"])
def test_certificate_kinds_both_ways(SSL: Any, pki_dir: Any, kind: str) -> None:
    from peers import write_pki

    files = write_pki(pki_dir, kind)
    p = pki(kind)
    peer = Peer(SSL, make_ctx(SSL, files, server=True), True)
    conn = Connection(client_config(kind))
    run(conn, peer)
    assert conn.verified_chain == [p.leaf, p.inter, p.root]
    exchange(conn, peer, 1000)

    peer = Peer(SSL, make_ctx(SSL, files, server=False), False, "localhost")
    conn = Connection(server_config(kind))
    peer.step()
    conn.receive_data(peer.pull())
    run(conn, peer)
    assert peer.done and conn.handshake_complete
    assert peer.obj.get_peer_certificate(as_cryptography=True) == p.leaf
    exchange(conn, peer, 1000)


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_client_certificates_both_ways(SSL: Any, pki_files: dict[str, PKIFiles], kind: str) -> None:
    p = pki(kind)
    files = pki_files[kind]
    # cytls client -> pyOpenSSL server that requires a certificate.
    peer = Peer(SSL, make_ctx(SSL, files, server=True, verify=True), True)
    conn = Connection(
        client_config(kind, certificate_chain=p.client_chain, private_key=p.client_key)
    )
    run(conn, peer)
    assert conn.client_auth_requested and peer.done
    assert peer.obj.get_peer_certificate(as_cryptography=True) == p.client
    verified = peer.obj.get_verified_chain(as_cryptography=True)
    assert verified == [p.client, p.inter, p.root]
    exchange(conn, peer, 1000)

    # pyOpenSSL client with a certificate -> cytls server that requires one.
    peer = Peer(SSL, make_ctx(SSL, files, server=False, cert=True), False, "localhost")
    conn = Connection(server_config(kind, verify_mode=2))
    peer.step()
    conn.receive_data(peer.pull())
    run(conn, peer)
    assert conn.handshake_complete and conn.verified_chain == [p.client, p.inter, p.root]
    exchange(conn, peer, 1000)


def test_missing_client_certificate_both_ways(SSL: Any, pki_files: dict[str, PKIFiles]) -> None:
    files = pki_files["p256"]
    peer = Peer(SSL, make_ctx(SSL, files, server=True, verify=True), True)
    conn = Connection(client_config())
    with pytest.raises(TLSAlert) as info:
        run(conn, peer)
    assert info.value.received and info.value.description == 116  # certificate_required
    assert "peer did not return a certificate" in str(peer.error)

    peer = Peer(SSL, make_ctx(SSL, files, server=False), False, "localhost")
    conn = Connection(server_config(verify_mode=2))
    peer.step()
    conn.receive_data(peer.pull())
    with pytest.raises(TLSAlert) as info:
        run(conn, peer)
    assert info.value.description == 116 and not info.value.received
    peer.obj.bio_write(conn.data_to_send())
    with pytest.raises(SSL.Error, match=r"(?i)certificate required"):
        peer.obj.recv(1)


def test_alpn_both_ways(SSL: Any, pki_files: dict[str, PKIFiles]) -> None:
    files = pki_files["p256"]
    peer = Peer(SSL, make_ctx(SSL, files, server=True, alpn=[b"http/1.1", b"h2"]), True)
    conn = Connection(client_config(alpn_protocols=["h2", "http/1.1"]))
    run(conn, peer)
    assert conn.alpn_protocol == "http/1.1"
    assert peer.obj.get_alpn_proto_negotiated() == b"http/1.1"

    peer = Peer(
        SSL, make_ctx(SSL, files, server=False, alpn=[b"h2", b"http/1.1"]), False, "localhost"
    )
    conn = Connection(server_config(alpn_protocols=["h2"]))
    peer.step()
    conn.receive_data(peer.pull())
    run(conn, peer)
    assert conn.alpn_protocol == "h2" and peer.obj.get_alpn_proto_negotiated() == b"h2"
    exchange(conn, peer, 100)


@pytest.mark.parametrize("cytls_role", ["client", "server"])
def test_key_update_requested_by_cytls(
    SSL: Any, pki_files: dict[str, PKIFiles], cytls_role: str
) -> None:
    files = pki_files["p256"]
    if cytls_role == "client":
        peer = Peer(SSL, make_ctx(SSL, files, server=True), True)
        conn = Connection(client_config())
    else:
        peer = Peer(SSL, make_ctx(SSL, files, server=False), False, "localhost")
        conn = Connection(server_config())
        peer.step()
        conn.receive_data(peer.pull())
    run(conn, peer)
    exchange(conn, peer, 1000)
    for _ in range(3):
        conn.update_key(request_peer=True)
        # OpenSSL processes our KeyUpdate with the data that follows and
        # answers (update_not_requested) ahead of its own next data.
        events = exchange(conn, peer, 1000)
        assert events[0] == KeyUpdated(update_requested=False), events
    conn.update_key(request_peer=False)
    assert KeyUpdated(update_requested=False) not in exchange(conn, peer, 1000)


def test_cytls_client_rejects_untrusted_pyopenssl_server(
    SSL: Any, pki_files: dict[str, PKIFiles]
) -> None:
    peer = Peer(SSL, make_ctx(SSL, pki_files["untrusted"], server=True), True)
    conn = Connection(client_config())
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        run(conn, peer)
    exc: Any = info.value
    assert exc.verify_code == 20 and exc.description == 48
    peer.obj.bio_write(conn.data_to_send())
    peer.step()
    assert "tlsv1 alert unknown ca" in str(peer.error)


def test_pyopenssl_client_rejects_untrusted_cytls_server(
    SSL: Any, pki_files: dict[str, PKIFiles]
) -> None:
    ctx = make_ctx(SSL, pki_files["p256"], server=False, ca=pki_files["untrusted"].ca)
    peer = Peer(SSL, ctx, False, "localhost")
    conn = Connection(server_config())
    peer.step()
    conn.receive_data(peer.pull())
    with pytest.raises(TLSAlert) as info:
        run(conn, peer)
    assert "certificate verify failed" in str(peer.error)
    assert info.value.received and info.value.description == 48
