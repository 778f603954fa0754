"""Memory of peer chains that verified, so that a peer met again is not
verified from scratch.

Owns: a bounded map from exactly what a verification depended on (the
certificates the peer sent, the purpose, the host name) to the chain that
verified and the time window in which all of its certificates are valid.
The peer's certificates are matched by identity: the handshake parses each
DER once (checks.py keeps parsed certificates by DER), and an entry holds
its certificate objects, so their ids cannot be reused while it lives. A hit inside that window gives the same answer a new
verification would: the inputs are byte for byte the same, the trust
anchors, CRLs and verify options belong to the one Verifier that owns the
cache (a change to any of them builds a new Verifier), and only the
current time varies, which the window covers.
Must not: remember failures (they are rare, and their diagnosis reads the
chain again), serve a hit outside the window, or be used when CRLs are
checked (a CRL's own validity moves with time; the Verifier does not ask).

Why: OpenSSL verifies every chain in full, and the two or three signature
checks that costs are most of a repeat client's handshake (a connection
pool reconnecting to one server, a server seeing the same client
certificates). SSLContext.verify_cache_size = 0 restores OpenSSL's way.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509

__all__ = ["DEFAULT_SIZE", "VerifiedChains"]

DEFAULT_SIZE = 256

_Key = tuple[bool, str | None, tuple[int, ...]]
_Entry = tuple[list[x509.Certificate], list[x509.Certificate], datetime, datetime]


class VerifiedChains:
    """A bounded cache of verified chains (oldest entry evicted first).

    Args:
        size: how many chains to keep; 0 keeps none.
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: dict[_Key, _Entry] = {}

    @staticmethod
    def key(chain: list[x509.Certificate], server: bool, hostname: str | None) -> _Key:
        """What a verification of `chain` depends on besides the time."""
        return (server, hostname, tuple(map(id, chain)))

    def get(
        self, key: _Key, chain: list[x509.Certificate], when: datetime
    ) -> list[x509.Certificate] | None:
        """The chain that verified for these very certificates, if `when`
        (aware, UTC) is inside the validity of all of its certificates."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        presented, verified, not_before, not_after = entry
        if len(presented) != len(chain) or any(a is not b for a, b in zip(presented, chain, strict=True)):
            return None
        if not not_before <= when <= not_after:
            return None
        return list(verified)

    def put(
        self, key: _Key, chain: list[x509.Certificate], verified: list[x509.Certificate]
    ) -> None:
        """Remember that `chain` (as presented) verified as `verified`
        (leaf first, ending in an anchor)."""
        if self.size <= 0:
            return
        not_before = max(c.not_valid_before_utc for c in verified)
        not_after = min(c.not_valid_after_utc for c in verified)
        entries = self._entries
        entries.pop(key, None)
        while len(entries) >= self.size:
            # dicts keep insertion order: the first key is the oldest.
            entries.pop(next(iter(entries)), None)
        entries[key] = (list(chain), list(verified), not_before, not_after)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every chain."""
        self._entries.clear()
