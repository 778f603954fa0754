"""The TLS 1.2 server state machine (RFC 5246 §7.3, RFC 8422, RFC 7627).

Owns: checking a ClientHello that leads to TLS 1.2 (the negotiation in
server.py hands it over), choosing suite, group, signature scheme and ALPN protocol,
the server's first flight with the RFC 8446 §4.1.3 downgrade sentinel, the
client's certificate, key exchange (ECDHE, or the opt-in RSA key transport
of rsa_kx12.py) and CertificateVerify. One class per
state, named for what it waits for.
Must not: touch record framing (the Connection does) or renegotiate.
Resumption (RFC 5077 tickets, session IDs) is resume12's; the abbreviated
flight is here.

    server.ExpectClientHello -> client_hello12 -> [ExpectCertificate]
        -> ExpectClientKeyExchange -> [ExpectCertificateVerify]
        -> ExpectChangeCipherSpec -> ExpectFinished12 -> ExpectTraffic12
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, rsa, x448, x25519

from cytls._handshake import signatures
from cytls._handshake.certselect import choose_certificate
from cytls._handshake.checks import (
    choose_alpn,
    load_certificates,
    run_sni_callback,
    sign,
    verify_client_chain,
)
from cytls._handshake.common12 import ExpectChangeCipherSpec, add_message, send_finished
from cytls._handshake.config import TLSConfig
from cytls._handshake.groups import KeyShare
from cytls._handshake.keyschedule import SUITES12, KeySchedule12
from cytls._handshake.resume12 import (
    find_session12,
    new_session_ticket12,
    restored_proof,
    stateless_tickets,
)
from cytls._handshake.rsa_kx12 import ServerKeyTransport, parse_encrypted_premaster
from cytls._handshake.state import (
    GROUPS12,
    TLS12,
    CertificateChecked,
    Context,
    SignatureChecked,
    State,
    unexpected,
)
from cytls._handshake.tickets import SessionState
from cytls._wire import messages as m
from cytls._wire import messages12 as m12
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec24
from cytls._wire.enums import CipherSuite
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT

__all__ = ["client_hello12"]

_P256 = 0x0017
_CURVE_GROUPS = {"secp256r1": 0x0017, "secp384r1": 0x0018, "secp521r1": 0x0019}


def _usable12(cfg: TLSConfig, client_schemes: set[int], offered: list[int]) -> bool:
    """A TLS 1.2 client can use this chain: a suite for its key type is
    offered and enabled, and a signature scheme for the key is accepted."""
    key = cfg.private_key
    auth = "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa"
    if not any(s in SUITES12 and SUITES12[s].auth == auth for s in offered if s in cfg.cipher_suites):
        return False
    own = signatures.key_schemes12(key, cfg.certificate_chain[0])
    return any(s in client_schemes for s in own)


def _illegal(text: str) -> TLSAlert:
    return TLSAlert(AD.illegal_parameter, text)


def client_hello12(ctx: Context, ch: m.ClientHello, raw: bytes) -> State:
    """Negotiate TLS 1.2 for this ClientHello and send our first flight:
    ServerHello, Certificate, ServerKeyExchange, [CertificateRequest],
    ServerHelloDone (RFC 5246 §7.3)."""
    cfg = ctx.config
    exts = ch.extensions
    if Ext.supported_versions in exts:
        # RFC 8446 §4.2.1: supported_versions alone decides.
        client_max = TLS12 if TLS12 in m.parse_client_versions(exts[Ext.supported_versions]) else 0
    else:
        client_max = min(ch.legacy_version, TLS12)
    if cfg.min_version > TLS12 or client_max < TLS12:
        raise TLSAlert(AD.protocol_version, "unsupported protocol", reason="UNSUPPORTED_PROTOCOL")
    tls13 = cfg.speaks_tls13()
    if CipherSuite.TLS_FALLBACK_SCSV in ch.cipher_suites and tls13:
        # RFC 7507 §3: the client retried below the version we support.
        raise TLSAlert(AD.inappropriate_fallback, "fallback to TLS 1.2 from a TLS 1.3 server")
    # RFC 5246 §7.4.1.2: the null compression method must be offered.
    if 0 not in ch.compression_methods:
        raise _illegal("ClientHello does not offer the null compression method")
    # RFC 7627 §5.2: without the extension, the RFC 5246 master secret,
    # unless the configuration requires the extended one. (§5.3, on
    # resuming a session: find_session12.)
    ems = Ext.extended_master_secret in exts
    if ems:
        m.check_empty(exts[Ext.extended_master_secret], "extended_master_secret")
    elif cfg.require_extended_master_secret:
        raise TLSAlert(AD.handshake_failure, "client does not offer extended master secret")
    secure_reneg = CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV in ch.cipher_suites
    if Ext.renegotiation_info in exts:
        if m12.parse_renegotiation_info(exts[Ext.renegotiation_info]):
            # RFC 5746 §3.6: must be empty on the initial handshake.
            raise TLSAlert(AD.handshake_failure, "renegotiation_info is not empty")
        secure_reneg = True
    points = Ext.ec_point_formats in exts
    if points and 0 not in m12.parse_ec_point_formats(exts[Ext.ec_point_formats]):
        raise _illegal("client does not accept uncompressed points")

    sni_ack = run_sni_callback(ctx, exts)
    choose_certificate(ctx, exts, lambda c, schemes: _usable12(c, schemes, ch.cipher_suites))
    key = ctx.cert_config.private_key
    if key is None or not ctx.cert_config.certificate_chain:
        raise TLSAlert(AD.handshake_failure, "no shared cipher", reason="NO_SHARED_CIPHER")
    leaf = ctx.cert_config.certificate_chain[0]
    auth = "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa"

    if Ext.supported_groups in exts:
        client_groups = m.parse_u16_list(exts[Ext.supported_groups], "supported_groups")
    else:
        client_groups = [_P256]
    # Cipher suite: a TLS 1.2 suite for our key type (RFC 8422 §5.1); an
    # ECDSA certificate must be on a curve the client named.
    curve = (
        _CURVE_GROUPS.get(key.curve.name) if isinstance(key, ec.EllipticCurvePrivateKey) else None
    )
    if curve is not None and curve not in client_groups:
        auth = ""
    ours = [s for s in cfg.cipher_suites if s in SUITES12 and SUITES12[s].auth == auth]
    offered = ch.cipher_suites
    if cfg.server_preference:
        suite = next((s for s in ours if s in offered), None)
    else:
        suite = next((s for s in offered if s in ours), None)
    if suite is None:
        raise TLSAlert(AD.handshake_failure, "no shared cipher", reason="NO_SHARED_CIPHER")

    # Group (RFC 8422 §5.1.1; without supported_groups, P-256 is assumed).
    # RSA key transport (opt-in suites) needs none.
    rsa_kx = SUITES12[suite].kx == "rsa"
    usable = [g for g in cfg.groups if g in GROUPS12]
    if cfg.server_preference:
        group = next((g for g in usable if g in client_groups), None)
    else:
        group = next((g for g in client_groups if g in usable), None)
    if rsa_kx:
        group = None
    elif group is None:
        # No ECDHE suite is usable: OpenSSL's "no shared cipher" too.
        raise TLSAlert(AD.handshake_failure, "no shared cipher", reason="NO_SHARED_CIPHER")

    # Signature scheme (RFC 5246 §7.4.1.4.1; we do not sign with SHA-1,
    # the default of a client without signature_algorithms).
    if Ext.signature_algorithms not in exts:
        raise TLSAlert(AD.handshake_failure, "ClientHello without signature_algorithms")
    client_schemes = set(m.parse_u16_list(exts[Ext.signature_algorithms], "signature_algorithms"))
    own = signatures.key_schemes12(key, leaf)
    preferred = [s for s in cfg.signature_schemes if s in own] + own
    scheme = signatures.select_scheme(preferred, client_schemes)
    alpn = choose_alpn(cfg, exts)

    ctx.version = TLS12
    ctx.suite = suite
    ctx.group = group
    ctx.trace(
        "receive ClientHello",
        suites=ch.cipher_suites,
        version=TLS12,
        server_name=ctx.server_name,
    )

    # ServerHello (RFC 5246 §7.4.1.3). RFC 8446 §4.1.3: a server that can
    # do TLS 1.3 marks its random when it negotiates TLS 1.2.
    random = ctx.hooks.random if ctx.hooks.random is not None else ctx.random(32)
    if tls13:
        random = random[:24] + m.DOWNGRADE_TLS12
    sh_exts: dict[int, bytes] = {}
    if secure_reneg:
        sh_exts[Ext.renegotiation_info] = b"\x00"
    if ems:
        sh_exts[Ext.extended_master_secret] = b""
    if points:
        sh_exts[Ext.ec_point_formats] = b"\x01\x00"
    if sni_ack:
        sh_exts[Ext.server_name] = b""
    if alpn is not None:
        sh_exts[Ext.application_layer_protocol_negotiation] = m.serialize_alpn([alpn])
        ctx.alpn = alpn.decode("ascii", "replace")
    ctx.offered_ticket12 = Ext.session_ticket in exts
    resumed = find_session12(ctx, ch, suite, ems)
    if resumed is not None:
        return _abbreviated(ctx, ch, raw, resumed, random, sh_exts)
    if ctx.offered_ticket12 and stateless_tickets(cfg) and cfg.num_tickets:
        sh_exts[Ext.session_ticket] = b""  # RFC 5077 §3.2: a ticket will follow
    # A session ID only when a cache can resume it (RFC 5246 §7.4.1.3).
    ctx.session_id12 = ctx.random(32) if cfg.session_cache is not None else b""
    sh = m.ServerHello(random, ctx.session_id12, suite, sh_exts)
    ks = KeySchedule12(suite, ch.random, random, extended=ems)
    ctx.ks12 = ks
    ctx.messages12 = bytearray(raw)
    flight = [sh.serialize()]
    flight.append(m.handshake(HT.certificate, _certificate12_body(ctx)))

    exchange: KeyShare | ServerKeyTransport
    if group is None:
        # RSA key transport: no ServerKeyExchange (RFC 5246 §7.4.3).
        assert isinstance(key, rsa.RSAPrivateKey)
        secret = ctx.cert_prepared.rsa_kx_secret
        exchange = ServerKeyTransport(key, secret, ch.legacy_version)
    else:
        # ServerKeyExchange (RFC 8422 §5.4), signed over both randoms.
        exchange = _ephemeral(ctx, group)
        ske = m12.ServerKeyExchange12(group, exchange.public, scheme, b"")
        ske.signature = sign(ctx, key, scheme, ch.random + random + ske.params)
        flight.append(ske.serialize())

    request = cfg.verify_mode != 0
    if request:
        # RFC 5246 §7.4.4, RFC 8422 §5.5.
        prep = ctx.prepared
        names = m.parse_certificate_authorities(prep.ca_names_ext) if prep.ca_names_ext else []
        schemes = [s for s in cfg.signature_schemes if s in signatures.TLS12_SCHEMES]
        flight.append(
            m12.CertificateRequest12(
                bytes((m12.CERT_TYPE_ECDSA_SIGN, m12.CERT_TYPE_RSA_SIGN)), schemes, names
            ).serialize()
        )
    flight.append(m.handshake(HT.server_hello_done, b""))
    for msg in flight:
        add_message(ctx, msg)
    ctx.send_handshake(b"".join(flight))
    ctx.trace("send ServerHello", version=TLS12, suite=suite, group=group)
    ctx.trace(
        "send server flight",
        alpn=ctx.alpn,
        client_auth=request,
        certificates=len(ctx.cert_prepared.chain_der),
        scheme=scheme,
    )
    if request:
        ctx.client_auth_requested = True
        return ExpectCertificate(ctx, exchange)
    proof = CertificateChecked([], [], False, "no client certificate requested")
    return ExpectClientKeyExchange(ctx, exchange, proof)


def _abbreviated(
    ctx: Context,
    ch: m.ClientHello,
    raw: bytes,
    state: SessionState,
    random: bytes,
    sh_exts: dict[int, bytes],
) -> State:
    """RFC 5246 §7.3 abbreviated handshake: ServerHello, [NewSessionTicket],
    ChangeCipherSpec, Finished; the client's ChangeCipherSpec and Finished
    follow. The master secret (extended or not, RFC 7627 §5.3) is the
    session's; the keys come from the new randoms."""
    ctx.resumed12 = state
    nst = new_session_ticket12(ctx)
    if nst is not None:
        sh_exts[Ext.session_ticket] = b""
    # RFC 5077 §3.4: accepting a ticket, echo the client's session ID.
    sh = m.ServerHello(random, ch.session_id, state.suite, sh_exts)
    ks = KeySchedule12(state.suite, ch.random, random, extended=state.ems)
    ks.master_secret = bytearray(state.secret)
    ctx.ks12 = ks
    ctx.messages12 = bytearray(raw)
    flight = [sh.serialize()] + ([nst] if nst is not None else [])
    for msg in flight:
        add_message(ctx, msg)
    ctx.send_handshake(b"".join(flight))
    ctx.keylog("CLIENT_RANDOM", ks.master_secret)
    ctx.trace("send ServerHello", version=TLS12, suite=state.suite, resumed=True)
    proof = restored_proof(ctx, state)
    send_finished(ctx)
    return ExpectChangeCipherSpec(ctx, proof, SignatureChecked(0))


def _certificate12_body(ctx: Context) -> bytes:
    return vec24(b"".join(vec24(d) for d in ctx.cert_prepared.chain_der))


def _ephemeral(ctx: Context, group: int) -> KeyShare:
    """Our ephemeral ECDH key (an injected one only when it is for this
    group; for X25519, the pair made while the ClientHello was on its way,
    if there is one)."""
    injected = ctx.hooks.server_private
    ahead = ctx.take_x25519_ahead()
    if group == 0x001D and ahead is not None and injected is None:
        return KeyShare.from_x25519_pair(ahead)
    return KeyShare(group, injected if _fits(injected, group) else None)


def _fits(private: object, group: int) -> bool:
    if group == 0x001D:
        return isinstance(private, x25519.X25519PrivateKey)
    if group == 0x001E:
        return isinstance(private, x448.X448PrivateKey)
    names = {0x0017: "secp256r1", 0x0018: "secp384r1", 0x0019: "secp521r1"}
    return isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == names.get(
        group
    )


class ExpectCertificate(State):
    """RFC 5246 §7.4.6: the client's chain (empty: no certificate)."""

    expected = "Certificate"

    def __init__(self, ctx: Context, exchange: KeyShare | ServerKeyTransport) -> None:
        self.ctx = ctx
        self.exchange = exchange

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.certificate:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ders = m12.parse_certificate12(body)
        add_message(ctx, raw)
        if not ders:
            ctx.trace("receive Certificate", certificates=0)
            if ctx.config.verify_mode == 2:
                # RFC 5246 §7.4.6: a server that requires one fails.
                raise TLSAlert(
                    AD.handshake_failure,
                    "peer did not return a certificate",
                    reason="PEER_DID_NOT_RETURN_A_CERTIFICATE",
                )
            proof = CertificateChecked([], [], False, "client sent no certificate")
            return ExpectClientKeyExchange(ctx, self.exchange, proof)
        chain = load_certificates(ders)
        ctx.trace(
            "receive Certificate",
            certificates=len(chain),
            subject=chain[0].subject,
        )
        return ExpectClientKeyExchange(ctx, self.exchange, verify_client_chain(ctx, chain))


class ExpectClientKeyExchange(State):
    """RFC 8422 §5.7: the client's ephemeral point (RFC 5246 §7.4.7.1: or
    its RSA-encrypted premaster); then the master secret (extended, RFC
    7627 §4, when negotiated)."""

    expected = "ClientKeyExchange"

    def __init__(
        self, ctx: Context, exchange: KeyShare | ServerKeyTransport, cert: CertificateChecked
    ) -> None:
        self.ctx = ctx
        self.exchange = exchange
        self.cert = cert

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.client_key_exchange:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        if isinstance(self.exchange, ServerKeyTransport):
            # Implicit rejection: never fails here (rsa_kx12.py).
            premaster = self.exchange.premaster(parse_encrypted_premaster(body))
            ctx.trace("decrypt premaster secret", bits=self.exchange.key_size)
        else:
            premaster = self.exchange.exchange(m12.parse_client_key_exchange12(body))
        add_message(ctx, raw)
        ks = ctx.ks12
        assert isinstance(ks, KeySchedule12)
        ks.derive_master_secret(premaster, ctx.messages12)
        ctx.keylog("CLIENT_RANDOM", ks.master_secret)
        ctx.trace("receive ClientKeyExchange", group=ctx.group)
        ctx.trace("derive master secret", extended=ks.extended)
        if self.cert.chain:
            return ExpectCertificateVerify(ctx, self.cert)
        return ExpectChangeCipherSpec(ctx, self.cert, SignatureChecked(0))


class ExpectCertificateVerify(State):
    """RFC 5246 §7.4.8: the client's signature over every handshake
    message so far, with its certificate's key."""

    expected = "CertificateVerify"

    def __init__(self, ctx: Context, cert: CertificateChecked) -> None:
        self.ctx = ctx
        self.cert = cert

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.certificate_verify:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        cv = m.CertificateVerify.parse(body)
        if cv.scheme not in ctx.prepared.sigalgs_set:
            raise _illegal(f"CertificateVerify scheme 0x{cv.scheme:04x} was not offered")
        leaf = self.cert.chain[0]
        signatures.verify12(
            leaf,
            leaf.public_key(),
            cv.scheme,
            cv.signature,
            bytes(ctx.messages12),
            "CertificateVerify",
        )
        add_message(ctx, raw)
        ctx.trace("verify CertificateVerify", scheme=cv.scheme)
        return ExpectChangeCipherSpec(ctx, self.cert, SignatureChecked(cv.scheme))
