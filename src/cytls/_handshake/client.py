"""The client's side of version negotiation: one place for both versions.

Owns: building the ClientHello (RFC 8446 §4.1.2, with the TLS 1.2
extensions when TLS 1.2 is allowed) and the second one after a
HelloRetryRequest (§4.1.4), and reading the ServerHello far enough to hand
it to the state machine of the version the server chose (client13 or
client12).
Must not: check anything the chosen version's state machine checks, or hold
any state after the ServerHello.

    start_client -> ExpectServerHello -> [HelloRetryRequest -> ExpectServerHello]
        -> client13.server_hello13 | client12.server_hello12
"""

from __future__ import annotations

from cytls._handshake import client12, client13
from cytls._handshake.checks import check_hello_version
from cytls._handshake.config import is_ip_address
from cytls._handshake.groups import KeyShare
from cytls._handshake.keyschedule import SUITES, SUITES12
from cytls._handshake.offer import Offer
from cytls._handshake.psk13 import add_offer, fill_binder, send_early_data
from cytls._handshake.resume12 import client_offer12
from cytls._handshake.state import GROUPS12, TLS12, TLS13, Context, State, unexpected
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec16
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT

__all__ = ["ExpectServerHello", "build_client_hello", "start_client"]

_RECORD_SIZE_LIMIT = (16385).to_bytes(2, "big")


def _illegal(text: str) -> TLSAlert:
    return TLSAlert(AD.illegal_parameter, text)


def build_client_hello(ctx: Context, shares: dict[int, KeyShare]) -> m.ClientHello:
    """RFC 8446 §4.1.2, extensions in a stable order; with the TLS 1.2
    extensions (RFC 8422, RFC 7627, RFC 5746) when TLS 1.2 is allowed, and
    without the TLS 1.3 ones when it is not."""
    cfg = ctx.config
    prep = ctx.prepared
    # No TLS 1.3 in the offer without a TLS 1.3 suite (as OpenSSL).
    tls13 = cfg.speaks_tls13()
    tls12 = cfg.min_version <= TLS12
    exts: dict[int, bytes] = {}
    host = cfg.server_hostname
    if host and not is_ip_address(host):
        # RFC 6066 §3: no trailing dot in a HostName.
        exts[Ext.server_name] = m.serialize_server_name(host.rstrip("."))
    groups = cfg.groups if tls13 else [g for g in cfg.groups if g in GROUPS12]
    exts[Ext.supported_groups] = m.serialize_u16_list(groups)
    exts[Ext.signature_algorithms] = prep.sigalgs_ext
    sid12 = None
    if tls12:
        exts[Ext.ec_point_formats] = b"\x01\x00"  # uncompressed only
        exts[Ext.extended_master_secret] = b""
        exts[Ext.renegotiation_info] = b"\x00"  # RFC 5746 §3.4: initial handshake
        # RFC 5077: ask for a ticket, or offer the TLS 1.2 session's.
        exts[Ext.session_ticket], sid12 = client_offer12(ctx)
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
    if tls13:
        add_offer(ctx, exts)  # pre_shared_key, when offered, is last
    hooks = ctx.hooks
    random = hooks.random if hooks.random is not None else ctx.random(32)
    # A TLS 1.2-only client has no middlebox compatibility session id (and
    # never resumes), so it sends none; nor does one with the mode off
    # (then no change_cipher_spec either, RFC 8446 §D.4).
    compat = tls13 and cfg.middlebox_compat
    sid = hooks.session_id if hooks.session_id is not None else ctx.random(32) if compat else b""
    if sid12 is not None:
        sid = sid12
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
        if Ext.pre_shared_key in ch.extensions:
            ctx.psk_offered = ctx.session  # the injected binder is for it
    else:
        ch = build_client_hello(ctx, shares)
        raw = fill_binder(ctx, ch, ch.serialize(), None)
    ctx.client_random = ch.random
    ctx.client_hello_raw = raw
    ctx.record.set_legacy_record_version(0x0301)
    ctx.send_handshake(raw)
    ctx.record.set_legacy_record_version(0x0303)
    ctx.transcript.add(raw)
    send_early_data(ctx, raw)
    ctx.trace(
        "send ClientHello",
        suites=list(ch.cipher_suites),
        key_shares=list(shares),
        server_name=cfg.server_hostname,
        alpn=list(cfg.alpn_protocols),
    )
    return ExpectServerHello(ctx, Offer(ch), shares, retried=False)


class ExpectServerHello(State):
    """Waits for ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4)
    and dispatches on the version the server chose."""

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
        sh = m.ServerHello.parse(body)
        check_hello_version(sh.legacy_version, "ServerHello")
        if Ext.supported_versions not in sh.extensions:
            # A TLS 1.2 (or older) ServerHello (RFC 8446 §4.1.3).
            return client12.server_hello12(ctx, self.offer, sh, raw, self.retried)
        client13.check_server_hello(self.offer, sh)
        if sh.is_hrr:
            return self._retry(sh, raw)
        return client13.server_hello13(
            ctx, self.offer, sh, raw, self.shares, self.retried, self.hrr_suite
        )

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
        ch2 = build_client_hello(ctx, shares)
        ch2.random = old.random
        ch2.session_id = old.session_id
        if cookie is not None:
            ch2.extensions[Ext.cookie] = vec16(cookie)
            if Ext.pre_shared_key in ch2.extensions:  # it stays last
                ch2.extensions[Ext.pre_shared_key] = ch2.extensions.pop(Ext.pre_shared_key)
        raw2 = fill_binder(ctx, ch2, ch2.serialize(), ctx.transcript)
        if ctx.early_status == "offered":
            # RFC 8446 §4.1.2: a retry rejects 0-RTT; ClientHello2 is plaintext.
            ctx.early_status = "rejected"
            ctx.record.clear_write_key()
        # RFC 8446 §D.4: the dummy ChangeCipherSpec before the second flight.
        if old.session_id:
            ctx.record.send_change_cipher_spec()
        ctx.send_handshake(raw2)
        ctx.transcript.add(raw2)
        ctx.trace("send ClientHello (retry)", key_shares=list(shares))
        return ExpectServerHello(ctx, Offer(ch2), shares, retried=True, hrr_suite=suite)
