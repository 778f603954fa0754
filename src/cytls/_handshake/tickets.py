"""Stateless session tickets: the ticket-key ring and the sealed session state.

Owns: `TicketKeyRing` (the AEAD keys that seal tickets: the current key
seals, every key of the ring opens, automatic rotation for a ring this
process made), the shareable key format, `SessionState` (what a ticket
carries) and its encoding.
Must not: know the handshake (psk13.py decides when a ticket is issued or
accepted), read the clock other than through the ring's `clock`, or keep
any per-ticket state (the server stays stateless; anti-replay lives in
psk13.py).

Key format (shared by a fleet of servers, like nginx's
ssl_session_ticket_key): a ticket key is 48 bytes, a 16-byte key name
followed by a 32-byte AES-256-GCM key. A key file is one or more keys
concatenated, the first being the current key (the one that seals), the
others the previous keys (they still open tickets). Make one with
`head -c 48 /dev/urandom > ticket.key`; rotate by prepending a new key and
dropping the oldest, on every server, then `load_ticket_keys()` again.
Every server that holds the same file resumes every other's tickets.

Ticket format: key name (16) || nonce (12) || AES-256-GCM(key, nonce,
state, aad = key name) (state + 16-byte tag). A ticket whose key name is
not in the ring, that does not authenticate, or whose state does not parse
is unknown: the server falls back to a full handshake.

    SessionState encoding (version 1), all integers big-endian:
        u8  format version (1)       u16 TLS version   u16 cipher suite
        u64 creation time (ms)       u32 age_add       u32 lifetime (s)
        u32 max_early_data           u8  extended master secret (TLS 1.2)
        opaque secret<1..255>        (resumption PSK, or 1.2 master secret)
        opaque server_name<0..2^16-1>  opaque alpn<0..255>
        ASN.1Cert peer_chain<0..2^24-1>, verified_chain<0..2^24-1>
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cytls._wire.codec import Reader, vec8, vec16, vec24
from cytls.crypto import AESGCM

__all__ = ["KEY_LEN", "NAME_LEN", "SessionState", "TicketKeyRing", "encode_states"]

NAME_LEN = 16
KEY_LEN = NAME_LEN + 32
_NONCE_LEN = 12
_TAG_LEN = 16
_FORMAT = 1
# format, TLS version, suite, created (ms), age_add, lifetime, max_early_data, ems
_HEAD = struct.Struct(">BHHQIIIB")
# Both chains empty: two u24 zero lengths.
_NO_CHAINS = bytes(6)
# Tickets above this size are never ours (a long client chain still fits).
MAX_TICKET = (1 << 16) - 1


def _chain(certs: tuple[bytes, ...]) -> bytes:
    # Most tickets carry no client chain.
    return vec24(b"".join(vec24(c) for c in certs)) if certs else b"\x00\x00\x00"


def encode_states(
    version: int,
    suite: int,
    created_ms: int,
    lifetime: int,
    max_early_data: int,
    server_name: str | None,
    alpn: str | None,
    ems: bool,
    peer_chain: tuple[bytes, ...],
    verified_chain: tuple[bytes, ...],
    secrets: Sequence[tuple[bytes | bytearray, int]],
) -> list[bytes]:
    """The encodings of the SessionStates that differ only in secret and
    age_add (the tickets of one connection), one per (secret, age_add),
    with the fields they share encoded once."""
    # SNI host names are ASCII on the wire (RFC 6066 §3); latin-1 is a
    # lossless and fast stand-in for the idna codec here.
    name = (server_name or "").encode("latin-1")
    tail = (
        vec16(name)
        + vec8((alpn or "").encode("utf-8", "surrogateescape"))
        + _chain(peer_chain)
        + _chain(verified_chain)
    )
    pack = _HEAD.pack
    flag = 1 if ems else 0
    out = []
    for secret, age_add in secrets:
        if not 0 < len(secret) <= 0xFF:
            raise ValueError("a ticket's secret is 1 to 255 bytes")
        head = pack(_FORMAT, version, suite, created_ms, age_add, lifetime, max_early_data, flag)
        # (The secret stays out of any intermediate object but the result.)
        out.append(b"".join((head, bytes((len(secret),)), secret, tail)))
    return out


@dataclass(frozen=True, slots=True)
class SessionState:
    """What a ticket carries: enough to resume without server state.

    Attributes:
        version: 0x0304 or 0x0303.
        suite: the cipher suite of the original connection.
        created_ms: issue time, milliseconds since the epoch.
        age_add: the ticket's age obfuscation (RFC 8446 §4.6.1).
        lifetime: seconds the ticket is valid.
        max_early_data: 0-RTT bytes the ticket allows (0: none).
        secret: TLS 1.3 resumption PSK, or the TLS 1.2 master secret.
        server_name: the SNI of the original connection.
        alpn: the ALPN protocol of the original connection.
        ems: TLS 1.2: the master secret is an extended one (RFC 7627).
        peer_chain, verified_chain: DER of the client's chain as sent and
            as verified, when client authentication happened.
    """

    version: int
    suite: int
    created_ms: int
    age_add: int
    lifetime: int
    max_early_data: int
    secret: bytes
    server_name: str | None
    alpn: str | None
    ems: bool = False
    peer_chain: tuple[bytes, ...] = ()
    verified_chain: tuple[bytes, ...] = ()

    def encode(self) -> bytes:
        return encode_states(
            self.version,
            self.suite,
            self.created_ms,
            self.lifetime,
            self.max_early_data,
            self.server_name,
            self.alpn,
            self.ems,
            self.peer_chain,
            self.verified_chain,
            ((self.secret, self.age_add),),
        )[0]

    @classmethod
    def decode(cls, data: bytes) -> SessionState | None:
        """The state, or None when data is not a state this code wrote."""
        # Without client chains (most tickets), well formed: read in one
        # step; anything else is _read's.
        n = len(data)
        p = _HEAD.size
        if type(data) is bytes and n > p + 9 and data[0] == _FORMAT and data[p]:
            q = p + 1 + data[p]
            r = q + 2 + (data[q] << 8 | data[q + 1]) if q + 2 <= n else n
            if r < n:
                t = r + 1 + data[r]
                if t + 6 == n and data[t:] == _NO_CHAINS:
                    _, version, suite, created, age_add, lifetime, early, ems = _HEAD.unpack_from(data)
                    name = data[q + 2 : r].decode("latin-1") or None
                    alpn = data[r + 1 : t].decode("utf-8", "surrogateescape") or None
                    secret = bytes(data[p + 1 : q])
                    return cls(
                        version, suite, created, age_add, lifetime, early, secret, name, alpn, ems == 1
                    )
        return cls._read(data)

    @classmethod
    def _read(cls, data: bytes) -> SessionState | None:
        try:
            if len(data) < _HEAD.size or data[0] != _FORMAT:
                return None
            _, version, suite, created, age_add, lifetime, early, ems_byte = _HEAD.unpack_from(
                data
            )
            ems = ems_byte == 1
            r = Reader(memoryview(data)[_HEAD.size :], "ticket")
            secret = bytes(r.vec8(minimum=1))
            name = bytes(r.vec16()).decode("latin-1") or None
            alpn = bytes(r.vec8()).decode("utf-8", "surrogateescape") or None
            chains = []
            for _ in range(2):
                lst = r.sub24()
                certs = []
                while not lst.at_end():
                    certs.append(bytes(lst.vec24(minimum=1)))
                chains.append(tuple(certs))
            r.expect_end()
        except Exception:
            return None
        return cls(
            version, suite, created, age_add, lifetime, early, secret, name, alpn, ems, *chains
        )


def parse_key_material(data: bytes) -> list[bytes]:
    """Split key material (a key file's bytes) into 48-byte keys.

    Raises:
        ValueError: empty, or not a whole number of keys.
    """
    if not data or len(data) % KEY_LEN:
        raise ValueError(f"ticket key material must be a non-empty multiple of {KEY_LEN} bytes")
    return [bytes(data[i : i + KEY_LEN]) for i in range(0, len(data), KEY_LEN)]


class TicketKeyRing:
    """The keys that seal and open session tickets.

    Args:
        keys: 48-byte keys, current first (see the module docstring); None
            makes one random key, which this ring then rotates itself.
        rotation: seconds a self-made current key seals before a new one
            replaces it (the old one keeps opening tickets for one more
            period); None never rotates. Shared keys (given here) are never
            rotated automatically: the fleet rotates its key file.
        clock: time source (time.time), for tests.

    Raises:
        ValueError: a key of the wrong length, or duplicate key names.
    """

    def __init__(
        self,
        keys: Sequence[bytes] | None = None,
        *,
        rotation: float | None = 43200.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.rotation = rotation
        self.shared = keys is not None
        self._keys: list[tuple[bytes, AESGCM, bytes]] = []
        self._made_at = clock()
        self.set_keys(list(keys) if keys is not None else [os.urandom(KEY_LEN)])

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TicketKeyRing:
        """A shared ring read from a key file (see the module docstring)."""
        with open(path, "rb") as f:
            return cls(parse_key_material(f.read()))

    def set_keys(self, keys: Sequence[bytes]) -> None:
        """Replace the keys (current first)."""
        ring = []
        for k in keys:
            k = bytes(k)
            if len(k) != KEY_LEN:
                raise ValueError(f"a ticket key is {KEY_LEN} bytes (16-byte name, 32-byte key)")
            ring.append((k[:NAME_LEN], AESGCM(k[NAME_LEN:]), k))
        if not ring:
            raise ValueError("a ticket key ring needs at least one key")
        if len({name for name, _, _ in ring}) != len(ring):
            raise ValueError("duplicate ticket key names")
        self._keys = ring

    def export(self) -> bytes:
        """The ring in the key-file format (current key first): what another
        server loads to resume this one's tickets. Secret: store it as such."""
        return b"".join(k for _, _, k in self._keys)

    def rotate(self, new_key: bytes | None = None) -> None:
        """Make new_key (or a random one) current; keep the previous one only
        (a ticket outlives at most one rotation period)."""
        self.set_keys([new_key or os.urandom(KEY_LEN), self._keys[0][2]])
        self._made_at = self.clock()

    def _maybe_rotate(self) -> None:
        if self.shared or self.rotation is None:
            return
        if self.clock() - self._made_at >= self.rotation:
            self.rotate()

    def seal(self, state: SessionState) -> bytes:
        """A ticket for state, under the current key."""
        return self.seal_encoded([state.encode()])[0]

    def seal_encoded(self, states: Sequence[bytes]) -> list[bytes]:
        """Tickets for encoded states (SessionState.encode, encode_states),
        under the current key, each with its own random nonce."""
        self._maybe_rotate()
        name, aead, _ = self._keys[0]
        nonces = os.urandom(_NONCE_LEN * len(states))  # one system call
        out = []
        for i, state in enumerate(states):
            nonce = nonces[i * _NONCE_LEN : (i + 1) * _NONCE_LEN]
            out.append(name + nonce + aead.encrypt(nonce, state, name))
        return out

    def open(self, ticket: bytes) -> SessionState | None:
        """The state inside ticket, or None (unknown key, forged, malformed)."""
        if len(ticket) < NAME_LEN + _NONCE_LEN + _TAG_LEN or len(ticket) > MAX_TICKET:
            return None
        name = ticket[:NAME_LEN]
        for key_name, aead, _ in self._keys:
            if key_name == name:
                nonce = ticket[NAME_LEN : NAME_LEN + _NONCE_LEN]
                try:
                    plain = aead.decrypt(nonce, ticket[NAME_LEN + _NONCE_LEN :], name)
                except Exception:
                    return None
                return SessionState.decode(plain)
        return None
