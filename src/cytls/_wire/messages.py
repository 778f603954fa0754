"""TLS 1.3 (and the shared TLS 1.2 hello) handshake messages and extensions: parse() and serialize().

Owns: the byte layout of every handshake message and extension body of
RFC 8446 §4 (and RFC 8449 record_size_limit, RFC 7301 ALPN, RFC 6066 SNI;
the TLS 1.2 ClientHello and ServerHello share these classes), and the
structural checks that need no connection state: lengths, duplicate
extensions, extensions that may not appear in a given message.
Must not: decide anything that depends on what was offered or negotiated
(that is the state machines' job), or touch keys.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import Reader, vec8, vec16, vec24
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT

__all__ = [
    "HRR_RANDOM",
    "MAX_CLIENT_HELLO",
    "Certificate",
    "CertificateEntry",
    "CertificateRequest",
    "CertificateVerify",
    "ClientHello",
    "EncryptedExtensions",
    "NewSessionTicketMsg",
    "ServerHello",
    "handshake",
    "parse_extensions",
    "serialize_extensions",
    "serialize_new_session_ticket",
]

# RFC 8446 §4.1.3: the ServerHello.random that marks a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
# RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random of a TLS 1.3
# server negotiating TLS 1.2 (DOWNGRD\x01) or below (DOWNGRD\x00).
DOWNGRADE_TLS12 = b"DOWNGRD\x01"
DOWNGRADE_TLS11 = b"DOWNGRD\x00"
# The longest ClientHello body any client may send (RFC 8446 §4.1.2, RFC
# 5246 §7.4.1.2), every field at its limit: legacy_version (2), random (32),
# legacy_session_id (1 + 32), cipher_suites (2 + 65534), compression
# methods (counted as 2 + 256: two bytes more than the 1 + 255 the vector
# can take, so this bounds it from above) and extensions (2 + 65535):
# 131398 bytes; the exact maximum is 131396 (OpenSSL's limit).
MAX_CLIENT_HELLO = 2 + 32 + 33 + 2 + 65534 + 2 + 256 + 2 + 65535

# Pseudo message types for the HelloRetryRequest and the TLS 1.2
# ServerHello (no supported_versions) in the table below.
_HRR = 0x102
SH12 = 0x202

CH, SH, EE, CT, CR, NST = (
    HT.client_hello,
    HT.server_hello,
    HT.encrypted_extensions,
    HT.certificate,
    HT.certificate_request,
    HT.new_session_ticket,
)

# RFC 8446 §4.2: the messages in which each known extension may appear
# (plus RFC 8449 record_size_limit, RFC 8879 compress_certificate, and the
# TLS 1.2 extensions a ClientHello may carry). A known extension anywhere
# else is an illegal_parameter.
ALLOWED: dict[int, frozenset[int]] = {
    Ext.server_name: frozenset({CH, EE, SH12}),
    Ext.max_fragment_length: frozenset({CH, EE, SH12}),
    Ext.status_request: frozenset({CH, CR, CT, SH12}),
    Ext.supported_groups: frozenset({CH, EE}),
    Ext.signature_algorithms: frozenset({CH, CR}),
    Ext.use_srtp: frozenset({CH, EE, SH12}),
    Ext.heartbeat: frozenset({CH, EE, SH12}),
    Ext.application_layer_protocol_negotiation: frozenset({CH, EE, SH12}),
    Ext.signed_certificate_timestamp: frozenset({CH, CR, CT, SH12}),
    Ext.client_certificate_type: frozenset({CH, EE, SH12}),
    Ext.server_certificate_type: frozenset({CH, EE, SH12}),
    Ext.padding: frozenset({CH}),
    Ext.key_share: frozenset({CH, SH, _HRR}),
    Ext.pre_shared_key: frozenset({CH, SH}),
    Ext.psk_key_exchange_modes: frozenset({CH}),
    Ext.early_data: frozenset({CH, EE, NST}),
    Ext.cookie: frozenset({CH, _HRR}),
    Ext.supported_versions: frozenset({CH, SH, _HRR}),
    Ext.certificate_authorities: frozenset({CH, CR}),
    Ext.oid_filters: frozenset({CR}),
    Ext.post_handshake_auth: frozenset({CH}),
    Ext.signature_algorithms_cert: frozenset({CH, CR}),
    Ext.record_size_limit: frozenset({CH, EE, SH12}),
    Ext.compress_certificate: frozenset({CH, CR}),
    Ext.ec_point_formats: frozenset({CH, SH12}),
    Ext.extended_master_secret: frozenset({CH, SH12}),
    Ext.encrypt_then_mac: frozenset({CH, SH12}),
    Ext.session_ticket: frozenset({CH, SH12}),
    Ext.renegotiation_info: frozenset({CH, SH12}),
}


def _err(desc: int, text: str) -> TLSAlert:
    return TLSAlert(desc, text)


def parse_extensions(r: Reader, msg_type: int | None) -> dict[int, bytes]:
    """Read an extensions block: a u16-length vector of (type, vec16 data).

    Args:
        r: positioned at the block's length; it must be the last field.
        msg_type: the HandshakeType (or a pseudo-type) carrying it; None
            to defer the per-message check to check_allowed().

    Returns:
        {extension type: body}, in wire order (dicts keep insertion order).

    Raises:
        TLSAlert: decode_error for bad lengths; illegal_parameter for a
            duplicate extension (RFC 8446 §4.2) or a known extension that
            this message may not carry.
    """
    block = r.vec16()
    exts: dict[int, bytes] = {}
    # Reader's checks, inlined: a ClientHello has a dozen extensions, and
    # three method calls for each were a good part of a server's parsing.
    pos = 0
    end = len(block)
    while pos < end:
        start = pos + 4
        if start > end:
            raise _err(AD.decode_error, f"{r.what} is truncated")
        etype = (block[pos] << 8) | block[pos + 1]
        pos = start + ((block[pos + 2] << 8) | block[pos + 3])
        if pos > end:
            raise _err(AD.decode_error, f"{r.what} is truncated")
        if etype in exts:
            raise _err(AD.illegal_parameter, f"duplicate extension 0x{etype:04x}")
        exts[etype] = block[start:pos]
    if msg_type is not None:
        check_allowed(exts, msg_type)
    return exts


def check_allowed(exts: dict[int, bytes], msg_type: int) -> None:
    """A known extension in a message that may not carry it is
    illegal_parameter (RFC 8446 §4.2)."""
    for etype in exts:
        allowed = ALLOWED.get(etype)
        if allowed is not None and msg_type not in allowed:
            raise _err(
                AD.illegal_parameter,
                f"extension 0x{etype:04x} is not allowed in handshake message {msg_type}",
            )


def serialize_extensions(exts: list[tuple[int, bytes]]) -> bytes:
    if not exts:
        return b"\x00\x00"
    parts: list[bytes] = []
    for t, b in exts:
        if len(b) > 0xFFFF:
            raise ValueError("extension too long for a 2-byte length")
        parts += (t.to_bytes(2, "big"), len(b).to_bytes(2, "big"), b)
    return vec16(b"".join(parts))


def handshake(msg_type: int, body: bytes) -> bytes:
    """Frame a handshake message: type, u24 length, body (RFC 8446 §4)."""
    return bytes((msg_type,)) + len(body).to_bytes(3, "big") + body


# ---------------------------------------------------------------- ClientHello


@dataclass(slots=True)
class ClientHello:
    """RFC 8446 §4.1.2."""

    random: bytes
    session_id: bytes
    cipher_suites: list[int]
    extensions: dict[int, bytes]
    legacy_version: int = 0x0303
    compression_methods: bytes = b"\x00"

    @classmethod
    def parse(cls, body: bytes) -> ClientHello:
        r = Reader(body, "ClientHello")
        legacy_version = r.u16()
        random = r.raw(32)
        session_id = r.vec8()
        if len(session_id) > 32:
            raise _err(AD.decode_error, "ClientHello legacy_session_id longer than 32 bytes")
        suites = r.u16_list(2, minimum=2)
        compression = r.vec8(minimum=1)
        if r.at_end():
            exts: dict[int, bytes] = {}
        else:
            exts = parse_extensions(r, CH)
        r.expect_end()
        if Ext.pre_shared_key in exts and next(reversed(exts)) != Ext.pre_shared_key:
            # RFC 8446 §4.2.11
            raise _err(AD.illegal_parameter, "pre_shared_key is not the last extension")
        return cls(random, session_id, suites, exts, legacy_version, compression)

    def serialize(self) -> bytes:
        body = (
            self.legacy_version.to_bytes(2, "big")
            + self.random
            + vec8(self.session_id)
            + vec16(b"".join(s.to_bytes(2, "big") for s in self.cipher_suites))
            + vec8(self.compression_methods)
            + serialize_extensions(list(self.extensions.items()))
        )
        return handshake(HT.client_hello, body)


# ---------------------------------------------------------------- ServerHello


@dataclass(slots=True)
class ServerHello:
    """RFC 8446 §4.1.3 (and HelloRetryRequest, §4.1.4, when is_hrr)."""

    random: bytes
    session_id: bytes
    cipher_suite: int
    extensions: dict[int, bytes]
    legacy_version: int = 0x0303
    compression: int = 0

    @property
    def is_hrr(self) -> bool:
        return self.random == HRR_RANDOM

    @classmethod
    def parse(cls, body: bytes) -> ServerHello:
        r = Reader(body, "ServerHello")
        legacy_version = r.u16()
        random = r.raw(32)
        session_id = r.vec8()
        if len(session_id) > 32:
            raise _err(AD.decode_error, "ServerHello legacy_session_id longer than 32 bytes")
        suite = r.u16()
        compression = r.u8()
        if r.at_end():
            exts: dict[int, bytes] = {}
        else:
            exts = parse_extensions(r, None)
        r.expect_end()
        # Which extensions are allowed depends on the version: without
        # supported_versions this is a TLS 1.2 ServerHello (RFC 8446 §4.1.3).
        if random == HRR_RANDOM:
            check_allowed(exts, _HRR)
        elif Ext.supported_versions in exts:
            check_allowed(exts, SH)
        else:
            check_allowed(exts, SH12)
        return cls(random, session_id, suite, exts, legacy_version, compression)

    def serialize(self) -> bytes:
        body = (
            self.legacy_version.to_bytes(2, "big")
            + self.random
            + vec8(self.session_id)
            + self.cipher_suite.to_bytes(2, "big")
            + bytes((self.compression,))
            + serialize_extensions(list(self.extensions.items()))
        )
        return handshake(HT.server_hello, body)


# -------------------------------------------------------- EncryptedExtensions


@dataclass(slots=True)
class EncryptedExtensions:
    """RFC 8446 §4.3.1."""

    extensions: dict[int, bytes]

    @classmethod
    def parse(cls, body: bytes) -> EncryptedExtensions:
        r = Reader(body, "EncryptedExtensions")
        exts = parse_extensions(r, EE)
        r.expect_end()
        return cls(exts)

    def serialize(self) -> bytes:
        return handshake(
            HT.encrypted_extensions, serialize_extensions(list(self.extensions.items()))
        )


# --------------------------------------------------------- CertificateRequest


@dataclass(slots=True)
class CertificateRequest:
    """RFC 8446 §4.3.2."""

    context: bytes
    extensions: dict[int, bytes]

    @classmethod
    def parse(cls, body: bytes) -> CertificateRequest:
        r = Reader(body, "CertificateRequest")
        context = r.vec8()
        exts = parse_extensions(r, CR)
        r.expect_end()
        if Ext.signature_algorithms not in exts:
            raise _err(AD.missing_extension, "CertificateRequest without signature_algorithms")
        return cls(context, exts)

    def serialize(self) -> bytes:
        return handshake(
            HT.certificate_request,
            vec8(self.context) + serialize_extensions(list(self.extensions.items())),
        )


# ---------------------------------------------------------------- Certificate


@dataclass(slots=True)
class CertificateEntry:
    cert_data: bytes
    extensions: dict[int, bytes] = field(default_factory=dict)


@dataclass(slots=True)
class Certificate:
    """RFC 8446 §4.4.2 (X.509 entries only)."""

    context: bytes
    entries: list[CertificateEntry]

    @classmethod
    def parse(cls, body: bytes) -> Certificate:
        r = Reader(body, "Certificate")
        context = r.vec8()
        lst = r.sub24()
        entries = []
        while not lst.at_end():
            data = lst.vec24(minimum=1)
            exts = parse_extensions(lst, CT)
            entries.append(CertificateEntry(data, exts))
        r.expect_end()
        return cls(context, entries)

    def serialize(self) -> bytes:
        return handshake(
            HT.certificate, self.serialize_body(self.context, [e.cert_data for e in self.entries])
        )

    @staticmethod
    def serialize_body(context: bytes, ders: list[bytes]) -> bytes:
        return vec8(context) + vec24(b"".join(vec24(d) + b"\x00\x00" for d in ders))


# ---------------------------------------------------------- CertificateVerify


@dataclass(slots=True)
class CertificateVerify:
    """RFC 8446 §4.4.3."""

    scheme: int
    signature: bytes

    @classmethod
    def parse(cls, body: bytes) -> CertificateVerify:
        r = Reader(body, "CertificateVerify")
        scheme = r.u16()
        # signature<0..2^16-1>: an empty one is well formed and fails
        # verification (decrypt_error), it is not a decode_error.
        sig = r.vec16()
        r.expect_end()
        return cls(scheme, sig)

    def serialize(self) -> bytes:
        return handshake(
            HT.certificate_verify, self.scheme.to_bytes(2, "big") + vec16(self.signature)
        )


# ----------------------------------------------------------- NewSessionTicket


@dataclass(slots=True)
class NewSessionTicketMsg:
    """RFC 8446 §4.6.1."""

    lifetime: int
    age_add: int
    nonce: bytes
    ticket: bytes
    extensions: dict[int, bytes]

    @classmethod
    def parse(cls, body: bytes) -> NewSessionTicketMsg:
        r = Reader(body, "NewSessionTicket")
        lifetime = r.u32()
        age_add = r.u32()
        nonce = r.vec8()
        ticket = r.vec16(minimum=1)
        exts = parse_extensions(r, NST)
        r.expect_end()
        if lifetime > 604800:
            # RFC 8446 §4.6.1: at most seven days.
            raise _err(AD.illegal_parameter, "ticket lifetime above seven days")
        return cls(lifetime, age_add, nonce, ticket, exts)

    def serialize(self) -> bytes:
        return serialize_new_session_ticket(
            self.lifetime,
            self.age_add,
            self.nonce,
            self.ticket,
            serialize_extensions(list(self.extensions.items())),
        )


_NST_HEAD = struct.Struct(">II")


def serialize_new_session_ticket(
    lifetime: int, age_add: int, nonce: bytes, ticket: bytes, extensions: bytes
) -> bytes:
    """The framed NewSessionTicket message (RFC 8446 §4.6.1), given its
    extensions block already serialized (serialize_extensions): a server's
    tickets of one connection share it."""
    body = b"".join((_NST_HEAD.pack(lifetime, age_add), vec8(nonce), vec16(ticket), extensions))
    return handshake(HT.new_session_ticket, body)


def parse_key_update(body: bytes) -> bool:
    """RFC 8446 §4.6.3: returns update_requested."""
    if len(body) != 1:
        raise _err(AD.decode_error, "KeyUpdate must be one byte")
    if body[0] > 1:
        raise _err(AD.illegal_parameter, "KeyUpdate request_update must be 0 or 1")
    return body[0] == 1


# ----------------------------------------------------------- extension bodies


def ext_reader(body: bytes, name: str) -> Reader:
    return Reader(body, name)


def parse_server_name(body: bytes) -> str | None:
    """RFC 6066 §3: returns the host_name, or None for an empty list body."""
    n = len(body)
    # One host_name that fills the list (what clients send): read in one
    # step; anything else, and any name the Reader would refuse, goes to it.
    if (
        n > 5
        and body[2] == 0
        and (body[0] << 8 | body[1]) == n - 2
        and (body[3] << 8 | body[4]) == n - 5
    ):
        name = bytes(body[5:])
        if name.isascii() and not name.endswith(b".") and b"\x00" not in name:
            return name.decode("ascii")
    return _read_server_name(body)


def _read_server_name(body: bytes) -> str | None:
    r = Reader(body, "server_name")
    names = r.sub16(minimum=1)
    r.expect_end()
    host: str | None = None
    while not names.at_end():
        ntype = names.u8()
        name = names.vec16(minimum=1)
        if ntype == 0:
            if host is not None:
                raise _err(AD.illegal_parameter, "two host names in server_name")
            try:
                host = name.decode("ascii")
            except UnicodeDecodeError:
                raise _err(AD.decode_error, "server_name is not ASCII") from None
            if host.endswith(".") or "\x00" in host:
                raise _err(AD.illegal_parameter, "malformed server_name")
    return host


def serialize_server_name(host: str) -> bytes:
    name = host.encode("idna") if not host.isascii() else host.encode("ascii")
    return vec16(b"\x00" + vec16(name))


# The parsers below take a well-formed body in one expression and leave
# anything else to their _read_ twin, whose Reader names the exact error:
# the fast test accepts only what the Reader would accept, with the same
# result (tests/unit/test_extension_parsers.py compares the two).


def parse_u16_list(body: bytes, name: str) -> list[int]:
    n = len(body)
    if n >= 4 and not n & 1 and (body[0] << 8) | body[1] == n - 2:
        return [(body[i] << 8) | body[i + 1] for i in range(2, n, 2)]
    return _read_u16_list(body, name)


def _read_u16_list(body: bytes, name: str) -> list[int]:
    r = Reader(body, name)
    values = r.u16_list(2, minimum=2)
    r.expect_end()
    return values


def serialize_u16_list(values: list[int] | tuple[int, ...]) -> bytes:
    return vec16(b"".join(v.to_bytes(2, "big") for v in values))


def parse_client_key_shares(body: bytes) -> list[tuple[int, bytes]]:
    """RFC 8446 §4.2.8 KeyShareClientHello; a group twice is illegal_parameter."""
    n = len(body)
    if n >= 6 and (body[0] << 8) | body[1] == n - 2:
        # The usual offer: exactly one share, filling the list.
        size = (body[4] << 8) | body[5]
        if size and size == n - 6:
            return [((body[2] << 8) | body[3], body[6:])]
    return _read_client_key_shares(body)


def _read_client_key_shares(body: bytes) -> list[tuple[int, bytes]]:
    r = Reader(body, "key_share")
    lst = r.sub16()
    r.expect_end()
    shares: list[tuple[int, bytes]] = []
    seen: set[int] = set()
    while not lst.at_end():
        group = lst.u16()
        key = lst.vec16(minimum=1)
        if group in seen:
            raise _err(AD.illegal_parameter, f"two key shares for group 0x{group:04x}")
        seen.add(group)
        shares.append((group, key))
    return shares


def serialize_client_key_shares(shares: list[tuple[int, bytes]]) -> bytes:
    return vec16(b"".join(g.to_bytes(2, "big") + vec16(k) for g, k in shares))


def parse_server_key_share(body: bytes) -> tuple[int, bytes]:
    n = len(body)
    if n >= 5 and (body[2] << 8) | body[3] == n - 4:
        return (body[0] << 8) | body[1], body[4:]
    return _read_server_key_share(body)


def _read_server_key_share(body: bytes) -> tuple[int, bytes]:
    r = Reader(body, "key_share")
    group = r.u16()
    key = r.vec16(minimum=1)
    r.expect_end()
    return group, key


def serialize_server_key_share(group: int, key: bytes) -> bytes:
    return group.to_bytes(2, "big") + vec16(key)


def parse_hrr_key_share(body: bytes) -> int:
    r = Reader(body, "key_share")
    group = r.u16()
    r.expect_end()
    return group


def parse_client_versions(body: bytes) -> list[int]:
    n = len(body)
    if n >= 3 and n & 1 and body[0] == n - 1:
        return [(body[i] << 8) | body[i + 1] for i in range(1, n, 2)]
    return _read_client_versions(body)


def _read_client_versions(body: bytes) -> list[int]:
    r = Reader(body, "supported_versions")
    versions = r.u16_list(1, minimum=2)
    r.expect_end()
    return versions


def serialize_client_versions(versions: list[int]) -> bytes:
    return vec8(b"".join(v.to_bytes(2, "big") for v in versions))


def parse_server_version(body: bytes) -> int:
    if len(body) == 2:
        return (body[0] << 8) | body[1]
    return _read_server_version(body)


def _read_server_version(body: bytes) -> int:
    r = Reader(body, "supported_versions")
    v = r.u16()
    r.expect_end()
    return v


def parse_cookie(body: bytes) -> bytes:
    r = Reader(body, "cookie")
    c = r.vec16(minimum=1)
    r.expect_end()
    return c


def parse_alpn(body: bytes) -> list[bytes]:
    """RFC 7301 §3.1: ProtocolNameList, each name non-empty."""
    r = Reader(body, "application_layer_protocol_negotiation")
    lst = r.sub16(minimum=2)
    r.expect_end()
    names = []
    while not lst.at_end():
        names.append(lst.vec8(minimum=1))
    return names


def serialize_alpn(names: list[bytes]) -> bytes:
    return vec16(b"".join(vec8(n) for n in names))


def parse_psk_modes(body: bytes) -> bytes:
    n = len(body)
    if n >= 2 and body[0] == n - 1:
        return body[1:]
    return _read_psk_modes(body)


def _read_psk_modes(body: bytes) -> bytes:
    r = Reader(body, "psk_key_exchange_modes")
    modes = r.vec8(minimum=1)
    r.expect_end()
    return modes


def parse_record_size_limit(body: bytes) -> int:
    """RFC 8449 §4: a value below 64 is illegal_parameter."""
    if len(body) == 2 and (body[0] << 8) | body[1] >= 64:
        return (body[0] << 8) | body[1]
    return _read_record_size_limit(body)


def _read_record_size_limit(body: bytes) -> int:
    r = Reader(body, "record_size_limit")
    v = r.u16()
    r.expect_end()
    if v < 64:
        raise _err(AD.illegal_parameter, "record_size_limit below 64")
    return v


def parse_certificate_authorities(body: bytes) -> list[bytes]:
    r = Reader(body, "certificate_authorities")
    lst = r.sub16(minimum=3)
    r.expect_end()
    names = []
    while not lst.at_end():
        names.append(lst.vec16(minimum=1))
    return names


def serialize_certificate_authorities(names: list[bytes]) -> bytes:
    return vec16(b"".join(vec16(n) for n in names))


def parse_early_data_nst(body: bytes) -> int:
    r = Reader(body, "early_data")
    v = r.u32()
    r.expect_end()
    return v


def check_empty(body: bytes, name: str) -> None:
    if body:
        raise _err(AD.decode_error, f"{name} extension must be empty here")
