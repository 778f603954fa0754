"""Parity: how handshakes fail, ssl module vs cytls (issue 13, items 2 and 3
and "Error names and messages").

Code in the wild matches on `exc.reason`, `exc.library` and the text, so
every failure here is compared with what the ssl module (OpenSSL 3.0) raises
in the same run: the reason and message of the side that detects the problem,
and OpenSSL's SSLV3_ALERT_* / TLSV1_ALERT_* / TLSV13_ALERT_* name of the
alert the other side receives.
"""

from __future__ import annotations

import socket
import ssl
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, Server, contexts, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]


def _run(pair: BioPair) -> dict[str, ssl.SSLError]:
    """Drive both sides until each has failed or finished; the first error of each."""
    errors: dict[str, ssl.SSLError] = {}
    for _ in range(8):
        for side, obj in (("client", pair.client), ("server", pair.server)):
            if side in errors:
                continue
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as exc:
                errors[side] = exc
        pair.pump()
    return errors


def _shape(exc: ssl.SSLError | None) -> tuple[Any, ...] | None:
    """What callers match on: class family, errno, library, reason, message."""
    if exc is None:
        return None
    text = str(exc.args[1]).split(" (_ssl.c:")[0]
    return (
        isinstance(exc, ssl.SSLCertVerificationError),
        exc.errno,
        exc.library,
        exc.reason,
        text,
    )


def _failure(mod: ModuleType, pki: Pki, setup: Callable[[Any, Any], None]) -> dict[str, Any]:
    client, server = contexts(mod, mod, pki)
    setup(client, server)
    errors = _run(BioPair(client, server))
    return {side: _shape(errors.get(side)) for side in ("client", "server")}


def _no_shared_cipher_12(c: Any, s: Any) -> None:
    c.maximum_version = s.maximum_version = ssl.TLSVersion.TLSv1_2
    s.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    c.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")


def _no_shared_cipher_13(c: Any, s: Any) -> None:
    c.maximum_version = ssl.TLSVersion.TLSv1_2
    s.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    c.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")


def _version(c: Any, s: Any) -> None:
    s.minimum_version = ssl.TLSVersion.TLSv1_3
    c.maximum_version = ssl.TLSVersion.TLSv1_2


def _version_other_way(c: Any, s: Any) -> None:
    c.minimum_version = ssl.TLSVersion.TLSv1_3
    s.maximum_version = ssl.TLSVersion.TLSv1_2


def _groups(c: Any, s: Any) -> None:
    s.set_ecdh_curve("secp384r1")
    c.set_ecdh_curve("prime256v1")


def _certificate_required_12(c: Any, s: Any) -> None:
    s.verify_mode = ssl.CERT_REQUIRED
    c.maximum_version = ssl.TLSVersion.TLSv1_2


def _certificate_required_13(c: Any, s: Any) -> None:
    s.verify_mode = ssl.CERT_REQUIRED


def _sni_alert(c: Any, s: Any) -> None:
    s.sni_callback = lambda *args: ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME


def _sni_not_int(c: Any, s: Any) -> None:
    s.sni_callback = lambda *args: "not an alert"


def _alpn_strict(c: Any, s: Any) -> None:
    """cytls only: the ssl module has no strict ALPN switch."""
    c.set_alpn_protocols(["h2"])
    s.set_alpn_protocols(["http/1.1"], strict=True)


SCENARIOS = {
    "no_shared_cipher_12": _no_shared_cipher_12,
    "no_shared_cipher_13_server": _no_shared_cipher_13,
    "protocol_version": _version,
    "protocol_version_other_way": _version_other_way,
    "no_common_group": _groups,
    "certificate_required_12": _certificate_required_12,
    "sni_returns_alert": _sni_alert,
    "sni_returns_non_int": _sni_not_int,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_failure_reasons_and_messages(pki: Pki, name: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: None)
    want = _failure(ssl, pki, SCENARIOS[name])
    got = _failure(cytls, pki, SCENARIOS[name])
    assert want["server"] is not None or want["client"] is not None
    assert got == want


def test_certificate_required_13(pki: Pki) -> None:
    """TLS 1.3: the server fails at once; the client, which finished its
    handshake, reads the certificate_required alert."""
    results = []
    for mod in (ssl, cytls):
        client, server = contexts(mod, mod, pki)
        _certificate_required_13(client, server)
        pair = BioPair(client, server)
        errors = _run(pair)
        assert "client" not in errors
        with pytest.raises(ssl.SSLError) as info:
            pair.client.read()
        results.append((_shape(errors.get("server")), _shape(info.value)))
    assert results[1] == results[0]
    assert results[0][1][3] == "TLSV13_ALERT_CERTIFICATE_REQUIRED"


def test_unknown_ca(pki: Pki) -> None:
    import trustme

    other = trustme.CA()
    results = []
    for mod in (ssl, cytls):
        server = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        pki.server.configure_cert(server)
        client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        other.configure_trust(client)
        errors = _run(BioPair(client, server))
        results.append((_shape(errors.get("client")), _shape(errors.get("server"))))
    assert results[1] == results[0]
    assert results[0][1][3] == "TLSV1_ALERT_UNKNOWN_CA"
    assert results[0][1][4] == "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca"


@pytest.mark.parametrize(
    "alert",
    [
        a
        for a in ssl.AlertDescription
        # close_notify and user_canceled are not fatal; no_certificate (41)
        # is SSLv3's, and OpenSSL 3.0 does not map it.
        if a not in (ssl.ALERT_DESCRIPTION_CLOSE_NOTIFY, ssl.ALERT_DESCRIPTION_USER_CANCELLED)
        and int(a) != 41
    ],
)
def test_received_alert_names(pki: Pki, alert: ssl.AlertDescription) -> None:
    """Every alert an ssl-module server sends (its SNI callback returns it),
    as the client of each module reports it: OpenSSL's reason name and text
    ("[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca"); a name this
    Python's ssl module does not know is reason None and "[SSL] text"."""
    results = []
    for mod in (ssl, cytls):
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        pki.server.configure_cert(server)
        server.sni_callback = lambda *args: int(alert)
        client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        pki.ca.configure_trust(client)
        results.append(_shape(_run(BioPair(client, server)).get("client")))
    assert results[0] is not None
    assert results[1] == results[0]


def test_sni_callback_exception(pki: Pki, mod: ModuleType, monkeypatch: Any) -> None:
    """The exception goes to sys.unraisablehook (object: the callback) and
    the handshake fails with CALLBACK_FAILED / handshake_failure."""
    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    client, server = contexts(mod, mod, pki)

    def callback(*args: Any) -> None:
        raise RuntimeError("boom")

    server.sni_callback = callback
    errors = _run(BioPair(client, server))
    assert errors["server"].reason == "CALLBACK_FAILED"
    assert str(errors["server"]).startswith("[SSL: CALLBACK_FAILED] callback failed")
    assert errors["client"].reason == "SSLV3_ALERT_HANDSHAKE_FAILURE"
    assert len(seen) == 1
    assert seen[0].exc_type is RuntimeError and str(seen[0].exc_value) == "boom"
    assert seen[0].object is callback and seen[0].err_msg is None


# -- item 2: ALPN with no protocol in common ---------------------------------


def test_alpn_no_overlap_goes_on_without_alpn(mod: ModuleType, pki: Pki) -> None:
    client, server = contexts(mod, mod, pki)
    client.set_alpn_protocols(["http/1.1"])
    server.set_alpn_protocols(["h2"])
    pair = BioPair(client, server)
    pair.handshake()
    assert pair.client.selected_alpn_protocol() is None
    assert pair.server.selected_alpn_protocol() is None


def test_alpn_no_overlap_over_sockets(mod: ModuleType, pki: Pki) -> None:
    """The threaded socket path: no error at all, on both sides."""
    client, server_ctx = contexts(mod, mod, pki)
    client.set_alpn_protocols(["http/1.1"])
    server_ctx.set_alpn_protocols(["h2"])

    def handler(raw: socket.socket) -> tuple[Any, bytes]:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            return tls.selected_alpn_protocol(), tls.recv(10)

    server = Server(handler)
    with client.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        assert tls.selected_alpn_protocol() is None
        tls.sendall(b"hi")
    assert server.join() == (None, b"hi")


def test_alpn_strict_sends_no_application_protocol(pki: Pki) -> None:
    """A cytls extension (the ssl module has no switch for it): the server
    refuses with the RFC 7301 alert, reported by the client under this
    Python's ssl name for it, whatever module the client is."""
    for client_mod in (ssl, cytls):
        client, server = contexts(client_mod, cytls, pki)
        client.set_alpn_protocols(["h2"])
        server.set_alpn_protocols(["http/1.1"], strict=True)
        errors = _run(BioPair(client, server))
        assert errors["server"].reason == "NO_APPLICATION_PROTOCOL"
        assert str(errors["server"]) == "[SSL: NO_APPLICATION_PROTOCOL] no application protocol"
        assert "tlsv1 alert no application protocol" in str(errors["client"])
        if client_mod is cytls:
            assert errors["client"].library == "SSL"


def test_socket_error_paths_raise_only_the_ssl_family(pki: Pki) -> None:
    """Over threaded sockets, a failing handshake raises ssl.SSLError on
    both sides (never a TypeError or another stray exception)."""
    for setup in (_no_shared_cipher_12, _version, _groups, _sni_alert, _alpn_strict):
        client, server_ctx = contexts(cytls, cytls, pki)
        setup(client, server_ctx)

        def handler(raw: socket.socket, server_ctx: Any = server_ctx) -> None:
            server_ctx.wrap_socket(raw, server_side=True)

        server = Server(handler)
        with pytest.raises(ssl.SSLError):
            client.wrap_socket(server.connect(), server_hostname="localhost")
        with pytest.raises(ssl.SSLError):
            server.join()


# -- item 3: a server context without a certificate ---------------------------


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2])
def test_server_without_certificate_fails_at_handshake(
    mod: ModuleType, pki: Pki, version: ssl.TLSVersion
) -> None:
    server = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(client)
    client.maximum_version = version
    pair = BioPair(client, server)  # the wrap itself succeeds
    errors = _run(pair)
    assert errors["server"].reason == "NO_SHARED_CIPHER"
    assert str(errors["server"]).startswith("[SSL: NO_SHARED_CIPHER] no shared cipher")
    assert errors["client"].reason == "SSLV3_ALERT_HANDSHAKE_FAILURE"


def test_server_socket_without_certificate(mod: ModuleType, pki: Pki) -> None:
    server_ctx = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(client)

    def handler(raw: socket.socket) -> Any:
        tls = server_ctx.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        with tls, pytest.raises(ssl.SSLError) as info:
            tls.do_handshake()
        return info.value.reason

    server = Server(handler)
    with pytest.raises(ssl.SSLError):
        client.wrap_socket(server.connect(), server_hostname="localhost")
    assert server.join() == "NO_SHARED_CIPHER"


def test_custom_sslobject_and_sslsocket_classes(mod: ModuleType, pki: Pki) -> None:
    class MyObject(ssl.SSLObject):
        pass

    class MySocket(ssl.SSLSocket):
        pass

    client, server_ctx = contexts(mod, mod, pki)
    for ctx in (client, server_ctx):
        ctx.sslobject_class = MyObject
        ctx.sslsocket_class = MySocket
    pair = BioPair(client, server_ctx)
    assert type(pair.client) is MyObject and type(pair.server) is MyObject
    pair.handshake()
    assert pair.client.version() == "TLSv1.3"

    def handler(raw: socket.socket) -> Any:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            return type(tls), tls.recv(10)

    server = Server(handler)
    with client.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        assert type(tls) is MySocket
        assert tls.cipher() is not None
        tls.sendall(b"hi")
    assert server.join() == (MySocket, b"hi")

    class Context(mod.SSLContext):  # type: ignore[name-defined,misc]
        sslobject_class = MyObject

    ctx = Context(ssl.PROTOCOL_TLS_CLIENT)
    obj = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
    assert type(obj) is MyObject


def _check_format(exc: ssl.SSLError) -> None:
    """library and reason are there, and str() is "[LIB: REASON] message"
    ("[LIB] message" without a reason), as _ssl.c formats OpenSSL errors."""
    assert hasattr(exc, "library") and hasattr(exc, "reason")
    text = str(exc)
    if exc.reason is not None:
        assert text.startswith(f"[{exc.library}: {exc.reason}] "), text
    elif exc.library is not None:
        assert text.startswith(f"[{exc.library}] "), text


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_error_carries_library_and_reason(pki: Pki, name: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: None)
    client, server = contexts(cytls, cytls, pki)
    SCENARIOS[name](client, server)
    errors = _run(BioPair(client, server))
    assert errors
    for exc in errors.values():
        _check_format(exc)
        assert exc.library == "SSL"


def test_file_errors_carry_library_and_reason(pki: Pki, tmp_path: Any) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    for call in (
        lambda ctx: ctx.load_verify_locations(str(bad)),
        lambda ctx: ctx.load_verify_locations(pki.path("garbage.pem")),
        lambda ctx: ctx.load_cert_chain(pki.path("garbage.pem")),
        lambda ctx: ctx.load_cert_chain(pki.path("cert.pem"), pki.path("otherkey.pem")),
        lambda ctx: ctx.load_dh_params(pki.path("garbage.pem")),
        lambda ctx: ctx.set_ciphers("nothing-at-all"),
    ):
        got = []
        for mod in (ssl, cytls):
            with pytest.raises(ssl.SSLError) as info:
                call(mod.SSLContext(ssl.PROTOCOL_TLS_SERVER))
            got.append(info.value)
        _check_format(got[1])
        assert str(got[1]) == str(got[0]).split(" (_ssl.c:")[0]
        assert getattr(got[0], "library", None) == got[1].library
        assert getattr(got[0], "reason", None) == got[1].reason


def test_pem_lib_for_damaged_ca_files(mod: ModuleType, pki: Pki, tmp_path: Any) -> None:
    """load_verify_locations on a damaged PEM block: "[X509] PEM lib"."""
    cert = pki.ca.cert_pem.bytes()
    for data in (
        cert[:300],  # truncated
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",  # not base64
        cert + b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",  # bad DER
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" + cert,
    ):
        path = tmp_path / "ca.pem"
        path.write_bytes(data)
        ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        with pytest.raises(ssl.SSLError) as info:
            ctx.load_verify_locations(str(path))
        assert info.value.library == "X509" and info.value.reason is None
        assert str(info.value).startswith("[X509] PEM lib")
        assert info.value.errno == 524297
