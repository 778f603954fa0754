"""A TLS connection's session and 0-RTT data, as the application sees them.

Owns: `SessionAccess`, the `session` / `session_reused` attributes of
`_ssl._SSLSocket` (with the ssl module's errors), and cytls's 0-RTT calls
(set_early_data, read_early_data, early_data_status), which the ssl module
lacks.
Must not: make or read tickets (the handshake layer does) or drive the
handshake (tlsobject.py does).
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from cytls._ssl.sessions import SSLSession

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from cytls._connection import Connection

__all__ = ["SessionAccess"]


class SessionAccess:
    """Mixin of TLSObject: the client's session and both sides' early data."""

    # Provided by TLSObject.
    _conn: Connection
    _done: bool
    _started: bool
    _session: Any
    _session_obj: SSLSession | None
    _early_data: bytes | None
    server_side: bool

    def _pull(self) -> bytes:
        """Incoming bytes; TLSObject and its socket subclass define it."""
        raise NotImplementedError

    @property
    def session(self) -> SSLSession | None:
        """Client: the session of the tickets this connection received (the
        same object on every read; tickets arriving later join it); before
        any arrived, the session it was given. It stays available after the
        connection failed or closed uncleanly. None on a server.

        TLS 1.3 tickets come after the handshake: reading this takes the
        bytes that have arrived meanwhile, without blocking."""
        if self.server_side:
            return None
        if self._session_obj is None:
            if self._done and not self._conn.session_tickets:
                self._poll_tickets()
            tickets = self._conn.session_tickets
            if tickets:
                self._session_obj = SSLSession(tickets)
        if self._session_obj is not None:
            return self._session_obj
        return self._session if isinstance(self._session, SSLSession) else None

    @session.setter
    def session(self, value: Any) -> None:
        if not isinstance(value, SSLSession):
            raise TypeError("Value is not a SSLSession.")
        if self.server_side:
            raise ValueError("Cannot set session for server-side SSLSocket.")
        if self._started:
            raise ValueError("Cannot set session after handshake.")
        self._session = value

    def _poll_tickets(self) -> None:
        """Process what the peer has sent so far, without waiting (best
        effort: a failure is left for the next read to raise)."""
        try:
            while True:
                data = self._pull()
                if not data:
                    return
                self._conn.receive_data(data)
                if self._conn.session_tickets:
                    return
        except (ssl.SSLError, OSError, ValueError):
            return

    @property
    def session_reused(self) -> bool:
        """Whether the handshake resumed a session."""
        return bool(self._conn.session_resumed)

    # -- 0-RTT (beyond the ssl module) ---------------------------------------

    def set_early_data(self, data: Buffer) -> None:
        """Client: send data as TLS 1.3 0-RTT early data with the resumed
        session (when its ticket allows early data and the server takes
        it); otherwise, or when the server rejects it, it is sent as
        ordinary application data once the handshake completes. Either way
        it is delivered once. Early data can be replayed by an attacker:
        send only idempotent requests this way (RFC 8446 §8).

        Raises:
            ValueError: on a server, or after the handshake started.
        """
        if self.server_side:
            raise ValueError("only a client sends early data")
        if self._started:
            raise ValueError("Cannot set early data after the handshake started.")
        self._early_data = bytes(memoryview(data).cast("B"))

    def read_early_data(self) -> bytes:
        """Server: the 0-RTT data received so far (b"" when none), apart
        from ordinary data. It may be a replay across servers: act on it
        only as an idempotent request (RFC 8446 §8)."""
        if not self.server_side:
            raise ValueError("only a server receives early data")
        return bytes(self._conn.read_early_data())

    @property
    def early_data_status(self) -> str | None:
        """Client: None (no early data), "offered" (no answer yet),
        "accepted", "rejected" (resent after the handshake) or "not sent"
        (no ticket allowed it: sent after the handshake). Server: None (not
        offered), "accepted" or "rejected"."""
        if self.server_side:
            result: str | None = self._conn.early_data_status
            return result
        if self._early_data is None:
            return None
        status: str | None = self._conn.early_data_status
        return status or ("not sent" if self._started else None)
