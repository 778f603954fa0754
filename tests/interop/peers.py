"""Start, drive and stop real TLS peers for the interop tests.

Owns: PEM files for the test PKI, free loopback ports, subprocess peers
(`openssl`, `gnutls-serv`, `gnutls-cli`; their command lines are in
peer_commands.py) with their output captured and searchable, and a small
blocking driver (`CytlsSocket`) that runs a sans-IO
cytls `Connection` over a socket with deadlines.
Must not: reach anything but 127.0.0.1, wait without a timeout, or leave a
process running: every `PeerProcess` is killed when its `with` block ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from tls_helpers import key_pem, make_ca, make_key, make_leaf, pem, pki

from cytls._connection import Connection
from cytls._handshake.config import TLSConfig
from cytls._wire.alerts import TLSAlert
from cytls._wire.events import ConnectionClosed, Event

# Every wait in these tests is bounded by this many seconds.
STEP_TIMEOUT = 6.0

SUITES = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
}
X25519, P256, P384, X25519MLKEM768 = 0x001D, 0x0017, 0x0018, 0x11EC


# ------------------------------------------------------------ availability


def missing_peer(what: str) -> None:
    """Skip (or fail when CYTLS_REQUIRE_PEERS=1) because a peer is missing."""
    msg = f"interop peer not available: {what}"
    if os.environ.get("CYTLS_REQUIRE_PEERS") == "1":
        pytest.fail(msg + " (CYTLS_REQUIRE_PEERS=1)")
    pytest.skip(msg)


def require_binary(name: str) -> str:
    """The path of an executable on PATH, or skip/fail the test."""
    path = shutil.which(name)
    if path is None:
        missing_peer(f"`{name}` is not on PATH")
    assert path is not None
    return path


def require_module(name: str) -> Any:
    """Import a module, or skip/fail the test."""
    try:
        return __import__(name, fromlist=["_"])
    except ImportError as exc:
        missing_peer(f"python module {name!r} ({exc})")


# -------------------------------------------------------------------- PKI


@dataclass
class PKIFiles:
    """PEM files of one test PKI (see tls_helpers.pki)."""

    kind: str
    leaf: str  # server leaf only
    inter: str  # the intermediate only
    chain: str  # server leaf + intermediate
    key: str
    client: str  # client leaf only
    client_chain: str  # client leaf + intermediate
    client_key: str
    ca: str  # the root


def write_pki(directory: Path, kind: str) -> PKIFiles:
    """Write the cached PKI of `kind` ("p256", "p384", "rsa") as PEM files."""
    p = pki(kind)
    files = {
        "leaf": pem(p.leaf),
        "inter": pem(p.inter),
        "chain": pem(p.leaf) + pem(p.inter),
        "key": key_pem(p.leaf_key),
        "client": pem(p.client),
        "client_chain": pem(p.client) + pem(p.inter),
        "client_key": key_pem(p.client_key),
        "ca": pem(p.root),
    }
    paths = {}
    for name, data in files.items():
        path = directory / f"{kind}-{name}.pem"
        path.write_bytes(data)
        paths[name] = str(path)
    return PKIFiles(kind=kind, **paths)


def write_untrusted(directory: Path) -> PKIFiles:
    """A root, intermediate and leaves that no test trusts (chains are sent
    without their root, so verifiers report "unable to get local issuer
    certificate", code 20), plus a self-signed leaf `selfsigned.pem` (code 18)."""
    root = make_ca("untrusted root", make_key("p256"))
    inter = make_ca("untrusted intermediate", make_key("p256"), issuer=root)
    leaf = make_leaf(inter, ("localhost", "127.0.0.1"))
    client = make_leaf(inter, ("client.example",))
    self_key = make_key("p256")
    selfsigned = make_ca("localhost", self_key, ca=False)
    data = {
        "leaf": pem(leaf[0]),
        "inter": pem(inter[0]),
        "chain": pem(leaf[0]) + pem(inter[0]),
        "key": key_pem(leaf[1]),
        "client": pem(client[0]),
        "client_chain": pem(client[0]) + pem(inter[0]),
        "client_key": key_pem(client[1]),
        "ca": pem(root[0]),
    }
    paths = {}
    for name, blob in data.items():
        path = directory / f"untrusted-{name}.pem"
        path.write_bytes(blob)
        paths[name] = str(path)
    (directory / "selfsigned.pem").write_bytes(pem(selfsigned[0]))
    (directory / "selfsigned-key.pem").write_bytes(key_pem(selfsigned[1]))
    return PKIFiles(kind="untrusted", **paths)


# ------------------------------------------------------------------ ports


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 with an ephemeral port."""
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        s.settimeout(STEP_TIMEOUT)
        yield s
    finally:
        s.close()


def accept(lsock: socket.socket, proc: PeerProcess | None = None) -> socket.socket:
    """Accept one connection within STEP_TIMEOUT (fails early if the peer
    process that should connect has died)."""
    deadline = time.monotonic() + STEP_TIMEOUT
    lsock.settimeout(0.2)
    while True:
        try:
            conn, _ = lsock.accept()
            conn.settimeout(STEP_TIMEOUT)
            return conn
        except TimeoutError:
            if proc is not None and proc.poll() is not None:
                raise AssertionError(
                    f"{proc.name} exited before connecting:\n{proc.text}"
                ) from None
            if time.monotonic() > deadline:
                raise AssertionError("no connection within the timeout") from None


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


# --------------------------------------------------------------- processes


class PeerProcess:
    """A peer subprocess with stdin piped and stdout+stderr captured.

    The output is read by a thread into a buffer that `wait_for` searches.
    Use as a context manager: the process is killed on exit, whatever
    happened.
    """

    def __init__(self, argv: Sequence[str], name: str | None = None) -> None:
        self.argv = list(argv)
        self.name = name or Path(argv[0]).name
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._buf += chunk
                self._cond.notify_all()

    @property
    def output(self) -> bytes:
        with self._cond:
            return bytes(self._buf)

    @property
    def text(self) -> str:
        return self.output.decode("latin-1")

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait_for(
        self, pattern: str | bytes, timeout: float = STEP_TIMEOUT, start: int = 0
    ) -> re.Match[bytes]:
        """Wait until the output (from byte `start`) matches a regex.

        Raises:
            AssertionError: with the output so far, on timeout or when the
                process ends without printing it.
        """
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._buf, start)
                if m is not None:
                    return m
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    why = "exited" if self._eof else "timed out"
                    raise AssertionError(
                        f"{self.name} {why} before printing {rx.pattern!r}; "
                        f"argv={self.argv}\noutput:\n{bytes(self._buf).decode('latin-1')}"
                    )
                self._cond.wait(min(left, 0.5))

    def wait_eof(self, timeout: float = STEP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._eof and time.monotonic() < deadline:
                self._cond.wait(0.2)

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def wait(self, timeout: float = STEP_TIMEOUT) -> int:
        """The exit status (the process is killed if it overruns)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"{self.name} did not exit:\n{self.text}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(3)
        self.close_stdin()
        self._reader.join(3)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> PeerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    argv_for_port: Any, ready: str, name: str, attempts: int = 5
) -> tuple[PeerProcess, int]:
    """Start a server subprocess on a free port, retrying on a collision.

    Args:
        argv_for_port: port -> argv.
        ready: regex the server prints once it listens.

    Returns:
        The running process (the caller must stop it) and its port.
    """
    last = ""
    for _ in range(attempts):
        port = free_port()
        proc = PeerProcess(argv_for_port(port), name)
        try:
            proc.wait_for(ready)
            return proc, port
        except AssertionError:
            last = proc.text
            proc.stop()
            if "in use" not in last.lower() and "bind" not in last.lower():
                break
    raise AssertionError(f"{name} did not start:\n{last}")


# ------------------------------------------------------------ the driver


class CytlsSocket:
    """A cytls `Connection` driven over a blocking socket with deadlines.

    Every received event is kept in `events`. A fatal TLSAlert is re-raised
    after our alert (if any) has been written to the socket.
    """

    def __init__(self, config: TLSConfig, sock: socket.socket) -> None:
        self.conn = Connection(config)
        self.sock = sock
        self.events: list[Event] = []
        self.eof = False
        self._buf = bytearray()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            with contextlib.suppress(OSError):
                self.sock.sendall(data)

    def pump(self, deadline: float) -> None:
        """Read once from the socket and feed the connection."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("cytls driver: peer did not answer in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            raise EOFError("peer closed the TCP connection")
        try:
            self.events += self.conn.receive_data(data)
        finally:
            self.flush()

    def handshake(self, timeout: float = STEP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        self.conn.start_handshake()
        self.flush()
        while not self.conn.handshake_complete:
            self.pump(deadline)

    def send(self, data: bytes) -> None:
        self.conn.send_application_data(data)
        self.flush()

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def recv_exactly(self, n: int, timeout: float = STEP_TIMEOUT) -> bytes:
        """Exactly n bytes of application data (fewer only if the peer closed)."""
        deadline = time.monotonic() + timeout
        while True:
            self._buf += self.conn.read_application_data()
            if len(self._buf) >= n or self.conn.peer_closed:
                return self._take(n)
            self.pump(deadline)

    def recv_until(self, marker: bytes, timeout: float = STEP_TIMEOUT) -> bytes:
        """Application data up to and including `marker` (the rest stays)."""
        deadline = time.monotonic() + timeout
        while True:
            self._buf += self.conn.read_application_data()
            i = self._buf.find(marker)
            if i >= 0:
                return self._take(i + len(marker))
            if self.conn.peer_closed:
                raise EOFError(f"closed before {marker!r}; got {bytes(self._buf)!r}")
            self.pump(deadline)

    def wait_closed(self, timeout: float = STEP_TIMEOUT) -> bytes:
        """Read until close_notify or TCP EOF; returns the data read."""
        deadline = time.monotonic() + timeout
        while not self.conn.peer_closed:
            try:
                self.pump(deadline)
            except EOFError:
                break
        self._buf += self.conn.read_application_data()
        return self._take(len(self._buf))

    def expect_failure(self, timeout: float = STEP_TIMEOUT) -> TLSAlert:
        """Run until the connection fails; returns the TLSAlert."""
        deadline = time.monotonic() + timeout
        try:
            if not self.conn.handshake_complete:
                self.handshake(timeout)
            while True:
                self.pump(deadline)
        except TLSAlert as exc:
            return exc
        except EOFError:
            raise AssertionError(f"peer closed without an alert; events={self.events}") from None

    def wait_event(self, kind: type[Event], timeout: float = STEP_TIMEOUT) -> Event:
        """Pump until an event of `kind` arrives (events seen before count)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for e in self.events[seen:]:
                if isinstance(e, kind):
                    self.events.remove(e)
                    return e
            seen = len(self.events)
            self.pump(deadline)

    def closed_by_peer(self) -> bool:
        return any(isinstance(e, ConnectionClosed) for e in self.events)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
            self.flush()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        self.sock.close()


class CytlsServer:
    """A cytls server on a loopback listener, for one peer client process."""

    def __init__(self) -> None:
        self._listener = listener()
        self.lsock = self._listener.__enter__()
        self.port = int(self.lsock.getsockname()[1])
        self.tls: CytlsSocket | None = None

    def accept(self, cfg: Any, proc: PeerProcess) -> CytlsSocket:
        self.tls = CytlsSocket(cfg, accept(self.lsock, proc))
        return self.tls

    def __enter__(self) -> CytlsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tls is not None:
            self.tls.close()
        self._listener.__exit__(None, None, None)


# ----------------------------------------------------------------- helpers


def token(n: int = 16) -> bytes:
    """A random printable token (hex), to recognise data in peer output."""
    return os.urandom(n).hex().encode()
