"""Parity: SSLSocket over loopback TCP, ssl module vs cytls.

Blocking and non-blocking I/O, timeouts, ragged EOFs, unwrap, makefile,
sendfile, connect/accept. Every socket has a timeout and every server thread
is joined with a bound, so a regression fails instead of hanging.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import Pki, Server, contexts, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]


def _echo_server(server_ctx: Any, rounds: int = 1) -> Server:
    def handler(raw: socket.socket) -> list[bytes]:
        got = []
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            for _ in range(rounds):
                data = tls.recv(65536)
                got.append(data)
                tls.sendall(data.upper())
        return got

    return Server(handler)


def test_blocking_echo(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    server = _echo_server(server_ctx)
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        assert isinstance(tls, ssl.SSLSocket) and isinstance(tls, socket.socket)
        assert tls.version() == "TLSv1.3"
        assert tls.cipher()[1] == "TLSv1.3"
        assert tls.server_hostname == "localhost" and not tls.server_side
        assert tls.getpeercert()["subjectAltName"][0] == ("DNS", "localhost")
        tls.sendall(b"hello")
        assert tls.recv(100) == b"HELLO"
        assert tls.pending() == 0
    assert server.join() == [b"hello"]


def test_interop_sockets(pki: Pki) -> None:
    for client_mod, server_mod in ((cytls, ssl), (ssl, cytls)):
        client_ctx, server_ctx = contexts(client_mod, server_mod, pki)
        server = _echo_server(server_ctx)
        with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
            tls.sendall(b"mix")
            assert tls.recv(100) == b"MIX"
        server.join()


def test_large_transfer_recv_into(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    size = 3 * 1024 * 1024 + 17

    def handler(raw: socket.socket) -> int:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            buf = bytearray(size)
            view = memoryview(buf)
            got = 0
            while got < size:
                n = tls.recv_into(view[got:])
                assert n > 0
                got += n
            tls.sendall(bytes(buf[-1000:]))
            return got

    server = Server(handler)
    payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        tls.sendall(payload)
        tail = b""
        while len(tail) < 1000:
            tail += tls.read(1000 - len(tail))
        assert tail == payload[-1000:]
    assert server.join() == size


def test_connect_after_wrap_and_accept(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    listener = server_ctx.wrap_socket(socket.create_server(("127.0.0.1", 0)), server_side=True)
    listener.settimeout(10)
    port = listener.getsockname()[1]
    import threading

    result: list[Any] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            result.append(type(conn))
            conn.sendall(conn.recv(10))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    sock = socket.socket()
    sock.settimeout(10)
    with client_ctx.wrap_socket(sock, server_hostname="localhost") as tls:
        tls.connect(("127.0.0.1", port))
        tls.sendall(b"abc")
        assert tls.recv(10) == b"abc"
    thread.join(10)
    listener.close()
    assert result and issubclass(result[0], ssl.SSLSocket)
    if mod is cytls:
        assert result[0] is cytls.SSLSocket


def test_non_blocking(mod: ModuleType, pki: Pki) -> None:
    import threading

    client_ctx, server_ctx = contexts(mod, mod, pki)
    go = threading.Event()

    def handler(raw: socket.socket) -> bytes:
        go.wait(10)  # hold the handshake until the client has seen WantRead
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            data = tls.recv(10)
            go.clear()
            go.wait(10)  # hold the answer until the client has seen WantRead
            tls.sendall(data.upper())
            return data

    server = Server(handler)
    tls = client_ctx.wrap_socket(
        server.connect(), server_hostname="localhost", do_handshake_on_connect=False
    )
    tls.setblocking(False)
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    go.set()
    deadline = time.monotonic() + 10
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            select.select([tls], [], [], 1)
        except ssl.SSLWantWriteError:
            select.select([], [tls], [], 1)
        assert time.monotonic() < deadline
    assert tls.send(b"nb") == 2
    while go.is_set():
        time.sleep(0.01)  # the server has read "nb" and now waits
        assert time.monotonic() < deadline
    with pytest.raises(ssl.SSLWantReadError):
        tls.recv(10)
    go.set()
    data = b""
    while not data:
        select.select([tls], [], [], 1)
        try:
            data = tls.recv(10)
        except ssl.SSLWantReadError:
            assert time.monotonic() < deadline
    assert data == b"NB"
    tls.close()
    assert server.join() == b"nb"


def test_do_handshake_on_connect_refuses_non_blocking(mod: ModuleType, pki: Pki) -> None:
    client_ctx, _ = contexts(mod, mod, pki)
    server = Server(lambda raw: raw.recv(10))
    raw = server.connect()
    raw.setblocking(False)
    with pytest.raises(ValueError, match="non-blocking"):
        client_ctx.wrap_socket(raw, server_hostname="localhost")
    server.join()


def test_read_timeout(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)

    def handler(raw: socket.socket) -> None:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            tls.recv(10)  # the client's "done"

    server = Server(handler)
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        tls.settimeout(0.2)
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="timed out"):
            tls.recv(10)
        assert time.monotonic() - started < 5
        tls.settimeout(10)
        tls.sendall(b"done")
    server.join()


def test_handshake_timeout(mod: ModuleType, pki: Pki) -> None:
    client_ctx, _ = contexts(mod, mod, pki)
    server = Server(lambda raw: raw.recv(65536) and time.sleep(1.0))  # never answers
    raw = server.connect()
    raw.settimeout(0.2)
    with pytest.raises(TimeoutError, match="timed out"):
        client_ctx.wrap_socket(raw, server_hostname="localhost")
    server.join()


def test_peer_closes_mid_handshake(mod: ModuleType, pki: Pki) -> None:
    client_ctx, _ = contexts(mod, mod, pki)
    server = Server(lambda raw: raw.recv(65536))  # read the ClientHello, then close
    with pytest.raises(ssl.SSLEOFError):
        client_ctx.wrap_socket(server.connect(), server_hostname="localhost")
    server.join()


def test_peer_sends_garbage_handshake(mod: ModuleType, pki: Pki) -> None:
    client_ctx, _ = contexts(mod, mod, pki)

    def handler(raw: socket.socket) -> None:
        raw.recv(65536)
        raw.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    server = Server(handler)
    with pytest.raises(ssl.SSLError):
        client_ctx.wrap_socket(server.connect(), server_hostname="localhost")
    server.join()


@pytest.mark.parametrize("suppress", [True, False])
def test_ragged_eof(mod: ModuleType, pki: Pki, suppress: bool) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)

    def handler(raw: socket.socket) -> None:
        tls = server_ctx.wrap_socket(raw, server_side=True)
        tls.sendall(b"last words")
        # Close the TCP connection without close_notify (a truncation).
        raw_fd = tls.detach()
        socket.socket(fileno=raw_fd).close()

    server = Server(handler)
    with client_ctx.wrap_socket(
        server.connect(), server_hostname="localhost", suppress_ragged_eofs=suppress
    ) as tls:
        data = b""
        while len(data) < 10:
            data += tls.recv(100)
        assert data == b"last words"
        server.join()
        if suppress:
            assert tls.recv(100) == b""
        else:
            with pytest.raises(ssl.SSLEOFError):
                tls.recv(100)


def test_clean_close_notify(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)

    def handler(raw: socket.socket) -> None:
        tls = server_ctx.wrap_socket(raw, server_side=True)
        tls.sendall(b"bye")
        tls.unwrap()

    server = Server(handler)
    with client_ctx.wrap_socket(
        server.connect(), server_hostname="localhost", suppress_ragged_eofs=False
    ) as tls:
        assert tls.recv(10) == b"bye"
        assert tls.recv(10) == b""  # close_notify: a clean EOF, even unsuppressed
        plain = tls.unwrap()
        assert plain is tls or isinstance(plain, socket.socket)
    server.join()


def test_unwrap_then_plaintext(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)

    def handler(raw: socket.socket) -> bytes:
        tls = server_ctx.wrap_socket(raw, server_side=True)
        assert tls.recv(10) == b"starttls"
        plain = tls.unwrap()
        data = plain.recv(10)
        plain.sendall(b"clear:" + data)
        return data

    server = Server(handler)
    tls = client_ctx.wrap_socket(server.connect(), server_hostname="localhost")
    tls.sendall(b"starttls")
    plain = tls.unwrap()
    plain.sendall(b"text")
    assert plain.recv(20) == b"clear:text"
    plain.close()
    assert server.join() == b"text"


def test_makefile(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)

    def handler(raw: socket.socket) -> bytes:
        with server_ctx.wrap_socket(raw, server_side=True) as tls, tls.makefile("rwb") as f:
            line = f.readline()
            f.write(b"echo " + line)
            f.flush()
            return line

    server = Server(handler)
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        with tls.makefile("rwb") as f:
            f.write(b"line one\n")
            f.flush()
            assert f.readline() == b"echo line one\n"
    assert server.join() == b"line one\n"


def test_sendfile(mod: ModuleType, pki: Pki, tmp_path: Path) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    content = bytes(range(256)) * 800
    path = tmp_path / "f.bin"
    path.write_bytes(content)

    def handler(raw: socket.socket) -> bytes:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            got = b""
            while len(got) < len(content):
                got += tls.recv(65536)
            tls.sendall(b"ok")
            return got

    server = Server(handler)
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        with path.open("rb") as f:
            assert tls.sendfile(f) == len(content)
        # Read before closing: closing with unread data (the server's session
        # tickets) makes the kernel reset the connection and drop what the
        # server has not read yet.
        assert tls.recv(10) == b"ok"
    assert server.join() == content


def test_flags_refused(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    server = _echo_server(server_ctx)
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        with pytest.raises(ValueError):
            tls.send(b"x", socket.MSG_OOB)
        with pytest.raises(ValueError):
            tls.recv(10, socket.MSG_PEEK)
        with pytest.raises(NotImplementedError):
            tls.sendmsg([b"x"])
        tls.sendall(b"ok")
        assert tls.recv(10) == b"OK"
    server.join()


def test_mutual_tls_socket(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    pki.client.configure_cert(client_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    pki.ca.configure_trust(server_ctx)

    def handler(raw: socket.socket) -> Any:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            tls.sendall(b"hi")
            tls.recv(10)
            return tls.getpeercert()["subjectAltName"]

    server = Server(handler)
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        assert tls.recv(10) == b"hi"
        tls.sendall(b"done")
    assert server.join() == (("email", "client@example.com"),)


def test_check_hostname_requires_server_hostname(mod: ModuleType, pki: Pki) -> None:
    client_ctx, _ = contexts(mod, mod, pki)
    with socket.socket() as sock, pytest.raises(ValueError, match="check_hostname requires"):
        client_ctx.wrap_socket(sock)


def test_non_blocking_want_write_and_retry(mod: ModuleType, pki: Pki) -> None:
    import threading

    client_ctx, server_ctx = contexts(mod, mod, pki)
    go = threading.Event()
    chunk = bytes(range(256)) * 256  # 64 KiB

    def handler(raw: socket.socket) -> int:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            go.wait(20)  # let the client fill the pipe first
            got = 0
            tail = b""
            while tail != b"END":
                data = tls.recv(262144)
                if not data:
                    break
                got += len(data)
                tail = (tail + data)[-3:]
            return got

    server = Server(handler)
    raw = server.connect()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost")
    tls.setblocking(False)
    sent = 0
    blocked = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            sent += tls.send(chunk)
        except ssl.SSLWantWriteError:
            blocked = True
            break
    assert blocked, "the socket never filled up"
    go.set()
    # Retry the same data until it is taken, as with OpenSSL.
    while True:
        try:
            sent += tls.send(chunk)
            break
        except ssl.SSLWantWriteError:
            select.select([], [tls], [], 1)
            assert time.monotonic() < deadline
    tls.setblocking(True)
    tls.settimeout(20)
    tls.sendall(b"END")
    assert server.join() == sent + 3
    tls.close()


def test_unwrap_keeps_plaintext_behind_close_notify(mod: ModuleType, pki: Pki) -> None:
    """The peer's close_notify and its first clear bytes arrive in one segment;
    unwrap() must leave the clear bytes on the socket."""
    client_ctx, server_ctx = contexts(mod, mod, pki)

    def handler(raw: socket.socket) -> None:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = server_ctx.wrap_bio(incoming, outgoing, server_side=True)
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                incoming.write(raw.recv(65536))
        raw.sendall(outgoing.read())
        while True:
            try:
                if obj.read(100) == b"stop":
                    break
            except ssl.SSLWantReadError:
                incoming.write(raw.recv(65536))
        with pytest.raises(ssl.SSLWantReadError):
            obj.unwrap()  # queues our close_notify
        raw.sendall(outgoing.read() + b"clear text")
        raw.recv(65536)  # the client's close_notify

    server = Server(handler)
    tls = client_ctx.wrap_socket(server.connect(), server_hostname="localhost")
    tls.sendall(b"stop")
    time.sleep(0.3)  # let close_notify and the clear text land together
    plain = tls.unwrap()
    assert plain.recv(100) == b"clear text"
    plain.close()
    server.join()


def test_group_and_trace_on_sockets(pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    server_ctx.set_groups("secp256r1")
    seen: list[Any] = []

    def handler(raw: socket.socket) -> None:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            seen.append((tls.group(), tls.handshake_trace()))
            tls.sendall(tls.recv(10))

    server = Server(handler)
    sock = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT).wrap_socket(
        socket.socket(), server_hostname="localhost", do_handshake_on_connect=False
    )
    assert sock.group() is None and sock.handshake_trace() == []  # not connected
    sock.close()
    with client_ctx.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        tls.sendall(b"x")
        assert tls.recv(10) == b"x"
        assert tls.group() == "secp256r1"  # after a HelloRetryRequest
        trace = tls.handshake_trace()
    server.join()
    group, server_trace = seen[0]
    assert group == "secp256r1"
    steps = [e.step for e in trace]
    assert "receive HelloRetryRequest" in steps or any("HelloRetryRequest" in s for s in steps)
    first_server = min(e.time for e in server_trace)
    assert trace[0].time <= first_server <= trace[-1].time  # one clock
