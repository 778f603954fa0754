"""Interop of the cytls TLS 1.3 engine with GnuTLS (`gnutls-serv`, `gnutls-cli`).

Owns: cytls client against `gnutls-serv --echo` and `gnutls-cli` against a
cytls server, over loopback: every suite x every group (priority strings
restricted to one of each), ECDSA P-256/P-384 and RSA server certificates,
client certificates (present, missing when required), HelloRetryRequest in
both roles, ALPN, KeyUpdate both ways (`**REHANDSHAKE**` on gnutls-serv,
`^rekey^`/`^rekey1^` inline commands on gnutls-cli), exporter agreement
(gnutls-serv's tls-exporter channel binding, gnutls-cli's --keymatexport),
close_notify, and untrusted peers. Outcomes are read from both sides.
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from peer_commands import (
    GNUTLS_GROUPS,
    GNUTLS_SUITES,
    close_from_peer,
    exchange_lines,
    gnutls_client,
    gnutls_server,
    handshake_rejects_untrusted_client,
    our_exporter,
)
from peers import (
    P256,
    P384,
    SUITES,
    X25519,
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
GROUP_IDS = ["x25519", "p256", "p384"]
SERVER_SIGNATURE = {
    "p256": "ECDSA-SECP256R1-SHA256",
    "p384": "ECDSA-SECP384R1-SHA384",
    "rsa": "RSA-PSS-RSAE-SHA256",
}


def description(proc: PeerProcess, start: int = 0) -> tuple[str, str, str]:
    """(group, signature, cipher) from GnuTLS's session description line,
    e.g. "(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)"."""
    m = proc.wait_for(
        r"- Description: \(TLS1\.3-X\.509\)-\(ECDHE-([\w-]+)\)-\(([\w-]+)\)-\(([\w-]+)\)",
        start=start,
    )
    g, sig, cipher = (x.decode() for x in m.groups())
    return g, sig, cipher


def tls_exporter(proc: PeerProcess, start: int = 0) -> bytes:
    """gnutls-serv prints the RFC 9266 tls-exporter channel binding: the
    exporter with label "EXPORTER-Channel-Binding", empty context, 32 bytes."""
    m = proc.wait_for(r"'tls-exporter': ([0-9a-f]{64})", start=start)
    return bytes.fromhex(m.group(1).decode())


def echo(tls: CytlsSocket, size: int = 40000) -> None:
    """A payload through gnutls-serv's echo, back exactly."""
    payload = token(size // 2) + b"\n"
    tls.send(payload)
    assert tls.recv_exactly(len(payload)) == payload


def exchange_with_cli(tls: CytlsSocket, proc: PeerProcess, size: int = 40000) -> None:
    """Application data both ways with gnutls-cli: cytls -> its stdout,
    its stdin -> cytls."""
    exchange_lines(tls, proc, size, b"gnutls")


# ================================================== cytls client -> gnutls-serv


@pytest.mark.parametrize("group", GROUPS, ids=GROUP_IDS)
@pytest.mark.parametrize("suite", list(SUITES), ids=list(SUITES.values()))
def test_cytls_client_gnutls_server(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles], suite: int, group: int
) -> None:
    with gnutls_server(gnutls_serv_bin, pki_files["p256"], suites=[suite], groups=[group]) as (
        proc,
        port,
    ):
        tls = CytlsSocket(client_config(key_share_groups=[group]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.cipher_suite == suite and tls.conn.group == group
            assert "receive HelloRetryRequest" not in [t.step for t in tls.conn.trace]
            g, sig, cipher = description(proc)
            assert (g, sig, cipher) == (
                GNUTLS_GROUPS[group],
                "ECDSA-SECP256R1-SHA256",
                GNUTLS_SUITES[suite],
            )
            proc.wait_for(r"Given server name\[1\]: localhost")
            assert tls_exporter(proc) == tls.conn.export_keying_material(
                b"EXPORTER-Channel-Binding", b"", 32
            )
            echo(tls)
            echo(tls, 10)
        finally:
            tls.close()


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa"])
def test_cytls_client_gnutls_server_cert_kinds(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles], kind: str
) -> None:
    p = pki(kind)
    with gnutls_server(gnutls_serv_bin, pki_files[kind]) as (proc, port):
        tls = CytlsSocket(client_config(kind), connect(port))
        try:
            tls.handshake()
            assert tls.conn.verified_chain == [p.leaf, p.inter, p.root]
            proc.wait_for(f"- Server Signature: {SERVER_SIGNATURE[kind]}\n")
            echo(tls, 1000)
        finally:
            tls.close()


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_cytls_client_certificate_to_gnutls_server(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles], kind: str
) -> None:
    p = pki(kind)
    cfg = client_config(kind, certificate_chain=p.client_chain, private_key=p.client_key)
    with gnutls_server(gnutls_serv_bin, pki_files[kind], require_client_cert=pki_files[kind]) as (
        proc,
        port,
    ):
        tls = CytlsSocket(cfg, connect(port))
        try:
            tls.handshake()
            assert tls.conn.client_auth_requested
            echo(tls, 1000)  # the server accepted our chain and our CertificateVerify
            proc.wait_for(r"- Status: The certificate is trusted\.")
            proc.wait_for(r"- Got a certificate list of 2 certificates\.")
            proc.wait_for(r"\tSubject: CN=client\.example\n")
        finally:
            tls.close()


def test_gnutls_server_requires_cert_cytls_has_none(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with gnutls_server(
        gnutls_serv_bin, pki_files["p256"], require_client_cert=pki_files["p256"]
    ) as (proc, port):
        tls = CytlsSocket(client_config(), connect(port))
        try:
            exc = tls.expect_failure()
        finally:
            tls.close()
        assert exc.received and exc.description == 116  # certificate_required
        proc.wait_for(r"(?i)Error in handshake")


@pytest.mark.parametrize("server_group", [P256, P384])
def test_cytls_client_gnutls_hello_retry_request(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles], server_group: int
) -> None:
    cfg = client_config(groups=[X25519, P256, P384], key_share_groups=[X25519])
    with gnutls_server(gnutls_serv_bin, pki_files["p256"], groups=[server_group]) as (
        proc,
        port,
    ):
        tls = CytlsSocket(cfg, connect(port))
        try:
            tls.handshake()
            assert tls.conn.group == server_group
            assert "receive HelloRetryRequest" in [t.step for t in tls.conn.trace]
            assert description(proc)[0] == GNUTLS_GROUPS[server_group]
            echo(tls, 1000)
        finally:
            tls.close()


def test_cytls_default_client_gnutls_server(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    """Default client (shares for X25519MLKEM768 and X25519): GnuTLS 3.7
    knows no ML-KEM and takes X25519 without a retry."""
    with gnutls_server(gnutls_serv_bin, pki_files["p256"]) as (proc, port):
        tls = CytlsSocket(client_config(), connect(port))
        try:
            tls.handshake()
            assert tls.conn.group == X25519
            assert "receive HelloRetryRequest" not in [t.step for t in tls.conn.trace]
            assert description(proc)[0] == "X25519"
            echo(tls, 1000)
        finally:
            tls.close()


def test_cytls_client_gnutls_alpn(gnutls_serv_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    with gnutls_server(gnutls_serv_bin, pki_files["p256"], alpn=["http/1.1"]) as (proc, port):
        tls = CytlsSocket(client_config(alpn_protocols=["h2", "http/1.1"]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.alpn_protocol == "http/1.1"
            proc.wait_for(r"- Application protocol: http/1\.1\n")
            echo(tls, 100)
        finally:
            tls.close()


def test_cytls_client_gnutls_key_update_both_ways(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with gnutls_server(gnutls_serv_bin, pki_files["p256"]) as (proc, port):
        tls = CytlsSocket(client_config(), connect(port))
        try:
            tls.handshake()
            echo(tls, 1000)
            # In TLS 1.3 gnutls-serv's **REHANDSHAKE** sends
            # KeyUpdate(update_requested); cytls answers with its own.
            tls.send(b"**REHANDSHAKE**\n")
            assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=True)
            assert tls.recv_until(b"\n") == b"Successfully executed command\n"
            proc.wait_for(r"\*\*\* Sending rehandshake request")
            echo(tls, 1000)
            # cytls asks; GnuTLS answers with update_not_requested.
            tls.conn.update_key(request_peer=True)
            tls.flush()
            echo(tls, 1000)
            assert tls.wait_event(KeyUpdated, timeout=0.1) == KeyUpdated(update_requested=False)
            for _ in range(3):
                tls.conn.update_key(request_peer=False)
                echo(tls, 300)
        finally:
            tls.close()


@pytest.mark.parametrize(("which", "code"), [("untrusted", 20), ("wrongname", 62)])
def test_cytls_client_rejects_gnutls_server(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles], which: str, code: int
) -> None:
    files = pki_files["untrusted"] if which == "untrusted" else pki_files["p256"]
    host = "wrong.example" if which == "wrongname" else "localhost"
    with gnutls_server(gnutls_serv_bin, files) as (proc, port):
        tls = CytlsSocket(client_config(server_hostname=host), connect(port))
        try:
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                tls.handshake()
        finally:
            tls.close()
        exc: Any = info.value
        assert exc.verify_code == code and not exc.received
        proc.wait_for(r"Error in handshake: A TLS fatal alert has been received")


# ================================================== gnutls-cli -> cytls server


def wait_cli_ready(proc: PeerProcess) -> None:
    proc.wait_for(r"- Handshake was completed\n")
    proc.wait_for(r"- Simple Client Mode:\n")


def cli_exporter(proc: PeerProcess) -> bytes:
    m = proc.wait_for(r"- Key material: ([0-9a-f]{64})")
    return bytes.fromhex(m.group(1).decode())


@pytest.mark.parametrize("group", GROUPS, ids=GROUP_IDS)
@pytest.mark.parametrize("suite", list(SUITES), ids=list(SUITES.values()))
def test_gnutls_client_cytls_server(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles], suite: int, group: int
) -> None:
    with (
        CytlsServer() as srv,
        gnutls_client(
            gnutls_cli_bin, srv.port, pki_files["p256"].ca, suites=[suite], groups=[group]
        ) as proc,
    ):
        tls = srv.accept(server_config(), proc)
        tls.handshake()
        assert tls.conn.cipher_suite == suite and tls.conn.group == group
        assert tls.conn.server_name == "localhost"
        assert "send HelloRetryRequest" not in [t.step for t in tls.conn.trace]
        wait_cli_ready(proc)
        proc.wait_for(r"- Status: The certificate is trusted\.")
        assert description(proc) == (
            GNUTLS_GROUPS[group],
            "ECDSA-SECP256R1-SHA256",
            GNUTLS_SUITES[suite],
        )
        assert cli_exporter(proc) == our_exporter(tls)
        exchange_with_cli(tls, proc)
        close_from_peer(tls, proc)


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa"])
def test_gnutls_client_server_cert_kinds(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles], kind: str
) -> None:
    with CytlsServer() as srv, gnutls_client(gnutls_cli_bin, srv.port, pki_files[kind].ca) as proc:
        tls = srv.accept(server_config(kind), proc)
        tls.handshake()
        wait_cli_ready(proc)
        proc.wait_for(r"- Status: The certificate is trusted\.")
        assert description(proc)[1] == SERVER_SIGNATURE[kind]
        exchange_with_cli(tls, proc, 1000)
        close_from_peer(tls, proc)


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_gnutls_client_certificate_to_cytls_server(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles], kind: str
) -> None:
    p = pki(kind)
    with (
        CytlsServer() as srv,
        gnutls_client(gnutls_cli_bin, srv.port, pki_files[kind].ca, client=pki_files[kind]) as proc,
    ):
        tls = srv.accept(server_config(kind, verify_mode=2), proc)
        tls.handshake()
        assert tls.conn.verified_chain == [p.client, p.inter, p.root]
        wait_cli_ready(proc)
        proc.wait_for(r"- Successfully sent 2 certificate\(s\) to server\.")
        exchange_with_cli(tls, proc, 1000)
        close_from_peer(tls, proc)


def test_gnutls_client_without_cert_cytls_server_requires_one(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with (
        CytlsServer() as srv,
        gnutls_client(gnutls_cli_bin, srv.port, pki_files["p256"].ca) as proc,
    ):
        tls = srv.accept(server_config(verify_mode=2), proc)
        with pytest.raises(TLSAlert) as info:
            tls.handshake()
        assert info.value.description == 116 and not info.value.received
        proc.wait_for(r"(?i)certificate is required")


@pytest.mark.parametrize("server_group", [P256, P384])
def test_gnutls_client_hello_retry_request(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles], server_group: int
) -> None:
    """gnutls-cli sends a share for X25519 (its first group) and maybe one
    more; the cytls server insists on a group it did not share."""
    groups = [X25519, P384, P256] if server_group == P256 else [X25519, P256, P384]
    with (
        CytlsServer() as srv,
        gnutls_client(gnutls_cli_bin, srv.port, pki_files["p256"].ca, groups=groups) as proc,
    ):
        tls = srv.accept(server_config(groups=[server_group]), proc)
        tls.handshake()
        assert tls.conn.group == server_group
        assert "send HelloRetryRequest" in [t.step for t in tls.conn.trace]
        wait_cli_ready(proc)
        assert description(proc)[0] == GNUTLS_GROUPS[server_group]
        exchange_with_cli(tls, proc, 1000)
        close_from_peer(tls, proc)


def test_gnutls_client_alpn_cytls_server(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with (
        CytlsServer() as srv,
        gnutls_client(
            gnutls_cli_bin, srv.port, pki_files["p256"].ca, alpn=["h2", "http/1.1"]
        ) as proc,
    ):
        tls = srv.accept(server_config(alpn_protocols=["http/1.1"]), proc)
        tls.handshake()
        assert tls.conn.alpn_protocol == "http/1.1"
        wait_cli_ready(proc)
        proc.wait_for(r"- Application protocol: http/1\.1")
        exchange_with_cli(tls, proc, 100)
        close_from_peer(tls, proc)


def test_gnutls_client_key_update_both_ways(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with (
        CytlsServer() as srv,
        gnutls_client(
            gnutls_cli_bin, srv.port, pki_files["p256"].ca, extra=["--inline-commands"]
        ) as proc,
    ):
        tls = srv.accept(server_config(), proc)
        tls.handshake()
        wait_cli_ready(proc)
        exchange_with_cli(tls, proc, 1000)
        proc.write(b"^rekey^\n")  # KeyUpdate(update_requested)
        assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=True)
        proc.wait_for(r"- Rekey was completed")
        exchange_with_cli(tls, proc, 1000)
        start = len(proc.output)
        proc.write(b"^rekey1^\n")  # KeyUpdate(update_not_requested)
        assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=False)
        proc.wait_for(r"- Rekey was completed", start=start)
        exchange_with_cli(tls, proc, 1000)
        tls.conn.update_key(request_peer=True)
        tls.flush()
        exchange_with_cli(tls, proc, 1000)
        assert tls.wait_event(KeyUpdated) == KeyUpdated(update_requested=False)
        exchange_with_cli(tls, proc, 1000)
        close_from_peer(tls, proc)


def test_gnutls_client_rejects_untrusted_cytls_server(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with (
        CytlsServer() as srv,
        gnutls_client(gnutls_cli_bin, srv.port, pki_files["untrusted"].ca) as proc,
    ):
        tls = srv.accept(server_config(), proc)
        with pytest.raises(TLSAlert) as info:
            tls.handshake()
        assert info.value.received and info.value.description == 42  # GnuTLS sends bad_certificate
        proc.wait_for(r"The certificate issuer is unknown")
        proc.wait_for(r"\*\*\* PKI verification of server certificate failed")


def test_gnutls_client_untrusted_cert_rejected_by_cytls_server(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with (
        CytlsServer() as srv,
        gnutls_client(
            gnutls_cli_bin, srv.port, pki_files["p256"].ca, client=pki_files["untrusted"]
        ) as proc,
    ):
        handshake_rejects_untrusted_client(srv.accept(server_config(verify_mode=2), proc))
        proc.wait_for(r"\*\*\* Received alert \[48\]: CA is unknown")
