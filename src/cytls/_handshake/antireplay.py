"""0-RTT anti-replay: a bounded strike register with a time window (RFC 8446 §8).

Owns: `StrikeRegister`, which remembers the tickets whose early data a
server accepted, for as long as the ticket-age check (psk13.AGE_WINDOW_MS)
could still let a replay of the same ClientHello through, so each ticket's
early data is accepted at most once (RFC 8446 §8.1 single-use tickets,
combined with the §8.3 freshness check that bounds how long an entry is
needed). When full, it refuses rather than forgets: early data is then
rejected (the handshake still succeeds in 1-RTT), never accepted twice.
Must not: know the handshake; it sees opaque keys and times. A register is
per process: servers of a fleet that share ticket keys but not a register
can each accept one replay (RFC 8446 §8, "Replays across servers").
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["StrikeRegister"]


class StrikeRegister:
    """Tickets whose 0-RTT data was accepted, each for `window` seconds.

    Args:
        window: seconds an entry is kept: at least the age window of the
            freshness check plus the clock skew allowed.
        capacity: most entries kept; a full register rejects.
        clock: time source (time.monotonic), for tests.
    """

    def __init__(
        self,
        window: float = 20.0,
        capacity: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_add(self, ticket: bytes) -> bool:
        """True (and remembered) the first time a ticket is seen within the
        window; False for a replay or when the register is full."""
        key = hashlib.sha256(ticket).digest()
        now = self.clock()
        with self._lock:
            seen = self._seen
            # Entries are in insertion order, so the expired ones are first.
            while seen:
                oldest, at = next(iter(seen.items()))
                if now - at < self.window:
                    break
                del seen[oldest]
            if key in seen or len(seen) >= self.capacity:
                return False
            seen[key] = now
            return True
