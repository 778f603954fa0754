"""Wire codec: big-endian integers and length-prefixed vectors.

Owns: reading and writing the TLS presentation language (RFC 8446 §3) with
strict bounds: every length is checked against what is left, and a reader
that is not used up is an error.
Must not: know about messages or extensions; it raises decode_error and
nothing else (never IndexError or struct.error).
"""

from __future__ import annotations

from cytls._wire.alerts import AlertDescription, TLSAlert

__all__ = ["Reader", "Writer", "u8", "u16", "u24", "u32", "vec8", "vec16", "vec24"]


def _decode_error(what: str) -> TLSAlert:
    return TLSAlert(AlertDescription.decode_error, what)


class Reader:
    """Reads from a bytes object; every read is bounds-checked.

    Args:
        data: the bytes to read (copied to bytes once if a buffer).
        what: the name of the structure, for error messages.
    """

    __slots__ = ("data", "end", "pos", "what")

    def __init__(self, data: bytes | bytearray | memoryview, what: str = "message") -> None:
        self.data = data if type(data) is bytes else bytes(data)
        self.pos = 0
        self.end = len(self.data)
        self.what = what

    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def expect_end(self) -> None:
        """Raises decode_error when bytes are left over."""
        if self.pos != self.end:
            raise _decode_error(f"{self.end - self.pos} trailing bytes in {self.what}")

    def _take(self, n: int) -> int:
        p = self.pos
        if n > self.end - p:
            raise _decode_error(f"{self.what} is truncated")
        self.pos = p + n
        return p

    def u8(self) -> int:
        p = self._take(1)
        return self.data[p]

    # The hot readers below inline _take's bounds check.

    def u16(self) -> int:
        p = self.pos
        if p + 2 > self.end:
            raise _decode_error(f"{self.what} is truncated")
        self.pos = p + 2
        d = self.data
        return (d[p] << 8) | d[p + 1]

    def u24(self) -> int:
        p = self._take(3)
        d = self.data
        return (d[p] << 16) | (d[p + 1] << 8) | d[p + 2]

    def u32(self) -> int:
        p = self._take(4)
        return int.from_bytes(self.data[p : p + 4], "big")

    def raw(self, n: int) -> bytes:
        p = self.pos
        q = p + n
        if q > self.end:
            raise _decode_error(f"{self.what} is truncated")
        self.pos = q
        return self.data[p:q]

    def vec8(self, minimum: int = 0) -> bytes:
        n = self.u8()
        if n < minimum:
            raise _decode_error(f"short vector in {self.what}")
        return self.raw(n)

    def vec16(self, minimum: int = 0) -> bytes:
        p = self.pos
        d = self.data
        if p + 2 > self.end:
            raise _decode_error(f"{self.what} is truncated")
        n = (d[p] << 8) | d[p + 1]
        q = p + 2 + n
        if n < minimum:
            raise _decode_error(f"short vector in {self.what}")
        if q > self.end:
            raise _decode_error(f"{self.what} is truncated")
        self.pos = q
        return d[p + 2 : q]

    def vec24(self, minimum: int = 0) -> bytes:
        n = self.u24()
        if n < minimum:
            raise _decode_error(f"short vector in {self.what}")
        return self.raw(n)

    def sub16(self, minimum: int = 0) -> Reader:
        """A reader over the next u16-length-prefixed vector."""
        return Reader(self.vec16(minimum), self.what)

    def sub8(self, minimum: int = 0) -> Reader:
        return Reader(self.vec8(minimum), self.what)

    def sub24(self, minimum: int = 0) -> Reader:
        return Reader(self.vec24(minimum), self.what)

    def u16_list(self, nbytes_len: int = 2, minimum: int = 0) -> list[int]:
        """A vector of u16 values (length prefix of nbytes_len bytes)."""
        body = self.vec16(minimum) if nbytes_len == 2 else self.vec8(minimum)
        if len(body) & 1:
            raise _decode_error(f"odd-length list of 16-bit values in {self.what}")
        return [(body[i] << 8) | body[i + 1] for i in range(0, len(body), 2)]


def u8(v: int) -> bytes:
    return bytes((v,))


def u16(v: int) -> bytes:
    return v.to_bytes(2, "big")


def u24(v: int) -> bytes:
    return v.to_bytes(3, "big")


def u32(v: int) -> bytes:
    return v.to_bytes(4, "big")


def vec8(data: bytes) -> bytes:
    if len(data) > 0xFF:
        raise ValueError("vector too long for a 1-byte length")
    return bytes((len(data),)) + data


def vec16(data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise ValueError("vector too long for a 2-byte length")
    return len(data).to_bytes(2, "big") + data


def vec24(data: bytes) -> bytes:
    if len(data) > 0xFFFFFF:
        raise ValueError("vector too long for a 3-byte length")
    return len(data).to_bytes(3, "big") + data


class Writer:
    """Accumulates parts and joins them once."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def add(self, data: bytes) -> None:
        self.parts.append(data)

    def u8(self, v: int) -> None:
        self.parts.append(bytes((v,)))

    def u16(self, v: int) -> None:
        self.parts.append(v.to_bytes(2, "big"))

    def u24(self, v: int) -> None:
        self.parts.append(v.to_bytes(3, "big"))

    def u32(self, v: int) -> None:
        self.parts.append(v.to_bytes(4, "big"))

    def vec8(self, data: bytes) -> None:
        self.parts.append(vec8(data))

    def vec16(self, data: bytes) -> None:
        self.parts.append(vec16(data))

    def vec24(self, data: bytes) -> None:
        self.parts.append(vec24(data))

    def getvalue(self) -> bytes:
        return b"".join(self.parts)
