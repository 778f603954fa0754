"""Signature schemes for CertificateVerify (RFC 8446 §4.2.3, §4.4.3) and for
TLS 1.2 ServerKeyExchange and CertificateVerify (RFC 5246 §7.4.1.4.1).

Owns: which schemes a key can make, choosing one against the peer's list,
signing and verifying the CertificateVerify (or ServerKeyExchange) content.
Must not: look at chains or names (that is _pki/verify.py). A bad signature is
decrypt_error, an unoffered or unusable scheme illegal_parameter.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import SignatureScheme as SS

__all__ = [
    "CLIENT_CONTEXT",
    "SERVER_CONTEXT",
    "TLS12_SCHEMES",
    "cv_content",
    "key_schemes",
    "key_schemes12",
    "select_scheme",
    "sign",
    "verify",
    "verify12",
]

SERVER_CONTEXT = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00"
CLIENT_CONTEXT = b" " * 64 + b"TLS 1.3, client CertificateVerify\x00"

_HASH: dict[int, type[hashes.HashAlgorithm]] = {
    SS.ecdsa_secp256r1_sha256: hashes.SHA256,
    SS.ecdsa_secp384r1_sha384: hashes.SHA384,
    SS.ecdsa_secp521r1_sha512: hashes.SHA512,
    SS.rsa_pss_rsae_sha256: hashes.SHA256,
    SS.rsa_pss_rsae_sha384: hashes.SHA384,
    SS.rsa_pss_rsae_sha512: hashes.SHA512,
    SS.rsa_pss_pss_sha256: hashes.SHA256,
    SS.rsa_pss_pss_sha384: hashes.SHA384,
    SS.rsa_pss_pss_sha512: hashes.SHA512,
}
_ECDSA_CURVE = {
    SS.ecdsa_secp256r1_sha256: "secp256r1",
    SS.ecdsa_secp384r1_sha384: "secp384r1",
    SS.ecdsa_secp521r1_sha512: "secp521r1",
}
_RSAE = (SS.rsa_pss_rsae_sha256, SS.rsa_pss_rsae_sha384, SS.rsa_pss_rsae_sha512)
_PSS = (SS.rsa_pss_pss_sha256, SS.rsa_pss_pss_sha384, SS.rsa_pss_pss_sha512)
# Schemes a TLS 1.3 CertificateVerify may use (not rsa_pkcs1, not SHA-1).
CV_SCHEMES = frozenset(_HASH) | {SS.ed25519, SS.ed448}

_OID_RSASSA_PSS = "1.2.840.113549.1.1.10"

# TLS 1.2 adds PKCS#1 v1.5 signatures; SHA-1 and rsa_pss_pss stay out.
_PKCS1: dict[int, type[hashes.HashAlgorithm]] = {
    SS.rsa_pkcs1_sha256: hashes.SHA256,
    SS.rsa_pkcs1_sha384: hashes.SHA384,
    SS.rsa_pkcs1_sha512: hashes.SHA512,
}
TLS12_SCHEMES = (
    frozenset(_ECDSA_CURVE) | frozenset(_RSAE) | frozenset(_PKCS1) | {SS.ed25519, SS.ed448}
)


def key_schemes12(key: Any, cert: x509.Certificate | None = None) -> list[int]:
    """Every TLS 1.2 signature scheme a key (public or private) can make.

    In TLS 1.2 an ECDSA scheme names only the hash, not the curve
    (RFC 8446 §4.2.3 binds the curve for TLS 1.3 only), so an EC key can
    make every ECDSA scheme; the curve-matched one comes first.
    """
    pub = key.public_key() if hasattr(key, "private_bytes") else key
    if isinstance(pub, ec.EllipticCurvePublicKey):
        own: list[int] = [s for s, c in _ECDSA_CURVE.items() if c == pub.curve.name]
        return own + [s for s in _ECDSA_CURVE if s not in own]
    if isinstance(pub, rsa.RSAPublicKey):
        if cert is not None and cert.public_key_algorithm_oid.dotted_string == _OID_RSASSA_PSS:
            return []
        pkcs1: list[int] = list(_PKCS1)
        return [s for s in key_schemes(pub) if s in _RSAE] + pkcs1
    return [s for s in key_schemes(pub) if s in TLS12_SCHEMES]


def cv_content(context: bytes, transcript_hash: bytes) -> bytes:
    """RFC 8446 §4.4.3: 64 spaces, the context string, 0, the hash."""
    return context + transcript_hash


def key_schemes(key: Any, cert: x509.Certificate | None = None) -> list[int]:
    """Every CertificateVerify scheme a key (public or private) can make."""
    pub = key.public_key() if hasattr(key, "private_bytes") else key
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return [s for s, c in _ECDSA_CURVE.items() if c == pub.curve.name]
    if isinstance(pub, rsa.RSAPublicKey):
        if cert is not None and cert.public_key_algorithm_oid.dotted_string == _OID_RSASSA_PSS:
            return list(_PSS)
        schemes: list[int] = list(_RSAE)
        # PSS with SHA-512 needs a modulus of at least 2*64+2 bytes.
        if pub.key_size < 1040:
            schemes.remove(SS.rsa_pss_rsae_sha512)
        return schemes
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return [SS.ed25519]
    if isinstance(pub, ed448.Ed448PublicKey):
        return [SS.ed448]
    return []


def select_scheme(ours: list[int], peer: list[int] | set[int]) -> int:
    """Our first scheme that the peer accepts.

    Raises:
        TLSAlert: handshake_failure when there is none.
    """
    for s in ours:
        if s in peer:
            return s
    raise TLSAlert(AD.handshake_failure, "no signature scheme in common for our key")


def _pss(h: hashes.HashAlgorithm) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)


# Built once: the algorithm objects are immutable, and building them costs
# a server about a microsecond per handshake.
_ECDSA_ALGORITHMS: dict[int, ec.ECDSA] = {s: ec.ECDSA(_HASH[s]()) for s in _ECDSA_CURVE}


def sign(key: Any, scheme: int, data: bytes) -> bytes:
    """Sign CertificateVerify content with a private key."""
    ecdsa = _ECDSA_ALGORITHMS.get(scheme)
    if ecdsa is not None:
        return key.sign(data, ecdsa)  # type: ignore[no-any-return]
    if scheme in _RSAE or scheme in _PSS:
        h = _HASH[scheme]()
        return key.sign(data, _pss(h), h)  # type: ignore[no-any-return]
    if scheme in (SS.ed25519, SS.ed448):
        return key.sign(data)  # type: ignore[no-any-return]
    if scheme in _PKCS1:
        return key.sign(data, padding.PKCS1v15(), _PKCS1[scheme]())  # type: ignore[no-any-return]
    raise ValueError(f"cannot sign with scheme 0x{scheme:04x}")


def verify(cert: x509.Certificate, pub: Any, scheme: int, signature: bytes, data: bytes) -> None:
    """Check a CertificateVerify signature with the peer leaf's key.

    Raises:
        TLSAlert: illegal_parameter when the scheme cannot be used with this
            key or in TLS 1.3; decrypt_error when the signature is wrong.
    """
    if scheme not in CV_SCHEMES or scheme not in key_schemes(pub, cert):
        raise TLSAlert(
            AD.illegal_parameter,
            f"signature scheme 0x{scheme:04x} does not match the certificate key",
        )
    _check(pub, scheme, signature, data, "CertificateVerify")


def verify12(
    cert: x509.Certificate, pub: Any, scheme: int, signature: bytes, data: bytes, what: str
) -> None:
    """Check a TLS 1.2 ServerKeyExchange or CertificateVerify signature.

    Raises:
        TLSAlert: illegal_parameter when the scheme cannot be used with this
            key in TLS 1.2; decrypt_error when the signature is wrong.
    """
    if scheme not in TLS12_SCHEMES or scheme not in key_schemes12(pub, cert):
        raise TLSAlert(
            AD.illegal_parameter,
            f"signature scheme 0x{scheme:04x} does not match the certificate key",
        )
    _check(pub, scheme, signature, data, what)


def _check(pub: Any, scheme: int, signature: bytes, data: bytes, what: str) -> None:
    try:
        if scheme in _ECDSA_CURVE:
            pub.verify(signature, data, _ECDSA_ALGORITHMS[scheme])
        elif scheme in _RSAE or scheme in _PSS:
            h = _HASH[scheme]()
            pub.verify(signature, data, _pss(h), h)
        elif scheme in _PKCS1:
            pub.verify(signature, data, padding.PKCS1v15(), _PKCS1[scheme]())
        else:
            pub.verify(signature, data)
    except (InvalidSignature, ValueError, TypeError):
        raise TLSAlert(AD.decrypt_error, f"{what} signature does not verify") from None
