"""X25519 of cytls's C core (csrc/x25519.c, bound as _core.x25519 and
_core.x25519_base) and its use by the handshake's groups module.

Known answers: RFC 7748 §5.2 (both vectors, 1 and 1,000 iterations) and
§6.1, every case of Wycheproof's x25519_test.json; random cross-checks of
keygen and exchange against `cryptography`; the binding's argument checks;
and the groups module's handling of injected `cryptography` keys and of
small-order shares.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519
from vectors import vectors_dir

from cytls import _core
from cytls._handshake import groups
from cytls._wire.alerts import TLSAlert

WYCHEPROOF = vectors_dir() / "wycheproof" / "x25519_test.json"
X25519 = 0x001D
MLKEM = 0x11EC
ZERO = bytes(32)
P = 2**255 - 19


def h(s: str) -> bytes:
    return bytes.fromhex(s)


def le(n: int) -> bytes:
    return n.to_bytes(32, "little")


def reference(scalar: bytes, u: bytes) -> bytes:
    """cryptography's X25519 (its OpenSSL), for non-zero outputs."""
    priv = x25519.X25519PrivateKey.from_private_bytes(scalar)
    return priv.exchange(x25519.X25519PublicKey.from_public_bytes(u))


# ------------------------------------------------------------ RFC 7748


@pytest.mark.parametrize(
    ("scalar", "u", "out"),
    [
        (
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        ),
        (
            # u has its top bit set, which X25519 ignores.
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        ),
    ],
)
def test_rfc7748_vectors(scalar: str, u: str, out: str) -> None:
    assert _core.x25519(h(scalar), h(u)) == h(out)


def test_rfc7748_iterations() -> None:
    # §5.2: k, u = X25519(k, u), k, from k = u = 9.
    k = u = le(9)
    for i in range(1, 1001):
        k, u = _core.x25519(k, u), k
        if i == 1:
            assert k == h("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
    assert k == h("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")


def test_rfc7748_diffie_hellman() -> None:
    # §6.1: public keys by the fixed-base path, the secret from both sides.
    a = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    b = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    pa, pb = _core.x25519_base(a), _core.x25519_base(b)
    assert pa == h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert pb == h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    assert _core.x25519(a, pb) == shared
    assert _core.x25519(b, pa) == shared


# ------------------------------------------------------------ Wycheproof


def _wycheproof() -> list[dict[str, Any]]:
    data = json.loads(WYCHEPROOF.read_text())
    cases = [t for g in data["testGroups"] for t in g["tests"]]
    assert len(cases) == data["numberOfTests"] == 518
    assert {g["curve"] for g in data["testGroups"]} == {"curve25519"}
    return cases


def test_wycheproof_x25519() -> None:
    counts = {"valid": 0, "acceptable": 0, "zero": 0}
    for t in _wycheproof():
        private, public, shared = h(t["private"]), h(t["public"]), h(t["shared"])
        # No X25519 case is "invalid": every u is a valid input (RFC 7748
        # §5). "acceptable" ones (twist, non-canonical, small order) must
        # still give exactly the listed output.
        assert t["result"] in ("valid", "acceptable"), t["tcId"]
        assert _core.x25519(private, public) == shared, t["tcId"]
        counts[t["result"]] += 1
        # The all-zero outputs are those flagged ZeroSharedSecret, all
        # "acceptable"; the handshake refuses each (next test).
        if shared == ZERO:
            assert "ZeroSharedSecret" in t["flags"] and t["result"] == "acceptable"
            counts["zero"] += 1
        else:
            assert "ZeroSharedSecret" not in t["flags"]
    assert counts == {"valid": 264, "acceptable": 254, "zero": 31}


def test_wycheproof_zero_outputs_refused_by_the_handshake() -> None:
    zero = [t for t in _wycheproof() if "ZeroSharedSecret" in t["flags"]]
    assert len(zero) == 31
    for t in zero:
        key = x25519.X25519PrivateKey.from_private_bytes(h(t["private"]))
        with pytest.raises(TLSAlert) as err:
            groups.server_exchange(X25519, h(t["public"]), key)
        assert err.value.description == 47, t["tcId"]  # illegal_parameter
        share = groups.KeyShare(X25519, key)
        with pytest.raises(TLSAlert):
            share.exchange(h(t["public"]))


# ------------------------------------------------- against cryptography


def test_keygen_matches_cryptography() -> None:
    for _ in range(300):
        k = os.urandom(32)
        want = x25519.X25519PrivateKey.from_private_bytes(k).public_key().public_bytes_raw()
        assert _core.x25519_base(k) == want, k.hex()
    # Scalars whose 4-bit windows take their extreme values everywhere.
    for fill in (0x00, 0xFF, 0x88, 0x77, 0x80, 0x08, 0xF0, 0x0F):
        k = bytes([fill]) * 32
        want = x25519.X25519PrivateKey.from_private_bytes(k).public_key().public_bytes_raw()
        assert _core.x25519_base(k) == want, k.hex()


def test_exchange_matches_cryptography() -> None:
    for i in range(300):
        k = os.urandom(32)
        # Half the peers are real public keys, half arbitrary 32-byte
        # strings (top bit, twist points and values >= p included).
        if i % 2:
            u = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
        else:
            u = os.urandom(32)
        assert _core.x25519(k, u) == reference(k, u), (k.hex(), u.hex())


def test_base_equals_ladder_on_nine() -> None:
    for _ in range(100):
        k = os.urandom(32)
        assert _core.x25519_base(k) == _core.x25519(k, le(9))


def test_u_reduced_mod_p_and_top_bit_ignored() -> None:
    k = os.urandom(32)
    # The non-canonical encodings below 2^255 are p + u for u < 19.
    for u in range(2, 19):
        assert _core.x25519(k, le(u + P)) == _core.x25519(k, le(u)), u
    for u in (9, 2**200 + 12345, P - 2):
        top = bytearray(le(u))
        top[31] |= 0x80
        assert _core.x25519(k, top) == _core.x25519(k, le(u))
    # u = p is 0 and u = p + 1 is 1: small order, all-zero output.
    assert _core.x25519(k, le(P)) == ZERO
    assert _core.x25519(k, le(P + 1)) == ZERO


# ------------------------------------------------------------- binding


def test_buffer_types() -> None:
    k, u = os.urandom(32), os.urandom(32)
    want = _core.x25519(k, u)
    assert _core.x25519(bytearray(k), memoryview(u)) == want
    assert _core.x25519(memoryview(bytearray(k)), bytearray(u)) == want
    assert _core.x25519_base(bytearray(k)) == _core.x25519_base(memoryview(k))
    assert type(_core.x25519(k, u)) is bytes and type(_core.x25519_base(k)) is bytes


@pytest.mark.parametrize("n", [0, 1, 31, 33, 64])
def test_wrong_lengths(n: int) -> None:
    good, bad = bytes(32), bytes(n)
    with pytest.raises(ValueError):
        _core.x25519(bad, good)
    with pytest.raises(ValueError):
        _core.x25519(good, bad)
    with pytest.raises(ValueError):
        _core.x25519_base(bad)


def test_not_buffers() -> None:
    with pytest.raises(TypeError):
        _core.x25519("0" * 32, bytes(32))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _core.x25519_base(None)  # type: ignore[arg-type]


def test_inputs_untouched() -> None:
    k, u = bytearray(os.urandom(32)), bytearray(os.urandom(32))
    k0, u0 = bytes(k), bytes(u)
    _core.x25519(k, u)
    _core.x25519_base(k)
    assert (bytes(k), bytes(u)) == (k0, u0)  # clamping works on a copy


# -------------------------------------------------------------- groups


def test_injected_cryptography_keys() -> None:
    # Tests (RFC 8448 traces) inject cryptography keys; their raw scalars
    # are used, so the shares and secrets are the ones cryptography gives.
    ck, sk = x25519.X25519PrivateKey.generate(), x25519.X25519PrivateKey.generate()
    share = groups.KeyShare(X25519, ck)
    assert share.public == ck.public_key().public_bytes_raw()
    server_share, secret = groups.server_exchange(X25519, share.public, sk)
    assert server_share == sk.public_key().public_bytes_raw()
    assert secret == sk.exchange(ck.public_key())
    assert share.exchange(server_share) == secret


def test_server_ignores_a_key_of_another_group() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1())
    ck = x25519.X25519PrivateKey.generate()
    server_share, secret = groups.server_exchange(X25519, ck.public_key().public_bytes_raw(), other)
    assert secret == ck.exchange(x25519.X25519PublicKey.from_public_bytes(server_share))


def test_fresh_keys_differ() -> None:
    shares = {groups.KeyShare(X25519).public for _ in range(20)}
    assert len(shares) == 20


def test_hybrid_x25519_half() -> None:
    if not groups.HAVE_MLKEM:
        pytest.skip("cryptography without ML-KEM")
    from cryptography.hazmat.primitives.asymmetric import mlkem

    kem, xk = mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate()
    share = groups.KeyShare(MLKEM, (kem, xk))
    assert share.public[1184:] == xk.public_key().public_bytes_raw()
    server_share, secret = groups.server_exchange(MLKEM, share.public)
    xs = server_share[1088:]
    assert secret[32:] == xk.exchange(x25519.X25519PublicKey.from_public_bytes(xs))
    assert share.exchange(server_share) == secret
    # A small-order X25519 half is refused on both sides.
    for small in (ZERO, le(1)):
        with pytest.raises(TLSAlert) as err:
            groups.server_exchange(MLKEM, share.public[:1184] + small)
        assert err.value.description == 47
        with pytest.raises(TLSAlert) as err:
            share.exchange(server_share[:1088] + small)
        assert err.value.description == 47


@pytest.mark.parametrize("bad", [b"", bytes(31), bytes(33)])
def test_wrong_length_shares(bad: bytes) -> None:
    with pytest.raises(TLSAlert) as err:
        groups.server_exchange(X25519, bad)
    assert err.value.description == 47
    with pytest.raises(TLSAlert) as err:
        groups.KeyShare(X25519).exchange(bad)
    assert err.value.description == 47
