"""The public crypto facade over the C core.

Owns: argument checking and the call shapes users know from `cryptography`
(AEADs) and `hashlib` (Hash). Must not: implement any primitive itself; every
byte of crypto work happens in csrc/ through cytls._core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cytls import _core

if TYPE_CHECKING:
    from typing_extensions import Buffer

InvalidTag = _core.InvalidTag

_HASHES = {"sha256": 1, "sha384": 2, "sha512": 3}
_PRIMITIVES = ("aes-gcm", "chacha20", "poly1305", "sha256", "sha512")

__all__ = [
    "AESGCM",
    "ChaCha20Poly1305",
    "Hash",
    "InvalidTag",
    "backends",
    "hkdf_expand",
    "hkdf_expand_label",
    "hkdf_extract",
    "hmac_digest",
]


def _hash_id(name: str) -> int:
    try:
        return _HASHES[name.lower()]
    except KeyError:
        raise ValueError(f"unsupported hash {name!r}; expected one of {sorted(_HASHES)}") from None


class AESGCM:
    """AES-GCM with a 128- or 256-bit key and 12-byte nonces.

    Same call shape as cryptography's AESGCM. The key is expanded once.

    encrypt(nonce, data, associated_data) returns ciphertext || 16-byte tag;
    decrypt(nonce, data, associated_data) returns the plaintext. Both take
    any buffer-protocol objects; associated_data may be None.

    Raises:
        ValueError: a key that is not 16 or 32 bytes; from encrypt/decrypt,
            a nonce that is not 12 bytes.
        InvalidTag: from decrypt, when the tag does not verify; no plaintext
            is released.
    """

    __slots__ = ("decrypt", "encrypt")

    # The C methods themselves, bound once: no Python frame per call.
    encrypt: Callable[[Buffer, Buffer, Buffer | None], bytes]
    decrypt: Callable[[Buffer, Buffer, Buffer | None], bytes]

    def __init__(self, key: Buffer) -> None:
        n = len(memoryview(key))
        if n not in (16, 32):
            raise ValueError(f"AESGCM key must be 16 or 32 bytes, got {n}")
        self._bind(_core.AEAD(1 if n == 16 else 2, key))

    def _bind(self, aead: _core.AEAD) -> None:
        self.encrypt = aead.encrypt
        self.decrypt = aead.decrypt


class ChaCha20Poly1305(AESGCM):
    """ChaCha20-Poly1305 (RFC 8439) with a 32-byte key and 12-byte nonces;
    the same methods as AESGCM."""

    __slots__ = ()

    def __init__(self, key: Buffer) -> None:
        n = len(memoryview(key))
        if n != 32:
            raise ValueError(f"ChaCha20Poly1305 key must be 32 bytes, got {n}")
        self._bind(_core.AEAD(3, key))


class Hash:
    """SHA-256, SHA-384 or SHA-512, incremental, hashlib-like.

    Args:
        name: "sha256", "sha384" or "sha512".
        data: optional first bytes to absorb.
    """

    __slots__ = ("_h", "name")

    def __init__(self, name: str, data: Buffer = b"") -> None:
        self.name = name.lower()
        self._h = _core.Hash(_hash_id(name), data)

    @property
    def digest_size(self) -> int:
        return self._h.digest_size

    @property
    def block_size(self) -> int:
        return self._h.block_size

    def update(self, data: Buffer) -> None:
        self._h.update(data)

    def copy(self) -> Hash:
        """An independent hash with the same state."""
        other = Hash.__new__(Hash)
        other.name = self.name
        other._h = self._h.copy()
        return other

    def digest(self) -> bytes:
        """The digest of everything absorbed so far; hashing may go on."""
        return self._h.digest()

    def hexdigest(self) -> str:
        return self.digest().hex()


def hmac_digest(name: str, key: Buffer, msg: Buffer) -> bytes:
    """HMAC of msg under key with the named SHA-2 hash."""
    return _core.hmac_digest(_hash_id(name), key, msg)


def hkdf_extract(name: str, salt: Buffer | None, ikm: Buffer) -> bytes:
    """HKDF-Extract (RFC 5869 §2.2); an empty or None salt means HashLen zeros."""
    return _core.hkdf_extract(_hash_id(name), salt, ikm)


def hkdf_expand(name: str, prk: Buffer, info: Buffer | None, length: int) -> bytes:
    """HKDF-Expand (RFC 5869 §2.3).

    Raises:
        ValueError: length above 255 * HashLen.
    """
    return _core.hkdf_expand(_hash_id(name), prk, info, length)


def hkdf_expand_label(name: str, secret: Buffer, label: bytes, context: Buffer, length: int) -> bytes:
    """HKDF-Expand-Label (RFC 8446 §7.1); `label` is given without "tls13 "."""
    return _core.hkdf_expand_label(_hash_id(name), secret, label, context, length)


def backends() -> dict[str, str]:
    """Which backend each primitive uses now, plus the level in force."""
    result = {p: _core.backend(p) for p in _PRIMITIVES}
    result["level"] = _core.level()
    return result


def force_backend(level: str) -> None:
    """Cap every primitive at a backend level ("portable", "aesni", "avx2",
    "avx512", "neon", "armce", "native"), as CYTLS_BACKEND does at import.

    For tests and for users who must avoid an instruction set. Keys already
    expanded keep the backend that expanded them.

    Raises:
        ValueError: an unknown level name.
    """
    _core.set_level(level)
