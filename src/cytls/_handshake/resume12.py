"""TLS 1.2 session resumption: RFC 5077 tickets and session IDs (RFC 5246 §7.3).

Owns: finding a resumable session
in a ClientHello (a ticket sealed by the same ring as TLS 1.3 tickets, or a
cached session ID), the checks a resumed TLS 1.2 session must pass
(version, suite offered and enabled, extended master secret carried over,
RFC 7627 §5.3, lifetime, server name), the TLS 1.2 NewSessionTicket, and
recording a completed full handshake for later resumption.
Must not: build the abbreviated flight (server12 does), keep sessions
(sessionstore.py does) or import the TLS 1.3 modules.
"""

from __future__ import annotations

import time
from dataclasses import replace

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cytls._handshake.config import TLSConfig
from cytls._handshake.sessionstore import SessionCache
from cytls._handshake.state import TLS12, CertificateChecked, Context, State, unexpected
from cytls._handshake.tickets import SessionState
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import Reader, vec16
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.events import NewSessionTicket, NewSessionTicketReceived

__all__ = [
    "ExpectNewSessionTicket12",
    "SessionCache",
    "client_offer12",
    "client_session_done12",
    "find_session12",
    "full_handshake_done12",
    "new_session_ticket12",
    "remember12",
    "restored_proof",
    "resumed_server_proof12",
    "stateless_tickets",
]


def stateless_tickets(cfg: TLSConfig) -> bool:
    """Whether this server seals TLS 1.2 tickets (RFC 5077): it has a key
    ring, not the OP_NO_TICKET store, whose identifiers TLS 1.3 alone uses."""
    return cfg.ticket_keys is not None and getattr(cfg.ticket_keys, "stateless", True)


def _now_ms(ctx: Context) -> int:
    ring = ctx.config.ticket_keys
    return int((ring.clock() if ring is not None else time.time()) * 1000)


def find_session12(
    ctx: Context, ch: m.ClientHello, suite: int, ems: bool
) -> SessionState | None:
    """Server: the session this TLS 1.2 ClientHello may resume with `suite`
    (the suite this handshake would choose; a session resumes only with its
    own), or None for a full handshake. `ems`: the ClientHello offers
    extended_master_secret. Records ctx.psk_outcome.

    Raises:
        TLSAlert: handshake_failure, the session used an extended master
            secret and this ClientHello does not offer one (RFC 7627 §5.3).
    """
    cfg = ctx.config
    exts = ch.extensions
    ticket = exts.get(Ext.session_ticket, b"")
    state: SessionState | None = None
    if ticket:
        if stateless_tickets(cfg):
            state = cfg.ticket_keys.open(ticket)
    elif ch.session_id and cfg.session_cache is not None:
        state = cfg.session_cache.get(ch.session_id)
    else:
        return None
    ctx.psk_outcome = "miss"
    if state is None or state.version != TLS12:
        return None
    if _now_ms(ctx) - state.created_ms > state.lifetime * 1000:
        ctx.psk_outcome = "timeout"
        return None
    if state.suite != suite or state.server_name != ctx.server_name:
        return None
    # RFC 7627 §5.3: a session with an extended master secret resumes only
    # into a ClientHello that offers one (else the handshake is aborted); one
    # without resumes only into a ClientHello without (else a full handshake).
    if state.ems and not ems:
        raise TLSAlert(
            AD.handshake_failure,
            "resumed session used extended master secret; ClientHello lacks it",
        )
    if ems and not state.ems:
        return None
    ctx.psk_outcome = "hit"
    ctx.resumed = True
    return state


def new_session_ticket12(ctx: Context) -> bytes | None:
    """Server: a TLS 1.2 NewSessionTicket (RFC 5077 §3.3) for this session,
    when the client asked for tickets and we issue them; else None."""
    cfg = ctx.config
    if not ctx.offered_ticket12 or not stateless_tickets(cfg) or not cfg.num_tickets:
        return None
    state = _state(ctx)
    body = cfg.ticket_lifetime.to_bytes(4, "big") + vec16(cfg.ticket_keys.seal(state))
    return m.handshake(HT.new_session_ticket, body)


def remember12(ctx: Context, session_id: bytes) -> None:
    """Server: cache a completed full handshake's session under its ID."""
    cache = ctx.config.session_cache
    if cache is not None and session_id:
        cache.put(session_id, _state(ctx))


def _state(ctx: Context) -> SessionState:
    resumed: SessionState | None = ctx.resumed12
    if resumed is not None:
        # A renewed ticket keeps the original session's facts.
        return replace(resumed, created_ms=_now_ms(ctx), lifetime=ctx.config.ticket_lifetime)
    ks = ctx.ks12
    assert ks is not None and ctx.suite is not None
    return SessionState(
        TLS12,
        ctx.suite,
        _now_ms(ctx),
        0,
        ctx.config.ticket_lifetime,
        0,
        bytes(ks.master_secret),
        ctx.server_name,
        ctx.alpn,
        ems=ks.extended,
        peer_chain=tuple(c.public_bytes(Encoding.DER) for c in ctx.peer_certificates),
        verified_chain=tuple(c.public_bytes(Encoding.DER) for c in ctx.verified_chain),
    )


def restored_proof(ctx: Context, state: SessionState) -> CertificateChecked:
    """Server: the client identity of the resumed session (none, or the
    chain its full handshake verified)."""
    chain = [x509.load_der_x509_certificate(d) for d in state.peer_chain]
    verified = [x509.load_der_x509_certificate(d) for d in state.verified_chain]
    ctx.peer_certificates = chain
    ctx.verified_chain = verified
    return CertificateChecked(chain, verified, bool(verified), "resumed session")


def full_handshake_done12(ctx: Context) -> None:
    """Server, on the client's Finished of a full handshake: queue the
    NewSessionTicket (before our ChangeCipherSpec, RFC 5077 §3.3) and cache
    the session under its ID."""
    if ctx.resumed12 is not None:
        return
    nst = new_session_ticket12(ctx)
    if nst is not None:
        ctx.messages12 += nst
        ctx.send_handshake(nst)
        ctx.trace("send NewSessionTicket", version=TLS12)
    remember12(ctx, ctx.session_id12)


# ------------------------------------------------------------------ client


def client_offer12(ctx: Context) -> tuple[bytes, bytes | None]:
    """Client: (session_ticket extension body, legacy_session_id or None
    for the usual one) for the TLS 1.2 session in ctx.session, if it may be
    offered: unexpired, for this server name, its suite enabled. With a
    ticket the session ID is fresh (RFC 5077 §3.4: its echo says the
    ticket was taken); without one it is the session's."""
    s = ctx.session
    cfg = ctx.config
    if (
        s is None
        or s.version != TLS12
        or cfg.min_version > TLS12
        or s.cipher_suite not in cfg.cipher_suites
        or s.server_name != cfg.server_hostname
        or time.time() - s.received_at >= s.lifetime
    ):
        return b"", None
    ctx.offered12 = s
    if s.ticket:
        return s.ticket, ctx.random(32)
    return b"", s.session_id


def resumed_server_proof12(ctx: Context, session: NewSessionTicket) -> CertificateChecked:
    """Client: the server chain the resumed session verified."""
    ctx.peer_certificates = list(session.peer_certificates)
    ctx.verified_chain = list(session.verified_chain)
    return CertificateChecked(
        list(session.peer_certificates),
        list(session.verified_chain),
        bool(session.verified_chain),
        "resumed session",
    )


class ExpectNewSessionTicket12(State):
    """Client: the server promised a ticket (an empty session_ticket in its
    ServerHello, RFC 5077 §3.3): NewSessionTicket, then ChangeCipherSpec."""

    expected = "NewSessionTicket"

    def __init__(self, ctx: Context, then: State) -> None:
        self.ctx = ctx
        self.then = then

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.new_session_ticket:
            raise unexpected(self, msg_type)
        r = Reader(body, "NewSessionTicket")
        lifetime = r.u32()
        ticket = bytes(r.vec16())
        r.expect_end()
        ctx = self.ctx
        ctx.messages12 += raw  # RFC 5077 §3.3: it is hashed into Finished
        ctx.ticket12 = (min(lifetime, 604800) or 7200, ticket)
        ctx.trace("receive NewSessionTicket", version=TLS12, size=len(ticket))
        return self.then

    def change_cipher_spec(self) -> State:
        return self.then.change_cipher_spec()


def client_session_done12(ctx: Context) -> None:
    """Client, at the end of a TLS 1.2 handshake: record the session it
    can resume (its new ticket, or its session ID) as a NewSessionTicket."""
    ks = ctx.ks12
    assert ks is not None and ctx.suite is not None
    lifetime, ticket = ctx.ticket12 if ctx.ticket12 is not None else (7200, b"")
    previous = ctx.offered12 if ctx.resumed else None
    if not ticket and not ctx.session_id12:
        return
    if previous is not None and not ticket and previous.ticket:
        return  # resumed with a ticket and no new one: nothing new to keep
    session = NewSessionTicket(
        lifetime=lifetime,
        age_add=0,
        nonce=b"",
        ticket=ticket,
        max_early_data_size=0,
        cipher_suite=ctx.suite,
        psk=bytes(ks.master_secret),
        server_name=ctx.config.server_hostname,
        alpn_protocol=ctx.alpn,
        received_at=time.time(),
        peer_certificates=tuple(ctx.peer_certificates),
        verified_chain=tuple(ctx.verified_chain),
        version=TLS12,
        session_id=ctx.session_id12,
        ems=ks.extended,
    )
    ctx.tickets.append(session)
    ctx.events.append(NewSessionTicketReceived(session))
