"""The TLS 1.3 client state machine (RFC 8446 §2, §4).

Owns: building the ClientHello (and the second one after a
HelloRetryRequest), checking every server message against what was offered,
and the client's second flight. One class per state, named for what it
waits for; each handle() returns the next state.
Must not: touch record framing or buffers (the Connection does), or accept
any message the current state does not name.

    START -> ExpectServerHello -> ExpectEncryptedExtensions
          -> ExpectCertificateOrCertificateRequest -> [ExpectCertificate]
          -> ExpectCertificateVerify -> ExpectFinished -> ExpectTraffic
"""

from __future__ import annotations

from cytls import _messages as m
from cytls import _sigs
from cytls._codec import vec16
from cytls._config import is_ip_address
from cytls._enums import ExtensionType as Ext
from cytls._enums import HandshakeType as HT
from cytls._errors import AlertDescription as AD
from cytls._errors import TLSAlert
from cytls._keyschedule import SUITES, SUITES12, KeySchedule
from cytls._kx import KeyShare
from cytls._shared import (
    check_certificate_verify,
    check_peer_finished,
    client_alpn_answer,
    handshake_complete,
    parse_certificate_chain,
    sign,
    verify_server_chain,
)
from cytls._states13 import (
    GROUPS12,
    TLS12,
    TLS13,
    CertificateChecked,
    Context,
    SignatureChecked,
    State,
    unexpected,
)
from cytls._transcript import Transcript

__all__ = ["start_client"]

_RECORD_SIZE_LIMIT = (16385).to_bytes(2, "big")


def _illegal(text: str) -> TLSAlert:
    return TLSAlert(AD.illegal_parameter, text)


class Offer:
    """What the client offered, parsed back from its ClientHello."""

    def __init__(self, ch: m.ClientHello) -> None:
        self.ch = ch
        exts = ch.extensions
        self.extensions = set(exts)
        self.suites = set(ch.cipher_suites)
        self.groups = set(m.parse_u16_list(exts[Ext.supported_groups], "supported_groups"))
        self.sigalgs = set(m.parse_u16_list(exts[Ext.signature_algorithms], "signature_algorithms"))
        self.groups_list = m.parse_u16_list(exts[Ext.supported_groups], "supported_groups")
        self.alpn = (
            m.parse_alpn(exts[Ext.application_layer_protocol_negotiation])
            if Ext.application_layer_protocol_negotiation in exts
            else []
        )


def _client_hello(ctx: Context, shares: dict[int, KeyShare]) -> m.ClientHello:
    """RFC 8446 §4.1.2, extensions in a stable order; with the TLS 1.2
    extensions (RFC 8422, RFC 7627, RFC 5746) when TLS 1.2 is allowed, and
    without the TLS 1.3 ones when it is not."""
    cfg = ctx.config
    prep = ctx.prepared
    tls13 = cfg.max_version >= TLS13
    tls12 = cfg.min_version <= TLS12
    exts: dict[int, bytes] = {}
    host = cfg.server_hostname
    if host and not is_ip_address(host):
        # RFC 6066 §3: no trailing dot in a HostName.
        exts[Ext.server_name] = m.serialize_server_name(host.rstrip("."))
    groups = cfg.groups if tls13 else [g for g in cfg.groups if g in GROUPS12]
    exts[Ext.supported_groups] = m.serialize_u16_list(groups)
    exts[Ext.signature_algorithms] = prep.sigalgs_ext
    if tls12:
        exts[Ext.ec_point_formats] = b"\x01\x00"  # uncompressed only
        exts[Ext.extended_master_secret] = b""
        exts[Ext.renegotiation_info] = b"\x00"  # RFC 5746 §3.4: initial handshake
    if tls13:
        versions = [TLS13, TLS12] if tls12 else [TLS13]
        exts[Ext.supported_versions] = m.serialize_client_versions(versions)
        exts[Ext.key_share] = m.serialize_client_key_shares(
            [(g, s.public) for g, s in shares.items()]
        )
        exts[Ext.psk_key_exchange_modes] = b"\x01\x01"  # psk_dhe_ke
    if cfg.alpn_protocols:
        exts[Ext.application_layer_protocol_negotiation] = m.serialize_alpn(
            [p.encode() for p in cfg.alpn_protocols]
        )
    exts[Ext.record_size_limit] = _RECORD_SIZE_LIMIT
    if cfg.post_handshake_auth and tls13:
        exts[Ext.post_handshake_auth] = b""
        ctx.offered_pha = True
    hooks = ctx.hooks
    random = hooks.random if hooks.random is not None else ctx.random(32)
    # A TLS 1.2-only client has no middlebox compatibility session id (and
    # never resumes), so it sends none.
    sid = hooks.session_id if hooks.session_id is not None else ctx.random(32) if tls13 else b""
    suites = [s for s in cfg.cipher_suites if (s in SUITES and tls13) or (s in SUITES12 and tls12)]
    return m.ClientHello(random, sid, suites, exts)


def start_client(ctx: Context) -> State:
    """Queue the ClientHello and return the first state."""
    cfg = ctx.config
    hooks = ctx.hooks
    shares = {}
    if cfg.max_version >= TLS13:
        shares = {g: KeyShare(g, hooks.key_shares.get(g)) for g in cfg.effective_key_share_groups()}
    if hooks.client_hello is not None:
        ch = m.ClientHello.parse(hooks.client_hello[4:])
        raw = hooks.client_hello
        shares = {g: KeyShare(g, hooks.key_shares.get(g)) for g in hooks.key_shares}
    else:
        ch = _client_hello(ctx, shares)
        raw = ch.serialize()
    ctx.client_random = ch.random
    ctx.client_hello_raw = raw
    ctx.record.set_legacy_record_version(0x0301)
    ctx.send_handshake(raw)
    ctx.record.set_legacy_record_version(0x0303)
    ctx.transcript.add(raw)
    ctx.trace(
        "send ClientHello",
        suites=list(ch.cipher_suites),
        key_shares=list(shares),
        server_name=cfg.server_hostname,
        alpn=list(cfg.alpn_protocols),
    )
    return ExpectServerHello(ctx, Offer(ch), shares, retried=False)


class ExpectServerHello(State):
    """Waits for ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4)."""

    expected = "ServerHello"

    def __init__(
        self,
        ctx: Context,
        offer: Offer,
        shares: dict[int, KeyShare],
        retried: bool,
        hrr_suite: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.offer = offer
        self.shares = shares
        self.retried = retried
        self.hrr_suite = hrr_suite

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.server_hello:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        offer = self.offer
        sh = m.ServerHello.parse(body)
        exts = sh.extensions
        if Ext.supported_versions not in exts:
            # A TLS 1.2 (or older) ServerHello (RFC 8446 §4.1.3).
            from cytls._client12 import server_hello12

            return server_hello12(ctx, offer, sh, raw, self.retried)
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
        if sh.is_hrr:
            return self._retry(sh, raw)
        if Ext.cookie in exts:
            raise _illegal("cookie in ServerHello")
        if self.hrr_suite is not None and sh.cipher_suite != self.hrr_suite:
            raise _illegal("ServerHello suite differs from HelloRetryRequest")
        if Ext.key_share not in exts:
            raise TLSAlert(AD.missing_extension, "ServerHello without key_share")
        group, peer = m.parse_server_key_share(exts[Ext.key_share])
        share = self.shares.get(group)
        if share is None:
            raise _illegal(f"server key share for group 0x{group:04x} that was not sent")
        shared = share.exchange(peer)

        suite = sh.cipher_suite
        ctx.version = TLS13
        ctx.suite = suite
        ctx.group = group
        info = SUITES[suite]
        ctx.transcript.set_hash(info.hash_name)
        ctx.transcript.add(raw)
        ks = KeySchedule(suite)
        ctx.ks = ks
        ks.handshake_stage(shared, ctx.transcript.digest())
        ctx.keylog("SERVER_HANDSHAKE_TRAFFIC_SECRET", ks.server_hs_secret)
        ctx.keylog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", ks.client_hs_secret)
        ctx.set_read(ks.server_hs_secret)
        # From here on our records (alerts included) are protected; the
        # middlebox CCS stays plaintext whenever it is sent.
        ctx.set_write(ks.client_hs_secret)
        ctx.trace("receive ServerHello", version=TLS13, suite=suite, group=group)
        ctx.trace("derive handshake keys", hash=info.hash_name)
        # RFC 8446 §D.4: in middlebox compatibility mode (a session id was
        # sent) a dummy ChangeCipherSpec precedes our second flight, unless
        # one went before ClientHello2 already.
        ccs_pending = bool(offer.ch.session_id) and not self.retried
        return ExpectEncryptedExtensions(ctx, offer, ccs_pending)

    def _retry(self, hrr: m.ServerHello, raw: bytes) -> State:
        """RFC 8446 §4.1.4: answer a HelloRetryRequest with ClientHello2."""
        ctx = self.ctx
        if self.retried:
            raise TLSAlert(AD.unexpected_message, "second HelloRetryRequest")
        exts = hrr.extensions
        if ctx.hooks.client_hello is not None:
            raise TLSAlert(AD.internal_error, "HelloRetryRequest with an injected ClientHello")
        group = None
        if Ext.key_share in exts:
            group = m.parse_hrr_key_share(exts[Ext.key_share])
            if group not in self.offer.groups or group in self.shares:
                raise _illegal("HelloRetryRequest selected an unusable group")
        cookie = m.parse_cookie(exts[Ext.cookie]) if Ext.cookie in exts else None
        if group is None and cookie is None:
            raise _illegal("HelloRetryRequest would not change the ClientHello")
        suite = hrr.cipher_suite
        ctx.transcript.restart_for_hrr(SUITES[suite].hash_name)
        ctx.transcript.add(raw)
        ctx.trace("receive HelloRetryRequest", suite=suite, group=group, cookie=cookie is not None)
        shares = {group: KeyShare(group, ctx.hooks.key_shares.get(group))} if group else self.shares
        old = self.offer.ch
        ch2 = _client_hello(ctx, shares)
        ch2.random = old.random
        ch2.session_id = old.session_id
        if cookie is not None:
            ch2.extensions[Ext.cookie] = vec16(cookie)
        raw2 = ch2.serialize()
        # RFC 8446 §D.4: the dummy ChangeCipherSpec before the second flight.
        if old.session_id:
            ctx.record.send_change_cipher_spec()
        ctx.send_handshake(raw2)
        ctx.transcript.add(raw2)
        ctx.trace("send ClientHello (retry)", key_shares=list(shares))
        return ExpectServerHello(ctx, Offer(ch2), shares, retried=True, hrr_suite=suite)


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
        ctx.transcript.add(raw)
        ctx.trace("receive EncryptedExtensions", alpn=ctx.alpn, extensions=list(ee.extensions))
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
            _sigs.SERVER_CONTEXT,
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

        # Our second flight: [CCS] [Certificate CertificateVerify] Finished.
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
        return handshake_complete(ctx, self.cert_proof, self.sig_proof, fin_proof)


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
    content = _sigs.CLIENT_CONTEXT + transcript.digest()
    sig = sign(ctx, cfg.private_key, scheme, content)
    cv_msg = m.CertificateVerify(scheme, sig).serialize()
    transcript.add(cv_msg)
    ctx.trace("send Certificate", certificates=len(prep.chain_der))
    ctx.trace("send CertificateVerify", scheme=scheme)
    return [cert_msg, cv_msg]


def post_handshake_auth(ctx: Context, body: bytes, raw: bytes, write_secret: bytes) -> None:
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
