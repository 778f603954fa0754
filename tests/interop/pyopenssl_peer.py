"""A pyOpenSSL peer over memory BIOs, driven against a cytls Connection.

Owns: `Peer` (a pyOpenSSL Connection with its handshake, pull and read
steps), `run` (bytes back and forth until both sides are quiet) and
`exchange` (exact application data both ways), shared by the interop tests
that talk to cryptography's bundled OpenSSL in memory.
"""

from __future__ import annotations

from typing import Any

from peers import token

from cytls._connection import Connection

__all__ = ["Peer", "exchange", "run"]


class Peer:
    """A pyOpenSSL Connection over memory BIOs."""

    def __init__(self, SSL: Any, ctx: Any, server: bool, hostname: str | None = None) -> None:
        self.SSL = SSL
        self.obj = SSL.Connection(ctx, None)
        if server:
            self.obj.set_accept_state()
        else:
            self.obj.set_connect_state()
            if hostname:
                self.obj.set_tlsext_host_name(hostname.encode())
        self.done = False
        self.error: Exception | None = None

    def step(self) -> None:
        if self.done or self.error is not None:
            return
        try:
            self.obj.do_handshake()
            self.done = True
        except self.SSL.WantReadError:
            pass
        except self.SSL.Error as exc:
            self.error = exc

    def pull(self) -> bytes:
        out = b""
        while True:
            try:
                out += self.obj.bio_read(65536)
            except self.SSL.WantReadError:
                return out

    def read(self, n: int) -> bytes:
        """Up to n application bytes (b"" when none are ready)."""
        out = b""
        while len(out) < n:
            try:
                out += self.obj.recv(n - len(out))
            except self.SSL.WantReadError:
                break
        return out


def run(conn: Connection, peer: Peer, rounds: int = 12) -> None:
    """Move bytes between a cytls Connection and the peer until quiet."""
    conn.start_handshake()
    for _ in range(rounds):
        data = conn.data_to_send()
        if data:
            peer.obj.bio_write(data)
        peer.step()
        if peer.done:
            peer.read(1)  # processes post-handshake messages (tickets, KeyUpdate)
        back = peer.pull()
        if back:
            conn.receive_data(back)
        if not data and not back and (peer.done or peer.error):
            return
    raise AssertionError("did not settle")


def exchange(conn: Connection, peer: Peer, size: int = 40000) -> list[Any]:
    """Exact application data both ways (several records each way);
    returns the cytls events of the receiving half."""
    payload = token(size // 2)
    conn.send_application_data(payload)
    peer.obj.bio_write(conn.data_to_send())
    assert peer.read(len(payload)) == payload
    back = token(size // 3)
    peer.obj.sendall(back)
    events = conn.receive_data(peer.pull())
    assert conn.read_application_data() == back
    return events
