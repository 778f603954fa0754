"""The server's side of version negotiation: one place for both versions.

Owns: reading the first ClientHello far enough to choose the version
(RFC 8446 §4.2.1: TLS 1.3 when supported_versions offers it and we allow
it, else TLS 1.2, which refuses what it cannot do) and handing it to that
version's state machine; and, while the ClientHello is on its way, making
the X25519 key pair that the TLS 1.3 key exchange will use.
Must not: check anything the chosen version's state machine checks.

    ExpectClientHello -> server13.client_hello13 | server12.client_hello12
"""

from __future__ import annotations

from cytls._handshake import server12, server13
from cytls._handshake.checks import check_hello_version
from cytls._handshake.config import TLSConfig
from cytls._handshake.groups import x25519_key_pair
from cytls._handshake.state import TLS13, Context, State, unexpected
from cytls._wire import messages as m
from cytls._wire.enums import ExtensionType as Ext
from cytls._wire.enums import HandshakeType as HT
from cytls._wire.enums import NamedGroup

__all__ = ["ExpectClientHello"]


def _wants_tls13(cfg: TLSConfig, ch: m.ClientHello) -> bool:
    """RFC 8446 §4.2.1: TLS 1.3 when supported_versions offers it and we
    allow it; otherwise TLS 1.2 decides (and refuses what it cannot do)."""
    if not cfg.speaks_tls13() or Ext.supported_versions not in ch.extensions:
        return False
    return TLS13 in m.parse_client_versions(ch.extensions[Ext.supported_versions])


class ExpectClientHello(State):
    """RFC 8446 §4.1.2: the first ClientHello."""

    expected = "ClientHello"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def work_ahead(self) -> None:
        """While the ClientHello is on its way: the X25519 key pair of our
        key share (the group most clients send a share for, alone or in
        X25519MLKEM768), so that the answer to the ClientHello does not
        wait for it. Used by this connection's one key exchange, or not at
        all; not with an injected key."""
        ctx = self.ctx
        groups = ctx.config.groups
        if (
            ctx.x25519_ahead is None
            and ctx.hooks.server_private is None
            and (NamedGroup.x25519 in groups or NamedGroup.X25519MLKEM768 in groups)
        ):
            ctx.x25519_ahead = x25519_key_pair()

    def handle(self, msg_type: int, body: bytes, raw: bytes) -> State:
        if msg_type != HT.client_hello:
            raise unexpected(self, msg_type)
        ctx = self.ctx
        ch = m.ClientHello.parse(body)
        check_hello_version(ch.legacy_version, "ClientHello")
        ctx.client_random = ch.random
        ctx.peer_cipher_suites = list(ch.cipher_suites)  # either version
        if _wants_tls13(ctx.config, ch):
            return server13.client_hello13(ctx, ch, raw)
        return server12.client_hello12(ctx, ch, raw)
