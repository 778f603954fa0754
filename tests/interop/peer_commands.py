"""The `openssl` and GnuTLS command-line peers of the interop tests.

Owns: the command lines of `openssl s_server`/`s_client`, `gnutls-serv` and
`gnutls-cli` (suites, groups, ALPN, client certificates, TLS 1.2), their
suite and group names, and the checks that read their output (the exported
keying material, a line exchange, a close from the peer).
Must not: start anything but through peers.start_server / PeerProcess
(bounded waits, killed at the end of their `with` block).
"""

from __future__ import annotations

import contextlib
import re
import ssl
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from peers import (
    P256,
    P384,
    SUITES,
    X25519,
    CytlsSocket,
    PeerProcess,
    PKIFiles,
    start_server,
    token,
)

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
