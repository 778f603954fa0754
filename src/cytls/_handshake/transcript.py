"""The handshake transcript hash (RFC 8446 §4.4.1).

Owns: the running hash over handshake messages; buffering until the hash
is known (a client learns it from the ServerHello); the HelloRetryRequest
restart that replaces ClientHello1 with a synthetic message_hash.
Must not: parse messages or derive keys. All hashing goes through the C
Hash of cytls.crypto.
"""

from __future__ import annotations

from typing import Any

import cytls._core as _core

# The C core's hash ids (cytls.h).
_IDS = {"sha256": 1, "sha384": 2, "sha512": 3}


def Hash(name: str) -> Any:
    """A C-core hash object (update/copy/digest) for a SHA-2 name."""
    return _core.Hash(_IDS[name])


__all__ = ["Transcript"]


class Transcript:
    """Hash of the handshake messages so far, each with its 4-byte header."""

    __slots__ = ("_buffer", "_hash", "_name")

    def __init__(self, hash_name: str | None = None) -> None:
        self._buffer: list[bytes] = []
        self._name = hash_name
        self._hash: Any = Hash(hash_name) if hash_name else None

    @property
    def hash_name(self) -> str | None:
        return self._name

    def add(self, message: bytes) -> None:
        """Absorb one whole handshake message (header included)."""
        if self._hash is None:
            self._buffer.append(message)
        else:
            self._hash.update(message)

    def set_hash(self, hash_name: str) -> None:
        """Fix the hash (once the suite is known) and absorb the buffer."""
        if self._hash is not None:
            if self._name != hash_name:
                raise ValueError("transcript hash already fixed to another function")
            return
        h = Hash(hash_name)
        for m in self._buffer:
            h.update(m)
        self._buffer = []
        self._hash = h
        self._name = hash_name

    def digest(self) -> bytes:
        """Transcript-Hash of everything so far; more may follow."""
        if self._hash is None:
            raise ValueError("transcript hash not chosen yet")
        return self._hash.digest()  # type: ignore[no-any-return]

    def restart_for_hrr(self, hash_name: str) -> None:
        """RFC 8446 §4.4.1: replace ClientHello1 by message_hash.

        Call after set_hash was possible (the HRR names the suite) and
        before the HelloRetryRequest itself is added.
        """
        self.set_hash(hash_name)
        assert self._hash is not None
        ch1_hash = self._hash.digest()
        h = Hash(hash_name)
        h.update(b"\xfe\x00\x00" + bytes((len(ch1_hash),)) + ch1_hash)
        self._hash = h

    def copy(self) -> Transcript:
        t = Transcript()
        t._name = self._name
        t._buffer = list(self._buffer)
        t._hash = self._hash.copy() if self._hash is not None else None
        return t
