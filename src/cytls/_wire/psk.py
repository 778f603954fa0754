"""The TLS 1.3 pre_shared_key and early_data extension bodies (RFC 8446 §4.2.10, §4.2.11).

Owns: parsing and building OfferedPsks (the ClientHello form), the
ServerHello's selected_identity, and the empty early_data bodies.
Must not: decide anything about the PSKs (the handshake's psk13 does) or
know the ticket format.
"""

from __future__ import annotations

from dataclasses import dataclass

from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import Reader, vec8, vec16

__all__ = ["OfferedPsks", "parse_selected_identity", "serialize_selected_identity"]


@dataclass(frozen=True, slots=True)
class OfferedPsks:
    """RFC 8446 §4.2.11: identities (ticket, obfuscated_ticket_age) and one
    binder per identity.

    Attributes:
        binders_len: bytes the binders list takes at the end of the
            ClientHello (its 2-byte length included): what Truncate()
            removes (§4.2.11.2).
    """

    identities: list[tuple[bytes, int]]
    binders: list[bytes]

    @property
    def binders_len(self) -> int:
        return 2 + sum(1 + len(b) for b in self.binders)

    @classmethod
    def parse(cls, body: bytes) -> OfferedPsks:
        """Raises:
        TLSAlert: decode_error for bad lengths or an empty list;
            illegal_parameter when the binders do not match the
            identities one for one (a truncated binder list)."""
        # One identity and its binder (what a resuming client sends), well
        # formed: read in one step; anything else is _read's, for its alert.
        n = len(body)
        if n >= 42:
            ids_len = body[0] << 8 | body[1]
            id_len = body[2] << 8 | body[3]
            p = 2 + ids_len
            if id_len and ids_len == id_len + 6 and p + 3 <= n:
                binders_len = body[p] << 8 | body[p + 1]
                if binders_len >= 33 and p + 2 + binders_len == n and body[p + 2] + 1 == binders_len:
                    data = bytes(body)
                    age = int.from_bytes(data[4 + id_len : p], "big")
                    return cls([(data[4 : 4 + id_len], age)], [data[p + 3 :]])
        return cls._read(body)

    @classmethod
    def _read(cls, body: bytes) -> OfferedPsks:
        r = Reader(body, "pre_shared_key")
        ids = r.sub16(minimum=7)
        identities = []
        while not ids.at_end():
            identity = ids.vec16(minimum=1)
            identities.append((identity, ids.u32()))
        lst = r.sub16(minimum=33)
        r.expect_end()
        binders = []
        while not lst.at_end():
            binders.append(lst.vec8(minimum=32))
        if len(binders) != len(identities):
            raise TLSAlert(AD.illegal_parameter, "pre_shared_key: one binder per identity needed")
        return cls(identities, binders)

    def serialize(self) -> bytes:
        ids = b"".join(vec16(i) + age.to_bytes(4, "big") for i, age in self.identities)
        return vec16(ids) + vec16(b"".join(vec8(b) for b in self.binders))


def parse_selected_identity(body: bytes) -> int:
    r = Reader(body, "pre_shared_key")
    v = r.u16()
    r.expect_end()
    return v


def serialize_selected_identity(index: int) -> bytes:
    return index.to_bytes(2, "big")
