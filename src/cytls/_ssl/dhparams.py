"""Reading `SSLContext.load_dh_params()` files with the ssl module's errors.

Owns: finding the "DH PARAMETERS" (PKCS #3) or "X9.42 DH PARAMETERS" PEM
block the way OpenSSL's PEM_read_bio_DHparams does, decoding it, and the
errors it reports: "[PEM: NO_START_LINE]", "[PEM: BAD_END_LINE]",
"[PEM: BAD_BASE64_DECODE]", "[PEM] ASN1 lib", and "[SSL: DH_KEY_TOO_SMALL]"
below the security level's floor.
Must not: use the parameters in a handshake (the key exchange groups do).
"""

from __future__ import annotations

import base64
import binascii
import warnings

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh

from cytls._pki.loading import _ssl_error

__all__ = ["parse_dh_params"]

_LABELS = (b"DH PARAMETERS", b"X9.42 DH PARAMETERS")

# OpenSSL's minimum DH modulus per security level (ssl_security_default_callback).
_MIN_BITS = {0: 0, 1: 1024, 2: 2048, 3: 3072, 4: 7680, 5: 15360}


def _pem_error(reason: str | None, text: str, code: int) -> Exception:
    return _ssl_error("PEM", reason, text, code)


def _find_block(data: bytes) -> tuple[bytes, bytes]:
    """(label, base64 body) of the first DH parameters block, scanning the
    blocks in order as PEM_read_bio does."""
    lines = data.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not (line.startswith(b"-----BEGIN ") and line.endswith(b"-----")):
            continue
        label = line[11:-5]
        body = []
        while i < len(lines) and not lines[i].strip().startswith(b"-----END "):
            body.append(lines[i].strip())
            i += 1
        if i >= len(lines) or lines[i].strip() != b"-----END " + label + b"-----":
            raise _pem_error("BAD_END_LINE", "bad end line", 102)
        i += 1
        if label in _LABELS:
            return label, b"".join(body)
    raise _pem_error("NO_START_LINE", "no start line", 108)


def parse_dh_params(data: bytes, security_level: int) -> dh.DHParameters:
    """The DH parameters of a load_dh_params() file.

    Raises:
        ssl.SSLError: as OpenSSL reports the file's problem (see above).
    """
    label, body = _find_block(data)
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise _pem_error("BAD_BASE64_DECODE", "bad base64 decode", 100) from None
    pem = b"-----BEGIN DH PARAMETERS-----\n" + base64.encodebytes(der)
    pem += b"-----END DH PARAMETERS-----\n"
    try:
        if label != b"DH PARAMETERS":
            raise ValueError("X9.42 parameters are not PKCS #3")
        with warnings.catch_warnings():
            # cryptography deprecates finite-field DH; loading is still ours to do.
            warnings.simplefilter("ignore")
            params = serialization.load_pem_parameters(pem)
            if not isinstance(params, dh.DHParameters):
                raise ValueError("not DH parameters")
            bits = params.parameter_numbers().p.bit_length()
    except (ValueError, TypeError):
        raise _pem_error(None, "ASN1 lib", 524301) from None
    if bits < _MIN_BITS.get(security_level, 15360):
        raise _ssl_error("SSL", "DH_KEY_TOO_SMALL", "dh key too small", 394)
    return params
