"""Tolerant access to the fields of peer certificates.

Owns: the exceptions cryptography raises for certificates that are
malformed in ways its lazy parser only notices when a field is used
(CERT_ERRORS), and extension lookups that treat an unreadable extension
as absent.
Must not: decide anything about a chain (verify.py, strict.py do).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

__all__ = ["CERT_ERRORS", "ext", "ext_full"]

# What cryptography raises for certificates that are malformed in ways its
# lazy parser only notices when a field is used: every one is the peer's
# fault (bad_certificate), and any that escaped would become internal_error.
# LookupError too: cryptography 49 raises KeyError for an unknown ASN.1
# string tag in a Name (50 raises ValueError). DuplicateExtension (an
# extension OID twice, RFC 5280 §4.2) and UnsupportedGeneralNameType (an
# x400Address or ediPartyName) derive from Exception alone.
CERT_ERRORS = (
    ValueError,
    TypeError,
    LookupError,
    UnsupportedAlgorithm,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)


def ext(cert: x509.Certificate, cls: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except (x509.ExtensionNotFound, *CERT_ERRORS):
        return None


def ext_full(
    cert: x509.Certificate, cls: type[x509.ExtensionType]
) -> x509.Extension[x509.ExtensionType] | None:
    try:
        return cert.extensions.get_extension_for_class(cls)
    except (x509.ExtensionNotFound, *CERT_ERRORS):
        return None
