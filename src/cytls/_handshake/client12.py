"""The TLS 1.2 client state machine (RFC 5246 §7.3, RFC 8422, RFC 7627).

Owns: accepting a TLS 1.2 ServerHello in answer to our ClientHello (the
negotiation in client.py hands it over), the server's Certificate, ServerKeyExchange,
CertificateRequest and ServerHelloDone (no ServerKeyExchange with the opt-in
RSA key transport of rsa_kx12.py), and the client's second flight.
One class per state, named for what it waits for.
Must not: touch record framing (the Connection does) or renegotiate; what
resumption needs beyond the abbreviated ServerHello is resume12's.

    client.ExpectServerHello -> ExpectCertificate
        -> ExpectServerKeyExchange -> ExpectCertificateRequestOrServerHelloDone
        -> [ExpectServerHelloDone] -> ExpectChangeCipherSpec
        -> ExpectFinished12 -> ExpectTraffic12
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

from cytls._handshake import signatures
from cytls._handshake.checks import client_alpn_answer, load_certificates, sign, verify_server_chain
from cytls._handshake.common12 import ExpectChangeCipherSpec, add_message, send_finished
from cytls._handshake.groups import KeyShare
from cytls._handshake.keyschedule import SUITES12, KeySchedule12
from cytls._handshake.offer import Offer
from cytls._handshake.resume12 import ExpectNewSessionTicket12, resumed_server_proof12
from cytls._handshake.rsa_kx12 import client_key_transport
from cytls._handshake.state import (
    GROUPS12,
    TLS12,
    CertificateChecked,
    Context,
    SignatureChecked,
    State,
    unexpected,
)
from cytls._wire import messages as m
from cytls._wire import messages12 as m12
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT

__all__ = ["server_hello12"]


def _illegal(text: str) -> TLSAlert:
    return TLSAlert(AD.illegal_parameter, text)


def server_hello12(
    ctx: Context, offer: Offer, sh: m.ServerHello, raw: bytes, retried: bool
) -> State:
    """Check a ServerHello without supported_versions (RFC 5246 §7.4.1.3)
    against our offer and start the TLS 1.2 handshake."""
    cfg = ctx.config
    if cfg.speaks_tls13() and sh.random[-8:] in (m.DOWNGRADE_TLS12, m.DOWNGRADE_TLS11):
        # RFC 8446 §4.1.3: a TLS 1.3 server negotiating below 1.3 with a
        # client that offered 1.3: an attacker removed TLS 1.3.
        raise _illegal("downgrade sentinel in ServerHello.random")
    if cfg.min_version > TLS12 or sh.legacy_version != TLS12:
        raise TLSAlert(AD.protocol_version, f"server chose version 0x{sh.legacy_version:04x}")
    if retried:
        raise _illegal("TLS 1.2 ServerHello after a HelloRetryRequest")
    suite = sh.cipher_suite
    if suite not in offer.suites or suite not in SUITES12:
        raise _illegal("server selected a cipher suite that was not offered")
    if sh.compression != 0:
        raise _illegal("server selected a compression method")
    resumed = bool(sh.session_id) and sh.session_id == offer.ch.session_id
    if resumed and (ctx.offered12 is None or suite != ctx.offered12.cipher_suite):
        # An echo of our session id claims a resumption we did not offer.
        raise _illegal("server resumed a session that was not offered")
    exts = sh.extensions
    for etype in exts:
        if etype not in offer.extensions:
            raise TLSAlert(AD.unsupported_extension, f"unsolicited extension 0x{etype:04x}")
    # RFC 7627 §5.2: a server that does not echo the extension gets the
    # RFC 5246 master secret, unless the configuration requires EMS.
    ems = Ext.extended_master_secret in exts
    if ems:
        m.check_empty(exts[Ext.extended_master_secret], "extended_master_secret")
    elif cfg.require_extended_master_secret:
        raise TLSAlert(AD.handshake_failure, "server does not support extended master secret")
    if Ext.renegotiation_info in exts and m12.parse_renegotiation_info(exts[Ext.renegotiation_info]):
        # RFC 5746 §3.4: empty on the initial handshake.
        raise TLSAlert(AD.handshake_failure, "renegotiation_info is not empty")
    if Ext.ec_point_formats in exts and 0 not in m12.parse_ec_point_formats(
        exts[Ext.ec_point_formats]
    ):
        raise _illegal("server does not accept uncompressed points")
    if Ext.application_layer_protocol_negotiation in exts:
        client_alpn_answer(ctx, exts[Ext.application_layer_protocol_negotiation], offer.alpn)
    if Ext.server_name in exts:
        m.check_empty(exts[Ext.server_name], "server_name")
    if Ext.record_size_limit in exts:
        # RFC 8449 §4: in TLS 1.2 the limit counts plaintext only.
        limit = m.parse_record_size_limit(exts[Ext.record_size_limit])
        ctx.peer_record_limit = limit
        ctx.record.set_write_fragment_limit(min(cfg.max_fragment, limit))
    ctx.version = TLS12
    ctx.suite = suite
    ctx.ks12 = KeySchedule12(suite, offer.ch.random, sh.random, extended=ems)
    ctx.messages12 = bytearray(ctx.client_hello_raw)
    add_message(ctx, raw)
    ctx.session_id12 = sh.session_id
    ctx.ticket_promised12 = Ext.session_ticket in exts
    ctx.trace("receive ServerHello", version=TLS12, suite=suite, alpn=ctx.alpn, resumed=resumed)
    if resumed:
        # RFC 5246 §7.3: the abbreviated handshake, with the session's
        # master secret (extended or not, as the session's, RFC 7627 §5.3).
        session = ctx.offered12
        assert session is not None
        if session.ems != ems:
            # RFC 7627 §5.3: the session's master secret kind carries over.
            raise TLSAlert(
                AD.handshake_failure, "resumed session's extended master secret state changed"
            )
        ctx.resumed = True
        ctx.ks12.master_secret = bytearray(session.psk)
        ctx.keylog("CLIENT_RANDOM", session.psk)
        then: State = ExpectChangeCipherSpec(
            ctx, resumed_server_proof12(ctx, session), SignatureChecked(0)
        )
        return ExpectNewSessionTicket12(ctx, then) if ctx.ticket_promised12 else then
    return ExpectCertificate(ctx, offer)


class ExpectCertificate(State):
    """RFC 5246 §7.4.2: the server's chain, verified here; its key must
    fit the suite (RFC 8422 §5.3)."""

    expected = "Certificate"

    def __init__(self, ctx: Context, offer: Offer) -> None:
        self.ctx = ctx
        self.offer = offer

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.certificate:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ders = m12.parse_certificate12(body)
        if not ders:
            raise TLSAlert(AD.decode_error, "server sent no certificate")
        chain = load_certificates(ders)
        assert ctx.suite is not None
        is_rsa = isinstance(chain[0].public_key(), rsa.RSAPublicKey)
        if is_rsa != (SUITES12[ctx.suite].auth == "rsa"):
            raise TLSAlert(AD.unsupported_certificate, "certificate key does not fit the suite")
        add_message(ctx, raw)
        proof = verify_server_chain(ctx, chain)
        if SUITES12[ctx.suite].kx == "rsa":
            # RSA key transport (RFC 5246 §7.4.7.1): no ServerKeyExchange;
            # the premaster goes encrypted to the certificate's key, and
            # the server proves it holds the key with its Finished (so
            # there is no signature to check: scheme 0).
            public_key = chain[0].public_key()
            assert isinstance(public_key, rsa.RSAPublicKey)
            # The premaster starts with our ClientHello.client_version.
            version = self.offer.ch.legacy_version
            premaster, cke = client_key_transport(public_key, version, ctx.random)
            ctx.trace("encrypt premaster secret", bits=public_key.key_size)
            return ExpectCertificateRequestOrServerHelloDone(
                ctx, proof, SignatureChecked(0), cke, premaster
            )
        return ExpectServerKeyExchange(ctx, self.offer, proof)


class ExpectServerKeyExchange(State):
    """RFC 8422 §5.4: the server's ephemeral ECDH key, signed over both
    randoms with the certificate's key."""

    expected = "ServerKeyExchange"

    def __init__(self, ctx: Context, offer: Offer, cert: CertificateChecked) -> None:
        self.ctx = ctx
        self.offer = offer
        self.cert = cert

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.server_key_exchange:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ske = m12.ServerKeyExchange12.parse(body)
        if ske.group not in self.offer.groups or ske.group not in GROUPS12:
            raise _illegal(f"server chose group 0x{ske.group:04x}, not offered")
        if ske.scheme not in self.offer.sigalgs:
            raise _illegal(f"ServerKeyExchange scheme 0x{ske.scheme:04x} was not offered")
        ks = ctx.ks12
        assert isinstance(ks, KeySchedule12)
        leaf = self.cert.chain[0]
        content = ks.client_random + ks.server_random + ske.params
        signatures.verify12(
            leaf, leaf.public_key(), ske.scheme, ske.signature, content, "ServerKeyExchange"
        )
        share = KeyShare(ske.group, ctx.hooks.key_shares.get(ske.group))
        premaster = share.exchange(ske.point)
        ctx.group = ske.group
        add_message(ctx, raw)
        ctx.trace("receive ServerKeyExchange", group=ske.group)
        ctx.trace("verify ServerKeyExchange", scheme=ske.scheme)
        cke = bytes((len(share.public),)) + share.public  # RFC 8422 §5.7
        return ExpectCertificateRequestOrServerHelloDone(
            ctx, self.cert, SignatureChecked(ske.scheme), cke, premaster
        )


class ExpectCertificateRequestOrServerHelloDone(State):
    """RFC 5246 §7.4.4, §7.4.5."""

    expected = "CertificateRequest or ServerHelloDone"

    def __init__(
        self,
        ctx: Context,
        cert: CertificateChecked,
        sig: SignatureChecked,
        cke: bytes,
        premaster: bytes,
    ) -> None:
        self.ctx = ctx
        self.cert = cert
        self.sig = sig
        self.cke = cke  # the ClientKeyExchange body
        self.premaster = premaster
        self.request: m12.CertificateRequest12 | None = None

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        ctx = self.ctx
        if msg_type == HT.certificate_request and self.request is None:
            cr = m12.CertificateRequest12.parse(body)
            self.request = cr
            add_message(ctx, raw)
            ctx.client_auth_requested = True
            ctx.trace("receive CertificateRequest", schemes=cr.schemes)
            self.expected = "ServerHelloDone"
            return self
        if msg_type != HT.server_hello_done:
            raise unexpected(self, msg_type)
        if body:
            raise TLSAlert(AD.decode_error, "ServerHelloDone is not empty")
        add_message(ctx, raw)
        ctx.trace("receive ServerHelloDone")
        self._second_flight()
        then: State = ExpectChangeCipherSpec(ctx, self.cert, self.sig)
        if ctx.ticket_promised12:
            return ExpectNewSessionTicket12(ctx, then)
        return then

    def _second_flight(self) -> None:
        """[Certificate] ClientKeyExchange [CertificateVerify]
        ChangeCipherSpec Finished (RFC 5246 §7.3)."""
        ctx = self.ctx
        cfg = ctx.config
        prep = ctx.prepared
        ks = ctx.ks12
        assert isinstance(ks, KeySchedule12)
        flight: list[bytes] = []
        scheme = None
        cr = self.request
        if cr is not None:
            if cfg.certificate_chain and cfg.private_key is not None:
                is_rsa = isinstance(cfg.private_key, rsa.RSAPrivateKey)
                cert_type = m12.CERT_TYPE_RSA_SIGN if is_rsa else m12.CERT_TYPE_ECDSA_SIGN
                if cert_type in cr.certificate_types:
                    own = signatures.key_schemes12(cfg.private_key, cfg.certificate_chain[0])
                    scheme = next((s for s in own if s in cr.schemes), None)
            ders = prep.chain_der if scheme is not None else []
            flight.append(m12.serialize_certificate12(ders))
            ctx.trace("send Certificate", certificates=len(ders))
        flight.append(m.handshake(HT.client_key_exchange, self.cke))
        for msg in flight:
            add_message(ctx, msg)
        ctx.trace("send ClientKeyExchange", group=ctx.group)
        # RFC 7627 §4: the session hash runs through ClientKeyExchange.
        ks.derive_master_secret(self.premaster, ctx.messages12)
        ctx.keylog("CLIENT_RANDOM", ks.master_secret)
        ctx.trace("derive master secret", extended=ks.extended)
        if scheme is not None:
            # RFC 5246 §7.4.8: a signature over every handshake message so far.
            sig = sign(ctx, cfg.private_key, scheme, bytes(ctx.messages12))
            cv = m.CertificateVerify(scheme, sig).serialize()
            add_message(ctx, cv)
            flight.append(cv)
            ctx.trace("send CertificateVerify", scheme=scheme)
        ctx.send_handshake(b"".join(flight))
        send_finished(ctx)
