"""The TLS 1.3 client state machine (RFC 8446 §2, §4).

Owns: checking a TLS 1.3 ServerHello (client.py hands it over, and builds
the ClientHellos), every later server message against what was offered, the
client's second flight, and its answer to a post-handshake
CertificateRequest. One class per state, named for what it waits for; each
handle() returns the next state.
Must not: touch record framing or buffers (the Connection does), accept any
message the current state does not name, or import the TLS 1.2 modules.

    client.ExpectServerHello -> server_hello13 -> ExpectEncryptedExtensions
          -> ExpectCertificateOrCertificateRequest -> [ExpectCertificate]
          -> ExpectCertificateVerify -> ExpectFinished -> ExpectTraffic13
"""

from __future__ import annotations

from cytls._handshake import signatures
from cytls._handshake.checks import (
    check_certificate_verify,
    check_peer_finished,
    client_alpn_answer,
    parse_certificate_chain,
    sign,
    verify_server_chain,
)
from cytls._handshake.groups import KeyShare
from cytls._handshake.keyschedule import SUITES, KeySchedule
from cytls._handshake.offer import Offer
from cytls._handshake.psk13 import client_psk, resumed_server_proof
from cytls._handshake.state import (
    TLS13,
    CertificateChecked,
    Context,
    SignatureChecked,
    State,
    unexpected,
)
from cytls._handshake.traffic13 import handshake_complete
from cytls._handshake.transcript import Transcript
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT

__all__ = ["check_server_hello", "post_handshake_auth", "server_hello13"]


def _illegal(text: str) -> TLSAlert:
    return TLSAlert(AD.illegal_parameter, text)


def check_server_hello(offer: Offer, sh: m.ServerHello) -> None:
    """RFC 8446 §4.1.3: what a TLS 1.3 ServerHello and a HelloRetryRequest
    must both satisfy: the version, the session id echo, an offered suite,
    null compression, and no extension that was not offered."""
    exts = sh.extensions
    version = m.parse_server_version(exts[Ext.supported_versions])
    if version != TLS13:
        raise _illegal(f"server selected version 0x{version:04x}, not offered")
    if sh.session_id != offer.ch.session_id:
        raise _illegal("legacy_session_id_echo does not match")
    if sh.cipher_suite not in offer.suites or sh.cipher_suite not in SUITES:
        raise _illegal("server selected a cipher suite that was not offered")
    if sh.compression != 0:
        raise _illegal("legacy_compression_method must be 0")
    for etype in exts:
        if etype not in offer.extensions and etype != Ext.cookie:
            raise TLSAlert(AD.unsupported_extension, f"unsolicited extension 0x{etype:04x}")


def server_hello13(
    ctx: Context,
    offer: Offer,
    sh: m.ServerHello,
    raw: bytes,
    shares: dict[int, KeyShare],
    retried: bool,
    hrr_suite: int | None,
) -> State:
    """A TLS 1.3 ServerHello (not a HelloRetryRequest): the key exchange,
    the handshake keys, and the state that waits for EncryptedExtensions."""
    exts = sh.extensions
    if Ext.cookie in exts:
        raise _illegal("cookie in ServerHello")
    if hrr_suite is not None and sh.cipher_suite != hrr_suite:
        raise _illegal("ServerHello suite differs from HelloRetryRequest")
    psk = client_psk(ctx, sh)
    suite = sh.cipher_suite
    info = SUITES[suite]
    group = None
    if Ext.key_share in exts or psk is None:
        if Ext.key_share not in exts:
            raise TLSAlert(AD.missing_extension, "ServerHello without key_share")
        group, peer = m.parse_server_key_share(exts[Ext.key_share])
        share = shares.get(group)
        if share is None:
            raise _illegal(f"server key share for group 0x{group:04x} that was not sent")
        shared = share.exchange(peer)
    else:
        shared = info.zeros  # psk_ke (RFC 8446 §7.1)

    ctx.version = TLS13
    ctx.suite = suite
    ctx.group = group
    ctx.transcript.set_hash(info.hash_name)
    ctx.transcript.add(raw)
    binder_ks = ctx.psk_schedule
    ctx.psk_schedule = None
    if psk is not None and binder_ks is not None and binder_ks.info.suite == suite:
        ks = binder_ks  # its early secret is this PSK's, extracted for the binder
    else:
        ks = KeySchedule(suite, psk)
    ctx.ks = ks
    ks.handshake_stage(shared, ctx.transcript.digest())
    ctx.keylog("SERVER_HANDSHAKE_TRAFFIC_SECRET", ks.server_hs_secret)
    ctx.keylog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", ks.client_hs_secret)
    ctx.set_read(ks.server_hs_secret)
    # From here on our records (alerts included) are protected; the
    # middlebox CCS stays plaintext whenever it is sent. With 0-RTT data
    # still possibly accepted, the early key writes until EndOfEarlyData.
    if ctx.early_status != "offered":
        ctx.set_write(ks.client_hs_secret)
    ctx.trace("receive ServerHello", version=TLS13, suite=suite, group=group)
    ctx.trace("derive handshake keys", hash=info.hash_name)
    # RFC 8446 §D.4: in middlebox compatibility mode (a session id was
    # sent) a dummy ChangeCipherSpec precedes our second flight, unless
    # one went before ClientHello2 already.
    ccs_pending = bool(offer.ch.session_id) and not retried
    return ExpectEncryptedExtensions(ctx, offer, ccs_pending)


class ExpectEncryptedExtensions(State):
    """RFC 8446 §4.3.1."""

    expected = "EncryptedExtensions"

    def __init__(self, ctx: Context, offer: Offer, ccs_pending: bool) -> None:
        self.ctx = ctx
        self.offer = offer
        self.ccs_pending = ccs_pending

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.encrypted_extensions:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ee = m.EncryptedExtensions.parse(body)
        for etype, ebody in ee.extensions.items():
            if etype not in self.offer.extensions:
                raise TLSAlert(AD.unsupported_extension, f"unsolicited extension 0x{etype:04x}")
            if etype == Ext.application_layer_protocol_negotiation:
                client_alpn_answer(ctx, ebody, self.offer.alpn)
            elif etype == Ext.server_name:
                m.check_empty(ebody, "server_name")
            elif etype == Ext.record_size_limit:
                ctx.apply_peer_record_limit(m.parse_record_size_limit(ebody))
            elif etype == Ext.supported_groups:
                m.parse_u16_list(ebody, "supported_groups")
            elif etype == Ext.early_data:
                m.check_empty(ebody, "early_data")
        ctx.transcript.add(raw)
        ctx.trace("receive EncryptedExtensions", alpn=ctx.alpn, extensions=list(ee.extensions))
        if ctx.early_status == "offered":
            if Ext.early_data in ee.extensions and ctx.resumed:
                ticket = ctx.psk_offered
                if ticket is None or ctx.suite != ticket.cipher_suite:
                    # RFC 8446 §4.2.10: 0-RTT only with the ticket's suite.
                    raise _illegal("early data accepted under another cipher suite")
                ctx.early_status = "accepted"
            else:
                ctx.early_status = "rejected"
                ks = ctx.ks
                assert ks is not None
                ctx.set_write(ks.client_hs_secret)
        elif Ext.early_data in ee.extensions:
            raise _illegal("early_data accepted but none was sent")
        if ctx.resumed:
            # RFC 8446 §2.2: the PSK authenticates the server.
            proof = resumed_server_proof(ctx)
            return ExpectFinished(ctx, self.ccs_pending, None, proof, SignatureChecked(0))
        return ExpectCertificateOrCertificateRequest(ctx, self.offer, self.ccs_pending)


class ExpectCertificateOrCertificateRequest(State):
    """RFC 8446 §4.3.2 / §4.4.2 (no PSK: a certificate is mandatory)."""

    expected = "Certificate or CertificateRequest"

    def __init__(self, ctx: Context, offer: Offer, ccs_pending: bool) -> None:
        self.ctx = ctx
        self.offer = offer
        self.ccs_pending = ccs_pending

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type == HT.certificate_request:
            ctx = self.ctx
            cr = m.CertificateRequest.parse(body)
            if cr.context:
                raise _illegal("certificate_request_context must be empty in the handshake")
            schemes = m.parse_u16_list(
                cr.extensions[Ext.signature_algorithms], "signature_algorithms"
            )
            if Ext.signature_algorithms_cert in cr.extensions:
                m.parse_u16_list(
                    cr.extensions[Ext.signature_algorithms_cert], "signature_algorithms_cert"
                )
            if Ext.certificate_authorities in cr.extensions:
                m.parse_certificate_authorities(cr.extensions[Ext.certificate_authorities])
            ctx.transcript.add(raw)
            ctx.client_auth_requested = True
            ctx.trace("receive CertificateRequest", schemes=schemes)
            return ExpectCertificate(ctx, self.offer, self.ccs_pending, (cr.context, schemes))
        return ExpectCertificate(self.ctx, self.offer, self.ccs_pending, None).handle(
            msg_type, body, raw
        )


class ExpectCertificate(State):
    """RFC 8446 §4.4.2: the server's chain, verified here."""

    expected = "Certificate"

    def __init__(
        self,
        ctx: Context,
        offer: Offer,
        ccs_pending: bool,
        request: tuple[bytes, list[int]] | None,
    ) -> None:
        self.ctx = ctx
        self.offer = offer
        self.ccs_pending = ccs_pending
        self.request = request

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.certificate:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        cert = m.Certificate.parse(body)
        if cert.context:
            raise _illegal("server Certificate with a non-empty request context")
        if not cert.entries:
            # RFC 8446 §4.4.2.4
            raise TLSAlert(AD.decode_error, "server sent no certificate")
        chain = parse_certificate_chain(cert, self.offer.extensions)
        ctx.transcript.add(raw)
        proof = verify_server_chain(ctx, chain)
        return ExpectCertificateVerify(ctx, self.offer, self.ccs_pending, self.request, proof)


class ExpectCertificateVerify(State):
    """RFC 8446 §4.4.3: proof that the server holds the leaf's key."""

    expected = "CertificateVerify"

    def __init__(
        self,
        ctx: Context,
        offer: Offer,
        ccs_pending: bool,
        request: tuple[bytes, list[int]] | None,
        cert_proof: CertificateChecked,
    ) -> None:
        self.ctx = ctx
        self.offer = offer
        self.ccs_pending = ccs_pending
        self.request = request
        self.cert_proof = cert_proof

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.certificate_verify:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        sig_proof = check_certificate_verify(
            body,
            raw,
            self.cert_proof.chain[0],
            self.offer.sigalgs,
            signatures.SERVER_CONTEXT,
            ctx.transcript,
        )
        ctx.trace("verify CertificateVerify", scheme=sig_proof.scheme)
        return ExpectFinished(ctx, self.ccs_pending, self.request, self.cert_proof, sig_proof)


class ExpectFinished(State):
    """RFC 8446 §4.4.4: the server's Finished; then our second flight."""

    expected = "Finished"

    def __init__(
        self,
        ctx: Context,
        ccs_pending: bool,
        request: tuple[bytes, list[int]] | None,
        cert_proof: CertificateChecked,
        sig_proof: SignatureChecked,
    ) -> None:
        self.ctx = ctx
        self.ccs_pending = ccs_pending
        self.request = request
        self.cert_proof = cert_proof
        self.sig_proof = sig_proof

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.finished:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ks = ctx.ks
        assert ks is not None
        fin_proof = check_peer_finished(ctx, ks.server_hs_secret, body, raw)
        ctx.trace("verify server Finished")
        ks.master_stage(ctx.transcript.digest())
        ctx.keylog("SERVER_TRAFFIC_SECRET_0", ks.server_app_secret)
        ctx.keylog("CLIENT_TRAFFIC_SECRET_0", ks.client_app_secret)
        ctx.keylog("EXPORTER_SECRET", ks.exporter_secret)
        ctx.set_read(ks.server_app_secret)

        # Our second flight: [EndOfEarlyData] [CCS] [Certificate
        # CertificateVerify] Finished.
        if ctx.early_status == "accepted":
            eoed = m.handshake(HT.end_of_early_data, b"")
            ctx.send_handshake(eoed)
            ctx.transcript.add(eoed)
            ctx.set_write(ks.client_hs_secret)
        if self.ccs_pending:
            ctx.record.send_change_cipher_spec()
        flight = []
        if self.request is not None:
            flight.extend(client_auth(ctx, ctx.transcript, *self.request))
        flight.append(ctx.finished_message(ks.client_hs_secret))
        ctx.transcript.add(flight[-1])
        ctx.send_handshake(b"".join(flight))
        ctx.trace("send client Finished")
        ks.resumption_stage(ctx.transcript.digest())
        ctx.handshake_transcript = ctx.transcript
        ctx.set_write(ks.client_app_secret)
        return handshake_complete(
            ctx, self.cert_proof, self.sig_proof, fin_proof, post_handshake_auth
        )


def client_auth(
    ctx: Context, transcript: Transcript, context: bytes, schemes: list[int]
) -> list[bytes]:
    """Certificate and CertificateVerify answering a CertificateRequest
    (RFC 8446 §4.4.2, §4.4.3), added to `transcript`: our chain, or an
    empty Certificate when we have none the server can accept."""
    prep = ctx.prepared
    cfg = ctx.config
    scheme = None
    if cfg.certificate_chain and cfg.private_key is not None:
        scheme = next((s for s in prep.own_schemes if s in schemes), None)
    if scheme is None:
        cert_msg = m.handshake(HT.certificate, m.Certificate.serialize_body(context, []))
        transcript.add(cert_msg)
        ctx.trace("send Certificate", certificates=0)
        return [cert_msg]
    body = (
        prep.certificate_body
        if not context
        else m.Certificate.serialize_body(context, prep.chain_der)
    )
    cert_msg = m.handshake(HT.certificate, body)
    transcript.add(cert_msg)
    content = signatures.CLIENT_CONTEXT + transcript.digest()
    sig = sign(ctx, cfg.private_key, scheme, content)
    cv_msg = m.CertificateVerify(scheme, sig).serialize()
    transcript.add(cv_msg)
    ctx.trace("send Certificate", certificates=len(prep.chain_der))
    ctx.trace("send CertificateVerify", scheme=scheme)
    return [cert_msg, cv_msg]


def post_handshake_auth(
    ctx: Context, body: bytes, raw: bytes, write_secret: bytes | bytearray
) -> None:
    """RFC 8446 §4.6.2: answer a post-handshake CertificateRequest with
    Certificate, CertificateVerify and a Finished keyed by the current
    client application traffic secret, over the handshake transcript plus
    these messages."""
    if not ctx.offered_pha:
        raise TLSAlert(AD.unexpected_message, "CertificateRequest without post_handshake_auth")
    cr = m.CertificateRequest.parse(body)
    schemes = m.parse_u16_list(cr.extensions[Ext.signature_algorithms], "signature_algorithms")
    ks = ctx.ks
    assert ks is not None and ctx.handshake_transcript is not None
    t = ctx.handshake_transcript.copy()
    t.add(raw)
    ctx.trace("receive CertificateRequest (post-handshake)", schemes=schemes)
    flight = client_auth(ctx, t, cr.context, schemes)
    flight.append(m.handshake(HT.finished, ks.finished_verify_data(write_secret, t.digest())))
    ctx.send_handshake(b"".join(flight))
    ctx.trace("send Finished (post-handshake)")
