"""What a client offered: its ClientHello, parsed back into sets.

Owns: the Offer record both client state machines check the server's
answers against (suites, groups, signature schemes, ALPN, extensions).
Must not: build the ClientHello (client.py does) or decide anything.
"""

from __future__ import annotations

from cytls._wire import messages as m
from cytls._wire.enums import ExtensionType as Ext

__all__ = ["Offer"]


class Offer:
    """What the client offered, parsed back from its ClientHello."""

    def __init__(self, ch: m.ClientHello) -> None:
        self.ch = ch
        exts = ch.extensions
        self.extensions = set(exts)
        self.suites = set(ch.cipher_suites)
        self.groups_list = m.parse_u16_list(exts[Ext.supported_groups], "supported_groups")
        self.groups = set(self.groups_list)
        self.sigalgs = set(m.parse_u16_list(exts[Ext.signature_algorithms], "signature_algorithms"))
        self.alpn = (
            m.parse_alpn(exts[Ext.application_layer_protocol_negotiation])
            if Ext.application_layer_protocol_negotiation in exts
            else []
        )
