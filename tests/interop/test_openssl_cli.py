"""Interop of the cytls TLS 1.3 engine with the `openssl` command (OpenSSL 3.0).

Owns: cytls client against `openssl s_server` and `openssl s_client` against
a cytls server, over loopback: every suite x every group OpenSSL 3.0 speaks,
ECDSA P-256/P-384 and RSA server certificates, client certificates (present,
missing when required), HelloRetryRequest in both roles, ALPN, KeyUpdate
both ways (s_server/s_client `k`/`K` commands), close_notify, exporter
agreement, and certificate failures with their verify codes and alerts.
Outcomes are read from both sides: cytls's negotiated parameters and the
peer's own report (its stdout and its `-trace` of the wire messages).
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Any

import pytest
from peer_commands import (
    close_from_peer,
    exchange_lines,
    exporter_value,
    handshake_rejects_untrusted_client,
    openssl_client,
    openssl_server,
    our_exporter,
)
from peers import (
    P256,
    P384,
    SUITES,
    X25519,
    X25519MLKEM768,
    CytlsServer,
    CytlsSocket,
    PeerProcess,
    PKIFiles,
    connect,
    token,
)
from tls_helpers import client_config, pki, server_config

from cytls._wire.alerts import TLSAlert
from cytls._wire.events import KeyUpdated

pytestmark = [pytest.mark.interop, pytest.mark.timeout(30)]

GROUPS = [X25519, P256, P384]
OPENSSL_TEMP_KEY = {
    X25519: "X25519, 253 bits",
    P256: "ECDH, prime256v1, 256 bits",
    P384: "ECDH, secp384r1, 384 bits",
}
SIG_SCHEME = {
    "p256": "ecdsa_secp256r1_sha256",
    "p384": "ecdsa_secp384r1_sha384",
    "rsa": "rsa_pss_rsae_sha256",
}


# ------------------------------------------------------------ trace parsing


def server_hellos(trace: str) -> list[tuple[int, int]]:
    """(key_share extension length, group) of each ServerHello in a trace;
    a HelloRetryRequest's key_share has length 2 (the group alone)."""
    out = []
    for chunk in trace.split("ServerHello, Length=")[1:]:
        chunk = chunk.split("Record\n", 1)[0]
        m = re.search(r"key_share\(51\), length=(\d+)\n\s+NamedGroup: [^\n]*\((\d+)\)\n", chunk)
        assert m, chunk
        out.append((int(m.group(1)), int(m.group(2))))
    return out


def client_hello_count(trace: str) -> int:
    return trace.count("ClientHello, Length=")


def cert_verify_schemes(trace: str) -> list[str]:
    return re.findall(r"CertificateVerify, Length=\d+\n\s+Signature Algorithm: (\w+)", trace)


# ------------------------------------------------------------- data checks


def exchange_with_openssl(tls: CytlsSocket, peer: PeerProcess, size: int = 40000) -> None:
    """Application data both ways, exact: a large hex payload cytls -> peer
    (several records) and a line peer -> cytls."""
    exchange_lines(tls, peer, size, b"openssl")


def close_server_side(tls: CytlsSocket, proc: PeerProcess, trace: Path | None = None) -> str:
    """cytls (client) sends close_notify; s_server (-naccept 1) ends and
    flushes its trace, which must show the close_notify arriving."""
    tls.conn.close()
    tls.flush()
    assert proc.wait() == 0, proc.text
    if trace is None:
        return ""
    text = trace.read_text("latin-1")
    assert "Level=warning(1), description=close notify(0)" in text.split("Received Record")[-1]
    return text


def close_client_side(tls: CytlsSocket, proc: PeerProcess, trace: Path | None = None) -> str:
    """s_client's stdin ends: it sends close_notify (cytls sees a clean
    close), then exits and flushes its trace."""
    close_from_peer(tls, proc)
    return trace.read_text("latin-1") if trace is not None else ""


def key_updates(trace: str) -> tuple[list[str], list[str]]:
    """The KeyUpdate messages (sent, received) in a -trace, in order."""
    found: dict[str, list[str]] = {"Sent": [], "Received": []}
    for m in re.finditer(
        r"(Sent|Received) Record\n(?:[^\n]*\n){5}\s+KeyUpdate, Length=1\n\s+(\w+)", trace
    ):
        found[m.group(1)].append(m.group(2))
    return found["Sent"], found["Received"]


def key_update_dance(tls: CytlsSocket, proc: PeerProcess) -> None:
    """KeyUpdate both ways, with data checked after each step.

    The peer's `K` sends KeyUpdate(update_requested), which cytls answers;
    `k` sends update_not_requested; then cytls requests one, which OpenSSL
    answers with its next write.
    """
    exchange_with_openssl(tls, proc, 1000)
    proc.write(b"K\n")
    assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=True)
    exchange_with_openssl(tls, proc, 1000)
    proc.write(b"k\n")
    assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=False)
    exchange_with_openssl(tls, proc, 1000)
    tls.conn.update_key(request_peer=True)
    # Data after our KeyUpdate: once the peer prints it, it has processed
    # the KeyUpdate too, so its answer goes out before its next data.
    ping = b"ping " + token() + b"\n"
    start = len(proc.output)
    tls.send(ping)
    proc.wait_for(re.escape(ping), start=start)
    line = b"after our update " + token() + b"\n"
    proc.write(line)
    assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=False)
    assert tls.recv_until(b"\n") == line
    exchange_with_openssl(tls, proc, 1000)


# ====================================================== cytls client -> s_server


@pytest.mark.parametrize("group", GROUPS, ids=["x25519", "p256", "p384"])
@pytest.mark.parametrize("suite", list(SUITES), ids=list(SUITES.values()))
def test_cytls_client_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path, suite: int, group: int
) -> None:
    trace = tmp_path / "trace.txt"
    with openssl_server(
        openssl_bin, pki_files["p256"], suites=[suite], groups=[group], trace_file=trace
    ) as (proc, port):
        tls = CytlsSocket(client_config(key_share_groups=[group]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.cipher_suite == suite and tls.conn.group == group
            assert tls.conn.version == 0x0304
            proc.wait_for(f"CIPHER is {SUITES[suite]}")
            assert exporter_value(proc) == our_exporter(tls)
            exchange_with_openssl(tls, proc)
            text = close_server_side(tls, proc, trace)
        finally:
            tls.close()
    share_len = {X25519: 32, P256: 65, P384: 97}[group]
    assert server_hellos(text) == [(4 + share_len, group)]
    assert client_hello_count(text) == 1


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa"])
def test_cytls_client_server_cert_kinds(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path, kind: str
) -> None:
    trace = tmp_path / "trace.txt"
    p = pki(kind)
    with openssl_server(openssl_bin, pki_files[kind], trace_file=trace) as (proc, port):
        tls = CytlsSocket(client_config(kind), connect(port))
        try:
            tls.handshake()
            assert tls.conn.verified_chain == [p.leaf, p.inter, p.root]
            exchange_with_openssl(tls, proc, 2000)
            text = close_server_side(tls, proc, trace)
        finally:
            tls.close()
    assert cert_verify_schemes(text) == [SIG_SCHEME[kind]]


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_cytls_client_certificate_to_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path, kind: str
) -> None:
    trace = tmp_path / "trace.txt"
    p = pki(kind)
    cfg = client_config(kind, certificate_chain=p.client_chain, private_key=p.client_key)
    with openssl_server(
        openssl_bin, pki_files[kind], trace_file=trace, verify_client=pki_files[kind]
    ) as (proc, port):
        tls = CytlsSocket(cfg, connect(port))
        try:
            tls.handshake()
            assert tls.conn.client_auth_requested
            exchange_with_openssl(tls, proc, 2000)
            # s_server verified our chain up to the root (depth 2).
            proc.wait_for(r"depth=2 CN = cytls test root")
            proc.wait_for(r"depth=0 CN = client\.example")
            text = close_server_side(tls, proc, trace)
        finally:
            tls.close()
    schemes = cert_verify_schemes(text)
    assert schemes == [SIG_SCHEME[kind], SIG_SCHEME[kind]]  # server's, then ours


def test_openssl_server_requires_cert_cytls_has_none(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with openssl_server(openssl_bin, pki_files["p256"], verify_client=pki_files["p256"]) as (
        proc,
        port,
    ):
        tls = CytlsSocket(client_config(), connect(port))
        try:
            # TLS 1.3: the client's side completes; the refusal comes after.
            exc = tls.expect_failure()
        finally:
            tls.close()
        assert exc.received and exc.description == 116  # certificate_required
        proc.wait_for(r"(?i)peer did not return a certificate")


@pytest.mark.parametrize("server_group", [P256, P384])
def test_cytls_client_hello_retry_request(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path, server_group: int
) -> None:
    """cytls offers a key share for X25519 only; s_server wants another group."""
    trace = tmp_path / "trace.txt"
    cfg = client_config(groups=[X25519, P256, P384], key_share_groups=[X25519])
    with openssl_server(
        openssl_bin, pki_files["p256"], groups=[server_group], trace_file=trace
    ) as (proc, port):
        tls = CytlsSocket(cfg, connect(port))
        try:
            tls.handshake()
            assert tls.conn.group == server_group
            steps = [t.step for t in tls.conn.trace]
            assert "receive HelloRetryRequest" in steps
            exchange_with_openssl(tls, proc, 1000)
            text = close_server_side(tls, proc, trace)
        finally:
            tls.close()
    hellos = server_hellos(text)
    assert hellos[0] == (2, server_group)  # the HelloRetryRequest
    assert hellos[1][1] == server_group and len(hellos) == 2
    assert client_hello_count(text) == 2


def test_cytls_default_client_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path
) -> None:
    """The default client (shares for X25519MLKEM768 and X25519) against
    OpenSSL 3.0, which knows no ML-KEM: X25519 without a retry."""
    trace = tmp_path / "trace.txt"
    with openssl_server(openssl_bin, pki_files["p256"], trace_file=trace) as (proc, port):
        tls = CytlsSocket(client_config(), connect(port))
        try:
            tls.handshake()
            assert tls.conn.group == X25519
            assert X25519MLKEM768 in tls.conn.config.key_share_groups
            exchange_with_openssl(tls, proc, 1000)
            text = close_server_side(tls, proc, trace)
        finally:
            tls.close()
    assert server_hellos(text) == [(36, X25519)]
    assert client_hello_count(text) == 1


def test_cytls_client_alpn(openssl_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    with openssl_server(openssl_bin, pki_files["p256"], alpn=["http/1.1"]) as (proc, port):
        tls = CytlsSocket(client_config(alpn_protocols=["h2", "http/1.1"]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.alpn_protocol == "http/1.1"
            proc.wait_for("ALPN protocols advertised by the client: h2, http/1.1")
            exchange_with_openssl(tls, proc, 100)
        finally:
            tls.close()


def test_cytls_client_alpn_no_overlap(openssl_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    """OpenSSL's server refuses with no_application_protocol (RFC 7301 §3.2)."""
    with openssl_server(openssl_bin, pki_files["p256"], alpn=["http/1.1"]) as (proc, port):
        tls = CytlsSocket(client_config(alpn_protocols=["h2"]), connect(port))
        try:
            with pytest.raises(TLSAlert) as info:
                tls.handshake()
        finally:
            tls.close()
        assert info.value.received and info.value.description == 120
        assert not tls.conn.handshake_complete
        proc.wait_for(r"(?i)no application protocol|NO_APPLICATION_PROTOCOL")


def test_cytls_client_key_update_both_ways(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path
) -> None:
    trace = tmp_path / "trace.txt"
    with openssl_server(openssl_bin, pki_files["p256"], trace_file=trace) as (proc, port):
        tls = CytlsSocket(client_config(), connect(port))
        try:
            tls.handshake()
            key_update_dance(tls, proc)
            text = close_server_side(tls, proc, trace)
        finally:
            tls.close()
    sent, received = key_updates(text)
    assert sent == ["update_requested", "update_not_requested", "update_not_requested"]
    assert received == ["update_not_requested", "update_requested"]


def test_openssl_server_quits_without_close_notify(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    """s_server's `Q` closes the socket before SSL_shutdown: cytls sees a
    TCP EOF and must not report it as a clean close (truncation)."""
    with openssl_server(openssl_bin, pki_files["p256"]) as (proc, port):
        tls = CytlsSocket(client_config(), connect(port))
        try:
            tls.handshake()
            exchange_with_openssl(tls, proc, 100)
            proc.write(b"Q\n")
            assert tls.wait_closed() == b""
            assert tls.eof and not tls.conn.peer_closed and not tls.closed_by_peer()
        finally:
            tls.close()
        assert proc.wait() == 0


@pytest.mark.parametrize(("which", "code"), [("untrusted", 20), ("selfsigned", 18)])
def test_cytls_client_rejects_untrusted_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], pki_dir: Path, which: str, code: int
) -> None:
    files = pki_files["untrusted"] if which == "untrusted" else pki_files["p256"]
    extra: list[str] = []
    if which == "selfsigned":
        extra = [
            "-cert",
            str(pki_dir / "selfsigned.pem"),
            "-key",
            str(pki_dir / "selfsigned-key.pem"),
        ]
    with openssl_server(openssl_bin, files, extra=extra) as (proc, port):
        tls = CytlsSocket(client_config(), connect(port))
        try:
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                tls.handshake()
        finally:
            tls.close()
        exc: Any = info.value
        assert isinstance(exc, TLSAlert) and not exc.received
        assert exc.verify_code == code, exc.verify_message
        assert exc.description == 48  # unknown_ca, as OpenSSL sends it
        proc.wait_for(r"alert unknown ca.*SSL alert number 48")


def test_cytls_client_hostname_mismatch(openssl_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    with openssl_server(openssl_bin, pki_files["p256"]) as (proc, port):
        tls = CytlsSocket(client_config(server_hostname="wrong.example"), connect(port))
        try:
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                tls.handshake()
        finally:
            tls.close()
        exc: Any = info.value
        assert exc.verify_code == 62 and "wrong.example" in exc.verify_message
        # bad_certificate, as OpenSSL (hence the ssl module) sends it.
        assert exc.description == 42
        proc.wait_for(r"alert bad certificate.*SSL alert number 42\n")


# ====================================================== s_client -> cytls server


def wait_client_ready(proc: PeerProcess) -> None:
    """s_client prints its session summary (ending with the exporter value,
    see openssl_common) once the handshake is done."""
    proc.wait_for(r"Verify return code: 0 \(ok\)\n")
    proc.wait_for(r"Keying material: [0-9A-F]{64}\n---\n")


@pytest.mark.parametrize("group", GROUPS, ids=["x25519", "p256", "p384"])
@pytest.mark.parametrize("suite", list(SUITES), ids=list(SUITES.values()))
def test_openssl_client_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path, suite: int, group: int
) -> None:
    trace = tmp_path / "trace.txt"
    with (
        CytlsServer() as srv,
        openssl_client(
            openssl_bin,
            srv.port,
            pki_files["p256"].ca,
            suites=[suite],
            groups=[group],
            trace_file=trace,
        ) as proc,
    ):
        tls = srv.accept(server_config(), proc)
        tls.handshake()
        assert tls.conn.cipher_suite == suite and tls.conn.group == group
        assert tls.conn.server_name == "localhost"
        wait_client_ready(proc)
        proc.wait_for(f"New, TLSv1.3, Cipher is {SUITES[suite]}")
        proc.wait_for(f"Server Temp Key: {OPENSSL_TEMP_KEY[group]}")
        assert exporter_value(proc) == our_exporter(tls)
        exchange_with_openssl(tls, proc)
        text = close_client_side(tls, proc, trace)
    assert [g for _, g in server_hellos(text)] == [group]


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa"])
def test_openssl_client_server_cert_kinds(
    openssl_bin: str, pki_files: dict[str, PKIFiles], kind: str
) -> None:
    sig = {"p256": ("ECDSA", "SHA256"), "p384": ("ECDSA", "SHA384"), "rsa": ("RSA-PSS", "SHA256")}
    with CytlsServer() as srv, openssl_client(openssl_bin, srv.port, pki_files[kind].ca) as proc:
        tls = srv.accept(server_config(kind), proc)
        tls.handshake()
        wait_client_ready(proc)
        proc.wait_for(f"Peer signature type: {sig[kind][0]}")
        proc.wait_for(f"Peer signing digest: {sig[kind][1]}")
        proc.wait_for(
            r"depth=2 CN = cytls test root\nverify return:1\n"
            r"depth=1 CN = cytls test intermediate\nverify return:1\n"
            r"depth=0 CN = localhost\nverify return:1"
        )
        exchange_with_openssl(tls, proc, 2000)


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_openssl_client_certificate_to_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], kind: str
) -> None:
    p = pki(kind)
    with (
        CytlsServer() as srv,
        openssl_client(openssl_bin, srv.port, pki_files[kind].ca, client=pki_files[kind]) as proc,
    ):
        tls = srv.accept(server_config(kind, verify_mode=2), proc)
        tls.handshake()
        assert tls.conn.verified_chain == [p.client, p.inter, p.root]
        wait_client_ready(proc)
        proc.wait_for("Acceptable client certificate CA names\nCN = cytls test root")
        exchange_with_openssl(tls, proc, 2000)


def test_openssl_client_without_cert_cytls_server_requires_one(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with CytlsServer() as srv, openssl_client(openssl_bin, srv.port, pki_files["p256"].ca) as proc:
        tls = srv.accept(server_config(verify_mode=2), proc)
        with pytest.raises(TLSAlert) as info:
            tls.handshake()
        assert info.value.description == 116 and not info.value.received
        proc.wait_for(r"(?i)alert certificate required.*SSL alert number 116")


def test_openssl_client_optional_cert_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    """verify_mode 1 (CERT_OPTIONAL): a client without a certificate is let in."""
    with CytlsServer() as srv, openssl_client(openssl_bin, srv.port, pki_files["p256"].ca) as proc:
        tls = srv.accept(server_config(verify_mode=1), proc)
        tls.handshake()
        assert tls.conn.peer_certificates == []
        wait_client_ready(proc)
        exchange_with_openssl(tls, proc, 100)


@pytest.mark.parametrize("server_group", [P256, P384])
def test_openssl_client_hello_retry_request(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path, server_group: int
) -> None:
    """s_client sends a key share for its first group (X25519) only; the
    cytls server wants another group and asks for it."""
    trace = tmp_path / "trace.txt"
    with (
        CytlsServer() as srv,
        openssl_client(
            openssl_bin,
            srv.port,
            pki_files["p256"].ca,
            groups=[X25519, P256, P384],
            trace_file=trace,
        ) as proc,
    ):
        tls = srv.accept(server_config(groups=[server_group]), proc)
        tls.handshake()
        assert tls.conn.group == server_group
        assert "send HelloRetryRequest" in [t.step for t in tls.conn.trace]
        wait_client_ready(proc)
        proc.wait_for(f"Server Temp Key: {OPENSSL_TEMP_KEY[server_group]}")
        exchange_with_openssl(tls, proc, 1000)
        text = close_client_side(tls, proc, trace)
    hellos = server_hellos(text)
    assert hellos[0] == (2, server_group) and hellos[1][1] == server_group
    assert len(hellos) == 2 and client_hello_count(text) == 2


def test_openssl_client_alpn_cytls_server(openssl_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    with (
        CytlsServer() as srv,
        openssl_client(
            openssl_bin, srv.port, pki_files["p256"].ca, alpn=["h2", "http/1.1"]
        ) as proc,
    ):
        tls = srv.accept(server_config(alpn_protocols=["http/1.1", "h2"]), proc)
        tls.handshake()
        assert tls.conn.alpn_protocol == "http/1.1"  # the server's preference
        wait_client_ready(proc)
        proc.wait_for("ALPN protocol: http/1.1")
        exchange_with_openssl(tls, proc, 100)


def test_openssl_client_alpn_no_overlap(openssl_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    with (
        CytlsServer() as srv,
        openssl_client(openssl_bin, srv.port, pki_files["p256"].ca, alpn=["h2"]) as proc,
    ):
        # alpn_strict: the RFC 7301 alert (by default cytls goes on without ALPN).
        tls = srv.accept(server_config(alpn_protocols=["http/1.1"], alpn_strict=True), proc)
        with pytest.raises(TLSAlert) as info:
            tls.handshake()
        assert info.value.description == 120 and not info.value.received
        proc.wait_for(r"(?i)alert no application protocol.*SSL alert number 120")


def test_openssl_client_sni(openssl_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    with (
        CytlsServer() as srv,
        openssl_client(
            openssl_bin,
            srv.port,
            pki_files["p256"].ca,
            servername="example.com",
            extra=["-verify_hostname", "example.com"],
        ) as proc,
    ):
        tls = srv.accept(server_config(), proc)
        tls.handshake()
        assert tls.conn.server_name == "example.com"
        wait_client_ready(proc)
        exchange_with_openssl(tls, proc, 100)


def test_openssl_client_key_update_both_ways(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path
) -> None:
    trace = tmp_path / "trace.txt"
    with (
        CytlsServer() as srv,
        openssl_client(openssl_bin, srv.port, pki_files["p256"].ca, trace_file=trace) as proc,
    ):
        tls = srv.accept(server_config(), proc)
        tls.handshake()
        wait_client_ready(proc)
        key_update_dance(tls, proc)
        text = close_client_side(tls, proc, trace)
    sent, received = key_updates(text)
    assert sent == ["update_requested", "update_not_requested", "update_not_requested"]
    assert received == ["update_not_requested", "update_requested"]


def test_openssl_client_rejects_untrusted_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with (
        CytlsServer() as srv,
        openssl_client(openssl_bin, srv.port, pki_files["untrusted"].ca) as proc,
    ):
        tls = srv.accept(server_config(), proc)
        with pytest.raises(TLSAlert) as info:
            tls.handshake()
        assert info.value.received and info.value.description == 48  # unknown_ca
        proc.wait_for(r"verify error:num=20:unable to get local issuer certificate")


def test_openssl_client_untrusted_cert_rejected_by_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    """The client's chain ends at a root the cytls server does not trust."""
    with (
        CytlsServer() as srv,
        openssl_client(
            openssl_bin, srv.port, pki_files["p256"].ca, client=pki_files["untrusted"]
        ) as proc,
    ):
        handshake_rejects_untrusted_client(srv.accept(server_config(verify_mode=2), proc))
        proc.wait_for(r"(?i)alert unknown ca.*SSL alert number 48")


@pytest.mark.parametrize("server_preference", [True, False])
def test_cytls_server_suite_preference(
    openssl_bin: str, pki_files: dict[str, PKIFiles], server_preference: bool
) -> None:
    """s_client offers AES-256, ChaCha20, AES-128 (in that order); the cytls
    server picks by its own order unless told to follow the client's."""
    ours = [0x1303, 0x1301, 0x1302]
    theirs = [0x1302, 0x1303, 0x1301]
    expected = ours[0] if server_preference else theirs[0]
    with (
        CytlsServer() as srv,
        openssl_client(openssl_bin, srv.port, pki_files["p256"].ca, suites=theirs) as proc,
    ):
        cfg = server_config(cipher_suites=ours, server_preference=server_preference)
        tls = srv.accept(cfg, proc)
        tls.handshake()
        assert tls.conn.cipher_suite == expected
        wait_client_ready(proc)
        proc.wait_for(f"New, TLSv1.3, Cipher is {SUITES[expected]}")
        exchange_with_openssl(tls, proc, 100)
        close_client_side(tls, proc)
