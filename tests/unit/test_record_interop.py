"""Differential tests of the record layer against OpenSSL, in memory.

An ssl-module server (system OpenSSL) talks to an OpenSSL client (the ssl
module, or pyOpenSSL where a TLS 1.3 suite must be pinned) over memory BIOs.
The server's keylog gives the secrets; cytls derives the keys
(HKDF-Expand-Label in TLS 1.3, the PRF key block in TLS 1.2), then:

- opens everything the server sent, from its ServerHello on, switching keys
  where a Connection would, and recovers its application data;
- seals application data that the server's ssl.SSLObject accepts as if it
  came from the client, and checks that cytls's records are byte-identical
  to OpenSSL's for the same key, sequence number and data.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import pytest

from cytls import crypto
from cytls._record import RecordLayer

trustme = pytest.importorskip("trustme")
SSL = pytest.importorskip("OpenSSL.SSL")

TLS13 = [
    (0x1301, "TLS_AES_128_GCM_SHA256", "sha256", 16),
    (0x1302, "TLS_AES_256_GCM_SHA384", "sha384", 32),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256", "sha256", 32),
]
TLS12 = [
    (0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", "sha256", 16, 4),
    (0xC030, "ECDHE-RSA-AES256-GCM-SHA384", "sha384", 32, 4),
    (0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", "sha256", 32, 12),
    (0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", "sha256", 16, 4),
    (0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", "sha384", 32, 4),
    (0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", "sha256", 32, 12),
]


@pytest.fixture(scope="module")
def ca() -> Any:
    return trustme.CA()


def _server(ca: Any, tmp_path: Path, ecdsa: bool = False) -> tuple[Any, Any, Any, Path]:
    cert = ca.issue_cert(
        "localhost", key_type=trustme.KeyType.ECDSA if ecdsa else trustme.KeyType.RSA
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    keylog = tmp_path / "keylog.txt"
    ctx.keylog_filename = str(keylog)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    return ctx, inc, out, keylog


def _secrets(keylog: Path) -> dict[str, bytes]:
    found = {}
    for line in keylog.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            found[parts[0]] = bytes.fromhex(parts[2])
    return found


def _tls13_keys(secret: bytes, hash_name: str, key_len: int) -> tuple[bytes, bytes]:
    # RFC 8446 §7.3
    key = crypto.hkdf_expand_label(hash_name, secret, b"key", b"", key_len)
    iv = crypto.hkdf_expand_label(hash_name, secret, b"iv", b"", 12)
    return key, iv


def _prf(hash_name: str, secret: bytes, label: bytes, seed: bytes, n: int) -> bytes:
    # RFC 5246 §5: P_hash(secret, label + seed)
    seed = label + seed
    out, a = b"", seed
    while len(out) < n:
        a = crypto.hmac_digest(hash_name, secret, a)
        out += crypto.hmac_digest(hash_name, secret, a + seed)
    return out[:n]


def _client_bio_read(client: Any) -> bytes:
    try:
        return client.bio_read(1 << 20)  # type: ignore[no-any-return]
    except SSL.WantReadError:
        return b""


def _pyopenssl_client(version: int, suite_name: str | None, tls12_cipher: str | None) -> Any:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *a: True)
    ctx.set_min_proto_version(version)
    ctx.set_max_proto_version(version)
    if suite_name:
        ctx.set_tls13_ciphersuites(suite_name.encode())
    if tls12_cipher:
        ctx.set_cipher_list(tls12_cipher.encode())
    conn = SSL.Connection(ctx, None)
    conn.set_connect_state()
    return conn


def _handshake(client: Any, server: ssl.SSLObject, s_in: Any, s_out: Any) -> list[bytes]:
    log: list[bytes] = []
    for _ in range(50):
        progressed = False
        for side in ("c", "s"):
            try:
                if side == "c":
                    client.do_handshake()
                else:
                    server.do_handshake()
            except (SSL.WantReadError, ssl.SSLWantReadError):
                pass
        c_out = _client_bio_read(client)
        if c_out:
            s_in.write(c_out)
            progressed = True
        s_data = s_out.read()
        if s_data:
            log.append(s_data)
            client.bio_write(s_data)
            progressed = True
        if not progressed:
            break
    assert server.version() is not None
    return log


def _open_server_stream(
    stream: bytes, plan: list[tuple[int, bytes, bytes, int]]
) -> tuple[RecordLayer, list[tuple[int, bytes]]]:
    """Open the server's whole byte stream in 1000-byte pieces, installing
    the read keys of plan in order where a Connection would: after the CCS
    (TLS 1.2), or after the ServerHello and the server Finished (TLS 1.3)."""
    layer = RecordLayer()
    got: list[tuple[int, bytes]] = []
    handshake = b""
    keys = list(plan)
    for i in range(0, len(stream), 1000):
        layer.feed(stream[i : i + 1000])
        while (rec := layer.receive()) is not None:
            got.append(rec)
            ctype, payload = rec
            if not keys:
                continue
            if keys[0][3] == 0x0303 and ctype == 20:
                layer.set_read_key(*keys.pop(0))
            elif keys[0][3] == 0x0304 and ctype == 22:
                handshake += payload
                while len(handshake) >= 4:
                    n = int.from_bytes(handshake[1:4], "big")
                    if len(handshake) < 4 + n:
                        break
                    msg_type = handshake[0]
                    handshake = handshake[4 + n :]
                    if msg_type in (2, 20) and keys:
                        # RFC 8446 §5.1: keys change at a record boundary
                        assert handshake == b""
                        layer.set_read_key(*keys.pop(0))
    assert layer.bytes_buffered == 0
    assert not keys
    return layer, got


def _read_all(obj: ssl.SSLObject, n: int) -> bytes:
    out = b""
    while len(out) < n:
        out += obj.read(n - len(out))
    return out


def _close_notify(server: ssl.SSLObject, s_out: Any, reader: RecordLayer) -> None:
    with pytest.raises(ssl.SSLWantReadError):
        server.unwrap()
    reader.feed(s_out.read())
    assert reader.receive() == (21, b"\x01\x00")


@pytest.mark.parametrize("suite", TLS13, ids=[s[1] for s in TLS13])
def test_tls13_against_openssl(suite: tuple, ca: Any, tmp_path: Path) -> None:
    suite_id, name, hash_name, key_len = suite
    sctx, s_in, s_out, keylog = _server(ca, tmp_path)
    server = sctx.wrap_bio(s_in, s_out, server_side=True)
    client = _pyopenssl_client(SSL.TLS1_3_VERSION, name, None)
    log = _handshake(client, server, s_in, s_out)
    assert server.cipher()[0] == name

    # the server writes; cytls opens its whole stream, ServerHello onwards
    payload = os.urandom(70_000)
    server.write(payload)
    server.write(b"tail")
    stream = b"".join(log) + s_out.read()
    sec = _secrets(keylog)
    hs_key, hs_iv = _tls13_keys(sec["SERVER_HANDSHAKE_TRAFFIC_SECRET"], hash_name, key_len)
    ap_key, ap_iv = _tls13_keys(sec["SERVER_TRAFFIC_SECRET_0"], hash_name, key_len)
    reader, got = _open_server_stream(
        stream, [(suite_id, hs_key, hs_iv, 0x0304), (suite_id, ap_key, ap_iv, 0x0304)]
    )
    assert bytes(reader.app_data) == payload + b"tail"
    types = [t for t, _ in got]
    assert types[0] == 22 and got[0][1][0] == 2  # ServerHello, plaintext
    assert set(types) <= {20, 22}
    assert (20, b"\x01") in got  # the compatibility CCS

    # cytls seals as the client: byte-identical to OpenSSL's client records
    c_key, c_iv = _tls13_keys(sec["CLIENT_TRAFFIC_SECRET_0"], hash_name, key_len)
    layer = RecordLayer()
    layer.set_write_key(suite_id, c_key, c_iv, 0x0304)
    ours = os.urandom(50_000)
    client.sendall(ours)
    theirs = _client_bio_read(client)
    layer.send(23, ours)
    assert layer.take_outgoing() == theirs
    s_in.write(theirs)
    assert _read_all(server, len(ours)) == ours
    # then records only cytls made, at the next sequence numbers, padded
    more = os.urandom(40_000)
    layer.set_padding(64)
    layer.send(23, more)
    layer.set_padding(lambda n: 100)
    layer.send(23, b"padded by a callable")
    s_in.write(layer.take_outgoing())
    assert _read_all(server, len(more) + 20) == more + b"padded by a callable"
    _close_notify(server, s_out, reader)


@pytest.mark.parametrize("suite", TLS12, ids=[s[1] for s in TLS12])
def test_tls12_against_openssl(suite: tuple, ca: Any, tmp_path: Path) -> None:
    suite_id, name, hash_name, key_len, iv_len = suite
    sctx, s_in, s_out, keylog = _server(ca, tmp_path, ecdsa="ECDSA" in name)
    sctx.minimum_version = sctx.maximum_version = ssl.TLSVersion.TLSv1_2
    sctx.set_ciphers(name)
    server = sctx.wrap_bio(s_in, s_out, server_side=True)
    client = _pyopenssl_client(SSL.TLS1_2_VERSION, None, name)
    log = _handshake(client, server, s_in, s_out)
    assert server.cipher()[0] == name

    payload = os.urandom(70_000)
    server.write(payload)
    stream = b"".join(log) + s_out.read()
    # RFC 5246 §6.3: the key block from the master secret and both randoms
    (client_random_hex, master_hex) = next(
        line.split()[1:]
        for line in keylog.read_text().splitlines()
        if line.startswith("CLIENT_RANDOM ")
    )
    assert stream[0] == 22 and stream[5] == 2
    server_random = stream[11:43]
    block = _prf(
        hash_name,
        bytes.fromhex(master_hex),
        b"key expansion",
        server_random + bytes.fromhex(client_random_hex),
        2 * key_len + 2 * iv_len,
    )
    c_key, s_key = block[:key_len], block[key_len : 2 * key_len]
    c_iv, s_iv = block[2 * key_len : 2 * key_len + iv_len], block[2 * key_len + iv_len :]
    reader, got = _open_server_stream(stream, [(suite_id, s_key, s_iv, 0x0303)])
    assert bytes(reader.app_data) == payload
    assert got[-1][0] == 22 and got[-1][1][0] == 20  # the server Finished, decrypted
    assert (20, b"\x01") in got

    # cytls seals as the client, after the client Finished (seq 0)
    layer = RecordLayer()
    layer.set_write_key(suite_id, c_key, c_iv, 0x0303)
    layer._write.set_seq(1)
    ours = os.urandom(50_000)
    client.sendall(ours)
    theirs = _client_bio_read(client)
    layer.send(23, ours)
    mine = layer.take_outgoing()
    if iv_len == 12:
        assert mine == theirs  # ChaCha20: deterministic, so identical
    else:
        # OpenSSL's explicit nonces are its own counter; cytls sends seq.
        assert len(mine) == len(theirs)
        check = RecordLayer()
        check.set_read_key(suite_id, c_key, c_iv, 0x0303)
        check._read.set_seq(1)
        check.feed(theirs)
        assert check.receive() is None and bytes(check.app_data) == ours
    s_in.write(theirs)
    assert _read_all(server, len(ours)) == ours
    # then records only cytls made, at the next sequence numbers
    more = os.urandom(30_000)
    layer.send(23, more)
    s_in.write(layer.take_outgoing())
    assert _read_all(server, len(more)) == more
    _close_notify(server, s_out, reader)
