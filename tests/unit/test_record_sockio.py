"""Tests of the record layer's socket-descriptor paths (_core_sockio.pxi).

fill_fd() recv()s into the input buffer and, with open_now, opens the
records in the same step (and may copy their plaintext into the reader's
buffer); receive() then hands them over. send_fd() seals and send()s in one
step and leaves what the socket refuses queued; send_app() is its fast path
for the Connection, which declines (-1) whenever send_fd would not seal
straight onto the socket, and recv_app_into() the reader's (a limit, and
buffers it leaves to the full path). The tests run over
socketpairs: records split at every byte, non-blocking sockets (EAGAIN),
signals during a blocked recv() (EINTR), a stop at a handshake record, a
bad record, and the copy into a buffer the reader then does or does not
pass again.
"""

from __future__ import annotations

import array
import os
import signal
import socket
import threading
import time

import pytest
from test_record import SUITE_IDS, SUITES, keyed_pair

from cytls._record import RecordLayer
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert

pytestmark = pytest.mark.timeout(60)


def _wire(suite: tuple) -> tuple[RecordLayer, bytes, bytes]:
    """A reader keyed for suite, and a stream: app data, a handshake record, app data."""
    w, r, _, _ = keyed_pair(suite)
    app = os.urandom(2 * 16384 + 999)
    w.send(23, app[:20000])
    w.send(22, b"hs-1")
    w.send(23, app[20000:])
    return r, w.take_outgoing(), app


def _drain(r: RecordLayer, got: list[tuple[int, bytes]]) -> None:
    while (item := r.receive()) is not None:
        got.append(item)


@pytest.fixture
def pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    yield a, b
    a.close()
    b.close()


@pytest.mark.parametrize("open_now", [False, True], ids=["open-later", "open-now"])
@pytest.mark.parametrize("suite", SUITES[:1] + SUITES[3:4], ids=[SUITE_IDS[0], SUITE_IDS[3]])
def test_fill_fd_split_at_every_byte(pair: tuple, suite: tuple, open_now: bool) -> None:
    a, b = pair
    r, wire, app = _wire(suite)
    got: list[tuple[int, bytes]] = []
    for i in range(len(wire)):
        a.sendall(wire[i : i + 1])
        assert r.fill_fd(b.fileno(), 4096, open_now) == 1
        _drain(r, got)
    assert got == [(22, b"hs-1")] and bytes(r.app_data) == app
    assert r.bytes_buffered == 0


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_fill_fd_in_steps_with_copy(pair: tuple, suite: tuple) -> None:
    """Every split, open_now with a reader buffer: the plaintext reaches the
    buffer once, whether copied by fill_fd or by take_app_data_into."""
    a, b = pair
    _, wire, _ = _wire(suite)
    for split in range(1, len(wire) + 1, 1499):
        r, wire2, app2 = _wire(suite)
        out = bytearray()
        buf = bytearray(7000)
        view = memoryview(buf)
        got: list[tuple[int, bytes]] = []
        pos = 0
        while pos < len(wire2):
            a.sendall(wire2[pos : pos + split])
            pos += split
            assert r.fill_fd(b.fileno(), 65536, True, view) > 0
            _drain(r, got)
            while r.app_data:
                n = r.take_app_data_into(view)
                out += buf[:n]
        assert got == [(22, b"hs-1")]
        assert bytes(out) == app2 and r.bytes_buffered == 0


def test_copy_only_counts_for_the_same_buffer(pair: tuple) -> None:
    a, b = pair
    w, r, _, _ = keyed_pair(SUITES[0])
    data = os.urandom(30000)
    w.send(23, data)
    a.sendall(w.take_outgoing())
    first = bytearray(40000)
    assert r.fill_fd(b.fileno(), 65536, True, memoryview(first)) > 0
    assert r.receive() is None
    assert bytes(first[:30000]) == data  # copied in the fill step
    other = bytearray(40000)
    assert r.take_app_data_into(other) == 30000  # another buffer: really copied
    assert bytes(other[:30000]) == data
    assert len(r.app_data) == 0
    # Same buffer, but app data taken as bytes in between: nothing is assumed.
    w.send(23, data)
    a.sendall(w.take_outgoing())
    assert r.fill_fd(b.fileno(), 65536, True, memoryview(first)) > 0
    assert r.receive() is None
    assert r.take_app_data(100) == data[:100]
    first[:] = bytes(40000)
    assert r.take_app_data_into(first) == 29900
    assert bytes(first[:29900]) == data[100:]


def test_no_copy_when_a_record_stops_the_batch(pair: tuple) -> None:
    a, b = pair
    r, wire, app = _wire(SUITES[0])
    a.sendall(wire)
    buf = bytearray(len(app))
    assert r.fill_fd(b.fileno(), 1 << 17, True, memoryview(buf)) == len(wire)
    assert buf == bytes(len(app))  # stopped at the handshake record: nothing copied
    assert r.receive() == (22, b"hs-1")
    assert bytes(r.app_data) == app[:20000]
    assert r.receive() is None
    assert bytes(r.app_data) == app


def test_fill_fd_non_blocking_and_eof(pair: tuple) -> None:
    a, b = pair
    r, wire, app = _wire(SUITES[0])
    b.setblocking(False)
    a.sendall(wire[:100])
    assert r.fill_fd(b.fileno(), 4096, True) == 100
    assert r.receive() is None
    for open_now in (False, True):
        with pytest.raises(BlockingIOError):
            r.fill_fd(b.fileno(), 4096, open_now)
        assert r.bytes_buffered == 100 and len(r.app_data) == 0
    a.sendall(wire[100:])
    a.shutdown(socket.SHUT_WR)
    got: list[tuple[int, bytes]] = []
    while r.fill_fd(b.fileno(), 4096, True):
        _drain(r, got)
    assert got == [(22, b"hs-1")] and bytes(r.app_data) == app
    with pytest.raises(OSError):
        r.fill_fd(-1, 4096, True)
    with pytest.raises(ValueError):
        r.fill_fd(b.fileno(), 0)


def test_fill_fd_twice_without_receive_is_refused(pair: tuple) -> None:
    a, b = pair
    r, wire, _ = _wire(SUITES[0])
    a.sendall(wire[:2000])
    r.fill_fd(b.fileno(), 1000, True)
    with pytest.raises(RuntimeError):
        r.fill_fd(b.fileno(), 1000, True)


def test_bad_record_after_fill_fd_is_sticky(pair: tuple) -> None:
    a, b = pair
    r, wire, _ = _wire(SUITES[0])
    bad = bytearray(wire)
    bad[30] ^= 1
    a.sendall(bad)
    r.fill_fd(b.fileno(), len(bad), True, memoryview(bytearray(len(bad))))
    with pytest.raises(TLSAlert) as info:
        r.receive()
    assert info.value.description == AD.bad_record_mac
    assert bytes(r.app_data) == b"" and r.bytes_buffered == 0
    with pytest.raises(TLSAlert):
        r.receive()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
def test_fill_fd_retries_after_a_signal(pair: tuple) -> None:
    """PEP 475: a signal during the blocked recv() runs its handler and the
    recv() goes on; a handler's exception ends the call."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    a, b = pair
    b.settimeout(None)  # a blocking recv(), which the signal interrupts
    r, wire, app = _wire(SUITES[0])
    fired: list[int] = []
    old = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    sender = threading.Timer(0.3, a.sendall, (wire,))
    try:
        sender.start()
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        got: list[tuple[int, bytes]] = []
        total = 0
        while total < len(wire):
            total += r.fill_fd(b.fileno(), 1 << 17, True)
            _drain(r, got)
        assert fired and bytes(r.app_data) == app and got == [(22, b"hs-1")]

        def boom(*_: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGALRM, boom)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(KeyboardInterrupt):
            r.fill_fd(b.fileno(), 4096, True)
        assert r.bytes_buffered == 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        sender.join()


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_send_fd_all_taken(pair: tuple, suite: tuple) -> None:
    a, b = pair
    w, r, _, _ = keyed_pair(suite)
    data = os.urandom(100000)
    w.send_fd(a.fileno(), data)
    assert w.take_outgoing() == b""  # all sent
    w.send_fd(a.fileno(), b"")
    assert w.take_outgoing() == b""
    a.shutdown(socket.SHUT_WR)
    while r.fill_fd(b.fileno(), 1 << 17, True):
        assert r.receive() is None
    assert bytes(r.app_data) == data


def _start_reader(b: socket.socket) -> tuple[threading.Thread, bytearray]:
    """A thread reading b to its end into the bytearray returned."""
    received = bytearray()

    def read_all() -> None:
        while chunk := b.recv(1 << 16):
            received.extend(chunk)

    reader = threading.Thread(target=read_all)
    reader.start()
    return reader, received


def test_send_fd_keeps_what_the_socket_refuses(pair: tuple) -> None:
    """Non-blocking socket, full: the records left over stay queued, in
    order, behind what was sent; queued records go first on the next call."""
    a, b = pair
    a.setblocking(False)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    w, r, _, _ = keyed_pair(SUITES[0])
    data = os.urandom(3 * 1024 * 1024)
    w.send_fd(a.fileno(), data)
    left = w.take_outgoing()
    assert left  # the socket could not take 3 MiB at once
    w.send(22, b"hs-2")  # something queued: the next send_fd queues behind it
    w.send_fd(a.fileno(), b"tail")
    rest = left + w.take_outgoing()
    reader, received = _start_reader(b)
    a.setblocking(True)
    a.sendall(rest)
    a.shutdown(socket.SHUT_WR)
    reader.join(30)
    r.feed(bytes(received))
    got: list[tuple[int, bytes]] = []
    _drain(r, got)
    assert got == [(22, b"hs-2")]
    assert bytes(r.app_data) == data + b"tail"


def test_send_fd_to_a_closed_descriptor_queues(pair: tuple) -> None:
    w, r, _, _ = keyed_pair(SUITES[0])
    w.send_fd(-1, b"hello")
    r.feed(w.take_outgoing())
    assert r.receive() is None and bytes(r.app_data) == b"hello"


# send_app: send_fd's fast path for the Connection (only when it seals straight
# onto the socket), with its three answers.

_LIMIT = 1 << 24


def _read_all(r: RecordLayer, a: socket.socket, b: socket.socket) -> bytes:
    a.shutdown(socket.SHUT_WR)
    while r.fill_fd(b.fileno(), 1 << 17, True):
        assert r.receive() is None
    return bytes(r.app_data)


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_send_app_sends_and_counts_bytes(pair: tuple, suite: tuple) -> None:
    a, b = pair
    w, r, _, _ = keyed_pair(suite)
    data = os.urandom(70000)
    words = array.array("I", range(1000))  # a multi-byte format: its bytes count
    assert w.send_app(a.fileno(), data, _LIMIT) == len(data)
    assert w.send_app(a.fileno(), memoryview(words), _LIMIT) == 4000
    assert w.send_app(a.fileno(), bytearray(b"tail"), _LIMIT) == 4
    assert w.send_app(a.fileno(), b"", _LIMIT) == 0
    assert w.take_outgoing() == b""
    assert _read_all(r, a, b) == data + words.tobytes() + b"tail"


def test_send_app_declines_without_doing_anything(pair: tuple) -> None:
    a, b = pair
    w, r, _, _ = keyed_pair(SUITES[0])
    # Not one contiguous buffer: the caller's full path raises for it.
    assert w.send_app(a.fileno(), memoryview(bytes(100))[::2], _LIMIT) == -1
    assert w.send_app(a.fileno(), "text", _LIMIT) == -1
    # Something queued: records must stay in order behind it.
    w.send(22, b"hs")
    assert w.send_app(a.fileno(), b"data", _LIMIT) == -1
    queued = w.take_outgoing()
    # A per-record padding policy (TLS 1.3): send() applies it.
    w._pad_fn = lambda n: 0
    assert w.send_app(a.fileno(), b"data", _LIMIT) == -1
    w._pad_fn = None
    # The write key at the limit: the Connection's full path updates it.
    seq = w._write.seq
    assert w.send_app(a.fileno(), b"data", seq) == -1
    assert w._write.seq == seq and w.take_outgoing() == b""
    r.feed(queued)
    assert r.receive() == (22, b"hs") and r.receive() is None
    assert r.app_data == b""  # none of the declined writes was sealed
    assert w.send_app(a.fileno(), b"data", _LIMIT) == 4
    assert _read_all(r, a, b) == b"data"


def test_send_app_taken_but_not_all_sent(pair: tuple) -> None:
    """-2: the socket took only part (what is left stays queued, as after
    send_fd), or the key reached the limit with this write."""
    a, b = pair
    a.setblocking(False)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    w, r, _, _ = keyed_pair(SUITES[0])
    data = os.urandom(3 * 1024 * 1024)
    assert w.send_app(a.fileno(), data, _LIMIT) == -2
    left = w.take_outgoing()
    assert left
    reader, received = _start_reader(b)
    a.setblocking(True)
    a.sendall(left)
    # Four records take the key from limit - 2 past the limit: all sent,
    # and -2 says the Connection has a KeyUpdate to send.
    seq = w._write.seq
    assert w.send_app(a.fileno(), bytes(65536), seq + 2) == -2
    assert w.take_outgoing() == b"" and w._write.seq == seq + 4
    a.shutdown(socket.SHUT_WR)
    reader.join(30)
    r.feed(bytes(received))
    assert r.receive() is None
    assert bytes(r.app_data) == data + bytes(65536)


def test_send_app_and_recv_app_into_on_a_bad_descriptor() -> None:
    """No socket behind the descriptor: send_app keeps the sealed records
    queued (-2, as send_fd does), recv_app_into raises the OSError and
    takes nothing."""
    w, r, _, _ = keyed_pair(SUITES[0])
    assert w.send_app(-1, b"hello", _LIMIT) == -2
    r.feed(w.take_outgoing())
    assert r.receive() is None and bytes(r.app_data) == b"hello"
    r.take_app_data()
    with pytest.raises(OSError):
        r.recv_app_into(-1, 1 << 17, bytearray(100))
    assert r.bytes_buffered == 0 and r.app_data == b""


def test_recv_app_into_limit_and_unsuitable_buffers(pair: tuple) -> None:
    a, b = pair
    w, r, _, _ = keyed_pair(SUITES[0])
    data = os.urandom(5000)
    for _ in range(2):  # two records' worth waits in the socket
        w.send(23, data)
    a.sendall(w.take_outgoing())
    buf = bytearray(8192)
    # Empty, read-only or non-contiguous: nothing is read (-3).
    for bad in (bytearray(), b"read-only", memoryview(buf)[::2]):
        assert r.recv_app_into(b.fileno(), 1 << 17, bad) == -3
    assert r.bytes_buffered == 0
    # limit: the first 100 bytes of the buffer, the rest kept in app_data.
    assert r.recv_app_into(b.fileno(), 1 << 17, buf, 100) == 100
    assert bytes(buf[:100]) == data[:100] and buf[100:] == bytes(8092)
    assert bytes(r.app_data) == data[100:] + data
    assert r.take_app_data() == data[100:] + data
    # A limit past the buffer's end, or none, is the whole buffer.
    w.send(23, data)
    a.sendall(w.take_outgoing())
    small = bytearray(300)
    assert r.recv_app_into(b.fileno(), 1 << 17, small, 10**6) == 300
    assert bytes(small) == data[:300]


def test_threads_on_two_layers(pair: tuple) -> None:
    """Two threads each drive their own layer pair over their own socket
    pair at once (the GIL is released in both calls): every byte arrives."""
    results: list[bool] = []

    def run() -> None:
        a, b = socket.socketpair()
        with a, b:
            a.settimeout(10)
            b.settimeout(10)
            w, r, _, _ = keyed_pair(SUITES[0])
            data = os.urandom(65536)
            buf = bytearray(65536)
            view = memoryview(buf)
            ok = True
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                w.send_fd(a.fileno(), data)
                assert w.take_outgoing() == b""
                got = bytearray()
                while len(got) < len(data):
                    r.fill_fd(b.fileno(), 1 << 17, True, view)
                    assert r.receive() is None
                    n = r.take_app_data_into(view)
                    got += buf[:n]
                ok = ok and bytes(got) == data
            results.append(ok)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [True, True]


def test_recv_app_into_hands_over_application_data(pair: tuple) -> None:
    a, b = pair
    w, r, _, _ = keyed_pair(SUITES[0])
    data = os.urandom(50000)
    w.send(23, data)
    wire = w.take_outgoing()
    buf = bytearray(65536)
    a.sendall(wire[:100])
    assert r.recv_app_into(b.fileno(), 1 << 17, memoryview(buf)) == 0  # part of a record
    a.sendall(wire[100:])
    assert r.recv_app_into(b.fileno(), 1 << 17, memoryview(buf)) == len(data)
    assert bytes(buf[: len(data)]) == data
    assert len(r.app_data) == 0 and r.bytes_buffered == 0
    assert r.receive() is None  # nothing left over for the slow path
    # A smaller buffer: the rest stays in app_data, and the next call leaves
    # it to the slow path without reading.
    w.send(23, data)
    a.sendall(w.take_outgoing())
    small = bytearray(1000)
    got = r.recv_app_into(b.fileno(), 1 << 17, memoryview(small))
    assert got == 1000 and bytes(small) == data[:1000]
    assert bytes(r.app_data) == data[1000:got + len(r.app_data)]
    assert r.recv_app_into(b.fileno(), 1 << 17, memoryview(small)) == -2
    assert r.take_app_data() == data[1000:]
    a.shutdown(socket.SHUT_WR)
    assert r.recv_app_into(b.fileno(), 1 << 17, memoryview(buf)) == -1


def test_recv_app_into_leaves_other_records_to_receive(pair: tuple) -> None:
    a, b = pair
    r, wire, app = _wire(SUITES[0])
    a.sendall(wire)
    buf = bytearray(len(app))
    assert r.recv_app_into(b.fileno(), 1 << 17, memoryview(buf)) == -2
    assert buf == bytes(len(app))
    assert r.receive() == (22, b"hs-1")
    assert r.receive() is None
    assert bytes(r.app_data) == app


def test_recv_app_into_bad_record_raises_in_receive(pair: tuple) -> None:
    a, b = pair
    w, r, _, _ = keyed_pair(SUITES[0])
    w.send(23, b"x" * 3000)
    bad = bytearray(w.take_outgoing())
    bad[20] ^= 1
    a.sendall(bad)
    buf = bytearray(4096)
    assert r.recv_app_into(b.fileno(), 4096, memoryview(buf)) == -2
    assert buf == bytes(4096)  # nothing released before the tag is checked
    with pytest.raises(TLSAlert) as info:
        r.receive()
    assert info.value.description == AD.bad_record_mac
    assert r.recv_app_into(b.fileno(), 4096, memoryview(buf)) == -2  # failed: slow path


def test_recv_app_into_non_blocking(pair: tuple) -> None:
    a, b = pair
    w, r, _, _ = keyed_pair(SUITES[0])
    b.setblocking(False)
    buf = bytearray(4096)
    with pytest.raises(BlockingIOError):
        r.recv_app_into(b.fileno(), 4096, memoryview(buf))
    w.send(23, b"hello")
    a.sendall(w.take_outgoing())
    assert r.recv_app_into(b.fileno(), 4096, memoryview(buf)) == 5 and buf[:5] == b"hello"
