"""Tests of the record layer's memory-BIO batches (_core.RecordIO).

feed() keeps a bytes object by reference, copying only the bytes that
complete a record begun in an earlier feed; open_app_bytes() opens a batch
of application data straight into the bytes it returns, and hands anything
else (a handshake record, an alert, a bad record) to the receive() that
follows. The tests cut a stream of records at every byte, check what comes
out and in what order, what a limit leaves behind, and that a record that
fails authentication releases nothing.
"""

from __future__ import annotations

import os

import pytest
from test_record import SUITE_IDS, SUITES, keyed_pair

from cytls._record import RecordLayer
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert

AES128, CHACHA12 = SUITES[0], SUITES[5]


def _stream(suite: tuple, sizes: tuple[int, ...] = (700, 1, 300)) -> tuple[RecordLayer, bytes, bytes]:
    """A reader keyed for suite, and a wire of app records, a handshake record
    ("hs-1") after the first, and the plaintext of the app records."""
    w, r, _, _ = keyed_pair(suite)
    app = os.urandom(sum(sizes))
    pos = 0
    for i, n in enumerate(sizes):
        w.send(23, app[pos : pos + n])
        pos += n
        if i == 0:
            w.send(22, b"hs-1")
    return r, w.take_outgoing(), app


def _drain(r: RecordLayer, got: list[tuple[int, bytes]]) -> None:
    while (item := r.receive()) is not None:
        got.append(item)


def _cuts(wire: bytes, step: int = 1) -> list[tuple[bytes, bytes]]:
    return [(wire[:i], wire[i:]) for i in range(0, len(wire) + 1, step)]


@pytest.mark.parametrize("suite", [AES128, CHACHA12], ids=[SUITE_IDS[0], SUITE_IDS[5]])
def test_feed_bytes_split_at_every_byte(suite: tuple) -> None:
    _, wire, _ = _stream(suite)
    for first, _second in _cuts(wire):
        r, wire2, app = _stream(suite)
        got: list[tuple[int, bytes]] = []
        for part in (wire2[: len(first)], wire2[len(first) :]):
            r.feed(part)
            _drain(r, got)
        assert got == [(22, b"hs-1")]
        assert bytes(r.app_data) == app
        assert r.bytes_buffered == 0


def test_feed_three_pieces_every_header_split() -> None:
    # The second piece ends inside the next record's header, at each of its
    # five bytes, and the third completes it: the header spans two feeds.
    _, wire, _ = _stream(AES128, (50, 60, 70))
    first_len = 5 + (wire[3] << 8 | wire[4])
    for cut in range(first_len + 1, first_len + 10):
        for end in range(cut + 1, min(cut + 12, len(wire))):
            r, wire2, app = _stream(AES128, (50, 60, 70))
            got: list[tuple[int, bytes]] = []
            for part in (wire2[:cut], wire2[cut:end], wire2[end:]):
                r.feed(part)
                _drain(r, got)
            assert got == [(22, b"hs-1")] and bytes(r.app_data) == app
            assert r.bytes_buffered == 0


def test_feed_mixes_bytes_and_other_buffers() -> None:
    r, wire, app = _stream(AES128)
    got: list[tuple[int, bytes]] = []
    parts = [wire[:3], bytearray(wire[3:400]), wire[400:401], memoryview(wire)[401:900], wire[900:]]
    for part in parts:
        r.feed(part)
        _drain(r, got)
    assert got == [(22, b"hs-1")] and bytes(r.app_data) == app and r.bytes_buffered == 0


def test_feed_keeps_bytes_by_reference_and_counts_what_is_buffered() -> None:
    r, wire, app = _stream(AES128, (40, 40, 40))
    r.feed(wire[:10])
    r.feed(wire[10:])  # 10 bytes of a record, then the rest of the wire
    assert r.bytes_buffered == len(wire)
    got: list[tuple[int, bytes]] = []
    _drain(r, got)
    assert got == [(22, b"hs-1")] and bytes(r.app_data) == app and r.bytes_buffered == 0


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_open_app_bytes_split_at_every_byte(suite: tuple) -> None:
    _, wire, _ = _stream(suite)
    for first, _second in _cuts(wire, 3):
        r, wire2, app = _stream(suite)
        out = b""
        items: list[tuple[int, bytes]] = []
        for part in (wire2[: len(first)], wire2[len(first) :]):
            got = r.open_app_bytes(part, 1 << 20)
            if got is None:
                _drain(r, items)
                out += r.take_app_data()
            else:
                assert isinstance(got, bytes)
                out += got
        assert out == app and items == [(22, b"hs-1")]
        assert r.bytes_buffered == 0 and not r.app_data


def test_open_app_bytes_app_data_only_returns_it_all() -> None:
    w, r, _, _ = keyed_pair(AES128)
    app = os.urandom(100000)
    w.send(23, app)
    wire = w.take_outgoing()
    got = r.open_app_bytes(wire[:50000], 1 << 20)
    assert got is not None and app.startswith(got) and len(got) < 50000
    rest = r.open_app_bytes(wire[50000:], 1 << 20)
    assert got + rest == app
    assert r.bytes_buffered == 0 and not r.app_data


def test_open_app_bytes_partial_record_returns_empty() -> None:
    w, _, key, iv = keyed_pair(AES128)
    w.send(23, b"x" * 1000)
    wire = w.take_outgoing()
    for cut in (1, 4, 5, 6, len(wire) - 1):
        r = RecordLayer()
        r.set_read_key(AES128[0], key, iv, AES128[1])
        assert r.open_app_bytes(wire[:cut], 4096) == b""
        assert r.bytes_buffered == cut
        assert r.open_app_bytes(wire[cut:], 4096) == b"x" * 1000
        assert r.bytes_buffered == 0


def test_open_app_bytes_limit_leaves_the_rest_in_app_data() -> None:
    w, r, _, _ = keyed_pair(AES128)
    app = os.urandom(3000)
    w.send(23, app)
    wire = w.take_outgoing()
    got = r.open_app_bytes(wire, 2000)  # more than half the batch
    assert got == app[:2000]
    assert bytes(r.app_data) == app[2000:]
    # app_data not empty: the next batch goes by receive().
    w.send(23, b"more")
    assert r.open_app_bytes(w.take_outgoing(), 1 << 20) is None
    assert r.receive() is None
    assert bytes(r.app_data) == app[2000:] + b"more"


def test_open_app_bytes_small_limit_goes_by_receive() -> None:
    w, r, _, _ = keyed_pair(AES128)
    app = os.urandom(3000)
    w.send(23, app)
    assert r.open_app_bytes(w.take_outgoing(), 100) is None  # under half the batch
    assert r.receive() is None
    assert r.take_app_data(100) == app[:100] and bytes(r.app_data) == app[100:]


def test_open_app_bytes_hands_over_a_handshake_record_in_order() -> None:
    w, r, _, _ = keyed_pair(AES128)
    w.send(23, b"before")
    w.send(22, b"hs-1")
    w.send(23, b"after")
    assert r.open_app_bytes(w.take_outgoing(), 1 << 20) is None
    assert not r.app_data  # nothing before receive() hands the batch over
    assert r.receive() == (22, b"hs-1")
    assert bytes(r.app_data) == b"before"
    assert r.receive() is None
    assert bytes(r.app_data) == b"beforeafter"


@pytest.mark.parametrize("where", ["first", "bridged", "later"])
def test_open_app_bytes_bad_record_releases_nothing(where: str) -> None:
    w, r, _, _ = keyed_pair(AES128)
    for n in (100, 200, 300):
        w.send(23, bytes([n % 251]) * n)
    wire = bytearray(w.take_outgoing())
    first = 5 + 100 + 17
    second = first + 5 + 200 + 17
    bad = {"first": 20, "bridged": first + 30, "later": second + 30}[where]
    wire[bad] ^= 1
    wire = bytes(wire)
    out = b""
    if where == "bridged":
        # The first feed ends inside the bad record: the second completes it.
        got = r.open_app_bytes(wire[: first + 10], 1 << 20)
        assert got == b"\x64" * 100
        out += got
        wire = wire[first + 10 :]
    assert r.open_app_bytes(wire, 1 << 20) is None
    with pytest.raises(TLSAlert) as info:
        r.receive()
    assert info.value.description == AD.bad_record_mac
    out += bytes(r.app_data)
    good = {"first": b"", "bridged": b"\x64" * 100, "later": b"\x64" * 100 + b"\xc8" * 200}
    assert out == good[where]
    with pytest.raises(TLSAlert) as again:
        r.receive()
    assert again.value is info.value
    assert r.open_app_bytes(b"\x17\x03\x03\x00\x20" + bytes(32), 1 << 20) is None


def test_open_app_bytes_alert_then_trailing_bytes() -> None:
    w, r, _, _ = keyed_pair(AES128)
    w.send(23, b"data")
    w.send(21, b"\x01\x00")
    wire = w.take_outgoing() + b"clear text"
    assert r.open_app_bytes(wire, 1 << 20) is None
    assert r.receive() == (21, b"\x01\x00")
    assert bytes(r.app_data) == b"data"
    assert r.bytes_buffered == len(b"clear text")


def test_open_app_bytes_with_a_bytearray_or_memoryview() -> None:
    w, r, _, _ = keyed_pair(AES128)
    w.send(23, b"a" * 500)
    w.send(23, b"b" * 500)
    wire = w.take_outgoing()
    half = len(wire) // 2
    first = r.open_app_bytes(bytearray(wire[:half]), 1 << 20)
    second = r.open_app_bytes(memoryview(wire)[half:], 1 << 20)
    assert first is not None and second is not None
    assert first + second == b"a" * 500 + b"b" * 500
