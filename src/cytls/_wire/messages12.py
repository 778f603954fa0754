"""TLS 1.2 handshake messages: parse() and serialize().

Owns: the byte layout of the TLS 1.2 messages of RFC 5246 §7.4 and RFC 8422
§5 that TLS 1.3 does not share (Certificate, ServerKeyExchange,
CertificateRequest, ClientKeyExchange) and the TLS 1.2-only extension
bodies (ec_point_formats, renegotiation_info), with the structural checks
that need no connection state.
Must not: decide anything that depends on what was offered or negotiated
(that is the state machines' job), or touch keys; the hellos and the
extensions both versions share are messages.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import Reader, vec8, vec16, vec24
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.messages import handshake, serialize_u16_list

__all__ = [
    "CERT_TYPE_ECDSA_SIGN",
    "CERT_TYPE_RSA_SIGN",
    "NAMED_CURVE",
    "CertificateRequest12",
    "ServerKeyExchange12",
    "parse_certificate12",
    "parse_client_key_exchange12",
    "parse_ec_point_formats",
    "parse_renegotiation_info",
    "serialize_certificate12",
]


# RFC 8422 §5.4: ECParameters.curve_type named_curve.
NAMED_CURVE = 3
# RFC 5246 §7.4.4 ClientCertificateType: rsa_sign, ecdsa_sign (RFC 8422 §5.5).
CERT_TYPE_RSA_SIGN = 1
CERT_TYPE_ECDSA_SIGN = 64


def parse_certificate12(body: bytes) -> list[bytes]:
    """RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>."""
    r = Reader(body, "Certificate")
    lst = r.sub24()
    r.expect_end()
    ders = []
    while not lst.at_end():
        ders.append(lst.vec24(minimum=1))
    return ders


def serialize_certificate12(ders: list[bytes]) -> bytes:
    return handshake(HT.certificate, vec24(b"".join(vec24(d) for d in ders)))


@dataclass(slots=True)
class ServerKeyExchange12:
    """RFC 8422 §5.4: ServerECDHParams and its signature (TLS 1.2 form:
    SignatureAndHashAlgorithm, then the signature)."""

    group: int
    point: bytes
    scheme: int
    signature: bytes

    @property
    def params(self) -> bytes:
        """The signed ServerECDHParams bytes."""
        return bytes((NAMED_CURVE,)) + self.group.to_bytes(2, "big") + vec8(self.point)

    @classmethod
    def parse(cls, body: bytes) -> ServerKeyExchange12:
        r = Reader(body, "ServerKeyExchange")
        curve_type = r.u8()
        if curve_type != NAMED_CURVE:
            raise TLSAlert(AD.illegal_parameter, "ServerKeyExchange curve_type is not named_curve")
        group = r.u16()
        point = r.vec8(minimum=1)
        scheme = r.u16()
        sig = r.vec16()  # <0..2^16-1>: empty fails verification
        r.expect_end()
        return cls(group, point, scheme, sig)

    def serialize(self) -> bytes:
        return handshake(
            HT.server_key_exchange,
            self.params + self.scheme.to_bytes(2, "big") + vec16(self.signature),
        )


@dataclass(slots=True)
class CertificateRequest12:
    """RFC 5246 §7.4.4."""

    certificate_types: bytes
    schemes: list[int]
    authorities: list[bytes]

    @classmethod
    def parse(cls, body: bytes) -> CertificateRequest12:
        r = Reader(body, "CertificateRequest")
        types = r.vec8(minimum=1)
        schemes = r.u16_list(2, minimum=2)
        names_r = r.sub16()
        r.expect_end()
        names = []
        while not names_r.at_end():
            names.append(names_r.vec16(minimum=1))
        return cls(types, schemes, names)

    def serialize(self) -> bytes:
        return handshake(
            HT.certificate_request,
            vec8(self.certificate_types)
            + serialize_u16_list(self.schemes)
            + vec16(b"".join(vec16(n) for n in self.authorities)),
        )


def parse_client_key_exchange12(body: bytes) -> bytes:
    """RFC 8422 §5.7: ClientECDiffieHellmanPublic, the client's point."""
    r = Reader(body, "ClientKeyExchange")
    point = r.vec8(minimum=1)
    r.expect_end()
    return point


def parse_ec_point_formats(body: bytes) -> bytes:
    """RFC 8422 §5.1.2: a non-empty list of formats."""
    r = Reader(body, "ec_point_formats")
    formats = r.vec8(minimum=1)
    r.expect_end()
    return formats


def parse_renegotiation_info(body: bytes) -> bytes:
    """RFC 5746 §3.2: renegotiated_connection<0..255>."""
    r = Reader(body, "renegotiation_info")
    value = r.vec8()
    r.expect_end()
    return value
