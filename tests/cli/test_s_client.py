"""`python -m cytls s_client` against `openssl s_server -www` and `gnutls-serv`, with
and without a client certificate, and its one-line errors."""

from __future__ import annotations

import socket

import pytest
from cli_helpers import free_port, have, run_cli

from cytls.cli._certgen import CertFiles

GET = b"GET / HTTP/1.0\r\n\r\n"


def _client(impl: str, port: int, pki: CertFiles, client_cert: bool, *extra: str) -> list[str]:
    args = ["s_client", "--impl", impl, f"127.0.0.1:{port}", "-servername", "localhost",
            "-CAfile", str(pki.ca), *extra]
    if client_cert:
        args += ["-cert", str(pki.client_chain), "-key", str(pki.client_key)]
    return args


def _openssl_server(start, pki: CertFiles, client_cert: bool, *extra: str):
    port = free_port()
    argv = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(pki.server_chain),
            "-cert_chain", str(pki.server_chain), "-key", str(pki.server_key), "-www", *extra]
    if client_cert:
        argv += ["-Verify", "1", "-CAfile", str(pki.ca)]  # required: no handshake without it
    return start(argv, "ACCEPT", port=port)


@pytest.mark.interop
@pytest.mark.parametrize("client_cert", [False, True])
def test_against_openssl_s_server_www(impl: str, pki: CertFiles, start, client_cert: bool) -> None:
    if not have("openssl"):
        pytest.skip("openssl command not installed")
    srv = _openssl_server(start, pki, client_cert)
    res = run_cli(*_client(impl, srv.port, pki, client_cert, "-alpn", "http/1.1"), input=GET)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert f"CONNECTED to 127.0.0.1:{srv.port}" in out
    assert "Server certificate chain (verified)" in out
    assert " 0 s:CN=localhost,O=cytls throwaway PKI" in out
    assert "Verification : OK" in out
    assert "Protocol     : TLSv1.3" in out
    assert "HTTP/1.0 200 ok" in out  # openssl's page, relayed to stdout
    assert "Ciphers supported in s_server binary" in out


@pytest.mark.interop
@pytest.mark.parametrize("client_cert", [False, True])
def test_against_gnutls_serv(impl: str, pki: CertFiles, start, client_cert: bool) -> None:
    if not have("gnutls-serv"):
        pytest.skip("gnutls-serv not installed")
    port = free_port()
    argv = ["gnutls-serv", "--http", "-p", str(port), "--x509certfile", str(pki.server_chain),
            "--x509keyfile", str(pki.server_key), "--x509cafile", str(pki.ca)]
    if client_cert:
        argv.append("--require-client-cert")
    srv = start(argv, "listening", port=port)
    res = run_cli(*_client(impl, srv.port, pki, client_cert), input=GET)
    assert res.returncode == 0, res.stderr
    assert "Verification : OK" in res.stdout
    assert "<TD>Protocol version:</TD><TD>TLS1.3</TD>" in res.stdout  # gnutls-serv's page
    assert "GnuTLS</a></H1>" in res.stdout
    seen_client = "Subject: CN=cytls throwaway client" in res.stdout
    assert seen_client == client_cert


def test_tls12_only_and_alpn_against_openssl(pki: CertFiles, start) -> None:
    if not have("openssl"):
        pytest.skip("openssl command not installed")
    srv = _openssl_server(start, pki, False, "-alpn", "h2,http/1.1")
    res = run_cli(*_client("ssl", srv.port, pki, False, "-tls1_2", "-alpn", "http/1.1"), input=GET)
    assert res.returncode == 0, res.stderr
    assert "Protocol     : TLSv1.2" in res.stdout
    assert "ALPN         : http/1.1" in res.stdout


def test_keylogfile_is_written(pki: CertFiles, start, tmp_path) -> None:
    if not have("openssl"):
        pytest.skip("openssl command not installed")
    srv = _openssl_server(start, pki, False)
    keylog = tmp_path / "keys.log"
    res = run_cli(*_client("ssl", srv.port, pki, False, "-keylogfile", str(keylog)), input=GET)
    assert res.returncode == 0, res.stderr
    labels = {line.split()[0] for line in keylog.read_text().splitlines() if line and line[0] != "#"}
    assert {"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"} <= labels


def _one_error_line(res) -> str:
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_connection_refused() -> None:
    port = free_port()  # bound then closed: nothing listens there
    line = _one_error_line(run_cli("s_client", "--impl", "ssl", f"127.0.0.1:{port}"))
    assert line == (f"cytls s_client: error: connection refused by 127.0.0.1:{port} "
                    "(is a server listening there?)")


def test_unresolvable_name() -> None:
    line = _one_error_line(run_cli("s_client", "--impl", "ssl", "no-such-host.invalid:443"))
    assert line.startswith("cytls s_client: error: cannot resolve host name no-such-host.invalid:443")


def test_untrusted_chain_names_the_check(pki: CertFiles, start) -> None:
    srv = start(["s_server", "--impl", "ssl", "-accept", "127.0.0.1:0", "-cert",
                 str(pki.server_chain), "-key", str(pki.server_key)], "ACCEPT", cytls=True)
    res = run_cli("s_client", "--impl", "ssl", f"127.0.0.1:{srv.port}", "-servername", "localhost")
    line = _one_error_line(res)
    assert line.startswith(f"cytls s_client: error: certificate verification failed for 127.0.0.1:{srv.port}: ")
    assert "unable to get local issuer certificate" in line


def test_wrong_host_name_names_the_check(pki: CertFiles, start) -> None:
    srv = start(["s_server", "--impl", "ssl", "-accept", "127.0.0.1:0", "-cert",
                 str(pki.server_chain), "-key", str(pki.server_key)], "ACCEPT", cytls=True)
    res = run_cli(*_client("ssl", srv.port, pki, False)[:4], "-servername", "wrong.example",
                  "-CAfile", str(pki.ca))
    line = _one_error_line(res)
    assert "Hostname mismatch" in line and "wrong.example" in line


def test_insecure_skips_verification(pki: CertFiles, start) -> None:
    srv = start(["s_server", "--impl", "ssl", "-accept", "127.0.0.1:0", "-cert",
                 str(pki.server_chain), "-key", str(pki.server_key), "-naccept", "1"],
                "ACCEPT", cytls=True)
    res = run_cli("s_client", "--impl", "ssl", f"127.0.0.1:{srv.port}", "-insecure", input=b"ping\n")
    assert res.returncode == 0, res.stderr
    assert "NOT verified: -insecure" in res.stdout
    assert "Verification : skipped (-insecure)" in res.stdout
    assert res.stdout.rstrip().endswith("ping")  # echoed back by s_server


def test_debug_shows_the_traceback() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = run_cli("s_client", "--impl", "ssl", f"127.0.0.1:{port}", "--debug")
    assert res.returncode != 0
    assert "Traceback" in res.stderr and "ConnectionRefusedError" in res.stderr


def test_groups_hybrid_with_trace_against_cytls_s_server(pki: CertFiles, start) -> None:
    srv = start(["s_server", "-accept", "127.0.0.1:0", "-cert", str(pki.server_chain),
                 "-key", str(pki.server_key), "-naccept", "1", "-groups", "X25519MLKEM768:x25519"],
                "ACCEPT", cytls=True)
    res = run_cli(*_client("cytls", srv.port, pki, False, "-groups", "X25519MLKEM768", "-trace"),
                  input=b"ping\n")
    assert res.returncode == 0, res.stderr
    assert "Group        : X25519MLKEM768" in res.stdout
    trace = res.stdout.split("Handshake trace:", 1)[1]
    assert "[C] send ClientHello" in trace and "group: X25519MLKEM768" in trace


@pytest.mark.interop
def test_groups_against_openssl(pki: CertFiles, start) -> None:
    if not have("openssl"):
        pytest.skip("openssl command not installed")
    srv = _openssl_server(start, pki, False)
    res = run_cli(*_client("cytls", srv.port, pki, False, "-groups", "P-384:x25519"), input=GET)
    assert res.returncode == 0, res.stderr
    assert "Group        : secp384r1" in res.stdout


def test_unknown_group_is_one_clear_line() -> None:
    port = free_port()
    line = _one_error_line(run_cli("s_client", f"127.0.0.1:{port}", "-groups", "ffdhe1024"))
    assert line.startswith("cytls s_client: error: ") and "unsupported group 'ffdhe1024'" in line
