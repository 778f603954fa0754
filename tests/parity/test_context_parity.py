"""Parity: SSLContext settings, validation and errors, ssl module vs cytls.

Each test body runs twice, once with `mod` = ssl and once with `mod` = cytls,
and asserts what both must do. Where cytls deliberately differs (it lists only
the suites its engine negotiates; it refuses protocols below TLS 1.2), the
test says so and checks the documented behaviour.
"""

from __future__ import annotations

import os
import ssl
import warnings
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import Pki, needs_engine

import cytls

CLIENT, SERVER = ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_SERVER


def _ctx(mod: ModuleType, protocol: int = SERVER) -> Any:
    return mod.SSLContext(protocol)


# ---------------------------------------------------------------- defaults


@pytest.mark.parametrize("protocol", [CLIENT, SERVER])
def test_defaults_match_ssl(protocol: int) -> None:
    ref = ssl.SSLContext(protocol)
    ctx = cytls.SSLContext(protocol)
    assert isinstance(ctx, ssl.SSLContext)
    for name in (
        "options",
        "verify_mode",
        "check_hostname",
        "minimum_version",
        "maximum_version",
        "verify_flags",
        "post_handshake_auth",
        "hostname_checks_common_name",
        "keylog_filename",
        "sni_callback",
        "security_level",
        "protocol",
    ):
        assert getattr(ctx, name) == getattr(ref, name), name
        assert type(getattr(ctx, name)) is type(getattr(ref, name)), name
    assert ctx.session_stats() == ref.session_stats()
    assert ctx.cert_store_stats() == ref.cert_store_stats() == {"x509": 0, "crl": 0, "x509_ca": 0}
    assert ctx.get_ca_certs() == []


def test_protocol_tls_defaults() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ref = ssl.SSLContext(ssl.PROTOCOL_TLS)
        ctx = cytls.SSLContext(ssl.PROTOCOL_TLS)
    assert (ctx.verify_mode, ctx.check_hostname, ctx.options) == (
        ref.verify_mode,
        ref.check_hostname,
        ref.options,
    )


@pytest.mark.parametrize("purpose", [ssl.Purpose.SERVER_AUTH, ssl.Purpose.CLIENT_AUTH])
def test_create_default_context(
    mod: ModuleType, purpose: ssl.Purpose, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    ctx = mod.create_default_context(purpose)
    ref = ssl.create_default_context(purpose)
    assert ctx.verify_mode == ref.verify_mode
    assert ctx.check_hostname == ref.check_hostname
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert ctx.protocol == ref.protocol
    assert ctx.cert_store_stats() == ref.cert_store_stats()
    assert sorted(map(repr, ctx.get_ca_certs())) == sorted(map(repr, ref.get_ca_certs()))
    assert sorted(ctx.get_ca_certs(binary_form=True)) == sorted(ref.get_ca_certs(True))


def test_create_default_context_bad_purpose(mod: ModuleType) -> None:
    with pytest.raises(TypeError):
        mod.create_default_context("server")


def test_create_default_context_cafile(mod: ModuleType, pki: Pki) -> None:
    ctx = mod.create_default_context(cafile=pki.path("ca.pem"))
    assert ctx.cert_store_stats() == {"x509": 1, "crl": 0, "x509_ca": 1}


def test_sslkeylogfile_honoured(
    mod: ModuleType, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "keys.log")
    monkeypatch.setenv("SSLKEYLOGFILE", path)
    ctx = mod.create_default_context()
    assert ctx.keylog_filename == path
    assert os.path.exists(path)


# ------------------------------------------------------ verify_mode and hostnames


def test_verify_mode_rules(mod: ModuleType) -> None:
    ctx = _ctx(mod, CLIENT)
    with pytest.raises(ValueError, match="check_hostname is enabled"):
        ctx.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="invalid value for verify_mode"):
        ctx.verify_mode = 7
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.check_hostname = True
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    server = _ctx(mod, SERVER)
    server.verify_mode = ssl.CERT_OPTIONAL
    assert server.verify_mode is ssl.CERT_OPTIONAL


def test_versions(mod: ModuleType) -> None:
    ctx = _ctx(mod, CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    assert ctx.maximum_version is ssl.TLSVersion.MAXIMUM_SUPPORTED
    with pytest.raises(ValueError, match="Unsupported TLS/SSL version 0x3039"):
        ctx.minimum_version = 12345
    with pytest.raises(TypeError):
        ctx.maximum_version = "TLSv1.3"


def test_options(mod: ModuleType) -> None:
    ctx = _ctx(mod)
    ctx.options |= ssl.OP_NO_TLSv1_2 | ssl.OP_NO_TICKET
    assert ctx.options & ssl.OP_NO_TLSv1_2
    assert isinstance(ctx.options, ssl.Options)
    ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    assert not ctx.options & ssl.OP_CIPHER_SERVER_PREFERENCE


def test_num_tickets(mod: ModuleType) -> None:
    assert _ctx(mod).num_tickets == 2
    with pytest.raises(ValueError):
        _ctx(mod, CLIENT).num_tickets = 1
    with pytest.raises(ValueError):
        _ctx(mod).num_tickets = -1


# ------------------------------------------------------------------- ciphers


def _names(ctx: Any) -> list[str]:
    return [c["name"] for c in ctx.get_ciphers()]


def test_get_ciphers_dicts_match(mod: ModuleType) -> None:
    ref = {c["name"]: c for c in ssl.SSLContext(SERVER).get_ciphers()}
    ours = _ctx(mod).get_ciphers()
    assert ours
    for entry in ours:
        assert entry == ref[entry["name"]]


def _assert_suborder(ours: list[str], ref: list[str]) -> None:
    """cytls lists the suites its engine negotiates: a subsequence of ssl's."""
    assert [n for n in ref if n in ours] == ours


@pytest.mark.parametrize(
    "spec",
    [
        "ECDHE+AESGCM",
        "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL:!eNULL:!MD5:!DSS",
        "HIGH:!aNULL:!eNULL",
        "DEFAULT",
        "ECDHE-RSA-AES128-GCM-SHA256:FOO",
        "AES256:AES128:!ECDSA",
        "CHACHA20:AESGCM",
        "@SECLEVEL=1:ALL",
    ],
)
def test_set_ciphers_like_openssl(spec: str) -> None:
    ref = ssl.SSLContext(SERVER)
    ref.set_ciphers(spec)
    ctx = cytls.SSLContext(SERVER)
    ctx.set_ciphers(spec)
    _assert_suborder(_names(ctx), _names(ref))
    # TLS 1.3 suites are untouched by a TLS 1.2 cipher string, as in OpenSSL.
    assert [n for n in _names(ctx) if n.startswith("TLS_")] == [
        n for n in _names(ref) if n.startswith("TLS_")
    ]


@pytest.mark.parametrize("spec", ["FOO", "!ALL", "FOO:BAR:!ECDHE"])
def test_set_ciphers_nothing_selected(mod: ModuleType, spec: str) -> None:
    ctx = _ctx(mod)
    with pytest.raises(ssl.SSLError, match="No cipher can be selected"):
        ctx.set_ciphers(spec)


def test_failed_set_ciphers_keeps_suites() -> None:
    # OpenSSL empties its TLS 1.2 list when it raises; cytls keeps the
    # previous selection, so a failed call changes nothing.
    ctx = cytls.SSLContext(SERVER)
    before = _names(ctx)
    with pytest.raises(ssl.SSLError):
        ctx.set_ciphers("FOO")
    assert _names(ctx) == before


def test_set_ciphers_tls13_names_restrict() -> None:
    # A cytls extension: OpenSSL needs set_ciphersuites() for this.
    ctx = cytls.SSLContext(CLIENT)
    ctx.set_ciphers("TLS_CHACHA20_POLY1305_SHA256")
    assert [n for n in _names(ctx) if n.startswith("TLS_")] == ["TLS_CHACHA20_POLY1305_SHA256"]


def test_set_ecdh_curve(mod: ModuleType) -> None:
    ctx = _ctx(mod)
    ctx.set_ecdh_curve("prime256v1")
    with pytest.raises(ValueError, match="unknown elliptic curve name 'foo'"):
        ctx.set_ecdh_curve("foo")


# ---------------------------------------------------------- ALPN, SNI, keylog


def test_alpn_validation(mod: ModuleType) -> None:
    ctx = _ctx(mod)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with pytest.raises(ssl.SSLError, match="1 to 255"):
        ctx.set_alpn_protocols(["x" * 256])
    with pytest.raises(ssl.SSLError, match="1 to 255"):
        ctx.set_alpn_protocols([""])
    with pytest.raises(TypeError):
        ctx.set_alpn_protocols([b"h2"])


def test_sni_callback_validation(mod: ModuleType) -> None:
    with pytest.raises(ValueError, match="TLS_CLIENT"):
        _ctx(mod, CLIENT).sni_callback = lambda *a: None
    ctx = _ctx(mod)
    with pytest.raises(TypeError, match="not a callable object"):
        ctx.sni_callback = 3

    def cb(*args: Any) -> None:
        return None

    ctx.sni_callback = cb
    assert ctx.sni_callback is cb
    ctx.set_servername_callback(cb)
    assert callable(ctx.sni_callback)
    ctx.sni_callback = None
    assert ctx.sni_callback is None


def test_keylog_filename(mod: ModuleType, tmp_path: Any) -> None:
    ctx = _ctx(mod)
    with pytest.raises(FileNotFoundError):
        ctx.keylog_filename = str(tmp_path / "missing" / "keys.log")
    with pytest.raises(TypeError):
        ctx.keylog_filename = 3
    path = str(tmp_path / "keys.log")
    ctx.keylog_filename = path
    assert ctx.keylog_filename == path
    assert open(path).read().startswith("# TLS secrets log file")
    ctx.keylog_filename = None
    assert ctx.keylog_filename is None


# ---------------------------------------------------------- load_cert_chain


def test_load_cert_chain_ok(mod: ModuleType, pki: Pki) -> None:
    _ctx(mod).load_cert_chain(pki.path("cert.pem"), pki.path("key.pem"))
    _ctx(mod).load_cert_chain(pki.path("both.pem"))


@pytest.mark.parametrize("keyname", ["enc_pkcs8.pem", "enc_trad.pem"])
@pytest.mark.parametrize(
    "password", ["secret", b"secret", bytearray(b"secret"), lambda: "secret", lambda: b"secret"]
)
def test_load_cert_chain_encrypted(mod: ModuleType, pki: Pki, keyname: str, password: Any) -> None:
    _ctx(mod).load_cert_chain(pki.path("cert.pem"), pki.path(keyname), password)


def test_password_callable_only_when_needed(mod: ModuleType, pki: Pki) -> None:
    calls = []
    _ctx(mod).load_cert_chain(
        pki.path("cert.pem"), pki.path("key.pem"), lambda: calls.append(1) or "x"
    )
    assert calls == []


def _assert_pem_lib(exc: ssl.SSLError) -> None:
    assert type(exc) is ssl.SSLError
    assert "PEM lib" in str(exc)
    assert exc.library == "SSL"


@pytest.mark.parametrize(
    ("certname", "keyname", "password", "error"),
    [
        ("missing.pem", None, None, FileNotFoundError),
        ("cert.pem", "missing.pem", None, FileNotFoundError),
        ("garbage.pem", None, None, "pem"),
        ("empty.pem", None, None, "pem"),
        ("cert.pem", "garbage.pem", None, "pem"),
        ("cert.pem", None, None, "pem"),  # no key in the certificate file
        ("cert.pem", "enc_pkcs8.pem", "wrong", "pem"),
        ("cert.pem", "enc_trad.pem", "wrong", "pem"),
        ("cert.pem", "enc_pkcs8.pem", lambda: "wrong", "pem"),
        ("cert.pem", "otherkey.pem", None, "mismatch"),
        (".", None, None, IsADirectoryError),
    ],
)
def test_load_cert_chain_errors(
    mod: ModuleType, pki: Pki, certname: str, keyname: str | None, password: Any, error: Any
) -> None:
    keyfile = pki.path(keyname) if keyname else None
    with pytest.raises((OSError, ssl.SSLError)) as info:
        _ctx(mod).load_cert_chain(pki.path(certname), keyfile, password)
    if error == "pem":
        _assert_pem_lib(info.value)
    elif error == "mismatch":
        assert type(info.value) is ssl.SSLError
        assert info.value.reason == "KEY_VALUES_MISMATCH"
        assert "key values mismatch" in str(info.value)
    else:
        assert type(info.value) is error


@pytest.mark.parametrize(
    ("password", "error", "message"),
    [
        (3, TypeError, "password should be a string or callable"),
        (lambda: 3, TypeError, "password callback must return a string"),
        ("x" * 2000, ValueError, "password cannot be longer than 1024 bytes"),
        (lambda: "x" * 2000, ValueError, "password cannot be longer than 1024 bytes"),
    ],
)
def test_password_errors(
    mod: ModuleType, pki: Pki, password: Any, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        _ctx(mod).load_cert_chain(pki.path("cert.pem"), pki.path("enc_pkcs8.pem"), password)


def test_password_callback_exception_propagates(mod: ModuleType, pki: Pki) -> None:
    def boom() -> str:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        _ctx(mod).load_cert_chain(pki.path("cert.pem"), pki.path("enc_pkcs8.pem"), boom)


# ---------------------------------------------------- load_verify_locations


def test_load_verify_locations_stats(mod: ModuleType, pki: Pki) -> None:
    ctx = _ctx(mod)
    ctx.load_verify_locations(pki.path("ca.pem"))
    ctx.load_verify_locations(pki.path("ca.pem"))  # duplicates are ignored
    ctx.load_verify_locations(pki.path("cert.pem"))  # a leaf counts, but not as a CA
    assert ctx.cert_store_stats() == {"x509": 2, "crl": 0, "x509_ca": 1}
    ref = ssl.SSLContext(SERVER)
    ref.load_verify_locations(pki.path("ca.pem"))
    assert ctx.get_ca_certs() == ref.get_ca_certs()
    assert ctx.get_ca_certs(binary_form=True) == ref.get_ca_certs(binary_form=True)


def test_cadata_pem_and_der(mod: ModuleType, pki: Pki) -> None:
    pem = pki.ca.cert_pem.bytes().decode() + pki.other_ca.cert_pem.bytes().decode()
    ctx = _ctx(mod)
    ctx.load_verify_locations(cadata=pem)
    assert ctx.cert_store_stats()["x509_ca"] == 2
    der = ssl.PEM_cert_to_DER_cert(pki.ca.cert_pem.bytes().decode())
    der2 = ssl.PEM_cert_to_DER_cert(pki.other_ca.cert_pem.bytes().decode())
    ctx = _ctx(mod)
    ctx.load_verify_locations(cadata=der + der2)
    assert ctx.cert_store_stats()["x509_ca"] == 2
    ctx = _ctx(mod)
    ctx.load_verify_locations(cadata=memoryview(der))
    assert ctx.cert_store_stats()["x509_ca"] == 1


def test_capath(mod: ModuleType, pki: Pki) -> None:
    ctx = _ctx(mod)
    ctx.load_verify_locations(capath=str(pki.dir))
    # OpenSSL consults a CA directory lazily: nothing is counted up front.
    assert ctx.cert_store_stats()["x509"] == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, TypeError, "cannot be all omitted"),
        ({"cafile": "missing.pem"}, FileNotFoundError, None),
        ({"cafile": "garbage.pem"}, ssl.SSLError, "NO_CERTIFICATE_OR_CRL_FOUND"),
        ({"cafile": "empty.pem"}, ssl.SSLError, "NO_CERTIFICATE_OR_CRL_FOUND"),
        ({"cadata": "garbage"}, ssl.SSLError, "cadata does not contain a certificate"),
        ({"cadata": b"garbage"}, ssl.SSLError, "cadata does not contain a certificate"),
        ({"cadata": 3}, TypeError, "cadata should be"),
        ({"cadata": ""}, ValueError, "Empty certificate data"),
        ({"cadata": b""}, ValueError, "Empty certificate data"),
    ],
)
def test_load_verify_locations_errors(
    mod: ModuleType, pki: Pki, kwargs: dict[str, Any], error: type, match: str | None
) -> None:
    if "cafile" in kwargs:
        kwargs = {"cafile": pki.path(kwargs["cafile"])}
    with pytest.raises(error, match=match) as info:
        _ctx(mod).load_verify_locations(**kwargs)
    assert type(info.value) is error


def test_load_default_certs(mod: ModuleType) -> None:
    ctx = _ctx(mod, CLIENT)
    ctx.load_default_certs()
    ref = ssl.SSLContext(CLIENT)
    ref.load_default_certs()
    assert ctx.cert_store_stats() == ref.cert_store_stats()
    with pytest.raises(TypeError):
        ctx.load_default_certs("server")


def test_set_default_verify_paths_env(
    mod: ModuleType, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", pki.path("ca.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(pki.dir / "nonexistent"))
    ctx = _ctx(mod, CLIENT)
    ctx.set_default_verify_paths()
    assert ctx.cert_store_stats() == {"x509": 1, "crl": 0, "x509_ca": 1}


def test_load_dh_params(mod: ModuleType, pki: Pki) -> None:
    with pytest.raises(FileNotFoundError):
        _ctx(mod).load_dh_params(pki.path("missing.pem"))


# ------------------------------------------------------------ constructors


def test_unknown_protocol(mod: ModuleType) -> None:
    with pytest.raises(ValueError, match="invalid or unsupported protocol version 99"):
        mod.SSLContext(99)


@pytest.mark.parametrize("name", ["PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1"])
def test_old_protocols_refused(name: str) -> None:
    # The ssl module still builds these (with a DeprecationWarning); cytls
    # never speaks below TLS 1.2 and says so at once.
    with pytest.raises(ValueError, match="unsupported protocol"):
        cytls.SSLContext(getattr(ssl, name))


@needs_engine
def test_wrap_bio_side_errors(mod: ModuleType) -> None:
    with pytest.raises(
        ssl.SSLError, match="Cannot create a server socket with a PROTOCOL_TLS_CLIENT"
    ):
        _ctx(mod, CLIENT).wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_side=True)
    with pytest.raises(
        ssl.SSLError, match="Cannot create a client socket with a PROTOCOL_TLS_SERVER"
    ):
        _ctx(mod, SERVER).wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_side=False)
    with pytest.raises(ValueError, match="cannot be an empty string"):
        _ctx(mod, CLIENT).wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="")


@needs_engine
def test_sslobject_before_handshake(mod: ModuleType) -> None:
    obj = _ctx(mod, CLIENT).wrap_bio(
        ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.com"
    )
    assert isinstance(obj, ssl.SSLObject)
    assert obj.server_hostname == "example.com"
    assert obj.server_side is False
    assert (obj.version(), obj.cipher(), obj.compression(), obj.selected_alpn_protocol()) == (
        None,
        None,
        None,
        None,
    )
    assert obj.pending() == 0
    assert obj.session_reused is False
    assert obj.get_channel_binding("tls-unique") is None
    with pytest.raises(ValueError, match="handshake not done yet"):
        obj.getpeercert()
    with pytest.raises(ValueError, match="channel binding type not implemented"):
        obj.get_channel_binding("nonsense")
    with pytest.raises(ssl.SSLWantReadError):
        obj.read()
    with pytest.raises(ssl.SSLWantReadError):
        obj.write(b"x")
    with pytest.raises(ssl.SSLError, match="SHUTDOWN_WHILE_IN_INIT"):
        obj.unwrap()
