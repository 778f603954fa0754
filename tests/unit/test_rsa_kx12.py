"""TLS 1.2 RSA key transport (RFC 5246 §7.4.7.1), opt-in: both roles in
memory, the off-by-default rule, the cipher-string spellings, and implicit
rejection: a bad encrypted premaster or wrong version bytes make the
handshake fail at the client's Finished, never before."""

from __future__ import annotations

import os
import ssl
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from tls_helpers import client_config, pair, pki, server_config, split_records

import cytls
from cytls._connection import Connection
from cytls._handshake import client12, rsa_kx12
from cytls._handshake.config import default_cipher_suites
from cytls._ssl.ciphers import parse_cipher_string
from cytls._wire import messages as m
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec16

RSA128, RSA256 = 0x009C, 0x009D
BAD_RECORD_MAC = 20
HANDSHAKE_FAILURE = 40
UNEXPECTED_MESSAGE = 10


def rsa_server(**kw: Any) -> Any:
    """An RSA server that enables both suites next to its defaults."""
    return server_config("rsa", cipher_suites=[*default_cipher_suites(), RSA128, RSA256], **kw)


def _server_key() -> Any:
    return pki("rsa").leaf_key


# ------------------------------------------------------ the premaster choice


def test_select_premaster() -> None:
    synthetic = b"\x03\x03" + b"S" * 46
    real = b"\x03\x03" + b"R" * 46
    assert rsa_kx12.select_premaster(real, synthetic, 0x0303) == real
    for bad in (b"", real[:47], real + b"\x00", b"\x03\x02" + real[2:], b"\x00" * 48, real * 2):
        assert rsa_kx12.select_premaster(bad, synthetic, 0x0303) == synthetic
    # The version compared is the ClientHello's.
    assert rsa_kx12.select_premaster(real, synthetic, 0x0302) == synthetic


def test_server_decrypts_a_good_premaster() -> None:
    key = _server_key()
    premaster, body = rsa_kx12.client_key_transport(key.public_key(), 0x0303, os.urandom)
    assert len(premaster) == 48 and premaster[:2] == b"\x03\x03"
    ct = rsa_kx12.parse_encrypted_premaster(body)
    assert len(ct) == key.key_size // 8
    server = rsa_kx12.ServerKeyTransport(key, os.urandom(32), 0x0303)
    assert server.premaster(ct) == premaster


def test_server_never_raises_and_is_deterministic() -> None:
    key = _server_key()
    n = key.public_key().public_numbers().n
    secret = os.urandom(32)
    server = rsa_kx12.ServerKeyTransport(key, secret, 0x0303)
    good = key.public_key().encrypt(b"\x03\x03" + os.urandom(46), padding.PKCS1v15())
    flipped = bytearray(good)
    flipped[10] ^= 0x40
    size = key.key_size // 8
    bad_inputs = [
        bytes(flipped),
        os.urandom(size),
        b"\x00" * size,
        good[:-1],  # wrong length
        good + b"\x00",
        n.to_bytes(size, "big"),  # not below the modulus
        b"\xff" * size,
        key.public_key().encrypt(b"\x03\x03" + os.urandom(45), padding.PKCS1v15()),  # 47 bytes
        key.public_key().encrypt(b"\x03\x01" + os.urandom(46), padding.PKCS1v15()),  # version
        key.public_key().encrypt(b"\x03\x03" + os.urandom(46) + b"!", padding.PKCS1v15()),
    ]
    seen = set()
    for ct in bad_inputs:
        pm = server.premaster(ct)
        assert len(pm) == 48 and pm[:2] == b"\x03\x03"
        assert server.premaster(ct) == pm  # the same ciphertext, the same answer
        seen.add(pm)
    assert len(seen) == len(bad_inputs)
    # Another server secret gives other synthetic values.
    other = rsa_kx12.ServerKeyTransport(key, os.urandom(32), 0x0303)
    assert other.premaster(bytes(flipped)) != server.premaster(bytes(flipped))


def test_server_without_openssl_implicit_rejection() -> None:
    # An OpenSSL without implicit rejection raises on a bad padding; the
    # TLS layer still answers with the synthetic premaster.
    class RaisingKey:
        key_size = 2048

        def decrypt(self, ct: bytes, pad: object) -> bytes:
            raise ValueError("Decryption failed")

    server = rsa_kx12.ServerKeyTransport(RaisingKey(), b"k" * 32, 0x0303)  # type: ignore[arg-type]
    pm = server.premaster(b"\x01" * 256)
    assert len(pm) == 48 and pm[:2] == b"\x03\x03" and pm == server.premaster(b"\x01" * 256)


@pytest.mark.parametrize(
    "body", [b"", b"\x00", b"\x00\x00", b"\x01\x00" + b"\x01" * 255, vec16(b"\x01" * 256) + b"\x00"]
)
def test_malformed_client_key_exchange_is_decode_error(body: bytes) -> None:
    with pytest.raises(TLSAlert) as info:
        rsa_kx12.parse_encrypted_premaster(body)
    assert info.value.description == 50


# ------------------------------------------------------------ handshakes


@pytest.mark.parametrize("suite", [RSA128, RSA256])
def test_handshake_both_suites(suite: int) -> None:
    c, s = pair(client_config("rsa", cipher_suites=[suite]), rsa_server())
    assert c.handshake_complete and s.handshake_complete
    assert c.cipher_suite == s.cipher_suite == suite and c.version == 0x0303
    assert c.group is None and s.group is None
    c.send_application_data(b"over RSA key transport")
    s.receive_data(c.data_to_send())
    assert s.read_application_data() == b"over RSA key transport"
    s.send_application_data(b"and back")
    c.receive_data(s.data_to_send())
    assert c.read_application_data() == b"and back"
    label = b"EXPERIMENTER"
    assert c.export_keying_material(label, None, 32) == s.export_keying_material(label, None, 32)


def test_no_server_key_exchange_and_ems() -> None:
    c = Connection(client_config("rsa", cipher_suites=[RSA128]))
    s = Connection(server_config("rsa", cipher_suites=[0xC02F, RSA128]))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    flight = split_records(s.data_to_send())
    types = []
    for rec in flight:
        body = rec[5:]
        while body:
            types.append(body[0])
            body = body[4 + int.from_bytes(body[1:4], "big") :]
    assert types == [2, 11, 14]  # ServerHello, Certificate, ServerHelloDone
    msgs = b"".join(r[5:] for r in flight)
    sh = m.ServerHello.parse(msgs[4 : 4 + int.from_bytes(msgs[1:4], "big")])
    assert sh.cipher_suite == RSA128 and 0x0017 in sh.extensions  # extended_master_secret
    c.receive_data(b"".join(flight))
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    assert c.handshake_complete and s.handshake_complete


def test_off_by_default() -> None:
    # Not offered by a default client, not accepted by a default server.
    c = Connection(client_config("rsa"))
    c.start_handshake()
    ch = m.ClientHello.parse(split_records(c.data_to_send())[0][9:])
    assert RSA128 not in ch.cipher_suites and RSA256 not in ch.cipher_suites
    c = Connection(client_config("rsa", cipher_suites=[RSA128, RSA256]))
    c.start_handshake()
    s = Connection(server_config("rsa"))
    with pytest.raises(TLSAlert) as info:
        s.receive_data(c.data_to_send())
    assert info.value.description == HANDSHAKE_FAILURE
    # An ECDSA server cannot do RSA key transport.
    c = Connection(client_config("p256", cipher_suites=[RSA128]))
    c.start_handshake()
    s = Connection(server_config("p256", cipher_suites=[RSA128, 0xC02B]))
    with pytest.raises(TLSAlert) as info:
        s.receive_data(c.data_to_send())
    assert info.value.description == HANDSHAKE_FAILURE


def test_cipher_strings() -> None:
    def names(spec: str) -> list[str]:
        return [s.name for s in parse_cipher_string(spec)[0]]

    for spec in ("ALL", "DEFAULT", "HIGH", "AESGCM", "aRSA", "AES128", "TLSv1.2"):
        assert not {"AES128-GCM-SHA256", "AES256-GCM-SHA384"} & set(names(spec)), spec
    assert names("kRSA") == names("RSA") == ["AES256-GCM-SHA384", "AES128-GCM-SHA256"]
    assert names("AES128-GCM-SHA256") == ["AES128-GCM-SHA256"]
    assert names("kRSA+AES128") == ["AES128-GCM-SHA256"]
    assert names("ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384")[-1] == "AES256-GCM-SHA384"
    assert names("ALL:!kRSA:RSA") == names("ALL")


def test_ssl_context_set_ciphers() -> None:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert "AES128-GCM-SHA256" not in [c["name"] for c in ctx.get_ciphers()]
    ctx.set_ciphers("AES128-GCM-SHA256:kRSA")
    listed = [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert listed == ["AES128-GCM-SHA256", "AES256-GCM-SHA384"]
    rsa = next(c for c in ctx.get_ciphers() if c["name"] == "AES128-GCM-SHA256")
    assert rsa["kea"] == "kx-rsa" and rsa["id"] == 0x0300009C
    config = ctx._make_config(False, "example.com")
    assert [s for s in config.cipher_suites if s < 0x1300] == [RSA128, RSA256]


def test_client_refuses_server_key_exchange_in_rsa_suite() -> None:
    c = Connection(client_config("rsa", cipher_suites=[RSA128, 0xC02F]))
    s = Connection(server_config("rsa", cipher_suites=[0xC02F]))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    # The server's ECDHE flight, with its ServerHello rewritten to the RSA suite.
    recs = split_records(s.data_to_send())
    msgs = b"".join(r[5:] for r in recs)
    sh_len = int.from_bytes(msgs[1:4], "big")
    sh = m.ServerHello.parse(msgs[4 : 4 + sh_len])
    sh.cipher_suite = RSA128
    flight = sh.serialize() + msgs[4 + sh_len :]
    with pytest.raises(TLSAlert) as info:
        c.receive_data(b"\x16\x03\x03" + len(flight).to_bytes(2, "big") + flight)
    assert info.value.description == UNEXPECTED_MESSAGE


# ------------------------------------------------------ implicit rejection


def _second_flight_fails_at_finished(monkeypatch: pytest.MonkeyPatch, transport: Any) -> None:
    """Run the handshake with the client's key transport replaced; the
    server takes ClientKeyExchange and ChangeCipherSpec without a word and
    fails on the encrypted Finished record (bad_record_mac)."""
    monkeypatch.setattr(client12, "client_key_transport", transport)
    c = Connection(client_config("rsa", cipher_suites=[RSA128]))
    s = Connection(server_config("rsa", cipher_suites=[RSA128]))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    records = split_records(c.data_to_send())
    assert [r[0] for r in records] == [22, 20, 22]  # CKE, CCS, Finished
    assert s.receive_data(records[0]) == [] and s.data_to_send() == b""
    assert s.receive_data(records[1]) == [] and s.data_to_send() == b""
    with pytest.raises(TLSAlert) as info:
        s.receive_data(records[2])
    assert info.value.description == BAD_RECORD_MAC
    assert s.data_to_send().endswith(bytes((2, BAD_RECORD_MAC)))  # a plaintext alert


def test_corrupted_encrypted_premaster_fails_at_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    real = rsa_kx12.client_key_transport

    def corrupt(public_key: Any, version: int, random: Any) -> tuple[bytes, bytes]:
        premaster, body = real(public_key, version, random)
        flipped = bytearray(body)
        flipped[40] ^= 0x01  # one bit of the RSA ciphertext
        return premaster, bytes(flipped)

    _second_flight_fails_at_finished(monkeypatch, corrupt)


def test_random_ciphertext_fails_at_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    def garbage(public_key: Any, version: int, random: Any) -> tuple[bytes, bytes]:
        return b"\x03\x03" + os.urandom(46), vec16(os.urandom(public_key.key_size // 8))

    _second_flight_fails_at_finished(monkeypatch, garbage)


def test_wrong_length_ciphertext_fails_at_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    real = rsa_kx12.client_key_transport

    def short(public_key: Any, version: int, random: Any) -> tuple[bytes, bytes]:
        premaster, body = real(public_key, version, random)
        return premaster, vec16(body[2:-1])

    _second_flight_fails_at_finished(monkeypatch, short)


@pytest.mark.parametrize("version", [0x0302, 0x0300, 0x0304, 0x0000])
def test_wrong_premaster_version_fails_at_finished(
    monkeypatch: pytest.MonkeyPatch, version: int
) -> None:
    # Client and server would agree on this premaster; the server's version
    # check replaces it, silently, and the Finished record does not open.
    def wrong_version(public_key: Any, _version: int, random: Any) -> tuple[bytes, bytes]:
        return rsa_kx12.client_key_transport(public_key, version, random)

    _second_flight_fails_at_finished(monkeypatch, wrong_version)


def test_server_survives_bad_premasters(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = server_config("rsa", cipher_suites=[RSA128])

    def garbage(public_key: Any, version: int, random: Any) -> tuple[bytes, bytes]:
        return b"\x03\x03" + os.urandom(46), vec16(os.urandom(public_key.key_size // 8))

    for _ in range(3):
        with monkeypatch.context() as mp:
            mp.setattr(client12, "client_key_transport", garbage)
            with pytest.raises(TLSAlert):
                pair(client_config("rsa", cipher_suites=[RSA128]), cfg)
        c, s = pair(client_config("rsa", cipher_suites=[RSA128]), cfg)
        assert c.handshake_complete and s.handshake_complete
