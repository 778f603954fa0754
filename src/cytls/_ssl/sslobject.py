"""cytls.SSLObject: what `SSLContext.wrap_bio()` returns to event loops.

Owns: the ssl.SSLObject subclass whose methods the ssl module's class
already defines (they delegate to `_sslobj`, a TLSObject), plus cytls's
extra inspection methods.
Must not: hold any state of its own beyond the TLSObject it delegates to.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from cytls._ssl.tlsobject import EngineContext
    from cytls._wire.events import TraceEvent

__all__ = ["SSLObject"]


class SSLObject(ssl.SSLObject):
    """ssl.SSLObject over cytls: what `cytls.SSLContext.wrap_bio()` returns.

    All methods come from ssl.SSLObject, which delegates to a TLSObject.
    """

    _sslobj: Any

    @classmethod
    def _create(
        cls,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | None = None,
        session: Any = None,
        context: EngineContext | None = None,
    ) -> SSLObject:
        self = cls.__new__(cls)
        assert context is not None
        sslobj = context._wrap_bio(
            incoming,
            outgoing,
            server_side=server_side,
            server_hostname=server_hostname,
            owner=self,
            session=session,
        )
        self._sslobj = sslobj
        # An event loop calls these several times per batch: bound straight
        # to the TLSObject, they skip the ssl.SSLObject frame that only
        # delegates (same arguments, same results).
        self.read = sslobj.read  # type: ignore[method-assign]
        self.write = sslobj.write  # type: ignore[method-assign]
        self.pending = sslobj.pending  # type: ignore[method-assign]
        return self

    def set_early_data(self, data: Buffer) -> None:
        """Client 0-RTT data for the resumed session, before the
        handshake; see TLSObject.set_early_data."""
        self._sslobj.set_early_data(data)

    def read_early_data(self) -> bytes:
        """Server: the 0-RTT data received; see TLSObject.read_early_data."""
        result: bytes = self._sslobj.read_early_data()
        return result

    @property
    def early_data_status(self) -> str | None:
        """See TLSObject.early_data_status."""
        result: str | None = self._sslobj.early_data_status
        return result

    def read(self, len: int = 1024, buffer: Buffer | None = None) -> Any:
        """Read up to len bytes (into buffer); see TLSObject.read."""
        return self._sslobj.read(len, buffer)

    def get_verified_chain(self) -> list[bytes]:
        """The verified peer chain as DER, leaf first."""
        result: list[bytes] = self._sslobj.get_verified_chain()
        return result

    def group(self) -> str | None:
        """The negotiated key exchange group name, None before the handshake."""
        result: str | None = self._sslobj.group()
        return result

    def key_update(self, update_requested: bool = False) -> None:
        """TLS 1.3: send a KeyUpdate (see TLSObject.key_update; a cytls extension)."""
        self._sslobj.key_update(update_requested)

    def handshake_trace(self) -> list[TraceEvent]:
        """The handshake steps so far, timed on the time.perf_counter() clock
        (see TLSObject.handshake_trace)."""
        result: list[TraceEvent] = self._sslobj.handshake_trace()
        return result

    def get_unverified_chain(self) -> list[bytes]:
        """The peer's certificates as sent, as DER."""
        result: list[bytes] = self._sslobj.get_unverified_chain()
        return result
