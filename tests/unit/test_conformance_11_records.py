"""Issue 11 conformance probes, in memory, with raw bytes (2 of 2): 0-RTT
records after a HelloRetryRequest or a declined early_data, empty
application_data records before the handshake ends, empty CertificateVerify
and ServerKeyExchange signatures, writes after close_notify, and KeyUpdate
on demand through the ssl-shaped API.

Every probe asserts the exact alert; every family runs a sanity handshake
with the same server config before and after its probes.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable

import pytest
from conformance_helpers import (
    DECRYPT_ERROR,
    EARLY_DATA,
    HRR_CLIENT,
    KEY_SHARE,
    P384,
    SUPPORTED_VERSIONS,
    TLS12,
    UNEXPECTED_MESSAGE,
    X25519,
    client_hello,
    edit_ch,
    first_message,
    keys13,
    records,
    refused,
    sanity,
    seal_empty_application_data,
    set_ext,
    share,
    steps,
    without,
)
from cryptography.hazmat.primitives.asymmetric import x25519
from tls_helpers import (
    Keys,
    client_config,
    open_records,
    pair,
    pki,
    plaintext_record,
    server_config,
    split_handshake,
    split_records,
)

import cytls
from cytls._connection import Connection
from cytls._handshake.state import Hooks
from cytls._record import RecordLayer
from cytls._wire import messages as m
from cytls._wire import messages12 as m12
from cytls._wire.events import ApplicationDataReceived, ConnectionClosed

# -------------------------------------------- 6. record-level details


def _early_records(*sizes: int) -> bytes:
    """0-RTT records as a client would send them: application_data records
    of these body lengths, under a key the server does not have."""
    return b"".join(plaintext_record(23, os.urandom(n)) for n in sizes)


def _second_hello(ch1: bytes) -> bytes:
    """The second ClientHello after our HelloRetryRequest for P-384."""

    def fn(ch: m.ClientHello) -> None:
        ch.extensions.pop(EARLY_DATA, None)
        ch.extensions[KEY_SHARE] = m.serialize_client_key_shares([(P384, share(P384))])

    return edit_ch(ch1, fn)


def test_early_data_after_hello_retry_request_is_skipped() -> None:
    srv = server_config(groups=[P384])
    sanity(srv, **HRR_CLIENT)
    ch1 = edit_ch(client_hello(client_config(**HRR_CLIENT)), set_ext(EARLY_DATA, b""))  # type: ignore[arg-type]
    ccs = b"\x14\x03\x03\x00\x01\x01"
    # Within the budget (16 KiB of inner plaintext; records up to 2^14+256).
    s = Connection(srv)
    s.receive_data(records(ch1) + ccs + _early_records(16000))
    assert m.ServerHello.parse(first_message(s.data_to_send())[4:]).is_hrr
    s.receive_data(_early_records(10, 401))  # may arrive later, in pieces
    s.receive_data(records(_second_hello(ch1)))
    sh = m.ServerHello.parse(first_message(s.data_to_send())[4:])
    assert not sh.is_hrr and sh.extensions[SUPPORTED_VERSIONS] == b"\x03\x04"
    # One byte over the budget.
    s = Connection(srv)
    s.receive_data(records(ch1))
    refused(s, _early_records(16401, 18), UNEXPECTED_MESSAGE)
    # The skipping ends with the second ClientHello: inside it application
    # data is unexpected; after it, records are read under the handshake key.
    ch2 = _second_hello(ch1)
    for data, alert in (
        (records(ch2[:50]) + _early_records(100) + records(ch2[50:]), UNEXPECTED_MESSAGE),
        (records(ch2) + _early_records(100), 20),  # bad_record_mac
    ):
        s = Connection(srv)
        s.receive_data(records(ch1))
        refused(s, data, alert)
    # Without early_data in the first ClientHello, nothing is skipped.
    s = Connection(srv)
    s.receive_data(records(edit_ch(ch1, without(EARLY_DATA))))
    refused(s, _early_records(100), UNEXPECTED_MESSAGE)
    sanity(srv, **HRR_CLIENT)


def test_declined_early_data_is_skipped_by_trial_decryption() -> None:
    srv = server_config()
    sanity(srv)
    # 16 KiB of inner plaintext in all (1000 + 8000 + 7435 bytes of records,
    # 17 of each being tag and content type), then records of 17 bytes or
    # less (no content), then the client's Finished, which decrypts.
    for extra, alert in (
        (_early_records(1000, 8000, 7435, 17), None),
        (_early_records(16401, 18), UNEXPECTED_MESSAGE),
        # Longer than 2^14 + 1 + tag: record_overflow, unread.
        (_early_records(16402), 22),
    ):
        key = x25519.X25519PrivateKey.generate()
        cfg = client_config(key_share_groups=[X25519])
        ch = edit_ch(client_hello(cfg, Hooks(key_shares={X25519: key})), set_ext(EARLY_DATA, b""))
        c = Connection(cfg, hooks=Hooks(client_hello=ch, key_shares={X25519: key}))
        s = Connection(srv)
        c.start_handshake()
        if alert is not None:
            refused(s, c.data_to_send() + extra, alert)
            continue
        s.receive_data(c.data_to_send() + extra)
        c.receive_data(s.data_to_send())
        s.receive_data(c.data_to_send())
        assert c.handshake_complete and s.handshake_complete
    sanity(srv)


def test_empty_application_data_before_finished() -> None:
    srv = server_config(keylog=(keys := Keys()))
    sanity(srv)
    keys.lines.clear()
    # TLS 1.3 server: before the client's Finished, under its handshake key.
    c = Connection(client_config())
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    suite = s._ctx.suite
    assert suite is not None
    key, iv = keys13(suite, keys.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET"))
    refused(s, seal_empty_application_data(suite, key, iv, 0x0304, 0), UNEXPECTED_MESSAGE)
    # TLS 1.3 client: right after the ServerHello, under the server's key.
    keys.lines.clear()
    c = Connection(client_config())
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    sh_rec = split_records(s.data_to_send())[0]
    key, iv = keys13(suite, keys.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"))
    refused(c, sh_rec + seal_empty_application_data(suite, key, iv, 0x0304, 0), UNEXPECTED_MESSAGE)
    # After the handshake an empty record is allowed (RFC 8446 §5.4).
    keys.lines.clear()
    c, s = pair(client_config(), srv)
    key, iv = keys13(suite, keys.secret("CLIENT_TRAFFIC_SECRET_0"))
    assert s.receive_data(seal_empty_application_data(suite, key, iv, 0x0304, 0)) == []
    sanity(srv)


def test_empty_application_data_before_finished_tls12() -> None:
    srv = server_config()
    sanity(srv, **TLS12)
    c = Connection(client_config(**TLS12, cipher_suites=[0xC02B]))  # type: ignore[arg-type]
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    hs, ccs, fin = split_records(c.data_to_send())
    s.receive_data(hs + ccs)  # the server now reads under the client's key
    ks = s._ctx.ks12
    ckey, _, civ, _ = ks.key_block()
    reader = RecordLayer()
    reader.set_read_key(0xC02B, ckey, civ, 0x0303)
    reader.feed(fin)
    ctype, finished = reader.receive()
    writer = RecordLayer()
    writer.set_write_key(0xC02B, ckey, civ, 0x0303)
    empty = seal_empty_application_data(0xC02B, ckey, civ, 0x0303, 0)
    writer._write.set_seq(1)
    writer.send(ctype, finished)
    refused(s, empty + writer.take_outgoing(), UNEXPECTED_MESSAGE)
    sanity(srv, **TLS12)


def _reseal(
    suite: int, secret: bytes, recs: list[bytes], edit: Callable[[list[bytes]], list[bytes]]
) -> bytes:
    """Open protected handshake records, edit their messages, seal them again."""
    from tls_helpers import seal_records

    plain = b"".join(p for t, p in open_records(suite, secret, recs) if t == 22)
    return seal_records(suite, secret, [(22, b"".join(edit(split_handshake(plain))))])


def _empty_signature(msgs: list[bytes]) -> list[bytes]:
    out = []
    for msg in msgs:
        if msg[0] == 15:
            msg = m.CertificateVerify(m.CertificateVerify.parse(msg[4:]).scheme, b"").serialize()
        out.append(msg)
    return out


def test_empty_certificate_verify_signature_is_decrypt_error() -> None:
    p = pki()
    srv = server_config(keylog=(keys := Keys()), verify_mode=2)
    auth = {"certificate_chain": p.client_chain, "private_key": p.client_key}
    sanity(srv, **auth)
    keys.lines.clear()
    # TLS 1.3 server: the client's CertificateVerify.
    c = Connection(client_config(**auth))  # type: ignore[arg-type]
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    suite = s._ctx.suite
    assert suite is not None
    recs = [r for r in split_records(c.data_to_send()) if r[0] == 23]
    secret = keys.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET")
    refused(s, _reseal(suite, secret, recs, _empty_signature), DECRYPT_ERROR)
    # TLS 1.3 client: the server's CertificateVerify.
    keys.lines.clear()
    c = Connection(client_config(**auth))  # type: ignore[arg-type]
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    recs = split_records(s.data_to_send())
    plain = [r for r in recs if r[0] != 23]
    secret = keys.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET")
    edited = _reseal(suite, secret, [r for r in recs if r[0] == 23], _empty_signature)
    refused(c, b"".join(plain) + edited, DECRYPT_ERROR)
    # TLS 1.2 server: the client's CertificateVerify (plaintext).
    c = Connection(client_config(**TLS12, **auth))  # type: ignore[arg-type]
    s = Connection(srv)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    hs = split_records(c.data_to_send())[0]
    refused(s, records(b"".join(_empty_signature(split_handshake(hs[5:])))), DECRYPT_ERROR)
    # TLS 1.2 client: the ServerKeyExchange signature.
    c = Connection(client_config(**TLS12))  # type: ignore[arg-type]
    s = Connection(server_config())
    c.start_handshake()
    s.receive_data(c.data_to_send())
    msgs = split_handshake(split_records(s.data_to_send())[0][5:])
    ske = m12.ServerKeyExchange12.parse(msgs[2][4:])
    ske.signature = b""
    msgs[2] = ske.serialize()
    refused(c, records(b"".join(msgs)), DECRYPT_ERROR)
    sanity(srv, **auth)


def test_after_close_notify_nothing_but_close_notify_tls12() -> None:
    srv = server_config()
    sanity(srv, **TLS12)
    c, s = pair(client_config(**TLS12), srv)  # type: ignore[arg-type]
    c.close()
    events = s.receive_data(c.data_to_send())
    assert ConnectionClosed() in events and s.peer_closed
    # RFC 5246 §7.2.1: no more data from us...
    with pytest.raises(ssl.SSLError, match="close_notify"):
        s.send_application_data(b"too late")
    assert s.data_to_send() == b""
    # ...but our own close_notify, alone.
    s.close()
    (rec,) = split_records(s.data_to_send())
    assert rec[0] == 21
    assert ConnectionClosed() in c.receive_data(rec)
    # Data after a close_notify is ignored (RFC 8446 §6.1).
    assert s.receive_data(b"\x17\x03\x03\x00\x05hello") == []
    sanity(srv, **TLS12)


def test_tls13_keeps_its_half_close() -> None:
    # RFC 8446 §6.1: a close_notify closes the sender's side only.
    c, s = pair()
    c.close()
    s.receive_data(c.data_to_send())
    assert s.peer_closed
    s.send_application_data(b"still answering")
    events = c.receive_data(s.data_to_send())
    assert ApplicationDataReceived(15) in events
    assert c.read_application_data() == b"still answering"


def test_key_update_on_demand_through_the_ssl_api() -> None:
    from tls_helpers import key_pem, pem

    p = pki()
    import tempfile
    from pathlib import Path

    d = Path(tempfile.mkdtemp())
    (d / "chain.pem").write_bytes(pem(p.leaf) + pem(p.inter))
    (d / "key.pem").write_bytes(key_pem(p.leaf_key))
    (d / "ca.pem").write_bytes(pem(p.root))
    for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        sctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(d / "chain.pem", d / "key.pem")
        sctx.maximum_version = version
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.load_verify_locations(d / "ca.pem")
        cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
        client = cctx.wrap_bio(cin, cout, server_hostname="localhost")
        server = sctx.wrap_bio(sin, sout, server_side=True)
        with pytest.raises(ssl.SSLError, match="STILL_IN_INIT"):
            server.key_update()
        for _ in range(5):
            for obj in (client, server):
                try:
                    obj.do_handshake()
                except ssl.SSLWantReadError:
                    pass
            sin.write(cout.read())
            cin.write(sout.read())
        if version == ssl.TLSVersion.TLSv1_2:
            with pytest.raises(ssl.SSLError, match="WRONG_SSL_VERSION"):
                server.key_update()
            continue
        conn = server._sslobj._conn
        for requested in (False, True):
            server.key_update(requested)
            cin.write(sout.read())
            with pytest.raises(ssl.SSLWantReadError):
                client.read()  # the ssl module reads the KeyUpdate here...
            client.write(b"after")  # ...and answers a requested one with its write
            sin.write(cout.read())
            assert server.read() == b"after"
        sent = steps(conn, "send KeyUpdate")
        assert sent == [{"update_requested": False}, {"update_requested": True}]
        # The client answered the requested update with its own KeyUpdate.
        assert steps(conn, "receive KeyUpdate") == [{"update_requested": False}]
