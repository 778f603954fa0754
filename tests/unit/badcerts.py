"""Certificates with hostile extension lists, correctly signed.

cryptography's builder refuses duplicated or malformed extensions, so these
helpers take a certificate it built, swap the DER of its extensions field
for a raw list, and sign the new TBSCertificate with the issuer's key: the
result has a valid signature and differs from a good certificate only in the
extensions, so any failure is the parser's.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID

__all__ = ["BAD_EXTENSIONS", "ext", "tlv", "with_extensions"]


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element."""
    return bytes((tag,)) + _length(len(content)) + content


def _elements(der: bytes) -> list[bytes]:
    """The DER elements of a SEQUENCE's content, each whole (tag + length + value)."""
    out = []
    i = 0
    while i < len(der):
        start = i
        i += 1
        n = der[i]
        i += 1
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(der[i : i + k], "big")
            i += k
        i += n
        out.append(der[start:i])
    return out


def _content(element: bytes) -> bytes:
    n = element[1]
    if n & 0x80:
        return element[2 + (n & 0x7F) :]
    return element[2:]


def _oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray((40 * parts[0] + parts[1],))
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def ext(oid: x509.ObjectIdentifier | str, value: bytes, critical: bytes | None = None) -> bytes:
    """An Extension: SEQUENCE { extnID, [critical BOOLEAN], extnValue OCTET STRING }.

    Args:
        oid: the extension's OID.
        value: the DER inside extnValue.
        critical: the raw BOOLEAN element, or None to leave it out.
    """
    dotted = oid if isinstance(oid, str) else oid.dotted_string
    return tlv(0x30, _oid(dotted) + (critical or b"") + tlv(0x04, value))


def with_extensions(cert: x509.Certificate, issuer_key: Any, extensions: list[bytes]) -> bytes:
    """`cert`'s DER with its extensions replaced by `extensions` (raw Extension
    elements, duplicates allowed), signed again by `issuer_key` (ECDSA)."""
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    outer = _elements(_content(cert.public_bytes(Encoding.DER)))
    fields = _elements(_content(outer[0]))
    assert fields[-1][0] == 0xA3, "the certificate has an extensions field last"
    fields[-1] = tlv(0xA3, tlv(0x30, b"".join(extensions)))
    tbs = tlv(0x30, b"".join(fields))
    signature = issuer_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return tlv(0x30, tbs + outer[1] + tlv(0x03, b"\x00" + signature))


_TRUE = b"\x01\x01\xff"
_BC_LEAF = tlv(0x30, b"")  # BasicConstraints, cA FALSE (the default, left out)
_SAN_LOCALHOST = tlv(0x30, tlv(0x82, b"localhost"))
_EKU_SERVER_CLIENT = tlv(0x30, _oid("1.3.6.1.5.5.7.3.1") + _oid("1.3.6.1.5.5.7.3.2"))

# Extension lists that no parser may accept, each labelled. Every list also
# carries what a leaf needs otherwise (SAN, EKU, BasicConstraints).
BAD_EXTENSIONS: dict[str, list[bytes]] = {
    "duplicated subjectAltName": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
    ],
    "duplicated unknown extension": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
        ext("1.3.6.1.4.1.99999.1", b"\x05\x00"),
        ext("1.3.6.1.4.1.99999.1", b"\x05\x00"),
    ],
    "truncated subjectAltName": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST[:-2]),
    ],
    "subjectAltName not a SEQUENCE": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, tlv(0x04, b"localhost")),
    ],
    "subjectAltName with trailing bytes": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST + b"\x00\x00"),
    ],
    "subjectAltName with an unknown GeneralName tag": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, tlv(0x30, tlv(0x89, b"x"))),
    ],
    "subjectAltName with an x400Address": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, tlv(0x30, tlv(0xA3, tlv(0x30, b"")))),
    ],
    "subjectAltName IP of 5 bytes": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, tlv(0x30, tlv(0x87, b"\x7f\x00\x00\x01\x00"))),
    ],
    "basicConstraints cA not a BOOLEAN": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, tlv(0x30, b"\x02\x01\x01"), _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
    ],
    "critical flag not DER (0x01)": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, b"\x01\x01\x01"),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
    ],
    "keyUsage empty BIT STRING": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.KEY_USAGE, b"\x03\x00", _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
    ],
    "extendedKeyUsage holding an INTEGER": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, tlv(0x30, b"\x02\x01\x01")),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
    ],
    "authorityInfoAccess truncated": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
        ext(ExtensionOID.AUTHORITY_INFORMATION_ACCESS, b"\x30\x05\x30\x03"),
    ],
    "CRL distribution points bad": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
        ext(ExtensionOID.CRL_DISTRIBUTION_POINTS, tlv(0x30, tlv(0x30, tlv(0xA0, b"\x01")))),
    ],
    "extnValue not an OCTET STRING": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        tlv(0x30, _oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string) + _SAN_LOCALHOST),
    ],
    "name constraints malformed": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
        ext(ExtensionOID.NAME_CONSTRAINTS, tlv(0x30, tlv(0xA0, b"\x30\x01")), _TRUE),
    ],
    "certificate policies malformed": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
        ext(ExtensionOID.CERTIFICATE_POLICIES, tlv(0x30, tlv(0x30, b"\x05\x00"))),
    ],
    "subject key identifier not an OCTET STRING": [
        ext(ExtensionOID.BASIC_CONSTRAINTS, _BC_LEAF, _TRUE),
        ext(ExtensionOID.EXTENDED_KEY_USAGE, _EKU_SERVER_CLIENT),
        ext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _SAN_LOCALHOST),
        ext(ExtensionOID.SUBJECT_KEY_IDENTIFIER, b"\x02\x01\x01"),
    ],
}
