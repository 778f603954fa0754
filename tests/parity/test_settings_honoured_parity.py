"""Parity: settings the ssl module documents take effect in cytls, or raise
(issue 13, item 12).

Every `ssl.OP_*` option and every SSLContext attribute is classified below;
a test fails when the running Python's ssl module has one the tables do not
cover, so a new option cannot slip through as accepted-and-ignored. The
behaviour of the options and settings that change what happens is checked
against the ssl module: OP_IGNORE_UNEXPECTED_EOF, OP_ENABLE_MIDDLEBOX_COMPAT
cleared on a client, security_level and @SECLEVEL=n (RSA-1024 refused at
level 2 and accepted at 0, for our own certificate and the peer's), and the
3.13 PSK callbacks (which cytls refuses).
"""

from __future__ import annotations

import datetime
import ssl
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from parity_helpers import BioPair, Pki, contexts, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]

HONOURED = "honoured"  # changes what cytls does, as OpenSSL (tested here or named)
ALWAYS = "always on"  # cytls behaves as if set; clearing it changes nothing in ssl either
FAIL_CLOSED = "not honoured, fails closed"  # a weakening switch cytls does not offer

OPTIONS: dict[str, tuple[str, str]] = {
    "OP_ALL": (ALWAYS, "OpenSSL's bug workarounds: none concern TLS 1.2+ AEAD peers"),
    "OP_CIPHER_SERVER_PREFERENCE": (HONOURED, "test_server_cipher_preference"),
    "OP_ENABLE_MIDDLEBOX_COMPAT": (HONOURED, "test_middlebox_compat_cleared_on_a_client"),
    "OP_IGNORE_UNEXPECTED_EOF": (HONOURED, "test_ignore_unexpected_eof"),
    "OP_NO_COMPRESSION": (ALWAYS, "cytls never compresses (compression() is None)"),
    "OP_NO_RENEGOTIATION": (ALWAYS, "cytls refuses renegotiation (DESIGN.md)"),
    "OP_NO_SSLv2": (ALWAYS, "cytls speaks TLS 1.2 and 1.3 only"),
    "OP_NO_SSLv3": (ALWAYS, "cytls speaks TLS 1.2 and 1.3 only"),
    "OP_NO_TLSv1": (ALWAYS, "cytls speaks TLS 1.2 and 1.3 only"),
    "OP_NO_TLSv1_1": (ALWAYS, "cytls speaks TLS 1.2 and 1.3 only"),
    "OP_NO_TLSv1_2": (HONOURED, "test_version_options"),
    "OP_NO_TLSv1_3": (HONOURED, "test_version_options"),
    "OP_SINGLE_DH_USE": (ALWAYS, "every handshake uses fresh ephemeral keys"),
    "OP_SINGLE_ECDH_USE": (ALWAYS, "every handshake uses fresh ephemeral keys"),
    "OP_NO_TICKET": (HONOURED, "test_session_parity.py::test_num_tickets_and_op_no_ticket"),
    # 3.12+
    "OP_ENABLE_KTLS": (ALWAYS, "kernel TLS is an offload; OpenSSL falls back silently too"),
    "OP_LEGACY_SERVER_CONNECT": (
        FAIL_CLOSED,
        "cytls's TLS 1.2 client requires RFC 5746 secure renegotiation signalling",
    ),
}

VERIFY_FLAGS: dict[str, tuple[str, str]] = {
    "VERIFY_DEFAULT": (HONOURED, "no flag"),
    "VERIFY_CRL_CHECK_LEAF": (HONOURED, "test_verify_flags_parity.py"),
    "VERIFY_CRL_CHECK_CHAIN": (HONOURED, "test_verify_flags_parity.py"),
    "VERIFY_X509_STRICT": (HONOURED, "test_verify_flags_parity.py"),
    "VERIFY_X509_PARTIAL_CHAIN": (HONOURED, "test_verify_flags_parity.py"),
    "VERIFY_X509_TRUSTED_FIRST": (ALWAYS, "cytls builds chains trusted-first"),
    "VERIFY_ALLOW_PROXY_CERTS": (FAIL_CLOSED, "proxy certificates are never accepted"),
}

ATTRIBUTES: dict[str, tuple[str, str]] = {
    "check_hostname": (HONOURED, "test_sslobject_parity.py, test_hostname_parity.py"),
    "hostname_checks_common_name": (HONOURED, "test_verify_flags_parity.py"),
    "keylog_filename": (HONOURED, "test_context_parity.py"),
    "maximum_version": (HONOURED, "test_version_options, test_setters_parity.py"),
    "minimum_version": (HONOURED, "test_version_options, test_setters_parity.py"),
    "num_tickets": (HONOURED, "test_session_parity.py::test_num_tickets_and_op_no_ticket"),
    "options": (HONOURED, "OPTIONS above"),
    "post_handshake_auth": (HONOURED, "test_post_handshake_parity.py, test_chain_parity.py"),
    "protocol": (HONOURED, "read only"),
    "security_level": (HONOURED, "test_security_level_*"),
    "sni_callback": (HONOURED, "test_handshake_errors_parity.py, test_hostname_parity.py"),
    "verify_flags": (HONOURED, "VERIFY_FLAGS above"),
    "verify_mode": (HONOURED, "test_post_handshake_parity.py and others"),
    "_msg_callback": (HONOURED, "test_msg_callback_parity.py"),
    "_host_flags": (ALWAYS, "OpenSSL's host check flags: cytls checks names as the default"),
    "_windows_cert_stores": (ALWAYS, "a Windows-only constant of the ssl module"),
}


def test_every_option_and_attribute_is_classified() -> None:
    options = {n for n in dir(ssl) if n.startswith("OP_")}
    assert options <= set(OPTIONS), options - set(OPTIONS)
    flags = {n for n in dir(ssl) if n.startswith("VERIFY_")}
    assert flags <= set(VERIFY_FLAGS), flags - set(VERIFY_FLAGS)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    attributes = {
        n for n in dir(ctx) if not n.startswith("__") and not callable(getattr(ctx, n))
    } - {"sslobject_class", "sslsocket_class"}
    assert attributes <= set(ATTRIBUTES), attributes - set(ATTRIBUTES)
    # Every attribute is cytls's own (none falls through to the OpenSSL
    # object under the base class), but the ssl module's Windows constant.
    for name in attributes - {"_windows_cert_stores"}:
        owner = next(c for c in cytls.SSLContext.__mro__ if name in vars(c))
        assert owner.__module__.startswith("cytls."), (name, owner)


def test_always_on_options_hold(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    assert pair.client.compression() is None
    assert pair.client.version() in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(
    ("option", "version"),
    [(ssl.OP_NO_TLSv1_3, "TLSv1.2"), (ssl.OP_NO_TLSv1_2, "TLSv1.3")],
)
def test_version_options(mod: ModuleType, pki: Pki, option: int, version: str) -> None:
    client, server = contexts(mod, mod, pki)
    with pytest.warns(DeprecationWarning):
        client.options |= option
    pair = BioPair(client, server)
    pair.handshake()
    assert pair.client.version() == version


def test_server_cipher_preference(mod: ModuleType, pki: Pki) -> None:
    client, server = contexts(mod, mod, pki)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384")
    server.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
    server.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    pair = BioPair(client, server)
    pair.handshake()
    assert pair.client.cipher()[0] == "ECDHE-ECDSA-AES256-GCM-SHA384"
    server.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    pair = BioPair(client, server)
    pair.handshake()
    assert pair.client.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"


def test_ignore_unexpected_eof(mod: ModuleType, pki: Pki) -> None:
    """A raw EOF reads as b"" (as if close_notify came), then unwrap() is
    done and a second shutdown side is SSL_ERROR_ZERO_RETURN."""
    client, server = contexts(mod, mod, pki)
    client.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
    pair = BioPair(client, server)
    pair.handshake()
    pair.server.write(b"data")
    pair.pump()
    pair.c_in.write_eof()
    assert pair.client.read() == b"data"
    assert pair.client.read() == b""
    assert pair.client.read() == b""
    assert pair.client.unwrap() is None
    with pytest.raises(ssl.SSLZeroReturnError):
        pair.client.read()
    # Without the option: SSLEOFError.
    client.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    pair = BioPair(client, server)
    pair.handshake()
    pair.c_in.write_eof()
    with pytest.raises(ssl.SSLEOFError):
        pair.client.read()


def test_ignore_unexpected_eof_mid_handshake(mod: ModuleType, pki: Pki) -> None:
    client, server = contexts(mod, mod, pki)
    client.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
    pair = BioPair(client, server)
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.do_handshake()
    pair.c_in.write_eof()
    with pytest.raises(ssl.SSLZeroReturnError):
        pair.client.do_handshake()


@pytest.mark.parametrize("compat", [True, False])
def test_middlebox_compat_cleared_on_a_client(mod: ModuleType, pki: Pki, compat: bool) -> None:
    """Seen by an ssl-module server: with the mode on, a 32-byte legacy
    session id and a change_cipher_spec from the client; off, neither."""
    client, server = contexts(mod, ssl, pki)
    if not compat:
        client.options &= ~ssl.OP_ENABLE_MIDDLEBOX_COMPAT
    seen: list[tuple[int, bytes]] = []
    server._msg_callback = lambda conn, d, v, ct, mt, data: (
        seen.append((int(ct), data)) if d == "read" else None
    )
    pair = BioPair(client, server)
    pair.handshake()
    hello = next(data for ct, data in seen if ct == 22 and data[0] == 1)
    session_id_length = hello[4 + 2 + 32]
    ccs_records = [data for ct, data in seen if ct == 256 and data[0] == 20]
    assert session_id_length == (32 if compat else 0)
    assert len(ccs_records) == (1 if compat else 0)


# -- security levels -----------------------------------------------------------


@pytest.fixture(scope="module")
def weak_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A P-256 CA, an RSA-1024 leaf and a P-256 leaf for localhost."""
    d = tmp_path_factory.mktemp("seclevel")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())

    def cert(name: str, key: Any, issuer: x509.Certificate | None, ca: bool) -> x509.Certificate:
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.subject if issuer is not None else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
            )
        return builder.sign(ca_key, hashes.SHA256())

    ca = cert("seclevel CA", ca_key, None, True)
    (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files = {"ca": d / "ca.pem"}
    for name, key in (
        ("rsa1024", rsa.generate_private_key(65537, 1024)),
        ("p256", ec.generate_private_key(ec.SECP256R1())),
    ):
        leaf = cert("localhost", key, ca, False)
        path = d / f"{name}.pem"
        path.write_bytes(
            leaf.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        files[name] = path
    return files


def _load_outcome(mod: ModuleType, level: int, path: Path) -> Any:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(f"DEFAULT@SECLEVEL={level}")
    assert ctx.security_level == level
    try:
        ctx.load_cert_chain(path)
    except ssl.SSLError as exc:
        return (exc.library, exc.reason, str(exc).split(" (_ssl.c:")[0])
    return "ok"


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("leaf", ["rsa1024", "p256"])
def test_security_level_own_certificate(
    weak_files: dict[str, Path], level: int, leaf: str
) -> None:
    assert _load_outcome(cytls, level, weak_files[leaf]) == _load_outcome(
        ssl, level, weak_files[leaf]
    )


def test_security_level_rsa1024_own(mod: ModuleType, weak_files: dict[str, Path]) -> None:
    assert _load_outcome(mod, 0, weak_files["rsa1024"]) == "ok"
    assert _load_outcome(mod, 2, weak_files["rsa1024"])[1] == "EE_KEY_TOO_SMALL"


@pytest.mark.parametrize("level", [0, 1, 2, 3])
@pytest.mark.parametrize("leaf", ["rsa1024", "p256"])
def test_security_level_peer_certificate(
    mod: ModuleType, weak_files: dict[str, Path], level: int, leaf: str
) -> None:
    """The client's level sets the floor for the server's chain (levels 4
    and 5 also refuse handshake signatures, which OpenSSL reports as
    NO_SUITABLE_SIGNATURE_ALGORITHM before verifying; not compared here)."""
    server = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.set_ciphers("DEFAULT@SECLEVEL=0")
    server.load_cert_chain(weak_files[leaf])
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(weak_files["ca"])
    client.set_ciphers(f"DEFAULT@SECLEVEL={level}")
    refused = leaf == "rsa1024" and level >= 2
    pair = BioPair(client, server)
    if not refused:
        pair.handshake()
        assert pair.client.getpeercert()["subjectAltName"] == (("DNS", "localhost"),)
        return
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        pair.handshake()
    assert info.value.verify_code == 66
    assert info.value.verify_message == "EE certificate key too weak"


def test_security_level_default_and_cipher_string(mod: ModuleType) -> None:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx.security_level == ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).security_level
    ctx.set_ciphers("ECDHE+AESGCM:@SECLEVEL=1")
    assert ctx.security_level == 1
    ctx.set_ciphers("ECDHE+AESGCM")  # a string without @SECLEVEL keeps it
    assert ctx.security_level == 1
    with pytest.raises(AttributeError):
        ctx.security_level = 3


# -- PSK callbacks (Python 3.13) ------------------------------------------------


@pytest.mark.skipif(sys.version_info < (3, 13), reason="set_psk_*_callback came in 3.13")
def test_psk_callbacks_refused_clearly() -> None:
    """Deliberate difference: cytls does not implement external PSKs, so a
    callback is refused with NotImplementedError rather than kept and never
    called; the ssl module's argument and side checks come first."""
    client = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    server = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)

    def callback(*args: Any) -> Any:
        return None

    with pytest.raises(NotImplementedError):
        client.set_psk_client_callback(callback)
    with pytest.raises(NotImplementedError):
        server.set_psk_server_callback(callback, "hint")
    client.set_psk_client_callback(None)
    server.set_psk_server_callback(None)
    for ctx, name in ((server, "set_psk_client_callback"), (client, "set_psk_server_callback")):
        with pytest.raises(ssl.SSLError):
            getattr(ctx, name)(callback)
        reference = ssl.SSLContext(ctx.protocol)
        with pytest.raises(ssl.SSLError):
            getattr(reference, name)(callback)
    with pytest.raises(TypeError):
        client.set_psk_client_callback(5)
    with pytest.raises(TypeError):
        server.set_psk_server_callback(callback, 5)


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="the methods exist from 3.13")
def test_no_psk_methods_before_313() -> None:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert hasattr(ctx, "set_psk_client_callback") == hasattr(
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), "set_psk_client_callback"
    )
