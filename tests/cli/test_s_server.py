"""`python -m cytls s_server`: -www against openssl s_client, curl and the ssl module;
echo with concurrent clients; -naccept; Ctrl-C; a port in use."""

from __future__ import annotations

import re
import signal
import socket
import ssl
import subprocess
import sys
import threading

import pytest
from cli_helpers import have, run_cli

from cytls.cli._certgen import CertFiles

GET = b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"


def _server_args(impl: str, pki: CertFiles, *extra: str) -> list[str]:
    return ["s_server", "--impl", impl, "-accept", "127.0.0.1:0", "-cert", str(pki.server_chain),
            "-key", str(pki.server_key), *extra]


def _ssl_get(port: int, pki: CertFiles, client_cert: bool = False) -> str:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    if client_cert:
        ctx.load_cert_chain(str(pki.client_chain), str(pki.client_key))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(GET)
        data = b""
        while True:
            try:
                chunk = tls.recv(65536)
            except ssl.SSLZeroReturnError:
                break
            if not chunk:
                break
            data += chunk
    return data.decode()


@pytest.mark.interop
def test_www_answers_openssl_s_client(impl: str, pki: CertFiles, start) -> None:
    if not have("openssl"):
        pytest.skip("openssl command not installed")
    srv = start(_server_args(impl, pki, "-www", "-naccept", "1"), "ACCEPT", cytls=True)
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-servername", "localhost",
         "-CAfile", str(pki.ca), "-verify_return_error", "-ign_eof", "-quiet"],
        input=GET, capture_output=True, timeout=20, check=False,
    )
    text = out.stdout.decode()
    assert out.returncode == 0, out.stderr.decode()
    assert text.startswith("HTTP/1.0 200 OK"), text
    assert "Protocol    : TLSv1.3" in text
    assert "SNI         : localhost" in text
    assert f"Server      : {impl}" in text
    assert srv.proc.wait(10) == 0
    assert "1 connection accepted" in srv.stop()


@pytest.mark.interop
def test_www_answers_curl(impl: str, pki: CertFiles, start) -> None:
    if not have("curl"):
        pytest.skip("curl not installed")
    srv = start(_server_args(impl, pki, "-www", "-naccept", "1", "-alpn", "http/1.1"),
                "ACCEPT", cytls=True)
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--cacert", str(pki.ca), "--resolve",
         f"localhost:{srv.port}:127.0.0.1", f"https://localhost:{srv.port}/"],
        capture_output=True, timeout=20, check=False,
    )
    assert out.returncode == 0, out.stderr.decode()
    page = out.stdout.decode()
    assert "<h1>cytls s_server -www</h1>" in page
    assert "ALPN        : http/1.1" in page
    assert srv.proc.wait(10) == 0


@pytest.mark.interop
@pytest.mark.parametrize("client_cert", [False, True])
def test_www_answers_ssl_module(impl: str, pki: CertFiles, start, client_cert: bool) -> None:
    srv = start(_server_args(impl, pki, "-www", "-naccept", "1", "-verify", "1",
                             "-CAfile", str(pki.ca)), "ACCEPT", cytls=True)
    page = _ssl_get(srv.port, pki, client_cert)
    assert page.startswith("HTTP/1.0 200 OK")
    if client_cert:
        assert "Client cert : CN=cytls throwaway client" in page
    else:
        assert "Client cert : (none)" in page
    assert srv.proc.wait(10) == 0


def test_required_client_cert_is_enforced(impl: str, pki: CertFiles, start) -> None:
    srv = start(_server_args(impl, pki, "-Verify", "1", "-CAfile", str(pki.ca), "-naccept", "1"),
                "ACCEPT", cytls=True)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _ssl_get(srv.port, pki, client_cert=False)
    assert srv.proc.wait(10) == 0
    assert "handshake failed" in srv.stop()


def test_echo_serves_clients_concurrently(impl: str, pki: CertFiles, start) -> None:
    n = 4
    srv = start(_server_args(impl, pki, "-naccept", str(n)), "ACCEPT", cytls=True)
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    conns = []
    # All clients are connected and handshaken before any of them is served:
    # a server that handled one client at a time would not get past the second.
    for _ in range(n):
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        conns.append(ctx.wrap_socket(raw, server_hostname="localhost"))
    results: dict[int, bytes] = {}

    def talk(i: int) -> None:
        msg = f"hello {i} ".encode() * 1000
        conns[i].sendall(msg)
        got = b""
        while len(got) < len(msg):
            got += conns[i].recv(65536)
        results[i] = got
        conns[i].close()

    threads = [threading.Thread(target=talk, args=(i,)) for i in reversed(range(n))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert {i: results.get(i) for i in range(n)} == {i: f"hello {i} ".encode() * 1000 for i in range(n)}
    assert srv.proc.wait(10) == 0
    out = srv.stop()
    assert f"{n} connections accepted" in out
    assert out.count("bytes echoed") == n


def test_ctrl_c_stops_cleanly(pki: CertFiles, start) -> None:
    srv = start(_server_args("ssl", pki), "ACCEPT", cytls=True)
    idle = socket.create_connection(("127.0.0.1", srv.port), timeout=5)  # a client mid-handshake
    srv.proc.send_signal(signal.SIGINT)
    status = srv.proc.wait(10)
    out = srv.stop()
    idle.close()
    assert status == 130, out  # 128 + SIGINT, as a shell reports Ctrl-C
    assert "s_server: interrupted" in out
    assert "Traceback" not in out


def test_port_in_use_is_one_clear_line(pki: CertFiles) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        res = run_cli(*_server_args("ssl", pki)[:3], "-accept", f"127.0.0.1:{port}",
                      *_server_args("ssl", pki)[5:], timeout=20)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert lines == [f"cytls s_server: error: address 127.0.0.1:{port} is already in use "
                     "(another server on that port? try another -accept port)"]


def test_generated_certificate_when_no_cert(start) -> None:
    srv = start(["s_server", "--impl", "ssl", "-accept", "127.0.0.1:0", "-naccept", "1"],
                "ACCEPT", cytls=True)
    # Without -cert the server names the CA of its throwaway chain; that CA verifies it.
    ca = re.search(r"its CA is (\S+)", srv.head)
    assert ca, srv.head
    ctx = ssl.create_default_context(cafile=ca.group(1))
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.version() == "TLSv1.3"
    assert srv.proc.wait(10) == 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
