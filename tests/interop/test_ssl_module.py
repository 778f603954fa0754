"""Interop of the cytls TLS 1.3 engine with the ssl module (system OpenSSL).

Owns: in-memory (MemoryBIO) runs in both directions over every suite,
every group the ssl module speaks, ECDSA, RSA and Ed25519 certificates,
with and without client certificates, HelloRetryRequest both ways, ALPN,
KeyUpdate, close_notify, key log agreement, and one run over loopback
sockets.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from tls_helpers import client_config, key_pem, pair, pem, pki, server_config

from cytls._connection import Connection
from cytls._wire.alerts import TLSAlert
from cytls._wire.events import ConnectionClosed

pytestmark = pytest.mark.interop

SUITES = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
}
GROUPS = {0x001D: "X25519", 0x0017: "prime256v1", 0x0018: "secp384r1"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("pki")
    out: dict[str, str] = {}
    for kind in ("p256", "rsa", "ed25519"):
        p = pki(kind)
        (d / f"{kind}-chain.pem").write_bytes(pem(p.leaf) + pem(p.inter))
        (d / f"{kind}-key.pem").write_bytes(key_pem(p.leaf_key))
        (d / f"{kind}-client.pem").write_bytes(pem(p.client) + pem(p.inter))
        (d / f"{kind}-client-key.pem").write_bytes(key_pem(p.client_key))
        (d / f"{kind}-ca.pem").write_bytes(pem(p.root))
        for name in ("chain", "key", "client", "client-key", "ca"):
            out[f"{kind}-{name}"] = str(d / f"{kind}-{name}.pem")
    return out


def ssl_server_ctx(files: dict[str, str], kind: str = "p256", **kw: Any) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files[f"{kind}-chain"], files[f"{kind}-key"])
    if kw.get("require_client_cert"):
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(files[f"{kind}-ca"])
    if "curve" in kw:
        ctx.set_ecdh_curve(kw["curve"])
    if "alpn" in kw:
        ctx.set_alpn_protocols(kw["alpn"])
    if "keylog" in kw:
        ctx.keylog_filename = kw["keylog"]
    return ctx


def ssl_client_ctx(files: dict[str, str], kind: str = "p256", **kw: Any) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(files[f"{kind}-ca"])
    if kw.get("client_cert"):
        ctx.load_cert_chain(files[f"{kind}-client"], files[f"{kind}-client-key"])
    if "curve" in kw:
        ctx.set_ecdh_curve(kw["curve"])
    if "alpn" in kw:
        ctx.set_alpn_protocols(kw["alpn"])
    return ctx


class Peer:
    """An ssl module SSLObject over MemoryBIOs."""

    def __init__(self, ctx: ssl.SSLContext, server: bool, hostname: str | None = None) -> None:
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=server, server_hostname=hostname)
        self.done = False
        self.error: ssl.SSLError | None = None

    def step(self) -> None:
        if not self.done and self.error is None:
            try:
                self.obj.do_handshake()
                self.done = True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as exc:
                self.error = exc


def run(conn: Connection, peer: Peer, rounds: int = 12) -> None:
    """Move bytes between a cytls Connection and an ssl peer until quiet."""
    conn.start_handshake()
    for _ in range(rounds):
        data = conn.data_to_send()
        if data:
            peer.inc.write(data)
        peer.step()
        if peer.done:
            try:
                peer.obj.read(0)
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                pass
        back = peer.out.read()
        if back:
            conn.receive_data(back)
        if not data and not back and (peer.done or peer.error):
            return


def exchange(conn: Connection, peer: Peer, payload: bytes) -> None:
    conn.send_application_data(payload)
    peer.inc.write(conn.data_to_send())
    assert peer.obj.read(len(payload) + 10) == payload
    peer.obj.write(payload[::-1])
    conn.receive_data(peer.out.read())
    assert conn.read_application_data() == payload[::-1]


@pytest.mark.parametrize("suite", list(SUITES))
@pytest.mark.parametrize("group", list(GROUPS))
def test_cytls_client_ssl_server(files: dict[str, str], suite: int, group: int) -> None:
    peer = Peer(ssl_server_ctx(files), server=True)
    conn = Connection(
        client_config(cipher_suites=[suite], groups=[group], key_share_groups=[group])
    )
    run(conn, peer)
    assert conn.handshake_complete and peer.done
    assert peer.obj.cipher()[0] == SUITES[suite]
    assert conn.cipher_suite == suite and conn.group == group
    exchange(conn, peer, b"hello from cytls" * 100)


@pytest.mark.parametrize("suite", list(SUITES))
@pytest.mark.parametrize("group", list(GROUPS))
def test_ssl_client_cytls_server(files: dict[str, str], suite: int, group: int) -> None:
    peer = Peer(ssl_client_ctx(files, curve=GROUPS[group]), server=False, hostname="localhost")
    conn = Connection(server_config(cipher_suites=[suite]))
    peer.step()
    conn.receive_data(peer.out.read())
    run(conn, peer)
    assert peer.done and conn.handshake_complete
    assert peer.obj.cipher()[0] == SUITES[suite]
    assert conn.group == group
    exchange(conn, peer, bytes(range(256)) * 40)


@pytest.mark.parametrize("kind", ["p256", "rsa", "ed25519"])
def test_certificate_kinds_both_ways(files: dict[str, str], kind: str) -> None:
    peer = Peer(ssl_server_ctx(files, kind), server=True)
    conn = Connection(client_config(kind))
    run(conn, peer)
    assert conn.handshake_complete and len(conn.verified_chain) == 3
    exchange(conn, peer, b"x")

    peer = Peer(ssl_client_ctx(files, kind), server=False, hostname="localhost")
    conn = Connection(server_config(kind))
    peer.step()
    conn.receive_data(peer.out.read())
    run(conn, peer)
    assert peer.done and conn.handshake_complete
    assert peer.obj.getpeercert()["subject"] == ((("commonName", "localhost"),),)


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_client_certificate_to_ssl_server(files: dict[str, str], kind: str) -> None:
    p = pki(kind)
    peer = Peer(ssl_server_ctx(files, kind, require_client_cert=True), server=True)
    conn = Connection(
        client_config(kind, certificate_chain=p.client_chain, private_key=p.client_key)
    )
    run(conn, peer)
    assert conn.handshake_complete and conn.client_auth_requested
    exchange(conn, peer, b"authenticated")
    assert peer.obj.getpeercert()["subject"] == ((("commonName", "client.example"),),)


def test_ssl_server_requires_cert_cytls_has_none(files: dict[str, str]) -> None:
    peer = Peer(ssl_server_ctx(files, require_client_cert=True), server=True)
    conn = Connection(client_config())
    # The client finishes its side (TLS 1.3 client auth is checked by the
    # server after the client's Finished), then learns of the refusal.
    with pytest.raises(TLSAlert) as info:
        run(conn, peer)
    assert info.value.received and info.value.description == 116  # certificate_required
    assert "PEER_DID_NOT_RETURN_A_CERTIFICATE" in str(peer.error)


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_ssl_client_certificate_to_cytls_server(files: dict[str, str], kind: str) -> None:
    p = pki(kind)
    peer = Peer(ssl_client_ctx(files, kind, client_cert=True), server=False, hostname="localhost")
    conn = Connection(server_config(kind, verify_mode=2))
    peer.step()
    conn.receive_data(peer.out.read())
    run(conn, peer)
    assert conn.handshake_complete
    assert conn.peer_certificates[0] == p.client
    assert len(conn.verified_chain) == 3


def test_cytls_server_requires_cert_ssl_client_has_none(files: dict[str, str]) -> None:
    peer = Peer(ssl_client_ctx(files), server=False, hostname="localhost")
    conn = Connection(server_config(verify_mode=2))
    peer.step()
    conn.receive_data(peer.out.read())
    with pytest.raises(TLSAlert) as info:
        run(conn, peer)
    assert info.value.description == 116 and not info.value.received
    peer.inc.write(conn.data_to_send())
    with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED"):
        peer.obj.read(10)


def test_hello_retry_cytls_client(files: dict[str, str]) -> None:
    peer = Peer(ssl_server_ctx(files, curve="prime256v1"), server=True)
    conn = Connection(client_config(groups=[0x001D, 0x0017], key_share_groups=[0x001D]))
    run(conn, peer)
    assert conn.handshake_complete and conn.group == 0x0017
    assert "receive HelloRetryRequest" in [t.step for t in conn.trace]
    exchange(conn, peer, b"after retry")


def test_hello_retry_cytls_server(files: dict[str, str]) -> None:
    # The ssl client sends an X25519 share; this server accepts only P-384.
    peer = Peer(ssl_client_ctx(files), server=False, hostname="localhost")
    conn = Connection(server_config(groups=[0x0018]))
    peer.step()
    conn.receive_data(peer.out.read())
    run(conn, peer)
    assert peer.done and conn.handshake_complete and conn.group == 0x0018
    assert "send HelloRetryRequest" in [t.step for t in conn.trace]
    exchange(conn, peer, b"after retry")


def test_alpn_both_ways(files: dict[str, str]) -> None:
    peer = Peer(ssl_server_ctx(files, alpn=["h2", "http/1.1"]), server=True)
    conn = Connection(client_config(alpn_protocols=["http/1.1", "h2"]))
    run(conn, peer)
    assert conn.alpn_protocol == peer.obj.selected_alpn_protocol()

    peer = Peer(ssl_client_ctx(files, alpn=["h2", "http/1.1"]), server=False, hostname="localhost")
    conn = Connection(server_config(alpn_protocols=["http/1.1"]))
    peer.step()
    conn.receive_data(peer.out.read())
    run(conn, peer)
    assert conn.alpn_protocol == "http/1.1" == peer.obj.selected_alpn_protocol()


def test_alpn_mismatch_ssl_client(files: dict[str, str]) -> None:
    """With alpn_strict, the RFC 7301 alert (the default goes on without ALPN)."""
    peer = Peer(ssl_client_ctx(files, alpn=["h2"]), server=False, hostname="localhost")
    conn = Connection(server_config(alpn_protocols=["http/1.1"], alpn_strict=True))
    peer.step()
    with pytest.raises(TLSAlert) as info:
        conn.receive_data(peer.out.read())
    assert info.value.description == 120  # no_application_protocol
    peer.inc.write(conn.data_to_send())
    with pytest.raises(ssl.SSLError, match="no application protocol"):
        peer.obj.do_handshake()


def test_key_update_with_ssl_peer(files: dict[str, str]) -> None:
    peer = Peer(ssl_server_ctx(files), server=True)
    conn = Connection(client_config())
    run(conn, peer)
    for _ in range(3):
        conn.update_key(request_peer=True)
        exchange(conn, peer, b"new keys")
        # OpenSSL answered update_requested with its own KeyUpdate, which
        # the exchange above decrypted with our updated read key.
    assert [t.step for t in conn.trace].count("receive KeyUpdate") == 3


def test_close_notify_both_ways(files: dict[str, str]) -> None:
    peer = Peer(ssl_server_ctx(files), server=True)
    conn = Connection(client_config())
    run(conn, peer)
    conn.close()
    peer.inc.write(conn.data_to_send())
    peer.obj.unwrap()  # reads our close_notify and sends its own
    events = conn.receive_data(peer.out.read())
    assert any(isinstance(e, ConnectionClosed) for e in events) and conn.peer_closed


def test_keylog_matches_openssl(files: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "openssl.keylog"
    peer = Peer(ssl_server_ctx(files, keylog=str(log)), server=True)
    lines: list[str] = []
    conn = Connection(client_config(keylog=lines.append))
    run(conn, peer)
    theirs = {ln for ln in log.read_text().splitlines() if ln and not ln.startswith("#")}
    assert set(lines) == theirs and len(lines) == 5


def test_verification_failure_against_ssl_server(files: dict[str, str]) -> None:
    peer = Peer(ssl_server_ctx(files), server=True)
    conn = Connection(client_config(server_hostname="wrong.example"))
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        run(conn, peer)
    assert info.value.verify_code == 62
    assert (
        info.value.verify_message
        == "Hostname mismatch, certificate is not valid for 'wrong.example'."
    )


def test_tls12_only_ssl_server_gets_protocol_version(files: dict[str, str]) -> None:
    ctx = ssl_server_ctx(files)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    peer = Peer(ctx, server=True)
    conn = Connection(client_config(min_version=0x0304))
    with pytest.raises(TLSAlert) as info:
        run(conn, peer)
    assert info.value.description == 70  # protocol_version


def test_tls12_only_ssl_client_gets_protocol_version(files: dict[str, str]) -> None:
    ctx = ssl_client_ctx(files)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    peer = Peer(ctx, server=False, hostname="localhost")
    conn = Connection(server_config(min_version=0x0304))
    peer.step()
    with pytest.raises(TLSAlert) as info:
        conn.receive_data(peer.out.read())
    assert info.value.description == 70
    peer.inc.write(conn.data_to_send())
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
        peer.obj.do_handshake()


def test_loopback_sockets(files: dict[str, str]) -> None:
    """cytls client over a real TCP socket to an ssl module server thread."""
    ctx = ssl_server_ctx(files)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        s, _ = listener.accept()
        s.settimeout(10)
        with ctx.wrap_socket(s, server_side=True) as tls:
            data = tls.recv(1024)
            received.append(data)
            tls.sendall(data.upper())

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = Connection(client_config(server_hostname="127.0.0.1"))
    conn.start_handshake()
    while not conn.handshake_complete:
        sock.sendall(conn.data_to_send())
        chunk = sock.recv(65536)
        assert chunk, "server closed during the handshake"
        conn.receive_data(chunk)
    sock.sendall(conn.data_to_send())
    conn.send_application_data(b"over loopback")
    sock.sendall(conn.data_to_send())
    reply = b""
    while len(reply) < len(b"over loopback"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        conn.receive_data(chunk)
        reply += conn.read_application_data()
    sock.close()
    t.join(10)
    listener.close()
    assert received == [b"over loopback"] and reply == b"OVER LOOPBACK"


def test_post_handshake_auth_to_ssl_server(files: dict[str, str]) -> None:
    p = pki("p256")
    sctx = ssl_server_ctx(files)
    sctx.verify_mode = ssl.CERT_REQUIRED
    sctx.load_verify_locations(files["p256-ca"])
    sctx.post_handshake_auth = True
    peer = Peer(sctx, server=True)
    conn = Connection(
        client_config(
            post_handshake_auth=True, certificate_chain=p.client_chain, private_key=p.client_key
        )
    )
    run(conn, peer)
    assert conn.handshake_complete and not conn.client_auth_requested
    assert peer.obj.getpeercert() is None
    peer.obj.verify_client_post_handshake()
    peer.obj.write(b"who are you?")
    conn.receive_data(peer.out.read())
    assert conn.read_application_data() == b"who are you?"
    assert "send Finished (post-handshake)" in [t.step for t in conn.trace]
    conn.send_application_data(b"me")
    peer.inc.write(conn.data_to_send())
    assert peer.obj.read(10) == b"me"
    assert peer.obj.getpeercert()["subject"] == ((("commonName", "client.example"),),)


def test_post_handshake_request_not_offered_is_refused(files: dict[str, str]) -> None:
    sctx = ssl_server_ctx(files)
    sctx.verify_mode = ssl.CERT_REQUIRED
    sctx.load_verify_locations(files["p256-ca"])
    sctx.post_handshake_auth = True
    peer = Peer(sctx, server=True)
    conn = Connection(client_config())
    run(conn, peer)
    # OpenSSL refuses to ask a client that did not offer it.
    with pytest.raises(ssl.SSLError):
        peer.obj.verify_client_post_handshake()


def _bad_chains() -> dict[str, tuple[list[Any], Any, str]]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from tls_helpers import DAY, NOW, make_ca, make_key, make_leaf

    p = pki("p256")
    inter = (p.inter, p.inter_key)
    cases: dict[str, tuple[list[Any], Any, str]] = {}
    leaf, key = make_leaf(inter, not_before=NOW - 10 * DAY, not_after=NOW - DAY)
    cases["expired"] = ([leaf, p.inter], key, "localhost")
    leaf, key = make_leaf(inter, not_before=NOW + DAY, not_after=NOW + 9 * DAY)
    cases["not yet valid"] = ([leaf, p.inter], key, "localhost")
    other = pki("p384")
    cases["unknown CA"] = (other.chain, other.leaf_key, "localhost")
    cert, key = make_ca("localhost", ca=False)
    cases["self-signed"] = ([cert], key, "localhost")
    cases["hostname"] = (p.chain, p.leaf_key, "wrong.example")
    cases["ip address"] = (p.chain, p.leaf_key, "10.9.8.7")
    ku = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    leaf, key = make_leaf(inter, key_usage=ku)
    cases["key usage"] = ([leaf, p.inter], key, "localhost")
    leaf, key = make_leaf(inter, eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    cases["extended key usage"] = ([leaf, p.inter], key, "localhost")
    leaf, key = make_leaf(inter)
    der = bytearray(leaf.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 1
    cases["bad signature"] = (
        [x509.load_der_x509_certificate(bytes(der)), p.inter],
        key,
        "localhost",
    )
    from cryptography.x509.oid import ObjectIdentifier

    unknown = x509.UnrecognizedExtension(ObjectIdentifier("1.2.3.4.5"), b"\x05\x00")
    leaf, key = make_leaf(inter, extra=[(unknown, True)])
    cases["unknown critical extension"] = ([leaf, p.inter], key, "localhost")
    nc = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName("example.org")], excluded_subtrees=None
    )
    constrained = make_ca(
        "constrained", make_key("p256"), issuer=(p.root, p.root_key), extra=[(nc, True)]
    )
    leaf, key = make_leaf(constrained)
    cases["name constraints"] = ([leaf, constrained[0]], key, "localhost")
    # Issuers that are not CAs, or whose key usage forbids signing certificates.
    for label, exts in _ISSUER_VARIANTS.items():
        if label.startswith("bad:"):
            cases[label[4:]] = _chain_with_issuer(exts)
    return cases


def _ext_list(kind: str) -> list[tuple[Any, bool]]:
    from cryptography import x509

    ku_ca = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    ku_nosign = x509.KeyUsage(True, False, False, False, False, False, True, False, False)
    return {
        "bc": [(x509.BasicConstraints(ca=True, path_length=None), True)],
        "bc+ku": [(x509.BasicConstraints(ca=True, path_length=None), True), (ku_ca, True)],
        "ku": [(ku_ca, True)],
        "bc-false": [(x509.BasicConstraints(ca=False, path_length=None), True), (ku_ca, True)],
        "ku-nosign": [(x509.BasicConstraints(ca=True, path_length=None), True), (ku_nosign, True)],
    }[kind]


# Intermediate extension sets: "bad:" ones OpenSSL refuses (79), the others it accepts.
_ISSUER_VARIANTS = {
    "bad:intermediate without basicConstraints": "ku",
    "bad:intermediate with CA:FALSE": "bc-false",
    "bad:intermediate keyUsage without keyCertSign": "ku-nosign",
    "intermediate without keyUsage": "bc",
    "intermediate with neither key identifier": "bc+ku",
}


def _chain_with_issuer(kind: str) -> tuple[list[Any], Any, str]:
    """root (P-256) -> intermediate with the given extensions -> leaf, no
    key identifiers anywhere but the root's own."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    from tls_helpers import make_key

    p = pki("p256")
    now = datetime.datetime.now(datetime.UTC)
    ikey, lkey = make_key("p256"), make_key("p256")

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    b = (
        x509.CertificateBuilder()
        .subject_name(name(f"variant {kind}"))
        .issuer_name(p.root.subject)
        .public_key(ikey.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    for ext, critical in _ext_list(kind):
        b = b.add_extension(ext, critical)
    inter = b.sign(p.root_key, hashes.SHA256())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(inter.subject)
        .public_key(lkey.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
        .sign(ikey, hashes.SHA256())
    )
    return [leaf, inter], lkey, "localhost"


BAD = _bad_chains()


@pytest.mark.parametrize("variant", [v for v in _ISSUER_VARIANTS if not v.startswith("bad:")])
def test_chains_openssl_accepts_verify_here(files: dict[str, str], variant: str) -> None:
    chain, key, host = _chain_with_issuer(_ISSUER_VARIANTS[variant])
    peer = Peer(ssl_client_ctx(files), server=False, hostname=host)
    conn = Connection(server_config(certificate_chain=chain, private_key=key))
    peer.step()
    conn.receive_data(peer.out.read())
    run(conn, peer)
    assert peer.done
    c, _ = pair(
        client_config(server_hostname=host),
        server_config(certificate_chain=chain, private_key=key),
    )
    assert c.handshake_complete and len(c.verified_chain) == 3


@pytest.mark.parametrize("case", list(BAD))
def test_verify_errors_match_ssl_module(files: dict[str, str], case: str) -> None:
    """The same bad chain, verified by an ssl client and a cytls client,
    gives the same verify_code and verify_message."""
    chain, key, host = BAD[case]
    # ssl module client against a cytls server.
    conn = Connection(server_config(certificate_chain=chain, private_key=key))
    peer = Peer(ssl_client_ctx(files), server=False, hostname=host)
    peer.step()
    conn.receive_data(peer.out.read())
    peer.inc.write(conn.data_to_send())
    with pytest.raises(ssl.SSLCertVerificationError) as theirs:
        peer.obj.do_handshake()
    # cytls client against a cytls server.
    s = Connection(server_config(certificate_chain=chain, private_key=key))
    c = Connection(client_config(server_hostname=host))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    with pytest.raises(ssl.SSLCertVerificationError) as ours:
        c.receive_data(s.data_to_send())
    assert (ours.value.verify_code, ours.value.verify_message) == (
        theirs.value.verify_code,
        theirs.value.verify_message,
    )
    assert str(ours.value).split(" (_ssl")[0] == str(theirs.value).split(" (_ssl")[0]
    # And the alert OpenSSL sent is the one we send.
    with pytest.raises(TLSAlert) as sent:
        conn.receive_data(peer.out.read())
    assert sent.value.received and sent.value.description == ours.value.description


def test_post_handshake_auth_from_ssl_client(files: dict[str, str]) -> None:
    cctx = ssl_client_ctx(files, client_cert=True)
    cctx.post_handshake_auth = True
    peer = Peer(cctx, server=False, hostname="localhost")
    conn = Connection(server_config(verify_mode=0))
    peer.step()
    conn.receive_data(peer.out.read())
    run(conn, peer)
    assert conn.handshake_complete and conn.peer_certificates == []
    conn.request_client_certificate()
    conn.send_application_data(b"show me")
    peer.inc.write(conn.data_to_send())
    assert peer.obj.read(100) == b"show me"
    conn.receive_data(peer.out.read())
    assert conn.peer_certificates[0] == pki("p256").client
    assert len(conn.verified_chain) == 3


@pytest.fixture(scope="module")
def rsa_pss_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A certificate with an id-RSASSA-PSS key (cryptography cannot make
    one; the openssl command can)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    d = tmp_path_factory.mktemp("pss")
    key, cert = d / "key.pem", d / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa-pss",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-days",
            "30",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)


def test_rsa_pss_pss_both_ways(rsa_pss_files: tuple[str, str]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    cert_path, key_path = rsa_pss_files
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert_path, key_path)
    peer = Peer(sctx, server=True)
    conn = Connection(client_config(verify_mode=0, check_hostname=False))
    run(conn, peer)
    assert conn.handshake_complete
    (step,) = [t for t in conn.trace if t.step == "verify CertificateVerify"]
    assert step.details["scheme"] in (0x0809, 0x080A, 0x080B)

    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    key = load_pem_private_key(Path(key_path).read_bytes(), None)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(cert_path)
    peer = Peer(cctx, server=False, hostname="localhost")
    conn = Connection(server_config(certificate_chain=[cert], private_key=key))
    peer.step()
    conn.receive_data(peer.out.read())
    run(conn, peer)
    assert peer.done and conn.handshake_complete
    (step,) = [t for t in conn.trace if t.step == "send server flight"]
    assert step.details["scheme"] == 0x0809
