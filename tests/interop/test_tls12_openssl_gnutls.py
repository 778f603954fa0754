"""Interop of the cytls TLS 1.2 engine with `openssl s_server`/`s_client
-tls1_2` and `gnutls-serv`/`gnutls-cli` with a TLS 1.2 priority, over
loopback, both directions: the six suites, the three groups, ECDSA and RSA
certificates, client certificates, and exporter agreement (RFC 5705).
"""

from __future__ import annotations

import pytest
from peer_commands import (
    SUITES12,
    exchange_lines,
    exporter_value,
    gnutls_client,
    gnutls_server,
    openssl_client,
    openssl_server,
    our_exporter,
)
from peers import P256, P384, X25519, CytlsServer, CytlsSocket, PKIFiles, connect, token
from tls_helpers import client_config, pki, server_config

pytestmark = [pytest.mark.interop, pytest.mark.timeout(30)]

GROUPS = [X25519, P256, P384]
KIND = {0xC02B: "p256", 0xC02C: "p256", 0xCCA9: "p256", 0xC02F: "rsa", 0xC030: "rsa", 0xCCA8: "rsa"}


@pytest.mark.parametrize("group", GROUPS, ids=["x25519", "p256", "p384"])
@pytest.mark.parametrize("suite", list(SUITES12), ids=list(SUITES12.values()))
def test_cytls_client_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], suite: int, group: int
) -> None:
    kind = KIND[suite]
    with openssl_server(
        openssl_bin, pki_files[kind], suites=[suite], groups=[group], tls12=True
    ) as (proc, port):
        tls = CytlsSocket(client_config(kind, groups=[group, P256]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.version == 0x0303
            assert tls.conn.cipher_suite == suite and tls.conn.group == group
            proc.wait_for(f"CIPHER is {SUITES12[suite]}")
            assert exporter_value(proc) == our_exporter(tls)
            exchange_lines(tls, proc, 1000)
            tls.conn.close()
            tls.flush()
            assert proc.wait() == 0, proc.text
        finally:
            tls.close()


@pytest.mark.parametrize("group", GROUPS, ids=["x25519", "p256", "p384"])
@pytest.mark.parametrize("suite", list(SUITES12), ids=list(SUITES12.values()))
def test_openssl_client_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], suite: int, group: int
) -> None:
    kind = KIND[suite]
    with CytlsServer() as srv:
        # The client names P-256 too: the ECDSA certificate's curve must be
        # one it supports (RFC 8422 §5.1); cytls picks `group`.
        groups = [group] + ([P256] if group != P256 else [])
        proc = openssl_client(
            openssl_bin, srv.port, pki_files[kind].ca, suites=[suite], groups=groups, tls12=True
        )
        with proc:
            tls = srv.accept(server_config(kind, groups=[group]), proc)
            try:
                tls.handshake()
                assert tls.conn.version == 0x0303
                assert tls.conn.cipher_suite == suite and tls.conn.group == group
                assert tls.conn.server_name == "localhost"
                proc.wait_for(f"Cipher is {SUITES12[suite]}")
                assert exporter_value(proc) == our_exporter(tls)
                exchange_lines(tls, proc, 1000)
            finally:
                tls.close()


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_client_certificates_openssl(
    openssl_bin: str, pki_files: dict[str, PKIFiles], kind: str
) -> None:
    p = pki(kind)
    cfg = client_config(kind, certificate_chain=p.client_chain, private_key=p.client_key)
    with openssl_server(
        openssl_bin, pki_files[kind], verify_client=pki_files[kind], tls12=True
    ) as (proc, port):
        tls = CytlsSocket(cfg, connect(port))
        try:
            tls.handshake()
            assert tls.conn.client_auth_requested and tls.conn.version == 0x0303
            exchange_lines(tls, proc, 1000)
        finally:
            tls.close()
    with CytlsServer() as srv:
        proc = openssl_client(
            openssl_bin, srv.port, pki_files[kind].ca, client=pki_files[kind], tls12=True
        )
        with proc:
            tls = srv.accept(server_config(kind, verify_mode=2), proc)
            try:
                tls.handshake()
                assert tls.conn.peer_certificates[0].subject == p.client.subject
                exchange_lines(tls, proc, 1000)
            finally:
                tls.close()


@pytest.mark.parametrize("group", GROUPS, ids=["x25519", "p256", "p384"])
@pytest.mark.parametrize("suite", list(SUITES12), ids=list(SUITES12.values()))
def test_cytls_client_gnutls_server(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles], suite: int, group: int
) -> None:
    kind = KIND[suite]
    with gnutls_server(
        gnutls_serv_bin, pki_files[kind], suites=[suite], groups=[group], tls12=True
    ) as (proc, port):
        tls = CytlsSocket(client_config(kind, groups=[group, P256]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.version == 0x0303
            assert tls.conn.cipher_suite == suite and tls.conn.group == group
            proc.wait_for(r"\(TLS1\.2-X\.509\)-\(ECDHE-")
            payload = token(800) + b"\n"
            tls.send(payload)
            assert tls.recv_exactly(len(payload)) == payload
        finally:
            tls.close()


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_gnutls_client_cytls_server(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles], kind: str
) -> None:
    p = pki(kind)
    with CytlsServer() as srv:
        proc = gnutls_client(
            gnutls_cli_bin, srv.port, pki_files[kind].ca, client=pki_files[kind], tls12=True
        )
        with proc:
            tls = srv.accept(server_config(kind, verify_mode=2), proc)
            try:
                tls.handshake()
                assert tls.conn.version == 0x0303
                assert tls.conn.peer_certificates[0].subject == p.client.subject
                m = proc.wait_for(r"Key material: ([0-9a-f]{64})")
                assert bytes.fromhex(m.group(1).decode()) == our_exporter(tls)
                exchange_lines(tls, proc, 1000)
            finally:
                tls.close()
