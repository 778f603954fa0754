"""What every handshake state machine shares: both versions, both roles.

Owns: the per-handshake context (transcript, key schedule, negotiated
values, the output side of the connection), the proof objects that carry
the results of the certificate, signature and Finished checks into
ExpectTraffic, the State base class, and ExpectTraffic, the base of both
versions' application-data states.
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

from cytls._handshake.config import Prepared, TLSConfig
from cytls._handshake.keyschedule import KeySchedule
from cytls._handshake.transcript import Transcript
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import ContentType
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.events import Event, NewSessionTicket, TraceEvent

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
_new_tuple = tuple.__new__
# The groups TLS 1.2 ECDHE can use (RFC 8422 §5.1.1, RFC 7748).
GROUPS12 = frozenset({0x001D, 0x001E, 0x0017, 0x0018, 0x0019})


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


# Read only: the states read hooks and never change them.
_NO_HOOKS = Hooks()


class Context:
    """Everything one handshake accumulates, shared by its states."""

    # Immutable starting values live on the class: a handshake sets the
    # few it reaches, and a new connection does not pay for the rest.
    ks: KeySchedule | None = None
    suite: int | None = None
    group: int | None = None
    alpn: str | None = None
    server_name: str | None = None
    client_random = b""
    read_key_changed = False
    complete = False
    peer_record_limit: int | None = None
    client_auth_requested = False
    offered_pha = False
    plain_alert_window = False
    # The transcript through the client Finished, kept for
    # post-handshake authentication (RFC 8446 §4.6.2).
    handshake_transcript: Transcript | None = None
    # The negotiated version (0 until the Hellos are exchanged).
    version = 0
    client_hello_raw = b""
    # TLS 1.2: the PRF key schedule, and the first Finished (RFC 5929
    # tls-unique). TLS 1.3 has no tls-unique (RFC 8446 §C.5); OpenSSL's
    # value there, which the ssl module returns, is the client's
    # handshake Finished, kept here too.
    ks12: Any = None
    tls_unique: bytes | None = None
    warnings = 0
    # Resumption (psk13.py). Client: the ticket to offer (set by the
    # Connection), the one offered, and the early data to send with it.
    session: NewSessionTicket | None = None
    psk_offered: NewSessionTicket | None = None
    # Client: the key schedule whose early secret computed the binder of
    # psk_offered (extracted once for the binder, 0-RTT and the handshake).
    psk_schedule: KeySchedule | None = None
    early_data: bytes | None = None
    # Both: the handshake resumed a session. Server: "hit", "miss" or
    # "timeout" when the client offered a PSK (session_stats()).
    resumed = False
    psk_outcome: str | None = None
    # 0-RTT: None (not offered), "offered" (client, no answer yet),
    # "accepted" or "rejected". Server: bytes of early data received
    # so far, the limit, and Transcript-Hash(ClientHello).
    early_status: str | None = None
    early_received = 0
    early_limit = 0
    early_hello_hash = b""
    # TLS 1.2 resumption (resume12.py): the client sent session_ticket,
    # the session resumed, our session ID, whether our Finished is out.
    offered_ticket12 = False
    resumed12: Any = None
    session_id12 = b""
    finished_sent12 = False
    # Client: the TLS 1.2 session offered, and (lifetime, ticket) received.
    offered12: NewSessionTicket | None = None
    ticket12: tuple[int, bytes] | None = None
    ticket_promised12 = False
    # Server: an X25519 key pair made while the ClientHello was on its way
    # (server.ExpectClientHello.work_ahead), for the one key exchange.
    x25519_ahead: tuple[bytes, bytes] | None = None

    def __init__(
        self,
        config: TLSConfig,
        record: RecordLayer,
        events: list[Event],
        trace: list[TraceEvent],
        hooks: Hooks | None,
        prepared: Prepared | None = None,
    ) -> None:
        self.config = config
        # prepared: config's precomputed state when the caller knows it is
        # current (config.prepared() checks that its inputs did not change).
        self.prepared: Prepared = prepared if prepared is not None else config.prepared()
        # The chain and key we present (the SNI callback may swap them).
        self.cert_config: TLSConfig = config
        self.cert_prepared: Prepared = self.prepared
        self.record = record
        self.events = events
        self.trace_list = trace
        self.hooks = hooks or _NO_HOOKS
        self.is_client = config.is_client
        self.role = "client" if config.is_client else "server"
        self.t0 = time.perf_counter()
        self.transcript = Transcript()
        self.peer_certificates: list[x509.Certificate] = []
        self.verified_chain: list[x509.Certificate] = []
        # Server: the suites in the ClientHello, in the client's order.
        self.peer_cipher_suites: list[int] = []
        self.tickets: list[NewSessionTicket] = []
        # TLS 1.2: every handshake message so far (CertificateVerify signs
        # them whole).
        self.messages12 = bytearray()

    # ------------------------------------------------------------ helpers

    def random(self, n: int) -> bytes:
        return os.urandom(n)

    def take_x25519_ahead(self) -> tuple[bytes, bytes] | None:
        """The X25519 key pair made ahead, if any, handed out once (the key
        exchange that uses it, or drops it, takes it)."""
        ahead, self.x25519_ahead = self.x25519_ahead, None
        return ahead

    def trace(self, step: str, **details: Any) -> None:
        # tuple.__new__: a NamedTuple's own constructor is Python code, and a
        # handshake records a dozen steps.
        event = _new_tuple(TraceEvent, (time.perf_counter() - self.t0, self.role, step, details))
        self.trace_list.append(event)

    def keylog(self, label: str, secret: bytes | bytearray) -> None:
        cb = self.config.keylog
        if cb is not None:
            cb(f"{label} {self.client_random.hex()} {secret.hex()}")

    def send_handshake(self, data: bytes) -> None:
        self.record.send(ContentType.handshake, data)

    def set_read(self, secret: bytes | bytearray) -> None:
        assert self.ks is not None and self.suite is not None
        self.record.set_read_secret13(self.suite, self.ks.info.alg, secret)
        self.read_key_changed = True

    def set_write(self, secret: bytes | bytearray) -> None:
        assert self.ks is not None and self.suite is not None
        self.record.set_write_secret13(self.suite, self.ks.info.alg, secret)
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

    def check_finished(self, base_key: bytes | bytearray, verify_data: bytes) -> FinishedChecked:
        """RFC 8446 §4.4.4: compare in constant time; decrypt_error if not."""
        assert self.ks is not None
        expected = self.ks.finished_verify_data(base_key, self.transcript.digest())
        if not hmac.compare_digest(expected, verify_data):
            raise TLSAlert(AD.decrypt_error, "Finished verify_data does not match")
        if not self.is_client and self.tls_unique is None:
            self.tls_unique = expected  # the client's first Finished
        return FinishedChecked(expected)

    def finished_message(self, base_key: bytes | bytearray) -> bytes:
        assert self.ks is not None
        verify_data = self.ks.finished_verify_data(base_key, self.transcript.digest())
        if self.is_client and self.tls_unique is None:
            self.tls_unique = verify_data  # our first Finished
        return m.handshake(HT.finished, verify_data)


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

    def work_ahead(self) -> None:
        """While the peer works on our last flight (the transport would
        wait): compute what its expected answer will need. Sends nothing
        and changes no outcome; most states have nothing to do."""

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
    """The handshake is done: what the application-data state of both
    versions has. `traffic13.ExpectTraffic13` and `common12.ExpectTraffic12`
    handle the post-handshake messages of their version.

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
    ) -> None:
        if not isinstance(cert, CertificateChecked) or not isinstance(sig, SignatureChecked):
            raise TypeError("ExpectTraffic needs the certificate and signature proofs")
        if not isinstance(fin, FinishedChecked):
            raise TypeError("ExpectTraffic needs the Finished proof")
        self.ctx = ctx
        self.cert = cert
        self.sig = sig
        self.fin = fin
        self.closed_for_write = False
        self.update_pending = False
        # Server: a post-handshake authentication in progress.
        self.pha: Any = None

    def flush_key_update(self) -> None:
        """Send the KeyUpdate the peer asked for, if one is owed."""
        if self.update_pending:
            self.update_pending = False
            if not self.closed_for_write:
                self.send_key_update(False)

    def send_key_update(self, request_peer: bool) -> None:  # pragma: no cover
        raise NotImplementedError
