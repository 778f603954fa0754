"""AES-128/256-GCM through cytls.crypto.AESGCM.

Owns: the Wycheproof and NIST (cryptography-vectors) known answers, the
differential tests against `cryptography`, tampering and bad sizes, each at
every backend level this CPU runs. Must not: leave a level forced (every
test restores "native").
"""

from __future__ import annotations

import json
import random
import re
import threading
from pathlib import Path
from typing import Any

import cryptography_vectors
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM as RefAESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vectors import MAX_EXAMPLES, distinct_levels, level_fixture, vectors_dir

from cytls import _core, crypto
from cytls.crypto import AESGCM, InvalidTag

WYCHEPROOF = vectors_dir() / "wycheproof" / "aes_gcm_test.json"
NIST_DIR = Path(cryptography_vectors.__file__).resolve().parent / "ciphers" / "AES" / "GCM"

# One level per distinct AES-GCM backend.
LEVELS = distinct_levels("aes-gcm")
level = level_fixture(LEVELS)


def _expected_native_backend() -> str:
    """The backend the detected CPU features call for."""
    feats = set(_core.cpu_features(detected=True))
    if "arm-aes+pmull" in feats:
        return "armce"
    if {"aesni", "pclmulqdq", "avx2", "vaes+vpclmulqdq", "avx512"} <= feats:
        return "vaes512"
    if {"aesni", "pclmulqdq", "avx2", "vaes+vpclmulqdq"} <= feats:
        return "vaes256"
    if {"aesni", "pclmulqdq"} <= feats:
        return "aesni"
    return "portable"


def test_levels_cover_every_backend() -> None:
    """portable comes first; native uses the best backend the CPU allows."""
    assert LEVELS[0] == "portable"
    crypto.force_backend("portable")
    try:
        assert crypto.backends()["aes-gcm"] == "portable"
    finally:
        crypto.force_backend("native")
    assert crypto.backends()["aes-gcm"] == _expected_native_backend()
    crypto.force_backend(LEVELS[-1])
    try:
        assert crypto.backends()["aes-gcm"] == _expected_native_backend()
    finally:
        crypto.force_backend("native")


# ------------------------------------------------------------------ Wycheproof


def _wycheproof_groups() -> list[dict[str, Any]]:
    data = json.loads(WYCHEPROOF.read_text())
    total = sum(len(g["tests"]) for g in data["testGroups"])
    assert total == data["numberOfTests"]
    groups: list[dict[str, Any]] = data["testGroups"]
    return groups


WYCHEPROOF_GROUPS = _wycheproof_groups()


def test_wycheproof(level: str) -> None:
    """Every case: 128/256-bit keys with 96-bit IVs are checked exactly;
    other key and IV sizes must be refused with ValueError."""
    supported = refused = 0
    for group in WYCHEPROOF_GROUPS:
        assert group["tagSize"] == 128
        for t in group["tests"]:
            key, iv = bytes.fromhex(t["key"]), bytes.fromhex(t["iv"])
            aad, msg = bytes.fromhex(t["aad"]), bytes.fromhex(t["msg"])
            ct_tag = bytes.fromhex(t["ct"]) + bytes.fromhex(t["tag"])
            ident = f"tcId {t['tcId']} ({t['comment']})"
            if group["keySize"] not in (128, 256):
                with pytest.raises(ValueError):
                    AESGCM(key)
                refused += 1
                continue
            aead = AESGCM(key)
            if group["ivSize"] != 96:
                with pytest.raises(ValueError):
                    aead.encrypt(iv, msg, aad)
                with pytest.raises(ValueError):
                    aead.decrypt(iv, ct_tag, aad)
                refused += 1
                continue
            if t["result"] == "valid":
                assert aead.encrypt(iv, msg, aad) == ct_tag, ident
                assert aead.decrypt(iv, ct_tag, aad) == msg, ident
            else:
                assert t["result"] == "invalid", ident
                with pytest.raises(InvalidTag):
                    aead.decrypt(iv, ct_tag, aad)
            supported += 1
    # Counts of the vector file in tests/vectors (Wycheproof dac1dd47).
    assert supported + refused == sum(len(g["tests"]) for g in WYCHEPROOF_GROUPS)
    assert supported > 100 and refused > 100


# ------------------------------------------------------------ NIST (CAVS)


def _nist_cases(name: str) -> list[dict[str, str]]:
    """Cases of a CAVS .rsp file with a 96-bit IV and a 128-bit tag."""
    cases: list[dict[str, str]] = []
    params: dict[str, str] = {}
    current: dict[str, str] | None = None
    for raw in (NIST_DIR / name).read_text().splitlines():
        line = raw.strip()
        m = re.fullmatch(r"\[(\w+) = (\d+)\]", line)
        if m:
            params[m.group(1)] = m.group(2)
            continue
        if line.startswith("Count = "):
            current = {}
            if params.get("IVlen") == "96" and params.get("Taglen") == "128":
                cases.append(current)
            continue
        if current is None:
            continue
        if line == "FAIL":
            current["FAIL"] = "1"
        elif " = " in line or line.endswith(" ="):
            k, _, v = line.partition("=")
            current[k.strip()] = v.strip()
    return cases


NIST_FILES = [
    "gcmEncryptExtIV128.rsp",
    "gcmEncryptExtIV256.rsp",
    "gcmDecrypt128.rsp",
    "gcmDecrypt256.rsp",
]
NIST = {name: _nist_cases(name) for name in NIST_FILES}


def test_nist_vectors_parsed() -> None:
    for name, cases in NIST.items():
        assert len(cases) == 375, name  # 25 (PTlen, AADlen) groups of 15 per file
    assert any("FAIL" in c for c in NIST["gcmDecrypt128.rsp"])


@pytest.mark.parametrize("name", NIST_FILES)
def test_nist(level: str, name: str) -> None:
    for c in NIST[name]:
        key, iv = bytes.fromhex(c["Key"]), bytes.fromhex(c["IV"])
        aad, ct, tag = bytes.fromhex(c["AAD"]), bytes.fromhex(c["CT"]), bytes.fromhex(c["Tag"])
        aead = AESGCM(key)
        if "FAIL" in c:
            with pytest.raises(InvalidTag):
                aead.decrypt(iv, ct + tag, aad)
            continue
        pt = bytes.fromhex(c["PT"])
        assert aead.encrypt(iv, pt, aad) == ct + tag, c
        assert aead.decrypt(iv, ct + tag, aad) == pt, c


# ----------------------------------------------------------- differential


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    key_len=st.sampled_from([16, 32]),
    length=st.one_of(st.integers(0, 600), st.integers(0, 70000)),
    aad_len=st.one_of(st.integers(0, 64), st.integers(0, 2000)),
    offsets=st.tuples(st.integers(0, 15), st.integers(0, 15), st.integers(0, 15)),
    kind=st.sampled_from(["bytes", "bytearray", "memoryview"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_differential(
    level: str,
    key_len: int,
    length: int,
    aad_len: int,
    offsets: tuple[int, int, int],
    kind: str,
    seed: int,
) -> None:
    rng = random.Random(seed)
    key, nonce = rng.randbytes(key_len), rng.randbytes(12)
    pt, aad = rng.randbytes(length), rng.randbytes(aad_len)
    ref = RefAESGCM(key).encrypt(nonce, pt, aad)

    def wrap(data: bytes, off: int) -> Any:
        if kind == "bytes":
            return data
        if kind == "bytearray":
            return bytearray(data)
        # an unaligned slice of a larger buffer
        buf = bytearray(rng.randbytes(off)) + bytearray(data) + bytearray(b"\xaa" * 7)
        return memoryview(buf)[off : off + len(data)]

    aead = AESGCM(wrap(key, offsets[0]))
    out = aead.encrypt(wrap(nonce, offsets[1]), wrap(pt, offsets[2]), wrap(aad, offsets[0]))
    assert out == ref
    assert aead.decrypt(wrap(nonce, offsets[2]), wrap(ref, offsets[1]), wrap(aad, offsets[2])) == pt
    if length:
        bad = bytearray(ref)
        bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
        with pytest.raises(InvalidTag):
            aead.decrypt(nonce, wrap(bytes(bad), offsets[0]), aad)


def test_every_length_small(level: str) -> None:
    """Lengths 0..300 in a row, crossing every block and group boundary."""
    rng = random.Random(7)
    for key_len in (16, 32):
        key = rng.randbytes(key_len)
        ours, ref = AESGCM(key), RefAESGCM(key)
        for n in range(301):
            nonce, pt, aad = rng.randbytes(12), rng.randbytes(n), rng.randbytes(n % 41)
            ct = ours.encrypt(nonce, pt, aad)
            assert ct == ref.encrypt(nonce, pt, aad), n
            assert ours.decrypt(nonce, ct, aad) == pt


def test_none_and_empty_aad_agree(level: str) -> None:
    aead = AESGCM(bytes(range(16)))
    nonce = bytes(12)
    assert aead.encrypt(nonce, b"abc", None) == aead.encrypt(nonce, b"abc", b"")
    assert aead.decrypt(nonce, aead.encrypt(nonce, b"abc", None), None) == b"abc"


# -------------------------------------------------------------- tampering


def test_every_tampered_byte_rejected(level: str) -> None:
    rng = random.Random(3)
    for key_len in (16, 32):
        key, nonce = rng.randbytes(key_len), rng.randbytes(12)
        pt, aad = rng.randbytes(37), rng.randbytes(21)
        aead = AESGCM(key)
        ct = aead.encrypt(nonce, pt, aad)
        for i in range(len(ct)):  # ciphertext and tag
            for bit in (0, 7):
                bad = bytearray(ct)
                bad[i] ^= 1 << bit
                with pytest.raises(InvalidTag):
                    aead.decrypt(nonce, bytes(bad), aad)
        for i in range(len(aad)):
            bad_aad = bytearray(aad)
            bad_aad[i] ^= 0x40
            with pytest.raises(InvalidTag):
                aead.decrypt(nonce, ct, bytes(bad_aad))
        bad_nonce = bytearray(nonce)
        bad_nonce[11] ^= 1
        with pytest.raises(InvalidTag):
            aead.decrypt(bytes(bad_nonce), ct, aad)
        with pytest.raises(InvalidTag):
            aead.decrypt(nonce, ct[:-1], aad)  # truncated tag
        with pytest.raises(InvalidTag):
            aead.decrypt(nonce, ct + b"\x00", aad)  # extended
        assert aead.decrypt(nonce, ct, aad) == pt


def test_short_input_rejected(level: str) -> None:
    aead = AESGCM(bytes(16))
    for n in range(16):
        with pytest.raises(InvalidTag):
            aead.decrypt(bytes(12), bytes(n), b"")


# -------------------------------------------------------------- bad sizes


@pytest.mark.parametrize("n", [0, 1, 8, 15, 17, 24, 31, 33, 64])
def test_bad_key_size(n: int) -> None:
    with pytest.raises(ValueError, match="16 or 32 bytes"):
        AESGCM(bytes(n))


@pytest.mark.parametrize("n", [0, 1, 8, 11, 13, 16, 32])
def test_bad_nonce_size(n: int) -> None:
    aead = AESGCM(bytes(16))
    with pytest.raises(ValueError, match="12 bytes"):
        aead.encrypt(bytes(n), b"data", b"")
    with pytest.raises(ValueError, match="12 bytes"):
        aead.decrypt(bytes(n), bytes(32), b"")


# ------------------------------------------------- keys keep their backend


def test_key_keeps_the_backend_that_expanded_it() -> None:
    """Forcing another level after a key exists must not mix key layouts."""
    rng = random.Random(11)
    key, nonce, pt = rng.randbytes(32), rng.randbytes(12), rng.randbytes(5000)
    want = RefAESGCM(key).encrypt(nonce, pt, b"hdr")
    keys = []
    try:
        for lv in LEVELS:
            crypto.force_backend(lv)
            keys.append(AESGCM(key))
        for lv in reversed(LEVELS):
            crypto.force_backend(lv)
            for k in keys:
                assert k.encrypt(nonce, pt, b"hdr") == want
                assert k.decrypt(nonce, want, b"hdr") == pt
    finally:
        crypto.force_backend("native")


def test_threads_share_a_key() -> None:
    """Large inputs run without the GIL; one key serves several threads."""
    key = bytes(range(32))
    aead, ref = AESGCM(key), RefAESGCM(key)
    errors: list[str] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(20):
            nonce, pt = rng.randbytes(12), rng.randbytes(rng.randrange(4096, 70000))
            ct = aead.encrypt(nonce, pt, None)
            if ct != ref.encrypt(nonce, pt, None) or aead.decrypt(nonce, ct, None) != pt:
                errors.append(f"thread {seed} mismatch")

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
