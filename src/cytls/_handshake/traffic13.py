"""The TLS 1.3 application-data state: what may come after the handshake.

Owns: ExpectTraffic13 (KeyUpdate both ways, NewSessionTicket on a client,
the messages of a post-handshake authentication), the application traffic
secrets of the current generation, and handshake_complete(), which turns
the three proofs into that state.
Must not: build the client's answer to a post-handshake CertificateRequest
(client13 does, and hands it in), or touch TLS 1.2 state.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cytls._handshake.state import (
    TLS13,
    CertificateChecked,
    Context,
    ExpectTraffic,
    FinishedChecked,
    SignatureChecked,
    State,
    unexpected,
)
from cytls._wire import messages as m
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.events import (
    HandshakeComplete,
    KeyUpdated,
    NewSessionTicket,
    NewSessionTicketReceived,
)

__all__ = ["CertificateRequestAnswer", "ExpectTraffic13", "handshake_complete"]

# Tickets a client keeps: a server may send any number.
MAX_TICKETS = 8

# The client's answer to a post-handshake CertificateRequest:
# (ctx, body, raw, client application traffic secret) -> None.
CertificateRequestAnswer = Callable[[Context, bytes, bytes, bytearray], None]


class ExpectTraffic13(ExpectTraffic):
    """The TLS 1.3 handshake is done: post-handshake messages only.

    Args:
        ctx: the context.
        cert, sig, fin: the proofs of the certificate, CertificateVerify
            and Finished checks.
        client_app_secret, server_app_secret: the application traffic
            secrets of generation 0.
        answer_certificate_request: client: how to answer a post-handshake
            CertificateRequest (None on a server).
    """

    def __init__(
        self,
        ctx: Context,
        cert: CertificateChecked,
        sig: SignatureChecked,
        fin: FinishedChecked,
        client_app_secret: bytearray,
        server_app_secret: bytearray,
        answer_certificate_request: CertificateRequestAnswer | None = None,
    ) -> None:
        super().__init__(ctx, cert, sig, fin)
        if ctx.is_client:
            self.read_secret, self.write_secret = server_app_secret, client_app_secret
        else:
            self.read_secret, self.write_secret = client_app_secret, server_app_secret
        self.answer_certificate_request = answer_certificate_request

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        ctx = self.ctx
        if msg_type == HT.key_update:
            requested = m.parse_key_update(body)
            # RFC 8446 §4.6.3: the peer's next message uses the new key.
            ks = ctx.ks
            assert ks is not None
            self.read_secret = ks.update_traffic_secret(self.read_secret)
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
        if msg_type == HT.certificate_request and self.answer_certificate_request is not None:
            self.answer_certificate_request(ctx, body, raw, self.write_secret)
            return self
        raise unexpected(self, msg_type)

    def send_key_update(self, request_peer: bool) -> None:
        self.update_pending = False
        ctx = self.ctx
        ks = ctx.ks
        assert ks is not None
        ctx.send_handshake(m.handshake(HT.key_update, b"\x01" if request_peer else b"\x00"))
        self.write_secret = ks.update_traffic_secret(self.write_secret)
        ctx.set_write(self.write_secret)
        ctx.trace("send KeyUpdate", update_requested=request_peer)

    def _ticket(self, body: bytes) -> None:
        ctx = self.ctx
        msg = m.NewSessionTicketMsg.parse(body)
        max_early = 0
        for etype, ebody in msg.extensions.items():
            if etype == Ext.early_data:
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
            peer_certificates=tuple(ctx.peer_certificates),
            verified_chain=tuple(ctx.verified_chain),
        )
        ctx.tickets.append(ticket)
        del ctx.tickets[:-MAX_TICKETS]
        ctx.events.append(NewSessionTicketReceived(ticket))
        ctx.trace("receive NewSessionTicket", lifetime=msg.lifetime, size=len(msg.ticket))


def handshake_complete(
    ctx: Context,
    cert_proof: CertificateChecked,
    sig_proof: SignatureChecked,
    fin_proof: FinishedChecked,
    answer_certificate_request: CertificateRequestAnswer | None = None,
) -> ExpectTraffic13:
    """Mark a TLS 1.3 handshake complete, report it, and return the
    application-data state, which holds the three proofs."""
    ks = ctx.ks
    assert ks is not None and ctx.suite is not None
    # The handshake traffic secrets are wiped; the traffic state owns the
    # application traffic secrets from here on.
    client_app_secret, server_app_secret = ks.finish_handshake()
    ctx.complete = True
    ctx.trace("handshake complete", suite=ctx.suite, group=ctx.group, alpn=ctx.alpn)
    ctx.events.append(HandshakeComplete(TLS13, ctx.suite, ctx.group, ctx.alpn))
    return ExpectTraffic13(
        ctx,
        cert_proof,
        sig_proof,
        fin_proof,
        client_app_secret,
        server_app_secret,
        answer_certificate_request,
    )
