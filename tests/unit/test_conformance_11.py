"""Issue 11 conformance probes, in memory, with raw bytes (1 of 2): TLS 1.2
without extended_master_secret and the switch that requires it, the
stateful HelloRetryRequest and the checks of the second ClientHello,
legacy_version 0x0300 and below, and the largest ClientHellos over any
record size. Record-level probes: test_conformance_11_records.py.

Every probe asserts the exact alert; every family runs a sanity handshake
with the same server config before and after its probes.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable

import pytest
from conformance_helpers import (
    COOKIE,
    DECODE_ERROR,
    EARLY_DATA,
    EMS,
    HANDSHAKE_FAILURE,
    HRR_CLIENT,
    ILLEGAL_PARAMETER,
    KEY_SHARE,
    MISSING_EXTENSION,
    P384,
    PROTOCOL_VERSION,
    SUPPORTED_VERSIONS,
    TLS12,
    UNEXPECTED_MESSAGE,
    X25519,
    client_hello,
    edit_ch,
    first_message,
    p_hash,
    records,
    refused,
    sanity,
    set_ext,
    set_field,
    share,
    steps,
    without,
)
from cryptography.hazmat.primitives.asymmetric import x25519
from tls_helpers import (
    client_config,
    pair,
    pki,
    pump,
    server_config,
)

import cytls
from cytls._connection import Connection
from cytls._handshake.config import TLSConfig
from cytls._handshake.keyschedule import KeySchedule12
from cytls._handshake.state import Hooks
from cytls._wire import messages as m
from cytls._wire.codec import vec8, vec16

# ------------------------------------------ 1. TLS 1.2 without EMS


def test_rfc5246_master_secret_matches_the_prf() -> None:
    cr, sr, pm = os.urandom(32), os.urandom(32), os.urandom(32)
    for suite, name in ((0xC02F, "sha256"), (0xC030, "sha384")):
        ks = KeySchedule12(suite, cr, sr, extended=False)
        ks.derive_master_secret(pm, b"ignored without EMS")
        assert ks.master_secret == p_hash(name, pm, b"master secret" + cr + sr, 48)
        # With EMS: over the session hash of the messages (RFC 7627 §4).
        ems = KeySchedule12(suite, cr, sr)
        ems.derive_master_secret(pm, b"messages")
        session_hash = ems.session_hash(b"messages")
        expected = p_hash(name, pm, b"extended master secret" + session_hash, 48)
        assert ems.master_secret == expected != ks.master_secret


def _no_ems_client(**ckw: object) -> Connection:
    """A TLS 1.2 cytls client whose ClientHello does not offer EMS."""
    cfg = client_config(**TLS12, **ckw)  # type: ignore[arg-type]
    ch = edit_ch(client_hello(cfg), without(EMS))
    return Connection(cfg, hooks=Hooks(client_hello=ch))


def test_tls12_without_ems_both_roles() -> None:
    srv = server_config()
    sanity(srv, **TLS12)
    c = _no_ems_client()
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    out = s.data_to_send()
    sh = m.ServerHello.parse(first_message(out)[4:])
    assert EMS not in sh.extensions  # not echoed (RFC 7627 §5.2)
    c.receive_data(out)
    pump(c, s)
    assert c.handshake_complete and s.handshake_complete and s.version == 0x0303
    assert steps(c, "derive master secret") == [{"extended": False}]
    assert steps(s, "derive master secret") == [{"extended": False}]
    assert c.export_keying_material(b"x", None, 32) == s.export_keying_material(b"x", None, 32)
    c.send_application_data(b"no ems")
    s.receive_data(c.data_to_send())
    assert s.read_application_data() == b"no ems"
    # The default still negotiates EMS with a client that offers it.
    _, s2 = pair(client_config(**TLS12), srv)  # type: ignore[arg-type]
    assert steps(s2, "derive master secret") == [{"extended": True}]
    sanity(srv, **TLS12)


def test_require_extended_master_secret_refuses_both_roles() -> None:
    srv = server_config(require_extended_master_secret=True)
    sanity(srv, **TLS12)
    # Server: a ClientHello without EMS gets handshake_failure (RFC 7627 §5.2).
    c = _no_ems_client()
    c.start_handshake()
    refused(Connection(srv), c.data_to_send(), HANDSHAKE_FAILURE)
    # Client: a ServerHello without EMS gets handshake_failure.
    c = Connection(client_config(**TLS12, require_extended_master_secret=True))  # type: ignore[arg-type]
    c.start_handshake()
    ch = edit_ch(first_message(c.data_to_send()), without(EMS))
    s = Connection(server_config())
    s.receive_data(records(ch))
    refused(c, s.data_to_send(), HANDSHAKE_FAILURE)
    # TLS 1.3 is not affected.
    sanity(srv)
    sanity(srv, **TLS12)


def test_context_attributes_set_the_config() -> None:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx.require_extended_master_secret is False
    assert ctx.hello_retry_cookie is False
    before = ctx._make_config(False, "localhost")
    assert not before.require_extended_master_secret and not before.hello_retry_cookie
    ctx.require_extended_master_secret = True
    ctx.hello_retry_cookie = True
    after = ctx._make_config(False, "localhost")
    assert after.require_extended_master_secret and after.hello_retry_cookie
    ctx.require_extended_master_secret = False
    assert not ctx._make_config(False, "localhost").require_extended_master_secret


def _ssl_pair_step(
    obj: ssl.SSLObject, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO, conn: Connection
) -> None:
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = outgoing.read()
    if data:
        conn.receive_data(data)
    out = conn.data_to_send()
    if out:
        incoming.write(out)


@pytest.mark.skipif(ssl.OPENSSL_VERSION_INFO < (3, 0), reason="SSL_OP_NO_EXTENDED_MASTER_SECRET")
@pytest.mark.parametrize("cytls_role", ["server", "client"])
def test_tls12_without_ems_against_the_ssl_module(cytls_role: str, tmp_path: object) -> None:
    from pathlib import Path

    from tls_helpers import key_pem, pem

    d = Path(str(tmp_path))
    p = pki()
    (d / "chain.pem").write_bytes(pem(p.leaf) + pem(p.inter))
    (d / "key.pem").write_bytes(key_pem(p.leaf_key))
    (d / "ca.pem").write_bytes(pem(p.root))
    no_ems = 1  # SSL_OP_NO_EXTENDED_MASTER_SECRET (OpenSSL 3.0)
    if cytls_role == "server":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(d / "ca.pem")
        conn = Connection(server_config())
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(d / "chain.pem", d / "key.pem")
        conn = Connection(client_config(**TLS12))  # type: ignore[arg-type]
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= no_ems
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(
        incoming,
        outgoing,
        server_side=cytls_role == "client",
        server_hostname=("localhost" if cytls_role == "server" else None),
    )
    conn.start_handshake()
    out = conn.data_to_send()
    if out:
        incoming.write(out)
    for _ in range(6):
        _ssl_pair_step(obj, incoming, outgoing, conn)
    assert conn.handshake_complete and obj.version() == "TLSv1.2"
    assert steps(conn, "derive master secret") == [{"extended": False}]
    obj.write(b"from ssl")
    conn.receive_data(outgoing.read())
    assert conn.read_application_data() == b"from ssl"
    conn.send_application_data(b"from cytls")
    incoming.write(conn.data_to_send())
    assert obj.read() == b"from cytls"


# ------------------------------------------------ 3. HelloRetryRequest


def _hrr(srv: TLSConfig) -> tuple[Connection, Connection, m.ServerHello, bytes]:
    c = Connection(client_config(**HRR_CLIENT))  # type: ignore[arg-type]
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    out = s.data_to_send()
    hrr = m.ServerHello.parse(first_message(out)[4:])
    assert hrr.is_hrr
    return c, s, hrr, out


def test_hello_retry_request_carries_exactly_two_extensions() -> None:
    srv = server_config(groups=[P384])
    sanity(srv, **HRR_CLIENT)
    c, s, hrr, out = _hrr(srv)
    assert list(hrr.extensions) == [SUPPORTED_VERSIONS, KEY_SHARE]
    assert hrr.extensions[SUPPORTED_VERSIONS] == b"\x03\x04"
    assert hrr.extensions[KEY_SHARE] == P384.to_bytes(2, "big")
    c.receive_data(out)
    ch2 = m.ClientHello.parse(first_message(c.data_to_send())[4:])
    assert COOKIE not in ch2.extensions
    c, s = pair(client_config(**HRR_CLIENT), srv)  # type: ignore[arg-type]
    assert c.handshake_complete and s.group == P384
    assert steps(s, "send HelloRetryRequest")[0]["cookie"] is False
    sanity(srv, **HRR_CLIENT)


def test_hello_retry_cookie_option() -> None:
    srv = server_config(groups=[P384], hello_retry_cookie=True)
    sanity(srv, **HRR_CLIENT)
    c, s, hrr, out = _hrr(srv)
    assert list(hrr.extensions) == [SUPPORTED_VERSIONS, KEY_SHARE, COOKIE]
    c.receive_data(out)
    ch2_msg = first_message(c.data_to_send())
    assert m.ClientHello.parse(ch2_msg[4:]).extensions[COOKIE] == hrr.extensions[COOKIE]
    # The echo is required.
    refused(s, records(edit_ch(ch2_msg, without(COOKIE))), ILLEGAL_PARAMETER)
    sanity(srv, **HRR_CLIENT)


SECOND_CH_CASES: list[tuple[str, Callable[[m.ClientHello], None], int]] = [
    ("random", set_field("random", b"\x07" * 32), ILLEGAL_PARAMETER),
    ("session id", set_field("session_id", b"\x07" * 32), ILLEGAL_PARAMETER),
    ("legacy_version 0x0301", set_field("legacy_version", 0x0301), ILLEGAL_PARAMETER),
    ("legacy_version 0x0300", set_field("legacy_version", 0x0300), PROTOCOL_VERSION),
    ("suite dropped", set_field("cipher_suites", [0x1303]), ILLEGAL_PARAMETER),
    ("unsolicited cookie", set_ext(COOKIE, vec16(b"\x01" * 8)), ILLEGAL_PARAMETER),
    ("early_data", set_ext(EARLY_DATA, b""), ILLEGAL_PARAMETER),
    ("no key_share", without(KEY_SHARE), MISSING_EXTENSION),
    ("no TLS 1.3", set_ext(SUPPORTED_VERSIONS, b"\x02\x03\x03"), ILLEGAL_PARAMETER),
    ("group dropped", set_ext(0x0A, vec16(X25519.to_bytes(2, "big"))), ILLEGAL_PARAMETER),
    ("no supported_groups", without(0x0A), MISSING_EXTENSION),
]


def test_second_client_hello_is_still_validated() -> None:
    srv = server_config(groups=[P384])
    sanity(srv, **HRR_CLIENT)
    share_cases = [
        ("other group", m.serialize_client_key_shares([(X25519, share(X25519))])),
        (
            "two shares",
            m.serialize_client_key_shares([(P384, share(P384)), (X25519, share(X25519))]),
        ),
    ]
    cases = SECOND_CH_CASES + [
        (n, set_ext(KEY_SHARE, b), ILLEGAL_PARAMETER) for n, b in share_cases
    ]
    for name, edit, alert in cases:
        c, s, _, out = _hrr(srv)
        c.receive_data(out)
        ch2 = first_message(c.data_to_send())
        assert refused(s, records(edit_ch(ch2, edit)), alert), name
    # Not a ClientHello at all.
    c, s, _, out = _hrr(srv)
    refused(s, records(m.handshake(20, bytes(32))), UNEXPECTED_MESSAGE)
    # The unedited second ClientHello completes the handshake.
    c, s, _, out = _hrr(srv)
    c.receive_data(out)
    pump(c, s)
    assert c.handshake_complete and s.handshake_complete
    sanity(srv, **HRR_CLIENT)


# ------------------------------------------------- 4. version fields


@pytest.mark.parametrize("legacy", [0x0300, 0x0200, 0x0002])
def test_client_hello_legacy_version_ssl3_or_lower(legacy: int) -> None:
    srv = server_config()
    sanity(srv)
    ch13 = client_hello(client_config())  # supported_versions offers TLS 1.3 and 1.2
    refused(
        Connection(srv),
        records(edit_ch(ch13, set_field("legacy_version", legacy))),
        PROTOCOL_VERSION,
    )
    ch12 = client_hello(client_config(**TLS12))  # no supported_versions
    refused(
        Connection(srv),
        records(edit_ch(ch12, set_field("legacy_version", legacy))),
        PROTOCOL_VERSION,
    )
    # legacy_version 0x0301 with TLS 1.3 in supported_versions is fine.
    s = Connection(srv)
    s.receive_data(records(edit_ch(ch13, set_field("legacy_version", 0x0301))))
    sh = m.ServerHello.parse(first_message(s.data_to_send())[4:])
    assert sh.extensions[SUPPORTED_VERSIONS] == b"\x03\x04"
    sanity(srv)


@pytest.mark.parametrize("max_version", [0x0304, 0x0303])
def test_server_hello_legacy_version_ssl3(max_version: int) -> None:
    srv = server_config()
    c = Connection(client_config(max_version=max_version))
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    sh = m.ServerHello.parse(first_message(s.data_to_send())[4:])
    sh.legacy_version = 0x0300
    refused(c, records(sh.serialize()), PROTOCOL_VERSION)
    sanity(srv, max_version=max_version)


# ---------------------------------------------------- 5. large hellos


def _filler(real: list[int], n: int) -> list[int]:
    """n cipher suite values that are neither ours nor TLS_FALLBACK_SCSV."""
    values = (
        v
        for v in range(0x0100, 0x10000)
        if v not in real and v != 0x5600 and v >> 8 not in (0x00, 0x13, 0xC0, 0xCC)
    )
    return [next(values) for _ in range(n)]


def _padded_client(total: int, all_suites: bool = False) -> tuple[Connection, bytes]:
    """A TLS 1.3 cytls client whose ClientHello is `total` bytes long
    (header included), grown with a padding extension (RFC 7685) and, with
    all_suites, to 32767 cipher suites."""
    key = x25519.X25519PrivateKey.generate()
    cfg = client_config(key_share_groups=[X25519])
    base = m.ClientHello.parse(client_hello(cfg, Hooks(key_shares={X25519: key}))[4:])
    if all_suites:
        real = list(base.cipher_suites)
        base.cipher_suites = real + _filler(real, 32767 - len(real))
    base.extensions[0x15] = b""
    pad = total - len(base.serialize())
    base.extensions[0x15] = bytes(pad)
    raw = base.serialize()
    assert len(raw) == total
    return Connection(cfg, hooks=Hooks(client_hello=raw, key_shares={X25519: key})), raw


@pytest.mark.parametrize("record_size", [1, 16384])
def test_60k_client_hello_in_any_record_size(record_size: int) -> None:
    srv = server_config()
    sanity(srv)
    c, raw = _padded_client(60 * 1024)
    s = Connection(srv)
    c.start_handshake()
    c.data_to_send()  # replaced by our own framing
    s.receive_data(records(raw, record_size, version=0x0301))
    c.receive_data(s.data_to_send())
    pump(c, s)
    assert c.handshake_complete and s.handshake_complete
    sanity(srv)


def _maximal_tls12_client_hello() -> bytes:
    """The largest legal ClientHello body (131396 bytes): 32767 suites, 255
    compression methods, a 32-byte session id, 65535 bytes of extensions."""
    base = m.ClientHello.parse(client_hello(client_config(**TLS12))[4:])
    real = list(base.cipher_suites)
    suites = real + _filler(real, 32767 - len(real))
    exts = b"".join(t.to_bytes(2, "big") + vec16(b) for t, b in base.extensions.items())
    exts += b"\x00\x15" + vec16(bytes(65535 - len(exts) - 4))
    body = (
        b"\x03\x03"
        + base.random
        + vec8(b"\x05" * 32)
        + vec16(b"".join(s.to_bytes(2, "big") for s in suites))
        + vec8(b"\x00" + bytes(range(1, 255)))
        + vec16(exts)
    )
    assert len(body) == 131396 <= m.MAX_CLIENT_HELLO
    return m.handshake(1, body)


def test_maximal_client_hello_is_accepted() -> None:
    srv = server_config()
    sanity(srv, **TLS12)
    raw = _maximal_tls12_client_hello()
    c = Connection(client_config(**TLS12), hooks=Hooks(client_hello=raw))  # type: ignore[arg-type]
    s = Connection(srv)
    c.start_handshake()
    c.data_to_send()
    s.receive_data(records(raw, 16384, version=0x0301))
    c.receive_data(s.data_to_send())
    pump(c, s)
    assert c.handshake_complete and s.handshake_complete and s.version == 0x0303
    # The largest TLS 1.3 one (compression exactly [null]) as well.
    c, raw = _padded_client(4 + 131396 - 254, all_suites=True)
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    pump(c, s)
    assert c.handshake_complete and s.version == 0x0304
    sanity(srv, **TLS12)


def test_handshake_messages_over_the_caps() -> None:
    srv = server_config()
    sanity(srv)
    # A ClientHello longer than any legal one: refused from its header.
    refused(
        Connection(srv),
        records((1).to_bytes(1, "big") + (m.MAX_CLIENT_HELLO + 1).to_bytes(3, "big")),
        DECODE_ERROR,
    )
    # Within the cap but longer than legal: the parser refuses it.
    raw = _maximal_tls12_client_hello()
    too_long = m.handshake(1, raw[4:] + b"\x00\x00")
    refused(Connection(srv), records(too_long), DECODE_ERROR)
    # Other messages: the configured cap (at least the ClientHello's).
    small = server_config(max_handshake_message=m.MAX_CLIENT_HELLO)
    header = (11).to_bytes(1, "big") + (m.MAX_CLIENT_HELLO + 1).to_bytes(3, "big")
    refused(Connection(small), records(header), DECODE_ERROR)
    header = (11).to_bytes(1, "big") + (1 << 18).to_bytes(3, "big")
    assert Connection(srv).receive_data(records(header + b"\x00")) == []  # at the cap: waits
    header = (11).to_bytes(1, "big") + ((1 << 18) + 1).to_bytes(3, "big")
    refused(Connection(srv), records(header), DECODE_ERROR)
    with pytest.raises(ValueError, match="max_handshake_message"):
        Connection(server_config(max_handshake_message=m.MAX_CLIENT_HELLO - 1))
    sanity(srv)
