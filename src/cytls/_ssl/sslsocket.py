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

Timeouts bound a whole call, as the ssl module's do: do_handshake(), read(),
write() and shutdown() each start a deadline at their first socket wait
(`settimeout()` seconds from then), and every later wait of the same call
gets only what is left of it, so a peer that trickles bytes cannot stretch
one call past the timeout.

A server answers the client's last handshake flight at once with a TCP ACK
(see `_ack_now`), so that a client with Nagle's algorithm on does not hold
its first request for the server's delayed ACK; a cytls client pushes its
first write past Nagle itself, for servers that send nothing after the
Finished either; unwrap() pushes its close_notify.
"""

from __future__ import annotations

import _socket
import os
import select
import socket
import ssl
import weakref
from time import monotonic
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
_read = os.read
_write = os.write
_send = _socket.socket.send
_sendall = _socket.socket.sendall
_gettimeout = _socket.socket.gettimeout
_fileno = _socket.socket.fileno
_setsockopt = _socket.socket.setsockopt
_getsockopt = _socket.socket.getsockopt

# Linux: TCP_QUICKACK set on a socket with an ACK pending sends that ACK now.
_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
_INET_FAMILIES = (socket.AF_INET, getattr(socket, "AF_INET6", socket.AF_INET))

# One recv() takes up to this many bytes: several full records per call.
_RECV_SIZE = 131072
# A connection's first batched recv() asks for one full record (RFC 8446
# §5.2: header, 2^14 bytes and 256 of expansion); each that fills up doubles
# the next, up to _RECV_SIZE. The record buffers grow only as large as the
# batches, so a request/response connection keeps no 128 KiB buffers idle
# (buffers under 32 KiB are given back when emptied), while bulk reaches
# full batches after three reads.
_RECV_FIRST = 5 + 16384 + 256


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
        self._recv_size = _RECV_FIRST  # see _RECV_FIRST
        # During unwrap() read record by record, so that nothing the peer
        # sends in clear after its close_notify is swallowed.
        self._exact = False
        self._partial = b""
        # monotonic() by which the running call must end, once it has waited
        # on the socket; None before its first wait. Every public call
        # (do_handshake, read, write, shutdown) starts with None.
        self._deadline: float | None = None
        # A client's first write follows its Finished, which the server may
        # not answer (no tickets): Nagle's algorithm would hold the write
        # until the server's delayed ACK, so it is pushed (see _push_now).
        self._first_write = not server_side
        # Whether write() may try Connection.send_app_fd first: set once
        # the handshake is done and a write got to _send_rest.
        self._steady = False

    def _socket(self) -> Any:
        sock = self._sock_ref()
        if sock is None:
            raise api_error("Underlying socket connection gone", 0)
        return sock

    def _recv_some(self, sock: Any, n: int) -> bytes:
        """Up to n bytes from the socket, waiting within this call's deadline.

        A socket with a timeout is non-blocking underneath: read its
        descriptor at once and poll only when nothing is there. (Its own
        recv() polls before every read, a system call wasted whenever the
        bytes are already waiting.) Blocking and non-blocking sockets are
        read as they are.
        """
        if not _gettimeout(sock):
            return _recv(sock, n)
        fd = _fileno(sock)
        while True:
            try:
                return _read(fd, n)
            except BlockingIOError:
                self._wait_ready(sock, select.POLLIN)

    def _send_some(self, sock: Any, data: memoryview) -> int:
        """As much of data as the socket takes, as _recv_some reads."""
        if not _gettimeout(sock):
            return _send(sock, data)
        fd = _fileno(sock)
        while True:
            try:
                return _write(fd, data)
            except BlockingIOError:
                self._wait_ready(sock, select.POLLOUT)

    def _before_wait(self) -> None:
        # Our flight is on the wire: what the peer's answer will need is
        # computed while the peer works on it (Connection.work_ahead).
        self._conn.work_ahead()

    def _pull(self) -> bytes:
        try:
            if self._exact:
                return self._pull_record()
            data = self._recv_some(self._socket(), _RECV_SIZE)
        except BlockingIOError:
            raise want_read_error() from None
        except TimeoutError:
            raise TimeoutError("The read operation timed out") from None
        return data

    def _wait_ready(self, sock: Any, events: int) -> None:
        """After a direct recv() found nothing: wait on a socket with a
        timeout for what is left of this call's deadline (started here if
        none was), else TimeoutError. A non-blocking socket (or a blocking
        one whose SO_RCVTIMEO expired) raises BlockingIOError."""
        timeout = _gettimeout(sock)
        if not timeout:
            raise BlockingIOError
        now = monotonic()
        deadline = self._deadline
        if deadline is None:
            deadline = self._deadline = now + timeout
        left = deadline - now
        if left <= 0:
            raise TimeoutError
        poller = select.poll()
        poller.register(sock, events)
        # Round up, so that a wait never ends a hair before the deadline.
        if not poller.poll(int(left * 1000) + 1):
            raise TimeoutError

    def _receive_more(self, into: memoryview | None = None) -> bool:
        """Receive one batch straight into the record layer's input buffer
        and process it; False when the peer ended the stream.

        The record layer calls recv() on the socket's descriptor itself
        and opens the records in the same step, without the GIL (see
        Connection.receive_fd); a socket with a timeout is non-blocking
        underneath, so an empty one raises BlockingIOError, and the wait
        happens here, within the call's deadline. The plaintext goes on
        into `into`, the reader's buffer, in the same step when it can.
        """
        if self._exact:
            return super()._receive_more()
        sock = self._socket()
        conn = self._conn
        try:
            fd = _fileno(sock)
            while True:
                try:
                    size = self._recv_size
                    n = conn.receive_fd(fd, size, into)
                    if n == size and size < _RECV_SIZE:
                        self._recv_size = min(2 * size, _RECV_SIZE)
                    break
                except BlockingIOError:
                    self._wait_ready(sock, select.POLLIN)
        except BlockingIOError:
            raise want_read_error() from None
        except TimeoutError:
            raise TimeoutError("The read operation timed out") from None
        except ssl.SSLError:
            self._flush_alert()
            raise
        return bool(n)

    def read_into_fast(self, buffer: Buffer, nbytes: int) -> int | None:
        """recv_into once traffic flows and nothing is buffered: the
        plaintext of a batch of application data goes straight into buffer
        in the step that receives and opens it (Connection.receive_app_into),
        with no Python-level work per batch. None: take the full read path
        (a handshake or alert record came and was processed, end of stream,
        or a state this path leaves to it), which gives the same result.
        """
        conn = self._conn
        if not self._done or self._exact or self._eof_closed or conn.peer_closed or self._app:
            return None
        self._deadline = None
        sock = self._socket()
        fd = _fileno(sock)
        try:
            while True:
                size = self._recv_size
                try:
                    # The first nbytes of buffer (all of it for nbytes 0);
                    # an empty or unsuitable buffer is the full path's.
                    n = conn.receive_app_into(fd, size, buffer, nbytes)
                except BlockingIOError:
                    self._wait_ready(sock, select.POLLIN)
                    continue
                if n > 0:
                    if 2 * n >= size and size < _RECV_SIZE:
                        self._recv_size = min(2 * size, _RECV_SIZE)
                    return n
                if n < 0:
                    return None
        except BlockingIOError:
            raise want_read_error() from None
        except TimeoutError:
            raise TimeoutError("The read operation timed out") from None
        except ssl.SSLError:
            self._flush_alert()
            raise

    def _pull_record(self) -> bytes:
        """Read one whole TLS record (RFC 8446 §5.1: 5-byte header, then
        its length) and not a byte more."""
        sock = self._socket()
        header = self._partial
        while len(header) < 5:
            chunk = self._recv_some(sock, 5 - len(header))
            if not chunk:
                self._partial = b""
                return header  # b"" at EOF; a fragment makes the core wait
            header += chunk
            self._partial = header
        need = 5 + int.from_bytes(header[3:5], "big")
        record = header
        while len(record) < need:
            chunk = self._recv_some(sock, need - len(record))
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
                sent += self._send_some(sock, view[sent:])
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
        self._deadline = None
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
        self._deadline = None
        if self._steady and not self._wbuf and not self._first_write:
            # Traffic flows and nothing waits to be sent: the records go
            # onto the socket in the one step (Connection.send_app_fd).
            sock = self._sock_ref()
            if sock is not None:
                n = self._conn.send_app_fd(data, _fileno(sock))
                if n >= 0:
                    return n
                if n == -2:
                    return self._send_rest(sock, memoryview(data).nbytes)
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
        sock = self._socket()
        # Sealed and sent in one step without the GIL; what the socket did
        # not take at once is left to _send_rest.
        self._conn.send_application_data(data, _fileno(sock))
        return self._send_rest(sock, n)

    def _send_rest(self, sock: Any, n: int) -> int:
        """write()'s end, once the n bytes of data are sealed: send what
        the socket did not take at once (Connection.data_to_send)."""
        # From here on, with no message callback, write() may take the fast
        # path (after the first write, whose records _push_now pushes; the
        # Connection says when it applies).
        self._steady = self._tracer is None
        out = self._conn.data_to_send()
        if not out:
            if self._first_write:
                self._first_write = False
                self._push_now()
            if self._tracer is not None:
                self._tracer.raise_error()
            return n
        if _gettimeout(sock) is None:
            # Blocking: the records of this write in one system call.
            _sendall(sock, out)
            if self._first_write:
                self._first_write = False
                self._push_now()
            if self._tracer is not None:
                self._tracer.raise_error()
            return n
        self._wbuf = out
        if self._tracer is not None:
            self._tracer.raise_error()
        try:
            self._drain()
        except (ssl.SSLWantWriteError, TimeoutError):
            self._write_pending = n
            raise
        if self._first_write:
            self._first_write = False
            self._push_now()
        return n

    def read(self, len: int = 1024, buffer: Buffer | None = None) -> Any:
        """Read as TLSObject.read, all its socket waits within one timeout."""
        self._deadline = None
        return super().read(len, buffer)

    def _poll_tickets(self) -> None:
        """Process the records that have arrived, never blocking (the
        `session` property's look for tickets sent after the handshake)."""
        try:
            sock = self._socket()
            # Never waiting: with a timeout, recv() would first poll for as
            # long, even with MSG_DONTWAIT; the descriptor is non-blocking.
            timed = bool(_gettimeout(sock))
            fd = _fileno(sock)
            while True:
                if timed:
                    data = _read(fd, _RECV_SIZE)
                else:
                    data = _recv(sock, _RECV_SIZE, _socket.MSG_DONTWAIT)
                if not data:
                    return
                self._conn.receive_data(data)
                if self._conn.session_tickets:
                    return
        except (ssl.SSLError, OSError, ValueError):
            return

    def shutdown(self) -> Any:
        """unwrap(): exchange close_notify, then hand back the plain socket.

        Our close_notify is pushed past Nagle's algorithm at once (see
        _push_now): the peer often answers only when it has it, and behind
        unacknowledged data it would wait for the peer's delayed ACK.
        """
        self._deadline = None
        self._exact = True
        if self._done and not self._close_sent:
            self._close_sent = True
            self._conn.close()
            self._flush()
            self._push_now()
        return super().shutdown()

    def _push_now(self) -> None:
        """Send what the kernel holds back for Nagle's algorithm, now.

        Setting TCP_NODELAY pushes the pending segments; it is then put
        back as it was, so that plaintext sent after unwrap() keeps the
        socket's setting. Nothing is done on a socket that is not TCP or
        already has TCP_NODELAY.
        """
        sock = self._sock_ref()
        if sock is None or sock.family not in _INET_FAMILIES:
            return
        try:
            if not _getsockopt(sock, socket.IPPROTO_TCP, socket.TCP_NODELAY):
                _setsockopt(sock, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _setsockopt(sock, socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        except OSError:
            pass

    def _finish(self) -> None:
        super()._finish()
        if self.server_side and not self._answered_last:
            # Bytes we sent after the client's last flight (tickets) carry
            # its ACK already; a forced one would be an extra packet.
            self._ack_now()

    def _ack_now(self) -> None:
        """Server, handshake done: acknowledge the client's last flight now.

        A TLS 1.3 server has nothing to send after the client's Finished
        unless it issues tickets, so the kernel would delay the ACK of that
        flight (about 40 ms on Linux); a client with Nagle's algorithm on
        (the default) holds its first request until then. TCP_QUICKACK
        sends the pending ACK at once (and costs one system call per
        handshake); where it does not exist, or on a socket that is not
        TCP, nothing is done.
        """
        if _TCP_QUICKACK is None:
            return
        sock = self._sock_ref()
        if sock is None or sock.family not in _INET_FAMILIES:
            return
        try:
            _setsockopt(sock, socket.IPPROTO_TCP, _TCP_QUICKACK, 1)
        except OSError:
            pass

    def _transport_object(self) -> Any:
        return self._sock_ref()


# TLSObject.read itself: SSLSocket.recv/recv_into reset the deadline and
# call it without SocketTLSObject.read's frame.
_tls_read = TLSObject.read


class SSLSocket(ssl.SSLSocket):
    """ssl.SSLSocket over cytls: what `cytls.SSLContext.wrap_socket()` returns."""

    _sslobj: Any
    _cy_closed_sslobj: Any = None

    @property
    def session(self) -> Any:
        """The client's session (see TLSObject.session); unlike the ssl
        module's, it survives close(), clean or not."""
        obj = self._sslobj if self._sslobj is not None else self._cy_closed_sslobj
        return obj.session if obj is not None else None

    @session.setter
    def session(self, session: Any) -> None:
        self._session = session
        if self._sslobj is not None:
            self._sslobj.session = session

    def _real_close(self) -> None:
        if self._sslobj is not None:
            self._cy_closed_sslobj = self._sslobj
        super()._real_close()  # type: ignore[misc]

    def set_early_data(self, data: Buffer) -> None:
        """Client 0-RTT data for the resumed session: call before the
        handshake (wrap_socket(..., do_handshake_on_connect=False)); see
        TLSObject.set_early_data."""
        if self._sslobj is None:
            raise ValueError("the socket is not connected yet")
        self._sslobj.set_early_data(data)

    def read_early_data(self) -> bytes:
        """Server: the 0-RTT data received; see TLSObject.read_early_data."""
        if self._sslobj is None:
            return b""
        result: bytes = self._sslobj.read_early_data()
        return result

    @property
    def early_data_status(self) -> str | None:
        """See TLSObject.early_data_status."""
        return None if self._sslobj is None else self._sslobj.early_data_status

    def recv_into(self, buffer: Buffer, nbytes: int | None = None, flags: int = 0) -> int:
        """ssl.SSLSocket.recv_into, straight to the TLS read (the ssl
        module's recv_into and read frames only delegate, and readers call
        this once per batch); a ragged EOF is suppressed as there."""
        sslobj = self._sslobj
        if flags or buffer is None or type(sslobj) is not SocketTLSObject:
            result: int = super().recv_into(buffer, nbytes, flags)
            return result
        try:
            fast = sslobj.read_into_fast(buffer, nbytes or 0)
            if fast is not None:
                return fast
            sslobj._deadline = None
            n: int = _tls_read(sslobj, nbytes or 0, buffer)
        except ssl.SSLError as x:
            if x.args[0] == ssl.SSL_ERROR_EOF and self.suppress_ragged_eofs:  # type: ignore[attr-defined]
                return 0
            raise
        return n

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        """ssl.SSLSocket.recv, straight to the TLS read (see recv_into)."""
        sslobj = self._sslobj
        if flags or type(sslobj) is not SocketTLSObject:
            result: bytes = super().recv(buflen, flags)
            return result
        sslobj._deadline = None
        try:
            data: bytes = _tls_read(sslobj, buflen)
        except ssl.SSLError as x:
            if x.args[0] == ssl.SSL_ERROR_EOF and self.suppress_ragged_eofs:  # type: ignore[attr-defined]
                return b""
            raise
        return data

    def sendall(self, data: Buffer, flags: int = 0) -> None:
        """Send all of data (ssl.SSLSocket.sendall), as one TLS write.

        The ssl module's sendall calls send() until everything is taken;
        a cytls write always takes everything (or raises, keeping the
        encrypted rest for the retry), so one write does it, with no loop
        and no memoryview slices per call.
        """
        sslobj = self._sslobj
        if sslobj is None or flags:
            super().sendall(data, flags)
            return
        self._checkClosed()  # type: ignore[attr-defined]
        sslobj.write(data)

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

    def key_update(self, update_requested: bool = False) -> None:
        """TLS 1.3: send a KeyUpdate (see TLSObject.key_update; a cytls extension).

        Raises:
            ValueError: the socket is not connected.
            ssl.SSLError: before the handshake, or not TLS 1.3.
        """
        if self._sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        self._sslobj.key_update(update_requested)

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
