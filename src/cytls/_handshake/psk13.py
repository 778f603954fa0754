"""TLS 1.3 resumption with PSKs from session tickets (RFC 8446 §2.2, §4.2.9-4.2.11, §4.6.1).

Owns: the client's PSK offer (psk_key_exchange_modes, pre_shared_key last,
its binder, 0-RTT early data under the client early traffic key), reading
the server's answer; the server's choice of a PSK (binder verified in
constant time before anything else from the ticket is used, then the
ticket's lifetime, age window, server name and hash checked, falling back
to a full handshake when any fails), and the NewSessionTickets the server
issues after the client's Finished.
Must not: build or parse whole handshake messages (client.py, client13.py
and server13.py do; this module fills in their PSK parts), seal tickets
itself (tickets.py does), or import the TLS 1.2 modules.
"""

from __future__ import annotations

import hmac
import os
import struct
import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cytls._handshake.keyschedule import SUITES, KeySchedule, wipe
from cytls._handshake.state import TLS13, CertificateChecked, Context, State, unexpected
from cytls._handshake.tickets import SessionState, TicketKeyRing, encode_states
from cytls._handshake.transcript import Transcript
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec8, vec16
from cytls._wire.enums import ContentType
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.events import NewSessionTicket
from cytls._wire.psk import OfferedPsks, parse_selected_identity, serialize_selected_identity

__all__ = [
    "AGE_WINDOW_MS",
    "PSK_DHE_KE",
    "PSK_KE",
    "ExpectEndOfEarlyData",
    "Resumption",
    "accept_early_data",
    "add_offer",
    "can_build_tickets_ahead",
    "client_psk",
    "fill_binder",
    "issue_tickets",
    "send_early_data",
    "server_psk",
    "ticket_messages",
]

PSK_KE = 0
PSK_DHE_KE = 1
# RFC 8446 §8.3: how far the client's view of a ticket's age may be from
# ours (clock skew plus a round trip) before we decline the ticket.
AGE_WINDOW_MS = 10_000
_U32 = 1 << 32


def _now_ms(ctx: Context) -> int:
    ring = ctx.config.ticket_keys
    clock = ring.clock if ring is not None else time.time
    return int(clock() * 1000)


# ------------------------------------------------------------------ client


def usable(ctx: Context, ticket: NewSessionTicket) -> bool:
    """Whether the client may offer this ticket: unexpired, for the same
    server name, and its suite still enabled (RFC 8446 §4.6.1, §4.2.11)."""
    cfg = ctx.config
    if ticket.version != TLS13 or cfg.max_version < TLS13:
        return False
    if ticket.cipher_suite not in cfg.cipher_suites:
        return False
    if ticket.server_name != cfg.server_hostname:
        return False
    return time.time() - ticket.received_at < ticket.lifetime


def add_offer(ctx: Context, exts: dict[int, bytes]) -> None:
    """Add the PSK extensions to a ClientHello's extensions: the modes,
    early_data when there is early data for a ticket that allows it, and
    pre_shared_key (last, RFC 8446 §4.2.11) with a zero binder that
    fill_binder() replaces once the rest of the message is fixed."""
    ticket = ctx.session
    if ticket is None or not usable(ctx, ticket):
        return
    exts[Ext.psk_key_exchange_modes] = vec8(bytes(ctx.config.psk_modes))
    if ctx.early_data is not None and ticket.max_early_data_size and ctx.psk_offered is None:
        exts[Ext.early_data] = b""
    info = SUITES[ticket.cipher_suite]
    age_ms = int((time.time() - ticket.received_at) * 1000)
    obfuscated = (age_ms + ticket.age_add) % _U32
    offer = OfferedPsks([(ticket.ticket, obfuscated)], [bytes(info.hash_len)])
    exts.pop(Ext.pre_shared_key, None)
    exts[Ext.pre_shared_key] = offer.serialize()
    ctx.psk_offered = ticket


def fill_binder(ctx: Context, ch: m.ClientHello, raw: bytes, prefix: Transcript | None) -> bytes:
    """The ClientHello bytes with the real binder (RFC 8446 §4.2.11.2).

    Args:
        ch: the message (its pre_shared_key body is updated too).
        raw: its serialization, with the placeholder binder.
        prefix: after a HelloRetryRequest, the transcript so far
            (message_hash, HelloRetryRequest); None for the first one.
    """
    ticket = ctx.psk_offered
    if ticket is None or Ext.pre_shared_key not in ch.extensions:
        return raw
    info = SUITES[ticket.cipher_suite]
    if prefix is not None and prefix.hash_name != info.hash_name:
        # The retry's suite cannot use this PSK: offer none (§4.1.2).
        del ch.extensions[Ext.pre_shared_key]
        ctx.psk_offered = None
        ctx.psk_schedule = None
        return ch.serialize()
    truncated = raw[: len(raw) - (3 + info.hash_len)]
    t = prefix.copy() if prefix is not None else Transcript(info.hash_name)
    t.add(truncated)
    ks = KeySchedule(ticket.cipher_suite, ticket.psk)
    binder = ks.binder(t.digest())
    ctx.psk_schedule = ks
    body = ch.extensions[Ext.pre_shared_key]
    ch.extensions[Ext.pre_shared_key] = body[: len(body) - (3 + info.hash_len)] + vec16(
        vec8(binder)
    )
    return truncated + vec16(vec8(binder))


def send_early_data(ctx: Context, client_hello: bytes) -> None:
    """Client: after the ClientHello, switch to the client early traffic
    key and send the early data (RFC 8446 §2.3)."""
    ticket = ctx.psk_offered
    if ticket is None or ctx.early_data is None or not ticket.max_early_data_size:
        return
    ks = ctx.psk_schedule or KeySchedule(ticket.cipher_suite, ticket.psk)
    t = Transcript(SUITES[ticket.cipher_suite].hash_name)
    t.add(client_hello)
    early_secret, early_exporter = ks.early_stage(t.digest())
    ctx.keylog("CLIENT_EARLY_TRAFFIC_SECRET", early_secret)
    ctx.keylog("EARLY_EXPORTER_SECRET", early_exporter)
    ctx.suite = ticket.cipher_suite
    ctx.ks = ks
    ctx.set_write(early_secret)
    data = ctx.early_data[: ticket.max_early_data_size]
    ctx.early_data = data
    if data:
        ctx.record.send(ContentType.application_data, data)
    ctx.early_status = "offered"
    ctx.trace("send early data", size=len(data))


def client_psk(ctx: Context, sh: m.ServerHello) -> bytes | None:
    """Client: the PSK when the server's ServerHello accepted our offer
    (RFC 8446 §4.2.11), else None (a full handshake).

    Raises:
        TLSAlert: illegal_parameter for an identity we did not offer or a
            suite whose hash differs from the ticket's.
    """
    exts = sh.extensions
    if Ext.pre_shared_key not in exts:
        if ctx.early_status == "offered":
            ctx.early_status = "rejected"
        return None
    ticket = ctx.psk_offered
    assert ticket is not None  # check_server_hello refuses unsolicited extensions
    if parse_selected_identity(exts[Ext.pre_shared_key]) != 0:
        raise TLSAlert(AD.illegal_parameter, "server selected a PSK identity not offered")
    if SUITES[sh.cipher_suite].hash_name != SUITES[ticket.cipher_suite].hash_name:
        raise TLSAlert(AD.illegal_parameter, "server selected a suite the PSK cannot use")
    if Ext.key_share not in exts and PSK_KE not in ctx.config.psk_modes:
        raise TLSAlert(AD.missing_extension, "ServerHello without key_share")
    ctx.resumed = True
    return ticket.psk


def resumed_server_proof(ctx: Context) -> CertificateChecked:
    """Client: the server chain of the resumed session, as checked when
    the ticket's connection verified it (RFC 8446 §2.2: no Certificate)."""
    ticket = ctx.psk_offered
    assert ticket is not None
    ctx.peer_certificates = list(ticket.peer_certificates)
    ctx.verified_chain = list(ticket.verified_chain)
    return CertificateChecked(
        list(ticket.peer_certificates),
        list(ticket.verified_chain),
        bool(ticket.verified_chain),
        "resumed session",
    )


# ------------------------------------------------------------------ server


@dataclass(frozen=True, slots=True)
class Resumption:
    """Server: the PSK chosen from the client's offer.

    Attributes:
        index: the selected identity (ServerHello's selected_identity).
        psk: the resumption PSK from the ticket.
        mode: PSK_DHE_KE or PSK_KE.
        state: the ticket's session state.
        identity: the ticket itself (the anti-replay key).
        schedule: the key schedule whose early secret the binder proved
            (the connection's, so the PSK is extracted once).
    """

    index: int
    psk: bytes
    mode: int
    state: SessionState
    identity: bytes = b""
    schedule: KeySchedule | None = None

    def server_hello_extension(self) -> bytes:
        return serialize_selected_identity(self.index)


def server_psk(ctx: Context, ch: m.ClientHello, raw: bytes, suite: int) -> Resumption | None:
    """Server: choose a PSK from a first ClientHello, or None for a full
    handshake. Records the outcome in ctx.psk_outcome.

    The order matters: a ticket that opens under our ring yields the PSK
    and hash, the binder is checked with them in constant time, and only
    then is anything else in the ticket looked at.

    Raises:
        TLSAlert: missing_extension (pre_shared_key without
            psk_key_exchange_modes, §4.2.9), decode_error or
            illegal_parameter (a malformed offer), decrypt_error (the
            binder of the ticket we would use does not verify, §4.2.11).
    """
    exts = ch.extensions
    if Ext.pre_shared_key not in exts:
        return None
    if Ext.psk_key_exchange_modes not in exts:
        raise TLSAlert(AD.missing_extension, "pre_shared_key without psk_key_exchange_modes")
    offered = OfferedPsks.parse(exts[Ext.pre_shared_key])
    client_modes = m.parse_psk_modes(exts[Ext.psk_key_exchange_modes])
    cfg = ctx.config
    ring = cfg.ticket_keys
    mode = next((mo for mo in cfg.psk_modes if mo in client_modes), None)
    ctx.psk_outcome = "miss"
    if ring is None or mode is None:
        return None
    info = SUITES[suite]
    for index, (identity, obfuscated_age) in enumerate(offered.identities):
        state = ring.open(identity)
        if state is None or state.version != TLS13 or state.suite not in SUITES:
            continue
        if SUITES[state.suite].hash_name != info.hash_name:
            continue  # RFC 8446 §4.2.11: the PSK's hash must match the suite's
        t = Transcript(info.hash_name)
        t.add(raw[: len(raw) - offered.binders_len])
        ks = KeySchedule(suite, state.secret)
        expected = ks.binder(t.digest())
        if not hmac.compare_digest(expected, offered.binders[index]):
            raise TLSAlert(AD.decrypt_error, "PSK binder does not verify")
        # The binder proves the client holds the PSK; now the ticket's facts.
        server_age = _now_ms(ctx) - state.created_ms
        if server_age > state.lifetime * 1000 or server_age < -AGE_WINDOW_MS:
            ctx.psk_outcome = "timeout"
            ctx.trace("decline PSK", reason="ticket expired")
            return None
        client_age = (obfuscated_age - state.age_add) % _U32
        if abs(client_age - server_age) > AGE_WINDOW_MS:
            ctx.trace("decline PSK", reason="ticket age outside the window")
            return None
        if state.server_name != ctx.server_name:
            ctx.trace("decline PSK", reason="server name differs")
            return None
        ctx.psk_outcome = "hit"
        ctx.resumed = True
        ctx.trace("accept PSK", identity=index, mode=mode)
        return Resumption(index, state.secret, mode, state, identity, ks)
    ctx.trace("decline PSK", reason="no ticket of ours")
    return None


def resumed_client_proof(ctx: Context, res: Resumption) -> CertificateChecked:
    """Server: the client identity carried in the ticket (RFC 8446 §4.6.1:
    the resumed session keeps the original client authentication)."""
    chain = [x509.load_der_x509_certificate(d) for d in res.state.peer_chain]
    verified = [x509.load_der_x509_certificate(d) for d in res.state.verified_chain]
    ctx.peer_certificates = chain
    ctx.verified_chain = verified
    return CertificateChecked(chain, verified, bool(verified), "resumed session")


def _nonces(count: int) -> list[bytes]:
    """Ticket nonces 0, 1, ... in the fewest bytes (unique per connection,
    RFC 8446 §4.6.1)."""
    return [i.to_bytes(max(1, (i.bit_length() + 7) // 8), "big") for i in range(count)]


_NONCES = _nonces(8)


def issue_tickets(ctx: Context, messages: bytes | None = None) -> None:
    """Server: after the client's Finished, queue config.num_tickets
    NewSessionTickets (one after a resumption, as OpenSSL) (RFC 8446
    §4.6.1). They go out with the handshake's last flight, before any
    application data.

    Args:
        ctx: the connection, its resumption_master_secret derived.
        messages: the tickets ticket_messages() built ahead for this
            very secret, or None to build them now.
    """
    cfg = ctx.config
    if not _issues_tickets(ctx):
        return
    assert ctx.ks is not None
    if messages is None:
        messages = ticket_messages(ctx, ctx.ks.resumption_secret)
    ctx.send_handshake(messages)
    ctx.trace("send NewSessionTicket", count=_ticket_count(ctx), lifetime=cfg.ticket_lifetime)


def _ticket_count(ctx: Context) -> int:
    # As OpenSSL: one ticket after a resumption (it replaces the one used).
    n = ctx.config.num_tickets
    return min(n, 1) if ctx.resumed else n


def _issues_tickets(ctx: Context) -> bool:
    """Whether this connection's handshake ends with tickets."""
    cfg = ctx.config
    if not cfg.num_tickets or cfg.ticket_keys is None:
        return False
    return ctx.ks is not None and ctx.suite is not None


def can_build_tickets_ahead(ctx: Context) -> bool:
    """Whether ticket_messages() may run before the client's Finished is
    checked: tickets are to be issued, and sealing them stores nothing (a
    stateful store, OP_NO_TICKET, keeps every session it seals)."""
    return _issues_tickets(ctx) and isinstance(ctx.config.ticket_keys, TicketKeyRing)


def ticket_messages(ctx: Context, resumption_secret: bytes | bytearray) -> bytes:
    """The NewSessionTicket messages for one resumption_master_secret, each
    with its own nonce, PSK and age_add, sealed under the ring's current
    key (ctx.config.ticket_keys, which issue_tickets checked)."""
    cfg = ctx.config
    ring = cfg.ticket_keys
    ks = ctx.ks
    assert ring is not None and ks is not None and ctx.suite is not None
    now = _now_ms(ctx)
    lifetime = cfg.ticket_lifetime
    early = cfg.max_early_data
    peer = tuple(c.public_bytes(Encoding.DER) for c in ctx.peer_certificates)
    verified = tuple(c.public_bytes(Encoding.DER) for c in ctx.verified_chain)
    count = _ticket_count(ctx)
    nonces = _NONCES[:count] if count <= len(_NONCES) else _nonces(count)
    psks = ks.resumption_psks(nonces, resumption_secret)
    # One system call for every age_add.
    age_adds = struct.unpack(f">{count}I", os.urandom(4 * count))
    states = encode_states(
        TLS13,
        ctx.suite,
        now,
        lifetime,
        early,
        ctx.server_name,
        ctx.alpn,
        False,
        peer,
        verified,
        list(zip(psks, age_adds, strict=True)),
    )
    for psk in psks:
        wipe(psk)  # now only inside the states, which are sealed next
    ext_block = m.serialize_extensions([(Ext.early_data, early.to_bytes(4, "big"))] if early else [])
    return b"".join(
        m.serialize_new_session_ticket(lifetime, age_add, nonce, ticket, ext_block)
        for age_add, nonce, ticket in zip(age_adds, nonces, ring.seal_encoded(states), strict=True)
    )


def accept_early_data(
    ctx: Context, ch: m.ClientHello, res: Resumption | None, suite: int, alpn: bytes | None
) -> bool:
    """Server: whether to take the client's 0-RTT data (RFC 8446 §4.2.10):
    only with the first PSK, when configured (max_early_data and an
    anti-replay register), the ticket allows it, suite and ALPN are the
    ticket's, and the register has not seen this ticket's early data (the
    age window was checked by server_psk). Sets ctx.early_status."""
    if Ext.early_data not in ch.extensions:
        return False
    m.check_empty(ch.extensions[Ext.early_data], "early_data")
    cfg = ctx.config
    ok = (
        res is not None
        and res.index == 0
        and cfg.max_early_data > 0
        and cfg.anti_replay is not None
        and res.state.max_early_data > 0
        and res.state.suite == suite
        and res.state.alpn == (alpn.decode("ascii", "replace") if alpn is not None else None)
    )
    if ok:
        assert res is not None
        ok = cfg.anti_replay.check_and_add(res.identity)
        if not ok:
            ctx.trace("reject early data", reason="replayed or register full")
    ctx.early_status = "accepted" if ok else "rejected"
    return ok


def read_early_key(ctx: Context, ks: KeySchedule) -> None:
    """Server that accepted 0-RTT: read the client early traffic key
    (derived from Transcript-Hash(ClientHello), which is what the
    transcript holds when this runs before the ServerHello is added)."""
    early_secret, early_exporter = ks.early_stage(ctx.early_hello_hash)
    ctx.keylog("CLIENT_EARLY_TRAFFIC_SECRET", early_secret)
    ctx.keylog("EARLY_EXPORTER_SECRET", early_exporter)
    ctx.set_read(early_secret)


class ExpectEndOfEarlyData(State):
    """RFC 8446 §4.5: the server reads 0-RTT application data (the
    Connection keeps it apart, marked as early) until EndOfEarlyData,
    under the client early traffic key; then the client handshake key."""

    expected = "EndOfEarlyData"

    def __init__(self, ctx: Context, then: State) -> None:
        self.ctx = ctx
        self.then = then

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.end_of_early_data:
            raise unexpected(self, msg_type)
        if body:
            raise TLSAlert(AD.decode_error, "EndOfEarlyData must be empty")
        ctx = self.ctx
        ks = ctx.ks
        assert ks is not None
        ctx.transcript.add(raw)
        ctx.set_read(ks.client_hs_secret)
        ctx.trace("receive EndOfEarlyData", size=ctx.early_received)
        return self.then
