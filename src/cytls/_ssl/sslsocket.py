"""cytls.SSLSocket: the ssl module's SSLSocket over a cytls connection.

Owns: the socket transport of a TLS connection (blocking, non-blocking and
timeout semantics of the ssl module) and the SSLSocket class that
`SSLContext.wrap_socket()` returns.
Must not: do protocol work (Connection) or hold settings (SSLContext).

Design: `SSLSocket` subclasses `ssl.SSLSocket`, so `isinstance(s,
ssl.SSLSocket)` and `isinstance(s, socket.socket)` hold and every socket
method keeps the ssl module's Python code (send/sendall/recv/recv_into/
makefile/sendfile/accept/connect/unwrap/close). That code delegates the TLS
work to `self._sslobj`, which for the ssl module is the C `_ssl._SSLSocket`
and here is `SocketTLSObject`: a `TLSObject` whose transport is the socket.
It reads and writes through the base `_socket.socket` methods, so the
socket's own timeout applies, and it maps BlockingIOError to
SSLWantReadError / SSLWantWriteError and timeouts to the ssl module's
"The read operation timed out" messages.
"""

from __future__ import annotations

import _socket
import ssl
import weakref
from typing import TYPE_CHECKING, Any

from cytls._ssl.errors import ssl_error, want_read_error, want_write_error
from cytls._ssl.tlsobject import TLSObject
from cytls._wire.alerts import api_error

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from cytls._ssl.tlsobject import EngineContext
    from cytls._wire.events import TraceEvent

__all__ = ["SSLSocket", "SocketTLSObject"]

_recv = _socket.socket.recv
_send = _socket.socket.send
_sendall = _socket.socket.sendall

# One recv() takes up to this many bytes: several full records per call.
_RECV_SIZE = 131072


class SocketTLSObject(TLSObject):
    """A TLSObject whose ciphertext goes over a socket."""

    def __init__(
        self,
        context: EngineContext,
        server_side: bool,
        server_hostname: str | None,
        owner: Any,
        session: Any,
        sock: Any,
    ) -> None:
        super().__init__(context, server_side, server_hostname, owner, session)
        # A weak reference, as _ssl.c keeps: the SSLSocket owns this object.
        self._sock_ref = weakref.ref(sock)
        self._wbuf: bytes = b""
        self._write_pending = 0
        # During unwrap() read record by record, so that nothing the peer
        # sends in clear after its close_notify is swallowed.
        self._exact = False
        self._partial = b""

    def _socket(self) -> Any:
        sock = self._sock_ref()
        if sock is None:
            raise api_error("Underlying socket connection gone", 0)
        return sock

    def _pull(self) -> bytes:
        try:
            if self._exact:
                return self._pull_record()
            data: bytes = _recv(self._socket(), _RECV_SIZE)
        except BlockingIOError:
            raise want_read_error() from None
        except TimeoutError:
            raise TimeoutError("The read operation timed out") from None
        return data

    def _pull_record(self) -> bytes:
        """Read one whole TLS record (RFC 8446 §5.1: 5-byte header, then
        its length) and not a byte more."""
        sock = self._socket()
        header = self._partial
        while len(header) < 5:
            chunk = _recv(sock, 5 - len(header))
            if not chunk:
                self._partial = b""
                return header  # b"" at EOF; a fragment makes the core wait
            header += chunk
            self._partial = header
        need = 5 + int.from_bytes(header[3:5], "big")
        record = header
        while len(record) < need:
            chunk = _recv(sock, need - len(record))
            if not chunk:
                break
            record += chunk
            self._partial = record
        self._partial = b""
        return record

    def _push(self, data: bytes) -> None:
        self._wbuf = self._wbuf + data if self._wbuf else data
        self._drain()

    def _drain(self) -> None:
        data = self._wbuf
        if not data:
            return
        sock = self._socket()
        if sock.gettimeout() is None:
            _sendall(sock, data)
            self._wbuf = b""
            return
        view = memoryview(data)
        sent = 0
        try:
            while sent < len(view):
                sent += _send(sock, view[sent:])
        except BlockingIOError:
            self._wbuf = bytes(view[sent:])
            raise want_write_error() from None
        except TimeoutError:
            self._wbuf = bytes(view[sent:])
            raise TimeoutError("The write operation timed out") from None
        self._wbuf = b""

    def do_handshake(self) -> None:
        """Run the handshake over the socket (see TLSObject.do_handshake).

        Raises:
            TimeoutError: "The handshake operation timed out".
            ssl.SSLWantReadError, ssl.SSLWantWriteError: non-blocking socket.
        """
        try:
            if self._wbuf:
                self._drain()
            super().do_handshake()
        except TimeoutError:
            raise TimeoutError("The handshake operation timed out") from None

    def write(self, data: Buffer) -> int:
        """Encrypt and send all of data.

        When a non-blocking socket cannot take everything, the encrypted
        rest is kept and SSLWantWriteError raised; the caller retries with
        the same data (as with OpenSSL), and the retry returns its length
        once the rest is sent.
        """
        if not self._done:
            self.do_handshake()
        if self._wbuf:
            self._drain()
            pending = self._write_pending
            if pending:
                self._write_pending = 0
                return pending
        if self._close_sent:
            raise ssl_error("PROTOCOL_IS_SHUTDOWN", "protocol is shutdown")
        if type(data) is bytes:
            n = data.__len__()
        else:
            data = memoryview(data).cast("B")  # any buffer, as bytes
            n = data.nbytes
        if not n:
            return 0
        conn = self._conn
        conn.send_application_data(data)
        self._wbuf = conn.data_to_send()
        if self._tracer is not None:
            self._tracer.raise_error()
        try:
            self._drain()
        except (ssl.SSLWantWriteError, TimeoutError):
            self._write_pending = n
            raise
        return n

    def shutdown(self) -> Any:
        """unwrap(): exchange close_notify, then hand back the plain socket."""
        self._exact = True
        return super().shutdown()

    def _transport_object(self) -> Any:
        return self._sock_ref()


class SSLSocket(ssl.SSLSocket):
    """ssl.SSLSocket over cytls: what `cytls.SSLContext.wrap_socket()` returns."""

    _sslobj: Any

    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None:
        """ "tls-unique" (TLS 1.2) or "tls-exporter" (RFC 9266) binding data.

        Raises:
            ValueError: an unknown channel binding type.
        """
        if self._sslobj is not None:
            result: bytes | None = self._sslobj.get_channel_binding(cb_type)
            return result
        if cb_type not in ("tls-unique", "tls-exporter"):
            raise ValueError(f"'{cb_type}' channel binding type not implemented")
        return None

    def get_verified_chain(self) -> list[bytes]:
        """The verified peer chain as DER, leaf first ([] when none)."""
        if self._sslobj is None:
            return []
        result: list[bytes] = self._sslobj.get_verified_chain()
        return result

    def get_unverified_chain(self) -> list[bytes]:
        """The peer's certificates as sent, as DER."""
        if self._sslobj is None:
            return []
        result: list[bytes] = self._sslobj.get_unverified_chain()
        return result

    def group(self) -> str | None:
        """The negotiated key exchange group, e.g. "X25519MLKEM768" or
        "x25519" (OpenSSL's names); None before the handshake."""
        if self._sslobj is None:
            return None
        result: str | None = self._sslobj.group()
        return result

    def handshake_trace(self) -> list[TraceEvent]:
        """The handshake steps so far ([] before the socket is connected).

        Returns:
            `cytls._wire.events.TraceEvent` tuples (time, role, step, details),
            `time` being the absolute time.perf_counter() value of the step.
        """
        if self._sslobj is None:
            return []
        result: list[TraceEvent] = self._sslobj.handshake_trace()
        return result
