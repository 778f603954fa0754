"""The `ssl` module's API over the cytls engine.

Bottom-up: `errors` (the ssl exceptions the adapters raise), `ciphers` (the
suite and group registries and OpenSSL's cipher-string language),
`tlsobject` (the `_ssl._SSLSocket`-shaped driver of one Connection),
`truststore` (CA certificates, CRLs, capath), `sslobject` and `sslsocket`
(the public adapter classes), `configbuild` (settings to TLSConfig),
`context` (`SSLContext`), `defaults` (the context factories) and `inject`
(`inject_into_ssl()`).
Must not: parse or build TLS messages; it hands a TLSConfig to a Connection
and moves bytes.
"""
