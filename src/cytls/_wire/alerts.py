"""Alert-carrying exceptions, as subclasses of the ssl module's own.

Owns: the mapping from a TLS alert to the ssl exception a caller sees.
Must not: know about sockets, states or records; it only describes failures.

Every fatal protocol failure is a TLSAlert: it names the alert to send (or
the one received) and is an ssl.SSLError, so `except ssl.SSLError` code
written for the ssl module keeps working.
"""

from __future__ import annotations

import _ssl
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


# OpenSSL's reason for an alert the peer sent (SSL_AD_REASON_OFFSET + the
# alert number): SSLV3_ALERT_* for the alerts SSLv3 defined, TLSV1_ALERT_*,
# TLSV1_* or TLSV13_ALERT_* for later ones. Its text is the name in lower
# case with spaces ("tlsv1 alert unknown ca").
_RECEIVED_REASONS = {
    10: "SSLV3_ALERT_UNEXPECTED_MESSAGE",
    20: "SSLV3_ALERT_BAD_RECORD_MAC",
    21: "TLSV1_ALERT_DECRYPTION_FAILED",
    22: "TLSV1_ALERT_RECORD_OVERFLOW",
    30: "SSLV3_ALERT_DECOMPRESSION_FAILURE",
    40: "SSLV3_ALERT_HANDSHAKE_FAILURE",
    41: "SSLV3_ALERT_NO_CERTIFICATE",
    42: "SSLV3_ALERT_BAD_CERTIFICATE",
    43: "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
    44: "SSLV3_ALERT_CERTIFICATE_REVOKED",
    45: "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    46: "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    47: "SSLV3_ALERT_ILLEGAL_PARAMETER",
    48: "TLSV1_ALERT_UNKNOWN_CA",
    49: "TLSV1_ALERT_ACCESS_DENIED",
    50: "TLSV1_ALERT_DECODE_ERROR",
    51: "TLSV1_ALERT_DECRYPT_ERROR",
    60: "TLSV1_ALERT_EXPORT_RESTRICTION",
    70: "TLSV1_ALERT_PROTOCOL_VERSION",
    71: "TLSV1_ALERT_INSUFFICIENT_SECURITY",
    80: "TLSV1_ALERT_INTERNAL_ERROR",
    86: "TLSV1_ALERT_INAPPROPRIATE_FALLBACK",
    90: "TLSV1_ALERT_USER_CANCELLED",
    100: "TLSV1_ALERT_NO_RENEGOTIATION",
    109: "TLSV13_ALERT_MISSING_EXTENSION",
    110: "TLSV1_UNSUPPORTED_EXTENSION",
    111: "TLSV1_CERTIFICATE_UNOBTAINABLE",
    112: "TLSV1_UNRECOGNIZED_NAME",
    113: "TLSV1_BAD_CERTIFICATE_STATUS_RESPONSE",
    114: "TLSV1_BAD_CERTIFICATE_HASH_VALUE",
    115: "TLSV1_ALERT_UNKNOWN_PSK_IDENTITY",
    116: "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    120: "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
}


# The OpenSSL reason names this Python's ssl module knows (_ssl_data.h),
# when it exposes them (3.11 does, 3.12+ do not): its table lags OpenSSL's,
# and for a code it has no name for it reports reason None and "[SSL] text".
# 3.12 and 3.13 no longer expose the table; of the alert reasons, theirs
# lacks this one.
_names = getattr(_ssl, "err_codes_to_names", None)
_PYTHON_REASONS: frozenset[str] | None = (
    frozenset(_names.values()) if isinstance(_names, dict) else None
)
_UNNAMED = frozenset({"TLSV1_ALERT_UNKNOWN_PSK_IDENTITY"})
del _names


def received_reason(description: int) -> tuple[str | None, str]:
    """OpenSSL's (reason, text) for an alert the peer sent, as the ssl
    module of this Python reports it (reason None when it has no name)."""
    reason = _RECEIVED_REASONS.get(description)
    if reason is None:
        return None, f"tlsv1 alert {alert_name(description).replace('_', ' ')}"
    text = reason.lower().replace("_", " ")
    if _PYTHON_REASONS is not None:
        known = reason in _PYTHON_REASONS
    else:
        known = reason not in _UNNAMED
    return (reason if known else None), text


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
            known, text = received_reason(self.description)
            reason = reason or known
            text = message or text
        else:
            reason = reason or name.upper()
            text = message or name.replace("_", " ")
        # As _ssl.c formats it: "[SSL: REASON] text", or "[SSL] text" for a
        # reason this Python's ssl module has no name for.
        super().__init__(1, f"[SSL: {reason}] {text}" if reason else f"[SSL] {text}")
        self.reason = reason  # type: ignore[assignment]
        self.library = "SSL"


def api_error(text: str, errno: int | None = None) -> ssl.SSLError:
    """An ssl.SSLError for a call the state does not allow (not a protocol
    failure), carrying `library` and `reason` as None, as the ssl module's
    own Python-level SSLErrors are read (getattr(exc, "reason", None))."""
    err = ssl.SSLError(text) if errno is None else ssl.SSLError(errno, text)
    err.library = None  # type: ignore[assignment]
    err.reason = None  # type: ignore[assignment]
    return err


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
