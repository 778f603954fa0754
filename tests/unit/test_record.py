"""Tests of the record layer (src/cytls/_record.py over csrc/record.c).

Known answers from RFC 8448; records built independently here with
`cryptography`'s AEADs from the RFC text; malformed records of every kind,
each with its exact alert and no plaintext released.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from cytls import crypto
from cytls._record import KEY_UPDATE_AFTER, RecordLayer
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert


def _vectors() -> Path:
    """tests/vectors: the copies kept in the repository (see its README.md)."""
    return Path(__file__).resolve().parents[1] / "vectors"


VECTORS = _vectors()

# suite, version, key length, iv length, reference AEAD class
SUITES = [
    (0x1301, 0x0304, 16, 12, AESGCM),
    (0x1302, 0x0304, 32, 12, AESGCM),
    (0x1303, 0x0304, 32, 12, ChaCha20Poly1305),
    (0xC02F, 0x0303, 16, 4, AESGCM),
    (0xC030, 0x0303, 32, 4, AESGCM),
    (0xCCA8, 0x0303, 32, 12, ChaCha20Poly1305),
]
SUITE_IDS = [f"{s[0]:04x}" for s in SUITES]


@pytest.fixture(params=["native", "portable"])
def level(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    crypto.force_backend(request.param)
    yield request.param
    crypto.force_backend("native")


def ref_record(
    suite: tuple,
    key: bytes,
    iv: bytes,
    seq: int,
    ctype: int,
    content: bytes,
    pad: int = 0,
    raw_inner: bytes | None = None,
) -> bytes:
    """One record, built from the RFC text with cryptography's AEADs."""
    _, version, _, iv_len, cls = suite
    aead = cls(key)
    if version == 0x0304:
        inner = raw_inner if raw_inner is not None else content + bytes([ctype]) + bytes(pad)
        header = struct.pack(">BHH", 23, 0x0303, len(inner) + 16)
        nonce = bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12, "big"), strict=True))
        return header + aead.encrypt(nonce, inner, header)
    aad = seq.to_bytes(8, "big") + struct.pack(">BHH", ctype, 0x0303, len(content))
    if iv_len == 4:
        explicit = seq.to_bytes(8, "big")
        body = explicit + aead.encrypt(iv + explicit, content, aad)
    else:
        nonce = bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12, "big"), strict=True))
        body = aead.encrypt(nonce, content, aad)
    return struct.pack(">BHH", ctype, 0x0303, len(body)) + body


def keyed_pair(suite: tuple) -> tuple[RecordLayer, RecordLayer, bytes, bytes]:
    key, iv = os.urandom(suite[2]), os.urandom(suite[3])
    w, r = RecordLayer(), RecordLayer()
    w.set_write_key(suite[0], key, iv, suite[1])
    r.set_read_key(suite[0], key, iv, suite[1])
    return w, r, key, iv


def expect_alert(layer: RecordLayer, data: bytes, alert: AD) -> TLSAlert:
    layer.feed(data)
    with pytest.raises(TLSAlert) as info:
        while layer.receive() is not None:
            pass
    assert info.value.description == alert, (info.value, alert)
    # sticky: every later call raises the same
    with pytest.raises(TLSAlert) as again:
        layer.receive()
    assert again.value is info.value
    return info.value


# ---------------------------------------------------------------- RFC 8448


def _rfc8448_cases() -> list[tuple[str, dict, dict]]:
    cases = []
    for name in ("simple_1rtt", "resumed_0rtt"):
        trace = json.loads((VECTORS / "rfc8448" / f"{name}.json").read_text())
        for rec in trace["records"]:
            cases.append((f"{name}:{rec['name']}", trace, rec))
    return cases


@pytest.mark.parametrize("case", _rfc8448_cases(), ids=lambda c: c[0])
def test_rfc8448_records(case: tuple[str, dict, dict], level: str) -> None:
    _, trace, rec = case
    content = bytes.fromhex(rec["content"])
    record = bytes.fromhex(rec["record"])
    w, r = RecordLayer(), RecordLayer()
    if rec["protected"]:
        keys = trace["traffic_keys"]
        key = bytes.fromhex(keys[rec["protection_keys"] + "_key"])
        iv = bytes.fromhex(keys[rec["protection_keys"] + "_iv"])
        w.set_write_key(0x1301, key, iv, 0x0304)
        r.set_read_key(0x1301, key, iv, 0x0304)
        w._write.set_seq(rec["sequence_number"])
        r._read.set_seq(rec["sequence_number"])
        ctype = rec["inner_content_type"]
    else:
        ctype = record[0]
        w.set_legacy_record_version(struct.unpack(">H", record[1:3])[0])
    w.send(ctype, content)
    assert w.take_outgoing() == record
    assert w.outgoing == b""
    r.feed(record)
    got = r.receive()
    if ctype == 23 and rec["protected"]:
        assert got is None
        assert bytes(r.app_data) == content
    else:
        assert got == (ctype, content)
        assert r.app_data == b""
    assert r.bytes_buffered == 0
    assert r.read_seq == (rec.get("sequence_number", -1) + 1 if rec["protected"] else 0)


def test_rfc8448_flight_in_one_stream() -> None:
    """The server's side of RFC 8448 §3, fed as one byte stream in pieces,
    switching keys where the Connection would."""
    trace = json.loads((VECTORS / "rfc8448" / "simple_1rtt.json").read_text())
    keys = trace["traffic_keys"]
    server = [r for r in trace["records"] if r["sender"] == "server"]
    stream = b"".join(bytes.fromhex(r["record"]) for r in server)
    layer = RecordLayer()
    for i in range(0, len(stream), 7):
        layer.feed(stream[i : i + 7])
    seen = []
    # the Connection's key changes, at the boundaries the trace shows
    plan = {0: "server_handshake", 1: "server_application"}
    step = 0
    while (got := layer.receive()) is not None:
        seen.append(got)
        if step in plan:
            k = plan[step]
            layer.set_read_key(
                0x1301, bytes.fromhex(keys[k + "_key"]), bytes.fromhex(keys[k + "_iv"]), 0x0304
            )
        step += 1
    assert [t for t, _ in seen] == [22, 22, 22, 21]
    assert seen[0][1] == bytes.fromhex(server[0]["content"])
    assert seen[1][1] == bytes.fromhex(server[1]["content"])
    assert seen[2][1] == bytes.fromhex(server[2]["content"])
    assert bytes(layer.app_data) == bytes.fromhex(server[3]["content"])
    assert seen[3][1] == b"\x01\x00"



_SHA256 = 1  # cytls_hash_alg of SHA-256 (HASH_IDS in keyschedule.py)
_SECRET_OF = {
    "server_handshake": "server_handshake_traffic_secret",
    "client_handshake": "client_handshake_traffic_secret",
    "server_application": "server_application_traffic_secret_0",
    "client_application": "client_application_traffic_secret_0",
}


@pytest.mark.parametrize(
    "case", [c for c in _rfc8448_cases() if c[2]["protected"] and c[0].startswith("simple")],
    ids=lambda c: c[0],
)
def test_rfc8448_records_from_traffic_secrets(case: tuple[str, dict, dict], level: str) -> None:
    """set_*_secret13 derive the RFC's key and IV in C (RFC 8446 §7.3): the
    record sealed is the RFC's, and the RFC's record opens."""
    _, trace, rec = case
    secret = bytes.fromhex(trace["key_schedule"][_SECRET_OF[rec["protection_keys"]]])
    w, r = RecordLayer(), RecordLayer()
    w.set_write_secret13(0x1301, _SHA256, secret)
    r.set_read_secret13(0x1301, _SHA256, bytearray(secret))
    w._write.set_seq(rec["sequence_number"])
    r._read.set_seq(rec["sequence_number"])
    content = bytes.fromhex(rec["content"])
    w.send(rec["inner_content_type"], content)
    assert w.take_outgoing() == bytes.fromhex(rec["record"])
    r.feed(bytes.fromhex(rec["record"]))
    got = r.receive()
    assert (bytes(r.app_data) if got is None else got[1]) == content


def test_traffic_secret_refusals() -> None:
    layer = RecordLayer()
    secret = bytes(32)
    with pytest.raises(ValueError, match="hash"):
        layer.set_write_secret13(0x1301, 99, secret)
    with pytest.raises(ValueError):
        layer.set_read_secret13(0xC02F, _SHA256, secret)  # a TLS 1.2 suite
    with pytest.raises(ValueError):
        layer._write.set_traffic_secret(77, _SHA256, secret)  # no such AEAD
    with pytest.raises(TypeError):
        layer.set_write_secret13(0x1301, _SHA256, "not bytes")  # type: ignore[arg-type]
    # Nothing was installed: records still go out in plaintext.
    layer.send(22, b"hello")
    assert layer.take_outgoing() == b"\x16\x03\x03\x00\x05hello"

# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
@pytest.mark.parametrize("size", [0, 1, 16383, 16384, 16385, 65536, 100_003])
def test_seal_matches_reference_and_opens(suite: tuple, size: int, level: str) -> None:
    w, r, key, iv = keyed_pair(suite)
    data = os.urandom(size)
    w.send(23, memoryview(data))
    wire = w.take_outgoing()
    expected = b"".join(
        ref_record(suite, key, iv, seq, 23, data[off : off + 16384])
        for seq, off in enumerate(range(0, size, 16384))
    )
    assert wire == expected
    assert w.write_seq == (size + 16383) // 16384
    r.feed(wire)
    assert r.receive() is None
    assert bytes(r.app_data) == data
    assert r.bytes_buffered == 0 and r.read_seq == w.write_seq


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_opens_reference_records_with_interleaved_types(suite: tuple) -> None:
    _, r, key, iv = keyed_pair(suite)
    a, b = os.urandom(3000), os.urandom(500)
    wire = (
        ref_record(suite, key, iv, 0, 23, a)
        + ref_record(suite, key, iv, 1, 22, b"hs")
        + ref_record(suite, key, iv, 2, 23, b)
        + ref_record(suite, key, iv, 3, 21, b"\x01\x00")
    )
    r.feed(wire)
    assert r.receive() == (22, b"hs")
    assert bytes(r.app_data) == a
    assert r.receive() == (21, b"\x01\x00")
    assert bytes(r.app_data) == a + b
    assert r.receive() is None


@pytest.mark.parametrize("suite", SUITES[:3], ids=SUITE_IDS[:3])
def test_padding_policies(suite: tuple) -> None:
    w, r, key, iv = keyed_pair(suite)
    w.set_padding(512)
    w.send(23, b"a" * 1000)
    wire = w.take_outgoing()
    assert wire == ref_record(suite, key, iv, 0, 23, b"a" * 1000, pad=1024 - 1001)
    w.set_padding(lambda n: 7)
    w.send(23, b"b" * 20000)
    wire2 = w.take_outgoing()
    assert wire2 == (
        ref_record(suite, key, iv, 1, 23, b"b" * 16384, pad=0)  # inner at 2^14+1 already
        + ref_record(suite, key, iv, 2, 23, b"b" * 3616, pad=7)
    )
    w.set_padding(None)
    w.send(22, b"c")
    wire3 = w.take_outgoing()
    assert wire3 == ref_record(suite, key, iv, 3, 22, b"c")
    r.feed(wire + wire2 + wire3)
    assert r.receive() == (22, b"c")
    assert bytes(r.app_data) == b"a" * 1000 + b"b" * 20000


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_record_size_limit(suite: tuple) -> None:
    w, r, key, iv = keyed_pair(suite)
    w.set_write_fragment_limit(1000)
    r.set_read_plaintext_limit(1000)
    w.send(23, bytes(5000))
    frag = 999 if suite[1] == 0x0304 else 1000
    assert w.write_seq == -(-5000 // frag)
    r.feed(w.take_outgoing())
    assert r.receive() is None and len(r.app_data) == 5000
    # a record over our advertised limit: record_overflow before decryption
    big = ref_record(suite, key, iv, r.read_seq, 23, bytes(1001))
    expect_alert(r, big, AD.record_overflow)
    with pytest.raises(ValueError):
        w.set_write_fragment_limit(63)
    # the limit survives key changes
    w.set_write_key(suite[0], key, iv, suite[1])
    w.send(23, bytes(5000))
    assert w.write_seq == -(-5000 // frag)


def test_plaintext_framing() -> None:
    w, r = RecordLayer(), RecordLayer()
    w.set_legacy_record_version(0x0301)
    w.send(22, bytes(range(256)) * 100)
    wire = w.take_outgoing()
    assert wire[:5] == b"\x16\x03\x01\x40\x00" and len(wire) == 25600 + 10
    w.set_legacy_record_version(0x0303)
    w.send_change_cipher_spec()
    w.send(21, b"\x02\x28")
    wire += w.take_outgoing()
    r.feed(wire)
    assert r.receive() == (22, (bytes(range(256)) * 100)[:16384])
    assert r.receive() == (22, (bytes(range(256)) * 100)[16384:])
    assert r.receive() == (20, b"\x01")
    assert r.receive() == (21, b"\x02\x28")
    assert r.receive() is None
    # application data before a read key goes up to the Connection
    r.feed(b"\x17\x03\x03\x00\x02hi")
    assert r.receive() == (23, b"hi")
    assert r.app_data == b""


def test_ccs_stays_plaintext_under_a_key() -> None:
    w, r, _, _ = keyed_pair(SUITES[0])
    w.send_change_cipher_spec()
    assert w.take_outgoing() == b"\x14\x03\x03\x00\x01\x01"
    assert w.write_seq == 0
    with pytest.raises(ValueError):
        w.send(20, b"\x01")
    r.feed(b"\x14\x03\x03\x00\x01\x01")
    assert r.receive() == (20, b"\x01")


@pytest.mark.parametrize("keyed", [False, True], ids=["plaintext", "keyed"])
def test_seal_refuses_what_open_refuses(keyed: bool) -> None:
    # RFC 8446 §5.1: one 2-byte alert per record; §5: CCS is the byte 1.
    if keyed:
        w, _, _, _ = keyed_pair(SUITES[0])
    else:
        w = RecordLayer()
    for alert in (b"", b"\x02", b"\x02\x28\x02", b"\x02\x28" * 2):
        with pytest.raises(ValueError, match="alert"):
            w.send(21, alert)
    w.send(21, b"\x02\x28")
    for ccs in (b"", b"\x02", b"\x01\x01"):
        with pytest.raises(ValueError):
            w.send(20, ccs)
    assert len(w.take_outgoing()) == (5 + 2 + 1 + 16 if keyed else 7)


def test_raw_aead_baseline_many_chunks() -> None:
    # 300 chunks in one call (a one-byte chunk index would wrap and repeat
    # nonces), then a call that goes on counting from there.
    from cytls import _core

    base = _core._RawAEADBaseline(1, bytes(16), 16)
    assert base.seal_open(bytes(16 * 300))
    assert base.seal_open(b"x" * 17)


def test_bad_arguments() -> None:
    layer = RecordLayer()
    with pytest.raises(ValueError):
        layer.set_write_key(0x1301, bytes(16), bytes(12), 0x0303)
    with pytest.raises(ValueError):
        layer.set_write_key(0xC02F, bytes(16), bytes(12), 0x0303)  # GCM 1.2 salt is 4 bytes
    with pytest.raises(ValueError):
        layer.set_write_key(0x1302, bytes(16), bytes(12), 0x0304)
    with pytest.raises(ValueError):
        layer.set_read_key(0x002F, bytes(16), bytes(12), 0x0303)
    with pytest.raises(ValueError):
        layer.send(24, b"x")
    with pytest.raises(TypeError):
        layer.set_padding("big")  # type: ignore[arg-type]


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_outgoing_queue_keeps_order_across_paths(suite: tuple) -> None:
    """send seals into a bytes object that take_outgoing hands out as it is
    while nothing else is queued, and into the outgoing bytearray once the
    caller uses that: every mix of the two keeps the records in order."""
    w, r, key, iv = keyed_pair(suite)
    parts = [os.urandom(n) for n in (5, 20000, 1, 16384, 300, 7)]
    seq = 0
    expected = []
    for i, part in enumerate(parts):
        w.send(23, part)
        expected.append(
            b"".join(
                ref_record(suite, key, iv, seq + k, 23, part[off : off + 16384])
                for k, off in enumerate(range(0, len(part), 16384))
            )
        )
        seq += (len(part) + 16383) // 16384
        if i == 1:
            assert bytes(w.outgoing) == b"".join(expected)  # moved into it
        if i == 2 and suite[1] == 0x0304:  # (TLS 1.2 refuses it under a key)
            w.send_change_cipher_spec()
            expected.append(b"\x14\x03\x03\x00\x01\x01")
    wire = w.take_outgoing()
    assert wire == b"".join(expected)
    assert w.take_outgoing() == b"" and w.outgoing == b""
    # one bytes object, handed out without a copy
    w.send(23, parts[1])
    first = w.take_outgoing()
    w.send(23, b"abc")
    w.send(23, b"de")
    both = w.take_outgoing()
    r.feed(wire + first + both)
    while (item := r.receive()) is not None:
        assert item == (20, b"\x01")
    assert bytes(r.app_data) == b"".join(parts) + parts[1] + b"abcde"
    # a failed send queues nothing
    w._write.set_seq(2**64 - 1)
    with pytest.raises(TLSAlert):
        w.send(23, b"x")
    assert w.take_outgoing() == b""


def test_sequence_limits_and_key_update() -> None:
    w, _, key, iv = keyed_pair(SUITES[0])
    w._write.set_seq(KEY_UPDATE_AFTER - 1)
    assert not w.needs_key_update()
    w.send(23, b"x")
    assert w.needs_key_update()
    w._write.set_seq(23726566 - 1)  # floor(2^24.5) - 1: the last allowed
    w.send(23, b"x")
    with pytest.raises(TLSAlert) as info:
        w.send(23, b"x")
    assert info.value.description == AD.internal_error
    # the new key resets the count
    w.set_write_key(0x1301, key, iv, 0x0304)
    assert w.write_seq == 0 and not w.needs_key_update()
    # ChaCha20 and TLS 1.2 never ask; all stop before the wrap
    for suite in (SUITES[2], SUITES[3]):
        w2, r2, _, _ = keyed_pair(suite)
        w2._write.set_seq(1 << 40)
        assert not w2.needs_key_update()
        w2._write.set_seq(2**64 - 1)
        with pytest.raises(TLSAlert):
            w2.send(23, b"x")
        r2._read.set_seq(2**64 - 1)
        expect_alert(
            r2, ref_record(suite, bytes(32), bytes(suite[3]), 0, 23, b"x"), AD.internal_error
        )


# ---------------------------------------------------------------- malformed


def _stream(suite: tuple) -> tuple[RecordLayer, bytes, bytes, bytes, list[int]]:
    """Three records (app 300, app 40, handshake 5); returns the record ends."""
    _, _, key, iv = keyed_pair(suite)
    a, b = os.urandom(300), os.urandom(40)
    recs = [
        ref_record(suite, key, iv, 0, 23, a),
        ref_record(suite, key, iv, 1, 23, b),
        ref_record(suite, key, iv, 2, 22, b"hello"),
    ]
    ends = [sum(len(x) for x in recs[: i + 1]) for i in range(3)]
    reader = RecordLayer()
    reader.set_read_key(suite[0], key, iv, suite[1])
    return reader, b"".join(recs), a, b, ends


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_every_truncation_point(suite: tuple) -> None:
    total = _stream(suite)[4][2]
    for cut in range(total):
        reader, wire, a, b, ends = _stream(suite)
        reader.feed(wire[:cut])
        assert reader.receive() is None
        want = (a if cut >= ends[0] else b"") + (b if cut >= ends[1] else b"")
        assert bytes(reader.app_data) == want
        assert reader.bytes_buffered == cut - max([e for e in ends if e <= cut], default=0)


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_split_at_every_offset(suite: tuple) -> None:
    total = _stream(suite)[4][2]
    for split in range(total + 1):
        r, w2, a2, b2, _ = _stream(suite)
        r.feed(w2[:split])
        first = r.receive()
        r.feed(w2[split:])
        second = r.receive() if first is None else None
        assert (first or second) == (22, b"hello")
        assert bytes(r.app_data) == a2 + b2
        assert r.bytes_buffered == 0


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_feed_types_and_large_batches(suite: tuple) -> None:
    """The input is held as fed bytes or copied into the buffer (bytearray,
    memoryview, or bytes after a partial record); every mix of them, with
    batches large enough to open with the GIL released, gives the same
    records, the handshake record stopping the batch, nothing left over."""
    w, _, key, iv = keyed_pair(suite)
    big = os.urandom(3 * 16384 + 77)
    w.send(23, big)
    w.send(22, b"hs-1")
    w.send(23, b"tail")
    wire = w.take_outgoing()
    kinds = (bytes, bytearray, lambda b: memoryview(bytearray(b)))
    for cuts in ((5000,), (1, 20000, 40000), (16384 + 40, len(wire) - 3), (len(wire),)):
        for order in range(3):
            r = RecordLayer()
            r.set_read_key(suite[0], key, iv, suite[1])
            got: list[tuple[int, bytes]] = []
            start = 0
            for i, cut in enumerate((*cuts, len(wire))):
                r.feed(kinds[(order + i) % 3](wire[start:cut]))
                start = cut
                while (item := r.receive()) is not None:
                    got.append(item)
            assert got == [(22, b"hs-1")]
            assert bytes(r.app_data) == big + b"tail"
            assert r.bytes_buffered == 0 and r.read_seq == w.write_seq


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_length_off_by_one(suite: tuple) -> None:
    for delta in (-1, 1):
        r, wire, _, _, _ = _stream(suite)
        length = struct.unpack(">H", wire[3:5])[0] + delta
        bad = wire[:3] + struct.pack(">H", length) + wire[5:]
        expect_alert(r, bad, AD.bad_record_mac)
        assert r.app_data == b""
    # the last record one byte short of its length: waits, then fails
    r, wire, a, b, ends = _stream(suite)
    length = struct.unpack(">H", wire[ends[1] + 3 : ends[1] + 5])[0] + 1
    bad = wire[: ends[1] + 3] + struct.pack(">H", length) + wire[ends[1] + 5 :]
    r.feed(bad)
    assert r.receive() is None and bytes(r.app_data) == a + b
    expect_alert(r, b"\x00", AD.bad_record_mac)
    assert bytes(r.app_data) == a + b


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_every_bit_flip(suite: tuple) -> None:
    tls13 = suite[1] == 0x0304
    _, _, key, iv = keyed_pair(suite)
    rec = ref_record(suite, key, iv, 0, 23, b"secret plaintext!")
    for i in range(len(rec)):
        for bit in range(8):
            bad = bytearray(rec)
            bad[i] ^= 1 << bit
            r = RecordLayer()
            r.set_read_key(suite[0], key, iv, suite[1])
            length = struct.unpack(">H", bad[3:5])[0]
            if i == 0:
                want = (
                    AD.bad_record_mac if not tls13 and bad[0] in (21, 22) else AD.unexpected_message
                )
            elif i == 1 or (i == 2 and not tls13):
                want = AD.protocol_version
            elif i in (3, 4) and length > (16401 if tls13 else 16384 + len(rec) - 5 - 17):
                want = AD.record_overflow
            elif i in (3, 4) and length > len(rec) - 5:
                r.feed(bytes(bad))
                assert r.receive() is None and r.app_data == b""
                continue
            else:
                want = AD.bad_record_mac
            expect_alert(r, bytes(bad), want)
            assert r.app_data == b""


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_oversized_and_short(suite: tuple) -> None:
    tls13 = suite[1] == 0x0304
    _, r, key, iv = keyed_pair(suite)
    # the header alone is enough to refuse
    over = 2**14 + 256 + 1 if tls13 else 2**14 + 2048 + 1
    expect_alert(r, struct.pack(">BHH", 23, 0x0303, over), AD.record_overflow)
    _, r, key, iv = keyed_pair(suite)
    expect_alert(
        r, struct.pack(">BHH", 23, 0x0303, 2**14 + 256) + bytes(2**14 + 256), AD.record_overflow
    )
    # a genuine record with 2^14 + 1 bytes of content
    _, r, key, iv = keyed_pair(suite)
    expect_alert(r, ref_record(suite, key, iv, 0, 23, bytes(2**14 + 1)), AD.record_overflow)
    # shorter than a tag
    _, r, key, iv = keyed_pair(suite)
    expect_alert(r, struct.pack(">BHH", 23, 0x0303, 15) + bytes(15), AD.bad_record_mac)
    # plaintext records: 2^14 at most
    r = RecordLayer()
    expect_alert(r, struct.pack(">BHH", 22, 0x0303, 2**14 + 1), AD.record_overflow)


@pytest.mark.parametrize("suite", SUITES[:3], ids=SUITE_IDS[:3])
@pytest.mark.parametrize(
    ("inner", "alert"),
    [
        (bytes(30), AD.unexpected_message),  # all padding
        (b"", AD.unexpected_message),  # nothing at all
        (b"\x16", AD.unexpected_message),  # empty handshake
        (b"\x15" + bytes(5), AD.unexpected_message),  # empty alert, padded
        (b"\x01\x15", AD.decode_error),  # 1-byte alert
        (b"\x01\x00\x00\x15", AD.decode_error),  # 3-byte alert
        (b"\x01\x14", AD.unexpected_message),  # protected CCS
        (b"\x01\x18", AD.unexpected_message),  # heartbeat
        (b"\x01\xff\x00", AD.unexpected_message),  # unknown type
    ],
)
def test_tls13_inner_plaintext_rules(suite: tuple, inner: bytes, alert: AD) -> None:
    _, r, key, iv = keyed_pair(suite)
    good = ref_record(suite, key, iv, 0, 23, b"fine")
    bad = ref_record(suite, key, iv, 1, 0, b"", raw_inner=inner)
    expect_alert(r, good + bad, alert)
    assert r.app_data == b"fine"  # the good record before it stands


@pytest.mark.parametrize(
    ("record", "alert"),
    [
        (b"\x18\x03\x03\x00\x01\x00", AD.unexpected_message),  # heartbeat
        (b"\x00\x03\x03\x00\x01\x00", AD.unexpected_message),
        (b"\x16\x02\x00\x00\x01\x00", AD.protocol_version),
        (b"\x16\x03\x03\x00\x00", AD.unexpected_message),  # empty handshake
        (b"\x15\x03\x03\x00\x00", AD.unexpected_message),  # empty alert
        (b"\x15\x03\x03\x00\x03\x02\x28\x00", AD.decode_error),
        (b"\x14\x03\x03\x00\x01\x02", AD.unexpected_message),  # CCS not 1
        (b"\x14\x03\x03\x00\x02\x01\x01", AD.unexpected_message),
        (b"\x14\x03\x03\x00\x00", AD.unexpected_message),
        # Not TLS at all: refused for its version (checked before the type,
        # as OpenSSL does: WRONG_VERSION_NUMBER).
        (b"GET / HTTP/1.1\r\n", AD.protocol_version),
    ],
)
def test_plaintext_record_rules(record: bytes, alert: AD) -> None:
    expect_alert(RecordLayer(), record, alert)


def test_tls13_refuses_plaintext_after_keys() -> None:
    for rec in (b"\x15\x03\x03\x00\x02\x02\x28", b"\x16\x03\x03\x00\x01\x01"):
        _, r, _, _ = keyed_pair(SUITES[0])
        expect_alert(r, rec, AD.unexpected_message)
    _, r, _, _ = keyed_pair(SUITES[3])  # TLS 1.2: a CCS after the keys changed
    expect_alert(r, b"\x14\x03\x03\x00\x01\x01", AD.unexpected_message)


def test_early_data_skip() -> None:
    suite = SUITES[0]
    _, r, key, iv = keyed_pair(suite)
    early = ref_record(suite, os.urandom(16), iv, 0, 23, bytes(500))
    r.set_early_data_skip(1000)
    r.feed(early + early + ref_record(suite, key, iv, 0, 22, b"finished"))
    assert r.receive() == (22, b"finished")
    assert r.app_data == b""
    _, r, key, iv = keyed_pair(suite)
    r.set_early_data_skip(999)
    expect_alert(r, early + early, AD.unexpected_message)
    # without the allowance the same record is bad_record_mac
    _, r, key, iv = keyed_pair(suite)
    expect_alert(r, early, AD.bad_record_mac)
