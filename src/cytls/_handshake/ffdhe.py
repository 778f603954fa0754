"""The RFC 7919 finite-field Diffie-Hellman groups, for TLS 1.3 key shares.

Owns: the five primes (ffdhe2048 ... ffdhe8192), making a key share,
checking a peer's share (RFC 7919 §5.1, RFC 8446 §4.2.8.1) and the shared
secret, left-padded to the size of the prime (RFC 8446 §7.4.1).
Must not: choose groups (the state machines do), or offer finite-field DHE
in TLS 1.2 (cytls has no DHE suites). Every bad share raises
illegal_parameter, never a library error.

The primes are derived from the formula of RFC 7919 Appendix A,

    p = 2^b - 2^{b-64} + {[2^{b-130} e] + X} * 2^64 - 1

with the generator 2 and the published X of each group; the test suite
checks that each is a safe prime and matches OpenSSL's built-in groups.
"""

from __future__ import annotations

import functools
import warnings

from cryptography.utils import CryptographyDeprecationWarning

from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert

# cryptography deprecates finite-field DH; cytls uses it on purpose, for
# the RFC 7919 groups only. The filter matches warnings raised from this
# module alone, so an application's own use of FFDH still warns.
warnings.filterwarnings(
    "ignore", category=CryptographyDeprecationWarning, module=r"cytls\._handshake\.ffdhe\Z"
)
from cryptography.hazmat.primitives.asymmetric import dh  # noqa: E402

__all__ = ["FFDHE_GROUPS", "FFDHEKey", "is_ffdhe", "prime", "server_exchange", "share_length"]

# RFC 7919 Appendix A: group -> (bits of the prime, X).
_PARAMS: dict[int, tuple[int, int]] = {
    0x0100: (2048, 560316),
    0x0101: (3072, 2625351),
    0x0102: (4096, 5736041),
    0x0103: (6144, 15705020),
    0x0104: (8192, 10965728),
}
FFDHE_GROUPS = frozenset(_PARAMS)
GENERATOR = 2


def _e_times_power_of_two(n: int) -> int:
    """floor(e * 2^n), exactly: the sum of 2^n / k! over k, each term
    truncated with 64 guard bits (the truncation errors add up to far less
    than 2^64, so the floor is exact)."""
    guard = 64
    term = 1 << (n + guard)
    total = 0
    k = 0
    while term:
        total += term
        k += 1
        term //= k
    return total >> guard


@functools.cache
def prime(group: int) -> int:
    """The prime p of an RFC 7919 group (Appendix A's formula).

    Raises:
        KeyError: not an FFDHE group.
    """
    b, x = _PARAMS[group]
    return (1 << b) - (1 << (b - 64)) + ((_e_times_power_of_two(b - 130) + x) << 64) - 1


@functools.cache
def _parameters(group: int) -> dh.DHParameters:
    # q = (p - 1) / 2: OpenSSL then recognises the named group and uses
    # its short private exponent (RFC 7919 §5.2), which keeps key
    # generation at a few milliseconds even for ffdhe8192.
    p = prime(group)
    return dh.DHParameterNumbers(p, GENERATOR, (p - 1) // 2).parameters()


def is_ffdhe(group: int) -> bool:
    return group in _PARAMS


def share_length(group: int) -> int:
    """The exact length of a share: the byte length of the prime."""
    return _PARAMS[group][0] // 8


def _bad_share(group: int, why: str) -> TLSAlert:
    return TLSAlert(AD.illegal_parameter, f"invalid key share for group 0x{group:04x}: {why}")


def _peer_key(group: int, peer: bytes) -> dh.DHPublicKey:
    """RFC 8446 §4.2.8.1: the share is Y, left-padded to the prime's
    length; RFC 7919 §5.1: 1 < Y < p - 1 (0, 1, p - 1 and values >= p
    are refused; cryptography accepts them, so the check is here)."""
    if len(peer) != share_length(group):
        raise _bad_share(group, "not the length of the prime")
    y = int.from_bytes(peer, "big")
    p = prime(group)
    if not 1 < y < p - 1:
        raise _bad_share(group, "value out of range (RFC 7919 §5.1)")
    numbers = _parameters(group).parameter_numbers()
    try:
        return dh.DHPublicNumbers(y, numbers).public_key()
    except ValueError as exc:  # pragma: no cover - the range check comes first
        raise _bad_share(group, str(exc)) from None


class FFDHEKey:
    """An ephemeral private key in one FFDHE group.

    Args:
        group: the NamedGroup (ffdhe2048 ... ffdhe8192).
        private: an injected `dh.DHPrivateKey` (tests); None to generate.
    """

    __slots__ = ("_priv", "group", "public")

    def __init__(self, group: int, private: dh.DHPrivateKey | None = None) -> None:
        self.group = group
        priv = private if private is not None else _parameters(group).generate_private_key()
        self._priv = priv
        y = priv.public_key().public_numbers().y
        self.public = y.to_bytes(share_length(group), "big")

    def exchange(self, peer: bytes) -> bytes:
        """The shared secret Z, left-padded to the prime's length
        (RFC 8446 §7.4.1).

        Raises:
            TLSAlert: illegal_parameter for a share of the wrong length or
                out of range.
        """
        pub = _peer_key(self.group, peer)
        try:
            shared = self._priv.exchange(pub)
        except ValueError as exc:  # pragma: no cover - the range check comes first
            raise _bad_share(self.group, str(exc)) from None
        return shared.rjust(share_length(self.group), b"\x00")


def server_exchange(group: int, client_share: bytes) -> tuple[bytes, bytes]:
    """Answer a client's share: (server share, shared secret). The share is
    checked before a key is generated.

    Raises:
        TLSAlert: illegal_parameter for a bad share.
    """
    _peer_key(group, client_share)
    key = FFDHEKey(group)
    return key.public, key.exchange(client_share)
