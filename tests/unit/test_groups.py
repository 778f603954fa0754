"""Every standard group: handshakes in both versions, the RFC 7919 primes,
and malformed shares in both roles with the exact alert (RFC 8446 §4.2.8,
§6; RFC 7919 §5.1)."""

from __future__ import annotations

import random

import pytest
from malformed13 import (
    DECODE_ERROR,
    ILLEGAL_PARAMETER,
    client_alert,
    client_hello,
    edit_server_hello,
    hs_record,
    rebuild_ch,
    replace,
    server_alert,
)
from tls_helpers import client_config, pair, server_config, split_records

from cytls._connection import Connection
from cytls._handshake import ffdhe, groups
from cytls._handshake.config import DEFAULT_GROUPS, SUPPORTED_GROUPS, TLSConfig
from cytls._ssl.ciphers import GROUPS_BY_NAME
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec16
from cytls._wire.messages import ServerHello

P521, X448, X25519, P256, P384, MLKEM = 0x0019, 0x001E, 0x001D, 0x0017, 0x0018, 0x11EC
FFDHE = (0x0100, 0x0101, 0x0102, 0x0103, 0x0104)
NEW_GROUPS = (P521, X448, *FFDHE)
ALL_GROUPS = (MLKEM, X25519, P256, P384, *NEW_GROUPS)


# ---------------------------------------------------------- the primes


def _miller_rabin(n: int, rounds: int = 8) -> bool:
    """Probable-prime test with random bases (error below 4^-rounds)."""
    if n % 2 == 0:
        return n == 2
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    rng = random.Random(n)
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@pytest.mark.parametrize(
    "group", [*FFDHE[:3], *(pytest.param(g, marks=pytest.mark.slow) for g in FFDHE[3:])]
)
def test_ffdhe_prime_is_a_safe_prime(group: int) -> None:
    p = ffdhe.prime(group)
    bits = {0x0100: 2048, 0x0101: 3072, 0x0102: 4096, 0x0103: 6144, 0x0104: 8192}[group]
    assert p.bit_length() == bits
    # RFC 7919 Appendix A: the top and bottom 64 bits are all ones.
    assert p >> (bits - 64) == (1 << 64) - 1
    assert p & ((1 << 64) - 1) == (1 << 64) - 1
    assert p % 24 == 23  # a safe prime with generator 2 a quadratic residue
    # q = (p - 1) / 2 is a probable prime (Miller-Rabin); then p is prime
    # by Pocklington's criterion: p - 1 = 2q with q > sqrt(p), 2^(p-1) = 1
    # (mod p) and gcd(2^2 - 1, p) = 1.
    q = (p - 1) // 2
    assert _miller_rabin(q, 4 if bits <= 3072 else 1)
    assert pow(2, p - 1, p) == 1 and p % 3 != 0


def test_ffdhe2048_prime_digits() -> None:
    # The first and last words of RFC 7919 A.1's hexadecimal listing.
    text = f"{ffdhe.prime(0x0100):X}"
    assert text.startswith("FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1")
    assert text.endswith("886B423861285C97FFFFFFFFFFFFFFFF")


# ---------------------------------------------------------- handshakes


def test_defaults() -> None:
    assert tuple(DEFAULT_GROUPS) == (MLKEM, X25519, P256, P384)
    assert set(SUPPORTED_GROUPS) == set(ALL_GROUPS)
    assert TLSConfig(is_client=True).groups == list(DEFAULT_GROUPS)
    assert set(server_config().groups) == set(ALL_GROUPS)
    # An explicit server list is kept as given.
    assert server_config(groups=[X25519]).groups == [X25519]
    # The client's offer stays small: four groups, shares for two.
    ch = ClientHelloView(client_hello())
    assert ch.groups == [MLKEM, X25519, P256, P384]
    assert ch.share_groups == [MLKEM, X25519]


class ClientHelloView:
    def __init__(self, msg: bytes) -> None:
        from cytls._wire import messages as m

        hello = m.ClientHello.parse(msg[4:])
        self.groups = m.parse_u16_list(hello.extensions[0x0A], "supported_groups")
        shares = (
            m.parse_client_key_shares(hello.extensions[0x33]) if 0x33 in hello.extensions else []
        )
        self.share_groups = [g for g, _ in shares]


@pytest.mark.parametrize("group", NEW_GROUPS)
def test_tls13_handshake_each_group(group: int) -> None:
    c, s = pair(client_config(groups=[group]))
    assert c.handshake_complete and s.handshake_complete
    assert c.group == s.group == group


@pytest.mark.parametrize("group", (*FFDHE[:2], P521, X448))
def test_tls13_hello_retry_to_each_group(group: int) -> None:
    ccfg = client_config(groups=[X25519, group], key_share_groups=[X25519])
    c, s = pair(ccfg, server_config(groups=[group]))
    assert c.handshake_complete and c.group == s.group == group


@pytest.mark.parametrize("group", (P521, X448))
def test_tls12_ecdhe_each_group(group: int) -> None:
    c, s = pair(client_config("rsa", groups=[group], max_version=0x0303), server_config("rsa"))
    assert c.handshake_complete and s.handshake_complete
    assert c.group == s.group == group
    assert s.version == 0x0303


def test_ffdhe_is_not_offered_in_tls12() -> None:
    # A TLS 1.2 client leaves FFDHE out of supported_groups; a server
    # that only has FFDHE then has no group for it.
    c = Connection(client_config("rsa", groups=[0x0100, X25519], max_version=0x0303))
    c.start_handshake()
    assert ClientHelloView(split_records(c.data_to_send())[0][5:]).groups == [X25519]
    c = Connection(client_config("rsa", groups=[0x0100, X25519], max_version=0x0303))
    c.start_handshake()
    with pytest.raises(TLSAlert) as info:
        Connection(server_config("rsa", groups=[0x0100])).receive_data(c.data_to_send())
    assert info.value.description == 40  # handshake_failure: no group in common


def test_group_names() -> None:
    names = {
        "secp521r1": P521,
        "P-521": P521,
        "x448": X448,
        "X448": X448,
        "ffdhe2048": 0x0100,
        "ffdhe3072": 0x0101,
        "ffdhe4096": 0x0102,
        "ffdhe6144": 0x0103,
        "ffdhe8192": 0x0104,
    }
    for name, code in names.items():
        assert GROUPS_BY_NAME[name.lower()] == code


def test_shared_secret_left_padded() -> None:
    # RFC 8446 §7.4.1: Z keeps the prime's length even when it has
    # leading zero bytes; find such a pair with small tries.
    group = 0x0100
    a = ffdhe.FFDHEKey(group)
    for _ in range(2000):
        b = ffdhe.FFDHEKey(group)
        z = a.exchange(b.public)
        assert len(z) == 256
        if z[0] == 0:
            assert b.exchange(a.public) == z
            return
    pytest.skip("no secret with a leading zero byte in 2000 tries")  # pragma: no cover


# ---------------------------------------------------------- bad shares


def _bad_values(group: int) -> list[tuple[str, bytes]]:
    """Shares of the right vector form whose value is bad."""
    n = groups.share_length(group, client=True)
    out = [("one byte short", b"\x01" * (n - 1)), ("one byte long", b"\x01" * (n + 1))]
    if ffdhe.is_ffdhe(group):
        p = ffdhe.prime(group)
        for name, y in (("0", 0), ("1", 1), ("p-1", p - 1), ("p", p), ("p+1", p + 1)):
            out.append((f"Y = {name}", y.to_bytes(n, "big")))
        out.append(("all ones", b"\xff" * n))
        out.append(("Y = 2 unpadded", b"\x02"))
    elif group in (X25519, X448):
        out.append(("all zero", b"\x00" * n))
        out.append(("small order (1)", (1).to_bytes(n, "little")))
    elif group == MLKEM:
        out.append(("all zero x25519 half", b"\x01" * (n - 32) + b"\x00" * 32))
    else:
        out.append(("point at infinity", b"\x00"))
        out.append(("all zero", b"\x00" * n))
        out.append(("off the curve", b"\x04" + b"\x01" * (n - 1)))
        out.append(("compressed", b"\x02" + b"\x01" * ((n - 1) // 2)))
    return out


def _ch_with_share(group: int, share_ext: bytes, supported: list[int] | None = None) -> bytes:
    ch = client_hello(groups=[group], key_share_groups=[group])
    edited = rebuild_ch(ch, replace(0x33, share_ext))
    if supported is not None:
        edited = rebuild_ch(
            edited, replace(0x0A, vec16(b"".join(g.to_bytes(2, "big") for g in supported)))
        )
    return edited


@pytest.mark.parametrize("group", ALL_GROUPS)
def test_server_rejects_bad_share_values(group: int) -> None:
    for why, share in _bad_values(group):
        ext = vec16(group.to_bytes(2, "big") + vec16(share))
        err = server_alert(hs_record(_ch_with_share(group, ext)), ILLEGAL_PARAMETER)
        assert err.description == ILLEGAL_PARAMETER, why


@pytest.mark.parametrize("group", ALL_GROUPS)
def test_server_rejects_malformed_share_encodings(group: int) -> None:
    g = group.to_bytes(2, "big")
    n = groups.share_length(group, client=True)
    share = groups.KeyShare(group).public
    assert len(share) == n
    cases = [
        ("empty key_exchange", vec16(g + b"\x00\x00"), DECODE_ERROR),
        ("key_exchange overruns", vec16(g + (n + 5).to_bytes(2, "big") + share), DECODE_ERROR),
        ("list overruns", (len(share) + 40).to_bytes(2, "big") + g + vec16(share), DECODE_ERROR),
        ("trailing byte", vec16(g + vec16(share) + b"\x00"), DECODE_ERROR),
        ("duplicated share", vec16((g + vec16(share)) * 2), ILLEGAL_PARAMETER),
    ]
    for why, ext, alert in cases:
        err = server_alert(hs_record(_ch_with_share(group, ext)), alert)
        assert err.description == alert, why
    # A share for a group the client did not list in supported_groups.
    other = X25519 if group != X25519 else P256
    ext = vec16(g + vec16(share))
    ch = _ch_with_share(group, ext, supported=[other])
    server_alert(hs_record(ch), ILLEGAL_PARAMETER)


@pytest.mark.parametrize("group", ALL_GROUPS)
def test_server_survives_bad_shares(group: int) -> None:
    # A sanity handshake with the same server config after the probes.
    cfg = server_config()
    for _, share in _bad_values(group)[:2]:
        s = Connection(cfg)
        ext = vec16(group.to_bytes(2, "big") + vec16(share))
        with pytest.raises(TLSAlert):
            s.receive_data(hs_record(_ch_with_share(group, ext)))
    c, s = pair(client_config(groups=[group]), cfg)
    assert c.handshake_complete and s.group == group


def _server_share_values(group: int) -> list[tuple[str, bytes]]:
    n = groups.share_length(group, client=False)
    out = [("one byte short", b"\x01" * (n - 1))]
    if ffdhe.is_ffdhe(group):
        p = ffdhe.prime(group)
        out += [(f"Y = {v}", y.to_bytes(n, "big")) for v, y in (("1", 1), ("p-1", p - 1))]
    elif group in (X25519, X448):
        out.append(("all zero", b"\x00" * n))
    elif group != MLKEM:
        out.append(("off the curve", b"\x04" + b"\x01" * (n - 1)))
        out.append(("point at infinity", b"\x00"))
    return out


@pytest.mark.parametrize("group", ALL_GROUPS)
def test_client_rejects_bad_server_share(group: int) -> None:
    for why, value in _server_share_values(group):

        def edit(sh: ServerHello, value: bytes = value) -> None:
            sh.extensions[0x33] = group.to_bytes(2, "big") + vec16(value)

        c, rec = edit_server_hello(edit, groups=[group])
        err = client_alert(c, rec, ILLEGAL_PARAMETER)
        assert err.description == ILLEGAL_PARAMETER, why

    def empty(sh: ServerHello) -> None:
        sh.extensions[0x33] = group.to_bytes(2, "big") + b"\x00\x00"

    c, rec = edit_server_hello(empty, groups=[group])
    client_alert(c, rec, DECODE_ERROR)


@pytest.mark.parametrize("group", (P521, X448))
def test_tls12_bad_client_point(group: int) -> None:
    # The server's ServerKeyExchange is fine; the client's point is not.
    from cytls._wire.messages import handshake

    ccfg = client_config("rsa", groups=[group], max_version=0x0303)
    c = Connection(ccfg)
    s = Connection(server_config("rsa"))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    n = groups.share_length(group, client=True)
    bad = b"\x00" * n if group == X448 else b"\x04" + b"\x01" * (n - 1)
    cke = handshake(16, bytes((len(bad),)) + bad)
    with pytest.raises(TLSAlert) as info:
        s.receive_data(hs_record(cke))
    assert info.value.description == ILLEGAL_PARAMETER


@pytest.mark.parametrize("group", (P521, X448))
def test_tls12_client_rejects_bad_server_point(group: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # A ServerKeyExchange whose (correctly signed) point is bad.
    from cytls._handshake import server12

    n = groups.share_length(group, client=False)
    bad = b"\x00" * n if group == X448 else b"\x04" + b"\x01" * (n - 1)

    class BadShare:
        public = bad

    monkeypatch.setattr(server12, "_ephemeral", lambda ctx, g: BadShare())
    c = Connection(client_config("rsa", groups=[group], max_version=0x0303))
    s = Connection(server_config("rsa"))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    client_alert(c, s.data_to_send(), ILLEGAL_PARAMETER)
