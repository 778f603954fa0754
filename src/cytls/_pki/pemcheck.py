"""Whether a CA file's PEM text is damaged, as OpenSSL's reader sees it.

Owns: the test X509_load_cert_crl_file fails on with "[X509] PEM lib": a
block without its END line, a body that is not base64, or a CRL or
(unencrypted) private key block whose DER does not parse (a certificate
block that does not parse is the loader's to report, as it parses them
anyway). Blocks of other types are skipped, as OpenSSL skips them.
Must not: return certificates (loading.py does) or raise ssl exceptions.
"""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.hazmat.primitives import serialization

__all__ = ["pem_damaged"]

_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"DSA PRIVATE KEY")


def _der_parses(label: bytes, der: bytes) -> bool:
    # (Certificate blocks are parsed, once, by the loader itself.)
    try:
        if label == b"X509 CRL":
            x509.load_der_x509_crl(der)
        elif label in _KEY_LABELS:
            try:
                serialization.load_der_private_key(der, None)
            except TypeError:
                pass  # encrypted: OpenSSL keeps it undecoded
    except ValueError:
        return False
    return True


def pem_damaged(data: bytes) -> bool:
    """Whether OpenSSL's PEM reader would stop on an error in `data`."""
    lines = data.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not (line.startswith(b"-----BEGIN ") and line.endswith(b"-----")):
            continue
        label = line[11:-5]
        body: list[bytes] = []
        encrypted = False
        while i < len(lines) and not lines[i].strip().startswith(b"-----END "):
            part = lines[i].strip()
            if b":" in part:
                encrypted = True  # RFC 1421 headers (Proc-Type, DEK-Info)
            elif part:
                body.append(part)
            i += 1
        if i >= len(lines) or lines[i].strip() != b"-----END " + label + b"-----":
            return True
        i += 1
        if encrypted:
            continue
        try:
            der = base64.b64decode(b"".join(body), validate=True)
        except (binascii.Error, ValueError):
            return True
        if not _der_parses(label, der):
            return True
    return False
