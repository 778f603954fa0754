"""Wire registries of TLS 1.3 as IntEnums, values in hex, in RFC order.

Owns: the numbers that appear on the wire (IANA TLS parameters).
Must not: hold any behaviour; code that needs a property of a value (its
hash, its key length) keeps that table beside the code that uses it.
"""

from __future__ import annotations

from enum import IntEnum


class ContentType(IntEnum):
    """RFC 8446 §5.1."""

    change_cipher_spec = 0x14
    alert = 0x15
    handshake = 0x16
    application_data = 0x17


class ProtocolVersion(IntEnum):
    """RFC 8446 §4.2.1 (and the legacy values it still names)."""

    TLSv1_0 = 0x0301
    TLSv1_1 = 0x0302
    TLSv1_2 = 0x0303
    TLSv1_3 = 0x0304


class HandshakeType(IntEnum):
    """RFC 8446 §4."""

    hello_request = 0x00
    client_hello = 0x01
    server_hello = 0x02
    new_session_ticket = 0x04
    end_of_early_data = 0x05
    encrypted_extensions = 0x08
    certificate = 0x0B
    server_key_exchange = 0x0C
    certificate_request = 0x0D
    server_hello_done = 0x0E
    certificate_verify = 0x0F
    client_key_exchange = 0x10
    finished = 0x14
    key_update = 0x18
    message_hash = 0xFE


class ExtensionType(IntEnum):
    """RFC 8446 §4.2 and the registries it points to."""

    server_name = 0x0000
    max_fragment_length = 0x0001
    status_request = 0x0005
    supported_groups = 0x000A
    ec_point_formats = 0x000B
    signature_algorithms = 0x000D
    use_srtp = 0x000E
    heartbeat = 0x000F
    application_layer_protocol_negotiation = 0x0010
    signed_certificate_timestamp = 0x0012
    client_certificate_type = 0x0013
    server_certificate_type = 0x0014
    padding = 0x0015
    encrypt_then_mac = 0x0016
    extended_master_secret = 0x0017
    compress_certificate = 0x001B
    record_size_limit = 0x001C
    session_ticket = 0x0023
    pre_shared_key = 0x0029
    early_data = 0x002A
    supported_versions = 0x002B
    cookie = 0x002C
    psk_key_exchange_modes = 0x002D
    certificate_authorities = 0x002F
    oid_filters = 0x0030
    post_handshake_auth = 0x0031
    signature_algorithms_cert = 0x0032
    key_share = 0x0033
    renegotiation_info = 0xFF01


class CipherSuite(IntEnum):
    """RFC 8446 §B.4; the TLS 1.2 ECDHE AEAD suites of RFC 5289 and RFC 7905."""

    TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009C  # RFC 5288, opt-in
    TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009D  # RFC 5288, opt-in
    TLS_AES_128_GCM_SHA256 = 0x1301
    TLS_AES_256_GCM_SHA384 = 0x1302
    TLS_CHACHA20_POLY1305_SHA256 = 0x1303
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA8
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
    TLS_FALLBACK_SCSV = 0x5600


class NamedGroup(IntEnum):
    """RFC 8446 §4.2.7, RFC 7919, draft-ietf-tls-ecdhe-mlkem."""

    secp256r1 = 0x0017
    secp384r1 = 0x0018
    secp521r1 = 0x0019
    x25519 = 0x001D
    x448 = 0x001E
    ffdhe2048 = 0x0100
    ffdhe3072 = 0x0101
    ffdhe4096 = 0x0102
    ffdhe6144 = 0x0103
    ffdhe8192 = 0x0104
    X25519MLKEM768 = 0x11EC


class SignatureScheme(IntEnum):
    """RFC 8446 §4.2.3."""

    rsa_pkcs1_sha256 = 0x0401
    rsa_pkcs1_sha384 = 0x0501
    rsa_pkcs1_sha512 = 0x0601
    ecdsa_secp256r1_sha256 = 0x0403
    ecdsa_secp384r1_sha384 = 0x0503
    ecdsa_secp521r1_sha512 = 0x0603
    rsa_pss_rsae_sha256 = 0x0804
    rsa_pss_rsae_sha384 = 0x0805
    rsa_pss_rsae_sha512 = 0x0806
    ed25519 = 0x0807
    ed448 = 0x0808
    rsa_pss_pss_sha256 = 0x0809
    rsa_pss_pss_sha384 = 0x080A
    rsa_pss_pss_sha512 = 0x080B
    rsa_pkcs1_sha1 = 0x0201
    ecdsa_sha1 = 0x0203


class PskKeyExchangeMode(IntEnum):
    """RFC 8446 §4.2.9."""

    psk_ke = 0
    psk_dhe_ke = 1


class KeyUpdateRequest(IntEnum):
    """RFC 8446 §4.6.3."""

    update_not_requested = 0
    update_requested = 1


class AlertLevel(IntEnum):
    """RFC 8446 §6."""

    warning = 1
    fatal = 2


def name_of(enum: type[IntEnum], value: int) -> str:
    """The registry name of a value, or its hex form when unknown."""
    try:
        return enum(value).name
    except ValueError:
        return f"0x{value:04x}"
