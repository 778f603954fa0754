"""Issue 11 against real peers on 127.0.0.1: TLS 1.2 without
extended_master_secret in both roles with `openssl s_server`/`s_client`
(OpenSSL 3.0 always offers EMS; a config file with `Options =
-ExtendedMasterSecret` turns it off), GnuTLS with `%NO_EXTENDED_MASTER_SECRET`
and tlslite-ng, the switch that requires EMS (engine, `--require-ems` of
`python -m cytls s_server`/`s_client`), the stateless-cookie-free
HelloRetryRequest as `openssl s_client -trace` sees it, KeyUpdate both ways
from `s_server -stdin_cmds`, and `s_server -www` answering a client that
closes before its request with close_notify only.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from peer_commands import (
    exchange_lines,
    exporter_value,
    openssl_client,
    openssl_server,
    our_exporter,
)
from peers import (
    P256,
    P384,
    X25519,
    CytlsServer,
    CytlsSocket,
    PeerProcess,
    PKIFiles,
    connect,
    start_server,
    token,
)
from tls_helpers import client_config, server_config

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

HANDSHAKE_FAILURE = 40


def no_ems_priority(gnutls_cli: str) -> str:
    """A TLS 1.2 GnuTLS priority without EMS: %NO_EXTENDED_MASTER_SECRET
    (GnuTLS 3.8), or %NO_SESSION_HASH, its older name (3.7)."""
    for keyword in ("%NO_EXTENDED_MASTER_SECRET", "%NO_SESSION_HASH"):
        prio = f"NORMAL:-VERS-ALL:+VERS-TLS1.2:{keyword}"
        probe = subprocess.run(
            [gnutls_cli, "--priority", prio, "--list"], capture_output=True, timeout=10
        )
        if probe.returncode == 0:
            return prio
    raise AssertionError("this GnuTLS has no way to turn off extended master secret")


@pytest.fixture
def no_ems_openssl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """openssl commands started from here negotiate no EMS (OpenSSL 3.0's
    SSL_OP_NO_EXTENDED_MASTER_SECRET, through its config file)."""
    conf = tmp_path / "no-ems.cnf"
    conf.write_text(
        "openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n"
        "[ssl_sect]\nsystem_default = system_default_sect\n"
        "[system_default_sect]\nOptions = -ExtendedMasterSecret\n"
    )
    monkeypatch.setenv("OPENSSL_CONF", str(conf))


def ems_steps(tls: CytlsSocket) -> list[Any]:
    return [dict(t.details)["extended"] for t in tls.conn.trace if t.step == "derive master secret"]


def sanity_openssl_client(openssl: str, files: PKIFiles, **skw: Any) -> None:
    """A cytls server and an `openssl s_client` complete a handshake."""
    with CytlsServer() as srv:
        proc = openssl_client(openssl, srv.port, files.ca, tls12=bool(skw.pop("tls12", False)))
        with proc:
            tls = srv.accept(server_config(**skw), proc)
            tls.handshake()
            exchange_lines(tls, proc, 200)


# ------------------------------------------------------ 1. no EMS, OpenSSL


def test_openssl_client_without_ems(
    openssl_bin: str, pki_files: dict[str, PKIFiles], no_ems_openssl: None
) -> None:
    files = pki_files["p256"]
    sanity_openssl_client(openssl_bin, files)
    with CytlsServer() as srv:
        proc = openssl_client(openssl_bin, srv.port, files.ca, tls12=True)
        with proc:
            tls = srv.accept(server_config(), proc)
            tls.handshake()
            assert tls.conn.version == 0x0303 and ems_steps(tls) == [False]
            proc.wait_for("Extended master secret: no")
            assert exporter_value(proc) == our_exporter(tls)
            exchange_lines(tls, proc, 1000)
            tls.close()
    # Required: handshake_failure, which the client reports.
    with CytlsServer() as srv:
        proc = openssl_client(openssl_bin, srv.port, files.ca, tls12=True)
        with proc:
            tls = srv.accept(server_config(require_extended_master_secret=True), proc)
            exc = tls.expect_failure()
            assert exc.description == HANDSHAKE_FAILURE and not exc.received
            proc.wait_for("alert handshake failure")
    sanity_openssl_client(openssl_bin, files, tls12=True)


def test_openssl_server_without_ems(
    openssl_bin: str, pki_files: dict[str, PKIFiles], no_ems_openssl: None
) -> None:
    files = pki_files["p256"]
    for require in (False, True):
        cfg = client_config(max_version=0x0303, require_extended_master_secret=require)
        with openssl_server(openssl_bin, files, tls12=True) as (proc, port):
            tls = CytlsSocket(cfg, connect(port))
            try:
                if require:
                    exc = tls.expect_failure()
                    assert exc.description == HANDSHAKE_FAILURE and not exc.received
                    proc.wait_for("alert handshake failure")
                    continue
                tls.handshake()
                assert tls.conn.version == 0x0303 and ems_steps(tls) == [False]
                assert exporter_value(proc) == our_exporter(tls)
                exchange_lines(tls, proc, 1000)
            finally:
                tls.close()


def test_openssl_with_ems_still_negotiates_it(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    files = pki_files["p256"]
    cfg = client_config(max_version=0x0303, require_extended_master_secret=True)
    with openssl_server(openssl_bin, files, tls12=True) as (proc, port):
        tls = CytlsSocket(cfg, connect(port))
        try:
            tls.handshake()
            assert ems_steps(tls) == [True]
            assert exporter_value(proc) == our_exporter(tls)
            exchange_lines(tls, proc, 200)
        finally:
            tls.close()


# ------------------------------------------------------- 1. no EMS, GnuTLS


def test_gnutls_without_ems_both_roles(
    gnutls_serv_bin: str, gnutls_cli_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    files = pki_files["p256"]
    prio = no_ems_priority(gnutls_cli_bin)

    def serv_argv(port: int) -> list[str]:
        return [
            gnutls_serv_bin, "--port", str(port), "--echo", "--priority", prio,
            "--x509certfile", files.chain, "--x509keyfile", files.key, "--disable-client-cert",
        ]  # fmt: skip

    proc, port = start_server(serv_argv, r"listening on IPv4 .* port \d+\.\.\.done", "gnutls-serv")
    with proc:
        for require in (False, True):
            cfg = client_config(max_version=0x0303, require_extended_master_secret=require)
            tls = CytlsSocket(cfg, connect(port))
            try:
                if require:
                    assert tls.expect_failure().description == HANDSHAKE_FAILURE
                    continue
                tls.handshake()
                assert tls.conn.version == 0x0303 and ems_steps(tls) == [False]
                payload = token(500) + b"\n"
                tls.send(payload)
                assert tls.recv_exactly(len(payload)) == payload
            finally:
                tls.close()
    with CytlsServer() as srv:
        argv = [
            gnutls_cli_bin, "--port", str(srv.port), "127.0.0.1", "--x509cafile", files.ca,
            "--sni-hostname", "localhost", "--verify-hostname", "localhost",
            "--priority", prio,
        ]  # fmt: skip
        with PeerProcess(argv, "gnutls-cli") as cli:
            tls = srv.accept(server_config(), cli)
            tls.handshake()
            assert tls.conn.version == 0x0303 and ems_steps(tls) == [False]
            exchange_lines(tls, cli, 1000)


# ------------------------------------------------------ 1. no EMS, tlslite


def test_tlslite_client_without_ems(tlslite: Any) -> None:
    s = tlslite.HandshakeSettings()
    s.minVersion = s.maxVersion = (3, 3)
    s.useExtendedMasterSecret = False
    a, b = socket.socketpair()
    a.settimeout(8)
    b.settimeout(8)
    result: dict[str, Any] = {}

    def client() -> None:
        try:
            conn = tlslite.TLSConnection(b)
            conn.handshakeClientCert(settings=s, serverName="localhost")
            result["ems"] = conn.extendedMasterSecret
            conn.write(b"from tlslite\n")
            result["echo"] = bytes(conn.read(max=100))
            conn.close()
        except BaseException as exc:  # reported below
            result["error"] = exc

    t = threading.Thread(target=client, daemon=True)
    t.start()
    tls = CytlsSocket(server_config(), a)
    try:
        tls.handshake()
        assert ems_steps(tls) == [False]
        assert tls.recv_until(b"\n") == b"from tlslite\n"
        tls.send(b"to tlslite")
        t.join(8)
        assert "error" not in result, result
        assert result == {"ems": False, "echo": b"to tlslite"}
    finally:
        tls.close()
        b.close()


# ---------------------------------------------------- the CLI's --require-ems


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cytls", *args]


def test_cli_require_ems(
    openssl_bin: str, pki_files: dict[str, PKIFiles], no_ems_openssl: None
) -> None:
    files = pki_files["p256"]
    base = ["-accept", "127.0.0.1:0", "-cert", files.chain, "-key", files.key, "-naccept", "1"]
    for flag, ok in (((), True), (("--require-ems",), False)):
        srv = PeerProcess(_cli("s_server", *base, *flag), "cytls s_server")
        with srv:
            port = int(srv.wait_for(rb"ACCEPT 127\.0\.0\.1:(\d+)").group(1))
            with openssl_client(openssl_bin, port, files.ca, tls12=True) as cli:
                if ok:
                    cli.wait_for("Extended master secret: no")
                    line = token() + b"\n"
                    cli.write(line)
                    cli.wait_for(line)  # echoed
                else:
                    cli.wait_for("alert handshake failure")
                    srv.wait_for("handshake failed")
    for flag, ok in (((), True), (("--require-ems",), False)):
        with openssl_server(openssl_bin, files, tls12=True) as (_, port):
            argv = _cli("s_client", f"127.0.0.1:{port}", "-servername", "localhost",
                        "-CAfile", files.ca, *flag)  # fmt: skip
            with PeerProcess(argv, "cytls s_client") as cli:
                if ok:
                    cli.wait_for("Protocol +: TLSv1.2")
                else:
                    cli.wait_for("(?i)handshake.failure|extended master secret")
                    assert cli.wait() != 0


# ---------------------------------------- 3. HRR as openssl s_client sees it


def test_openssl_client_sees_a_cookie_free_hello_retry_request(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path
) -> None:
    files = pki_files["p256"]
    trace = tmp_path / "trace.txt"
    with CytlsServer() as srv:
        proc = openssl_client(
            openssl_bin, srv.port, files.ca, groups=[X25519, P384], trace_file=trace
        )
        with proc:
            tls = srv.accept(server_config(groups=[P384, P256]), proc)
            tls.handshake()
            assert tls.conn.group == P384
            exchange_lines(tls, proc, 200)
    # OpenSSL 3.0's trace shows the HelloRetryRequest as the first
    # "ServerHello", before the second ClientHello.
    text = trace.read_text()
    hrr = text.split("ServerHello, Length=", 1)[1].split("ClientHello", 1)[0]
    assert "extension_type=supported_versions(43), length=2" in hrr
    assert "extension_type=key_share(51), length=2" in hrr  # the group alone
    assert "cookie" not in hrr and hrr.count("extension_type=") == 2


# ------------------------------------------------ 6. KeyUpdate, -www close


def test_s_server_key_update_on_demand(openssl_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    files = pki_files["p256"]
    argv = _cli("s_server", "-accept", "127.0.0.1:0", "-cert", files.chain, "-key", files.key,
                "-naccept", "1", "-stdin_cmds")  # fmt: skip
    with PeerProcess(argv, "cytls s_server") as srv:
        port = int(srv.wait_for(rb"ACCEPT 127\.0\.0\.1:(\d+)").group(1))
        cli = openssl_client(openssl_bin, port, files.ca, extra=["-msg"])
        with cli:
            cli.wait_for("Verify return code: 0")
            for n, (command, requested) in enumerate((("k", b"00"), ("K", b"01"))):
                line = token() + b"\n"
                cli.write(line)
                cli.wait_for(line)  # echoed: the connection works before
                start, sstart = len(cli.output), len(srv.output)
                srv.write(command.encode() + b"\n")
                srv.wait_for(rb"\[1\] KEYUPDATE sent", start=sstart)
                cli.wait_for(rb"<<< TLS 1.3, Handshake \[length 0005\], KeyUpdate\s+18 00 00 01 "
                             + requested, start=start)  # fmt: skip
                line = token() + b"\n"
                cli.write(line)
                cli.wait_for(line, start=start)  # and after, under the new keys
                if requested == b"01":
                    # The client updated its own key at our request (OpenSSL
                    # sends that KeyUpdate with its next write).
                    cli.wait_for(rb">>> TLS 1.3, Handshake \[length 0005\], KeyUpdate", start=start)
                assert srv.text.count("KEYUPDATE sent") == n + 1
            # The client's own KeyUpdate (openssl s_client's "K" command).
            start = len(cli.output)
            cli.write(b"K\n")
            cli.wait_for(rb">>> TLS 1.3, Handshake \[length 0005\], KeyUpdate", start=start)
            cli.wait_for(rb"<<< TLS 1.3, Handshake \[length 0005\], KeyUpdate", start=start)
            line = token() + b"\n"
            cli.write(line)
            cli.wait_for(line, start=start)


@pytest.mark.parametrize("version", [0x0304, 0x0303])
def test_s_server_www_says_nothing_after_close_notify(
    pki_files: dict[str, PKIFiles], version: int
) -> None:
    files = pki_files["p256"]
    argv = _cli("s_server", "-accept", "127.0.0.1:0", "-cert", files.chain, "-key", files.key,
                "-naccept", "1", "-www")  # fmt: skip
    with PeerProcess(argv, "cytls s_server") as srv:
        port = int(srv.wait_for(rb"ACCEPT 127\.0\.0\.1:(\d+)").group(1))
        tls = CytlsSocket(client_config(max_version=version), connect(port))
        try:
            tls.handshake()
            tls.send(b"GET / HTTP/1.0\r\n")  # not a whole request
            tls.conn.close()
            tls.flush()
            assert tls.wait_closed() == b""  # no HTTP 400 page: close_notify only
            assert tls.closed_by_peer()
        finally:
            tls.close()
        srv.wait_for("closed by the client, no answer")
    # A whole request is still answered.
    with PeerProcess(argv, "cytls s_server") as srv:
        port = int(srv.wait_for(rb"ACCEPT 127\.0\.0\.1:(\d+)").group(1))
        tls = CytlsSocket(client_config(max_version=version), connect(port))
        try:
            tls.handshake()
            tls.send(b"GET / HTTP/1.0\r\n\r\n")
            assert tls.wait_closed().startswith(b"HTTP/1.0 200 OK")
        finally:
            tls.close()
