"""Start, drive and stop real TLS peers for the interop tests.

Owns: PEM files for the test PKI, free loopback ports, subprocess peers
(`openssl`, `gnutls-serv`, `gnutls-cli`) with their output captured and
searchable, and a small blocking driver (`CytlsSocket`) that runs a sans-IO
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
import ssl
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


# ----------------------------------------------------------------- openssl

EXPORTER_LABEL = "EXPERIMENTER"
OPENSSL_GROUPS = {X25519: "X25519", P256: "P-256", P384: "P-384"}


# TLS 1.2 suites by their OpenSSL names.
SUITES12 = {
    0xC02B: "ECDHE-ECDSA-AES128-GCM-SHA256",
    0xC02C: "ECDHE-ECDSA-AES256-GCM-SHA384",
    0xCCA9: "ECDHE-ECDSA-CHACHA20-POLY1305",
    0xC02F: "ECDHE-RSA-AES128-GCM-SHA256",
    0xC030: "ECDHE-RSA-AES256-GCM-SHA384",
    0xCCA8: "ECDHE-RSA-CHACHA20-POLY1305",
}


def openssl_common(
    suites: Sequence[int] | None,
    groups: Sequence[int] | None,
    alpn: Sequence[str] | None,
    trace_file: Path | None,
    tls12: bool = False,
) -> list[str]:
    version = "-tls1_2" if tls12 else "-tls1_3"
    argv = [version, "-keymatexport", EXPORTER_LABEL, "-keymatexportlen", "32"]
    if suites and tls12:
        argv += ["-cipher", ":".join(SUITES12[s] for s in suites)]
    elif suites:
        argv += ["-ciphersuites", ":".join(SUITES[s] for s in suites)]
    if groups:
        argv += ["-groups", ":".join(OPENSSL_GROUPS[g] for g in groups)]
    if alpn:
        argv += ["-alpn", ",".join(alpn)]
    if trace_file is not None:
        argv += ["-trace", "-msgfile", str(trace_file)]
    return argv


@contextlib.contextmanager
def openssl_server(
    openssl: str,
    files: PKIFiles,
    *,
    suites: Sequence[int] | None = None,
    groups: Sequence[int] | None = None,
    alpn: Sequence[str] | None = None,
    trace_file: Path | None = None,
    verify_client: PKIFiles | None = None,
    extra: Sequence[str] = (),
    tls12: bool = False,
) -> Iterator[tuple[PeerProcess, int]]:
    """`openssl s_server` for one connection; its stdin is sent to the
    client and what the client sends appears on its stdout.

    Args:
        verify_client: require a client certificate chaining to this PKI's root.
        tls12: TLS 1.2 only (`-tls1_2`; suites by their SUITES12 names).
    """

    def argv(port: int) -> list[str]:
        a = [openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1"]
        a += ["-cert", files.leaf, "-cert_chain", files.inter, "-key", files.key]
        a += openssl_common(suites, groups, alpn, trace_file, tls12)
        if verify_client is not None:
            a += ["-Verify", "3", "-CAfile", verify_client.ca, "-verify_return_error"]
        return a + list(extra)

    proc, port = start_server(argv, r"ACCEPT", "openssl s_server")
    with proc:
        yield proc, port


def openssl_client(
    openssl: str,
    port: int,
    ca: str,
    *,
    suites: Sequence[int] | None = None,
    groups: Sequence[int] | None = None,
    alpn: Sequence[str] | None = None,
    trace_file: Path | None = None,
    client: PKIFiles | None = None,
    servername: str | None = "localhost",
    extra: Sequence[str] = (),
    tls12: bool = False,
) -> PeerProcess:
    """`openssl s_client` connected to 127.0.0.1:port, verifying against `ca`.

    Its stdin is sent to the server; what the server sends appears on its
    stdout. The caller must stop it (use it in a `with`).
    """
    a = [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", ca]
    a += ["-verify_return_error"]
    if servername is not None:
        a += ["-servername", servername]
    else:
        a += ["-noservername"]
    a += openssl_common(suites, groups, alpn, trace_file, tls12)
    if client is not None:
        a += ["-cert", client.client, "-cert_chain", client.inter, "-key", client.client_key]
    return PeerProcess(a + list(extra), "openssl s_client")


def exporter_value(proc: PeerProcess) -> bytes:
    """The keying material the openssl/gnutls tool printed (hex)."""
    m = proc.wait_for(r"(?i)Keying material: ?([0-9a-f]{64})")
    return bytes.fromhex(m.group(1).decode())


def our_exporter(tls: CytlsSocket) -> bytes:
    """cytls's side of the exporter value the openssl/gnutls tools print:
    label EXPORTER_LABEL, no context, 32 bytes (RFC 5705, RFC 8446 §7.5)."""
    return tls.conn.export_keying_material(EXPORTER_LABEL.encode(), None, 32)


def exchange_lines(
    tls: CytlsSocket, proc: PeerProcess, size: int = 40000, name: bytes = b"peer"
) -> None:
    """Application data both ways with a command-line peer that prints what
    it receives and sends its stdin: a hex payload of `size` bytes cytls ->
    the peer's output (several records at the default size), exactly, then
    a line "from <name> ..." the peer's stdin -> cytls."""
    payload = token(size // 2) + b"\n"
    start = len(proc.output)
    tls.send(payload)
    m = proc.wait_for(re.escape(payload), start=start)
    assert proc.output[m.start() : m.end()] == payload
    line = b"from " + name + b" " + token() + b"\n"
    proc.write(line)
    assert tls.recv_until(b"\n") == line


def close_from_peer(tls: CytlsSocket, proc: PeerProcess) -> None:
    """The command-line client's stdin ends: it sends close_notify (cytls
    sees a clean close and answers), then exits with status 0."""
    proc.close_stdin()
    assert tls.wait_closed() == b""
    assert tls.conn.peer_closed and tls.closed_by_peer()
    tls.close()
    assert proc.wait() == 0, proc.text


def handshake_rejects_untrusted_client(tls: CytlsSocket) -> None:
    """A cytls server requiring a client certificate, given a chain that ends
    at a root it does not trust: the handshake fails with verify code 20
    (unable to get local issuer certificate) and alert unknown_ca (48)."""
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        tls.handshake()
    exc: Any = info.value
    assert exc.verify_code == 20 and exc.description == 48


# ------------------------------------------------------------------ GnuTLS

GNUTLS_SUITES = {
    0x1301: "AES-128-GCM",
    0x1302: "AES-256-GCM",
    0x1303: "CHACHA20-POLY1305",
    0xC02B: "AES-128-GCM",
    0xC02F: "AES-128-GCM",
    0xC02C: "AES-256-GCM",
    0xC030: "AES-256-GCM",
    0xCCA8: "CHACHA20-POLY1305",
    0xCCA9: "CHACHA20-POLY1305",
}
GNUTLS_GROUPS = {X25519: "X25519", P256: "SECP256R1", P384: "SECP384R1"}


def gnutls_priority(
    suites: Sequence[int] | None = None,
    groups: Sequence[int] | None = None,
    tls12: bool = False,
) -> str:
    """A GnuTLS priority string for TLS 1.3 only (TLS 1.2 only with tls12),
    restricted to `suites` and `groups` (in that order of preference) when
    given. For TLS 1.2 a suite names only its cipher here; the key
    exchange follows the certificate."""
    prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2" if tls12 else "NORMAL:-VERS-ALL:+VERS-TLS1.3"
    if suites:
        prio += ":-CIPHER-ALL" + "".join(f":+{GNUTLS_SUITES[s]}" for s in suites)
    if groups:
        prio += ":-GROUP-ALL" + "".join(f":+GROUP-{GNUTLS_GROUPS[g]}" for g in groups)
    return prio


@contextlib.contextmanager
def gnutls_server(
    gnutls_serv: str,
    files: PKIFiles,
    *,
    suites: Sequence[int] | None = None,
    groups: Sequence[int] | None = None,
    require_client_cert: PKIFiles | None = None,
    alpn: Sequence[str] = (),
    extra: Sequence[str] = (),
    tls12: bool = False,
) -> Iterator[tuple[PeerProcess, int]]:
    """`gnutls-serv --echo`: echoes what each client sends. It serves until
    stopped (it binds the wildcard address; the tests only use 127.0.0.1).

    Args:
        require_client_cert: require a client certificate chaining to this
            PKI's root (otherwise client certificates are not requested).
    """

    def argv(port: int) -> list[str]:
        a = [
            gnutls_serv,
            "--port",
            str(port),
            "--echo",
            "--priority",
            gnutls_priority(suites, groups, tls12),
            "--x509certfile",
            files.chain,
            "--x509keyfile",
            files.key,
        ]
        if require_client_cert is not None:
            a += [
                "--require-client-cert",
                "--verify-client-cert",
                "--x509cafile",
                require_client_cert.ca,
            ]
        else:
            a += ["--disable-client-cert"]
        for proto in alpn:
            a += ["--alpn", proto]
        return a + list(extra)

    proc, port = start_server(argv, r"listening on IPv4 .* port \d+\.\.\.done", "gnutls-serv")
    with proc:
        yield proc, port


def gnutls_client(
    gnutls_cli: str,
    port: int,
    ca: str,
    *,
    suites: Sequence[int] | None = None,
    groups: Sequence[int] | None = None,
    client: PKIFiles | None = None,
    hostname: str = "localhost",
    alpn: Sequence[str] = (),
    extra: Sequence[str] = (),
    tls12: bool = False,
) -> PeerProcess:
    """`gnutls-cli` connected to 127.0.0.1:port, verifying the chain against
    `ca` and the name `hostname` (also sent as SNI). Its stdin is sent to
    the server; what the server sends appears on its stdout."""
    a = [
        gnutls_cli,
        "--port",
        str(port),
        "127.0.0.1",
        "--x509cafile",
        ca,
        "--sni-hostname",
        hostname,
        "--verify-hostname",
        hostname,
        "--priority",
        gnutls_priority(suites, groups, tls12),
        "--keymatexport",
        EXPORTER_LABEL,
        "--keymatexportsize",
        "32",
    ]
    if client is not None:
        a += ["--x509certfile", client.client_chain, "--x509keyfile", client.client_key]
    for proto in alpn:
        a += ["--alpn", proto]
    return PeerProcess(a + list(extra), "gnutls-cli")
