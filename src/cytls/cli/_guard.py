"""Limits that keep a thread-per-connection server alive under abuse.

Owns: the handshake and idle deadlines of every connection (one watchdog
thread that shuts down the socket of a connection past its deadline, which
wakes its worker from any blocked recv or send), and the cap on concurrent
connections (a semaphore the accept loop takes before each accept).
Must not: read or write connection data, or know TLS: it works the same
over the ssl module and cytls, and does not depend on either bounding a
whole call by its socket timeout.

Why a watchdog as well as socket timeouts: a socket timeout bounds each
recv(), so a peer that sends one byte a second never trips it; a deadline
bounds the whole handshake (or the time between two pieces of application
data) whatever the peer sends.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["Guard", "Watched"]

# How often the watchdog looks at the deadlines.
_TICK = 0.1


class Watched:
    """One connection under watch: its socket (replaced when the socket is
    wrapped), its deadline and what the deadline is for."""

    __slots__ = ("deadline", "expired", "phase", "seconds", "sock")

    def __init__(self, sock: Any, seconds: float, phase: str) -> None:
        self.sock = sock
        self.phase = phase
        self.seconds = seconds
        self.deadline = _deadline(seconds)
        self.expired: str | None = None


def _deadline(seconds: float) -> float:
    return time.monotonic() + seconds if seconds > 0 else float("inf")


class Guard:
    """Deadlines and the connection cap of one server.

    Args:
        handshake_timeout: seconds a handshake may take in all (0: no limit).
        idle_timeout: seconds a connection may go without application data
            either way (0: no limit).
        max_connections: connections served at once; the accept loop waits
            for a free slot beyond it (0: no limit).
    """

    def __init__(self, handshake_timeout: float, idle_timeout: float, max_connections: int) -> None:
        self.handshake_timeout = handshake_timeout
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections) if max_connections > 0 else None
        self._lock = threading.Lock()
        self._watched: set[Watched] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.counts = {"handshake": 0, "idle": 0, "waited_for_slot": 0}

    # -- the connection cap ---------------------------------------------------

    def acquire_slot(self, timeout: float) -> bool:
        """Take a connection slot, waiting at most `timeout` seconds."""
        if self._slots is None:
            return True
        if self._slots.acquire(blocking=False):
            return True
        with self._lock:
            self.counts["waited_for_slot"] += 1
        return self._slots.acquire(timeout=timeout)

    def release_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()

    # -- deadlines ------------------------------------------------------------

    def watch_handshake(self, sock: Any) -> Watched:
        """Start the handshake deadline of a newly accepted socket."""
        w = Watched(sock, self.handshake_timeout, "handshake")
        with self._lock:
            self._watched.add(w)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="s_server-watchdog", daemon=True
                )
                self._thread.start()
        return w

    def rewrap(self, w: Watched, sock: Any) -> None:
        """The socket was wrapped (the wrapper now owns the descriptor)."""
        with self._lock:
            w.sock = sock

    def start_idle(self, w: Watched) -> None:
        """The handshake is done: from now on the idle deadline applies."""
        with self._lock:
            w.phase, w.seconds = "idle", self.idle_timeout
            w.deadline = _deadline(self.idle_timeout)

    def touch(self, w: Watched) -> None:
        """Application data moved: push the idle deadline back."""
        w.deadline = _deadline(w.seconds)

    def forget(self, w: Watched) -> None:
        """Stop watching; call before closing the socket, so the watchdog
        never shuts down a descriptor number that was closed and reused."""
        with self._lock:
            self._watched.discard(w)

    def _run(self) -> None:
        while not self._stop.wait(_TICK):
            now = time.monotonic()
            with self._lock:
                for w in self._watched:
                    if w.expired is None and now >= w.deadline:
                        w.expired = w.phase
                        self.counts[w.phase] += 1
                        try:
                            # The plain socket's shutdown: an SSLSocket's own
                            # would also drop its TLS state under the worker.
                            socket.socket.shutdown(w.sock, socket.SHUT_RDWR)
                        except (OSError, ValueError):
                            pass

    def stop(self) -> None:
        self._stop.set()
