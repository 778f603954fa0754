"""The TLS 1.3 server state machine (RFC 8446 §2, §4).

Owns: checking a ClientHello that leads to TLS 1.3 (server.py chose the
version and hands it over), choosing suite, group, signature scheme and ALPN
protocol, HelloRetryRequest (stateful, or with a cookie), the server's flight, client
authentication (in the handshake and after it), and the client's Finished.
One class per state, named for what it waits for.
Must not: touch record framing or buffers (the Connection does), or import
the TLS 1.2 modules.

    server.ExpectClientHello -> client_hello13 -> [ExpectClientHelloRetry]
        -> [ExpectCertificate -> ExpectCertificateVerify] -> ExpectFinished
        -> ExpectTraffic13
"""

from __future__ import annotations

import hmac

from cryptography import x509

from cytls._handshake import signatures
from cytls._handshake.certselect import choose_certificate
from cytls._handshake.checks import (
    check_certificate_verify,
    check_hello_version,
    check_peer_finished,
    choose_alpn,
    parse_certificate_chain,
    run_sni_callback,
    sign,
    verify_client_chain,
)
from cytls._handshake.config import TLSConfig
from cytls._handshake.groups import server_exchange
from cytls._handshake.keyschedule import SUITES, KeySchedule, wipe
from cytls._handshake.psk13 import (
    PSK_KE,
    ExpectEndOfEarlyData,
    Resumption,
    accept_early_data,
    can_build_tickets_ahead,
    issue_tickets,
    read_early_key,
    resumed_client_proof,
    server_psk,
    ticket_messages,
)
from cytls._handshake.state import (
    TLS13,
    CertificateChecked,
    Context,
    SignatureChecked,
    State,
    unexpected,
)
from cytls._handshake.traffic13 import handshake_complete
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec8, vec16
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT

__all__ = ["client_hello13", "request_certificate"]

_SV_TLS13 = TLS13.to_bytes(2, "big")
# RFC 8446 §4.2.10: how many bytes of 0-RTT records a server that does not
# accept early data skips (max_early_data_size; no ticket advertises one,
# so OpenSSL's default, one full record).
EARLY_DATA_SKIP = 1 << 14
_RECORD_SIZE_LIMIT = (16385).to_bytes(2, "big")


def _illegal(text: str) -> TLSAlert:
    return TLSAlert(AD.illegal_parameter, text)


def _no_certificate(cfg: TLSConfig) -> None:
    """The client answered a CertificateRequest with an empty Certificate:
    certificate_required when one is required (RFC 8446 §4.4.2.4), in the
    handshake and after it."""
    if cfg.verify_mode == 2:
        raise TLSAlert(
            AD.certificate_required,
            "peer did not return a certificate",
            reason="PEER_DID_NOT_RETURN_A_CERTIFICATE",
        )


class Choice:
    """What the server chose from the first ClientHello."""

    def __init__(self) -> None:
        self.suite = 0
        self.group = 0
        self.scheme = 0
        self.alpn: bytes | None = None
        self.record_limit: int | None = None
        self.sni_ack = False


def client_hello13(ctx: Context, ch: m.ClientHello, raw: bytes) -> State:
    """A first ClientHello that leads to TLS 1.3 (server.py hands it over):
    choose, then answer with a HelloRetryRequest or the server's flight."""
    choice, shares = _negotiate(ctx, ch)
    ctx.trace(
        "receive ClientHello",
        suites=ch.cipher_suites,
        key_shares=[g for g, _ in shares],
        server_name=ctx.server_name,
    )
    res = server_psk(ctx, ch, raw, choice.suite)
    if res is not None and res.mode == PSK_KE:
        return _server_flight(ctx, ch, raw, choice, None, retried=False, res=res)
    share = next((k for g, k in shares if g == choice.group), None)
    if share is None:
        # A PSK is resumed only without a retry (the client's second
        # ClientHello would need new binders): a full handshake it is.
        ctx.resumed = False
        return _hello_retry(ctx, ch, raw, choice)
    return _server_flight(ctx, ch, raw, choice, share, retried=False, res=res)


def _usable13(cfg: TLSConfig, client_schemes: set[int]) -> bool:
    return any(s in client_schemes for s in cfg.prepared().own_schemes)


def _negotiate(ctx: Context, ch: m.ClientHello) -> tuple[Choice, list[tuple[int, bytes]]]:
    cfg = ctx.config
    exts = ch.extensions
    # RFC 8446 §4.1.2: exactly one compression method, null.
    if ch.compression_methods != b"\x00":
        raise _illegal("legacy_compression_methods must be exactly [null]")
    choice = Choice()

    # server_name and the SNI callback (which may swap our chain), then
    # which of our chains suits the client's signature_algorithms.
    choice.sni_ack = run_sni_callback(ctx, exts)
    choose_certificate(ctx, exts, _usable13)

    # Cipher suite (RFC 8446 §4.1.1).
    offered = ch.cipher_suites
    ours13 = [s for s in cfg.cipher_suites if s in SUITES]
    if cfg.server_preference:
        suite = next((s for s in ours13 if s in offered), None)
    else:
        suite = next((s for s in offered if s in ours13), None)
    if suite is None or not ctx.cert_config.certificate_chain:
        # OpenSSL's words for both: no suite, or no certificate to serve.
        raise TLSAlert(AD.handshake_failure, "no shared cipher", reason="NO_SHARED_CIPHER")
    choice.suite = suite

    # Signature scheme (RFC 8446 §4.2.3, §9.2).
    if Ext.signature_algorithms not in exts:
        raise TLSAlert(AD.missing_extension, "ClientHello without signature_algorithms")
    client_schemes = m.parse_u16_list(exts[Ext.signature_algorithms], "signature_algorithms")
    if Ext.signature_algorithms_cert in exts:
        m.parse_u16_list(exts[Ext.signature_algorithms_cert], "signature_algorithms_cert")
    own = ctx.cert_prepared.own_schemes
    choice.scheme = signatures.select_scheme(own, set(client_schemes))

    # Groups and key shares (RFC 8446 §4.2.7, §4.2.8, §9.2).
    has_groups = Ext.supported_groups in exts
    has_shares = Ext.key_share in exts
    if has_groups != has_shares or not has_groups:
        raise TLSAlert(
            AD.missing_extension, "supported_groups and key_share must come together"
        )
    client_groups = m.parse_u16_list(exts[Ext.supported_groups], "supported_groups")
    shares = m.parse_client_key_shares(exts[Ext.key_share])
    share_groups = [g for g, _ in shares]
    for g in share_groups:
        if g not in client_groups:
            raise _illegal(f"key share for group 0x{g:04x} not in supported_groups")
    ours = cfg.groups
    group = next((g for g in ours if g in share_groups), None)
    if group is None:
        order = ours if cfg.server_preference else client_groups
        other = ours if order is client_groups else client_groups
        group = next((g for g in order if g in other), None)
    if group is None:
        raise TLSAlert(
            AD.handshake_failure, "no suitable key share", reason="NO_SUITABLE_KEY_SHARE"
        )
    choice.group = group

    # ALPN (RFC 7301 §3.2).
    choice.alpn = choose_alpn(cfg, exts)
    if Ext.record_size_limit in exts:
        choice.record_limit = m.parse_record_size_limit(exts[Ext.record_size_limit])
    if Ext.psk_key_exchange_modes in exts:
        m.parse_psk_modes(exts[Ext.psk_key_exchange_modes])
    if Ext.post_handshake_auth in exts:
        m.check_empty(exts[Ext.post_handshake_auth], "post_handshake_auth")
        ctx.offered_pha = True
    return choice, shares


def _hello_retry(ctx: Context, ch: m.ClientHello, raw: bytes, choice: Choice) -> State:
    """RFC 8446 §4.1.4: ask for a share of the chosen group. By default
    the HelloRetryRequest carries exactly supported_versions and key_share
    (as OpenSSL's); with `hello_retry_cookie`, a cookie too, which the
    second ClientHello must echo (§4.2.2)."""
    cfg = ctx.config
    cookie = ctx.random(32) if cfg.hello_retry_cookie else None
    exts: dict[int, bytes] = {
        Ext.supported_versions: _SV_TLS13,
        Ext.key_share: choice.group.to_bytes(2, "big"),
    }
    if cookie is not None:
        exts[Ext.cookie] = vec16(cookie)
    hrr = m.ServerHello(m.HRR_RANDOM, ch.session_id, choice.suite, exts)
    hrr_raw = hrr.serialize()
    ctx.transcript.add(raw)
    ctx.transcript.restart_for_hrr(SUITES[choice.suite].hash_name)
    ctx.transcript.add(hrr_raw)
    ctx.send_handshake(hrr_raw)
    if ch.session_id:
        ctx.record.send_change_cipher_spec()
    if Ext.early_data in ch.extensions:
        # RFC 8446 §4.2.10: skip the client's 0-RTT records (application
        # data, which we cannot read) until its second ClientHello.
        ctx.record.set_early_data_skip(max(EARLY_DATA_SKIP, cfg.max_early_data))
    ctx.trace(
        "send HelloRetryRequest", group=choice.group, suite=choice.suite, cookie=cookie is not None
    )
    return ExpectClientHelloRetry(ctx, ch, choice, cookie)


class ExpectClientHelloRetry(State):
    """RFC 8446 §4.1.2: the second ClientHello, after our HRR."""

    expected = "ClientHello (after HelloRetryRequest)"

    def __init__(
        self, ctx: Context, ch1: m.ClientHello, choice: Choice, cookie: bytes | None
    ) -> None:
        self.ctx = ctx
        self.ch1 = ch1
        self.choice = choice
        self.cookie = cookie

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.client_hello:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ch = m.ClientHello.parse(body)
        check_hello_version(ch.legacy_version, "ClientHello")
        exts = ch.extensions
        choice = self.choice
        if ch.session_id != self.ch1.session_id or ch.random != self.ch1.random:
            raise _illegal("second ClientHello changed its random or session id")
        if ch.legacy_version != self.ch1.legacy_version:
            raise _illegal("second ClientHello changed its legacy_version")
        if choice.suite not in ch.cipher_suites:
            raise _illegal("second ClientHello dropped the selected cipher suite")
        if self.cookie is None:
            if Ext.cookie in exts:
                raise _illegal("second ClientHello carries a cookie we did not send")
        elif Ext.cookie not in exts or m.parse_cookie(exts[Ext.cookie]) != self.cookie:
            raise _illegal("second ClientHello does not echo our cookie")
        if Ext.supported_versions not in exts or TLS13 not in m.parse_client_versions(
            exts[Ext.supported_versions]
        ):
            raise _illegal("second ClientHello dropped TLS 1.3")
        if Ext.early_data in exts:
            raise _illegal("early_data in the second ClientHello")
        if Ext.key_share not in exts:
            raise TLSAlert(AD.missing_extension, "second ClientHello without key_share")
        shares = m.parse_client_key_shares(exts[Ext.key_share])
        if len(shares) != 1 or shares[0][0] != choice.group:
            raise _illegal("second ClientHello must carry one share for the selected group")
        if Ext.supported_groups not in exts:
            raise TLSAlert(AD.missing_extension, "second ClientHello without supported_groups")
        if choice.group not in m.parse_u16_list(exts[Ext.supported_groups], "supported_groups"):
            raise _illegal("second ClientHello no longer supports the selected group")
        ctx.trace("receive ClientHello (retry)", key_shares=[choice.group])
        return _server_flight(ctx, ch, raw, choice, shares[0][1], retried=True)


def _server_flight(
    ctx: Context,
    ch: m.ClientHello,
    raw: bytes,
    choice: Choice,
    share: bytes | None,
    retried: bool,
    res: Resumption | None = None,
) -> State:
    """ServerHello, [CCS], EncryptedExtensions, [CertificateRequest,
    Certificate, CertificateVerify], Finished (RFC 8446 §2, §2.2: a resumed
    handshake authenticates with the PSK instead; psk_ke has no share)."""
    cfg = ctx.config
    suite = choice.suite
    info = SUITES[suite]
    sh_exts: dict[int, bytes] = {}
    if res is not None:
        sh_exts[Ext.pre_shared_key] = res.server_hello_extension()
    if share is not None:
        server_share, shared = server_exchange(
            choice.group, share, ctx.hooks.server_private, ctx.take_x25519_ahead()
        )
        sh_exts[Ext.key_share] = m.serialize_server_key_share(choice.group, server_share)
        ctx.group = choice.group
    else:
        shared = info.zeros  # psk_ke (RFC 8446 §7.1)
    sh_exts[Ext.supported_versions] = _SV_TLS13
    ctx.suite = suite
    random = ctx.hooks.random if ctx.hooks.random is not None else ctx.random(32)
    sh = m.ServerHello(random, ch.session_id, suite, sh_exts)
    sh_raw = sh.serialize()
    t = ctx.transcript
    t.set_hash(info.hash_name)
    t.add(raw)
    early = accept_early_data(ctx, ch, res, suite, choice.alpn)
    if early:
        ctx.early_hello_hash = t.digest()
    t.add(sh_raw)
    ks = res.schedule if res is not None and res.schedule else KeySchedule(suite)
    ctx.ks = ks
    if early:
        # Before handshake_stage, which wipes the early secret.
        assert res is not None
        read_early_key(ctx, ks)
        ctx.early_limit = res.state.max_early_data
    ks.handshake_stage(shared, t.digest())
    ctx.keylog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", ks.client_hs_secret)
    ctx.keylog("SERVER_HANDSHAKE_TRAFFIC_SECRET", ks.server_hs_secret)
    ctx.send_handshake(sh_raw)
    # RFC 8446 §D.4: a dummy ChangeCipherSpec after our first handshake
    # message when the client is in middlebox compatibility mode.
    if ch.session_id and not retried:
        ctx.record.send_change_cipher_spec()
    ctx.trace("send ServerHello", suite=suite, group=choice.group)
    ctx.version = TLS13
    ctx.set_write(ks.server_hs_secret)
    if not early:
        ctx.set_read(ks.client_hs_secret)
        if Ext.early_data in ch.extensions:
            # RFC 8446 §4.2.10: 0-RTT is declined; skip the client's early
            # data records, which cannot decrypt under this key.
            ctx.record.set_early_data_skip(max(EARLY_DATA_SKIP, cfg.max_early_data))
    ctx.trace("derive handshake keys", hash=info.hash_name)

    ee_exts: list[tuple[int, bytes]] = list(ctx.hooks.ee_extra)
    if choice.record_limit is not None:
        ee_exts.append((Ext.record_size_limit, _RECORD_SIZE_LIMIT))
        ctx.apply_peer_record_limit(choice.record_limit)
    if choice.sni_ack:
        ee_exts.append((Ext.server_name, b""))
    if choice.alpn is not None:
        ee_exts.append(
            (Ext.application_layer_protocol_negotiation, m.serialize_alpn([choice.alpn]))
        )
        ctx.alpn = choice.alpn.decode("ascii", "replace")
    if early:
        ee_exts.append((Ext.early_data, b""))
    flight = [m.handshake(HT.encrypted_extensions, m.serialize_extensions(ee_exts))]
    # OpenSSL's SSL_VERIFY_POST_HANDSHAKE: no request in a TLS 1.3
    # handshake; the application asks later (RFC 8446 §4.6.2).
    request = cfg.verify_mode != 0 and not cfg.client_auth_post_handshake_only and res is None
    if request:
        cr_exts = [(int(Ext.signature_algorithms), ctx.prepared.sigalgs_ext)]
        if ctx.prepared.ca_names_ext is not None:
            cr_exts.append((int(Ext.certificate_authorities), ctx.prepared.ca_names_ext))
        flight.append(
            m.handshake(HT.certificate_request, b"\x00" + m.serialize_extensions(cr_exts))
        )
    cert_prep = ctx.cert_prepared
    if res is None:
        flight.append(m.handshake(HT.certificate, cert_prep.certificate_body))
    for msg in flight:
        t.add(msg)
    if res is None:
        content = signatures.SERVER_CONTEXT + t.digest()
        sig = sign(ctx, ctx.cert_config.private_key, choice.scheme, content)
        cv = m.CertificateVerify(choice.scheme, sig).serialize()
        t.add(cv)
        flight.append(cv)
    fin = ctx.finished_message(ks.server_hs_secret)
    t.add(fin)
    flight.append(fin)
    ctx.send_handshake(b"".join(flight))
    ctx.trace(
        "send server flight",
        alpn=ctx.alpn,
        client_auth=request,
        certificates=0 if res is not None else len(cert_prep.chain_der),
        scheme=choice.scheme,
        resumed=res is not None,
    )
    # The client may fail on our flight before it installs its handshake
    # key and send a plaintext alert (OpenSSL does); accept those until its
    # first protected record.
    ctx.plain_alert_window = True
    ks.master_stage(t.digest())
    ctx.keylog("CLIENT_TRAFFIC_SECRET_0", ks.client_app_secret)
    ctx.keylog("SERVER_TRAFFIC_SECRET_0", ks.server_app_secret)
    ctx.keylog("EXPORTER_SECRET", ks.exporter_secret)
    ctx.set_write(ks.server_app_secret)
    if request:
        ctx.client_auth_requested = True
        return ExpectCertificate(ctx)
    if res is not None:
        then = ExpectFinished(ctx, resumed_client_proof(ctx, res), SignatureChecked(0))
        return ExpectEndOfEarlyData(ctx, then) if early else then
    proof = CertificateChecked([], [], False, "no client certificate requested")
    return ExpectFinished(ctx, proof, SignatureChecked(0))


class ExpectCertificate(State):
    """RFC 8446 §4.4.2: the client's chain (possibly empty)."""

    expected = "Certificate"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.certificate:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        cfg = ctx.config
        cert = m.Certificate.parse(body)
        if cert.context:
            raise _illegal("client Certificate context does not match the request")
        ctx.transcript.add(raw)
        if not cert.entries:
            ctx.trace("receive Certificate", certificates=0)
            _no_certificate(cfg)
            proof = CertificateChecked([], [], False, "client sent no certificate")
            return ExpectFinished(ctx, proof, SignatureChecked(0))
        chain = parse_certificate_chain(cert, set())
        ctx.trace(
            "receive Certificate",
            certificates=len(chain),
            subject=chain[0].subject,
        )
        return ExpectCertificateVerify(ctx, verify_client_chain(ctx, chain))


class ExpectCertificateVerify(State):
    """RFC 8446 §4.4.3: the client's proof of key possession."""

    expected = "CertificateVerify"

    def __init__(self, ctx: Context, cert_proof: CertificateChecked) -> None:
        self.ctx = ctx
        self.cert_proof = cert_proof

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.certificate_verify:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        sig_proof = check_certificate_verify(
            body,
            raw,
            self.cert_proof.chain[0],
            ctx.prepared.sigalgs_set,
            signatures.CLIENT_CONTEXT,
            ctx.transcript,
        )
        ctx.trace("verify CertificateVerify", scheme=sig_proof.scheme)
        return ExpectFinished(ctx, self.cert_proof, sig_proof)


class ExpectFinished(State):
    """RFC 8446 §4.4.4: the client's Finished completes the handshake."""

    expected = "Finished"

    def __init__(
        self, ctx: Context, cert_proof: CertificateChecked, sig_proof: SignatureChecked
    ) -> None:
        self.ctx = ctx
        self.cert_proof = cert_proof
        self.sig_proof = sig_proof
        # work_ahead's (transcript hash with the Finished we expect,
        # resumption_master_secret, NewSessionTicket messages).
        self.ahead: tuple[bytes, bytearray, bytes] | None = None

    def work_ahead(self) -> None:
        """The tickets, built while the client is still at work on our
        flight (its chain check, its Finished): the socket layer calls
        this before it waits. They follow from the Finished we expect,
        which the transcript so far fixes; handle() sends them only when
        the Finished that comes is that one and checks, else wipes them."""
        ctx = self.ctx
        ks = ctx.ks
        if self.ahead is not None or not can_build_tickets_ahead(ctx):
            return
        assert ks is not None
        t = ctx.transcript.copy()
        t.add(m.handshake(HT.finished, ks.finished_verify_data(ks.client_hs_secret, t.digest())))
        digest = t.digest()
        secret = ks.resumption_secret_for(digest)
        try:
            tickets = ticket_messages(ctx, secret)
        except BaseException:
            wipe(secret)
            raise
        self.ahead = (digest, secret, tickets)

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        ahead, self.ahead = self.ahead, None
        if msg_type != HT.finished:
            _drop(ahead)
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ks = ctx.ks
        assert ks is not None
        try:
            fin_proof = check_peer_finished(ctx, ks.client_hs_secret, body, raw)
        except TLSAlert:
            _drop(ahead)
            raise
        digest = ctx.transcript.digest()
        tickets = None
        # Nothing but this Finished moves the transcript in this state; the
        # comparison is cheap and keeps tickets for another from going out.
        if ahead is not None and ahead[0] == digest:
            ks.adopt_resumption_secret(ahead[1])
            tickets = ahead[2]
        else:
            _drop(ahead)
            ks.resumption_stage(digest)
        ctx.handshake_transcript = ctx.transcript
        ctx.set_read(ks.client_app_secret)
        ctx.trace("verify client Finished")
        # RFC 8446 §4.6.1: the tickets go out with our last handshake
        # flight, before any application data we write.
        issue_tickets(ctx, tickets)
        return handshake_complete(ctx, self.cert_proof, self.sig_proof, fin_proof)


def _drop(ahead: tuple[bytes, bytearray, bytes] | None) -> None:
    """Unused work_ahead results: the secret is wiped (the tickets are
    sealed, and never sent)."""
    if ahead is not None:
        wipe(ahead[1])


class PostHandshakeAuth:
    """Server side of one post-handshake authentication (RFC 8446 §4.6.2):
    the CertificateRequest we sent, then the client's Certificate,
    CertificateVerify and Finished, in that order, over the handshake
    transcript plus these messages."""

    def __init__(self, ctx: Context, context: bytes, request: bytes) -> None:
        assert ctx.handshake_transcript is not None
        self.ctx = ctx
        self.context = context
        self.transcript = ctx.handshake_transcript.copy()
        self.transcript.add(request)
        self.expect = HT.certificate
        self.chain: list[x509.Certificate] = []

    def handle(
        self, msg_type: int, body: bytes, raw: bytes, read_secret: bytes | bytearray
    ) -> bool:
        """Take one message; True when the exchange is complete."""
        ctx = self.ctx
        cfg = ctx.config
        if msg_type != self.expect:
            raise TLSAlert(AD.unexpected_message, "unexpected message in post-handshake auth")
        if msg_type == HT.certificate:
            cert = m.Certificate.parse(body)
            if cert.context != self.context:
                raise _illegal("Certificate context does not match our request")
            self.transcript.add(raw)
            if not cert.entries:
                _no_certificate(cfg)
                self.expect = HT.finished
                return False
            chain = parse_certificate_chain(cert, set())
            verify_client_chain(ctx, chain, "verify certificate chain (post-handshake)")
            self.chain = chain
            self.expect = HT.certificate_verify
            return False
        if msg_type == HT.certificate_verify:
            check_certificate_verify(
                body,
                raw,
                self.chain[0],
                ctx.prepared.sigalgs_set,
                signatures.CLIENT_CONTEXT,
                self.transcript,
            )
            self.expect = HT.finished
            return False
        ks = ctx.ks
        assert ks is not None
        expected = ks.finished_verify_data(read_secret, self.transcript.digest())
        if len(body) != len(expected) or not hmac.compare_digest(expected, body):
            raise TLSAlert(AD.decrypt_error, "post-handshake Finished does not match")
        ctx.trace("verify client Finished (post-handshake)", certificates=len(self.chain))
        return True


def request_certificate(ctx: Context) -> PostHandshakeAuth:
    """Send a post-handshake CertificateRequest (RFC 8446 §4.6.2)."""
    if not ctx.offered_pha:
        raise ValueError("the client did not offer post_handshake_auth")
    context = ctx.random(8)
    exts = [(int(Ext.signature_algorithms), ctx.prepared.sigalgs_ext)]
    if ctx.prepared.ca_names_ext is not None:
        exts.append((int(Ext.certificate_authorities), ctx.prepared.ca_names_ext))
    msg = m.handshake(HT.certificate_request, vec8(context) + m.serialize_extensions(exts))
    ctx.send_handshake(msg)
    ctx.trace("send CertificateRequest (post-handshake)")
    return PostHandshakeAuth(ctx, context, msg)
