"""OpenSSL's security levels for certificates: key and signature-digest floors.

Owns: the security bits of a certificate's public key and of the digest
its signature uses, and the floors OpenSSL's levels 0..5 set on them (level
n needs 0, 80, 112, 128, 192 or 256 bits), for this side's own chain (the
errors load_cert_chain raises) and for the peer's (the verify codes 66-68).
Must not: verify chains (verify.py does) or read files.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

from cytls._pki.dsakeys import DSAPublicKey

__all__ = ["LEVEL_BITS", "chain_weakness", "key_bits"]

LEVEL_BITS = {0: 0, 1: 80, 2: 112, 3: 128, 4: 192, 5: 256}

# Security bits of a signature digest (SHA-1 and MD5 by their collision strength).
_DIGEST_BITS = {
    "md5": 39,
    "sha1": 63,
    "sha224": 112,
    "sha256": 128,
    "sha384": 192,
    "sha512": 256,
    "sha3-224": 112,
    "sha3-256": 128,
    "sha3-384": 192,
    "sha3-512": 256,
}


def _ffc_bits(n: int) -> int:
    """NIST SP 800-57 strength of an RSA or DSA modulus (OpenSSL's
    BN_security_bits for the sizes it tabulates)."""
    for size, bits in ((15360, 256), (7680, 192), (3072, 128), (2048, 112), (1024, 80)):
        if n >= size:
            return bits
    return 0


def key_bits(key: object) -> int:
    """The security bits of a public key."""
    if isinstance(key, rsa.RSAPublicKey):
        return _ffc_bits(key.key_size)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.key_size // 2
    if isinstance(key, ed25519.Ed25519PublicKey):
        return 128
    if isinstance(key, ed448.Ed448PublicKey):
        return 224
    if isinstance(key, DSAPublicKey):
        return _ffc_bits(key.key_size)
    return 0


def _signature_bits(cert: x509.Certificate) -> int:
    h = cert.signature_hash_algorithm
    if h is None:  # Ed25519 / Ed448 sign without a separate digest
        return 224 if cert.signature_algorithm_oid == SignatureAlgorithmOID.ED448 else 128
    return _DIGEST_BITS.get(h.name, 0)


def chain_weakness(chain: list[x509.Certificate], level: int) -> str | None:
    """What the level refuses in a chain, leaf first, in OpenSSL's order:
    "EE_KEY_TOO_SMALL", "CA_KEY_TOO_SMALL", "CA_MD_TOO_WEAK" (a signature
    digest, the self-signature of a root aside), or None."""
    floor = LEVEL_BITS.get(level, 256)
    if not floor:
        return None
    for i, cert in enumerate(chain):
        if key_bits(cert.public_key()) < floor:
            return "EE_KEY_TOO_SMALL" if i == 0 else "CA_KEY_TOO_SMALL"
        if cert.subject == cert.issuer and i > 0:
            continue
        if _signature_bits(cert) < floor:
            return "CA_MD_TOO_WEAK"
    return None
