"""Alert-carrying exceptions, as subclasses of the ssl module's own.

Owns: the mapping from a TLS alert to the ssl exception a caller sees.
Must not: know about sockets, states or records; it only describes failures.

Every fatal protocol failure is a TLSAlert: it names the alert to send (or
the one received) and is an ssl.SSLError, so `except ssl.SSLError` code
written for the ssl module keeps working.
"""

from __future__ import annotations

import ssl
from enum import IntEnum


class AlertDescription(IntEnum):
    """TLS alert descriptions, RFC 8446 §6 and RFC 5246 §7.2."""

    close_notify = 0x00
    unexpected_message = 0x0A
    bad_record_mac = 0x14
    record_overflow = 0x16
    handshake_failure = 0x28
    bad_certificate = 0x2A
    unsupported_certificate = 0x2B
    certificate_revoked = 0x2C
    certificate_expired = 0x2D
    certificate_unknown = 0x2E
    illegal_parameter = 0x2F
    unknown_ca = 0x30
    access_denied = 0x31
    decode_error = 0x32
    decrypt_error = 0x33
    protocol_version = 0x46
    insufficient_security = 0x47
    internal_error = 0x50
    inappropriate_fallback = 0x56
    user_canceled = 0x5A
    no_renegotiation = 0x64
    missing_extension = 0x6D
    unsupported_extension = 0x6E
    unrecognized_name = 0x70
    bad_certificate_status_response = 0x71
    unknown_psk_identity = 0x73
    certificate_required = 0x74
    no_application_protocol = 0x78


def alert_name(description: int) -> str:
    """The RFC name of an alert, or its number when unknown."""
    try:
        return AlertDescription(description).name
    except ValueError:
        return f"alert_{description}"


class TLSAlert(ssl.SSLError):
    """A fatal TLS failure: the alert we send, or the one the peer sent.

    Attributes:
        description: the AlertDescription value.
        received: True when the peer sent the alert, False when we send it.
        reason: the OpenSSL-style reason string, e.g. "BAD_RECORD_MAC" or
            "TLSV1_ALERT_DECODE_ERROR" for a received alert.
        library: "SSL", as the ssl module reports protocol errors.
    """

    def __init__(
        self,
        description: int,
        message: str = "",
        *,
        received: bool = False,
        reason: str | None = None,
    ) -> None:
        self.description = int(description)
        self.received = received
        name = alert_name(self.description)
        if received:
            reason = reason or f"TLSV1_ALERT_{name.upper()}"
            text = message or f"peer sent alert {name}"
        else:
            reason = reason or name.upper()
            text = message or name.replace("_", " ")
        super().__init__(1, f"[SSL: {reason}] {text}")
        self.reason = reason
        self.library = "SSL"


def alert(description: AlertDescription | int, message: str = "") -> TLSAlert:
    """Build the exception for an alert this side sends."""
    return TLSAlert(description, message)


class CertificateVerifyFailed(TLSAlert, ssl.SSLCertVerificationError):
    """The peer's certificate chain or name did not verify.

    Carries the alert we send and the OpenSSL-style verify code and
    message, like the ssl module's SSLCertVerificationError.

    Attributes:
        verify_code: the X509_V_ERR number (10 expired, 20 unknown issuer...).
        verify_message: its text ("certificate has expired", ...).
    """

    def __init__(self, description: int, verify_code: int, verify_message: str) -> None:
        TLSAlert.__init__(self, description, f"certificate verify failed: {verify_message}")
        self.reason = "CERTIFICATE_VERIFY_FAILED"
        text = f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {verify_message}"
        self.args = (1, text)
        self.strerror = text
        self.verify_code = verify_code
        self.verify_message = verify_message
