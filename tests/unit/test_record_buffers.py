"""Tests of the record layer's reusable buffers (_core.RecordIO).

fill() lets a socket's recv_into write into the input buffer; take_app_data
and take_app_data_into move plaintext out of the front of app_data;
drop_outgoing removes sent bytes from the outgoing queue. The buffers keep
their allocation across batches, so the tests check the bytes (every split
point, every mix with feed(), partial and failing receives) and the
allocation (no shrink, no regrowth per batch).
"""

from __future__ import annotations

import os
import sys

import pytest
from test_record import SUITE_IDS, SUITES, keyed_pair

from cytls._record import RecordLayer
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert


def _wire(suite: tuple) -> tuple[RecordLayer, bytes, bytes]:
    """A reader keyed for suite, and a stream: app data, a handshake record, app data."""
    w, r, _, _ = keyed_pair(suite)
    app = os.urandom(2 * 16384 + 999)
    w.send(23, app[:20000])
    w.send(22, b"hs-1")
    w.send(23, app[20000:])
    return r, w.take_outgoing(), app


class Source:
    """A fake socket recv_into over a byte string, at most `step` bytes a call."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data = data
        self.pos = 0
        self.step = step

    def recv_into(self, view: memoryview) -> int:
        n = min(len(view), self.step, len(self.data) - self.pos)
        view[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


def _drain(r: RecordLayer, got: list[tuple[int, bytes]]) -> None:
    while (item := r.receive()) is not None:
        got.append(item)


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_fill_in_steps_of_many_sizes(suite: tuple) -> None:
    _, wire, _ = _wire(suite)
    for split in range(0, len(wire) + 1, 97):
        r, wire2, app2 = _wire(suite)
        src = Source(wire2, split or 1)
        got: list[tuple[int, bytes]] = []
        while src.pos < len(wire2):
            assert r.fill(src.recv_into, 65536) > 0
            _drain(r, got)
        assert got == [(22, b"hs-1")]
        assert bytes(r.app_data) == app2
        assert r.bytes_buffered == 0


@pytest.mark.parametrize("suite", SUITES[:1] + SUITES[3:4], ids=[SUITE_IDS[0], SUITE_IDS[3]])
def test_fill_one_byte_at_a_time(suite: tuple) -> None:
    r, wire, app = _wire(suite)
    src = Source(wire, 1)
    got: list[tuple[int, bytes]] = []
    for _ in range(len(wire)):
        assert r.fill(src.recv_into, 4096) == 1
        _drain(r, got)
    assert got == [(22, b"hs-1")] and bytes(r.app_data) == app


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_fill_mixed_with_feed(suite: tuple) -> None:
    r, wire, app = _wire(suite)
    kinds = (bytes, bytearray, memoryview)
    got: list[tuple[int, bytes]] = []
    pos = 0
    i = 0
    while pos < len(wire):
        n = min(3001 + 1000 * i, len(wire) - pos)
        if i % 2:
            r.feed(kinds[i % 3](wire[pos : pos + n]))
        else:
            assert r.fill(Source(wire[pos : pos + n], n).recv_into, n) == n
        pos += n
        i += 1
        _drain(r, got)
    assert got == [(22, b"hs-1")] and bytes(r.app_data) == app


def test_fill_failures_add_nothing() -> None:
    r, wire, app = _wire(SUITES[0])
    r.feed(wire[:100])

    def fails(view: memoryview) -> int:
        view[:10] = b"x" * 10
        raise BlockingIOError

    with pytest.raises(BlockingIOError):
        r.fill(fails, 1000)
    assert r.bytes_buffered == 100
    with pytest.raises(ValueError):
        r.fill(lambda view: len(view) + 1, 1000)
    with pytest.raises(ValueError):
        r.fill(lambda view: -1, 1000)
    with pytest.raises(ValueError):
        r.fill(lambda view: 0, 0)
    assert r.bytes_buffered == 100
    assert r.fill(lambda view: 0, 1000) == 0  # end of stream: nothing added
    r.feed(wire[100:])
    got: list[tuple[int, bytes]] = []
    _drain(r, got)
    assert got == [(22, b"hs-1")] and bytes(r.app_data) == app


def test_fill_view_cannot_outlive_the_call() -> None:
    r, wire, _ = _wire(SUITES[0])
    kept: list[memoryview] = []

    def keep(view: memoryview) -> int:
        kept.append(view)
        view[:5] = wire[:5]
        return 5

    r.fill(keep, 100)
    with pytest.raises(ValueError):
        kept[0][0]  # released when fill returned
    assert r.bytes_buffered == 5


def test_bad_record_after_fill_is_sticky() -> None:
    r, wire, _ = _wire(SUITES[0])
    bad = bytearray(wire)
    bad[30] ^= 1
    r.fill(Source(bytes(bad), len(bad)).recv_into, len(bad))
    with pytest.raises(TLSAlert) as info:
        r.receive()
    assert info.value.description == AD.bad_record_mac
    assert bytes(r.app_data) == b"" and r.bytes_buffered == 0
    with pytest.raises(TLSAlert):
        r.receive()


def test_take_app_data_in_pieces() -> None:
    r, wire, app = _wire(SUITES[1])
    r.feed(wire)
    _drain(r, [])
    out = b""
    buf = bytearray(7000)
    while r.app_data:
        n = r.take_app_data_into(memoryview(buf)[: 1 + len(out) % 6999])
        out += bytes(buf[:n])
        if r.app_data:
            out += r.take_app_data(333)
    assert out == app
    assert r.take_app_data() == b"" and r.take_app_data_into(buf) == 0


def test_take_app_data_into_refuses_read_only() -> None:
    r, wire, app = _wire(SUITES[0])
    r.feed(wire)
    _drain(r, [])
    with pytest.raises(BufferError):
        r.take_app_data_into(b"x" * 10)
    assert bytes(r.app_data) == app


def test_drop_outgoing() -> None:
    w, r, _, _ = keyed_pair(SUITES[0])
    out = w.outgoing  # records are sealed straight into this bytearray
    w.send(23, b"a" * 5000)
    first = bytes(out)
    w.drop_outgoing(1000)
    assert bytes(out) == first[1000:]
    w.send(23, b"b" * 7000)
    w.drop_outgoing(len(first) - 1000)
    r.feed(first)
    r.feed(bytes(out))
    _drain(r, [])
    assert bytes(r.app_data) == b"a" * 5000 + b"b" * 7000
    w.drop_outgoing(len(out) + 10)
    assert bytes(out) == b""


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="bytearray allocation is CPython's")
def test_buffers_keep_their_allocation() -> None:
    """Batch after batch, the plaintext buffer is not given back and taken
    again (which costs page faults on every batch): its allocation stays."""
    w, r, _, _ = keyed_pair(SUITES[0])
    chunk = os.urandom(100000)
    buf = bytearray(len(chunk))
    sizes = set()
    for i in range(20):
        w.send(23, chunk)
        wire = w.take_outgoing()
        r.fill(Source(wire, len(wire)).recv_into, len(wire))
        assert r.receive() is None
        assert r.take_app_data_into(buf) == len(chunk) and buf == chunk
        sizes.add(r.app_data.__alloc__())
        if i % 3 == 0:  # a small record between big ones
            w.send(23, b"x")
            r.feed(w.take_outgoing())
            r.receive()
            assert r.take_app_data() == b"x"
            sizes.add(r.app_data.__alloc__())
    assert len(sizes) == 1 and sizes.pop() > len(chunk)


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="bytearray allocation is CPython's")
def test_small_and_huge_buffers_are_given_back() -> None:
    """An idle connection keeps no handshake-sized buffers, and a one-off
    huge batch is not kept either; only socket-batch sizes are."""
    w, r, _, _ = keyed_pair(SUITES[0])
    out = w.outgoing
    w.send(22, b"x" * 3000)  # a handshake flight
    wire = bytes(out)
    w.drop_outgoing(len(out))
    assert out.__alloc__() < 64
    r.feed(bytearray(wire[:10]))
    r.feed(bytearray(wire[10:]))
    assert r.receive() == (22, b"x" * 3000)
    assert r.app_data.__alloc__() < 64 and r.bytes_buffered == 0
    huge = os.urandom(3 << 20)
    w2, r2, _, _ = keyed_pair(SUITES[0])
    w2.send(23, huge)
    r2.feed(bytearray(w2.take_outgoing()))
    assert r2.receive() is None
    assert r2.take_app_data() == huge
    assert r2.app_data.__alloc__() < 64
