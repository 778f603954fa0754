"""The handshake: sans-IO state machines for TLS 1.3 and TLS 1.2, both roles.

Bottom-up: `transcript`, `keyschedule` (TLS 1.3 stages, TLS 1.2 PRF),
`groups` (key exchange), `signatures`, `config` (per-context settings);
`state` (the per-handshake Context, proofs, State) and `checks` (what both
versions and both roles verify the same way); `common12` (what both TLS 1.2
roles share); one module per (version, role): `client13`, `client12`,
`server13`, `server12`; and on top, one place per role where the version is
chosen: `client` (the ClientHello offer, the ServerHello dispatch) and
`server` (the ClientHello dispatch).

Must not: touch records or buffers (the Connection does). TLS 1.2 and TLS 1.3
modules never import each other; what they share lives below them.
"""
