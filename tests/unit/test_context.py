"""cytls._ssl.context: what is cytls-specific about SSLContext.

Parity with the ssl module lives in tests/parity/; this file checks that
nothing falls through to OpenSSL, the cipher-string parser, the TLSConfig a
context builds, and inject_into_ssl() / extract_from_ssl().
"""

from __future__ import annotations

import http.client
import ssl
import sys

import pytest

import cytls
from cytls._ssl import ciphers as ciphers

# Names of ssl.SSLContext that are pure-Python helpers of ssl.py itself and
# touch no OpenSSL state, so inheriting them is correct.
_PURE_HELPERS = {"_load_windows_store_certs", "_windows_cert_stores", "_encode_hostname"}


def test_every_base_attribute_is_overridden() -> None:
    base = {n for n in dir(ssl.SSLContext) if not n.startswith("__")}
    # Defined by cytls.SSLContext or one of cytls's mixins (psk.PSKRefusal...).
    own = {n for c in cytls.SSLContext.__mro__ if c.__module__.startswith("cytls.") for n in vars(c)}
    missing = sorted(n for n in base - _PURE_HELPERS if n not in own)
    assert missing == []


def test_adapter_classes() -> None:
    assert cytls.SSLContext.sslsocket_class is cytls.SSLSocket
    assert cytls.SSLContext.sslobject_class is cytls.SSLObject
    assert issubclass(cytls.SSLSocket, ssl.SSLSocket)
    assert issubclass(cytls.SSLObject, ssl.SSLObject)


@pytest.mark.parametrize(
    ("spec", "tls12", "tls13"),
    [
        ("ECDHE+AESGCM", [0xC02C, 0xC030, 0xC02B, 0xC02F], None),
        ("ECDHE+AESGCM:-aRSA", [0xC02C, 0xC02B], None),
        ("ECDHE+AESGCM:!aRSA:aRSA", [0xC02C, 0xC02B], None),
        ("CHACHA20:AES:@STRENGTH", [0xCCA9, 0xCCA8, 0xC02C, 0xC030, 0xC02B, 0xC02F], None),
        ("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", [], [0x1301, 0x1303]),
        ("ECDHE-RSA-CHACHA20-POLY1305, ECDHE-ECDSA-AES128-GCM-SHA256", [0xCCA8, 0xC02B], None),
        ("UNKNOWN:ALSO-UNKNOWN", [], None),
    ],
)
def test_parse_cipher_string(spec: str, tls12: list[int], tls13: list[int] | None) -> None:
    got12, got13 = ciphers.parse_cipher_string(spec)
    assert [s.code for s in got12] == tls12
    assert (None if got13 is None else [s.code for s in got13]) == tls13


def test_plus_moves_to_end() -> None:
    got, _ = ciphers.parse_cipher_string("AES128:AES256:+AES128")
    assert [s.code for s in got] == [0xC02C, 0xC030, 0xC02B, 0xC02F]
    got, _ = ciphers.parse_cipher_string("AES:+AES256")
    assert [s.code for s in got] == [0xC02B, 0xC02F, 0xC02C, 0xC030]


def test_config_versions_and_suites() -> None:
    pytest.importorskip("cytls._handshake.config")
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("TLS_CHACHA20_POLY1305_SHA256")
    config = ctx._make_config(False, "example.com")
    assert config.cipher_suites[0] == 0x1303
    assert config.is_client and config.server_hostname == "example.com"
    assert config.check_hostname and config.verify_mode == ssl.CERT_REQUIRED
    ctx.options |= ssl.OP_NO_TLSv1_3
    with pytest.raises(ssl.SSLError):  # TLS 1.2 only: not implemented by the core yet
        ctx._make_config(False, "example.com")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with pytest.raises(ssl.SSLError, match="NO_PROTOCOLS_AVAILABLE"):
        ctx._make_config(False, "example.com")


def test_configs_are_shared_and_invalidated() -> None:
    pytest.importorskip("cytls._handshake.config")
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    a = ctx._make_config(False, "a.example")
    b = ctx._make_config(False, "b.example")
    assert a is not b
    assert a.trust_anchors is b.trust_anchors  # shared, so precomputation is shared
    shared = ctx._shared_config(False)
    assert a.prepared() is shared.prepared() is b.prepared()  # the verifier is built once
    assert ctx._shared_config(False) is ctx._shared_config(False)
    before = ctx._shared_config(False)
    ctx.set_alpn_protocols(["h2"])
    after = ctx._shared_config(False)
    assert after is not before and after.alpn_protocols == ["h2"]


def test_client_configs_are_kept_per_host_name() -> None:
    """One config copy per server name (not per connection), following the
    shared config when a setting changes, and bounded."""
    pytest.importorskip("cytls._handshake.config")
    from cytls._ssl import configbuild

    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    a = ctx._make_config(False, "a.example")
    assert ctx._make_config(False, "a.example") is a
    assert a.server_hostname == "a.example"
    assert ctx._make_config(False, "b.example").server_hostname == "b.example"
    ctx.set_alpn_protocols(["h2"])
    a2 = ctx._make_config(False, "a.example")
    assert a2 is not a and a2.alpn_protocols == ["h2"] and a2.server_hostname == "a.example"
    names = [f"h{i}.example" for i in range(configbuild._NAMED_CONFIGS + 5)]
    for name in names:
        assert ctx._make_config(False, name).server_hostname == name
    assert len(ctx.__dict__["_cy_named_configs"][1]) <= configbuild._NAMED_CONFIGS


def test_idle_connection_keeps_no_client_hello() -> None:
    pytest.importorskip("cytls._handshake.config")
    from cytls.cli import _certgen

    with _certgen.generate("ec").write() as f:
        server = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(str(f.server_chain), str(f.server_key))
        client = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(cafile=str(f.ca))
    bios = [ssl.MemoryBIO() for _ in range(4)]
    c = client.wrap_bio(bios[0], bios[1], server_hostname="localhost")
    s = server.wrap_bio(bios[2], bios[3], server_side=True)
    for _ in range(5):
        for obj in (c, s):
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
        bios[2].write(bios[1].read())
        bios[0].write(bios[3].read())
    assert c._sslobj._done and s._sslobj._done
    c.write(b"ping")
    bios[2].write(bios[1].read())
    assert s.read(10) == b"ping"
    assert c._sslobj._conn._ctx.client_hello_raw == b""


def test_precomputed_at_load_time_and_kept(tmp_path: object) -> None:
    # What the first handshake would otherwise pay for is done when the
    # certificates are loaded (as the ssl module does), and survives changes
    # of settings that do not touch the certificates.
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    ca.configure_trust(server_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    config = server_ctx._cy_configs[True]
    prepared = config._prepared_cache
    assert prepared is not None and prepared.chain_der  # built before any connection
    assert prepared.verifier.anchors  # with the trust store verification uses
    server_ctx.set_alpn_protocols(["h2"])
    server_ctx.set_groups("x25519")
    rebuilt = server_ctx._shared_config(True)
    assert rebuilt is not config and rebuilt.prepared() is prepared
    ca.issue_cert("other").configure_cert(server_ctx)  # a new chain: rebuilt
    assert server_ctx._shared_config(True).prepared() is not prepared


def test_adopt_prepared_needs_the_same_inputs() -> None:
    from cytls._handshake.config import TLSConfig

    a = TLSConfig(is_client=True)
    a.prepared()
    b = TLSConfig(is_client=True)  # equal, but other list objects
    assert not b.adopt_prepared(a)
    c = TLSConfig(is_client=True, trust_anchors=a.trust_anchors,
                  certificate_chain=a.certificate_chain, signature_schemes=a.signature_schemes)
    assert c.adopt_prepared(a) and c.prepared() is a.prepared()
    d = TLSConfig(is_client=True, trust_anchors=a.trust_anchors,
                  certificate_chain=a.certificate_chain, signature_schemes=[0x0403])
    assert not d.adopt_prepared(a)  # other schemes: other precomputation


def test_validated_config_hands_over_its_precomputed_state() -> None:
    # Connection(validated=True) (the ssl layer's, whose configs never change
    # once built) takes the config's precomputed state as it is; without the
    # promise, prepared() re-checks the inputs and rebuilds what changed.
    from cytls._connection import Connection
    from cytls._handshake.config import TLSConfig

    config = TLSConfig(is_client=True)
    config.validate()
    prepared = config.prepared()

    def recheck() -> None:
        raise AssertionError("a validated config's state was checked again")

    config.prepared = recheck  # type: ignore[method-assign, assignment]
    assert Connection(config, validated=True)._ctx.prepared is prepared
    del config.prepared
    config.signature_schemes = [0x0403]  # a change no ssl-layer config sees
    fresh = Connection(config)._ctx.prepared
    assert fresh is not prepared and fresh is config._prepared_cache
    # Before any precomputation, a validated config builds it on first use.
    other = TLSConfig(is_client=True)
    assert Connection(other, validated=True)._ctx.prepared is other._prepared_cache


def test_set_ecdh_curve_restricts_groups() -> None:
    pytest.importorskip("cytls._handshake.config")
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ecdh_curve("secp384r1")
    config = ctx._make_config(False, "example.com")
    assert config.groups == [0x0018] and config.key_share_groups == [0x0018]


def test_set_groups_names_and_key_shares() -> None:
    pytest.importorskip("cytls._handshake.config")
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx.get_groups() == ["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"]
    assert "prime256v1" in ctx.get_groups(include_aliases=True)
    ctx.set_groups("prime256v1:X25519:P-384:x25519")  # aliases; duplicates dropped
    assert ctx.get_groups() == ["secp256r1", "x25519", "secp384r1"]
    config = ctx._make_config(False, "example.com")
    assert config.groups == [0x0017, 0x001D, 0x0018] and config.key_share_groups == [0x0017]
    ctx.set_groups(["x25519mlkem768", "x25519"])
    config = ctx._make_config(False, "example.com")
    assert config.key_share_groups == [0x11EC, 0x001D]  # the hybrid and its x25519 fallback


@pytest.mark.parametrize("bad", ["ffdhe1024", "secp224r1", "nope", "", ":"])
def test_set_groups_refuses_unknown_or_unsupported(bad: str) -> None:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(ssl.SSLError) as info:
        ctx.set_groups(bad)
    assert info.value.reason in ("UNSUPPORTED_GROUP", "NO_SUITABLE_GROUPS")
    assert ctx.get_groups()[0] == "X25519MLKEM768"  # unchanged


def test_set_groups_adds_every_standard_group() -> None:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_groups("X25519:P-521:X448:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192")
    assert ctx.get_groups() == [
        "x25519", "secp521r1", "x448", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144",
        "ffdhe8192",
    ]  # fmt: skip
    config = ctx._make_config(False, "example.com")
    assert config.groups == [0x1D, 0x19, 0x1E, 0x100, 0x101, 0x102, 0x103, 0x104]
    for name, code in (("secp521r1", 0x19), ("P-521", 0x19), ("x448", 0x1E), ("ffdhe8192", 0x104)):
        ctx.set_ecdh_curve(name)
        assert ctx._make_config(False, "example.com").groups == [code]


def test_set_ecdh_curve_maps_to_groups() -> None:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ecdh_curve(b"X25519")
    assert ctx.get_groups() == ["x25519"]
    with pytest.raises(ValueError, match="unknown elliptic curve"):
        ctx.set_ecdh_curve("nope")  # ValueError, as the ssl module


def test_tlsv1_2_protocol_fixes_versions() -> None:
    with pytest.warns(DeprecationWarning):
        ctx = cytls.SSLContext(ssl.PROTOCOL_TLSv1_2)
    assert ctx.minimum_version == ctx.maximum_version == ssl.TLSVersion.TLSv1_2
    with pytest.raises(ValueError, match="doesn't support modification"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3


def test_no_protocol_argument_warns() -> None:
    with pytest.warns(DeprecationWarning):
        ctx = cytls.SSLContext()
    assert ctx.protocol == ssl.PROTOCOL_TLS


# ------------------------------------------------------------- injection


@pytest.fixture
def injected() -> object:
    cytls.inject_into_ssl()
    try:
        yield
    finally:
        cytls.extract_from_ssl()


def test_inject_and_extract() -> None:
    original = ssl.SSLContext, ssl.create_default_context, ssl._create_default_https_context
    cytls.inject_into_ssl()
    try:
        assert cytls.is_injected()
        cytls.inject_into_ssl()  # idempotent
        assert ssl.SSLContext is cytls.SSLContext
        assert isinstance(ssl.create_default_context(), cytls.SSLContext)
        assert isinstance(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), cytls.SSLContext)
        assert isinstance(ssl._create_default_https_context(), cytls.SSLContext)
        assert isinstance(ssl._create_unverified_context(), cytls.SSLContext)
        assert ssl._create_unverified_context().verify_mode == ssl.CERT_NONE
    finally:
        cytls.extract_from_ssl()
    assert not cytls.is_injected()
    assert (
        ssl.SSLContext,
        ssl.create_default_context,
        ssl._create_default_https_context,
    ) == original
    assert type(ssl.create_default_context()) is ssl.SSLContext


def test_inject_reaches_http_client(injected: object) -> None:
    conn = http.client.HTTPSConnection("localhost", 1)
    assert isinstance(conn._context, cytls.SSLContext)


def test_inject_reaches_urllib3(injected: object) -> None:
    pytest.importorskip("urllib3")
    from urllib3.util import ssl_ as u3ssl

    if "urllib3.util.ssl_" in sys.modules:
        assert isinstance(u3ssl.create_urllib3_context(), cytls.SSLContext)


def test_inject_patches_urllib3_imported_later() -> None:
    pytest.importorskip("urllib3")
    import urllib3.util.ssl_ as u3ssl

    cytls.inject_into_ssl()
    try:
        assert u3ssl.SSLContext is cytls.SSLContext
    finally:
        cytls.extract_from_ssl()
    assert u3ssl.SSLContext is ssl.SSLContext


def test_certifi_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    certifi = pytest.importorskip("certifi")
    paths = ssl.DefaultVerifyPaths(
        None, None, "SSL_CERT_FILE", "/nonexistent", "SSL_CERT_DIR", "/nonexistent"
    )
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: paths)
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    ref = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ref.load_verify_locations(certifi.where())
    assert ctx.cert_store_stats() == ref.cert_store_stats()
    assert ctx.cert_store_stats()["x509_ca"] > 0


def test_system_store_preferred_over_certifi(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = ssl.get_default_verify_paths()
    if not paths.cafile:
        pytest.skip("no system CA file")
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    ref = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ref.load_verify_locations(paths.cafile)
    assert ctx.cert_store_stats() == ref.cert_store_stats()


@pytest.mark.skipif(
    not hasattr(ssl.SSLContext, "set_psk_client_callback"), reason="set_psk_*_callback came in 3.13"
)
def test_external_psk_callbacks_raise_instead_of_reaching_openssl() -> None:
    # Python 3.13 added these to ssl.SSLContext; inherited, they would configure
    # the unused OpenSSL context and the PSK would be silently ignored.
    client = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    server = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    client.set_psk_client_callback(None)
    server.set_psk_server_callback(None)
    with pytest.raises(NotImplementedError, match="external PSKs"):
        client.set_psk_client_callback(lambda hint: (None, b"k" * 32))
    with pytest.raises(NotImplementedError, match="external PSKs"):
        server.set_psk_server_callback(lambda identity: b"k" * 32, "hint")
