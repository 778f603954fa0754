"""What a TLS connection reports about itself once its handshake is done.

Owns: `ConnectionFacts`, the read-only accessors of `_ssl._SSLSocket` that
the ssl module offers after a handshake (getpeercert, the chains, cipher,
shared_ciphers, version, ALPN, channel bindings) and cytls's additions
(group, handshake_trace), with the ssl module's names and return values.
Must not: drive the connection (tlsobject.py does) or change its state.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from cytls._pki import loading
from cytls._ssl.ciphers import SUITES_BY_CODE
from cytls._wire.enums import NamedGroup

if TYPE_CHECKING:
    from cytls._connection import Connection
    from cytls._handshake.config import TLSConfig
    from cytls._wire.events import TraceEvent

__all__ = ["ConnectionFacts", "group_name"]

_VERSION_NAMES = {0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
_CB_TYPES = ("tls-unique", "tls-exporter")


def group_name(code: int | None) -> str | None:
    """OpenSSL's name of a TLS NamedGroup code ("x25519", "X25519MLKEM768"...)."""
    if code is None:
        return None
    try:
        return NamedGroup(code).name
    except ValueError:
        return f"0x{code:04x}"


class ConnectionFacts:
    """Mixin of TLSObject: the facts of a connection after its handshake."""

    # Provided by TLSObject.
    _conn: Connection
    _done: bool
    _config: TLSConfig
    _context: Any
    _peercert: Any
    server_side: bool

    def getpeercert(self, binary_form: bool = False) -> Any:
        """The peer's certificate: a dict (verified peers), {} or DER bytes.

        Raises:
            ValueError: before the handshake is complete.
        """
        if not self._done:
            raise ValueError("handshake not done yet")
        certs = self._conn.peer_certificates
        if not certs:
            return None
        if binary_form:
            return loading.der(certs[0])
        if self._context._cy_verify_mode == ssl.CERT_NONE:
            return {}
        if self._peercert is None:
            self._peercert = loading.decode_certificate(certs[0])
        return self._peercert

    def get_verified_chain(self) -> list[bytes]:
        """The verified chain, leaf first, as DER ([] when not verified)."""
        if not self._done:
            return []
        return [loading.der(c) for c in self._conn.verified_chain]

    def get_unverified_chain(self) -> list[bytes]:
        """The certificates the peer sent, as DER."""
        if not self._done:
            return []
        return [loading.der(c) for c in self._conn.peer_certificates]

    def cipher(self) -> tuple[str, str, int] | None:
        """(suite name, protocol version, secret bits), or None before the handshake."""
        if not self._done or self._conn.cipher_suite is None:
            return None
        suite = SUITES_BY_CODE[self._conn.cipher_suite]
        return (suite.name, suite.protocol, suite.bits)

    def shared_ciphers(self) -> list[tuple[str, str, int]] | None:
        """Server: the client's offered suites that this side also enables,
        in the client's order, as (name, protocol, secret bits).

        Returns:
            The list on a server after the handshake; None on a client or
            before the handshake (as the ssl module).
        """
        if not self._done or not self.server_side:
            return None  # as the ssl module: only a server knows the client's list
        offered = self._conn.peer_offered_cipher_suites
        enabled = set(self._config.cipher_suites)
        return [
            (SUITES_BY_CODE[c].name, SUITES_BY_CODE[c].protocol, SUITES_BY_CODE[c].bits)
            for c in offered
            if c in enabled and c in SUITES_BY_CODE
        ]

    def group(self) -> str | None:
        """The negotiated key exchange group, e.g. "X25519MLKEM768" or
        "x25519" (OpenSSL's names), or None before the handshake."""
        return group_name(self._conn.group) if self._done else None

    def handshake_trace(self) -> list[TraceEvent]:
        """The handshake steps recorded so far, in order.

        Returns:
            `cytls._wire.events.TraceEvent` tuples (time, role, step, details)
            whose `time` is the absolute time.perf_counter() value of the
            step, so the client's and the server's traces (and any
            perf_counter() reading of the caller) share one clock.
        """
        conn = self._conn
        base = conn.created
        return [e._replace(time=base + e.time) for e in conn.trace]

    def compression(self) -> None:
        """Always None: TLS compression is not supported (CRIME)."""
        return None

    def version(self) -> str | None:
        """'TLSv1.3' or 'TLSv1.2', or None before the handshake."""
        if not self._done:
            return None
        return _VERSION_NAMES.get(self._conn.version or 0)

    def selected_alpn_protocol(self) -> str | None:
        """The ALPN protocol agreed on, if any."""
        if not self._done:
            return None
        return self._conn.alpn_protocol

    def selected_npn_protocol(self) -> None:
        """Always None: NPN is not implemented."""
        return None

    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None:
        """Channel binding data: "tls-unique" (TLS 1.2, RFC 5929) or
        "tls-exporter" (RFC 9266).

        Raises:
            ValueError: an unknown channel binding type.
        """
        if cb_type not in _CB_TYPES:
            raise ValueError(f"'{cb_type}' channel binding type not implemented")
        if not self._done:
            return None
        conn = self._conn
        if cb_type == "tls-exporter":
            # RFC 9266 §2: label "EXPORTER-Channel-Binding", empty context, 32 bytes.
            return bytes(conn.export_keying_material(b"EXPORTER-Channel-Binding", b"", 32))
        # TLS 1.3 defines no tls-unique (RFC 8446 §C.5); as the ssl module,
        # the client's Finished is returned then (tls-exporter is the binding
        # RFC 9266 defines for TLS 1.3).
        value = getattr(conn, "tls_unique", None)
        return bytes(value) if value is not None else None
