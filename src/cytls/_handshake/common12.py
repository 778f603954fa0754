"""What the TLS 1.2 client and server state machines share (RFC 5246).

Owns: the handshake-message log that TLS 1.2 signs and hashes, installing
the key block on each side of a ChangeCipherSpec, sending and checking
Finished, the two states that end every TLS 1.2 handshake
(ExpectChangeCipherSpec, ExpectFinished) and ExpectTraffic12, which refuses
renegotiation.
Must not: parse records; states receive whole handshake messages, and the
Connection hands them each ChangeCipherSpec record in order.
"""

from __future__ import annotations

import hmac

from cytls._handshake.keyschedule import KeySchedule12, wipe
from cytls._handshake.resume12 import client_session_done12, full_handshake_done12
from cytls._handshake.state import (
    TLS12,
    CertificateChecked,
    Context,
    ExpectTraffic,
    FinishedChecked,
    SignatureChecked,
    State,
    unexpected,
)
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert, api_error
from cytls._wire.enums import ContentType
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.events import HandshakeComplete

__all__ = [
    "ExpectChangeCipherSpec",
    "ExpectFinished12",
    "ExpectTraffic12",
    "add_message",
    "install_keys",
    "send_finished",
]


def add_message(ctx: Context, raw: bytes) -> None:
    """Log one whole handshake message (header included)."""
    ctx.messages12 += raw


def handshake_hash(ctx: Context) -> bytes:
    ks = ctx.ks12
    assert isinstance(ks, KeySchedule12)
    return ks.session_hash(ctx.messages12)


def install_keys(ctx: Context, write: bool) -> None:
    """RFC 5246 §6.3: the key block's half for one direction of ours."""
    ks = ctx.ks12
    assert isinstance(ks, KeySchedule12) and ctx.suite is not None
    ckey, skey, civ, siv = ks.key_block()
    client_side = ctx.is_client == write
    key, iv = (ckey, civ) if client_side else (skey, siv)
    if write:
        ctx.record.set_write_key(ctx.suite, key, iv, TLS12)
    else:
        ctx.record.set_read_key(ctx.suite, key, iv, TLS12)
        ctx.read_key_changed = True
    for part in (ckey, skey, civ, siv):
        wipe(part)  # the record layer holds (and wipes) its own copy


def send_finished(ctx: Context) -> bytes:
    """ChangeCipherSpec, the new write key, then our Finished (RFC 5246
    §7.4.9), logged. Returns its verify_data."""
    ks = ctx.ks12
    assert isinstance(ks, KeySchedule12)
    ctx.record.send_change_cipher_spec()
    ctx.trace("send ChangeCipherSpec")
    install_keys(ctx, write=True)
    ctx.finished_sent12 = True
    verify_data = ks.verify_data(ctx.is_client, handshake_hash(ctx))
    fin = m.handshake(HT.finished, verify_data)
    add_message(ctx, fin)
    ctx.send_handshake(fin)
    ctx.trace(f"send {ctx.role} Finished")
    if ctx.tls_unique is None:
        # RFC 5929 §3.1: the first Finished of the handshake.
        ctx.tls_unique = verify_data
    return verify_data


class ExpectChangeCipherSpec(State):
    """RFC 5246 §7.1: the peer's ChangeCipherSpec switches its read key;
    any handshake message here is out of order."""

    expected = "ChangeCipherSpec"

    def __init__(self, ctx: Context, cert: CertificateChecked, sig: SignatureChecked) -> None:
        self.ctx = ctx
        self.cert = cert
        self.sig = sig

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        raise unexpected(self, msg_type)

    def change_cipher_spec(self) -> State:
        ctx = self.ctx
        install_keys(ctx, write=False)
        ctx.trace("receive ChangeCipherSpec")
        return ExpectFinished12(ctx, self.cert, self.sig)


class ExpectFinished12(State):
    """RFC 5246 §7.4.9: the peer's Finished; whoever has not sent its own
    ChangeCipherSpec and Finished yet answers (the server in a full
    handshake, after its NewSessionTicket; the client in a resumed one)."""

    expected = "Finished"

    def __init__(self, ctx: Context, cert: CertificateChecked, sig: SignatureChecked) -> None:
        self.ctx = ctx
        self.cert = cert
        self.sig = sig

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.finished:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ks = ctx.ks12
        assert isinstance(ks, KeySchedule12)
        if len(body) != 12:
            raise TLSAlert(AD.decode_error, "Finished has the wrong length")
        expected = ks.verify_data(not ctx.is_client, handshake_hash(ctx))
        if not hmac.compare_digest(expected, body):
            raise TLSAlert(AD.decrypt_error, "Finished verify_data does not match")
        fin = FinishedChecked(expected)
        add_message(ctx, raw)
        peer = "server" if ctx.is_client else "client"
        ctx.trace(f"verify {peer} Finished")
        if ctx.tls_unique is None:
            ctx.tls_unique = expected
        # Full handshake: the server answers; abbreviated (RFC 5246 §7.3):
        # the server spoke first and the client answers.
        if not ctx.finished_sent12:
            if not ctx.is_client:
                full_handshake_done12(ctx)
            send_finished(ctx)
        if ctx.is_client:
            client_session_done12(ctx)
        ctx.complete = True
        ctx.trace("handshake complete", suite=ctx.suite, group=ctx.group, alpn=ctx.alpn)
        ctx.events.append(HandshakeComplete(TLS12, ctx.suite or 0, ctx.group, ctx.alpn))
        return ExpectTraffic12(ctx, self.cert, self.sig, fin)


class ExpectTraffic12(ExpectTraffic):
    """The TLS 1.2 handshake is done. Renegotiation is refused: a
    HelloRequest (client) or a ClientHello (server) is answered with a
    no_renegotiation warning (RFC 5746 §4.2, §4.4, as OpenSSL does) and
    otherwise ignored; every other handshake message is unexpected."""

    expected = "application data (TLS 1.2)"

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        ctx = self.ctx
        renegotiation = HT.hello_request if ctx.is_client else HT.client_hello
        if msg_type != renegotiation:
            raise unexpected(self, msg_type)
        if msg_type == HT.hello_request and body:
            raise TLSAlert(AD.decode_error, "HelloRequest is not empty")
        ctx.trace("refuse renegotiation")
        if not self.closed_for_write:
            ctx.record.send(ContentType.alert, bytes((1, AD.no_renegotiation)))
            ctx.trace("send alert", description=AD.no_renegotiation, level=1)
        return self

    def send_key_update(self, request_peer: bool) -> None:
        raise api_error("TLS 1.2 has no KeyUpdate")
