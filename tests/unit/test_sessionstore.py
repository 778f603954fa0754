"""The server's in-memory session stores (cytls._handshake.sessionstore)."""

from __future__ import annotations

import pytest

from cytls._handshake.sessionstore import SessionCache, StatefulTickets
from cytls._handshake.tickets import SessionState


def state(n: int) -> SessionState:
    return SessionState(0x0304, 0x1301, 1000 + n, n, 7200, 0, bytes([n]) * 32, None, None)


def test_stateful_ticket_is_single_use() -> None:
    store = StatefulTickets()
    ticket = store.seal(state(1))
    assert len(ticket) == 32 and len(store) == 1
    assert store.open(ticket) == state(1)
    assert store.open(ticket) is None and len(store) == 0


def test_stateful_tickets_are_distinct_and_bounded() -> None:
    store = StatefulTickets(capacity=2)
    tickets = [store.seal(state(i)) for i in range(3)]
    assert len(set(tickets)) == 3 and len(store) == 2
    assert store.open(tickets[0]) is None  # the oldest went out
    assert store.open(tickets[2]) == state(2)


def test_stateful_tickets_refuse_other_shapes() -> None:
    store = StatefulTickets()
    ticket = store.seal(state(1))
    assert store.open(ticket[:31]) is None
    assert store.open(ticket + b"\x00") is None
    assert store.open(b"") is None
    assert store.open(ticket) == state(1)  # still there after the probes
    assert StatefulTickets.stateless is False


def test_stateful_tickets_seal_encoded_states() -> None:
    # What issue_tickets hands any ticket store: encoded states.
    store = StatefulTickets()
    tickets = store.seal_encoded([state(1).encode(), state(2).encode()])
    assert len(set(tickets)) == 2 and len(store) == 2
    assert [store.open(t) for t in tickets] == [state(1), state(2)]
    with pytest.raises(ValueError):
        store.seal_encoded([b"not a state"])
    assert len(store) == 0


def test_session_cache_keeps_sessions_for_reuse() -> None:
    cache = SessionCache(capacity=2)
    cache.put(b"a" * 32, state(1))
    cache.put(b"b" * 32, state(2))
    assert cache.get(b"a" * 32) == state(1)  # used: now the newest
    cache.put(b"c" * 32, state(3))
    assert cache.get(b"b" * 32) is None
    assert cache.get(b"a" * 32) == state(1) and cache.get(b"c" * 32) == state(3)
