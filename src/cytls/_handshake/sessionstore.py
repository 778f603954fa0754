"""Server-side session stores: sessions kept in memory, not in tickets.

Owns: `SessionCache`, the bounded cache of TLS 1.2 sessions by session ID
(RFC 5246 §7.3), and `StatefulTickets`, what a server issues as TLS 1.3
tickets when the context has OP_NO_TICKET: as OpenSSL does then, a ticket
is only a random identifier of a session this process keeps, and it
resumes once (the entry is taken when it is presented, RFC 8446 §8.1).
Must not: know the handshake (psk13.py and resume12.py use these stores)
or outlive the process (a fleet shares stateless tickets instead).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from cytls._handshake.tickets import SessionState

__all__ = ["SessionCache", "StatefulTickets"]

# OpenSSL's default session cache size (SSL_SESSION_CACHE_MAX_SIZE_DEFAULT).
DEFAULT_CAPACITY = 20480
_ID_LEN = 32


class _BoundedStore:
    """Sessions by identifier, least recently used out first, thread safe."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[bytes, SessionState] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def _store(self, key: bytes, state: SessionState) -> None:
        with self._lock:
            self._items[key] = state
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


class SessionCache(_BoundedStore):
    """Server: TLS 1.2 sessions by session ID (a session resumes as often as
    the client offers it, as OpenSSL's TLS 1.2 cache).

    Args:
        capacity: most sessions kept.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(capacity)

    def get(self, session_id: bytes) -> SessionState | None:
        with self._lock:
            state = self._items.get(session_id)
            if state is not None:
                self._items.move_to_end(session_id)
            return state

    def put(self, session_id: bytes, state: SessionState) -> None:
        self._store(session_id, state)


class StatefulTickets(_BoundedStore):
    """Server: TLS 1.3 tickets that name a session kept here (OP_NO_TICKET).

    It stands where a `TicketKeyRing` stands in the config (`seal`,
    `seal_encoded`, `open`, `clock`); `stateless` is False so that TLS 1.2
    sends no ticket then (as OpenSSL: TLS 1.2 resumes by session ID under
    OP_NO_TICKET).

    Args:
        capacity: most sessions kept (the oldest go first).
        clock: time source (time.time), for tests.
    """

    stateless = False

    def __init__(
        self, capacity: int = DEFAULT_CAPACITY, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(capacity)
        self.clock = clock

    def seal(self, state: SessionState) -> bytes:
        """A fresh identifier for state, which is kept until presented."""
        ticket = os.urandom(_ID_LEN)
        self._store(ticket, state)
        return ticket

    def seal_encoded(self, states: Sequence[bytes]) -> list[bytes]:
        """seal() for encoded states (`TicketKeyRing.seal_encoded`'s call)."""
        out = []
        for encoded in states:
            state = SessionState.decode(encoded)
            if state is None:
                raise ValueError("not a session state encoding")
            out.append(self.seal(state))
        return out

    def open(self, ticket: bytes) -> SessionState | None:
        """The session ticket names, taken out (single use), or None."""
        if len(ticket) != _ID_LEN:
            return None
        with self._lock:
            return self._items.pop(bytes(ticket), None)
