"""The chain a side sends when it loaded only its leaf certificate.

Owns: OpenSSL's automatic chain (SSL_MODE_NO_AUTO_CHAIN unset): when
`load_cert_chain` gave a leaf and no intermediates, the certificates sent
are the chain built up from the context's own trust store, the anchor
included, as far as issuers are found.
Must not: verify anything (the chain sent is not checked: a peer does that)
or read files.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature

__all__ = ["auto_chain"]

# Longer chains than this are not built (OpenSSL's default verify depth is 100;
# real ones have 2 to 4 certificates).
_MAX_DEPTH = 10


def _issuer_in(store: list[x509.Certificate], cert: x509.Certificate) -> x509.Certificate | None:
    for candidate in store:
        if candidate.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return candidate
    return None


def auto_chain(
    chain: list[x509.Certificate], store: list[x509.Certificate]
) -> list[x509.Certificate]:
    """The certificates to send for `chain` (leaf first).

    Args:
        chain: what load_cert_chain loaded.
        store: the context's trusted certificates (cafile, cadata, capath).

    Returns:
        `chain` itself when it has intermediates or is empty, or when the
        store adds nothing; else a new list: the leaf, then each issuer found
        in the store, up to a self-signed one.
    """
    if len(chain) != 1 or not store:
        return chain
    built = [chain[0]]
    while len(built) < _MAX_DEPTH:
        cert = built[-1]
        if cert.subject == cert.issuer and len(built) > 1:
            break  # a self-signed anchor ends it
        issuer = _issuer_in(store, cert)
        if issuer is None or issuer in built:
            break
        built.append(issuer)
    return built if len(built) > 1 else chain
