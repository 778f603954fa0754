"""The sans-IO TLS connection: bytes in, bytes and events out.

Owns: the glue between the record layer, handshake message reassembly and
the per-role state machine; the application data buffer; alerts in both
directions; the public read-only view of what was negotiated.
Must not: touch sockets, clocks used for timeouts, or threads. Every fatal
error is a TLSAlert, the alert to send is queued in data_to_send() before it
is raised, and every later call re-raises the same exception.
"""

from __future__ import annotations

from cryptography import x509

from cytls._config import TLSConfig
from cytls._events import Event, NewSessionTicket, TraceEvent

__all__ = ["Connection"]


class Connection:
    """One TLS connection, client or server, without I/O.

    An adapter loop: feed received bytes to `receive_data`, act on the
    events, and write out `data_to_send()` after every call.

    Args:
        config: the settings (shared, never mutated).
    """

    def __init__(self, config: TLSConfig) -> None:
        self.config = config
        self.is_client = config.is_client
        self.handshake_complete = False
        self.version: int | None = None
        self.cipher_suite: int | None = None
        self.group: int | None = None
        self.alpn_protocol: str | None = None
        self.server_name: str | None = None
        self.peer_certificates: list[x509.Certificate] = []
        self.verified_chain: list[x509.Certificate] = []
        self.peer_closed = False
        self.closed = False
        self.trace: list[TraceEvent] = []
        self.session_tickets: list[NewSessionTicket] = []

    def start_handshake(self) -> None:
        """Client: queue the ClientHello. Server: nothing (it waits).

        Raises:
            TLSAlert: the connection already failed.
        """
        raise NotImplementedError

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Process bytes received from the peer.

        Args:
            data: any number of bytes; records may be split or coalesced.

        Returns:
            The events, in order. Application data is appended to the read
            buffer (see read_application_data).

        Raises:
            TLSAlert: a fatal error (ours: the alert is already queued in
                data_to_send(); or the peer's fatal alert). Every later call
                raises the same exception.
            ssl.SSLCertVerificationError: (a TLSAlert subclass) the peer's
                certificate did not verify.
        """
        raise NotImplementedError

    def data_to_send(self) -> bytes:
        """Take the bytes queued for the peer (may be empty)."""
        raise NotImplementedError

    def send_application_data(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt application data into records queued for the peer.

        Raises:
            ssl.SSLError: the handshake is not complete, or we closed.
            TLSAlert: the connection failed earlier.
        """
        raise NotImplementedError

    def read_application_data(self, max_bytes: int = -1) -> bytes:
        """Take up to max_bytes (-1: all) of decrypted application data."""
        raise NotImplementedError

    def pending_application_data(self) -> int:
        """How many decrypted bytes wait in the read buffer."""
        raise NotImplementedError

    def close(self) -> None:
        """Queue a close_notify alert; nothing may be sent afterwards."""
        raise NotImplementedError

    def update_key(self, request_peer: bool = True) -> None:
        """Send a KeyUpdate and switch our sending key (RFC 8446 §4.6.3).

        Args:
            request_peer: ask the peer to update its sending key too.

        Raises:
            ssl.SSLError: the handshake is not complete.
        """
        raise NotImplementedError

    def export_keying_material(self, label: bytes, context: bytes | None, length: int) -> bytes:
        """RFC 8446 §7.5 exporter (RFC 5705 interface).

        Args:
            label: the exporter label (without "tls13 " or "EXPORTER" tricks).
            context: the context value; None and b"" are the same in TLS 1.3.
            length: bytes to derive.

        Returns:
            length bytes of keying material.

        Raises:
            ssl.SSLError: the handshake is not complete.
        """
        raise NotImplementedError
