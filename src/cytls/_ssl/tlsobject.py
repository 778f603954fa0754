"""The adapter that drives one Connection with the ssl module's semantics.

Owns: `TLSObject`, which plays the part `_ssl._SSLSocket` plays for the ssl
module (do_handshake, read, write, shutdown, getpeercert, ...), with the ssl
module's semantics and exceptions (its session and 0-RTT attributes are
in tlssession.py, its after-handshake facts in tlsfacts.py); its memory-BIO
transport; `SSLSession`;
the per-thread record of the handshake in progress that a server's SNI hook
finds its connection by; `EngineContext`, what a TLSObject needs of its
context.
Must not: parse or build TLS messages (Connection does), own sockets
(sslsocket.py does), or import the context module (which sits above it).

Hot paths are thin on purpose: one `Connection` call per write, one
`receive_data` per batch of incoming bytes, no per-record Python work.
"""

from __future__ import annotations

import dataclasses
import ssl
import sys
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from cytls._pki import loading
from cytls._ssl.errors import eof_error, ssl_error, want_read_error, zero_return_error
from cytls._ssl.msgtrace import MsgTracer
from cytls._ssl.sessions import SSLSession
from cytls._ssl.tlsfacts import ConnectionFacts
from cytls._ssl.tlssession import SessionAccess

try:
    # The protocol core (and the C core under it), loaded with the adapters
    # as the ssl module loads OpenSSL when imported, so that the first
    # handshake does not pay for it.
    from cytls._connection import Connection
except ImportError:  # the C core is not built: TLSObject() raises it, clearly
    Connection = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from cytls._handshake.config import TLSConfig

_IGNORE_EOF = int(ssl.OP_IGNORE_UNEXPECTED_EOF)

__all__ = ["EngineContext", "SSLSession", "TLSObject", "current", "sni_dispatch"]


class EngineContext(Protocol):
    """What a TLSObject needs of its context; cytls.SSLContext provides it
    (and marks itself with `_cy_engine`, which a plain ssl.SSLContext lacks)."""

    _cy_engine: bool
    _cy_options: int
    _cy_stats: dict[str, int]
    _cy_check_hostname: bool
    _cy_verify_mode: int
    _cy_sni_callback: Callable[..., int | None] | None
    _cy_msg_callback: Callable[..., Any] | None
    dangerous_reuse_tickets: bool

    def _check_side(self, server_side: bool) -> None: ...

    def _note_peer_chain(self, certs: list[Any]) -> None: ...

    def _make_config(self, server_side: bool, server_hostname: str | None) -> TLSConfig: ...

    def _shared_config(self, server_side: bool) -> TLSConfig: ...

    def _wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool,
        server_hostname: str | None = None,
        *,
        owner: Any = None,
        session: Any = None,
    ) -> TLSObject: ...


def is_engine_context(ctx: Any) -> bool:
    """Whether `ctx` is a cytls context (not an OpenSSL one)."""
    return isinstance(ctx, ssl.SSLContext) and getattr(ctx, "_cy_engine", False) is True


# The TLSObject whose handshake is running on this thread. The protocol
# core calls a server's SNI hook with the name only, and server configs are
# shared by all connections of a context, so the hook finds its connection
# here (set by TLSObject.do_handshake around the calls that can reach it).
current = threading.local()


def sni_dispatch(server_name: str | None) -> int | TLSConfig | None:
    """The protocol core's SNI hook: run the current connection's callback."""
    tls: TLSObject | None = getattr(current, "tls", None)
    if tls is None:
        return None
    return tls._on_sni(server_name)

# The most ciphertext one pull takes from a memory BIO. Reads pull only when
# no decrypted data is buffered, so the plaintext a connection holds is
# bounded by one pull (or by the socket transport's recv size): a peer that
# floods a reader that does not read fills the BIO or the socket buffer,
# never this process's memory, and TCP flow control stops the peer.
MAX_PULL = 262144


def _writable_bytes(buffer: Any) -> memoryview:
    """buffer as a writable byte view, or the ssl module's TypeError for
    read()'s buffer (read-only, not contiguous, or no buffer at all)."""
    try:
        view = memoryview(buffer)
        if not view.readonly and view.c_contiguous:
            return view.cast("B")
    except TypeError:
        pass
    raise TypeError(
        f"read() argument 2 must be read-write bytes-like object, not {type(buffer).__name__}"
    )


class TLSObject(SessionAccess, ConnectionFacts):
    """One TLS connection with the interface of `_ssl._SSLSocket`.

    Subclasses provide the transport: `_pull()` returns incoming bytes (b""
    at end of stream) or raises SSLWantReadError; `_push(data)` sends.
    This class moves ciphertext over ssl.MemoryBIO objects.
    """

    _context: EngineContext
    # Immutable starting values live on the class (cheaper connections).
    _started = False
    _done = False
    # Whether the handshake ended with bytes of ours after the peer's last
    # flight (see SocketTLSObject._finish).
    _answered_last = False
    _close_sent = False
    _eof_closed = False
    _peercert: Any = None
    # The session of this connection's own tickets, made once so that
    # every read of `session` returns the same object.
    _session_obj: SSLSession | None = None
    _early_data: bytes | None = None
    _early_resent = False

    def __init__(
        self,
        context: EngineContext,
        server_side: bool,
        server_hostname: str | None,
        owner: Any,
        session: Any,
        incoming: ssl.MemoryBIO | None = None,
        outgoing: ssl.MemoryBIO | None = None,
    ) -> None:
        if Connection is None:
            raise ImportError("cytls._core is not built")
        if not is_engine_context(context):
            raise TypeError("The value must be a cytls SSLContext")
        context._check_side(server_side)
        if server_hostname is not None:
            if not server_hostname or server_hostname.startswith("."):
                raise ValueError(
                    "server_hostname cannot be an empty string or start with a leading dot."
                )
            if "\x00" in server_hostname:
                # _ssl.c parses the name with "es": a TypeError at the wrap.
                raise TypeError("argument must be encoded string without null bytes, not str")
            if len(server_hostname) > 255:
                # OpenSSL's SSL_set_tlsext_host_name refuses what SNI cannot carry.
                raise loading._ssl_error(
                    "SSL", "SSL3_EXT_INVALID_SERVERNAME", "ssl3 ext invalid servername", 1
                )
        self._context = context
        self.server_side = bool(server_side)
        self.server_hostname = server_hostname
        self._owner = weakref.ref(owner) if owner is not None else None
        self._session = session
        self._config = context._make_config(server_side, server_hostname)
        self._tracer: MsgTracer | None = None
        if context._cy_msg_callback is not None:
            # Per connection: the callback is given this connection's object.
            self._tracer = MsgTracer(context._cy_msg_callback, self._trace_target)
            shared = self._config
            self._config = dataclasses.replace(shared, message_callback=self._tracer)
            self._config.adopt_prepared(shared)
        try:
            # _make_config validated the config it built, and configs are
            # never changed afterwards.
            self._conn = Connection(self._config, validated=True)
        except ValueError as exc:  # an inconsistent config
            err = ssl.SSLError(1, f"[SSL] {exc}")
            err.library = "SSL"
            err.reason = None  # type: ignore[assignment]
            raise err from None
        # Optional core method that decrypts-to-buffer without a bytes copy.
        self._read_into = getattr(self._conn, "read_application_data_into", None)
        # The decrypted-data buffer, tested on every read and pending().
        self._app = self._conn.app_buffer
        self._incoming = incoming
        self._outgoing = outgoing
        self._ignore_eof = bool(int(context._cy_options) & _IGNORE_EOF)  # ints: IntFlag & is slow

    # -- transport (memory BIO) ------------------------------------------

    def _pull(self) -> bytes:
        incoming = self._incoming
        assert incoming is not None
        data = incoming.read(MAX_PULL)
        if data:
            return data
        if incoming.eof:
            return b""
        raise want_read_error()

    def _push(self, data: bytes) -> None:
        assert self._outgoing is not None
        self._outgoing.write(data)

    def _unread(self, data: bytes) -> None:
        """Give back the bytes that followed the peer's close_notify.

        OpenSSL reads a memory BIO record by record, so what follows the
        close_notify (clear text after a STARTTLS-style unwrap) stays in
        it; put it back, unless the caller wrote more or ended the BIO
        meanwhile (it cannot: this runs inside our own read).
        """
        incoming = self._incoming
        if incoming is not None and not incoming.pending and not incoming.eof:
            incoming.write(data)

    def _flush(self) -> bool:
        """Send what the connection queued; whether there was anything."""
        out = self._conn.data_to_send()
        if out:
            self._push(out)
        if self._tracer is not None:
            self._tracer.raise_error()
        return bool(out)

    def _trace_target(self) -> tuple[Any, int]:
        """For the message callback: our SSLObject / SSLSocket, and the
        version (negotiated, else the highest we offer)."""
        version = self._conn._ctx.version or self._config.max_version
        return (self.owner if self._owner is not None else self), version

    def _receive_more(self, into: memoryview | None = None) -> bool:
        """Pull one batch of bytes from the transport and process it.

        Args:
            into: the reader's buffer, which a transport may already copy
                the batch's plaintext into (see SocketTLSObject).

        Returns:
            False when the transport ended (nothing came), else True.
        """
        data = self._pull()
        if not data:
            return False
        self._feed(data)
        return True

    def _flush_alert(self) -> None:
        """After a fatal error in what the peer sent: send our alert, if the
        transport still takes it (the error being raised matters more)."""
        try:
            self._flush()
        except (OSError, ssl.SSLError):
            pass

    def _feed(self, data: bytes) -> None:
        """Give bytes to the Connection; on a fatal error, send its alert first."""
        conn = self._conn
        was_closed = conn.peer_closed
        try:
            conn.receive_data(data)
        except ssl.SSLError:
            self._flush_alert()
            raise
        if self._tracer is not None:
            self._tracer.raise_error()
        if conn.peer_closed and not was_closed:
            # The close_notify ended within `data`: what the record layer
            # left of it is the tail of `data`.
            left = conn.unread_bytes
            if 0 < left <= len(data):
                self._unread(bytes(data[len(data) - left :]))

    def _feed_app(self, data: bytes, limit: int) -> bytes | None:
        """_feed for a reader of bytes: up to limit bytes of plaintext when
        the batch held application data only (see
        Connection.receive_app_bytes), else None, the batch processed as
        _feed does."""
        conn = self._conn
        try:
            got = conn.receive_app_bytes(data, limit)
        except ssl.SSLError:
            self._flush_alert()
            raise
        if got is None and conn.peer_closed:
            # (Reads feed only while the peer has not closed.)
            left = conn.unread_bytes
            if 0 < left <= len(data):
                self._unread(bytes(data[len(data) - left :]))
        return got

    # -- attributes of _ssl._SSLSocket -------------------------------------

    @property
    def owner(self) -> Any:
        """The SSLObject or SSLSocket this object serves."""
        return self._owner() if self._owner is not None else None

    @property
    def context(self) -> EngineContext:
        """The context; a server's SNI callback may replace it."""
        return self._context

    @context.setter
    def context(self, ctx: EngineContext) -> None:
        if not is_engine_context(ctx):
            raise TypeError("The value must be a SSLContext")
        # Inside a server's SNI callback this switches the certificate served
        # (the ssl module's SSL_set_SSL_CTX); see _on_sni.
        self._context = ctx

    # -- handshake ----------------------------------------------------------

    def _on_sni(self, server_name: str | None) -> int | TLSConfig | None:
        """The Connection's SNI hook: call the user's (sslobject, name, context).

        Returns:
            None to go on, an alert number to abort, or, when the callback
            set `sslobject.context` to another context, that context's
            server config, whose certificate and key the Connection serves.
        """
        ctx = self._context
        callback = ctx._cy_sni_callback
        if callback is None:
            return None
        target = self.owner if self._owner is not None else self
        try:
            result = callback(target, server_name, ctx)
        except BaseException as exc:
            # As the ssl module: report the error and abort with handshake_failure.
            sys.unraisablehook(_Unraisable(exc, callback))  # type: ignore[arg-type]
            return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE
        if result is not None:
            if not isinstance(result, int):
                # _ssl.c: PyLong_AsLong fails, reported, and internal_error.
                exc = TypeError(
                    f"'{type(result).__name__}' object cannot be interpreted as an integer"
                )
                sys.unraisablehook(_Unraisable(exc, None))
                return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
            return int(result)
        if self._context is not ctx:
            return self._context._shared_config(True)
        return None

    def _start(self) -> None:
        self._started = True
        stats = self._context._cy_stats
        if self.server_side:
            stats["accept"] += 1
        else:
            if self._context._cy_check_hostname and not self.server_hostname:
                raise ValueError("check_hostname requires server_hostname")
            stats["connect"] += 1
            session = self._session
            if isinstance(session, SSLSession):
                ticket = session._take(self._context.dangerous_reuse_tickets)
                self._conn.set_session(ticket, self._early_data)
            elif self._early_data is not None:
                self._conn.set_session(None, self._early_data)
        self._conn.start_handshake()

    def _finish(self) -> None:
        self._done = True
        conn = self._conn
        stats = self._context._cy_stats
        stats["accept_good" if self.server_side else "connect_good"] += 1
        if conn.session_resumed:
            stats["hits"] += 1
        elif conn.psk_outcome in ("miss", "timeout"):
            stats["misses" if conn.psk_outcome == "miss" else "timeouts"] += 1
        self._note_trust_lookups()
        early = self._early_data
        if early and not self._early_resent:
            # What 0-RTT did not carry (all of it when rejected, the rest
            # past the ticket's limit) goes now, under the 1-RTT keys.
            self._early_resent = True
            taken = len(conn.early_data_sent) if conn.early_data_status == "accepted" else 0
            if taken < len(early):
                conn.send_application_data(early[taken:])
                self._flush()

    def _note_trust_lookups(self) -> None:
        """Tell the trust store which capath certificates the peer's chain
        made verification look up (see TrustStore.note_lookups)."""
        if self._context._cy_verify_mode == ssl.CERT_NONE:
            return
        certs = getattr(self._conn, "peer_certificates", None)
        if certs:
            self._context._note_peer_chain(list(certs))

    def do_handshake(self) -> None:
        """Run the handshake as far as the available bytes allow.

        Raises:
            ssl.SSLWantReadError: more bytes are needed from the peer.
            ssl.SSLEOFError: the peer closed the transport mid-handshake.
            ssl.SSLCertVerificationError: the peer's certificate was refused.
            ssl.SSLError: any other fatal TLS failure (the alert is sent).
        """
        if self._done:
            return
        if not self._started:
            self._start()
        try:
            if self.server_side:
                # Let the shared config's SNI hook find this connection.
                previous = getattr(current, "tls", None)
                current.tls = self
                try:
                    self._handshake_loop()
                finally:
                    current.tls = previous
            else:
                self._handshake_loop()
        except ssl.SSLCertVerificationError:
            self._note_trust_lookups()  # the lookups happened all the same
            raise

    def _handshake_loop(self) -> None:
        conn = self._conn
        while True:
            if conn.handshake_complete and self.server_side and self._app:
                if conn.version == 0x0304 and self._incoming is not None:
                    # Over memory BIOs (asyncio), when the client's first
                    # request came with its Finished: our tickets wait to
                    # go out with the answer, in one write (or before our
                    # close_notify). Sent now, they would go in a segment
                    # of their own, and a server socket with Nagle's
                    # algorithm on (asyncio leaves it on for a listener
                    # made by socket.create_server) would hold the answer
                    # until the client's delayed ACK of that segment,
                    # ~40 ms. A client that sent nothing more still gets
                    # them at once (below), which also ACKs its Finished.
                    # (SSLSocket sends them at once: its owner may close
                    # the socket under it without a write.)
                    if self._tracer is not None:
                        self._tracer.raise_error()
                    self._finish()
                    return
            sent = self._flush()
            if conn.handshake_complete:
                # Whether bytes of ours (tickets; a TLS 1.2 CCS and
                # Finished) answered the peer's last flight.
                self._answered_last = sent
                self._finish()
                return
            self._before_wait()
            data = self._pull()
            if not data:
                # OpenSSL, told to ignore an unexpected EOF, reports this
                # mid-handshake EOF as SSL_ERROR_ZERO_RETURN.
                raise zero_return_error() if self._ignore_eof else eof_error()
            self._feed(data)

    def _before_wait(self) -> None:
        """The handshake has sent what it had and is about to read: over
        memory BIOs nothing (our bytes are still in the outgoing BIO, and
        work now would hold them back); SocketTLSObject works ahead."""

    def _transport_eof(self) -> None:
        """The transport ended without close_notify after the handshake:
        SSLEOFError, or with OP_IGNORE_UNEXPECTED_EOF (read from the context
        when wrapped, as OpenSSL copies options) as if close_notify came."""
        if not self._ignore_eof:
            raise eof_error()
        self._eof_closed = True

    def _ensure_handshake(self) -> None:
        # OpenSSL's SSL_read/SSL_write run the handshake implicitly.
        if not self._done:
            self.do_handshake()

    # -- application data ---------------------------------------------------

    def read(self, len: int = 1024, buffer: Buffer | None = None) -> Any:
        """Read up to len decrypted bytes (into buffer, when given).

        Returns:
            bytes (or the count written into buffer); b"" / 0 once the peer
            has sent close_notify and this side has not.

        Raises:
            ssl.SSLZeroReturnError: close_notify went both ways (as OpenSSL's
                SSL_ERROR_ZERO_RETURN with both shutdown flags set).
            ssl.SSLWantReadError: no decrypted data and no more incoming bytes.
            ssl.SSLEOFError: the transport ended without close_notify.
            ValueError: a negative len.
        """
        if not self._done:
            self.do_handshake()
        conn = self._conn
        view = None
        if buffer is not None:
            view = _writable_bytes(buffer)
            if len <= 0 or len > view.nbytes:
                len = view.nbytes
        elif len < 0:
            raise ValueError("size should not be negative")
        if len == 0:
            return b"" if view is None else 0
        app = self._app
        incoming = self._incoming
        if (
            not app
            and incoming is not None
            and not incoming.pending
            and not incoming.eof
            and not conn.peer_closed
            and not self._eof_closed
        ):
            # An event loop reads until this: say so before any other work.
            raise want_read_error()
        target = None if view is None else view[:len]
        # Invariant: pull only when nothing is buffered (see MAX_PULL).
        while not app:
            if conn.peer_closed or self._eof_closed:
                if self._close_sent:
                    raise zero_return_error()
                return b"" if view is None else 0
            if incoming is not None:
                # A memory BIO (_pull and _receive_more inlined: this runs
                # once per batch an event loop hands over).
                data = incoming.read(MAX_PULL)
                if not data:
                    if not incoming.eof:
                        raise want_read_error()
                    self._transport_eof()
                    continue
                if view is None and self._tracer is None:
                    got = self._feed_app(data, len)
                    if got:
                        return got
                    if got is not None:
                        continue  # only part of a record: pull again
                else:
                    self._feed(data)
            elif not self._receive_more(target):
                self._transport_eof()
                continue
            out = conn.data_to_send()  # KeyUpdate answers, alerts
            if out:
                self._push(out)
        if view is None:
            return conn.read_application_data(len)
        read_into = self._read_into
        if read_into is not None:
            # Straight into the caller's buffer, no intermediate bytes object.
            n: int = read_into(target)
            return n
        chunk = conn.read_application_data(len)
        n = chunk.__len__()
        view[:n] = chunk
        return n

    def write(self, data: Buffer) -> int:
        """Encrypt and send all of data.

        Returns:
            the number of bytes taken (all of them).

        Raises:
            ssl.SSLWantReadError: the handshake needs more bytes first.
            ssl.SSLError: the connection was shut down.
        """
        if not self._done:
            self.do_handshake()
        if self._close_sent:
            raise ssl_error("PROTOCOL_IS_SHUTDOWN", "protocol is shutdown")
        if type(data) is bytes:
            n = data.__len__()
        else:
            data = memoryview(data).cast("B")  # any buffer, as bytes
            n = data.nbytes
        if n:
            conn = self._conn
            conn.send_application_data(data)
            out = conn.data_to_send()
            outgoing = self._outgoing
            if outgoing is not None:
                outgoing.write(out)  # _push, inlined
            else:
                self._push(out)
            if self._tracer is not None:
                self._tracer.raise_error()
        return n

    def pending(self) -> int:
        """Decrypted bytes ready to read without more input."""
        return len(self._app)

    def shutdown(self) -> Any:
        """Send close_notify and wait for the peer's (the ssl module's unwrap).

        Returns:
            the underlying socket for an SSLSocket, None for a memory BIO.

        Raises:
            ssl.SSLWantReadError: close_notify sent, the peer's not yet read.
            ssl.SSLEOFError: the transport ended before the peer's close_notify.
            ssl.SSLError: "[SSL: SHUTDOWN_WHILE_IN_INIT]" before the handshake ended.
        """
        if not self._done:
            raise ssl_error("SHUTDOWN_WHILE_IN_INIT", "shutdown while in init")
        conn = self._conn
        if not self._close_sent:
            self._close_sent = True
            conn.close()
        self._flush()
        while not (conn.peer_closed or self._eof_closed):
            data = self._pull()
            if not data:
                self._transport_eof()
                continue
            self._feed(data)
            if conn.pending_application_data():
                # OpenSSL's SSL_shutdown, waiting for the peer's close_notify,
                # fails on application data (read() would have taken it).
                conn.read_application_data()
                raise ssl_error(
                    "APPLICATION_DATA_AFTER_CLOSE_NOTIFY", "application data after close notify"
                )
            self._flush()
        return self._transport_object()

    def _transport_object(self) -> Any:
        return None

    def key_update(self, update_requested: bool = False) -> None:
        """TLS 1.3: send a KeyUpdate and switch our sending key (RFC 8446
        §4.6.3), as OpenSSL's SSL_key_update(); with update_requested the
        peer must answer with its own, which later reads process. A cytls
        extension (the ssl module has no KeyUpdate call).

        Raises:
            ssl.SSLError: before the handshake, or not TLS 1.3.
        """
        if not self._done:
            raise ssl_error("STILL_IN_INIT", "still in init")
        if self._conn.version != 0x0304:
            raise ssl_error("WRONG_SSL_VERSION", "wrong ssl version")
        self._conn.update_key(update_requested)
        self._flush()

    def verify_client_post_handshake(self) -> None:
        """Server: ask a TLS 1.3 client for its certificate after the
        handshake (RFC 8446 §4.6.2). The client's answer is processed by
        later reads; getpeercert() then returns it.

        As with OpenSSL, a server context with post_handshake_auth set (and
        CERT_OPTIONAL or CERT_REQUIRED) requests no certificate in a TLS 1.3
        handshake: this call is how it asks for one.

        Raises:
            ssl.SSLError: before the handshake, on a client, or when the
                client did not offer post-handshake authentication.
        """
        if not self._done:
            raise ssl_error("STILL_IN_INIT", "still in init")
        # OpenSSL's SSL_verify_client_post_handshake refusals, in its order.
        if self._conn.version != 0x0304:
            raise ssl_error("WRONG_SSL_VERSION", "wrong ssl version")
        if not self._conn.is_client and not self._conn._ctx.offered_pha:
            raise ssl_error("EXTENSION_NOT_RECEIVED", "extension not received")
        self._conn.request_client_certificate()
        self._peercert = None
        self._flush()


class _Unraisable:
    """What sys.unraisablehook expects, for an exception in an SNI callback."""

    def __init__(self, exc: BaseException, obj: Any) -> None:
        self.exc_type = type(exc)
        self.exc_value = exc
        self.exc_traceback = exc.__traceback__
        self.err_msg = None  # as _ssl.c's PyErr_WriteUnraisable(callback)
        self.object = obj
