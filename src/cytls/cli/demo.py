"""`python -m cytls demo`: a mutually authenticated cytls handshake, step by step.

Owns: a throwaway PKI, a cytls server in a thread on 127.0.0.1 (ephemeral port),
a cytls client that connects to it with a client certificate, the printout of
every handshake step with its timing, and a bulk transfer timed next to the `ssl`
module doing the same in the same run.
Must not: pretend. If cytls cannot do the handshake (or cannot show its steps),
the demo says so and exits non-zero; it never prints steps it did not observe.
"""

from __future__ import annotations

import argparse
import socket
import ssl
import statistics
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cytls.cli import _certgen, _common, _impl
from cytls.cli._certgen import CertFiles
from cytls.cli._output import CLIError, ProgressBar, describe_error, fmt_bytes, fmt_rate, say

__all__ = ["add_parser", "run"]

_TIMEOUT = 15.0
_CHUNK = 64 * 1024
_DONE = struct.Struct("!4sQ")

# The steps of a TLS 1.3 handshake with client authentication (RFC 8446 §2, §4).
# The demo checks that the engine's trace names each one.
STEPS = (
    "ClientHello",
    "ServerHello",
    "EncryptedExtensions",
    "CertificateRequest",
    "Certificate",
    "CertificateVerify",
    "Finished",
)


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[parent], help="a mutual-TLS handshake, step by step",
                       description="Generate a throwaway PKI, run a cytls server and client "
                                   "with mutual authentication on 127.0.0.1, show every "
                                   "handshake step, then time a bulk transfer against ssl.")
    p.add_argument("--suite", choices=_impl.TLS13_SUITES, help="TLS 1.3 cipher suite to use")
    p.add_argument("--group", help="key exchange group, e.g. x25519, secp256r1, X25519MLKEM768")
    p.add_argument("--size", type=float, default=8.0, metavar="MIB",
                   help="application data to send, in MiB (default 8)")
    p.add_argument("--key-type", choices=("ec", "rsa"), default="ec",
                   help="certificate keys: ECDSA P-256 (default) or RSA-2048")
    p.add_argument("--rounds", type=int, default=3, metavar="N",
                   help="bulk transfer rounds per implementation; the median is shown (default 3)")
    p.add_argument("--warm", type=int, default=5, metavar="N",
                   help="warm handshakes timed after the first (default 5)")
    p.add_argument("--no-compare", action="store_true", help="skip the ssl module comparison")
    p.set_defaults(func=run)


@dataclass
class _ServerSide:
    """What the server thread hands back to the client side."""

    ready: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    tls: Any = None
    error: BaseException | None = None
    received: int = 0


def _server(listener: socket.socket, ctx: ssl.SSLContext, side: _ServerSide) -> None:
    """Accept one client, handshake, then for each announced byte count read that
    many bytes and acknowledge them; a count of 0 ends the connection."""
    conn = None
    try:
        listener.settimeout(_TIMEOUT)
        conn, _ = listener.accept()
        conn.settimeout(_TIMEOUT)
        tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        side.tls = tls
        tls.do_handshake()
        side.ready.set()
        buf = bytearray(256 * 1024)
        while True:
            (expected,) = struct.unpack("!Q", _recv_exact(tls, 8))
            if expected == 0:
                break
            got = 0
            while got < expected:
                n = tls.recv_into(buf, min(len(buf), expected - got))
                if n == 0:
                    raise ConnectionError(f"client closed after {got} of {expected} bytes")
                got += n
            side.received += got
            tls.sendall(_DONE.pack(b"DONE", got))
    except BaseException as e:
        side.error = e
    finally:
        side.ready.set()
        side.done.set()
        if conn is not None:
            conn.close()


def _handshake_server(listener: socket.socket, ctx: ssl.SSLContext, count: int,
                      errors: list[BaseException]) -> None:
    """Accept `count` clients one after the other: handshake, one byte back, close."""
    try:
        listener.settimeout(_TIMEOUT)
        for _ in range(count):
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(_TIMEOUT)
                tls = ctx.wrap_socket(conn, server_side=True)
                tls.sendall(b"!")  # the client reads it: both sides finished
                tls.close()
    except BaseException as e:
        errors.append(e)


def _recv_exact(tls: Any, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = tls.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed early")
        data += chunk
    return data


@dataclass
class _Run:
    client: Any
    server: Any
    handshake_s: float
    transfer_s: list[float]  # one per round
    nbytes: int  # per round

    @property
    def rate(self) -> float:
        """Bytes per second of the median round."""
        return self.nbytes / statistics.median(self.transfer_s)


def _contexts(impl: _impl.TLSImpl, files: CertFiles, suite: str | None, group: str | None,
              notes: list[str]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context (client certificates required) and a client context, loaded.

    A suite or group the implementation cannot restrict to is noted, and its
    default is used.
    """
    server = impl.server_context()
    server.load_cert_chain(str(files.server_chain), str(files.server_key))
    server.load_verify_locations(cafile=str(files.ca))
    server.verify_mode = ssl.CERT_REQUIRED
    client = impl.client_context()  # verifies the chain and the host name
    client.load_verify_locations(cafile=str(files.ca))
    client.load_cert_chain(str(files.client_chain), str(files.client_key))
    try:
        if suite:
            for ctx in (server, client):
                _impl.set_suites(ctx, impl, [suite])
    except _impl.Unavailable as e:
        notes.append(f"{impl.name}: {e}; it negotiated its default")
    try:
        if group:
            for ctx in (server, client):
                _impl.set_groups(ctx, impl, [group])
    except (_impl.Unavailable, ssl.SSLError, ValueError) as e:
        notes.append(f"{impl.name}: cannot use group {group} ({e}); it negotiated its default")
    return server, client


def _can_use_group(impl: _impl.TLSImpl, group: str) -> bool:
    try:
        _impl.set_groups(impl.client_context(), impl, [group])
    except (_impl.Unavailable, ssl.SSLError, ValueError):
        return False
    return True


def _handshake_times(impl: _impl.TLSImpl, files: CertFiles, suite: str | None, group: str,
                     warm: int) -> tuple[float, list[float]]:
    """Time 1 + warm full handshakes (client's view, connect() excluded) from one
    freshly created and loaded context pair, as an application would.

    Returns:
        (the first handshake's seconds, the warm ones' seconds).
    """
    notes: list[str] = []
    server_ctx, client_ctx = _contexts(impl, files, suite, group, notes)
    if notes:
        raise CLIError("; ".join(notes))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    errors: list[BaseException] = []
    thread = threading.Thread(target=_handshake_server,
                              args=(listener, server_ctx, 1 + warm, errors), daemon=True)
    thread.start()
    times: list[float] = []
    try:
        for _ in range(1 + warm):
            with socket.create_connection(("127.0.0.1", port), timeout=_TIMEOUT) as raw:
                tls = client_ctx.wrap_socket(raw, server_hostname="localhost",
                                             do_handshake_on_connect=False)
                t0 = time.perf_counter()
                tls.do_handshake()
                times.append(time.perf_counter() - t0)
                if tls.recv(1) != b"!":
                    raise CLIError(f"{impl.name}: the server did not finish its handshake")
                tls.close()
    except (OSError, ssl.SSLError) as e:
        raise CLIError(f"{impl.name} handshake with {group} failed: "
                       f"{describe_error(errors[0] if errors else e) or e!r}") from e
    finally:
        listener.close()
        thread.join(_TIMEOUT)
    if errors:
        raise CLIError(f"{impl.name} server failed: {describe_error(errors[0]) or errors[0]!r}")
    return times[0], times[1:]


def _connect(impl: _impl.TLSImpl, files: CertFiles, args: argparse.Namespace, nbytes: int,
             rounds: int, notes: list[str], on_handshake: Any = None) -> _Run:
    """One server thread, one client: handshake, then `rounds` times send nbytes and
    wait for the server's acknowledgement (each round timed on its own)."""
    server_ctx, client_ctx = _contexts(impl, files, args.suite, args.group, notes)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    side = _ServerSide()
    thread = threading.Thread(target=_server, args=(listener, server_ctx, side), daemon=True)
    thread.start()
    raw = None
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=_TIMEOUT)
        tls = client_ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        t0 = time.perf_counter()
        try:
            tls.do_handshake()
        except BaseException as e:
            side.done.wait(2.0)
            server_error = f" (server: {describe_error(side.error) or side.error!r})" if side.error else ""
            if on_handshake is not None:
                on_handshake(tls, None, t0, 0.0)  # show the steps that did happen
            raise CLIError(f"{impl.name} handshake failed: {describe_error(e) or repr(e)}{server_error}") from e
        handshake_s = time.perf_counter() - t0
        side.ready.wait(_TIMEOUT)
        if side.error is not None:
            raise CLIError(f"{impl.name} server failed: {describe_error(side.error) or side.error!r}")
        if on_handshake is not None:
            on_handshake(tls, side.tls, t0, handshake_s)
        payload = memoryview(bytes(range(256)) * (_CHUNK // 256))
        bar = ProgressBar(nbytes * rounds, f"{impl.name:5s} ")
        transfer_s: list[float] = []
        for _ in range(rounds):
            t1 = time.perf_counter()
            tls.sendall(struct.pack("!Q", nbytes))
            left = nbytes
            while left:
                n = min(left, _CHUNK)
                tls.sendall(payload[:n])
                left -= n
                bar.update(n)
            tag, count = _DONE.unpack(_recv_exact(tls, _DONE.size))
            transfer_s.append(time.perf_counter() - t1)
            if tag != b"DONE" or count != nbytes:
                raise CLIError(f"{impl.name}: server acknowledged {count} bytes, {nbytes} were sent")
        bar.finish(sum(transfer_s))
        tls.sendall(struct.pack("!Q", 0))
        side.done.wait(_TIMEOUT)
        if side.error is not None:
            raise CLIError(f"{impl.name} server failed: {describe_error(side.error) or side.error!r}")
        if side.received != nbytes * rounds:
            raise CLIError(f"{impl.name}: server received {side.received} bytes, "
                           f"{nbytes * rounds} were sent")
        return _Run(tls, side.tls, handshake_s, transfer_s, nbytes)
    finally:
        if raw is not None:
            raw.close()
        listener.close()
        thread.join(_TIMEOUT)


def _offered_versions(ctx: ssl.SSLContext) -> list[str]:
    """The versions a client context offers, newest first (TLS 1.2 is cytls's floor)."""
    lo, hi = int(ctx.minimum_version), int(ctx.maximum_version)
    lo = 0x0303 if lo < 0x0303 else lo  # MINIMUM_SUPPORTED is -2
    hi = 0x0304 if hi < 0 or hi > 0x0304 else hi  # MAXIMUM_SUPPORTED is -1
    return [name for v, name in ((0x0304, "TLSv1.3"), (0x0303, "TLSv1.2")) if lo <= v <= hi]


def _print_handshake(client: Any, server: Any, t0: float, client_ctx_ciphers: list[str],
                     offered_versions: list[str]) -> None:
    events = _impl.handshake_trace(client)
    if server is not None:
        events += _impl.handshake_trace(server)
    say("")
    say("Handshake, step by step ([C] client, [S] server; time since the client started):")
    for line in _common.format_trace(events, t0):
        say(line)
    if server is None:
        return
    missing = [s for s in STEPS if not any(s.lower() in e.step.lower() for e in events)]
    if missing:
        raise CLIError(f"the cytls trace does not name these handshake steps: {', '.join(missing)}")
    say("")
    say("Negotiated (as each side reports it through the ssl API):")
    cipher = client.cipher()
    say(f"  version        {client.version()} (client offered {', '.join(offered_versions)}; "
        f"the server reports {server.version()})")
    say(f"  cipher suite   {cipher[0] if cipher else '?'}   (client offered: "
        f"{', '.join(client_ctx_ciphers)})")
    say(f"  group          {_impl.negotiated_group(client) or '(not reported)'}")
    ders, verified = _impl.peer_chain_der(client)
    say(f"  server chain   {'verified' if verified else 'accepted'} by the client, "
        "host name localhost checked:")
    for line in _common.chain_lines(ders):
        say(f"    {line}")
    peer = server.getpeercert(binary_form=True)
    say("  client cert    verified by the server:" if peer else "  client cert    NONE")
    if peer:
        for line in _common.chain_lines([peer]):
            say(f"    {line}")
    else:
        raise CLIError("the server saw no client certificate although it required one")


def run(args: argparse.Namespace) -> int:
    """Run the demo.

    Raises:
        CLIError: cytls cannot do (or show) the handshake, or the transfer failed.
    """
    try:
        impl = _impl.load("cytls")
    except _impl.Unavailable as e:
        raise CLIError(f"cytls handshake engine not available: {e}") from e
    nbytes = int(args.size * 1024 * 1024)
    if nbytes <= 0:
        raise CLIError("--size must be positive")
    if args.rounds < 1 or args.warm < 1:
        raise CLIError("--rounds and --warm must be at least 1")
    import cytls

    say(f"cytls {cytls.__version__} demo: mutual TLS 1.3 on 127.0.0.1")
    try:
        from cytls import crypto

        b = crypto.backends()
        say("C backends: " + ", ".join(f"{k} {v}" for k, v in b.items()))
    except Exception as e:
        say(f"C backends: unknown ({e})")

    t = time.perf_counter()
    creds = _certgen.generate(args.key_type)
    kind = "ECDSA P-256" if args.key_type == "ec" else "RSA-2048"
    say(f"Generated a throwaway root CA, intermediate CA, server (localhost) and client "
        f"certificate, {kind}, in {(time.perf_counter() - t) * 1000:.1f} ms")
    notes: list[str] = []
    with creds.write() as files:
        offered = _offered_versions(impl.client_context())
        client_suites = [c["name"] for c in impl.client_context().get_ciphers()
                         if c.get("protocol") == "TLSv1.3" or c["name"].startswith("TLS_")]
        if args.suite:
            client_suites = [args.suite]

        def show(client: Any, server: Any, t0: float, handshake_s: float) -> None:
            try:
                _print_handshake(client, server, t0, client_suites, offered)
            except _impl.Unavailable as e:
                raise CLIError(f"cytls handshake trace not available: {e}") from e
            say(f"  handshake      {handshake_s * 1000:.2f} ms (client's view, loopback; the "
                "first in this process, with a trace being recorded)")
            say("")
            total = fmt_bytes(nbytes * args.rounds)
            say(f"Application data: {args.rounds} round{'s' if args.rounds != 1 else ''} of "
                f"{fmt_bytes(nbytes)} ({total} in all) client -> server in 64 KiB writes, "
                "each acknowledged by the server")

        ours = _connect(impl, files, args, nbytes, args.rounds, notes, on_handshake=show)
        theirs = None
        if not args.no_compare:
            theirs = _connect(_impl.load("ssl"), files, args, nbytes, args.rounds, notes)
        handshakes = [] if args.no_compare else _compare_handshakes(impl, files, args, notes)
    say("")
    say(f"Bulk transfer, median of {args.rounds} rounds of {fmt_bytes(nbytes)} each "
        "(client and server threads in this one process):")
    rows = [(ours, "cytls")] + ([(theirs, "ssl")] if theirs is not None else [])
    for r, name in rows:
        cipher = r.client.cipher()
        ratio = ""
        if theirs is not None and name == "cytls":
            ratio = f"   {r.rate / theirs.rate:.2f}x the ssl module"
        rounds_ms = ", ".join(f"{t * 1000:.1f}" for t in r.transfer_s)
        say(f"  {name:5s}  {cipher[0] if cipher else '?':28s} {fmt_rate(r.rate):>12s}"
            f"  (rounds: {rounds_ms} ms){ratio}")
    if handshakes:
        say("")
        say(f"Full handshakes with client authentication, client's view over loopback: the "
            f"first from a freshly loaded context pair, then the median of {args.warm} more:")
        for name, group, first, warm in handshakes:
            say(f"  {name:5s}  {group:15s} first {first * 1000:6.2f} ms   "
                f"warm median {statistics.median(warm) * 1000:6.2f} ms")
    for note in notes:
        say(f"  note: {note}")
    return 0


def _compare_handshakes(impl: _impl.TLSImpl, files: CertFiles, args: argparse.Namespace,
                        notes: list[str]) -> list[tuple[str, str, float, list[float]]]:
    """Like with like: cytls and ssl on the same group (x25519, or --group), then
    cytls on the hybrid X25519MLKEM768 when ssl's OpenSSL cannot do it."""
    ssl_impl = _impl.load("ssl")
    common = args.group or "x25519"
    plan = [(impl, common)]
    if _can_use_group(ssl_impl, common):
        plan.append((ssl_impl, common))
    else:
        notes.append(f"the ssl module's OpenSSL ({ssl.OPENSSL_VERSION}) has no group {common}; "
                     "only cytls's handshake times are shown for it")
    if common.lower() != "x25519mlkem768":
        if _can_use_group(ssl_impl, "X25519MLKEM768"):
            plan.append((ssl_impl, "X25519MLKEM768"))
        plan.insert(len(plan), (impl, "X25519MLKEM768"))
    results = []
    for which, group in plan:
        first, warm = _handshake_times(which, files, args.suite, group, args.warm)
        results.append((which.name, group, first, warm))
    return results
