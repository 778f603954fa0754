"""Pieces s_client, s_server and demo share: addresses, contexts, summaries.

Owns: turning openssl-style options into SSLContext calls, and describing an
established connection (protocol, suite, group, ALPN, chain) for a person.
Must not: make any TLS decision the context does not make itself.
"""

from __future__ import annotations

import argparse
import ipaddress
import ssl
from collections.abc import Sequence
from typing import Any

from cryptography import x509

from cytls.cli import _impl, _keyfiles
from cytls.cli._impl import TLSImpl, TraceEvent, Unavailable
from cytls.cli._output import CLIError

__all__ = [
    "add_context_options",
    "chain_lines",
    "configure_context",
    "connection_summary",
    "format_trace",
    "parse_hostport",
    "sni_sent",
]


def parse_hostport(text: str, default_host: str, default_port: int) -> tuple[str, int]:
    """'host:port', '[v6]:port', 'host' or 'port' -> (host, port).

    Raises:
        CLIError: a port that is not a number in 0..65535.
    """
    host, port_text = default_host, str(default_port)
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise CLIError(f"bad address {text!r}: missing ']'")
        host = text[1:end]
        rest = text[end + 1 :]
        if rest.startswith(":"):
            port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        host = host or default_host
    elif text.isdigit():
        port_text = text
    elif text:
        host = text
    try:
        port = int(port_text)
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        raise CLIError(f"bad port {port_text!r} in {text!r}: expected a number 0-65535") from None
    return host, port


def add_context_options(p: argparse.ArgumentParser) -> None:
    """The options s_client and s_server share (openssl spelling)."""
    p.add_argument("-CAfile", metavar="FILE", help="PEM file of trusted CA certificates")
    p.add_argument("-cert", metavar="FILE", help="certificate chain (PEM, leaf first)")
    p.add_argument("-key", metavar="FILE", help="private key (PEM); defaults to -cert's file")
    p.add_argument("-pass", dest="passarg", metavar="ARG",
                   help="pass phrase of an encrypted key: pass:TEXT, env:VAR, file:PATH or stdin")
    p.add_argument("-alpn", metavar="LIST", help="comma-separated ALPN protocols, e.g. h2,http/1.1")
    p.add_argument("-tls1_2", action="store_true", help="only TLS 1.2")
    p.add_argument("-tls1_3", action="store_true", help="only TLS 1.3")
    p.add_argument("-ciphersuites", metavar="LIST",
                   help="colon-separated TLS 1.3 suites, e.g. TLS_AES_128_GCM_SHA256")
    p.add_argument("-cipher", metavar="LIST", help="OpenSSL cipher list for TLS 1.2")
    p.add_argument("-groups", metavar="LIST", help="colon-separated groups, e.g. x25519:secp256r1")
    p.add_argument("-keylogfile", metavar="FILE", help="append NSS key log lines (for Wireshark)")
    p.add_argument("-trace", action="store_true", help="print each handshake step with timings")
    p.add_argument("-quiet", action="store_true", help="print less")
    p.add_argument("--impl", choices=_impl.IMPLEMENTATIONS, default="cytls",
                   help="TLS implementation to drive (default cytls; ssl for comparison)")


def load_impl(name: str) -> TLSImpl:
    """_impl.load, with the failure turned into a one-line error."""
    try:
        return _impl.load(name)
    except Unavailable as e:
        raise CLIError(f"{e} (use --impl ssl to run with the ssl module)") from e


def configure_context(ctx: ssl.SSLContext, impl: TLSImpl, args: argparse.Namespace) -> None:
    """Apply the shared options to a context.

    Raises:
        CLIError: an option the implementation cannot honour, or a bad file.
    """
    if args.tls1_2 and args.tls1_3:
        raise CLIError("-tls1_2 and -tls1_3 exclude each other")
    if args.tls1_2:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif args.tls1_3:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    try:
        if args.ciphersuites:
            _impl.set_suites(ctx, impl, [s for s in args.ciphersuites.split(":") if s])
        if args.groups:
            _impl.set_groups(ctx, impl, [g for g in args.groups.split(":") if g])
    except (Unavailable, ValueError, ssl.SSLError) as e:
        raise CLIError(str(e)) from e
    if args.cipher:
        try:
            ctx.set_ciphers(args.cipher)
        except ssl.SSLError as e:
            raise CLIError(f"-cipher {args.cipher!r}: no cipher can be selected ({e})") from e
    if args.alpn:
        ctx.set_alpn_protocols([a for a in args.alpn.split(",") if a])
    if args.keylogfile:
        ctx.keylog_filename = args.keylogfile
    if args.CAfile:
        try:
            ctx.load_verify_locations(cafile=args.CAfile)
        except (OSError, ssl.SSLError) as e:
            raise CLIError(f"cannot load -CAfile {args.CAfile}: {_reason(e)}") from e
    if args.cert:
        password = _keyfiles.read_password(getattr(args, "passarg", None))
        _keyfiles.load_cert_chain(ctx, args.cert, args.key or None, password)
    elif args.key:
        raise CLIError("-key needs -cert")


def sni_sent(server_hostname: str | None) -> str | None:
    """The server_name a client puts on the wire for `server_hostname`: none
    for an IP address (RFC 6066 §3 allows host names only; the ssl module and
    cytls both leave it out), and no trailing dot."""
    if not server_hostname:
        return None
    try:
        ipaddress.ip_address(server_hostname.strip("[]"))
        return None
    except ValueError:
        return server_hostname.rstrip(".") or None


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return getattr(e, "reason", None) or str(e)


def _name(n: x509.Name) -> str:
    return n.rfc4514_string() or "(empty)"


def chain_lines(ders: Sequence[bytes]) -> list[str]:
    """`openssl s_client`-style lines: ' 0 s:SUBJECT' / '   i:ISSUER' per certificate."""
    lines: list[str] = []
    for i, der in enumerate(ders):
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            lines.append(f"{i:2d} (unparseable certificate, {len(der)} bytes)")
            continue
        key = cert.public_key()
        size = getattr(key, "key_size", None)
        kind = type(key).__name__.replace("PublicKey", "").lstrip("_")
        lines.append(f"{i:2d} s:{_name(cert.subject)}")
        lines.append(f"   i:{_name(cert.issuer)}")
        lines.append(
            f"   {kind}{f' {size} bits' if size else ''}, "
            f"valid {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}"
        )
    return lines


def connection_summary(tls: Any) -> list[tuple[str, str]]:
    """(label, value) pairs for an established SSLSocket/SSLObject."""
    cipher = tls.cipher()
    rows = [("Protocol", str(tls.version()))]
    if cipher:
        rows.append(("Cipher", f"{cipher[0]} ({cipher[2]} bits)"))
    group = _impl.negotiated_group(tls)
    rows.append(("Group", group or "(not reported by this implementation)"))
    rows.append(("ALPN", tls.selected_alpn_protocol() or "(none)"))
    if getattr(tls, "server_side", False):
        peer = tls.getpeercert(binary_form=True)
        if peer:
            subject = _name(x509.load_der_x509_certificate(peer).subject)
            rows.append(("Client cert", subject))
        else:
            rows.append(("Client cert", "(none)"))
    else:
        sent = sni_sent(getattr(tls, "server_hostname", None))
        rows.append(("SNI", sent if sent else "(none sent)"))
    rows.append(("Resumed", "yes" if getattr(tls, "session_reused", False) else "no"))
    return rows


_KINDS = {
    "suite": "suite", "suites": "suite",
    "group": "group", "groups": "group", "key_shares": "group",
    "scheme": "scheme", "schemes": "scheme",
    "version": "version", "versions": "version",
    "extensions": "extension", "description": "alert",
}


def _detail_text(details: Any, limit: int = 6) -> str:
    """'key: value; ...' with wire numbers shown by their registry names."""
    if not details:
        return ""
    if not isinstance(details, dict):
        details = dict(details)
    parts = []
    for k, v in details.items():
        kind = _KINDS.get(k, "")
        if isinstance(v, list | tuple):
            names = [_impl.name_of(kind, x) for x in v]
            more = f", +{len(names) - limit} more" if len(names) > limit else ""
            v = ", ".join(names[:limit]) + more if names else "(none)"
        else:
            v = _impl.name_of(kind, v)
        parts.append(f"{k}: {v}" if k else str(v))
    return "; ".join(parts)


def format_trace(events: Sequence[TraceEvent], t0: float | None = None) -> list[str]:
    """One line per step, in time order, with the time since t0 (the first step)."""
    ordered = sorted(events, key=lambda e: e.t)
    if not ordered:
        return []
    base = ordered[0].t if t0 is None else t0
    lines = []
    for ev in ordered:
        arrow = "C" if ev.role == "client" else "S"
        head = f"  +{(ev.t - base) * 1000:7.2f} ms  [{arrow}] {ev.step}"
        detail = _detail_text(ev.details)
        lines.append(head + (f"  — {detail}" if detail else ""))
    return lines
