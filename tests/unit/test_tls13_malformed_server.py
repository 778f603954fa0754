"""Hostile and malformed input to a TLS 1.3 server: every case ends the
connection with the alert RFC 8446 names, raised as TLSAlert and queued for
the peer (the client side is test_tls13_malformed_client.py)."""


from collections.abc import Callable

import pytest
from malformed13 import (
    DECODE_ERROR,
    DECRYPT_ERROR,
    HANDSHAKE_FAILURE,
    ILLEGAL_PARAMETER,
    MISSING_EXTENSION,
    PROTOCOL_VERSION,
    UNEXPECTED_MESSAGE,
    client_hello,
    drop,
    hs_record,
    rebuild_ch,
    replace,
    server_alert,
)
from tls_helpers import (
    Keys,
    client_config,
    open_records,
    pair,
    pki,
    plaintext_record,
    seal_records,
    server_config,
    split_handshake,
    split_records,
)

from cytls._connection import Connection
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec16
from cytls._wire.messages import ClientHello, ServerHello, handshake

# ------------------------------------------------------------ server side


@pytest.mark.parametrize(
    ("name", "edit", "alert"),
    [
        ("duplicate extension", lambda p: [*p, p[0]], ILLEGAL_PARAMETER),
        ("psk not last", lambda p: [(0x29, b"\x00\x01"), *p], ILLEGAL_PARAMETER),
        ("oid_filters in ClientHello", lambda p: [*p, (0x30, b"\x00\x00")], ILLEGAL_PARAMETER),
        ("no signature_algorithms", drop(0x0D), MISSING_EXTENSION),
        ("key_share without supported_groups", drop(0x0A), MISSING_EXTENSION),
        ("supported_groups without key_share", drop(0x33), MISSING_EXTENSION),
        ("odd signature list", replace(0x0D, b"\x00\x03\x04\x03\x05"), DECODE_ERROR),
        ("empty signature list", replace(0x0D, b"\x00\x00"), DECODE_ERROR),
        (
            "x25519 share too short",
            replace(0x33, vec16(b"\x00\x1d" + vec16(b"\x01" * 31))),
            ILLEGAL_PARAMETER,
        ),
        (
            "bad P-256 point",
            replace(0x33, vec16(b"\x00\x17" + vec16(b"\x04" + b"\x01" * 64))),
            ILLEGAL_PARAMETER,
        ),
        (
            "duplicate key share group",
            replace(0x33, vec16((b"\x00\x1d" + vec16(b"\x09" * 32)) * 2)),
            ILLEGAL_PARAMETER,
        ),
        (
            "share for a group not in supported_groups",
            replace(0x0A, vec16(b"\x00\x17")),
            ILLEGAL_PARAMETER,
        ),
        ("empty ALPN list", lambda p: [*p, (0x10, b"\x00\x00")], DECODE_ERROR),
        ("empty ALPN name", lambda p: [*p, (0x10, b"\x00\x01\x00")], DECODE_ERROR),
        ("truncated server_name", replace(0x00, b"\x00\x05\x00\x00"), DECODE_ERROR),
        ("record_size_limit below 64", replace(0x1C, b"\x00\x3f"), ILLEGAL_PARAMETER),
        ("record_size_limit too long", replace(0x1C, b"\x00\x40\x00"), DECODE_ERROR),
        ("extension body overruns", lambda p: p, None),
    ],
)
def test_client_hello_extensions(name: str, edit: Callable, alert: int | None) -> None:
    ch = client_hello(groups=[0x001D, 0x0017], key_share_groups=[0x001D])
    if alert is None:
        # Control: the rebuilt but unedited ClientHello is accepted.
        s = Connection(server_config())
        s.receive_data(hs_record(rebuild_ch(ch, edit)))
        assert s.data_to_send()
        return
    server_alert(hs_record(rebuild_ch(ch, edit)), alert)


@pytest.mark.parametrize(
    "edit", [drop(0x2B), replace(0x2B, b"\x02\x03\x03")], ids=["none", "only 1.2"]
)
def test_client_hello_without_tls13(edit: Callable) -> None:
    ch = client_hello(groups=[0x001D, 0x0017], key_share_groups=[0x001D])
    # A TLS 1.3-only server refuses with protocol_version.
    server_alert(hs_record(rebuild_ch(ch, edit)), PROTOCOL_VERSION, min_version=0x0304)
    # Others answer with a TLS 1.2 ServerHello (no supported_versions).
    s = Connection(server_config())
    s.receive_data(hs_record(rebuild_ch(ch, edit)))
    msg = split_records(s.data_to_send())[0][5:]
    sh = ServerHello.parse(msg[4 : 4 + int.from_bytes(msg[1:4], "big")])
    assert 0x2B not in sh.extensions and sh.random.endswith(b"DOWNGRD\x01")
    # Without extended_master_secret (RFC 7627 §5.2), handshake_failure
    # when the server requires it.
    server_alert(
        hs_record(rebuild_ch(ch, lambda p: drop(0x17)(edit(p)))),
        HANDSHAKE_FAILURE,
        require_extended_master_secret=True,
    )


def test_client_hello_structure() -> None:
    ch = client_hello()
    body = ch[4:]
    # Truncated: the header promises more than the record carries.
    server_alert(hs_record(handshake(1, body[:-1])), DECODE_ERROR)
    # Trailing bytes after the extensions.
    server_alert(hs_record(handshake(1, body + b"\x00")), DECODE_ERROR)
    # Compression methods other than [null].
    parsed = ClientHello.parse(body)
    parsed.compression_methods = b"\x01"
    server_alert(hs_record(parsed.serialize()), ILLEGAL_PARAMETER)
    parsed.compression_methods = b"\x00\x01"
    server_alert(hs_record(parsed.serialize()), ILLEGAL_PARAMETER)
    # A session id longer than 32 bytes.
    parsed = ClientHello.parse(body)
    parsed.session_id = b"\x01" * 33
    server_alert(hs_record(parsed.serialize()), DECODE_ERROR)
    # An odd-length cipher suite list.
    idx = 4 + 2 + 32 + 1 + len(ClientHello.parse(body).session_id)
    bad = bytearray(ch)
    bad[idx + 1] += 1
    server_alert(hs_record(bytes(bad)), DECODE_ERROR)


def test_wrong_first_message() -> None:
    server_alert(hs_record(handshake(20, b"\x00" * 32)), UNEXPECTED_MESSAGE)
    server_alert(hs_record(handshake(2, b"")), UNEXPECTED_MESSAGE)


def test_oversized_handshake_message() -> None:
    server_alert(hs_record(b"\x01\x10\x00\x00"), DECODE_ERROR)


def test_application_data_before_handshake() -> None:
    server_alert(plaintext_record(23, b"hello"), UNEXPECTED_MESSAGE)


def test_change_cipher_spec_before_client_hello() -> None:
    server_alert(b"\x14\x03\x03\x00\x01\x01", UNEXPECTED_MESSAGE)


def test_alert_of_wrong_length() -> None:
    server_alert(plaintext_record(21, b"\x02"), DECODE_ERROR)


def test_received_fatal_alert() -> None:
    s = Connection(server_config())
    with pytest.raises(TLSAlert) as info:
        s.receive_data(plaintext_record(21, b"\x02\x28"))
    assert info.value.received and info.value.description == 40
    assert s.data_to_send() == b""  # no alert is sent back


def test_split_and_coalesced_client_hello() -> None:
    ch = client_hello()
    parts = [ch[:3], ch[3:100], ch[100:]]
    s = Connection(server_config())
    s.receive_data(b"".join(hs_record(p) for p in parts))
    assert s.data_to_send()


def test_data_after_client_hello_under_old_key() -> None:
    # A second message coalesced behind the ClientHello would be read
    # under the wrong key once the handshake keys are installed.
    ch = client_hello()
    server_alert(hs_record(ch + handshake(20, b"\x00" * 32)), UNEXPECTED_MESSAGE)


def test_second_client_hello_checks() -> None:
    ccfg = client_config(groups=[0x001D, 0x0018], key_share_groups=[0x001D])
    c = Connection(ccfg)
    s = Connection(server_config(groups=[0x0018], hello_retry_cookie=True))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    recs = [r for r in split_records(c.data_to_send()) if r[0] == 22]
    ch2 = recs[0][5:]
    # Without the cookie.
    s2 = Connection(server_config(groups=[0x0018], hello_retry_cookie=True))
    c2 = Connection(ccfg)
    c2.start_handshake()
    s2.receive_data(c2.data_to_send())
    with pytest.raises(TLSAlert) as info:
        s2.receive_data(hs_record(rebuild_ch(ch2, drop(0x2C))))
    assert info.value.description == ILLEGAL_PARAMETER
    # With a share for another group than the one asked for.
    s3 = Connection(server_config(groups=[0x0018]))
    c3 = Connection(ccfg)
    c3.start_handshake()
    s3.receive_data(c3.data_to_send())
    c3.receive_data(s3.data_to_send())
    ch2b = next(r for r in split_records(c3.data_to_send()) if r[0] == 22)[5:]
    bad = rebuild_ch(ch2b, replace(0x33, vec16(b"\x00\x1d" + vec16(b"\x09" * 32))))
    with pytest.raises(TLSAlert) as info:
        s3.receive_data(hs_record(bad))
    assert info.value.description == ILLEGAL_PARAMETER


# ------------------------------------------------ second ClientHello (server)


def test_second_client_hello_more_checks() -> None:
    ccfg = client_config(groups=[0x001D, 0x0018], key_share_groups=[0x001D])

    def retry() -> tuple[Connection, bytes]:
        c = Connection(ccfg)
        s = Connection(server_config(groups=[0x0018], hello_retry_cookie=True))
        c.start_handshake()
        s.receive_data(c.data_to_send())
        c.receive_data(s.data_to_send())
        ch2 = next(r for r in split_records(c.data_to_send()) if r[0] == 22)[5:]
        return s, ch2

    def cases() -> list[tuple[Callable[[bytes], bytes], int]]:
        def suites(ch2: bytes) -> bytes:
            ch = ClientHello.parse(ch2[4:])
            ch.cipher_suites = [0x1302] if 0x1301 in ch.cipher_suites else [0x1301]
            return ch.serialize()

        return [
            (suites, ILLEGAL_PARAMETER),
            (lambda ch2: rebuild_ch(ch2, replace(0x2C, vec16(b"\x00" * 32))), ILLEGAL_PARAMETER),
            (lambda ch2: rebuild_ch(ch2, replace(0x2B, b"\x02\x03\x03")), ILLEGAL_PARAMETER),
            (
                lambda ch2: rebuild_ch(ch2, lambda p: [*p[:-1], (0x2A, b""), p[-1]]),
                ILLEGAL_PARAMETER,
            ),
            (lambda ch2: rebuild_ch(ch2, drop(0x33)), MISSING_EXTENSION),
            (lambda ch2: handshake(20, b"\x00" * 32), UNEXPECTED_MESSAGE),
        ]

    for edit, alert in cases():
        s, ch2 = retry()
        with pytest.raises(TLSAlert) as info:
            s.receive_data(hs_record(edit(ch2)))
        assert info.value.description == alert


def test_server_negotiation_edges() -> None:
    # No group in common.
    c = Connection(client_config(groups=[0x0017]))
    c.start_handshake()
    server_alert(c.data_to_send(), 40, groups=[0x001D])
    # signature_algorithms_cert is parsed strictly.
    ch = client_hello()
    server_alert(hs_record(rebuild_ch(ch, lambda p: [*p, (0x32, b"\x00\x01")])), DECODE_ERROR)
    # early_data offered: declined, the handshake goes on.
    s = Connection(server_config())
    s.receive_data(hs_record(rebuild_ch(ch, lambda p: [*p, (0x2A, b"")])))
    assert s.data_to_send()


def test_sni_callback_config_without_certificate() -> None:
    from cytls._handshake.config import TLSConfig

    def cb(name: str | None) -> TLSConfig:
        return TLSConfig(is_client=False)

    server_alert(hs_record(client_hello()), 80, sni_callback=cb)


# ------------------------------------------------ client flight (server side)


def client_mitm(
    edit: Callable[[list[bytes]], list[bytes]], verify_mode: int = 2, **ckw: object
) -> tuple[Connection, bytes]:
    """A server that sent its flight, and the client's second flight with
    its handshake messages edited and re-sealed."""
    from tls_helpers import pki

    keys = Keys()
    p = pki()
    ckw.setdefault("certificate_chain", p.client_chain)
    ckw.setdefault("private_key", p.client_key)
    c = Connection(client_config(**ckw))  # type: ignore[arg-type]
    s = Connection(server_config(keylog=keys, verify_mode=verify_mode))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    assert s._ctx.suite is not None
    suite = s._ctx.suite
    recs = split_records(c.data_to_send())
    secret = keys.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET")
    items = open_records(suite, secret, [r for r in recs if r[0] == 23])
    msgs = edit(split_handshake(b"".join(p for t, p in items if t == 22)))
    plain = b"".join(r for r in recs if r[0] != 23)
    return s, plain + seal_records(suite, secret, [(22, b"".join(msgs))])


def test_client_flight_checks() -> None:
    s, data = client_mitm(lambda m: m)
    s.receive_data(data)
    assert s.handshake_complete

    def expect(edit: Callable[[list[bytes]], list[bytes]], alert: int, **kw: object) -> None:
        s, data = client_mitm(edit, **kw)  # type: ignore[arg-type]
        with pytest.raises(TLSAlert) as info:
            s.receive_data(data)
        assert info.value.description == alert, info.value

    # Messages: Certificate, CertificateVerify, Finished.
    expect(lambda m: [handshake(11, b"\x01\x09" + m[0][5:]), *m[1:]], ILLEGAL_PARAMETER)
    expect(lambda m: [m[2]], UNEXPECTED_MESSAGE)
    expect(lambda m: [m[0], m[2]], UNEXPECTED_MESSAGE)

    def scheme(m: list[bytes]) -> list[bytes]:
        cv = bytearray(m[1])
        cv[4:6] = b"\x02\x03"
        return [m[0], bytes(cv), m[2]]

    expect(scheme, ILLEGAL_PARAMETER)
    expect(lambda m: [m[0], m[1], handshake(20, m[2][4:-1])], DECODE_ERROR)
    expect(lambda m: [m[0], m[1], m[1]], UNEXPECTED_MESSAGE)


def _pha_mitm(edit: Callable[[list[bytes]], list[bytes]]) -> tuple[Connection, bytes]:
    """A server that asked for a certificate after the handshake, and the
    client's answer (Certificate, CertificateVerify, Finished) edited."""
    from tls_helpers import pki

    p = pki()
    keys = Keys()
    c, s = pair(
        client_config(
            post_handshake_auth=True, certificate_chain=p.client_chain, private_key=p.client_key
        ),
        server_config(verify_mode=1, keylog=keys),
    )
    # The handshake's own CertificateRequest was answered; ask again.
    s.request_client_certificate()
    c.receive_data(s.data_to_send())
    suite = s.cipher_suite
    assert suite is not None
    secret = keys.secret("CLIENT_TRAFFIC_SECRET_0")
    items = open_records(suite, secret, split_records(c.data_to_send()))
    msgs = edit(split_handshake(b"".join(p for t, p in items if t == 22)))
    return s, seal_records(suite, secret, [(22, b"".join(msgs))])


def test_post_handshake_auth_checks() -> None:
    s, data = _pha_mitm(lambda m: m)
    s.receive_data(data)
    assert "verify client Finished (post-handshake)" in [t.step for t in s.trace]

    def expect(edit: Callable[[list[bytes]], list[bytes]], alert: int) -> None:
        s, data = _pha_mitm(edit)
        with pytest.raises(TLSAlert) as info:
            s.receive_data(data)
        assert info.value.description == alert, info.value

    def context(m: list[bytes]) -> list[bytes]:
        body = m[0][4:]
        ctx_len = body[0]
        return [handshake(11, b"\x01\x00" + body[1 + ctx_len :]), *m[1:]]

    expect(context, ILLEGAL_PARAMETER)
    expect(lambda m: [m[1], m[0], m[2]], UNEXPECTED_MESSAGE)

    def scheme(m: list[bytes]) -> list[bytes]:
        cv = bytearray(m[1])
        cv[4:6] = b"\x02\x03"
        return [m[0], bytes(cv), m[2]]

    expect(scheme, ILLEGAL_PARAMETER)

    def finished(m: list[bytes]) -> list[bytes]:
        fin = bytearray(m[2])
        fin[-1] ^= 1
        return [m[0], m[1], bytes(fin)]

    expect(finished, DECRYPT_ERROR)

    def empty(m: list[bytes]) -> list[bytes]:
        body = m[0][4:]
        ctx = body[: 1 + body[0]]
        return [handshake(11, ctx + b"\x00\x00\x00"), m[2]]

    # An empty Certificate is allowed with verify_mode 1; the Finished,
    # computed over the real messages, then does not match.
    expect(empty, DECRYPT_ERROR)


def test_record_level_edges() -> None:
    # A handshake message interrupted by an alert.
    ch = client_hello()
    server_alert(hs_record(ch[:50]) + plaintext_record(21, b"\x01\x00"), UNEXPECTED_MESSAGE)

    # After the server's flight: the client's plaintext alert is accepted
    # (OpenSSL sends one when our certificate fails), as is a dummy CCS...
    def after_flight() -> Connection:
        c = Connection(client_config())
        s = Connection(server_config())
        c.start_handshake()
        s.receive_data(c.data_to_send())
        s.data_to_send()
        return s

    s = after_flight()
    with pytest.raises(TLSAlert) as info:
        s.receive_data(b"\x14\x03\x03\x00\x01\x01" + plaintext_record(21, b"\x02\x2a"))
    assert info.value.received and info.value.description == 42
    # ...but not a malformed CCS, nor a plaintext handshake record.
    s = after_flight()
    with pytest.raises(TLSAlert) as info:
        s.receive_data(b"\x14\x03\x03\x00\x01\x02")
    assert info.value.description == UNEXPECTED_MESSAGE
    s = after_flight()
    with pytest.raises(TLSAlert) as info:
        s.receive_data(hs_record(handshake(20, b"\x00" * 32)))
    assert not info.value.received
    # A partial plaintext alert waits for the rest.
    s = after_flight()
    assert s.receive_data(b"\x15\x03") == []
    with pytest.raises(TLSAlert) as info:
        s.receive_data(b"\x03\x00\x02\x02\x30")
    assert info.value.received and info.value.description == 48


def test_application_data_under_handshake_keys() -> None:
    keys = Keys()
    c = Connection(client_config())
    s = Connection(server_config(keylog=keys))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    assert s._ctx.suite is not None
    sealed = seal_records(
        s._ctx.suite, keys.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET"), [(23, b"too early")]
    )
    with pytest.raises(TLSAlert) as info:
        s.receive_data(sealed)
    assert info.value.description == UNEXPECTED_MESSAGE
    assert s.pending_application_data() == 0


def test_unknown_string_tag_in_name_is_bad_certificate() -> None:
    # A subject CN re-tagged as RELATIVE-OID (13): cryptography 49 raised
    # KeyError there, 50 ValueError; either must end as bad_certificate.
    from cryptography.hazmat.primitives.serialization import Encoding

    from cytls._handshake.checks import load_certificates

    der = pki().leaf.public_bytes(Encoding.DER)
    bad = der.replace(b"\x06\x03U\x04\x03\x0c\x09localhost", b"\x06\x03U\x04\x03\x0d\x09localhost")
    assert bad != der
    with pytest.raises(TLSAlert) as info:
        load_certificates([bad])
    assert info.value.description == 42  # bad_certificate
