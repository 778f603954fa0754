"""What the TLS 1.3 client and server state machines share.

Owns: the per-handshake context (transcript, key schedule, negotiated
values, the output side of the connection), the proof objects that carry
the results of the certificate, signature and Finished checks into
ExpectTraffic, and ExpectTraffic itself (post-handshake messages).
Must not: parse records or buffers; states receive whole handshake messages.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography import x509

from cytls import _messages as m
from cytls._config import Prepared, TLSConfig
from cytls._enums import ContentType
from cytls._enums import HandshakeType as HT
from cytls._errors import AlertDescription as AD
from cytls._errors import TLSAlert
from cytls._events import Event, KeyUpdated, NewSessionTicket, NewSessionTicketReceived, TraceEvent
from cytls._keyschedule import KeySchedule
from cytls._transcript import Transcript

if TYPE_CHECKING:
    from cytls._record import RecordLayer

__all__ = [
    "CertificateChecked",
    "Context",
    "ExpectTraffic",
    "FinishedChecked",
    "Hooks",
    "SignatureChecked",
    "State",
    "unexpected",
]

TLS13 = 0x0304
TLS12 = 0x0303
MAX_TICKETS = 8
# The groups TLS 1.2 ECDHE can use (RFC 8422 §5.1.1, RFC 7748).
GROUPS12 = frozenset({0x001D, 0x0017, 0x0018})


@dataclass
class Hooks:
    """Test-only injection points (RFC 8448 traces, deterministic runs).

    Attributes:
        random: our Hello random.
        session_id: client: legacy_session_id (b"" turns middlebox
            compatibility off).
        key_shares: client: {group: private key object} to use.
        server_private: server: the ephemeral private key object.
        client_hello: client: send exactly these ClientHello bytes
            (header included); they must match key_shares.
        ee_extra: server: extensions put first in EncryptedExtensions.
        sign: replaces the CertificateVerify signer: (scheme, content) -> sig.
    """

    random: bytes | None = None
    session_id: bytes | None = None
    key_shares: dict[int, Any] = field(default_factory=dict)
    server_private: Any = None
    client_hello: bytes | None = None
    ee_extra: list[tuple[int, bytes]] = field(default_factory=list)
    sign: Callable[[int, bytes], bytes] | None = None


class Context:
    """Everything one handshake accumulates, shared by its states."""

    def __init__(
        self,
        config: TLSConfig,
        record: RecordLayer,
        events: list[Event],
        trace: list[TraceEvent],
        hooks: Hooks | None,
    ) -> None:
        self.config = config
        self.prepared: Prepared = config.prepared()
        # The chain and key we present (the SNI callback may swap them).
        self.cert_config: TLSConfig = config
        self.cert_prepared: Prepared = self.prepared
        self.record = record
        self.events = events
        self.trace_list = trace
        self.hooks = hooks or Hooks()
        self.is_client = config.is_client
        self.role = "client" if config.is_client else "server"
        self.t0 = time.perf_counter()
        self.transcript = Transcript()
        self.ks: KeySchedule | None = None
        self.suite: int | None = None
        self.group: int | None = None
        self.alpn: str | None = None
        self.server_name: str | None = None
        self.client_random = b""
        self.peer_certificates: list[x509.Certificate] = []
        self.verified_chain: list[x509.Certificate] = []
        self.read_key_changed = False
        self.complete = False
        self.peer_record_limit: int | None = None
        self.client_auth_requested = False
        # Server: the suites in the ClientHello, in the client's order.
        self.peer_cipher_suites: list[int] = []
        self.offered_pha = False
        self.plain_alert_window = False
        # The transcript through the client Finished, kept for
        # post-handshake authentication (RFC 8446 §4.6.2).
        self.handshake_transcript: Transcript | None = None
        self.tickets: list[NewSessionTicket] = []
        # The negotiated version (0 until the Hellos are exchanged).
        self.version = 0
        self.client_hello_raw = b""
        # TLS 1.2: every handshake message so far (CertificateVerify signs
        # them whole), the PRF key schedule, and the first Finished
        # (RFC 5929 tls-unique).
        self.messages12 = bytearray()
        self.ks12: Any = None
        self.tls_unique: bytes | None = None
        self.warnings = 0

    # ------------------------------------------------------------ helpers

    def random(self, n: int) -> bytes:
        return os.urandom(n)

    def trace(self, step: str, **details: Any) -> None:
        self.trace_list.append(TraceEvent(time.perf_counter() - self.t0, self.role, step, details))

    def keylog(self, label: str, secret: bytes) -> None:
        cb = self.config.keylog
        if cb is not None:
            cb(f"{label} {self.client_random.hex()} {secret.hex()}")

    def send_handshake(self, data: bytes) -> None:
        self.record.send(ContentType.handshake, data)

    def set_read(self, secret: bytes) -> None:
        assert self.ks is not None and self.suite is not None
        key, iv = self.ks.traffic_key(secret)
        self.record.set_read_key(self.suite, key, iv, TLS13)
        self.read_key_changed = True

    def set_write(self, secret: bytes) -> None:
        assert self.ks is not None and self.suite is not None
        key, iv = self.ks.traffic_key(secret)
        self.record.set_write_key(self.suite, key, iv, TLS13)
        self.record.set_write_fragment_limit(self._write_limit())

    def _write_limit(self) -> int:
        """RFC 8449 §4: in TLS 1.3 the limit counts the inner content type
        byte, as the record layer's write limit does, while max_fragment
        counts content only: a full record carries max_fragment bytes."""
        own = self.config.max_fragment + 1
        return own if self.peer_record_limit is None else min(own, self.peer_record_limit)

    def apply_peer_record_limit(self, limit: int) -> None:
        """Adopt the peer's record_size_limit (64 stays valid)."""
        self.peer_record_limit = limit
        self.record.set_write_fragment_limit(self._write_limit())

    def check_finished(self, base_key: bytes, verify_data: bytes) -> FinishedChecked:
        """RFC 8446 §4.4.4: compare in constant time; decrypt_error if not."""
        assert self.ks is not None
        expected = self.ks.finished_verify_data(base_key, self.transcript.digest())
        if not hmac.compare_digest(expected, verify_data):
            raise TLSAlert(AD.decrypt_error, "Finished verify_data does not match")
        return FinishedChecked(expected)

    def finished_message(self, base_key: bytes) -> bytes:
        assert self.ks is not None
        return m.handshake(
            HT.finished, self.ks.finished_verify_data(base_key, self.transcript.digest())
        )


# ------------------------------------------------------------------ proofs


@dataclass(frozen=True, slots=True)
class CertificateChecked:
    """The peer chain was verified (or verification was switched off by
    configuration, or no certificate was asked for: then verified=False
    and `reason` says why)."""

    chain: list[x509.Certificate]
    verified_chain: list[x509.Certificate]
    verified: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SignatureChecked:
    """The peer's CertificateVerify signature verified (scheme 0: no
    certificate, so no signature was due)."""

    scheme: int


@dataclass(frozen=True, slots=True)
class FinishedChecked:
    """The peer's Finished matched."""

    verify_data: bytes


class State:
    """A handshake state: handle() takes one whole message and returns the
    next state. Subclasses are named for the message they wait for."""

    expected = "message"

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:  # pragma: no cover
        raise NotImplementedError

    def change_cipher_spec(self) -> State:
        """TLS 1.2: a ChangeCipherSpec record; only the states that wait
        for it accept it (RFC 5246 §7.1)."""
        raise TLSAlert(
            AD.unexpected_message,
            f"unexpected change_cipher_spec while waiting for {self.expected}",
        )


def unexpected(state: State, msg_type: int) -> TLSAlert:
    return TLSAlert(
        AD.unexpected_message,
        f"unexpected handshake message type {msg_type} while waiting for {state.expected}",
    )


class ExpectTraffic(State):
    """The handshake is done: post-handshake messages only.

    Args:
        ctx: the context.
        cert: proof that the peer certificate was checked.
        sig: proof that its CertificateVerify was checked.
        fin: proof that its Finished was checked.
    """

    expected = "post-handshake message"

    def __init__(
        self,
        ctx: Context,
        cert: CertificateChecked,
        sig: SignatureChecked,
        fin: FinishedChecked,
        client_app_secret: bytes,
        server_app_secret: bytes,
    ) -> None:
        if not isinstance(cert, CertificateChecked) or not isinstance(sig, SignatureChecked):
            raise TypeError("ExpectTraffic needs the certificate and signature proofs")
        if not isinstance(fin, FinishedChecked):
            raise TypeError("ExpectTraffic needs the Finished proof")
        self.ctx = ctx
        self.cert = cert
        self.sig = sig
        self.fin = fin
        if ctx.is_client:
            self.read_secret, self.write_secret = server_app_secret, client_app_secret
        else:
            self.read_secret, self.write_secret = client_app_secret, server_app_secret
        self.closed_for_write = False
        self.update_pending = False
        # Server: a post-handshake authentication in progress.
        self.pha: Any = None

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        ctx = self.ctx
        if msg_type == HT.key_update:
            requested = m.parse_key_update(body)
            # RFC 8446 §4.6.3: the peer's next message uses the new key.
            ks = ctx.ks
            assert ks is not None
            self.read_secret = ks.next_traffic_secret(self.read_secret)
            ctx.set_read(self.read_secret)
            ctx.trace("receive KeyUpdate", update_requested=requested)
            if requested:
                # RFC 8446 §4.6.3: answer before our next application
                # data. The answer goes out with the next data_to_send(),
                # so a flood of requests costs one KeyUpdate, not one each.
                self.update_pending = True
            ctx.events.append(KeyUpdated(requested))
            return self
        if msg_type == HT.new_session_ticket and ctx.is_client:
            self._ticket(body)
            return self
        if self.pha is not None and msg_type in (
            HT.certificate,
            HT.certificate_verify,
            HT.finished,
        ):
            if self.pha.handle(msg_type, body, raw, self.read_secret):
                self.pha = None
            return self
        if msg_type == HT.certificate_request and ctx.is_client:
            from cytls._client13 import post_handshake_auth

            post_handshake_auth(ctx, body, raw, self.write_secret)
            return self
        raise unexpected(self, msg_type)

    def flush_key_update(self) -> None:
        """Send the KeyUpdate the peer asked for, if one is owed."""
        if self.update_pending:
            self.update_pending = False
            if not self.closed_for_write:
                self.send_key_update(False)

    def send_key_update(self, request_peer: bool) -> None:
        self.update_pending = False
        ctx = self.ctx
        ks = ctx.ks
        assert ks is not None
        ctx.send_handshake(m.handshake(HT.key_update, b"\x01" if request_peer else b"\x00"))
        self.write_secret = ks.next_traffic_secret(self.write_secret)
        ctx.set_write(self.write_secret)
        ctx.trace("send KeyUpdate", update_requested=request_peer)

    def _ticket(self, body: bytes) -> None:
        ctx = self.ctx
        msg = m.NewSessionTicketMsg.parse(body)
        max_early = 0
        for etype, ebody in msg.extensions.items():
            if etype == 0x002A:  # early_data
                max_early = m.parse_early_data_nst(ebody)
        assert ctx.ks is not None and ctx.suite is not None
        ticket = NewSessionTicket(
            lifetime=msg.lifetime,
            age_add=msg.age_add,
            nonce=msg.nonce,
            ticket=msg.ticket,
            max_early_data_size=max_early,
            cipher_suite=ctx.suite,
            psk=ctx.ks.resumption_psk(msg.nonce),
            server_name=ctx.config.server_hostname,
            alpn_protocol=ctx.alpn,
            received_at=time.time(),
        )
        ctx.tickets.append(ticket)
        # Keep the newest few: a server may send any number of tickets.
        del ctx.tickets[:-MAX_TICKETS]
        ctx.events.append(NewSessionTicketReceived(ticket))
        ctx.trace("receive NewSessionTicket", lifetime=msg.lifetime, size=len(msg.ticket))
