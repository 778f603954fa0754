"""Parity: TLS connections over memory BIOs (SSLObject), ssl module vs cytls.

`mod` runs both ends on one implementation; the interop tests mix them. The
assertions are what a caller of either can rely on: results, dict shapes,
exception classes and their essentials.
"""

from __future__ import annotations

import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, contexts, needs_engine

import cytls

pytestmark = needs_engine

IMPLS = {"ssl": ssl, "cytls": cytls}


@pytest.fixture(params=[("cytls", "ssl"), ("ssl", "cytls")], ids=["cytls-client", "cytls-server"])
def mixed(request: pytest.FixtureRequest) -> tuple[ModuleType, ModuleType]:
    c, s = request.param
    return IMPLS[c], IMPLS[s]


def test_handshake_and_data(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    c, s = pair.client, pair.server
    assert isinstance(c, ssl.SSLObject) and isinstance(s, ssl.SSLObject)
    assert c.version() == s.version() == "TLSv1.3"
    assert c.cipher() == s.cipher()
    assert c.cipher()[1:] in {("TLSv1.3", 256), ("TLSv1.3", 128)}
    assert (c.server_side, s.server_side) == (False, True)
    assert (c.server_hostname, s.server_hostname) == ("localhost", None)
    assert c.compression() is None
    assert c.selected_alpn_protocol() is None
    assert c.write(b"ping") == 4
    pair.pump()
    assert s.pending() == 0  # nothing is decrypted before a read
    assert s.read(2) == b"pi"
    assert s.pending() == 2
    buf = bytearray(10)
    assert s.read(10, buf) == 2 and buf[:2] == b"ng"
    big = bytes(range(256)) * 1000
    assert s.write(big) == len(big)
    pair.pump()
    got = b""
    while len(got) < len(big):
        got += c.read(100000)
    assert got == big
    assert c.write(b"") == 0
    assert s.read(0) == b""
    import array

    words = array.array("I", [1, 2, 3])
    assert c.write(words) == 12
    assert c.write(memoryview(b"abcdef")[2:4]) == 2
    pair.pump()
    got = b""
    while len(got) < 14:  # OpenSSL returns one record per read, cytls all it has
        got += s.read(100)
    assert got == words.tobytes() + b"cd"


def test_interop(mixed: tuple[ModuleType, ModuleType], pki: Pki) -> None:
    pair = BioPair(*contexts(*mixed, pki))
    pair.handshake()
    assert pair.client.version() == "TLSv1.3"
    pair.client.write(b"hello")
    pair.pump()
    assert pair.server.read() == b"hello"
    pair.server.write(b"world")
    pair.pump()
    assert pair.client.read() == b"world"


def test_getpeercert(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    pki.client.configure_cert(client_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    pki.ca.configure_trust(server_ctx)
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    ref_pair = BioPair(*_ssl_mtls(pki))
    ref_pair.handshake()
    assert pair.client.getpeercert() == ref_pair.client.getpeercert()
    assert pair.server.getpeercert() == ref_pair.server.getpeercert()
    leaf = ssl.PEM_cert_to_DER_cert(pki.server.cert_chain_pems[0].bytes().decode())
    assert pair.client.getpeercert(binary_form=True) == leaf
    assert "subjectAltName" in pair.client.getpeercert()


def _ssl_mtls(pki: Pki) -> tuple[Any, Any]:
    client_ctx, server_ctx = contexts(ssl, ssl, pki)
    pki.client.configure_cert(client_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    pki.ca.configure_trust(server_ctx)
    return client_ctx, server_ctx


def test_getpeercert_unverified(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    assert pair.client.getpeercert() == {}
    assert isinstance(pair.client.getpeercert(binary_form=True), bytes)
    assert pair.server.getpeercert() is None


def test_untrusted_ca(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    client_ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.other_ca.configure_trust(client_ctx)
    pair = BioPair(client_ctx, server_ctx)
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        pair.handshake()
    err = info.value
    assert isinstance(err, ssl.SSLError) and isinstance(err, ValueError)  # CertificateError
    assert err.reason == "CERTIFICATE_VERIFY_FAILED"
    assert err.verify_code == 20
    assert "certificate verify failed" in str(err)


def test_verify_failure_message(mod: ModuleType, pki: Pki) -> None:
    # Code in the wild greps str(exc) for CERTIFICATE_VERIFY_FAILED.
    client_ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.other_ca.configure_trust(client_ctx)
    pair = BioPair(client_ctx, contexts(mod, mod, pki)[1])
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        pair.handshake()
    assert str(info.value).startswith("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")


def test_hostname_mismatch(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki), hostname="wrong.example")
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        pair.handshake()
    assert info.value.verify_code == 62
    assert "wrong.example" in info.value.verify_message


def test_ip_address_hostname(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki), hostname="127.0.0.1")
    pair.handshake()
    assert pair.client.version() == "TLSv1.3"


def test_client_certificate_required(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    pki.ca.configure_trust(server_ctx)
    pair = BioPair(client_ctx, server_ctx)
    # TLS 1.3: the client finishes first, the server refuses its empty
    # Certificate, and the client learns it on its next read.
    with pytest.raises(ssl.SSLError):
        pair.handshake()
    pair.pump()
    with pytest.raises(ssl.SSLError):
        pair.client.read()


def test_alpn(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    client_ctx.set_alpn_protocols(["h2", "http/1.1"])
    server_ctx.set_alpn_protocols(["http/1.1"])
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    assert (
        pair.client.selected_alpn_protocol() == pair.server.selected_alpn_protocol() == "http/1.1"
    )


def test_sni_callback_switches_certificate(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    other = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    alt = pki.other_ca.issue_cert("alt.example")
    alt.configure_cert(other)
    seen = []

    def callback(sslobj: Any, name: str, ctx: Any) -> None:
        seen.append((type(sslobj), name, ctx is server_ctx))
        if name == "alt.example":
            sslobj.context = other

    server_ctx.sni_callback = callback
    client_ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.other_ca.configure_trust(client_ctx)
    pair = BioPair(client_ctx, server_ctx, hostname="alt.example")
    pair.handshake()
    assert seen == [(type(pair.server), "alt.example", True)]
    assert pair.server.context is other
    assert ("DNS", "alt.example") in pair.client.getpeercert()["subjectAltName"]


def test_sni_callback_alert(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    server_ctx.sni_callback = lambda sslobj, name, ctx: ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
    pair = BioPair(client_ctx, server_ctx)
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.do_handshake()
    pair.pump()
    with pytest.raises(ssl.SSLError):
        pair.server.do_handshake()
    pair.pump()
    with pytest.raises(ssl.SSLError) as info:
        pair.client.do_handshake()
    assert "UNRECOGNIZED_NAME" in str(info.value).upper()


def test_close_notify_and_unwrap(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.unwrap()  # sent close_notify, waits for the server's
    pair.pump()
    assert pair.server.read() == b""  # clean EOF
    assert pair.server.read() == b""
    assert pair.server.unwrap() is None
    pair.pump()
    assert pair.client.unwrap() is None


def test_eof_mid_handshake(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.do_handshake()
    pair.c_in.write_eof()
    with pytest.raises(ssl.SSLEOFError) as info:
        pair.client.do_handshake()
    assert info.value.args[0] == ssl.SSL_ERROR_EOF


def test_eof_mid_record(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    pair.server.write(b"x" * 1000)
    data = pair.s_out.read()
    pair.c_in.write(data[:100])
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.read()
    pair.c_in.write_eof()
    with pytest.raises(ssl.SSLEOFError):
        pair.client.read()


def test_garbage_from_peer(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    pair.handshake()
    pair.c_in.write(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)  # a record that cannot decrypt
    with pytest.raises(ssl.SSLError) as info:
        pair.client.read()
    assert "BAD_RECORD_MAC" in str(info.value).upper() or "DECRYPTION" in str(info.value).upper()


def test_keylog(mod: ModuleType, pki: Pki, tmp_path: Any) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    path = tmp_path / "keys.log"
    client_ctx.keylog_filename = str(path)
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    labels = {line.split()[0] for line in path.read_text().splitlines() if not line.startswith("#")}
    assert {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    } <= labels


def test_session_stats(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    for _ in range(2):
        BioPair(client_ctx, server_ctx).handshake()
    assert client_ctx.session_stats()["connect_good"] == 2
    assert server_ctx.session_stats()["accept"] == 2
    assert server_ctx.session_stats()["accept_good"] == 2


def test_channel_binding(pki: Pki) -> None:
    pair = BioPair(*contexts(cytls, cytls, pki))
    pair.handshake()
    c, s = pair.client, pair.server
    # Not defined for TLS 1.3; as the ssl module, the client's Finished.
    assert c.get_channel_binding("tls-unique") == s.get_channel_binding("tls-unique")
    exporter = c.get_channel_binding("tls-exporter")
    assert isinstance(exporter, bytes) and len(exporter) == 32
    assert exporter == s.get_channel_binding("tls-exporter")


def test_chains(pki: Pki) -> None:
    pair = BioPair(*contexts(cytls, cytls, pki))
    pair.handshake()
    leaf = pair.client.getpeercert(binary_form=True)
    assert pair.client.get_unverified_chain()[0] == leaf
    chain = pair.client.get_verified_chain()
    assert chain[0] == leaf
    assert chain[-1] == ssl.PEM_cert_to_DER_cert(pki.ca.cert_pem.bytes().decode())


def test_session_from_openssl_server(pki: Pki) -> None:
    # An OpenSSL server sends two TLS 1.3 tickets after the handshake; cytls
    # takes them as they arrive, so the session is there before any read.
    pair = BioPair(*contexts(cytls, ssl, pki))
    pair.handshake()
    session = pair.client.session
    assert isinstance(session, cytls.SSLSession)
    assert pair.client.session is session
    pair.server.write(b"x")
    pair.pump()
    assert pair.client.read() == b"x"
    assert session.has_ticket and session.ticket_lifetime_hint > 0
    assert len(session.id) == 32
    assert pair.client.session_reused is False
    with pytest.raises(ValueError, match="after handshake"):
        pair.client.session = session


def test_session_setter_checks(mod: ModuleType, pki: Pki) -> None:
    pair = BioPair(*contexts(mod, mod, pki))
    with pytest.raises(TypeError, match="Value is not a SSLSession"):
        pair.client.session = None
    with pytest.raises(TypeError, match="Value is not a SSLSession"):
        pair.server.session = "x"


def test_server_without_certificate(mod: ModuleType, pki: Pki) -> None:
    client_ctx, _ = contexts(mod, mod, pki)
    server_ctx = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # ssl fails in the handshake (no shared cipher), cytls when wrapping: both
    # with an SSLError before any data moves.
    with pytest.raises(ssl.SSLError):
        BioPair(client_ctx, server_ctx).handshake()


def test_no_common_version(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    client_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with pytest.raises(ssl.SSLError):
        BioPair(client_ctx, server_ctx).handshake()


def test_post_handshake_auth(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    client_ctx.post_handshake_auth = True
    pki.client.configure_cert(client_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    server_ctx.post_handshake_auth = True
    pki.ca.configure_trust(server_ctx)
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    pair.server.verify_client_post_handshake()
    pair.server.write(b"after")
    pair.pump()
    assert pair.client.read() == b"after"  # answers the CertificateRequest
    pair.pump()
    with pytest.raises(ssl.SSLWantReadError):
        pair.server.read()
    assert pair.server.getpeercert()["subjectAltName"] == (("email", "client@example.com"),)


def test_post_handshake_auth_not_offered(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    with pytest.raises(ssl.SSLError):
        pair.server.verify_client_post_handshake()


# ------------------------------------------------ cytls additions to the API


@pytest.mark.parametrize(
    ("client_groups", "server_groups", "expected"),
    [
        (None, None, "X25519MLKEM768"),  # the default prefers the hybrid
        ("secp384r1", None, "secp384r1"),
        (["P-256", "X25519"], "x25519:P-256", "secp256r1"),  # the share sent is taken
        ("x25519:secp384r1", "P-384", "secp384r1"),  # after a HelloRetryRequest
        ("X25519MLKEM768:x25519", "x25519", "x25519"),
    ],
)
def test_group_after_set_groups(
    pki: Pki, client_groups: Any, server_groups: Any, expected: str
) -> None:
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    if client_groups is not None:
        client_ctx.set_groups(client_groups)
    if server_groups is not None:
        server_ctx.set_groups(server_groups)
    pair = BioPair(client_ctx, server_ctx)
    assert pair.client.group() is None and pair.server.group() is None
    pair.handshake()
    assert pair.client.group() == pair.server.group() == expected


def test_group_against_openssl(pki: Pki) -> None:
    # OpenSSL 3.0 (the ssl module here) has no X25519MLKEM768: the client's
    # x25519 share is taken, no HelloRetryRequest needed.
    pair = BioPair(*contexts(cytls, ssl, pki))
    pair.handshake()
    assert pair.client.group() == "x25519"
    steps = [e.step for e in pair.client.handshake_trace()]
    assert not any("HelloRetryRequest" in s for s in steps)


def test_set_ecdh_curve_is_one_group(pki: Pki) -> None:
    client_ctx, server_ctx = contexts(cytls, ssl, pki)
    client_ctx.set_ecdh_curve("prime256v1")
    assert client_ctx.get_groups() == ["secp256r1"]
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    assert pair.client.group() == "secp256r1"


def test_handshake_trace_shares_one_clock(pki: Pki) -> None:
    import time

    before = time.perf_counter()
    pair = BioPair(*contexts(cytls, cytls, pki))
    assert pair.client.handshake_trace() == []
    pair.handshake()
    after = time.perf_counter()
    client, server = pair.client.handshake_trace(), pair.server.handshake_trace()
    assert client and server
    assert {e.role for e in client} == {"client"} and {e.role for e in server} == {"server"}
    for e in client + server:
        assert before <= e.time <= after  # absolute perf_counter() values
    # Causality across the two traces: the server receives the ClientHello
    # after the client sent it, and the client receives the ServerHello
    # after the server sent it.
    def at(trace: list[Any], step: str) -> float:
        return float(next(e.time for e in trace if e.step == step))

    assert at(client, "send ClientHello") <= at(server, "receive ClientHello")
    assert at(server, "send ServerHello") <= at(client, "receive ServerHello")


def test_shared_ciphers(mod: ModuleType, pki: Pki) -> None:
    client_ctx, server_ctx = contexts(mod, mod, pki)
    pair = BioPair(client_ctx, server_ctx)
    assert pair.server.shared_ciphers() is None  # before the handshake
    pair.handshake()
    assert pair.client.shared_ciphers() is None  # only a server knows both lists
    shared = pair.server.shared_ciphers()
    assert pair.server.cipher() in shared
    assert [c for c in shared if c[1] == "TLSv1.3"] == [  # the client's order
        ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256),
        ("TLS_CHACHA20_POLY1305_SHA256", "TLSv1.3", 256),
        ("TLS_AES_128_GCM_SHA256", "TLSv1.3", 128),
    ]


def test_shared_ciphers_leave_out_what_the_server_disables(pki: Pki) -> None:
    # (The ssl module cannot restrict TLS 1.3 suites, so this is cytls only.)
    client_ctx, server_ctx = contexts(cytls, cytls, pki)
    server_ctx.set_ciphers("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    assert pair.server.shared_ciphers() == [
        ("TLS_CHACHA20_POLY1305_SHA256", "TLSv1.3", 256),
        ("TLS_AES_128_GCM_SHA256", "TLSv1.3", 128),
    ]


def test_shared_ciphers_with_openssl_client(pki: Pki) -> None:
    client_ctx, server_ctx = contexts(ssl, cytls, pki)
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    names = [c[0] for c in pair.server.shared_ciphers()]
    assert names[:3] == [  # the ssl client's order
        "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]


def test_shared_ciphers_tls12(pki: Pki) -> None:
    client_ctx, server_ctx = contexts(ssl, cytls, pki)
    client_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    client_ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES256-SHA")
    pair = BioPair(client_ctx, server_ctx)
    pair.handshake()
    assert pair.server.version() == "TLSv1.2"
    shared = pair.server.shared_ciphers()
    assert pair.server.cipher() in shared
    # AES256-SHA (no AEAD, no ECDHE) is offered but cytls never enables it.
    assert [c[0] for c in shared if c[1] == "TLSv1.2"] == [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"]
