"""ChaCha20-Poly1305 (RFC 8439) through cytls.crypto.ChaCha20Poly1305.

Owns: the Wycheproof, RFC 8439 and cryptography-vectors known answers, the
differential tests against `cryptography`, tampering and bad sizes, each at
every backend level this CPU runs. Must not: leave a level forced (every
test restores "native").
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import cryptography_vectors
import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305 as RefChaCha
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vectors import MAX_EXAMPLES, distinct_levels, level_fixture, vectors_dir

from cytls import crypto
from cytls.crypto import ChaCha20Poly1305, InvalidTag

VECTORS = vectors_dir()
WYCHEPROOF = VECTORS / "wycheproof" / "chacha20_poly1305_test.json"
CRYPTOGRAPHY_DIR = (
    Path(cryptography_vectors.__file__).resolve().parent / "ciphers" / "ChaCha20Poly1305"
)

# One level per distinct (chacha20, poly1305) backend pair.
LEVELS = distinct_levels("chacha20", "poly1305")
level = level_fixture(LEVELS)


def test_levels_cover_every_backend() -> None:
    """portable is always among the levels, and native is the best one."""
    assert LEVELS[0] == "portable"
    crypto.force_backend("portable")
    try:
        assert crypto.backends()["chacha20"] == "portable"
        assert crypto.backends()["poly1305"] == "portable"
    finally:
        crypto.force_backend("native")
    crypto.force_backend(LEVELS[-1])
    best = crypto.backends()
    crypto.force_backend("native")
    native = crypto.backends()
    assert (best["chacha20"], best["poly1305"]) == (native["chacha20"], native["poly1305"])


# ------------------------------------------------------------------ Wycheproof


def _wycheproof_cases() -> list[Any]:
    data = json.loads(WYCHEPROOF.read_text())
    cases = []
    for group in data["testGroups"]:
        for t in group["tests"]:
            cases.append(pytest.param(group["ivSize"], group["keySize"], t, id=f"tc{t['tcId']}"))
    assert len(cases) == data["numberOfTests"]
    return cases


WYCHEPROOF_CASES = _wycheproof_cases()


def test_wycheproof(level: str) -> None:
    checked = 0
    for p in WYCHEPROOF_CASES:
        iv_size, key_size, t = p.values
        key, iv = bytes.fromhex(t["key"]), bytes.fromhex(t["iv"])
        aad, msg = bytes.fromhex(t["aad"]), bytes.fromhex(t["msg"])
        ct_tag = bytes.fromhex(t["ct"]) + bytes.fromhex(t["tag"])
        assert key_size == 256 and len(key) == 32
        aead = ChaCha20Poly1305(key)
        if iv_size != 96:
            # RFC 8439 AEAD takes 96-bit nonces only; anything else is a size error.
            assert t["result"] == "invalid", t["tcId"]
            with pytest.raises(ValueError):
                aead.encrypt(iv, msg, aad)
            with pytest.raises(ValueError):
                aead.decrypt(iv, ct_tag, aad)
        elif t["result"] == "valid":
            assert aead.encrypt(iv, msg, aad) == ct_tag, t["tcId"]
            assert aead.decrypt(iv, ct_tag, aad) == msg, t["tcId"]
        else:
            assert aead.encrypt(iv, msg, aad) != ct_tag, t["tcId"]
            with pytest.raises(InvalidTag):
                aead.decrypt(iv, ct_tag, aad)
        checked += 1
    assert checked == len(WYCHEPROOF_CASES) > 300


# ------------------------------------------------------------------ RFC 8439 and cryptography-vectors

SUNSCREEN = (
    b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    b"sunscreen would be it."
)


def test_rfc8439_section_2_8_2(level: str) -> None:
    # RFC 8439 §2.8.2
    key = bytes(range(0x80, 0xA0))
    nonce = bytes.fromhex("070000004041424344454647")
    aad = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
    expected = bytes.fromhex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116"
        "1ae10b594f09e26a7e902ecbd0600691"
    )
    aead = ChaCha20Poly1305(key)
    assert aead.encrypt(nonce, SUNSCREEN, aad) == expected
    assert aead.decrypt(nonce, expected, aad) == SUNSCREEN


def _parse_nist_style(path: Path) -> list[dict[str, str]]:
    """Blocks of `Name = value` lines; quoted values are ASCII, others hex."""
    records: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            if cur:
                records.append(cur)
                cur = {}
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1].encode().hex()
        cur[name.strip().lower()] = value
    if cur:
        records.append(cur)
    return [r for r in records if "count" in r]


def test_rfc8439_appendix_a5_and_openssl_vectors(level: str) -> None:
    # openssl.txt COUNT = 1 is RFC 8439 Appendix A.5; the others are OpenSSL's.
    records = _parse_nist_style(CRYPTOGRAPHY_DIR / "openssl.txt")
    assert len(records) == 5
    for r in records:
        aead = ChaCha20Poly1305(bytes.fromhex(r["key"]))
        nonce, aad = bytes.fromhex(r["iv"]), bytes.fromhex(r["aad"])
        pt = bytes.fromhex(r["plaintext"])
        ct_tag = bytes.fromhex(r["ciphertext"]) + bytes.fromhex(r["tag"])
        if r.get("result") == "CIPHERFINAL_ERROR":
            with pytest.raises(InvalidTag):
                aead.decrypt(nonce, ct_tag, aad)
        else:
            assert aead.encrypt(nonce, pt, aad) == ct_tag, r["count"]
            assert aead.decrypt(nonce, ct_tag, aad) == pt, r["count"]


def test_boringssl_vectors(level: str) -> None:
    records = _parse_nist_style(CRYPTOGRAPHY_DIR / "boringssl.txt")
    assert len(records) == 66
    for r in records:
        aead = ChaCha20Poly1305(bytes.fromhex(r["key"]))
        nonce, aad, pt = bytes.fromhex(r["nonce"]), bytes.fromhex(r["ad"]), bytes.fromhex(r["in"])
        ct_tag = bytes.fromhex(r["ct"]) + bytes.fromhex(r["tag"])
        assert aead.encrypt(nonce, pt, aad) == ct_tag, r["count"]
        assert aead.decrypt(nonce, ct_tag, aad) == pt, r["count"]


# ------------------------------------------------------------------ differential against cryptography


def _as_kind(data: bytes, kind: str, offset: int) -> Any:
    """bytes, a bytearray, or an unaligned memoryview slice holding data."""
    if kind == "bytes":
        return data
    if kind == "bytearray":
        return bytearray(data)
    backing = bytearray(b"\x5a" * offset) + bytearray(data) + bytearray(b"\xee" * 3)
    return memoryview(backing)[offset : offset + len(data)]


sizes = st.one_of(
    st.integers(0, 600),
    st.integers(0, 70000),
    st.sampled_from([4095, 4096, 4097, 16383, 16384, 16385, 65536, 70000]),
)
kinds = st.sampled_from(["bytes", "bytearray", "memoryview"])


@pytest.mark.parametrize("lvl", LEVELS)
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.binary(min_size=32, max_size=32),
    nonce=st.binary(min_size=12, max_size=12),
    size=sizes,
    aad=st.binary(max_size=300),
    kind=kinds,
    offset=st.integers(1, 15),
    seed=st.binary(min_size=8, max_size=8),
)
def test_matches_cryptography(
    lvl: str, key: bytes, nonce: bytes, size: int, aad: bytes, kind: str, offset: int, seed: bytes
) -> None:
    msg = random.Random(seed).randbytes(size)
    ref = RefChaCha(key).encrypt(nonce, msg, aad)
    crypto.force_backend(lvl)
    try:
        aead = ChaCha20Poly1305(_as_kind(key, kind, offset))
        got = aead.encrypt(
            _as_kind(nonce, kind, offset), _as_kind(msg, kind, offset), _as_kind(aad, kind, offset)
        )
        assert got == ref
        back = aead.decrypt(
            _as_kind(nonce, kind, offset), _as_kind(ref, kind, offset), _as_kind(aad, kind, offset)
        )
        assert back == msg
        # None and b"" are the same empty associated data.
        if not aad:
            assert aead.encrypt(nonce, msg, None) == ref
    finally:
        crypto.force_backend("native")


# ------------------------------------------------------------------ tampering and bad sizes


def test_every_tampered_byte_rejected(level: str) -> None:
    key, nonce = os.urandom(32), os.urandom(12)
    aad, msg = os.urandom(13), os.urandom(37)
    aead = ChaCha20Poly1305(key)
    sealed = aead.encrypt(nonce, msg, aad)
    assert aead.decrypt(nonce, sealed, aad) == msg
    for i in range(len(sealed)):
        for mask in (0x01, 0x80):
            bad = bytearray(sealed)
            bad[i] ^= mask
            with pytest.raises(InvalidTag):
                aead.decrypt(nonce, bytes(bad), aad)
    for i in range(len(aad)):
        bad_aad = bytearray(aad)
        bad_aad[i] ^= 0x40
        with pytest.raises(InvalidTag):
            aead.decrypt(nonce, sealed, bytes(bad_aad))
    for i in range(len(nonce)):
        bad_nonce = bytearray(nonce)
        bad_nonce[i] ^= 0x02
        with pytest.raises(InvalidTag):
            aead.decrypt(bytes(bad_nonce), sealed, aad)
    with pytest.raises(InvalidTag):
        aead.decrypt(nonce, sealed[:-1], aad)
    with pytest.raises(InvalidTag):
        aead.decrypt(nonce, sealed + b"\x00", aad)
    with pytest.raises(InvalidTag):
        aead.decrypt(nonce, sealed, None)
    with pytest.raises(InvalidTag):
        ChaCha20Poly1305(bytes(a ^ 1 for a in key)).decrypt(nonce, sealed, aad)


def test_large_tampered_message_rejected(level: str) -> None:
    key, nonce = os.urandom(32), os.urandom(12)
    aead = ChaCha20Poly1305(key)
    sealed = bytearray(aead.encrypt(nonce, os.urandom(20000), b"hdr"))
    for i in (0, 4095, 4096, 10000, 19999, 20000, 20015):
        sealed[i] ^= 0x10
        with pytest.raises(InvalidTag):
            aead.decrypt(nonce, sealed, b"hdr")
        sealed[i] ^= 0x10


@pytest.mark.parametrize("n", [0, 1, 16, 31, 33, 64])
def test_bad_key_size(n: int) -> None:
    with pytest.raises(ValueError):
        ChaCha20Poly1305(b"\x01" * n)


@pytest.mark.parametrize("n", [0, 8, 11, 13, 16, 24])
def test_bad_nonce_size(level: str, n: int) -> None:
    aead = ChaCha20Poly1305(os.urandom(32))
    good = aead.encrypt(b"\x00" * 12, b"data", b"")
    with pytest.raises(ValueError):
        aead.encrypt(b"\x00" * n, b"data", b"")
    with pytest.raises(ValueError):
        aead.decrypt(b"\x00" * n, good, b"")


@pytest.mark.parametrize("n", [0, 1, 15])
def test_shorter_than_tag_rejected(level: str, n: int) -> None:
    with pytest.raises(InvalidTag):
        ChaCha20Poly1305(os.urandom(32)).decrypt(b"\x00" * 12, b"\x00" * n, b"")


def test_empty_message_is_only_a_tag(level: str) -> None:
    key, nonce = os.urandom(32), os.urandom(12)
    sealed = ChaCha20Poly1305(key).encrypt(nonce, b"", b"aad")
    assert len(sealed) == 16
    assert sealed == RefChaCha(key).encrypt(nonce, b"", b"aad")
    assert ChaCha20Poly1305(key).decrypt(nonce, sealed, b"aad") == b""
