"""The `ssl` exceptions the adapters raise themselves, built as `_ssl` builds them.

Owns: SSLWantReadError / SSLWantWriteError / SSLEOFError with the ssl
module's arguments, `library` and `reason`, and `[SSL: REASON] text` errors.
Must not: map protocol alerts (the wire layer's TLSAlert does that).
"""

from __future__ import annotations

import ssl

__all__ = [
    "eof_error",
    "ssl_error",
    "want_read_error",
    "want_write_error",
    "zero_return_error",
]


def want_read_error() -> ssl.SSLWantReadError:
    """What the ssl module raises when a call needs more incoming bytes."""
    err = ssl.SSLWantReadError(ssl.SSL_ERROR_WANT_READ, "The operation did not complete (read)")
    err.library = None  # type: ignore[assignment]
    err.reason = None  # type: ignore[assignment]
    return err


def want_write_error() -> ssl.SSLWantWriteError:
    """What the ssl module raises when a non-blocking socket cannot take more."""
    err = ssl.SSLWantWriteError(ssl.SSL_ERROR_WANT_WRITE, "The operation did not complete (write)")
    err.library = None  # type: ignore[assignment]
    err.reason = None  # type: ignore[assignment]
    return err


def eof_error() -> ssl.SSLEOFError:
    """The transport ended without a close_notify (a truncation attack or a crash)."""
    err = ssl.SSLEOFError(
        ssl.SSL_ERROR_EOF,
        "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol",
    )
    err.library = "SSL"
    err.reason = "UNEXPECTED_EOF_WHILE_READING"
    return err


def zero_return_error() -> ssl.SSLZeroReturnError:
    """A read after close_notify went both ways: OpenSSL's SSL_ERROR_ZERO_RETURN
    once this side's shutdown was sent too (the ssl module returns b"" only
    while the peer's close_notify is the only one)."""
    err = ssl.SSLZeroReturnError(
        ssl.SSL_ERROR_ZERO_RETURN, "TLS/SSL connection has been closed (EOF)"
    )
    err.library = None  # type: ignore[assignment]
    err.reason = None  # type: ignore[assignment]
    return err


def ssl_error(reason: str, text: str) -> ssl.SSLError:
    err = ssl.SSLError(1, f"[SSL: {reason}] {text}")
    err.library = "SSL"
    err.reason = reason
    return err
