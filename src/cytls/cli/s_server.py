"""`python -m cytls s_server`: a small TLS server in the spirit of `openssl s_server`.

Owns: listening, one thread per client, echo and -www modes, -naccept, stdin
commands (-stdin_cmds: k/K send a KeyUpdate, as openssl s_server's) and a clean
stop on Ctrl-C or SIGTERM. Must not: implement TLS; it drives an ssl-shaped
context (cytls by default). The limits that keep it alive under slow or
hostile clients (handshake and idle deadlines, the connection cap) are
_guard.py's.
"""

from __future__ import annotations

import argparse
import html
import queue
import select
import signal
import socket
import ssl
import sys
import threading
import time
from types import FrameType
from typing import Any

from cytls.cli import _common, _guard, _impl
from cytls.cli._output import CLIError, describe_error, say

__all__ = ["add_parser", "run"]

_HANDSHAKE_TIMEOUT = 10.0
_IDLE_TIMEOUT = 120.0
_MAX_CONNECTIONS = 256


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("s_server", parents=[parent], help="a TLS server (echo or -www)",
                       description="A TLS server in the spirit of openssl s_server.")
    p.add_argument("-accept", metavar="[HOST:]PORT", default="4433",
                   help="where to listen (default 127.0.0.1:4433; port 0 picks a free port)")
    _common.add_context_options(p)
    p.add_argument("-verify", metavar="DEPTH", type=int,
                   help="ask for a client certificate (optional)")
    p.add_argument("-Verify", metavar="DEPTH", type=int,
                   help="require a client certificate")
    p.add_argument("-www", action="store_true",
                   help="answer an HTTP GET with an HTML page of the connection parameters")
    p.add_argument("-naccept", metavar="N", type=int, help="stop after N connections")
    p.add_argument("-stdin_cmds", action="store_true",
                   help="echo mode: read commands from stdin, one per line, for every open "
                        "connection: k sends a TLS 1.3 KeyUpdate, K one that asks the client "
                        "to update too (as openssl s_server's k/K)")
    p.add_argument("-handshake_timeout", metavar="SECONDS", type=float,
                   default=_HANDSHAKE_TIMEOUT,
                   help=f"a handshake may take this long in all, however the client "
                        f"trickles its bytes (default {_HANDSHAKE_TIMEOUT:g}; 0: no limit)")
    p.add_argument("-idle_timeout", metavar="SECONDS", type=float, default=_IDLE_TIMEOUT,
                   help=f"close a connection after this long without application data "
                        f"(default {_IDLE_TIMEOUT:g}; 0: no limit)")
    p.add_argument("-max_conns", metavar="N", type=int, default=_MAX_CONNECTIONS,
                   help=f"serve at most N connections at once; more wait to be accepted "
                        f"(default {_MAX_CONNECTIONS}; 0: no limit)")
    p.set_defaults(func=run)


class _Server:
    def __init__(self, args: argparse.Namespace, ctx: ssl.SSLContext, impl: _impl.TLSImpl) -> None:
        self.args = args
        self.ctx = ctx
        self.impl = impl
        self.lock = threading.Lock()
        self.active: set[socket.socket] = set()
        self.workers: list[threading.Thread] = []
        self.served = 0
        self.local = threading.local()
        # -stdin_cmds: each open echo connection's queue of commands, which
        # its own thread runs (a connection is driven by one thread only).
        self.commands: dict[int, queue.SimpleQueue[str]] = {}
        self.guard = _guard.Guard(args.handshake_timeout, args.idle_timeout, args.max_conns)
        ctx.sni_callback = self._sni

    def _sni(self, obj: Any, name: str | None, ctx: ssl.SSLContext) -> None:
        # Called in the worker's thread during its handshake.
        self.local.sni = name
        return None

    def log(self, text: str) -> None:
        if not self.args.quiet:
            say(text)

    def handle(self, conn: socket.socket, addr: tuple[Any, ...], n: int) -> None:
        peer = f"{addr[0]}:{addr[1]}"
        with self.lock:
            self.active.add(conn)
        tls: Any = None
        guard = self.guard
        watched = guard.watch_handshake(conn)
        try:
            conn.settimeout(_timeout(self.args.handshake_timeout))
            self.local.sni = None
            started = time.perf_counter()
            try:
                tls = self.ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
                guard.rewrap(watched, tls)
                tls.do_handshake()
            except Exception as e:
                why = describe_error(e) or repr(e)
                if watched.expired:
                    why = f"no handshake in {self.args.handshake_timeout:g} s"
                say(f"[{n}] {peer}: handshake failed: {why}")
                return
            guard.start_idle(watched)
            elapsed = time.perf_counter() - started
            with self.lock:
                self.active.add(tls)
            params = dict(_common.connection_summary(tls))
            self.log(
                f"[{n}] {peer}: {params['Protocol']} {params.get('Cipher', '')}, group "
                f"{params['Group']}, ALPN {params['ALPN']}, SNI {self.local.sni or '(none)'}, "
                f"client cert {params.get('Client cert')}, handshake {elapsed * 1000:.1f} ms"
            )
            if self.args.trace:
                self._print_trace(tls, n)
            tls.settimeout(_timeout(self.args.idle_timeout))
            if self.args.www:
                self.www(tls, n, elapsed, watched)
            else:
                total = self.echo(tls, n, watched)
                idle = " (idle timeout)" if watched.expired else ""
                self.log(f"[{n}] {peer}: closed{idle}, {total} bytes echoed")
        except Exception as e:
            why = describe_error(e) or repr(e)
            if watched.expired:
                why = f"closed, idle for {self.args.idle_timeout:g} s"
            say(f"[{n}] {peer}: {why}")
        finally:
            guard.forget(watched)
            for s in (tls, conn):
                if s is not None:
                    with self.lock:
                        self.active.discard(s)
                    try:
                        s.close()
                    except OSError:
                        pass

    def serve_one(self, conn: socket.socket, addr: tuple[Any, ...], n: int) -> None:
        """A worker: one connection, then its slot back."""
        try:
            self.handle(conn, addr, n)
        finally:
            self.guard.release_slot()

    def _print_trace(self, tls: Any, n: int) -> None:
        try:
            events = _impl.handshake_trace(tls)
        except _impl.Unavailable as e:
            say(f"[{n}] trace unavailable: {e}")
            return
        for line in _common.format_trace(events):
            say(f"[{n}] {line}")

    def echo(self, tls: Any, n: int, watched: _guard.Watched) -> int:
        total = 0
        commands: queue.SimpleQueue[str] | None = None
        if self.args.stdin_cmds:
            commands = queue.SimpleQueue()
            with self.lock:
                self.commands[n] = commands
        try:
            while True:
                if commands is not None and not self._wait_readable(tls, commands, n):
                    continue
                try:
                    data = tls.recv(65536)
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionError):
                    break
                if not data:
                    break
                self.guard.touch(watched)
                tls.sendall(data)
                self.guard.touch(watched)
                total += len(data)
        finally:
            with self.lock:
                self.commands.pop(n, None)
        _close_notify(tls)
        return total

    def _wait_readable(self, tls: Any, commands: queue.SimpleQueue[str], n: int) -> bool:
        """Run the queued stdin commands; then whether data waits (a short
        wait, so that a command is run soon after it is typed)."""
        while True:
            try:
                command = commands.get_nowait()
            except queue.Empty:
                break
            self._run_command(tls, command, n)
        if tls.pending():
            return True
        readable, _, _ = select.select([tls], [], [], 0.1)
        return bool(readable)

    def _run_command(self, tls: Any, command: str, n: int) -> None:
        requested = command == "K"
        try:
            _impl.key_update(tls, requested)
        except (_impl.Unavailable, ssl.SSLError, ValueError, OSError) as e:
            say(f"[{n}] KeyUpdate not sent: {describe_error(e) or e}")
            return
        what = "update_requested" if requested else "update_not_requested"
        say(f"[{n}] KEYUPDATE sent ({what})")

    def command(self, line: str) -> None:
        """One stdin line (-stdin_cmds), for every open echo connection."""
        if line not in ("k", "K"):
            say(f"unknown command {line!r}: k (KeyUpdate) or K (KeyUpdate, update requested)")
            return
        with self.lock:
            targets = list(self.commands.values())
        if not targets:
            say(f"command {line!r}: no open connection")
        for q in targets:
            q.put(line)

    def www(self, tls: Any, n: int, handshake_seconds: float, watched: _guard.Watched) -> None:
        request = b""
        ended = False
        while not _complete(request) and len(request) < 16384:
            try:
                data = tls.recv(4096)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionError):
                data = b""
            if not data:
                ended = True
                break
            self.guard.touch(watched)
            request += data
        if ended and not _complete(request):
            # RFC 5246 §7.2.1, RFC 8446 §6.1: the client closed (close_notify
            # or EOF) without a whole request; answer with nothing but our
            # own close_notify.
            line = request.split(b"\n", 1)[0].strip().decode("latin-1")
            self.log(f"[{n}] {line or '(no request)'} -> closed by the client, no answer")
            _close_notify(tls)
            return
        if request.startswith(b"GET "):
            body = self.page(tls, handshake_seconds).encode()
            head = (
                "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
        else:
            body = b"cytls s_server -www answers GET only\n"
            head = (
                "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
        line = request.split(b"\n", 1)[0].strip().decode("latin-1")
        try:
            tls.sendall(head.encode() + body)
        except ssl.SSLError as e:
            # TLS 1.2: the client's close_notify came with its request.
            self.log(f"[{n}] {line} -> not answered: {describe_error(e) or e}")
        else:
            self.log(f"[{n}] {line or '(no request)'} -> {head.split(' ', 2)[1]}")
        _close_notify(tls)

    def page(self, tls: Any, handshake_seconds: float) -> str:
        rows = _common.connection_summary(tls)
        rows.insert(1, ("Server", f"{self.impl.name} ({self.impl.module.__name__})"))
        rows.append(("SNI", self.local.sni or "(none)"))
        rows.append(("Handshake", f"{handshake_seconds * 1000:.1f} ms"))
        shared = tls.shared_ciphers() or []
        width = max(len(k) for k, _ in rows)
        text = [f"{k.ljust(width)} : {v}" for k, v in rows]
        text.append("")
        text.append("Ciphers offered by the client and supported here:")
        text += [f"  {c[0]}  ({c[1]})" for c in shared] or ["  (not reported)"]
        peer = tls.getpeercert(binary_form=True)
        if peer:
            text.append("")
            text.append("Client certificate:")
            text += ["  " + line for line in _common.chain_lines([peer])]
        return (
            "<!DOCTYPE html>\n<html><head><title>cytls s_server</title></head>\n"
            "<body><h1>cytls s_server -www</h1>\n<pre>\n"
            + html.escape("\n".join(text))
            + "\n</pre></body></html>\n"
        )

    def shutdown_active(self) -> None:
        with self.lock:
            active = list(self.active)
        for s in active:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _complete(request: bytes) -> bool:
    """Whether an HTTP request's header block has ended."""
    return b"\r\n\r\n" in request or b"\n\n" in request


def _read_commands(server: _Server) -> None:
    """-stdin_cmds: hand each stdin line to the server until stdin ends."""
    stream = sys.stdin
    if stream is None:
        return
    for raw in stream:
        line = raw.strip()
        if line:
            server.command(line)


def _timeout(seconds: float) -> float | None:
    return seconds if seconds > 0 else None


def _close_notify(tls: Any) -> None:
    """Send close_notify without waiting for the peer's (as openssl -www does)."""
    try:
        tls.settimeout(0.0)
        tls.unwrap()
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, ssl.SSLError, OSError, ValueError):
        pass


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's KeyboardInterrupt would be."""


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


# www mode answers HTTP/1.0 and HTTP/1.1 requests only, so it may advertise
# no other ALPN protocol (RFC 7301 §3.2: the selected protocol is spoken).
_WWW_ALPN = frozenset({"http/1.1", "http/1.0"})


def run(args: argparse.Namespace) -> int:
    """Serve until -naccept connections have ended, or until Ctrl-C/SIGTERM.

    Raises:
        CLIError: a bad option, an unloadable file, a port in use.
    """
    if args.www and args.alpn:
        other = [a for a in args.alpn.split(",") if a and a not in _WWW_ALPN]
        if other:
            raise CLIError(f"-www speaks HTTP/1.x only, so it cannot offer ALPN {', '.join(other)}"
                           " (use -alpn http/1.1, or no -www)")
    impl = _common.load_impl(args.impl)
    generated = None
    if args.cert is None:
        from cytls.cli import _certgen

        if args.key:
            raise CLIError("-key needs -cert")
        generated = _certgen.generate().write()
        args.cert, args.key = str(generated.server_chain), str(generated.server_key)
        if not args.quiet:
            say(f"no -cert given: using a throwaway certificate for localhost, 127.0.0.1, ::1; "
                f"its CA is {generated.ca}")
    try:
        ctx = impl.server_context()
        _common.configure_context(ctx, impl, args)
        if args.Verify is not None:
            ctx.verify_mode = ssl.CERT_REQUIRED
        elif args.verify is not None:
            ctx.verify_mode = ssl.CERT_OPTIONAL
        if ctx.verify_mode != ssl.CERT_NONE and not args.CAfile:
            if generated is not None:
                ctx.load_verify_locations(cafile=str(generated.ca))
            else:
                ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
        host, port = _common.parse_hostport(args.accept, "127.0.0.1", 4433)
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            listener = socket.create_server((host, port), family=family, backlog=128)
        except OSError as e:
            raise CLIError(describe_error(e, f"{host}:{port}") or str(e)) from e
        return _serve(args, ctx, impl, listener)
    finally:
        if generated is not None:
            generated.cleanup()


def _serve(args: argparse.Namespace, ctx: ssl.SSLContext, impl: _impl.TLSImpl,
           listener: socket.socket) -> int:
    server = _Server(args, ctx, impl)
    accepted = 0
    interrupted = False
    status = 0
    old = None
    try:
        if threading.current_thread() is threading.main_thread():
            old = signal.signal(signal.SIGTERM, _sigterm)
        listener.settimeout(0.25)
        addr = listener.getsockname()
        host = f"[{addr[0]}]" if listener.family == socket.AF_INET6 else addr[0]
        if args.stdin_cmds and not args.www:
            threading.Thread(target=_read_commands, args=(server,), daemon=True,
                             name="s_server-stdin").start()
        say(f"ACCEPT {host}:{addr[1]} ({impl.name}, {'www' if args.www else 'echo'} mode)")
        guard = server.guard
        while args.naccept is None or accepted < args.naccept:
            # At the connection cap, clients wait in the listen backlog.
            if not guard.acquire_slot(0.25):
                continue
            try:
                conn, peer = listener.accept()
            except TimeoutError:
                guard.release_slot()
                server.workers = [w for w in server.workers if w.is_alive()]
                continue
            except BaseException:
                guard.release_slot()
                raise
            accepted += 1
            t = threading.Thread(target=server.serve_one, args=(conn, peer, accepted),
                                 daemon=True, name=f"s_server-{accepted}")
            t.start()
            server.workers.append(t)
            if len(server.workers) > 2 * max(args.max_conns, 64):
                server.workers = [w for w in server.workers if w.is_alive()]
        listener.close()
        for w in server.workers:
            while w.is_alive():
                w.join(0.25)
    except KeyboardInterrupt as e:
        # Ctrl-C (or SIGTERM): stop accepting, wake every connection, give the
        # workers a moment to close, and report. Workers are daemon threads, so
        # one stuck in a peer's slow write cannot keep the process alive. The
        # exit status is a shell's for the signal: 128 + SIGINT or SIGTERM.
        interrupted = True
        status = 128 + (signal.SIGTERM if isinstance(e, _Terminated) else signal.SIGINT)
        listener.close()
        server.shutdown_active()
        for w in server.workers:
            if w.ident is not None:
                w.join(2.0)
    finally:
        listener.close()
        server.guard.stop()
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    why = "interrupted" if interrupted else "done"
    say(f"s_server: {why}, {accepted} connection{'s' if accepted != 1 else ''} accepted")
    return status
