"""The wire format: the bytes TLS puts on the network, and nothing more.

Owns: the IANA registries (`enums`), the strict reader and writer of the
presentation language (`codec`), every handshake message and extension body
(`messages`), alerts and the `ssl` exceptions they become (`alerts`), and the
events a connection reports (`events`).
Must not: import anything else of cytls; it knows no keys, no state and no
configuration. Every layer above builds on it.
"""
