"""The certificate and key files the CLI is given, with errors a person can act on.

Owns: openssl's `-pass` argument forms (`pass:TEXT`, `env:VAR`, `file:PATH`,
`stdin`), and turning a failed `load_cert_chain()` into one line that names
the file and the cause: unreadable, not a certificate, not a private key, an
encrypted key without (or with the wrong) password, a key that does not
belong to the certificate.
Must not: load anything into a context except through its own
`load_cert_chain()`, which stays the only judge of what is accepted.
"""

from __future__ import annotations

import os
import ssl
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cytls.cli._output import CLIError

__all__ = ["load_cert_chain", "read_password"]

_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY")


def read_password(spec: str | None) -> bytes | None:
    """openssl's pass phrase argument: pass:TEXT, env:VAR, file:PATH (its
    first line) or stdin (one line). None when no -pass was given.

    Raises:
        CLIError: an unknown form, a missing variable, an unreadable file.
    """
    if spec is None:
        return None
    kind, sep, value = spec.partition(":")
    if spec == "stdin":
        return sys.stdin.buffer.readline().rstrip(b"\r\n")
    if not sep:
        raise CLIError(f"-pass {spec!r}: expected pass:TEXT, env:VAR, file:PATH or stdin")
    if kind == "pass":
        return value.encode()
    if kind == "env":
        if value not in os.environ:
            raise CLIError(f"-pass env:{value}: the environment variable {value} is not set")
        return os.environ[value].encode()
    if kind == "file":
        try:
            with open(value, "rb") as f:
                return f.readline().rstrip(b"\r\n")
        except OSError as e:
            raise CLIError(f"-pass file:{value}: cannot read it ({e.strerror})") from e
    raise CLIError(f"-pass {spec!r}: expected pass:TEXT, env:VAR, file:PATH or stdin")


def load_cert_chain(
    ctx: ssl.SSLContext, certfile: str, keyfile: str | None, password: bytes | None
) -> None:
    """ctx.load_cert_chain(), with a failure explained.

    Raises:
        CLIError: the chain or key could not be loaded; the message names the
            file and why.
    """
    try:
        ctx.load_cert_chain(certfile, keyfile, password)
    except (OSError, ssl.SSLError, ValueError, TypeError) as e:
        raise CLIError(_diagnose(certfile, keyfile or certfile, password, e)) from e


def _read(path: str, option: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise CLIError(f"cannot read {option} {path}: {e.strerror or e}") from e


def _labels(pem: bytes) -> list[bytes]:
    """The labels of the PEM blocks in `pem`, in order."""
    out = []
    for line in pem.splitlines():
        line = line.strip()
        if line.startswith(b"-----BEGIN ") and line.endswith(b"-----"):
            out.append(line[len(b"-----BEGIN ") : -len(b"-----")])
    return out


def _diagnose(certfile: str, keyfile: str, password: bytes | None, error: BaseException) -> str:
    """Why load_cert_chain() failed, in words; the context's own error last."""
    cert_pem = _read(certfile, "-cert")
    labels = _labels(cert_pem)
    if b"CERTIFICATE" not in labels:
        if any(label in _KEY_LABELS for label in labels):
            return f"-cert {certfile} holds a private key, not a certificate"
        return f"-cert {certfile} holds no PEM certificate ('-----BEGIN CERTIFICATE-----')"
    try:
        leaf = x509.load_pem_x509_certificates(cert_pem)[0]
    except ValueError:
        return f"-cert {certfile}: its first certificate cannot be parsed"
    key_pem = cert_pem if keyfile == certfile else _read(keyfile, "-key")
    key_labels = [label for label in _labels(key_pem) if label in _KEY_LABELS]
    if not key_labels:
        where = "-cert" if keyfile == certfile else "-key"
        if b"CERTIFICATE" in _labels(key_pem) and keyfile != certfile:
            return f"-key {keyfile} holds a certificate, not a private key"
        return f"{where} {keyfile} holds no PEM private key (give the key with -key)"
    encrypted = key_labels[0] == b"ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in key_pem
    if encrypted and password is None:
        return f"the private key in {keyfile} is encrypted: give its pass phrase with -pass"
    block = _block(key_pem, key_labels[0])
    try:
        key = serialization.load_pem_private_key(block, password if encrypted else None)
    except (ValueError, TypeError):
        if encrypted:
            return f"wrong pass phrase for the encrypted private key in {keyfile}"
        return f"the private key in {keyfile} cannot be parsed"
    ours = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    theirs = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if ours != theirs:
        return f"the private key in {keyfile} does not belong to the certificate in {certfile}"
    return f"cannot load -cert {certfile} / -key {keyfile}: {error}"


def _block(pem: bytes, label: bytes) -> bytes:
    """The first PEM block with `label`, armour included."""
    begin = b"-----BEGIN " + label + b"-----"
    end = b"-----END " + label + b"-----"
    start = pem.index(begin)
    return pem[start : pem.index(end, start) + len(end)]
