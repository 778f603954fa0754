"""The ssl module's `_msg_callback` (its message tracing hook) over cytls.

Owns: turning what the protocol core reports (direction, content type,
bytes; see TLSConfig.message_callback) into the ssl module's call
`callback(conn, direction, version, content_type, msg_type, data)`, with its
argument types: TLSVersion, _TLSContentType and _TLSMessageType /
_TLSAlertType members where the value has one (else the int), `data` bytes,
`conn` the SSLObject or SSLSocket; and keeping an exception the callback
raises for the call that triggered it (the ssl module raises it from there).
Must not: parse anything beyond the type bytes it reports, or do I/O.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

__all__ = ["MsgTracer"]

_HEADER = 256
_INNER = 257
_CCS_MESSAGE = 257  # OpenSSL's SSL3_MT_CHANGE_CIPHER_SPEC

_ContentType: Any = getattr(ssl, "_TLSContentType")  # noqa: B009
_AlertType: Any = getattr(ssl, "_TLSAlertType")  # noqa: B009
_MessageType: Any = getattr(ssl, "_TLSMessageType")  # noqa: B009


def _enum(kind: Any, value: int) -> Any:
    try:
        return kind(value)
    except ValueError:
        return value


class MsgTracer:
    """The message callback of one connection.

    Args:
        callback: the user's `_msg_callback`.
        target: returns the object passed as `conn` (the SSLObject or
            SSLSocket) and the negotiated version, or the highest configured
            one before the Hellos.
    """

    __slots__ = ("_callback", "_target", "error")

    def __init__(self, callback: Callable[..., Any], target: Callable[[], tuple[Any, int]]) -> None:
        self._callback = callback
        self._target = target
        self.error: BaseException | None = None

    def __call__(self, direction: str, content_type: int, data: bytes) -> None:
        if content_type == 22 and direction == "write":
            # A flight may hold several messages: one call each.
            pos = 0
            while pos + 4 <= len(data):
                end = pos + 4 + int.from_bytes(data[pos + 1 : pos + 4], "big")
                self._emit(direction, content_type, data[pos:end])
                pos = end
            return
        self._emit(direction, content_type, data)

    def _emit(self, direction: str, content_type: int, data: bytes) -> None:
        conn, version = self._target()
        # _ssl.c's _PySSL_msg_callback: which byte is the "message type".
        if content_type == _HEADER:
            version = int.from_bytes(data[1:3], "big")
            msg_type = data[0]
        elif content_type == 20:
            msg_type = _CCS_MESSAGE
        elif content_type == 21:
            msg_type = data[1] if len(data) > 1 else 0
        else:
            msg_type = data[0] if data else 0
        # ssl.SSLContext._msg_callback's wrapper: the enums, where they apply.
        kind = _ContentType if content_type == _HEADER else _AlertType if content_type == 21 else _MessageType
        args = (
            conn,
            direction,
            _enum(ssl.TLSVersion, version),
            _enum(_ContentType, content_type),
            _enum(kind, msg_type),
            bytes(data),
        )
        try:
            self._callback(*args)
        except BaseException as exc:  # raised by the TLS call that ran this
            if self.error is None:
                self.error = exc

    def raise_error(self) -> None:
        """Re-raise (once) what the callback raised."""
        exc = self.error
        if exc is not None:
            self.error = None
            raise exc
