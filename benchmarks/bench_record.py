"""Record layer throughput against the raw AEAD of the same backend.

For each suite: seal plus open of 64 KiB writes through RecordLayer (send,
take_outgoing, feed, receive, consume app_data: what a Connection does with
data_to_send() and receive_data()), against the raw AEAD of the same backend
sealing and opening the same 64 KiB as four 16 KiB messages in one C call
(no framing, no Python per message, no copies: a strict baseline). The
record layer cuts the write into four records of the same 16 KiB (plus the
TLS 1.3 content type byte), so both sides run the same message sizes on the
same backend. Both run in the same process, interleaved, best of several
rounds; the ratio is what matters (target: record >= 0.9x raw).

A second column reads the records from the `outgoing` bytearray instead
and feeds that to the reader, which costs one extra 64 KiB copy standing
for the wire (a socket would copy into the kernel there instead).

    python benchmarks/bench_record.py [--seconds 0.3] [--level native]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cytls import _core, crypto
from cytls._record import TLS12_SUITES, TLS13_SUITES, RecordLayer

WRITE = 64 * 1024
SUITES = [
    ("TLS 1.3 AES-128-GCM", 0x1301, 0x0304),
    ("TLS 1.3 AES-256-GCM", 0x1302, 0x0304),
    ("TLS 1.3 CHACHA20", 0x1303, 0x0304),
    ("TLS 1.2 AES-128-GCM", 0xC02F, 0x0303),
    ("TLS 1.2 CHACHA20", 0xCCA8, 0x0303),
]


def rate(fn: Callable[[], None], seconds: float) -> float:
    """Bytes per second of fn (one 64 KiB write per call), best of 3.

    Timed in CPU time of this thread: the machines are shared, and wall
    time would count other processes' turns on the core.
    """
    best = 0.0
    for _ in range(3):
        n = 0
        start = time.thread_time()
        deadline = start + seconds / 3
        while True:
            fn()
            n += 1
            now = time.thread_time()
            if now >= deadline:
                break
        best = max(best, n * WRITE / (now - start))
    return best


def record_fn(suite: int, version: int, take: bool) -> Callable[[], None]:
    alg, key_len = (TLS13_SUITES if version == 0x0304 else TLS12_SUITES)[suite]
    iv_len = 4 if version == 0x0303 and alg != 3 else 12
    key, iv = os.urandom(key_len), os.urandom(iv_len)
    w, r = RecordLayer(), RecordLayer()
    w.set_write_key(suite, key, iv, version)
    r.set_read_key(suite, key, iv, version)
    data = os.urandom(WRITE)

    def run_buffer() -> None:
        # an adapter that writes layer.outgoing to the socket as a buffer
        w.send(23, data)
        r.feed(w.outgoing)  # the one copy standing for the wire
        del w.outgoing[:]
        r.receive()
        del r.app_data[:]

    def run_take() -> None:
        w.send(23, data)
        r.feed(w.take_outgoing())
        r.receive()
        del r.app_data[:]

    return run_take if take else run_buffer


def raw_fn(suite: int, version: int) -> Callable[[], None]:
    alg, key_len = (TLS13_SUITES if version == 0x0304 else TLS12_SUITES)[suite]
    key, data = os.urandom(key_len), os.urandom(WRITE)

    def run() -> None:
        # seal 4 x 16 KiB into one buffer, open them into another, in C
        _core._raw_aead_seal_open(alg, key, data, 16384, 1)

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=0.5, help="per measurement")
    ap.add_argument("--level", default="native", help="backend level to force")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    args = ap.parse_args()
    crypto.force_backend(args.level)
    print(f"backends: {crypto.backends()}")
    print(
        f"{'suite':22} {'raw AEAD':>9} {'record':>9} {'ratio':>6} {'via bytearray':>15} {'ratio':>6}"
    )
    print(f"{'':22} {'MB/s':>9} {'MB/s':>9} {'':>6} {'MB/s':>15}")
    worst = 10.0
    for name, suite, version in SUITES:
        fns = [
            raw_fn(suite, version),
            record_fn(suite, version, True),
            record_fn(suite, version, False),
        ]
        best = [0.0, 0.0, 0.0]
        # interleave rounds, so that a noisy moment hurts all three alike
        for _ in range(args.rounds):
            for i, fn in enumerate(fns):
                best[i] = max(best[i], rate(fn, args.seconds))
        raw, rec, via_array = best
        worst = min(worst, rec / raw)
        print(
            f"{name:22} {raw / 1e6:9.0f} {rec / 1e6:9.0f} {rec / raw:5.2f}x"
            f" {via_array / 1e6:15.0f} {via_array / raw:5.2f}x"
        )
    print(f"worst record/raw ratio {worst:.2f}x (target >= 0.90x)")


if __name__ == "__main__":
    main()
