"""TLS 1.2 RSA key transport (TLS_RSA_WITH_AES_128/256_GCM, opt-in) against
`openssl s_server`/`s_client -tls1_2 -cipher AES128-GCM-SHA256`, GnuTLS
(`+RSA` key exchange) and the `ssl` module, both roles; and the default
configuration refusing a client that offers only these suites."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
from peer_commands import (
    exchange_lines,
    exporter_value,
    gnutls_client,
    gnutls_server,
    openssl_client,
    openssl_server,
    our_exporter,
)
from peers import CytlsServer, CytlsSocket, PKIFiles, connect, token
from tls_helpers import client_config, server_config

import cytls
from cytls._handshake.config import default_cipher_suites

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

RSA_KX = {0x009C: "AES128-GCM-SHA256", 0x009D: "AES256-GCM-SHA384"}
GNUTLS_CIPHER = {0x009C: "AES-128-GCM", 0x009D: "AES-256-GCM"}
IDS = list(RSA_KX.values())


def _gnutls_prio(suite: int) -> str:
    return f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+{GNUTLS_CIPHER[suite]}"


def _rsa_server(suite: int) -> object:
    return server_config("rsa", cipher_suites=[*default_cipher_suites(), suite])


@pytest.mark.parametrize("suite", list(RSA_KX), ids=IDS)
def test_cytls_client_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], suite: int
) -> None:
    extra = ["-cipher", RSA_KX[suite]]
    with openssl_server(openssl_bin, pki_files["rsa"], tls12=True, extra=extra) as (proc, port):
        tls = CytlsSocket(client_config("rsa", cipher_suites=[suite]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.version == 0x0303 and tls.conn.cipher_suite == suite
            assert tls.conn.group is None
            proc.wait_for(f"CIPHER is {RSA_KX[suite]}")
            assert exporter_value(proc) == our_exporter(tls)
            exchange_lines(tls, proc, 1000)
            tls.conn.close()
            tls.flush()
            assert proc.wait() == 0, proc.text
        finally:
            tls.close()


@pytest.mark.parametrize("suite", list(RSA_KX), ids=IDS)
def test_openssl_client_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], suite: int
) -> None:
    with CytlsServer() as srv:
        extra = ["-cipher", RSA_KX[suite]]
        proc = openssl_client(openssl_bin, srv.port, pki_files["rsa"].ca, tls12=True, extra=extra)
        with proc:
            tls = srv.accept(_rsa_server(suite), proc)
            try:
                tls.handshake()
                assert tls.conn.version == 0x0303 and tls.conn.cipher_suite == suite
                proc.wait_for(f"Cipher is {RSA_KX[suite]}")
                assert "Server Temp Key" not in proc.text  # no ephemeral key
                assert exporter_value(proc) == our_exporter(tls)
                exchange_lines(tls, proc, 1000)
            finally:
                tls.close()


def test_openssl_client_default_server_no_shared_cipher(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    with CytlsServer() as srv:
        extra = ["-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384"]
        proc = openssl_client(openssl_bin, srv.port, pki_files["rsa"].ca, tls12=True, extra=extra)
        with proc:
            tls = srv.accept(server_config("rsa"), proc)
            try:
                alert = tls.expect_failure()
                assert alert.description == 40  # handshake_failure
                proc.wait_for("alert handshake failure")
            finally:
                tls.close()


@pytest.mark.parametrize("suite", list(RSA_KX), ids=IDS)
def test_cytls_client_gnutls_server(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles], suite: int
) -> None:
    extra = ["--priority", _gnutls_prio(suite)]
    with gnutls_server(gnutls_serv_bin, pki_files["rsa"], tls12=True, extra=extra) as (proc, port):
        tls = CytlsSocket(client_config("rsa", cipher_suites=[suite]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.version == 0x0303 and tls.conn.cipher_suite == suite
            proc.wait_for(r"\(TLS1\.2-X\.509\)-\(RSA\)")
            payload = token(800) + b"\n"
            tls.send(payload)
            assert tls.recv_exactly(len(payload)) == payload
        finally:
            tls.close()


@pytest.mark.parametrize("suite", list(RSA_KX), ids=IDS)
def test_gnutls_client_cytls_server(
    gnutls_cli_bin: str, pki_files: dict[str, PKIFiles], suite: int
) -> None:
    with CytlsServer() as srv:
        extra = ["--priority", _gnutls_prio(suite)]
        proc = gnutls_client(gnutls_cli_bin, srv.port, pki_files["rsa"].ca, tls12=True, extra=extra)
        with proc:
            tls = srv.accept(_rsa_server(suite), proc)
            try:
                tls.handshake()
                assert tls.conn.version == 0x0303 and tls.conn.cipher_suite == suite
                m = proc.wait_for(r"Key material: ([0-9a-f]{64})")
                assert bytes.fromhex(m.group(1).decode()) == our_exporter(tls)
                proc.wait_for(r"\(TLS1\.2-X\.509\)-\(RSA\)")
                exchange_lines(tls, proc, 1000)
            finally:
                tls.close()


# ------------------------------------------------------------ ssl module


def _ssl_pair(
    client: ssl.SSLContext, server: ssl.SSLContext
) -> tuple[ssl.SSLSocket | None, BaseException | None, BaseException | None]:
    """Handshake client against server over a socketpair; returns the
    client socket (or None) and each side's error."""
    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    errors: list[BaseException | None] = [None]

    def serve() -> None:
        try:
            with server.wrap_socket(b, server_side=True) as tls:
                tls.sendall(tls.recv(100))
        except BaseException as exc:  # reported to the test
            errors[0] = exc

    t = threading.Thread(target=serve)
    t.start()
    try:
        tls = client.wrap_socket(a, server_hostname="localhost")
        tls.sendall(b"ping")
        assert tls.recv(100) == b"ping"
        result: tuple[ssl.SSLSocket | None, BaseException | None] = (tls, None)
    except BaseException as exc:
        result = (None, exc)
        a.close()
    t.join(10)
    b.close()
    return result[0], result[1], errors[0]


def _contexts(pki_files: dict[str, PKIFiles], cy_client: bool) -> tuple[ssl.SSLContext, ...]:
    files = pki_files["rsa"]
    client_cls = cytls.SSLContext if cy_client else ssl.SSLContext
    server_cls = ssl.SSLContext if cy_client else cytls.SSLContext
    client = client_cls(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(files.ca)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    server = server_cls(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(files.chain, files.key)
    return client, server


@pytest.mark.parametrize("cy_client", [True, False], ids=["cytls-client", "cytls-server"])
@pytest.mark.parametrize("spec", ["AES128-GCM-SHA256", "AES256-GCM-SHA384", "kRSA"])
def test_ssl_module_both_roles(pki_files: dict[str, PKIFiles], cy_client: bool, spec: str) -> None:
    client, server = _contexts(pki_files, cy_client)
    client.set_ciphers(spec)
    server.set_ciphers(f"ECDHE+AESGCM:{spec}")
    tls, err, server_err = _ssl_pair(client, server)
    assert err is None and server_err is None, (err, server_err)
    assert tls is not None
    name, version, _ = tls.cipher()  # type: ignore[misc]
    assert version == "TLSv1.2"
    assert name == ("AES256-GCM-SHA384" if spec == "kRSA" else spec)
    tls.close()


@pytest.mark.parametrize("cy_client", [True, False], ids=["cytls-client", "cytls-server"])
def test_ssl_module_off_by_default(pki_files: dict[str, PKIFiles], cy_client: bool) -> None:
    # One side offers only RSA key transport; the other keeps its defaults
    # (the ssl module's default cipher string has no kRSA either).
    client, server = _contexts(pki_files, cy_client)
    client.set_ciphers("AES128-GCM-SHA256:AES256-GCM-SHA384")
    tls, err, server_err = _ssl_pair(client, server)
    assert tls is None and isinstance(err, ssl.SSLError)
    assert isinstance(server_err, ssl.SSLError)
    # The server's reason as OpenSSL's; the client hears handshake_failure.
    assert server_err.reason == "NO_SHARED_CIPHER", server_err
    assert "no shared cipher" in str(server_err)
    assert err.reason.endswith("ALERT_HANDSHAKE_FAILURE"), err
