"""`python -m cytls s_server` under slow and hostile clients (issue 14 items 3
and 6): a handshake deadline and an idle deadline that a trickling client
cannot stretch, a cap on concurrent connections, half-closed clients
answered, and garbage, truncated hellos and resets survived with every
descriptor freed (counted in /proc/PID/fd before and after).

All over 127.0.0.1 with bounded counts and waits.
"""

from __future__ import annotations

import os
import socket
import ssl
import struct
import threading
import time

import pytest

from cytls.cli._certgen import CertFiles

SLOW_CLIENTS = 50


def _server_args(impl: str, pki: CertFiles, *extra: str) -> list[str]:
    return [
        "s_server", "--impl", impl, "-accept", "127.0.0.1:0", "-cert", str(pki.server_chain),
        "-key", str(pki.server_key), *extra,
    ]  # fmt: skip


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _wait_fds(pid: int, expected: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    n = _fds(pid)
    while n != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        n = _fds(pid)
    return n


def _client_hello() -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def _echo_once(port: int, pki: CertFiles, payload: bytes = b"ping") -> bytes:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = tls.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether the server has closed (EOF or reset), without blocking."""
    try:
        return sock.recv(65536, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except ConnectionError:
        return True


def test_trickling_clients_neither_block_others_nor_stay(impl: str, pki: CertFiles, start) -> None:
    srv = start(_server_args(impl, pki, "-handshake_timeout", "2", "-quiet"), "ACCEPT", cytls=True)
    pid = srv.proc.pid
    time.sleep(0.3)
    baseline = _fds(pid)
    hello = _client_hello()
    slow = [
        socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(SLOW_CLIENTS)
    ]
    stop = threading.Event()

    def trickle() -> None:
        # Every slow client sends its ClientHello one byte a second.
        for i in range(len(hello)):
            for s in slow:
                try:
                    s.send(hello[i : i + 1])
                except OSError:
                    pass
            if stop.wait(1.0):
                return

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        time.sleep(0.5)
        # Another client is served at once, while the 50 are connected.
        began = time.monotonic()
        assert _echo_once(srv.port, pki) == b"ping"
        assert time.monotonic() - began < 1.5
        # None stays past the handshake deadline (2 s; bytes keep coming).
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not all(_closed_by_peer(s) for s in slow):
            time.sleep(0.2)
        closed = sum(_closed_by_peer(s) for s in slow)
        elapsed = time.monotonic() - began
    finally:
        stop.set()
        t.join(5)
        for s in slow:
            s.close()
    assert closed == SLOW_CLIENTS
    assert elapsed < 6
    assert _wait_fds(pid, baseline) == baseline
    failed = [line for line in srv.stop().splitlines() if "handshake failed" in line]
    # Ended by the server's deadline (or by the ssl module's own deadline
    # across the whole do_handshake(), which is the same 2 s).
    assert len(failed) == SLOW_CLIENTS
    assert all("no handshake in 2 s" in line or "timed out" in line for line in failed)


def test_idle_connection_is_closed(impl: str, pki: CertFiles, start) -> None:
    srv = start(_server_args(impl, pki, "-idle_timeout", "1", "-quiet"), "ACCEPT", cytls=True)
    pid = srv.proc.pid
    time.sleep(0.3)
    baseline = _fds(pid)
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    with (
        socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"x")
        assert tls.recv(10) == b"x"
        began = time.monotonic()
        # Then nothing: the server closes (close_notify or EOF) by itself.
        try:
            assert tls.recv(10) == b""
        except (ssl.SSLError, ConnectionError):
            pass
        waited = time.monotonic() - began
    assert 0.8 < waited < 5
    assert _wait_fds(pid, baseline) == baseline


def test_connection_cap(pki: CertFiles, start) -> None:
    srv = start(
        _server_args("cytls", pki, "-max_conns", "2", "-handshake_timeout", "1.5", "-quiet"),
        "ACCEPT",
        cytls=True,
    )
    idle = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(2)]
    try:
        time.sleep(0.3)
        began = time.monotonic()
        # Both slots are taken: the third client waits in the backlog until
        # the handshake deadline frees one, then is served.
        assert _echo_once(srv.port, pki) == b"ping"
        waited = time.monotonic() - began
    finally:
        for s in idle:
            s.close()
    assert 1.0 < waited < 6
    # With the slots free again, clients are served at once.
    began = time.monotonic()
    assert _echo_once(srv.port, pki) == b"ping"
    assert time.monotonic() - began < 1.5


@pytest.mark.parametrize("mode", ["echo", "www"])
def test_half_closed_client_gets_its_answer(impl: str, pki: CertFiles, start, mode: str) -> None:
    extra = ["-www"] if mode == "www" else []
    srv = start(_server_args(impl, pki, *extra, "-quiet"), "ACCEPT", cytls=True)
    pid = srv.proc.pid
    time.sleep(0.3)
    baseline = _fds(pid)
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    request = b"GET / HTTP/1.0\r\n\r\n" if mode == "www" else b"hello, half-closed"
    for _ in range(3):
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
        tls.sendall(request)
        # TCP half-close: no more bytes from us, the read side stays open.
        socket.socket.shutdown(tls, socket.SHUT_WR)
        got = b""
        while True:
            try:
                chunk = tls.recv(65536)
            except (ssl.SSLError, ConnectionError):
                break
            if not chunk:
                break
            got += chunk
        tls.close()
        if mode == "www":
            assert got.startswith(b"HTTP/1.0 200 OK") and b"</html>" in got
        else:
            assert got == request
    assert _wait_fds(pid, baseline) == baseline


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_garbage_truncation_and_resets_free_every_descriptor(
    impl: str, pki: CertFiles, start
) -> None:
    srv = start(_server_args(impl, pki, "-handshake_timeout", "3", "-quiet"), "ACCEPT", cytls=True)
    pid = srv.proc.pid
    time.sleep(0.3)
    baseline = _fds(pid)
    hello = _client_hello()
    rng = os.urandom
    abuses = {
        "garbage": lambda s: (s.sendall(rng(3000)), s.close()),
        "garbage then reset": lambda s: (s.sendall(rng(200)), _reset(s)),
        "http in clear": lambda s: (s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), s.close()),
        "truncated hello": lambda s: (s.sendall(hello[: len(hello) // 2]), s.close()),
        "truncated hello then reset": lambda s: (s.sendall(hello[:60]), _reset(s)),
        "record header only": lambda s: (s.sendall(b"\x16\x03\x01\x40\x00"), s.close()),
        "oversized record": lambda s: (s.sendall(b"\x16\x03\x01\xff\xff" + bytes(100)), s.close()),
        "hello then reset": lambda s: (s.sendall(hello), time.sleep(0.05), _reset(s)),
        "connect then reset": _reset,
        "connect then close": lambda s: s.close(),
    }
    for _ in range(5):
        for abuse in abuses.values():
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            try:
                abuse(s)
            except OSError:
                s.close()
    # A reset mid-handshake after the server's first flight.
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(hello)
        s.recv(100)
        _reset(s)
    # The server is up and serves normally...
    assert _echo_once(srv.port, pki) == b"ping"
    assert srv.proc.poll() is None
    # ...and every descriptor of the abusive connections is freed.
    assert _wait_fds(pid, baseline) == baseline
    out = srv.stop()
    assert "Traceback" not in out


def test_flags_are_documented() -> None:
    from cli_helpers import run_cli

    out = run_cli("s_server", "-h").stdout
    for flag in ("-handshake_timeout", "-idle_timeout", "-max_conns"):
        assert flag in out
