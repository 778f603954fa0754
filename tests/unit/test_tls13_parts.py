"""Unit tests of the engine's parts: codec bounds, message and extension
parsing, key exchange groups, signature schemes, transcript restart, config."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mlkem, rsa, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cytls._handshake import signatures
from cytls._handshake.config import TLSConfig
from cytls._handshake.groups import KeyShare, server_exchange, share_length
from cytls._handshake.transcript import Transcript
from cytls._wire import messages as m
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import Reader, Writer, vec8, vec16


def alert_of(fn, *args) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(TLSAlert) as info:
        fn(*args)
    return info.value.description


# ------------------------------------------------------------------ codec


def test_reader_bounds() -> None:
    assert alert_of(Reader(b"\x01").u16) == 50
    assert alert_of(Reader(b"\x00\x01").u24) == 50
    assert alert_of(Reader(b"\x00\x05abc").vec16) == 50
    assert alert_of(Reader(b"\x03\x00\x01\x02").u16_list, 1) == 50
    r = Reader(b"\x00\x02ab\x01")
    assert r.vec16() == b"ab"
    assert alert_of(r.expect_end) == 50
    assert Reader(b"\x00\x00").vec16() == b""
    assert alert_of(Reader(b"\x00\x00").vec16, 1) == 50


def test_writer_and_vectors() -> None:
    w = Writer()
    w.u8(1)
    w.u16(0x0203)
    w.u24(0x040506)
    w.u32(0x0708090A)
    w.vec8(b"x")
    w.vec16(b"yz")
    w.vec24(b"")
    assert w.getvalue() == bytes.fromhex("0102030405060708090a") + b"\x01x\x00\x02yz\x00\x00\x00"
    with pytest.raises(ValueError):
        vec8(b"\x00" * 256)


# --------------------------------------------------------------- messages


def test_extension_rules() -> None:
    dup = Reader(vec16(b"\x00\x0a\x00\x00" * 2))
    assert alert_of(m.parse_extensions, dup, m.CH) == 47
    wrong = Reader(vec16(b"\x00\x2d\x00\x02\x01\x01"))  # psk_key_exchange_modes
    assert alert_of(m.parse_extensions, wrong, m.EE) == 47
    unknown = Reader(vec16(b"\xfa\xfa\x00\x00"))
    assert m.parse_extensions(unknown, m.EE) == {0xFAFA: b""}


def test_extension_block_cut_at_every_byte() -> None:
    # Two extensions; every shorter block (the outer length kept honest) is
    # a decode_error naming the structure, never an IndexError.
    block = b"\x00\x0a\x00\x04\x00\x02\x00\x1d" + b"\xfa\xfa\x00\x01\x07"
    whole = m.parse_extensions(Reader(vec16(block), "ClientHello"), None)
    assert whole == {0x0A: b"\x00\x02\x00\x1d", 0xFAFA: b"\x07"}
    for cut in range(1, len(block)):
        if cut == 8:  # a whole first extension is a valid block
            assert list(m.parse_extensions(Reader(vec16(block[:cut])), None)) == [0x0A]
            continue
        with pytest.raises(TLSAlert) as info:
            m.parse_extensions(Reader(vec16(block[:cut]), "ClientHello"), None)
        assert info.value.description == 50
        assert "ClientHello is truncated" in str(info.value)
    # The outer length past the data is the enclosing reader's truncation.
    assert alert_of(m.parse_extensions, Reader(b"\x00\x09" + block[:8]), None) == 50


def test_client_hello_roundtrip() -> None:
    ch = m.ClientHello(
        b"\x01" * 32, b"\x02" * 32, [0x1301], {0x2B: b"\x02\x03\x04", 0x0A: vec16(b"\x00\x1d")}
    )
    raw = ch.serialize()
    again = m.ClientHello.parse(raw[4:])
    assert again == ch and again.serialize() == raw


def test_small_messages() -> None:
    assert m.parse_key_update(b"\x01") is True
    assert m.parse_key_update(b"\x00") is False
    assert alert_of(m.parse_key_update, b"\x02") == 47
    assert alert_of(m.parse_key_update, b"\x00\x00") == 50
    nst = m.NewSessionTicketMsg(700000, 1, b"n", b"t", {})
    assert alert_of(m.NewSessionTicketMsg.parse, nst.serialize()[4:]) == 47
    ok = m.NewSessionTicketMsg(3600, 1, b"n", b"t", {0x2A: b"\x00\x00\x04\x00"})
    assert m.NewSessionTicketMsg.parse(ok.serialize()[4:]) == ok
    assert alert_of(m.CertificateRequest.parse, b"\x00\x00\x00") == 109
    assert (
        alert_of(m.parse_server_name, vec16(b"\x00" + vec16(b"a.") + b"\x00" + vec16(b"b"))) == 47
    )
    assert m.parse_server_name(vec16(b"\x00" + vec16(b"example.com"))) == "example.com"
    assert alert_of(m.parse_certificate_authorities, vec16(b"")) == 50


# -------------------------------------------------------------------- kx


@pytest.mark.parametrize("group", [0x001D, 0x0017, 0x0018, 0x11EC])
def test_groups_agree(group: int) -> None:
    share = KeyShare(group)
    assert len(share.public) == share_length(group, client=True)
    server_share, secret = server_exchange(group, share.public)
    assert len(server_share) == share_length(group, client=False)
    assert share.exchange(server_share) == secret


def test_hybrid_layout() -> None:
    """draft-ietf-tls-ecdhe-mlkem: ML-KEM part first, then X25519, both in
    the shares and in the shared secret."""
    kem = mlkem.MLKEM768PrivateKey.generate()
    xk = x25519.X25519PrivateKey.generate()
    share = KeyShare(0x11EC, (kem, xk))
    raw = Encoding.Raw, PublicFormat.Raw
    assert share.public == kem.public_key().public_bytes_raw() + xk.public_key().public_bytes(*raw)
    server_share, secret = server_exchange(0x11EC, share.public)
    ct, xs = server_share[:1088], server_share[1088:]
    expected = kem.decapsulate(ct) + xk.exchange(x25519.X25519PublicKey.from_public_bytes(xs))
    assert secret == expected


def test_bad_shares() -> None:
    assert alert_of(server_exchange, 0x001D, b"\x00" * 32) == 47  # small order: zero output
    assert alert_of(server_exchange, 0x001D, b"\x09" * 31) == 47
    pub = ec.generate_private_key(ec.SECP256R1()).public_key()
    compressed = pub.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    assert alert_of(server_exchange, 0x0017, compressed) == 47
    assert alert_of(server_exchange, 0x0017, b"\x04" + b"\x00" * 64) == 47
    assert alert_of(server_exchange, 0x11EC, b"\x00" * 100) == 47
    assert alert_of(KeyShare(0x11EC).exchange, b"\x00" * 1119) == 47
    assert alert_of(KeyShare(0x0018).exchange, b"\x04" * 65) == 47


# ------------------------------------------------------------------ sigs


KEYS = {
    0x0403: lambda: ec.generate_private_key(ec.SECP256R1()),
    0x0503: lambda: ec.generate_private_key(ec.SECP384R1()),
    0x0603: lambda: ec.generate_private_key(ec.SECP521R1()),
    0x0804: lambda: rsa.generate_private_key(65537, 2048),
    0x0805: lambda: rsa.generate_private_key(65537, 2048),
    0x0806: lambda: rsa.generate_private_key(65537, 2048),
    0x0807: ed25519.Ed25519PrivateKey.generate,
    0x0808: ed448.Ed448PrivateKey.generate,
}


@pytest.mark.parametrize("scheme", list(KEYS))
def test_signature_schemes(scheme: int) -> None:
    key = KEYS[scheme]()
    assert scheme in signatures.key_schemes(key)
    content = signatures.SERVER_CONTEXT + hashlib.sha256(b"transcript").digest()
    sig = signatures.sign(key, scheme, content)
    pub = key.public_key()
    signatures.verify(None, pub, scheme, sig, content)  # type: ignore[arg-type]
    bad = bytearray(sig)
    bad[len(bad) // 2] ^= 1
    assert alert_of(signatures.verify, None, pub, scheme, bytes(bad), content) == 51
    assert alert_of(signatures.verify, None, pub, scheme, sig, content + b"x") == 51


def test_scheme_must_fit_the_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    sig = signatures.sign(key, 0x0403, b"data")
    assert alert_of(signatures.verify, None, key.public_key(), 0x0503, sig, b"data") == 47
    rkey = rsa.generate_private_key(65537, 2048)
    assert alert_of(signatures.verify, None, rkey.public_key(), 0x0401, b"\x00" * 256, b"d") == 47
    assert alert_of(signatures.select_scheme, [0x0403], {0x0804}) == 40
    assert signatures.select_scheme([0x0403, 0x0804], [0x0804, 0x0403]) == 0x0403


# ------------------------------------------------------------ transcript


def test_transcript_hrr_restart() -> None:
    t = Transcript()
    t.add(b"\x01\x00\x00\x02hi")
    t.restart_for_hrr("sha384")
    t.add(b"\x02\x00\x00\x00")
    ch1 = hashlib.sha384(b"\x01\x00\x00\x02hi").digest()
    expected = hashlib.sha384(b"\xfe\x00\x00\x30" + ch1 + b"\x02\x00\x00\x00").digest()
    assert t.digest() == expected


# ----------------------------------------------------------------- config


def test_config_validation() -> None:
    # A server without a certificate is valid (its handshakes fail, as OpenSSL's).
    TLSConfig(is_client=False).validate()
    with pytest.raises(ValueError):
        TLSConfig(is_client=True, cipher_suites=[0x1304]).validate()
    with pytest.raises(ValueError):
        TLSConfig(is_client=True, groups=[0x0015]).validate()
    with pytest.raises(ValueError):
        TLSConfig(is_client=True, min_version=0x0304, max_version=0x0303).validate()
    with pytest.raises(ValueError):
        TLSConfig(is_client=True, max_version=0x0303, cipher_suites=[0x1301]).validate()
    with pytest.raises(ValueError):
        TLSConfig(is_client=True, min_version=0x0301).validate()
    TLSConfig(is_client=True, max_version=0x0303).validate()
    cfg = TLSConfig(is_client=True, groups=[0x0017])
    cfg.validate()
    assert cfg.effective_key_share_groups() == [0x0017]
    assert TLSConfig(is_client=True).effective_key_share_groups() == [0x11EC, 0x001D]


def test_default_suites_follow_the_cpu() -> None:
    from cytls.crypto import backends

    suites = TLSConfig(is_client=True).cipher_suites
    assert sorted(suites[:3]) == [0x1301, 0x1302, 0x1303]
    assert sorted(suites[3:]) == [0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9]
    if backends()["aes-gcm"] == "portable":
        assert suites[0] == 0x1303 and suites[3] == 0xCCA9
    else:
        assert suites[0] == 0x1301 and suites[3] == 0xC02B


def test_prepared_is_reused_and_rebuilt() -> None:
    from tls_helpers import pki

    p = pki()
    cfg = TLSConfig(is_client=False, certificate_chain=p.chain, private_key=p.leaf_key)
    first = cfg.prepared()
    assert cfg.prepared() is first
    assert first.own_schemes == [0x0403]
    cfg.certificate_chain = [p.leaf]
    assert cfg.prepared() is not first and len(cfg.prepared().chain_der) == 1
