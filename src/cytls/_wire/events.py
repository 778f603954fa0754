"""Events a `Connection` hands back from `receive_data`.

Owns: the frozen dataclasses describing what happened on the connection.
Must not: carry behaviour or buffers; application data stays in the
connection's read buffer (ApplicationDataReceived only signals it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "AlertReceived",
    "ApplicationDataReceived",
    "ConnectionClosed",
    "EarlyDataReceived",
    "Event",
    "HandshakeComplete",
    "KeyUpdated",
    "NewSessionTicketReceived",
    "TraceEvent",
]


class Event:
    """Base class of every connection event."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class HandshakeComplete(Event):
    """The handshake finished; application data may flow both ways."""

    version: int
    cipher_suite: int
    group: int | None
    alpn_protocol: str | None


@dataclass(frozen=True, slots=True)
class ApplicationDataReceived(Event):
    """Decrypted application data was appended to the read buffer.

    Attributes:
        length: how many bytes were appended by this receive_data call.
    """

    length: int


@dataclass(frozen=True, slots=True)
class AlertReceived(Event):
    """The peer sent an alert (a fatal one is also raised as TLSAlert)."""

    description: int
    level: int


@dataclass(frozen=True, slots=True)
class EarlyDataReceived(Event):
    """Server: 0-RTT application data arrived (RFC 8446 §2.3); it waits in
    the early data buffer, apart from ordinary data. It may be a replay
    across servers that do not share an anti-replay register."""

    nbytes: int


@dataclass(frozen=True, slots=True)
class ConnectionClosed(Event):
    """The peer sent close_notify; no more data will arrive."""


@dataclass(frozen=True, slots=True)
class NewSessionTicket:
    """A parsed TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1) with the PSK it
    yields, so a later resumption needs nothing else from this connection.

    Attributes:
        lifetime: seconds the ticket may be used.
        age_add: obfuscation added to the ticket age.
        nonce: ticket_nonce.
        ticket: the opaque ticket.
        max_early_data_size: from the early_data extension, or 0.
        cipher_suite: the suite of the connection that got the ticket.
        psk: the resumption PSK (RFC 8446 §4.6.1).
        server_name: the SNI used, if any.
        alpn_protocol: the ALPN protocol negotiated, if any.
        received_at: time.time() when it arrived.
        peer_certificates, verified_chain: the server's chain (x509
            objects) as sent and as verified, restored on resumption.
        version: 0x0304, or 0x0303 for a TLS 1.2 session (RFC 5077 ticket
            or session ID; `psk` is then its master secret, `ticket` may be
            empty and `session_id` names it).
        session_id: TLS 1.2: the server's session ID.
        ems: TLS 1.2: the session's master secret is an extended one
            (RFC 7627), which its resumption must carry over (§5.3).
    """

    lifetime: int
    age_add: int
    nonce: bytes
    ticket: bytes
    max_early_data_size: int
    cipher_suite: int
    psk: bytes = field(repr=False)
    server_name: str | None
    alpn_protocol: str | None
    received_at: float
    peer_certificates: tuple[Any, ...] = ()
    verified_chain: tuple[Any, ...] = ()
    version: int = 0x0304
    session_id: bytes = b""
    ems: bool = True


@dataclass(frozen=True, slots=True)
class NewSessionTicketReceived(Event):
    """The server sent a session ticket."""

    ticket: NewSessionTicket


@dataclass(frozen=True, slots=True)
class KeyUpdated(Event):
    """The peer updated its sending key (RFC 8446 §4.6.3).

    Attributes:
        update_requested: the peer asked us to update ours too (done already).
    """

    update_requested: bool


class TraceEvent(NamedTuple):
    """One timed handshake step, for the CLI demo (immutable; a NamedTuple
    because a handshake records a dozen of them on its hot path).

    Attributes:
        time: seconds since the connection was created (time.perf_counter).
        role: "client" or "server".
        step: a short name, e.g. "send ClientHello", "verify certificate".
        details: step-specific facts (suite, group, sizes, names; a
            certificate's subject as an x509.Name, rendered only when shown).
    """

    time: float
    role: str
    step: str
    details: dict[str, Any]
