"""TLS 1.3 session resumption and 0-RTT against real peers, both roles.

Owns: cytls (through its ssl API: SSLContext, SSLSocket, session=) resuming
with and against `openssl s_server` / `s_client -sess_out/-sess_in` (with
`-early_data`), `gnutls-serv` / `gnutls-cli --resume` (with 0-RTT), pyOpenSSL (OpenSSL 4,
set_session) and tlslite-ng, in TLS 1.3 and TLS 1.2 (tickets and session
IDs); each outcome read on both sides where the peer reports it.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from peer_commands import gnutls_server
from peers import STEP_TIMEOUT, PeerProcess, PKIFiles, listener, start_server
from test_tlslite import identity

import cytls

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]


def server_context(files: PKIFiles, early: int = 0) -> cytls.SSLContext:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files.chain, files.key)
    ctx.max_early_data = early
    return ctx


def client_context(files: PKIFiles) -> cytls.SSLContext:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(files.ca)
    return ctx


@dataclass
class Accepted:
    reused: bool
    early_status: str | None
    early: bytes
    line: bytes


@dataclass
class CytlsAcceptor:
    """A cytls server in a thread: accepts `count` connections, reads a
    line from each, answers "pong", and records what it saw."""

    ctx: cytls.SSLContext
    count: int
    lsock: socket.socket
    results: list[Accepted] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def run(self) -> None:
        for _ in range(self.count):
            try:
                raw, _ = self.lsock.accept()
            except OSError as exc:
                self.errors.append(exc)
                return
            raw.settimeout(STEP_TIMEOUT)
            try:
                with self.ctx.wrap_socket(raw, server_side=True) as s:
                    line = b""
                    while not line.endswith(b"\n"):
                        chunk = s.recv(1024)
                        if not chunk:
                            break
                        line += chunk
                    early = s.read_early_data()
                    self.results.append(
                        Accepted(s.session_reused, s.early_data_status, early, line)
                    )
                    s.sendall(b"pong\n")
                    with contextlib.suppress(OSError, ssl.SSLError):
                        s.unwrap()
            except (OSError, ssl.SSLError) as exc:
                self.errors.append(exc)


@contextlib.contextmanager
def cytls_server(ctx: cytls.SSLContext, count: int) -> Iterator[tuple[CytlsAcceptor, int]]:
    with listener() as lsock:
        acceptor = CytlsAcceptor(ctx, count, lsock)
        thread = threading.Thread(target=acceptor.run, daemon=True)
        thread.start()
        yield acceptor, int(lsock.getsockname()[1])
        thread.join(STEP_TIMEOUT * count)
        assert not thread.is_alive()


def cytls_connect(
    ctx: cytls.SSLContext, port: int, session: Any = None, early: bytes | None = None
) -> cytls.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT)
    s = ctx.wrap_socket(
        raw, server_hostname="localhost", session=session, do_handshake_on_connect=False
    )
    if early is not None:
        s.set_early_data(early)
    s.do_handshake()
    return s


def read_line(s: Any) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        chunk = s.recv(1024)
        if not chunk:
            break
        line += chunk
    return line


# ================================================ cytls server, peer clients


def test_openssl_client_resumes_with_early_data(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path
) -> None:
    files = pki_files["p256"]
    sess, early = tmp_path / "sess.pem", tmp_path / "early.txt"
    early.write_bytes(b"EARLY\n")
    ctx = server_context(files, early=16384)
    base = [openssl_bin, "s_client", "-CAfile", files.ca, "-servername", "localhost"]
    with cytls_server(ctx, 2) as (acceptor, port):
        target = ["-connect", f"127.0.0.1:{port}", "-ign_eof"]
        with PeerProcess([*base, *target, "-sess_out", str(sess)]) as proc:
            proc.write(b"hello\n")
            proc.wait_for("pong")
            proc.close_stdin()
            proc.wait()
        with PeerProcess([*base, *target, "-sess_in", str(sess), "-early_data", str(early)]) as p2:
            p2.write(b"again\n")
            p2.wait_for("pong")
            p2.wait_for("Reused, TLSv1.3")
            p2.wait_for("Early data was accepted")
            p2.close_stdin()
            p2.wait()
    assert not acceptor.errors
    first, second = acceptor.results
    assert not first.reused and first.line == b"hello\n"
    assert second.reused and second.early_status == "accepted"
    assert second.early == b"EARLY\n" and second.line == b"again\n"
    assert ctx.session_stats()["hits"] == 1


def test_openssl_client_early_data_rejected_without_config(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path
) -> None:
    files = pki_files["p256"]
    sess, early = tmp_path / "sess.pem", tmp_path / "early.txt"
    early.write_bytes(b"EARLY\n")
    ctx = server_context(files, early=16384)
    base = [openssl_bin, "s_client", "-CAfile", files.ca, "-servername", "localhost", "-ign_eof"]
    with cytls_server(ctx, 1) as (_, port):
        with PeerProcess([*base, "-connect", f"127.0.0.1:{port}", "-sess_out", str(sess)]) as p:
            p.write(b"hello\n")
            p.wait_for("pong")
            p.close_stdin()
            p.wait()
    # Another server with the same keys but no 0-RTT configured: it resumes
    # and skips the early data (RFC 8446 §4.2.10).
    other = server_context(files)
    other.set_ticket_keys(ctx.export_ticket_keys())
    with cytls_server(other, 1) as (acceptor, port):
        argv = [*base, "-connect", f"127.0.0.1:{port}", "-sess_in", str(sess)]
        with PeerProcess([*argv, "-early_data", str(early)]) as p2:
            p2.write(b"again\n")
            p2.wait_for("pong")
            p2.wait_for("Early data was rejected")
            p2.close_stdin()
            p2.wait()
    assert not acceptor.errors
    (only,) = acceptor.results
    assert only.reused and only.early_status == "rejected" and only.early == b""
    # s_client sends its rejected early data again after the handshake.
    assert only.line in (b"EARLY\n", b"again\n")


def test_gnutls_client_resumes(gnutls_cli_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    files = pki_files["p256"]
    ctx = server_context(files)
    argv = [
        gnutls_cli_bin,
        "--x509cafile",
        files.ca,
        "--sni-hostname",
        "localhost",
        "--verify-hostname",
        "localhost",
        "--resume",
        "127.0.0.1",
    ]
    with cytls_server(ctx, 2) as (acceptor, port):
        with PeerProcess([*argv, "--port", str(port)]) as proc:
            proc.wait_for(r"\*\*\* This is a resumed session")
            proc.write(b"hello\n")
            proc.wait_for("pong")
            proc.close_stdin()
            proc.wait()
    assert [r.reused for r in acceptor.results] == [False, True]
    assert ctx.session_stats()["hits"] == 1


# ================================================ cytls client, peer servers


@contextlib.contextmanager
def openssl_server(
    openssl: str, files: PKIFiles, *extra: str, version: str = "-tls1_3"
) -> Iterator[tuple[PeerProcess, int]]:
    def argv(port: int) -> list[str]:
        return [
            openssl,
            "s_server",
            "-accept",
            f"127.0.0.1:{port}",
            "-cert",
            files.leaf,
            "-cert_chain",
            files.inter,
            "-key",
            files.key,
            version,
            "-naccept",
            "2",
            *extra,
        ]

    proc, port = start_server(argv, r"ACCEPT", "openssl s_server")
    with proc:
        yield proc, port


def test_cytls_client_resumes_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    files = pki_files["p256"]
    ctx = client_context(files)
    with openssl_server(openssl_bin, files) as (proc, port):
        s = cytls_connect(ctx, port)
        s.sendall(b"first\n")
        proc.wait_for("first")
        session = s.session  # the tickets, taken as they arrived
        assert session is not None and session.has_ticket
        s.close()  # no close_notify: the session survives
        s2 = cytls_connect(ctx, port, session)
        assert s2.session_reused and s2.version() == "TLSv1.3"
        assert s2.getpeercert()["subject"]
        s2.sendall(b"second\n")
        proc.wait_for("second")
        proc.wait_for("Reused session-id")
        s2.close()
    assert ctx.session_stats()["hits"] == 1


def test_cytls_client_early_data_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    files = pki_files["p256"]
    ctx = client_context(files)
    with openssl_server(openssl_bin, files, "-early_data") as (proc, port):
        s = cytls_connect(ctx, port)
        s.sendall(b"first\n")
        proc.wait_for("first")
        session = s.session
        s.unwrap()  # OpenSSL keeps 0-RTT tickets only after a clean close
        s.close()
        s2 = cytls_connect(ctx, port, session, early=b"EARLYDATA\n")
        assert s2.session_reused and s2.early_data_status == "accepted"
        proc.wait_for("Early data received:")
        proc.wait_for("EARLYDATA")
        proc.wait_for("End of early data")
        s2.close()


def test_cytls_client_early_data_resent_when_rejected(
    openssl_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    files = pki_files["p256"]
    ctx = client_context(files)
    # The ticket allows 0-RTT, but the second connection goes to a server
    # that no longer takes it: the data arrives once, after the handshake.
    with openssl_server(openssl_bin, files, "-early_data") as (proc, port):
        s = cytls_connect(ctx, port)
        s.sendall(b"first\n")
        proc.wait_for("first")
        session = s.session
        s.close()  # unclean: OpenSSL drops this single-use 0-RTT session
        s2 = cytls_connect(ctx, port, session, early=b"RESENT\n")
        # A full handshake: the 0-RTT data went unread and is sent again.
        assert not s2.session_reused and s2.early_data_status == "rejected"
        proc.wait_for("Early data was rejected")
        proc.wait_for("RESENT")
        s2.sendall(b"after\n")
        proc.wait_for("after")
        assert proc.text.count("RESENT") == 1
        s2.close()


def test_cytls_client_resumes_gnutls_server(
    gnutls_serv_bin: str, pki_files: dict[str, PKIFiles]
) -> None:
    files = pki_files["p256"]
    ctx = client_context(files)
    with gnutls_server(gnutls_serv_bin, files, extra=["--earlydata"]) as (proc, port):
        s = cytls_connect(ctx, port)
        s.sendall(b"first\n")
        assert read_line(s) == b"first\n"
        session = s.session
        s.close()
        s2 = cytls_connect(ctx, port, session, early=b"EARLY\n")
        assert s2.session_reused and s2.early_data_status == "accepted"
        s2.sendall(b"second\n")
        assert read_line(s2) == b"second\n"
        proc.wait_for(r"\*\*\* This is a resumed session")
        s2.close()


def test_pyopenssl_resumes_cytls_server_and_back(
    pyopenssl: Any, pki_files: dict[str, PKIFiles]
) -> None:
    SSL = pyopenssl
    files = pki_files["p256"]
    ctx = server_context(files)

    def patient(raw: socket.socket, fn: Any, *args: Any) -> Any:
        # pyOpenSSL over a socket with a timeout: wait for input, bounded.
        while True:
            try:
                return fn(*args)
            except SSL.WantReadError:
                if not select.select([raw], [], [], STEP_TIMEOUT)[0]:
                    raise

    c = SSL.Context(SSL.TLS_CLIENT_METHOD)
    c.load_verify_locations(files.ca)
    c.set_verify(SSL.VERIFY_PEER, lambda *a: True)

    def client(session: Any) -> tuple[bool, Any]:
        raw = socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT)
        conn = SSL.Connection(c, raw)
        conn.set_tlsext_host_name(b"localhost")
        if session is not None:
            conn.set_session(session)
        conn.set_connect_state()
        patient(raw, conn.do_handshake)
        conn.sendall(b"hi\n")
        line = b""
        while not line.endswith(b"\n"):
            line += patient(raw, conn.recv, 1024)
        assert line == b"pong\n"
        reused = bool(SSL._lib.SSL_session_reused(conn._ssl))
        got = conn.get_session()
        conn.shutdown()
        raw.close()
        return reused, got

    with cytls_server(ctx, 2) as (acceptor, port):
        reused, session = client(None)
        assert not reused
        reused, _ = client(session)
        assert reused
    assert [r.reused for r in acceptor.results] == [False, True]


# ================================================================ TLS 1.2


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session-id"])
def test_openssl_client_resumes_tls12(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tmp_path: Path, tickets: bool
) -> None:
    files = pki_files["p256"]
    sess = tmp_path / "sess12.pem"
    ctx = server_context(files)
    base = [openssl_bin, "s_client", "-CAfile", files.ca, "-servername", "localhost"]
    base += ["-tls1_2", "-ign_eof"] + ([] if tickets else ["-no_ticket"])
    with cytls_server(ctx, 2) as (acceptor, port):
        target = ["-connect", f"127.0.0.1:{port}"]
        for extra, marker in (
            (["-sess_out", str(sess)], "New, TLSv1.2"),
            (["-sess_in", str(sess)], "Reused, TLSv1.2"),
        ):
            with PeerProcess([*base, *target, *extra]) as proc:
                proc.write(b"hello\n")
                proc.wait_for("pong")
                proc.wait_for(marker)
                proc.close_stdin()
                proc.wait()
    assert not acceptor.errors
    assert [r.reused for r in acceptor.results] == [False, True]
    assert ctx.session_stats()["hits"] == 1


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session-id"])
def test_cytls_client_resumes_openssl_server_tls12(
    openssl_bin: str, pki_files: dict[str, PKIFiles], tickets: bool
) -> None:
    files = pki_files["p256"]
    ctx = client_context(files)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    extra = ["-no_ticket"] if not tickets else []
    with openssl_server(openssl_bin, files, *extra, version="-tls1_2") as (proc, port):
        s = cytls_connect(ctx, port)
        assert s.version() == "TLSv1.2"
        s.sendall(b"first\n")
        proc.wait_for("first")
        session = s.session
        assert session is not None and session.has_ticket == tickets
        s.unwrap()  # OpenSSL drops a cached session ID closed uncleanly
        s.close()
        s2 = cytls_connect(ctx, port, session)
        assert s2.session_reused and s2.version() == "TLSv1.2"
        s2.sendall(b"second\n")
        proc.wait_for("second")
        proc.wait_for("Reused session-id")
        s2.close()


def test_gnutls_client_resumes_tls12(gnutls_cli_bin: str, pki_files: dict[str, PKIFiles]) -> None:
    files = pki_files["p256"]
    ctx = server_context(files)
    argv = [gnutls_cli_bin, "--x509cafile", files.ca, "--sni-hostname", "localhost"]
    argv += ["--verify-hostname", "localhost", "--resume", "127.0.0.1"]
    argv += ["--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2"]
    with cytls_server(ctx, 2) as (acceptor, port):
        with PeerProcess([*argv, "--port", str(port)]) as proc:
            proc.wait_for(r"\*\*\* This is a resumed session")
            proc.write(b"hello\n")
            proc.wait_for("pong")
            proc.close_stdin()
            proc.wait()
    assert [r.reused for r in acceptor.results] == [False, True]


@pytest.mark.parametrize("version", [(3, 4), (3, 3)], ids=["tls1.3", "tls1.2"])
def test_tlslite_client_resumes(
    tlslite: Any, pki_files: dict[str, PKIFiles], version: tuple[int, int]
) -> None:
    files = pki_files["p256"]
    ctx = server_context(files)
    settings = tlslite.HandshakeSettings()
    settings.minVersion = settings.maxVersion = version

    def client(session: Any) -> tuple[bool, Any]:
        raw = socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT)
        conn = tlslite.TLSConnection(raw)
        conn.handshakeClientCert(settings=settings, serverName="localhost", session=session)
        conn.write(b"hello\n")
        assert conn.read(max=5) == b"pong\n"  # the tickets came before it
        resumed = conn.resumed
        got = conn.session
        conn.close()
        return resumed, got

    with cytls_server(ctx, 2) as (acceptor, port):
        resumed, session = client(None)
        assert not resumed
        resumed, _ = client(session)
        assert resumed
    assert [r.reused for r in acceptor.results] == [False, True]


def test_cytls_client_resumes_tlslite_server(tlslite: Any, pki_files: dict[str, PKIFiles]) -> None:
    files = pki_files["p256"]
    chain, key = identity(tlslite, "p256")
    settings = tlslite.HandshakeSettings()
    settings.minVersion = settings.maxVersion = (3, 4)
    settings.ticketKeys = [os.urandom(32)]
    errors: list[BaseException] = []

    def serve(lsock: socket.socket) -> None:
        for _ in range(2):
            try:
                raw, _ = lsock.accept()
                raw.settimeout(STEP_TIMEOUT)
                conn = tlslite.TLSConnection(raw)
                conn.handshakeServer(certChain=chain, privateKey=key, settings=settings)
                conn.read(max=6)
                conn.write(b"pong\n")
                conn.close()
            except Exception as exc:
                errors.append(exc)

    ctx = client_context(files)
    with listener() as lsock:
        thread = threading.Thread(target=serve, args=(lsock,), daemon=True)
        thread.start()
        port = int(lsock.getsockname()[1])
        first = cytls_connect(ctx, port)
        first.sendall(b"hello\n")
        assert read_line(first) == b"pong\n"
        session = first.session
        first.close()
        # (tlslite-ng's server does not report a TLS 1.3 PSK resumption in
        # its `resumed`; the ServerHello's pre_shared_key is what counts.)
        second = cytls_connect(ctx, port, session)
        assert second.session_reused
        second.sendall(b"again\n")
        assert read_line(second) == b"pong\n"
        second.close()
        thread.join(STEP_TIMEOUT)
    assert not errors
