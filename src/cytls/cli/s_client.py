"""`python -m cytls s_client`: a TLS client in the spirit of `openssl s_client`.

Owns: connecting, printing the negotiated parameters and the verified chain, and
relaying stdin to the server and the server to stdout. Must not: implement TLS,
or weaken verification unless -insecure says so.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import ssl
import sys
import time
from typing import Any

from cytls.cli import _common, _impl
from cytls.cli._output import CLIError, describe_error, say

__all__ = ["add_parser", "run"]


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("s_client", parents=[parent], help="connect to a TLS server",
                       description="A TLS client in the spirit of openssl s_client.")
    p.add_argument("connect", nargs="?", metavar="HOST:PORT", help="server (default localhost:4433)")
    p.add_argument("-connect", dest="connect_opt", metavar="HOST:PORT", help="same as HOST:PORT")
    p.add_argument("-servername", metavar="NAME",
                   help="SNI and the name to verify (default: the host)")
    p.add_argument("-noservername", action="store_true", help="send no SNI")
    p.add_argument("-insecure", action="store_true",
                   help="do not verify the server's certificate or name (dangerous)")
    p.add_argument("-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="connect and handshake timeout (default 10)")
    p.add_argument("-wait", type=float, default=1.0, metavar="SECONDS",
                   help="after stdin ends, wait this long for more data (default 1)")
    p.add_argument("-ign_eof", action="store_true",
                   help="after stdin ends, keep reading until the server closes")
    _common.add_context_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Connect, report, relay.

    Raises:
        CLIError: refused, unresolvable, verification failure, bad options.
    """
    impl = _common.load_impl(args.impl)
    host, port = _common.parse_hostport(args.connect_opt or args.connect or "", "localhost", 4433)
    target = f"{host}:{port}"
    ctx = impl.client_context()
    if args.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif not args.CAfile:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
    _common.configure_context(ctx, impl, args)
    if args.noservername and not args.insecure:
        ctx.check_hostname = False  # nothing to check the name against; the chain still is
    server_hostname = None if args.noservername else (args.servername or host)

    try:
        raw = socket.create_connection((host, port), timeout=args.timeout)
    except OSError as e:
        raise CLIError(describe_error(e, target) or f"cannot connect to {target}: {e}") from e
    say(f"CONNECTED to {target} ({raw.getpeername()[0]}) with {impl.name}")
    try:
        started = time.perf_counter()
        try:
            tls = ctx.wrap_socket(raw, server_hostname=server_hostname, do_handshake_on_connect=False)
            tls.do_handshake()
        except Exception as e:
            if args.trace and "tls" in locals():
                _print_trace(tls)
            line = describe_error(e, target)
            if line is None:
                raise
            raise CLIError(line) from e
        elapsed = time.perf_counter() - started
        _report(tls, args, elapsed)
        return _relay(tls, args)
    finally:
        raw.close()


def _print_trace(tls: Any) -> None:
    try:
        events = _impl.handshake_trace(tls)
    except _impl.Unavailable as e:
        say(f"trace unavailable: {e}")
        return
    say("Handshake trace:")
    for line in _common.format_trace(events):
        say(line)


def _report(tls: Any, args: argparse.Namespace, elapsed: float) -> None:
    if args.trace:
        _print_trace(tls)
    if not args.quiet:
        ders, verified = _impl.peer_chain_der(tls)
        if args.insecure:
            title = "Server certificate chain (as sent; NOT verified: -insecure)"
        elif verified:
            title = "Server certificate chain (verified)"
        else:
            title = "Server certificate chain (verified; showing the chain as sent)"
        say("---")
        say(title)
        for line in _common.chain_lines(ders):
            say(line)
        say("---")
    rows = _common.connection_summary(tls)
    rows.append(("Verification", "skipped (-insecure)" if args.insecure else "OK"))
    rows.append(("Handshake", f"{elapsed * 1000:.1f} ms"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        say(f"{k.ljust(width)} : {v}")
    say("---")


def _send_all(tls: Any, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = tls.send(view)
        except (ssl.SSLWantWriteError, BlockingIOError):
            select.select([], [tls], [], 5.0)
            continue
        except ssl.SSLWantReadError:
            select.select([tls], [], [], 5.0)
            continue
        view = view[n:]


def _relay(tls: Any, args: argparse.Namespace) -> int:
    """Copy stdin to the server and the server to stdout until one side ends."""
    out = sys.stdout.buffer
    try:
        stdin_fd: int | None = sys.stdin.fileno() if sys.stdin is not None else None
    except (OSError, ValueError):
        stdin_fd = None
    tls.settimeout(0.0)
    eof_in = stdin_fd is None
    while True:
        if tls.pending():
            ready: list[Any] = [tls]
        else:
            fds: list[Any] = [tls] if eof_in else [tls, stdin_fd]
            timeout = None if not eof_in or args.ign_eof else args.wait
            ready, _, _ = select.select(fds, [], [], timeout)
            if not ready:
                break  # stdin ended and the server said nothing more for -wait seconds
        if tls in ready:
            try:
                data = tls.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except ssl.SSLZeroReturnError:
                data = b""
            except (ssl.SSLEOFError, ConnectionResetError) as e:
                say(f"connection ended without close_notify: {e}", file=sys.stderr)
                return 1
            if not data:
                if not args.quiet:
                    say("closed by server", file=sys.stderr)
                break
            out.write(data)
            out.flush()
        if stdin_fd is not None and stdin_fd in ready:
            chunk = os.read(stdin_fd, 65536)
            if chunk:
                _send_all(tls, chunk)
            else:
                eof_in = True
    try:
        tls.unwrap()
    except (ssl.SSLError, OSError, ValueError):
        pass
    return 0
