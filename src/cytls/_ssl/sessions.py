"""Sessions for the ssl API: `SSLSession` and a context's resumption settings.

Owns: `SSLSession` (ssl.SSLSession's shape over the TLS 1.3 tickets one
connection received, handing out each ticket once by default, RFC 8446
§C.4), and `ResumptionSettings`, the part of cytls.SSLContext that holds
the ticket-key ring and the resumption and 0-RTT settings:
`set_ticket_keys()`, `load_ticket_keys()`, `export_ticket_keys()`,
`ticket_lifetime`, `ticket_key_rotation`, `max_early_data`,
`dangerous_psk_ke`, `dangerous_reuse_tickets`, and the 0-RTT strike
register.
Must not: run handshakes (TLSObject does) or build configs (configbuild
does, from these settings).

Sharing tickets across a fleet: give every server the same keys, e.g.
`head -c 48 /dev/urandom > ticket.key` once, copied to each machine, and
`ctx.load_ticket_keys("ticket.key")` on each (or
`ctx.set_ticket_keys(other_ctx.export_ticket_keys())` in one program).
The format is `cytls._handshake.tickets`': 48-byte keys (16-byte name,
32-byte AES-256-GCM key) concatenated, current first; rotate by
prepending a new key and dropping the oldest everywhere, then reloading.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

from cytls._handshake.antireplay import StrikeRegister
from cytls._wire.events import NewSessionTicket

try:
    # Tickets are sealed by the C core's AES-GCM; without it the package
    # still imports (and TLSObject() says the core is missing).
    from cytls._handshake.sessionstore import SessionCache, StatefulTickets
    from cytls._handshake.tickets import TicketKeyRing, parse_key_material
except ImportError:  # the C core is not built
    SessionCache = StatefulTickets = None  # type: ignore[assignment,misc]
    TicketKeyRing = None  # type: ignore[assignment,misc]
    parse_key_material = None  # type: ignore[assignment]

__all__ = ["ResumptionSettings", "SSLSession"]


def _need_core() -> None:
    if TicketKeyRing is None:
        raise ImportError("cytls._core is not built")


class SSLSession:
    """The session of a TLS 1.3 client connection (ssl.SSLSession's shape).

    It holds the tickets the server sent on that connection (tickets that
    arrive later join it). Each resumption with `session=` takes one
    ticket, newest first, and a ticket is used once (RFC 8446 §C.4) unless
    the context sets `dangerous_reuse_tickets`; `has_ticket` turns False
    when none is left. A TLS 1.2 session known by its session ID (no
    ticket) can be resumed as long as the server keeps it.

    Attributes:
        id: a stable identifier (SHA-256 of the first ticket, or the
            TLS 1.2 session ID).
        time: when the first ticket arrived (seconds since the epoch).
        timeout, ticket_lifetime_hint: the first ticket's lifetime (s).
    """

    __slots__ = ("_pool", "id", "ticket_lifetime_hint", "time", "timeout")

    def __init__(self, pool: list[NewSessionTicket]) -> None:
        if not pool:
            raise ValueError("a session needs a ticket")
        self._pool = pool
        first = pool[0]
        # A TLS 1.2 session ID names its session, as in the ssl module.
        self.id = first.session_id or hashlib.sha256(bytes(first.ticket)).digest()
        self.ticket_lifetime_hint = int(first.lifetime)
        self.timeout = self.ticket_lifetime_hint
        self.time = int(first.received_at)

    @property
    def has_ticket(self) -> bool:
        """A session ticket is left to offer (False for a TLS 1.2 session
        known by its session ID only, as in the ssl module)."""
        return any(t.ticket for t in self._pool)

    def _take(self, reuse: bool) -> NewSessionTicket | None:
        """The newest ticket for a resumption (removed unless reuse; a
        TLS 1.2 session ID stays, as servers let it be resumed again)."""
        if not self._pool:
            return None
        newest = self._pool[-1]
        if reuse or not newest.ticket:
            return newest
        return self._pool.pop()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SSLSession):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<cytls.SSLSession id={self.id.hex()[:16]} tickets={len(self._pool)}>"


class ResumptionSettings:
    """Ticket keys and resumption settings of cytls.SSLContext (a base class)."""

    _cy_ticket_ring: TicketKeyRing | None = None
    _cy_ticket_lifetime = 7200
    _cy_max_early_data = 0
    _cy_psk_ke = False
    _cy_reuse_tickets = False
    _cy_num_tickets: int  # set by SSLContext

    def _ticket_ring(self) -> TicketKeyRing:
        """The context's ring, made (with a random key) on first use.

        Raises:
            ImportError: the C core is not built.
        """
        _need_core()
        ring = self.__dict__.get("_cy_ticket_ring")
        if ring is None:
            ring = TicketKeyRing()
            self.__dict__["_cy_ticket_ring"] = ring  # no config rebuild needed
        return ring

    def _session_cache(self) -> Any:
        """The context's TLS 1.2 session-ID cache, made on first use."""
        cache = self.__dict__.get("_cy_session_cache")
        if cache is None:
            cache = SessionCache()
            self.__dict__["_cy_session_cache"] = cache
        return cache

    def _stateful_tickets(self) -> Any:
        """The context's store of OP_NO_TICKET sessions, made on first use."""
        store = self.__dict__.get("_cy_stateful_tickets")
        if store is None:
            store = StatefulTickets()
            self.__dict__["_cy_stateful_tickets"] = store
        return store

    def _anti_replay(self) -> StrikeRegister:
        """The context's 0-RTT strike register, made on first use."""
        register = self.__dict__.get("_cy_anti_replay")
        if register is None:
            register = StrikeRegister()
            self.__dict__["_cy_anti_replay"] = register
        return register

    def set_ticket_keys(self, keys: bytes | Sequence[bytes]) -> None:
        """Seal and open session tickets with these keys (a fleet shares them).

        Args:
            keys: the key-file format (48-byte keys concatenated, current
                first) or a sequence of 48-byte keys, current first.

        Raises:
            ValueError: a key of the wrong size, or duplicate key names.
        """
        _need_core()
        if isinstance(keys, bytes | bytearray | memoryview):
            keys = parse_key_material(bytes(keys))
        self._cy_ticket_ring = TicketKeyRing(list(keys))

    def load_ticket_keys(self, path: str | os.PathLike[str]) -> None:
        """set_ticket_keys() with a key file's contents (nginx's
        ssl_session_ticket_key, in cytls's format: see the module docstring).

        Raises:
            OSError: the file cannot be read. ValueError: as set_ticket_keys.
        """
        _need_core()
        self._cy_ticket_ring = TicketKeyRing.from_file(path)

    def export_ticket_keys(self) -> bytes:
        """The current ticket keys in the key-file format (secret)."""
        return self._ticket_ring().export()

    @property
    def ticket_lifetime(self) -> int:
        """Server: seconds a TLS 1.3 ticket is valid (default 7200, max 604800)."""
        return self._cy_ticket_lifetime

    @ticket_lifetime.setter
    def ticket_lifetime(self, value: int) -> None:
        if not 0 < int(value) <= 604800:
            raise ValueError("ticket_lifetime must be in 1..604800 seconds")
        self._cy_ticket_lifetime = int(value)

    @property
    def ticket_key_rotation(self) -> float | None:
        """Server: seconds before a self-made ticket key is replaced (the old
        one still opens tickets for one more period); None: never. Shared
        keys (set_ticket_keys, load_ticket_keys) are rotated by the fleet."""
        return self._ticket_ring().rotation

    @ticket_key_rotation.setter
    def ticket_key_rotation(self, value: float | None) -> None:
        self._ticket_ring().rotation = None if value is None else float(value)

    @property
    def max_early_data(self) -> int:
        """Server: 0-RTT bytes its tickets allow (0, the default: none).
        With a limit set, the server accepts early data once per ticket
        (a strike register of this context; see antireplay.py) and hands it
        to the application through `read_early_data()`."""
        return self._cy_max_early_data

    @max_early_data.setter
    def max_early_data(self, value: int) -> None:
        if not 0 <= int(value) < 1 << 32:
            raise ValueError("max_early_data must be in 0..2**32-1")
        self._cy_max_early_data = int(value)

    @property
    def dangerous_psk_ke(self) -> bool:
        """Allow (server) and offer first (client) psk_ke resumption, which
        skips the ECDHE exchange and so has no forward secrecy."""
        return self._cy_psk_ke

    @dangerous_psk_ke.setter
    def dangerous_psk_ke(self, value: bool) -> None:
        self._cy_psk_ke = bool(value)

    @property
    def dangerous_reuse_tickets(self) -> bool:
        """Client: offer a session's ticket again on later connections
        (linkable by observers; RFC 8446 §C.4 says not to)."""
        return self._cy_reuse_tickets

    @dangerous_reuse_tickets.setter
    def dangerous_reuse_tickets(self, value: bool) -> None:
        self._cy_reuse_tickets = bool(value)

    def _resumption_config(self, server_side: bool, stateful: bool) -> dict[str, Any]:
        """TLSConfig fields for these settings; `stateful` (OP_NO_TICKET):
        TLS 1.3 tickets name sessions kept in this context, and TLS 1.2
        sends none, as OpenSSL."""
        fields: dict[str, Any] = {"psk_modes": (0, 1) if self._cy_psk_ke else (1,)}
        if server_side:
            fields["num_tickets"] = self._cy_num_tickets
            fields["ticket_keys"] = self._stateful_tickets() if stateful else self._ticket_ring()
            fields["session_cache"] = self._session_cache()
            fields["ticket_lifetime"] = self._cy_ticket_lifetime
            fields["max_early_data"] = self._cy_max_early_data
            if self._cy_max_early_data:
                fields["anti_replay"] = self._anti_replay()
        return fields
