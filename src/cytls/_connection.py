"""The sans-IO TLS connection: bytes in, bytes and events out.

Owns: the glue between the record layer, handshake message reassembly and
the per-role state machine; the application data buffer; alerts in both
directions. The read-only view of what was negotiated is NegotiatedView
(_connection_view).
Must not: touch sockets, clocks used for timeouts, or threads. Every fatal
error is a TLSAlert, the alert to send is queued in data_to_send() before it
is raised, and every later call re-raises the same exception.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from cytls._connection_view import NegotiatedView
from cytls._handshake.client import start_client
from cytls._handshake.config import TLSConfig
from cytls._handshake.psk13 import ExpectEndOfEarlyData
from cytls._handshake.server import ExpectClientHello
from cytls._handshake.server13 import request_certificate
from cytls._handshake.state import Context, ExpectTraffic, Hooks, State
from cytls._record import KEY_UPDATE_AFTER, RecordLayer, TracingRecordLayer
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert, api_error
from cytls._wire.enums import ContentType
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.events import (
    AlertReceived,
    ApplicationDataReceived,
    ConnectionClosed,
    EarlyDataReceived,
    Event,
    NewSessionTicket,
    TraceEvent,
)
from cytls._wire.messages import MAX_CLIENT_HELLO

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["Connection"]

# A TLS 1.3 middlebox-compatibility ChangeCipherSpec record (RFC 8446 §D.4).
_DUMMY_CCS = b"\x14\x03\x03\x00\x01\x01"
_APPLICATION_DATA = int(ContentType.application_data)


def _readv_into(fd: int, buffer: memoryview) -> int:
    return os.readv(fd, [buffer])


class Connection(NegotiatedView):
    """One TLS connection, client or server, without I/O.

    An adapter loop: feed received bytes to `receive_data`, act on the
    events, and write out `data_to_send()` after every call.

    Args:
        config: the settings (shared, never mutated).
        hooks: test-only injection of randoms, ephemeral keys and messages.
        session: client: a ticket (from `session_tickets`) to resume with;
            it is offered only while valid for config.server_hostname.
        early_data: client: 0-RTT data sent right after the ClientHello
            when the ticket allows early data (cut to its limit). Whether
            the server took it is `early_data_status`; when "rejected",
            the application sends it again after the handshake.
        validated: the caller already ran config.validate() on this very
            config and never changes it afterwards (the ssl layer does, once
            per config it builds): its precomputed state is then reused
            without re-checking the inputs it was built from.

    Raises:
        ValueError: the config is inconsistent (see TLSConfig.validate).
    """

    # Immutable starting values live on the class (cheaper connections).
    peer_closed = False
    closed = False
    _state: State | None = None
    _error: TLSAlert | None = None
    _started = False

    def __init__(
        self,
        config: TLSConfig,
        *,
        hooks: Hooks | None = None,
        session: NewSessionTicket | None = None,
        early_data: bytes | None = None,
        validated: bool = False,
    ) -> None:
        if not validated:
            config.validate()
        self.config = config
        self.is_client = config.is_client
        self.trace: list[TraceEvent] = []
        self._events: list[Event] = []
        # A message hook (the ssl module's _msg_callback) sees every record
        # and message; without one the record layer stays C-only.
        self._msg_hook = config.message_callback
        hook = self._msg_hook
        self._record = RecordLayer() if hook is None else TracingRecordLayer(hook)
        self._record.set_write_fragment_limit(config.max_fragment)
        # A validated config is never changed afterwards (the ssl layer's
        # contract): its precomputed state, once built, needs no re-check.
        prepared = config._prepared_cache if validated else None
        self._ctx = Context(config, self._record, self._events, self.trace, hooks, prepared)
        if config.is_client:
            self._ctx.session = session
            self._ctx.early_data = bytes(early_data) if early_data is not None else None
        self._hs_buffer = bytearray()
        # The longest handshake message body accepted: any legal ClientHello
        # (RFC 8446 §4.1.2), and what the config allows for the others.
        self._max_message = config.max_handshake_message
        self._pre_buffer = bytearray()
        self._early = bytearray()
        if not config.is_client:
            self._state = ExpectClientHello(self._ctx)
            self._started = True

    # --------------------------------------------------------------- errors

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def _fail(self, exc: TLSAlert) -> TLSAlert:
        """Record a fatal error; queue our alert unless it was received."""
        self._error = exc
        if not exc.received:
            try:
                self._record.send(ContentType.alert, bytes((2, exc.description)))
            except Exception:  # the alert is best effort
                pass
            self._ctx.trace("send alert", description=exc.description)
        self.closed = True
        return exc

    # ------------------------------------------------------------- handshake

    def set_session(self, session: NewSessionTicket | None, early_data: bytes | None) -> None:
        """Client, before start_handshake: the ticket to resume with and
        the 0-RTT data (see the constructor's session and early_data)."""
        if self.is_client and not self._started:
            self._ctx.session = session
            self._ctx.early_data = early_data

    def start_handshake(self) -> None:
        """Client: queue the ClientHello. Server: nothing (it waits).

        Raises:
            TLSAlert: the connection already failed.
        """
        self._check()
        if self._started:
            return
        self._started = True
        try:
            self._state = start_client(self._ctx)
        except TLSAlert as exc:
            raise self._fail(exc) from None

    def work_ahead(self) -> None:
        """Call when the transport is about to wait for the peer, having
        sent everything: the handshake computes, ahead, what the peer's
        expected next message will need (a TLS 1.3 server: its tickets,
        while the client checks our flight). Nothing is sent and no
        outcome changes; it only moves work off the path from the peer's
        message to our answer. A no-op once the handshake is over, or
        failed, or in any state with nothing to prepare.
        """
        state = self._state
        if self._error is None and state is not None and not self._ctx.complete:
            try:
                state.work_ahead()
            except Exception:
                # Only a head start: the message's own processing does the
                # same work again, and ends the connection with the right
                # alert if it fails there too.
                return

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
        if self._error is not None:
            raise self._error
        if not self._started:
            self.start_handshake()
        if self.peer_closed or not data:
            self._events.clear()
            return []
        return self._process(data)

    def receive_via(self, recv_into: Callable[[memoryview], int], size: int) -> int:
        """Receive up to size bytes through recv_into(buffer) (a socket's
        recv_into), written straight into the record layer's input buffer,
        and process them as receive_data does (events: see events_received).

        Returns:
            What recv_into returned (0 at end of stream: nothing processed).

        Raises:
            Whatever recv_into raises (nothing is taken then); as receive_data.
        """
        self._check()
        if not self._started:
            self.start_handshake()
        if self._ctx.plain_alert_window or self.peer_closed:
            chunk = bytearray(size)
            n: int = recv_into(memoryview(chunk))
            if n:
                self.receive_data(bytes(chunk[:n]))
            return n
        n = self._record.fill(recv_into, size)
        if n:
            self._process(b"")
        return n

    def receive_fd(self, fd: int, size: int, into: memoryview | None = None) -> int:
        """As receive_via, with the record layer calling recv() on the
        adapter's socket descriptor itself, the GIL released, and (once
        the handshake is done) opening the records in the same step, and
        copying their plaintext into `into` when nothing was buffered (the
        read_application_data_into(into) that follows then copies nothing).

        Returns:
            The count received (0 at end of stream: nothing processed).

        Raises:
            OSError: recv() failed (nothing is taken then); as receive_data.
        """
        self._check()
        if not self._started:
            self.start_handshake()
        ctx = self._ctx
        if ctx.plain_alert_window or self.peer_closed or self._msg_hook is not None:
            return self.receive_via(partial(_readv_into, fd), size)
        # Opened at once only where _receive accepts application data
        # without looking at what each record changed.
        open_now = (
            ctx.complete
            and not self._hs_buffer
            and not isinstance(self._state, ExpectEndOfEarlyData)
        )
        n: int = self._record.fill_fd(fd, size, open_now, into)
        if n:
            self._process_buffered()
        return n

    def receive_app_into(self, fd: int, size: int, into: Buffer, limit: int = 0) -> int:
        """The socket reader's fast path once traffic flows: as receive_fd
        with `into`, but a batch of application data only goes straight
        into `into` with no Python-level processing (and no event).

        Returns:
            The bytes written into `into` (0: only part of a record came;
            read again), -1 at end of stream, -2 when a batch that needed
            the Connection was processed as receive_fd does (its data, if
            any, is in the read buffer), or -3 when this path does not
            apply now (nothing received; use receive_fd).

        Raises:
            OSError: recv() failed (nothing is taken then); as receive_data.
        """
        if not self._traffic_only():
            return -3
        n: int = self._record.recv_app_into(fd, size, into, limit)
        if n == -2:
            self._process_buffered()
        return n

    def receive_app_bytes(self, data: bytes, limit: int) -> bytes | None:
        """The memory-BIO reader's fast path once traffic flows: as
        receive_data(data), then read_application_data(limit), with a batch
        of application data only opened straight into the bytes returned.

        Returns:
            Up to limit bytes (b"": only part of a record came), or None
            when the batch was processed as receive_data does.

        Raises:
            As receive_data.
        """
        if not self._traffic_only():
            self.receive_data(data)
            return None
        out: bytes | None = self._record.open_app_bytes(data, limit)
        if out is None:
            self._process_buffered()
        return out

    def _traffic_only(self) -> bool:
        # Whether received records may skip the checks of _receive: what
        # can come now is application data, or goes through _receive.
        ctx = self._ctx
        return not (
            self._error is not None
            or not ctx.complete
            or self._hs_buffer
            or ctx.plain_alert_window
            or self.peer_closed
            or self._msg_hook is not None
        )

    def _process_buffered(self) -> None:
        # _process of what the record layer holds, without the events list
        # it returns (nobody reads it).
        self._events.clear()
        try:
            self._receive_ending_on_failure(b"")
        finally:
            self._events.clear()

    def _process(self, data: bytes | bytearray | memoryview) -> list[Event]:
        events = self._events
        events.clear()
        self._receive_ending_on_failure(data)
        out = list(events)
        events.clear()
        return out

    def _receive_ending_on_failure(self, data: bytes | bytearray | memoryview) -> None:
        """_receive; a failure ends the connection with its alert (_fail)."""
        try:
            self._receive(data)
        except TLSAlert as exc:
            raise self._fail(exc) from None
        except Exception as exc:  # a bug must still end the connection cleanly
            alert = TLSAlert(AD.internal_error, f"internal error: {exc!r}")
            raise self._fail(alert) from exc

    def _receive(self, data: bytes | bytearray | memoryview) -> None:
        record = self._record
        if self._ctx.plain_alert_window:
            data = self._plain_alerts(data)
            if not data:
                return
        if data:
            record.feed(data)
        app = record.app_data
        ctx = self._ctx
        while True:
            before = len(app)
            during = not ctx.complete or bool(self._hs_buffer)
            seq = record.read_seq if during else 0
            item = record.receive()
            grown = len(app) - before
            if not during:
                if grown:
                    self._events.append(ApplicationDataReceived(grown))
            elif isinstance(self._state, ExpectEndOfEarlyData) and not self._hs_buffer:
                if grown:
                    # RFC 8446 §4.2.10: accepted 0-RTT data, under the early key.
                    self._take_early(app, before)
            elif grown or self._opened_data(seq, item):
                # RFC 8446 §5.1: no application data before the handshake
                # ends, nor inside a fragmented message; not even an empty
                # record (§5.4 allows those only as traffic).
                del app[before:]
                raise TLSAlert(AD.unexpected_message, "application data during the handshake")
            if item is None:
                return
            ctype, payload = item
            if ctype == ContentType.handshake:
                self._handshake_bytes(payload)
            elif ctype == ContentType.alert:
                if self._hs_buffer:
                    raise TLSAlert(AD.unexpected_message, "alert inside a handshake message")
                self._alert(payload)
                if self.peer_closed:
                    return
            elif ctype == ContentType.change_cipher_spec and ctx.version == 0x0303:
                # RFC 5246 §7.1: the state that waits for it switches the
                # read key; it must not split a handshake message.
                state = self._state
                assert state is not None
                if self._hs_buffer or payload != b"\x01":
                    raise TLSAlert(AD.unexpected_message, "unexpected change_cipher_spec")
                self._state = state.change_cipher_spec()
            elif ctype == ContentType.change_cipher_spec:
                # RFC 8446 §5: a dummy CCS (middlebox compatibility) is
                # dropped between the first ClientHello and the peer's
                # Finished; anywhere else it is unexpected.
                if ctx.complete or self._hs_buffer or not self._ccs_allowed():
                    raise TLSAlert(AD.unexpected_message, "unexpected change_cipher_spec")
            else:
                # Application data before any read key, or an unknown type.
                raise TLSAlert(AD.unexpected_message, f"unexpected record type {ctype}")

    def _opened_data(self, seq: int, item: tuple[int, bytes] | None) -> bool:
        """Whether the last receive() opened an application data record
        (perhaps empty) under the read key: it advanced the sequence number
        (which skipped 0-RTT records do not) by more than the one protected
        record it returned, if any (a CCS or a record before any read key
        is never protected)."""
        record = self._record
        returned = (
            item is not None
            and item[0] != ContentType.change_cipher_spec
            and record.read_version is not None
        )
        return record.read_seq - seq > (1 if returned else 0)

    def _take_early(self, app: bytearray, before: int) -> None:
        """Server: 0-RTT data (RFC 8446 §4.2.10) goes to the early buffer;
        past the ticket's max_early_data, unexpected_message."""
        ctx = self._ctx
        n = len(app) - before
        ctx.early_received += n
        if ctx.early_received > ctx.early_limit:
            del app[before:]
            raise TLSAlert(AD.unexpected_message, "more early data than max_early_data")
        self._early += app[before:]
        del app[before:]
        self._events.append(EarlyDataReceived(n))

    def read_early_data(self) -> bytes:
        """Server: take the 0-RTT data received so far (it may be a replay:
        act on it only as an idempotent request, RFC 8446 §8)."""
        out = bytes(self._early)
        self._early.clear()
        return out

    def _plain_alerts(self, data: bytes | bytearray | memoryview) -> bytes:
        """Server, between its flight and the client's first protected
        record: take plaintext alerts (and dummy CCS records) off the front
        of the stream; return the rest for the record layer."""
        pre = self._pre_buffer
        if (
            not pre
            and data[:6] == _DUMMY_CCS
            and len(data) > 6
            and data[6] == _APPLICATION_DATA
            and self._msg_hook is None
        ):
            # The usual case: the dummy CCS, then the client's first
            # protected record (what the loop below does, without copies).
            self._ctx.plain_alert_window = False
            return bytes(data[6:])
        pre += data
        while len(pre) >= 5:
            ctype = pre[0]
            length = (pre[3] << 8) | pre[4]
            if ctype not in (ContentType.alert, ContentType.change_cipher_spec):
                break
            if len(pre) < 5 + length:
                return b""
            payload = bytes(pre[5 : 5 + length])
            if self._msg_hook is not None:  # (the record layer never sees it)
                self._msg_hook("read", 256, bytes(pre[:5]))
            del pre[: 5 + length]
            if ctype == ContentType.change_cipher_spec:
                if payload != b"\x01":
                    raise TLSAlert(AD.unexpected_message, "malformed change_cipher_spec")
                continue
            self._alert(payload)
            if self.peer_closed:
                return b""
        if len(pre) < 5 and pre and pre[0] in (ContentType.alert, ContentType.change_cipher_spec):
            return b""
        self._ctx.plain_alert_window = False
        rest = bytes(pre)
        pre.clear()
        return rest

    def _ccs_allowed(self) -> bool:
        return not isinstance(self._state, ExpectClientHello)

    def _handshake_bytes(self, payload: bytes) -> None:
        buf = self._hs_buffer
        buf += payload
        ctx = self._ctx
        while len(buf) >= 4:
            length = (buf[1] << 16) | (buf[2] << 8) | buf[3]
            if length > (MAX_CLIENT_HELLO if buf[0] == HT.client_hello else self._max_message):
                # Refused from its header, before the body is buffered.
                raise TLSAlert(AD.decode_error, "handshake message too long")
            if len(buf) < 4 + length:
                return
            raw = bytes(buf[: 4 + length])
            del buf[: 4 + length]
            state = self._state
            assert state is not None
            ctx.read_key_changed = False
            if self._msg_hook is not None:
                self._msg_hook("read", ContentType.handshake, raw)
            self._state = state.handle(raw[0], raw[4:], raw)
            if ctx.complete and ctx.client_hello_raw:
                # Only a TLS 1.2 ServerHello reads it: an idle connection
                # need not keep its ClientHello (over a kilobyte with ML-KEM).
                ctx.client_hello_raw = b""
            if ctx.read_key_changed and buf:
                # RFC 8446 §5.1: a key change must fall on a record boundary.
                raise TLSAlert(AD.unexpected_message, "handshake data left under the old key")

    def _alert(self, payload: bytes) -> None:
        if len(payload) != 2:
            raise TLSAlert(AD.decode_error, "alert record of the wrong length")
        level, description = payload[0], payload[1]
        self._ctx.trace("receive alert", level=level, description=description)
        if self._msg_hook is not None:
            self._msg_hook("read", ContentType.alert, bytes(payload))
        if description == AD.close_notify:
            self.peer_closed = True
            self._events.append(AlertReceived(description, level))
            self._events.append(ConnectionClosed())
            return
        if description == AD.user_canceled:
            self._events.append(AlertReceived(description, level))
            return
        if level == 1 and self._ctx.version == 0x0303 and description != AD.unexpected_message:
            # RFC 5246 §7.2: TLS 1.2 warnings are not fatal (a peer refusing
            # renegotiation sends no_renegotiation); a flood of them is.
            ctx = self._ctx
            ctx.warnings += 1
            if ctx.warnings > 16:
                raise TLSAlert(AD.unexpected_message, "too many warning alerts")
            self._events.append(AlertReceived(description, level))
            return
        # RFC 8446 §6.2: every other alert is fatal, whatever its level.
        raise TLSAlert(description, received=True)

    # ------------------------------------------------------------- data flow

    def data_to_send(self) -> bytes:
        """Take the bytes queued for the peer (may be empty)."""
        state = self._state
        if isinstance(state, ExpectTraffic) and state.update_pending and self._error is None:
            state.flush_key_update()
        return self._record.take_outgoing()

    def _traffic(self) -> ExpectTraffic:
        self._check()
        state = self._state
        if not isinstance(state, ExpectTraffic):
            raise api_error("the handshake is not complete")
        return state

    def send_application_data(
        self, data: bytes | bytearray | memoryview, fd: int = -1
    ) -> None:
        """Encrypt application data into records queued for the peer.

        Args:
            data: the bytes to send.
            fd: an adapter's socket descriptor: the record layer sends the
                records to it at once, the GIL released (what the socket
                does not take stays in data_to_send()). -1: queue only.

        Raises:
            ssl.SSLError: the handshake is not complete, or we closed.
            TLSAlert: the connection failed earlier.
        """
        state = self._state
        if self._error is not None or not isinstance(state, ExpectTraffic):
            state = self._traffic()  # raises
        if self.closed:
            raise api_error("the connection is closed for writing")
        if self.peer_closed and self._ctx.version == 0x0303:
            # RFC 5246 §7.2.1: after the peer's close_notify, TLS 1.2 sends
            # nothing but its own. (TLS 1.3 half-closes, RFC 8446 §6.1.)
            raise api_error("the peer sent close_notify: nothing more is sent but ours")
        if state.update_pending:
            state.flush_key_update()
        record = self._record
        if fd >= 0 and self._msg_hook is None:
            record.send_fd(fd, data)
        else:
            record.send(ContentType.application_data, data)
        # (The sequence number, read in C, spares the call on every write.)
        if record._write.seq >= KEY_UPDATE_AFTER and record.needs_key_update():
            state.send_key_update(False)

    def send_app_fd(self, data: Buffer, fd: int) -> int:
        """The socket writer's fast path once traffic flows: as
        send_application_data(data, fd) followed by data_to_send(), when
        that would seal the records straight onto the socket and leave
        nothing to take.

        Returns:
            The bytes taken (all of data), all sent; -1 when this path does
            not apply now (nothing is done: use send_application_data);
            -2 when data was taken but data_to_send() has bytes the socket
            did not take (the KeyUpdate that the write key's limit asks for,
            if it does, is queued after them, as send_application_data does).

        Raises:
            As send_application_data.
        """
        state = self._state
        if (
            self._error is not None
            or not isinstance(state, ExpectTraffic)
            or state.update_pending
            or self.closed
            or self.peer_closed
            or self._msg_hook is not None
        ):
            return -1
        record = self._record
        n: int = record.send_app(fd, data, KEY_UPDATE_AFTER)
        if n == -2 and record._write.seq >= KEY_UPDATE_AFTER and record.needs_key_update():
            state.send_key_update(False)
        return n

    def read_application_data(self, max_bytes: int = -1) -> bytes:
        """Take up to max_bytes (-1: all) of decrypted application data."""
        return self._record.take_app_data(max_bytes)

    def read_application_data_into(self, buffer: memoryview | bytearray) -> int:
        """Move up to len(buffer) bytes of decrypted application data into
        buffer (a writable buffer), with no intermediate bytes object.

        Returns:
            The number of bytes written (0 when none is buffered).
        """
        n: int = self._record.take_app_data_into(buffer)
        return n

    @property
    def unread_bytes(self) -> int:
        """Received bytes the record layer has not consumed: after the
        peer's close_notify, whatever followed it (clear text, say)."""
        return int(self._record.bytes_buffered)

    def pending_application_data(self) -> int:
        """How many decrypted bytes wait in the read buffer."""
        return len(self._record.app_data)

    @property
    def app_buffer(self) -> bytearray:
        """The read buffer itself (the same object for the connection's
        life), for adapters that test `len()` or truth on every call;
        read-only to them: take data with read_application_data(_into)."""
        return self._record.app_data

    def close(self) -> None:
        """Queue a close_notify alert; nothing may be sent afterwards."""
        if self.closed:
            return
        self.closed = True
        if isinstance(self._state, ExpectTraffic):
            self._state.closed_for_write = True
        if self._error is None and self._started:
            self._record.send(ContentType.alert, b"\x01\x00")
            self._ctx.trace("send alert", description=0)

    def update_key(self, request_peer: bool = True) -> None:
        """Send a KeyUpdate and switch our sending key (RFC 8446 §4.6.3).

        Args:
            request_peer: ask the peer to update its sending key too.

        Raises:
            ssl.SSLError: the handshake is not complete.
        """
        state = self._traffic()
        state.send_key_update(request_peer)

    def request_client_certificate(self) -> None:
        """Server: ask for a client certificate after the handshake
        (RFC 8446 §4.6.2; the ssl module's verify_client_post_handshake).

        The client's answer arrives through receive_data; when it has been
        verified, peer_certificates and verified_chain hold it. A client
        that refuses when verify_mode is 2 fails with certificate_required.

        Raises:
            ssl.SSLError: not a server, the handshake is not complete, or
                the client did not offer post_handshake_auth.
        """
        state = self._traffic()
        if self.is_client:
            raise api_error("only a server can request a client certificate")
        if not self._ctx.offered_pha:
            raise api_error("the client did not offer post-handshake authentication")
        if state.pha is not None:
            raise api_error("a post-handshake authentication is already in progress")
        state.pha = request_certificate(self._ctx)

    def export_keying_material(self, label: bytes, context: bytes | None, length: int) -> bytes:
        """RFC 8446 §7.5 exporter (RFC 5705 interface); in TLS 1.2 the
        RFC 5705 exporter over the extended master secret.

        Args:
            label: the exporter label.
            context: the context value; None and b"" are the same in TLS 1.3
                but not in TLS 1.2.
            length: bytes to derive.

        Returns:
            length bytes of keying material.

        Raises:
            ssl.SSLError: the handshake is not complete.
        """
        self._traffic()
        if self._ctx.version == 0x0303:
            ks12 = self._ctx.ks12
            assert ks12 is not None
            return bytes(ks12.export(label, context, length))
        ks = self._ctx.ks
        assert ks is not None
        return ks.export(label, context, length)
