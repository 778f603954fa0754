"""Interop of the cytls TLS 1.3 engine with tlslite-ng (pure Python).

Owns: both directions over a loopback socket pair (tlslite in a thread with
socket timeouts, cytls driven by the blocking driver): every TLS 1.3 suite
x {X25519, P-256, P-384}, X25519MLKEM768 when tlslite has its ML-KEM
backend (kyber-py), ECDSA, RSA and Ed25519 server certificates, client
certificates (present, missing when required), HelloRetryRequest in both
roles, ALPN, KeyUpdate both ways, exporter agreement and close_notify.
tlslite does not validate X.509 paths, so its side asserts the exact chain
it received; cytls validates.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from peers import P256, P384, SUITES, X25519, X25519MLKEM768, CytlsSocket, missing_peer, token
from tls_helpers import client_config, key_pem, pem, pki, server_config

from cytls._wire.alerts import TLSAlert
from cytls._wire.events import KeyUpdated

pytestmark = [pytest.mark.interop, pytest.mark.timeout(30)]

TLSLITE_SUITE = {0x1301: "aes128gcm", 0x1302: "aes256gcm", 0x1303: "chacha20-poly1305"}
TLSLITE_GROUP = {
    X25519: "x25519",
    P256: "secp256r1",
    P384: "secp384r1",
    X25519MLKEM768: "x25519mlkem768",
}
GROUPS = [X25519, P256, P384, X25519MLKEM768]
GROUP_IDS = ["x25519", "p256", "p384", "x25519mlkem768"]
TIMEOUT = 8.0
_DER = Encoding.DER


def need_group(tlslite: Any, group: int) -> None:
    if group == X25519MLKEM768:
        from tlslite.utils.compat import ML_KEM_AVAILABLE

        if not ML_KEM_AVAILABLE:
            missing_peer("tlslite-ng's ML-KEM backend (python package kyber-py)")


def settings(
    tlslite: Any,
    suites: list[int] | None = None,
    groups: list[int] | None = None,
    shares: list[int] | None = None,
) -> Any:
    """TLS 1.3-only HandshakeSettings limited to `suites` and `groups`."""
    s = tlslite.HandshakeSettings()
    s.minVersion = (3, 4)
    s.maxVersion = (3, 4)
    if suites:
        s.cipherNames = [TLSLITE_SUITE[x] for x in suites]
    if groups:
        s.eccCurves = [TLSLITE_GROUP[g] for g in groups]
        s.keyShares = [TLSLITE_GROUP[g] for g in (shares or groups[:1])]
    elif shares:
        s.keyShares = [TLSLITE_GROUP[g] for g in shares]
    return s


def identity(tlslite: Any, kind: str, client: bool = False) -> tuple[Any, Any]:
    """(X509CertChain, private key) for tlslite from the cached PKI."""
    p = pki(kind)
    certs = [p.client, p.inter] if client else [p.leaf, p.inter]
    chain = tlslite.X509CertChain()
    chain.parsePemList("".join(pem(c).decode() for c in certs))
    key = tlslite.parsePEMKey(
        key_pem(p.client_key if client else p.leaf_key).decode(), private=True
    )
    return chain, key


def chain_der(tls_chain: Any) -> list[bytes]:
    return [bytes(x.writeBytes()) for x in tls_chain.x509List]


class Tlslite:
    """tlslite-ng on one end of a socket pair, running `script` in a thread."""

    def __init__(self, tlslite: Any, script: Callable[[Any], Any]) -> None:
        self.sock, self.peer_sock = socket.socketpair()
        self.peer_sock.settimeout(TIMEOUT)
        self.sock.settimeout(TIMEOUT)
        self.conn = tlslite.TLSConnection(self.peer_sock)
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(script,), daemon=True)
        self._thread.start()

    def _run(self, script: Callable[[Any], Any]) -> None:
        try:
            self.result = script(self.conn)
        except BaseException as exc:  # reported by join()
            self.error = exc

    def join(self) -> Any:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "tlslite thread did not finish"
        if self.error is not None:
            raise self.error
        return self.result

    def close(self) -> None:
        self.sock.close()
        self.peer_sock.close()
        self._thread.join(TIMEOUT)

    def __enter__(self) -> Tlslite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_exactly(conn: Any, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = conn.read(n - len(out))
        if not chunk:
            break
        out += bytes(chunk)
    return out


def echo_script(n: int, extra: Callable[[Any], Any] | None = None) -> Callable[[Any], Any]:
    """After the handshake: read n bytes, send them back reversed, run
    `extra`, then read until close_notify and close."""

    def body(conn: Any) -> dict[str, Any]:
        data = read_exactly(conn, n)
        conn.write(data[::-1])
        out: dict[str, Any] = {"data": data}
        if extra is not None:
            out["extra"] = extra(conn)
        out["exporter"] = bytes(conn.keyingMaterialExporter(b"EXPERIMENTER", 32))
        out["tail"] = bytes(conn.read())  # b"" at close_notify
        conn.close()
        return out

    return body


def cytls_exchange(tls: CytlsSocket, payload: bytes) -> None:
    tls.send(payload)
    assert tls.recv_exactly(len(payload)) == payload[::-1]


def finish(tls: CytlsSocket, peer: Tlslite) -> dict[str, Any]:
    """cytls sends close_notify; tlslite answers with its own."""
    tls.conn.close()
    tls.flush()
    result: dict[str, Any] = peer.join()
    assert result["tail"] == b""
    assert tls.wait_closed() == b"" and tls.conn.peer_closed
    return result


def server_side(
    tlslite: Any,
    kind: str = "p256",
    s: Any = None,
    after: Callable[[Any], Any] | None = None,
    **kw: Any,
) -> Callable[[Any], Any]:
    chain, key = identity(tlslite, kind)

    def script(conn: Any) -> Any:
        conn.handshakeServer(certChain=chain, privateKey=key, settings=s or settings(tlslite), **kw)
        return after(conn) if after else None

    return script


def client_side(
    tlslite: Any, s: Any = None, after: Callable[[Any], Any] | None = None, **kw: Any
) -> Callable[[Any], Any]:
    def script(conn: Any) -> Any:
        conn.handshakeClientCert(settings=s or settings(tlslite), serverName="localhost", **kw)
        return after(conn) if after else None

    return script


# ================================================ cytls client -> tlslite


@pytest.mark.parametrize("group", GROUPS, ids=GROUP_IDS)
@pytest.mark.parametrize("suite", list(SUITES), ids=list(SUITES.values()))
def test_cytls_client_tlslite_server(tlslite: Any, suite: int, group: int) -> None:
    need_group(tlslite, group)
    payload = token(20000)
    facts: dict[str, Any] = {}

    def after(conn: Any) -> Any:
        facts["suite"] = conn.session.cipherSuite
        facts["version"] = conn.version
        facts["sni"] = conn.session.serverName
        return echo_script(len(payload))(conn)

    script = server_side(tlslite, s=settings(tlslite, [suite], [group]), after=after)
    with Tlslite(tlslite, script) as peer:
        tls = CytlsSocket(client_config(key_share_groups=[group]), peer.sock)
        tls.handshake()
        assert tls.conn.cipher_suite == suite and tls.conn.group == group
        assert "receive HelloRetryRequest" not in [t.step for t in tls.conn.trace]
        cytls_exchange(tls, payload)
        result = finish(tls, peer)
    assert facts == {"suite": suite, "version": (3, 4), "sni": "localhost"}
    assert result["data"] == payload
    assert result["exporter"] == tls.conn.export_keying_material(b"EXPERIMENTER", None, 32)


@pytest.mark.parametrize("group", GROUPS, ids=GROUP_IDS)
@pytest.mark.parametrize("suite", list(SUITES), ids=list(SUITES.values()))
def test_tlslite_client_cytls_server(tlslite: Any, suite: int, group: int) -> None:
    need_group(tlslite, group)
    payload = token(20000)
    p = pki("p256")
    facts: dict[str, Any] = {}

    def after(conn: Any) -> Any:
        facts["suite"] = conn.session.cipherSuite
        facts["group"] = conn.ecdhCurve
        facts["chain"] = chain_der(conn.session.serverCertChain)
        return echo_script(len(payload))(conn)

    with Tlslite(tlslite, client_side(tlslite, settings(tlslite, [suite], [group]), after)) as peer:
        tls = CytlsSocket(server_config(), peer.sock)
        tls.handshake()
        assert tls.conn.cipher_suite == suite and tls.conn.group == group
        assert tls.conn.server_name == "localhost"
        cytls_exchange(tls, payload)
        result = finish(tls, peer)
    assert facts["suite"] == suite and facts["group"] == group
    assert facts["chain"] == [c.public_bytes(_DER) for c in (p.leaf, p.inter)]
    assert result["data"] == payload
    assert result["exporter"] == tls.conn.export_keying_material(b"EXPERIMENTER", None, 32)


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa", "ed25519"])
def test_certificate_kinds_both_ways(tlslite: Any, kind: str) -> None:
    p = pki(kind)
    payload = token(100)
    with Tlslite(tlslite, server_side(tlslite, kind, after=echo_script(len(payload)))) as peer:
        tls = CytlsSocket(client_config(kind), peer.sock)
        tls.handshake()
        assert tls.conn.verified_chain == [p.leaf, p.inter, p.root]
        cytls_exchange(tls, payload)
        finish(tls, peer)

    got: dict[str, Any] = {}

    def after(conn: Any) -> Any:
        got["chain"] = chain_der(conn.session.serverCertChain)
        return echo_script(len(payload))(conn)

    with Tlslite(tlslite, client_side(tlslite, after=after)) as peer:
        tls = CytlsSocket(server_config(kind), peer.sock)
        tls.handshake()
        cytls_exchange(tls, payload)
        finish(tls, peer)
    assert got["chain"] == [c.public_bytes(_DER) for c in (p.leaf, p.inter)]


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_client_certificates_both_ways(tlslite: Any, kind: str) -> None:
    p = pki(kind)
    payload = token(100)
    got: dict[str, Any] = {}

    def after(conn: Any) -> Any:
        got["client_chain"] = chain_der(conn.session.clientCertChain)
        return echo_script(len(payload))(conn)

    # cytls client with a certificate -> tlslite server that asks for one.
    script = server_side(tlslite, kind, after=after, reqCert=True)
    with Tlslite(tlslite, script) as peer:
        cfg = client_config(kind, certificate_chain=p.client_chain, private_key=p.client_key)
        tls = CytlsSocket(cfg, peer.sock)
        tls.handshake()
        assert tls.conn.client_auth_requested
        cytls_exchange(tls, payload)
        finish(tls, peer)
    assert got["client_chain"] == [c.public_bytes(_DER) for c in (p.client, p.inter)]

    # tlslite client with a certificate -> cytls server that requires one.
    # tlslite-ng 0.8 compresses its client Certificate (RFC 8879) whenever
    # its own ClientHello offered compression, without checking the
    # CertificateRequest (see the test below), so compression is off here.
    chain, key = identity(tlslite, kind, client=True)
    s = settings(tlslite)
    s.certificate_compression_send = []
    script = client_side(
        tlslite, s, after=echo_script(len(payload)), certChain=chain, privateKey=key
    )
    with Tlslite(tlslite, script) as peer:
        tls = CytlsSocket(server_config(kind, verify_mode=2), peer.sock)
        tls.handshake()
        assert tls.conn.verified_chain == [p.client, p.inter, p.root]
        cytls_exchange(tls, payload)
        finish(tls, peer)


def test_unsolicited_compressed_certificate_rejected(tlslite: Any) -> None:
    """tlslite-ng's client sends CompressedCertificate (type 25) although
    the cytls server's CertificateRequest did not offer compress_certificate
    (RFC 8879 §3 forbids it): cytls refuses with unexpected_message."""
    chain, key = identity(tlslite, "p256", client=True)
    s = settings(tlslite)
    assert s.certificate_compression_send  # tlslite's default: compress
    script = client_side(
        tlslite, s, after=lambda conn: conn.read(), certChain=chain, privateKey=key
    )
    with Tlslite(tlslite, script) as peer:
        tls = CytlsSocket(server_config(verify_mode=2), peer.sock)
        with pytest.raises(TLSAlert) as info:
            tls.handshake()
        assert info.value.description == 10 and not info.value.received
        assert "type 25" in str(info.value)
        with pytest.raises(tlslite.TLSRemoteAlert) as remote:
            peer.join()
        assert remote.value.description == 10


def test_tlslite_client_without_cert_cytls_server_requires_one(tlslite: Any) -> None:
    s = settings(tlslite)
    s.certificate_compression_send = []  # see test_client_certificates_both_ways
    with Tlslite(tlslite, client_side(tlslite, s, after=lambda conn: conn.read())) as peer:
        tls = CytlsSocket(server_config(verify_mode=2), peer.sock)
        with pytest.raises(TLSAlert) as info:
            tls.handshake()
        assert info.value.description == 116 and not info.value.received
        with pytest.raises(tlslite.TLSRemoteAlert) as remote:
            peer.join()
        assert remote.value.description == 116


def test_tlslite_server_wants_cert_cytls_has_none(tlslite: Any) -> None:
    """tlslite's reqCert asks for a certificate but lets an empty one in:
    the cytls client answers the CertificateRequest with an empty
    Certificate (and no CertificateVerify), and data flows."""
    payload = token(50)
    got: dict[str, Any] = {}

    def after(conn: Any) -> Any:
        got["client_chain"] = conn.session.clientCertChain
        return echo_script(len(payload))(conn)

    with Tlslite(tlslite, server_side(tlslite, after=after, reqCert=True)) as peer:
        tls = CytlsSocket(client_config(), peer.sock)
        tls.handshake()
        assert tls.conn.client_auth_requested
        assert "send Certificate" in [t.step for t in tls.conn.trace]
        cytls_exchange(tls, payload)
        finish(tls, peer)
    assert not got["client_chain"] or got["client_chain"].getNumCerts() == 0


@pytest.mark.parametrize("server_group", [P256, P384])
def test_hello_retry_request_both_ways(tlslite: Any, server_group: int) -> None:
    payload = token(100)
    # cytls client shares X25519 only; tlslite server accepts only server_group.
    s = settings(tlslite, groups=[server_group])
    with Tlslite(tlslite, server_side(tlslite, s=s, after=echo_script(len(payload)))) as peer:
        tls = CytlsSocket(client_config(key_share_groups=[X25519]), peer.sock)
        tls.handshake()
        assert tls.conn.group == server_group
        assert "receive HelloRetryRequest" in [t.step for t in tls.conn.trace]
        cytls_exchange(tls, payload)
        finish(tls, peer)

    # tlslite client shares X25519 only; the cytls server wants server_group.
    got: dict[str, Any] = {}

    def after(conn: Any) -> Any:
        got["group"] = conn.ecdhCurve
        return echo_script(len(payload))(conn)

    s = settings(tlslite, groups=[X25519, P256, P384], shares=[X25519])
    with Tlslite(tlslite, client_side(tlslite, s, after)) as peer:
        tls = CytlsSocket(server_config(groups=[server_group]), peer.sock)
        tls.handshake()
        assert tls.conn.group == server_group
        assert "send HelloRetryRequest" in [t.step for t in tls.conn.trace]
        cytls_exchange(tls, payload)
        finish(tls, peer)
    assert got["group"] == server_group


def test_alpn_both_ways(tlslite: Any) -> None:
    payload = token(50)
    got: dict[str, Any] = {}

    def after(conn: Any) -> Any:
        got["alpn"] = conn.session.appProto
        return echo_script(len(payload))(conn)

    script = server_side(tlslite, after=after, alpn=[bytearray(b"http/1.1"), bytearray(b"h2")])
    with Tlslite(tlslite, script) as peer:
        tls = CytlsSocket(client_config(alpn_protocols=["h2", "http/1.1"]), peer.sock)
        tls.handshake()
        assert tls.conn.alpn_protocol == "h2"  # tlslite follows the client's order
        cytls_exchange(tls, payload)
        finish(tls, peer)
    assert bytes(got["alpn"]).decode() == tls.conn.alpn_protocol

    got.clear()
    script = client_side(tlslite, after=after, alpn=[bytearray(b"h2"), bytearray(b"http/1.1")])
    with Tlslite(tlslite, script) as peer:
        tls = CytlsSocket(server_config(alpn_protocols=["http/1.1"]), peer.sock)
        tls.handshake()
        assert tls.conn.alpn_protocol == "http/1.1"
        cytls_exchange(tls, payload)
        finish(tls, peer)
    assert bytes(got["alpn"]) == b"http/1.1"


@pytest.mark.parametrize("cytls_role", ["client", "server"])
def test_key_update_both_ways(tlslite: Any, cytls_role: str) -> None:
    from tlslite.constants import KeyUpdateMessageType as KU

    payload = token(500)

    def rounds(conn: Any) -> list[bytes]:
        got = []
        # tlslite asks cytls to update (cytls answers), then updates alone.
        for kind in (KU.update_requested, KU.update_not_requested):
            for _ in conn.send_keyupdate_request(kind):
                pass
            conn.write(b"after tlslite update\n")
        # cytls asks; tlslite answers while reading the next data.
        got.append(read_exactly(conn, len(payload)))
        conn.write(b"after cytls update\n")
        return got

    if cytls_role == "client":
        script = server_side(tlslite, after=echo_script(len(payload), rounds))
        cfg = client_config()
    else:
        script = client_side(tlslite, after=echo_script(len(payload), rounds))
        cfg = server_config()
    with Tlslite(tlslite, script) as peer:
        tls = CytlsSocket(cfg, peer.sock)
        tls.handshake()
        cytls_exchange(tls, payload)
        assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=True)
        assert tls.recv_until(b"\n") == b"after tlslite update\n"
        assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=False)
        assert tls.recv_until(b"\n") == b"after tlslite update\n"
        tls.conn.update_key(request_peer=True)
        tls.send(payload)
        assert tls.recv_until(b"\n") == b"after cytls update\n"
        assert tls.wait_event(KeyUpdated, timeout=0.5) == KeyUpdated(update_requested=False)
        result = finish(tls, peer)
    assert result["extra"] == [payload]
