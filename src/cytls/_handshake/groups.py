"""Key exchange groups: X25519, X448, P-256, P-384, P-521, the hybrid
X25519MLKEM768, and (through ffdhe.py) the RFC 7919 FFDHE groups.

Owns: making key shares, checking a peer's share, and computing the shared
secret for each group (RFC 8446 §4.2.8, §7.4; RFC 7748; RFC 8422;
draft-ietf-tls-ecdhe-mlkem).
Must not: choose groups (the state machines do) or derive traffic keys.
Every malformed share raises illegal_parameter, never a library error.

X25519 (alone and as the hybrid's second half) runs in cytls's C core
(csrc/x25519.c), on raw 32-byte scalars; the other groups use
`cryptography`. Injected X25519 keys (tests) may be `cryptography` objects.
"""

from __future__ import annotations

import os
from hmac import compare_digest
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import cytls._core as _core
from cytls._handshake import ffdhe
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import NamedGroup

__all__ = ["KeyShare", "server_exchange", "share_length"]

try:  # ML-KEM needs cryptography built against an OpenSSL that has it.
    from cryptography.hazmat.primitives.asymmetric import mlkem

    HAVE_MLKEM = True
except ImportError:  # pragma: no cover
    mlkem = None  # type: ignore[assignment]
    HAVE_MLKEM = False

_CURVES: dict[int, ec.EllipticCurve] = {
    NamedGroup.secp256r1: ec.SECP256R1(),
    NamedGroup.secp384r1: ec.SECP384R1(),
    NamedGroup.secp521r1: ec.SECP521R1(),
}
_POINT_LEN: dict[int, int] = {
    NamedGroup.secp256r1: 65,
    NamedGroup.secp384r1: 97,
    NamedGroup.secp521r1: 133,
}
_MLKEM768_EK = 1184
_MLKEM768_CT = 1088

_X962 = Encoding.X962
_UNCOMPRESSED = PublicFormat.UncompressedPoint


def _bad_share(group: int, why: str) -> TLSAlert:
    return TLSAlert(AD.illegal_parameter, f"invalid key share for group 0x{group:04x}: {why}")


def share_length(group: int, client: bool) -> int:
    """The exact length of a valid share (client or server side)."""
    if group == NamedGroup.x25519:
        return 32
    if group == NamedGroup.x448:
        return 56
    if group in _POINT_LEN:
        return _POINT_LEN[group]
    if group == NamedGroup.X25519MLKEM768:
        return (_MLKEM768_EK if client else _MLKEM768_CT) + 32
    if ffdhe.is_ffdhe(group):
        return ffdhe.share_length(group)
    raise KeyError(group)


_X25519_ZERO = bytes(32)


def _x25519_private(private: Any) -> bytes:
    """A raw X25519 scalar: an injected `cryptography` key's, else fresh."""
    if isinstance(private, x25519.X25519PrivateKey):
        return private.private_bytes_raw()
    return os.urandom(32)


def x25519_key_pair() -> tuple[bytes, bytes]:
    """A fresh X25519 (private scalar, public key), for server_exchange's
    `ahead` (made before the peer's share is known)."""
    priv = os.urandom(32)
    return priv, _core.x25519_base(priv)


def _x25519_shared(priv: bytes, peer: bytes, group: int) -> bytes:
    if len(peer) != 32:
        raise _bad_share(group, "wrong length")
    shared = _core.x25519(priv, peer)
    # RFC 8446 §7.4.2: an all-zero output (small-order peer point) is
    # refused; compared in constant time, as the secret it is.
    if compare_digest(shared, _X25519_ZERO):
        raise _bad_share(group, "small-order point (all-zero shared secret)")
    return shared


def _x448_shared(priv: x448.X448PrivateKey, peer: bytes, group: int) -> bytes:
    if len(peer) != 56:
        raise _bad_share(group, "wrong length")
    try:
        pub = x448.X448PublicKey.from_public_bytes(peer)
        # As for X25519, an all-zero output (small-order point) is refused
        # by cryptography (RFC 8446 §7.4.2).
        return priv.exchange(pub)
    except ValueError as exc:
        raise _bad_share(group, str(exc)) from None


def _ec_shared(priv: ec.EllipticCurvePrivateKey, peer: bytes, group: int) -> bytes:
    # RFC 8446 §4.2.8.2: uncompressed points only; from_encoded_point
    # checks that the point is on the curve.
    if len(peer) != _POINT_LEN[group] or peer[0] != 4:
        raise _bad_share(group, "not an uncompressed point of the right length")
    try:
        pub = ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[group], peer)
        return priv.exchange(ec.ECDH(), pub)
    except ValueError as exc:
        raise _bad_share(group, str(exc)) from None


class KeyShare:
    """A client's ephemeral key for one group.

    Args:
        group: the NamedGroup.
        private: an injected private key object (tests); None to generate.
            For X25519MLKEM768 a tuple (mlkem private key, x25519 private key);
            for an FFDHE group a `dh.DHPrivateKey`.
    """

    __slots__ = ("_priv", "group", "public")

    def __init__(self, group: int, private: Any = None) -> None:
        self.group = group
        priv: Any
        if group == NamedGroup.x25519:
            priv = _x25519_private(private)
            self.public = _core.x25519_base(priv)
        elif group == NamedGroup.x448:
            priv = private or x448.X448PrivateKey.generate()
            self.public = priv.public_key().public_bytes_raw()
        elif group in _CURVES:
            priv = private or ec.generate_private_key(_CURVES[group])
            self.public = priv.public_key().public_bytes(_X962, _UNCOMPRESSED)
        elif group == NamedGroup.X25519MLKEM768 and HAVE_MLKEM:
            kem, xpriv = private if private is not None else (None, None)
            if kem is None:
                kem = mlkem.MLKEM768PrivateKey.generate()
            priv = (kem, _x25519_private(xpriv))
            self.public = kem.public_key().public_bytes_raw() + _core.x25519_base(priv[1])
        elif ffdhe.is_ffdhe(group):
            priv = ffdhe.FFDHEKey(group, private)
            self.public = priv.public
        else:
            raise ValueError(f"unsupported group 0x{group:04x}")
        self._priv = priv

    @classmethod
    def from_x25519_pair(cls, pair: tuple[bytes, bytes]) -> KeyShare:
        """An X25519 key from x25519_key_pair(), made ahead."""
        share = cls.__new__(cls)
        share.group = NamedGroup.x25519
        share._priv, share.public = pair
        return share

    def exchange(self, peer: bytes) -> bytes:
        """The shared secret from the server's share.

        Raises:
            TLSAlert: illegal_parameter for a malformed or invalid share.
        """
        group = self.group
        if group == NamedGroup.x25519:
            return _x25519_shared(self._priv, peer, group)
        if group == NamedGroup.x448:
            return _x448_shared(self._priv, peer, group)
        if group in _CURVES:
            return _ec_shared(self._priv, peer, group)
        if ffdhe.is_ffdhe(group):
            shared: bytes = self._priv.exchange(peer)
            return shared
        # X25519MLKEM768: ciphertext || x25519 share; secret = mlkem || x25519.
        if len(peer) != _MLKEM768_CT + 32:
            raise _bad_share(group, "wrong length")
        try:
            ss_pq: bytes = self._priv[0].decapsulate(peer[:_MLKEM768_CT])
        except ValueError as exc:
            raise _bad_share(group, str(exc)) from None
        return ss_pq + _x25519_shared(self._priv[1], peer[_MLKEM768_CT:], group)


def server_exchange(
    group: int,
    client_share: bytes,
    private: Any = None,
    ahead: tuple[bytes, bytes] | None = None,
) -> tuple[bytes, bytes]:
    """Answer a client's share: (server share, shared secret).

    Args:
        group: the NamedGroup the server chose.
        client_share: the client's key_exchange bytes.
        private: an injected key (tests): for ECDHE groups the private key
            object; ignored for the hybrid group.
        ahead: an X25519 key pair from x25519_key_pair(), made while the
            ClientHello was on its way, used (once) for X25519 and the
            hybrid group's X25519 part instead of a new one; not with
            `private`.

    Raises:
        TLSAlert: illegal_parameter for a malformed or invalid share.
    """
    if group == NamedGroup.x25519:
        if len(client_share) != 32:
            raise _bad_share(group, "wrong length")
        if ahead is not None and private is None:
            shared = _x25519_shared(ahead[0], client_share, group)
            return ahead[1], shared
        # An injected key counts only when it is an X25519 key.
        priv = _x25519_private(private)
        shared = _x25519_shared(priv, client_share, group)
        return _core.x25519_base(priv), shared
    if group == NamedGroup.x448:
        if len(client_share) != 56:
            raise _bad_share(group, "wrong length")
        if not isinstance(private, x448.X448PrivateKey):
            private = x448.X448PrivateKey.generate()
        shared = _x448_shared(private, client_share, group)
        return private.public_key().public_bytes_raw(), shared
    if group in _CURVES:
        curve = _CURVES[group]
        # An injected key is used only when it is for this curve.
        if not (
            isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == curve.name
        ):
            private = ec.generate_private_key(curve)
        priv = private
        shared = _ec_shared(priv, client_share, group)
        return priv.public_key().public_bytes(_X962, _UNCOMPRESSED), shared
    if group == NamedGroup.X25519MLKEM768 and HAVE_MLKEM:
        if len(client_share) != _MLKEM768_EK + 32:
            raise _bad_share(group, "wrong length")
        try:
            ek = mlkem.MLKEM768PublicKey.from_public_bytes(client_share[:_MLKEM768_EK])
            ss_pq, ct = ek.encapsulate()
        except ValueError as exc:
            raise _bad_share(group, str(exc)) from None
        xpriv, xpub = ahead if ahead is not None else x25519_key_pair()
        ss_x = _x25519_shared(xpriv, client_share[_MLKEM768_EK:], group)
        return ct + xpub, ss_pq + ss_x
    if ffdhe.is_ffdhe(group):
        return ffdhe.server_exchange(group, client_share)
    raise ValueError(f"unsupported group 0x{group:04x}")
