"""What a connection negotiated, read-only: the properties of `Connection`.

Owns: the public view of the handshake's outcome (version, suite, group,
ALPN, SNI, certificates, tickets, resumption and 0-RTT status), read from
the handshake Context.
Must not: change any state, or know about records, sockets or buffers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

    from cytls._handshake.config import TLSConfig
    from cytls._handshake.state import Context
    from cytls._wire.events import NewSessionTicket

__all__ = ["NegotiatedView"]


class NegotiatedView:
    """The negotiated facts of one connection; `Connection` sets `config`,
    `is_client` and `_ctx`. Values that only exist once the handshake is
    done (version, suite, group, tls-unique) are None before."""

    config: TLSConfig
    is_client: bool
    _ctx: Context

    @property
    def created(self) -> float:
        """time.perf_counter() when this connection was created: the origin
        of every `TraceEvent.time` in `trace`, so that two connections'
        traces can be put on one clock."""
        return self._ctx.t0

    @property
    def handshake_complete(self) -> bool:
        return self._ctx.complete

    @property
    def version(self) -> int | None:
        """0x0304 (TLS 1.3) or 0x0303 (TLS 1.2) once the handshake is done."""
        return self._ctx.version if self._ctx.complete else None

    @property
    def tls_unique(self) -> bytes | None:
        """TLS 1.2: the first Finished's verify_data (RFC 5929 §3.1
        tls-unique). TLS 1.3 defines none (RFC 8446 §C.5; use the RFC 9266
        tls-exporter): this is then the client's handshake Finished, the
        value OpenSSL gives. None before it exists."""
        return self._ctx.tls_unique if self._ctx.complete else None

    @property
    def cipher_suite(self) -> int | None:
        return self._ctx.suite if self._ctx.complete else None

    @property
    def group(self) -> int | None:
        return self._ctx.group if self._ctx.complete else None

    @property
    def peer_offered_cipher_suites(self) -> list[int]:
        """Server: the cipher suites the client offered, in its order
        (including ones we do not enable); [] on a client or before the
        ClientHello."""
        return list(self._ctx.peer_cipher_suites)

    @property
    def alpn_protocol(self) -> str | None:
        return self._ctx.alpn

    @property
    def server_name(self) -> str | None:
        """Server: the SNI the client sent. Client: the name asked for."""
        return self._ctx.server_name if not self.is_client else self.config.server_hostname

    @property
    def peer_certificates(self) -> list[x509.Certificate]:
        return self._ctx.peer_certificates

    @property
    def verified_chain(self) -> list[x509.Certificate]:
        return self._ctx.verified_chain

    @property
    def session_tickets(self) -> list[NewSessionTicket]:
        return self._ctx.tickets

    @property
    def session_resumed(self) -> bool:
        """The handshake resumed a session with a PSK (RFC 8446 §2.2)."""
        return self._ctx.resumed

    @property
    def psk_outcome(self) -> str | None:
        """Server: "hit", "miss" or "timeout" when the client offered a
        PSK (the ssl module's session_stats() counters), else None."""
        return self._ctx.psk_outcome

    @property
    def early_data_status(self) -> str | None:
        """Client 0-RTT: None (none sent), "offered" (no answer yet),
        "accepted" or "rejected" (send it again after the handshake)."""
        return self._ctx.early_status

    @property
    def early_data_sent(self) -> bytes:
        """Client: the 0-RTT bytes sent (the ticket's limit may cut them)."""
        return (self._ctx.early_data or b"") if self._ctx.early_status else b""

    @property
    def client_auth_requested(self) -> bool:
        """Client: the server sent a CertificateRequest."""
        return self._ctx.client_auth_requested
