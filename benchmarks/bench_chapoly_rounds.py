"""ChaCha20-Poly1305 next to its peers, in alternating rounds of one run.

Run: `python benchmarks/bench_chapoly_rounds.py [--rounds N] [--seconds S]`.

Each round measures, one after the other: `openssl speed -elapsed -evp
chacha20-poly1305 -bytes 16384` (seal, then -decrypt), cytls's
`crypto.ChaCha20Poly1305` seal and open of 16 KiB, and 64-byte seal and open
through cytls and through the `cryptography` package's ChaCha20Poly1305
(in-process, alternating). Every ratio is of two figures of the same round;
the median and the range over the rounds are printed, with the load
average before and after. As in `python -m cytls bench`, a cytls figure is
the best of three sub-rounds and openssl's is its own one-run average, which
favours cytls when the machine is loaded: read the rounds with a steady
openssl figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.ciphers import aead as pyca

from cytls import crypto
from cytls.cli.bench import measure_rate, measure_rates, openssl_speed

AAD = b"\x17\x03\x03\x40\x11" + bytes(8)  # 13 bytes, as openssl speed uses
NONCE = bytes(12)  # fixed: nothing here is secret, only timed
KEY = bytes(range(32))


def ops(aead: Any, size: int) -> tuple[partial[bytes], partial[bytes]]:
    """(seal, open) of one size through either AEAD (the same call shape)."""
    data = bytes(size)
    sealed = aead.encrypt(NONCE, data, AAD)
    return partial(aead.encrypt, NONCE, data, AAD), partial(aead.decrypt, NONCE, sealed, AAD)


def one_round(seconds: float) -> dict[str, float]:
    ours = crypto.ChaCha20Poly1305(KEY)
    theirs = pyca.ChaCha20Poly1305(KEY)
    seal, opn = ops(ours, 16384)
    r: dict[str, float] = {}
    r["openssl seal"] = openssl_speed("chacha20-poly1305", 16384, max(1, round(seconds)))
    r["cytls seal"] = measure_rate(seal, 16384, seconds)
    r["openssl open"] = openssl_speed("chacha20-poly1305", 16384, max(1, round(seconds)),
                                      decrypt=True)
    r["cytls open"] = measure_rate(opn, 16384, seconds)
    s_ours, o_ours = ops(ours, 64)
    s_theirs, o_theirs = ops(theirs, 64)
    short = measure_rates({"cytls seal 64": s_ours, "cryptography seal 64": s_theirs,
                           "cytls open 64": o_ours, "cryptography open 64": o_theirs},
                          64, seconds, rounds=4)
    r.update(short)
    return r


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=1.0, help="per figure per round")
    args = p.parse_args(argv)
    print(f"backends {crypto.backends()}; load average before {os.getloadavg()}")
    ratios: dict[str, list[float]] = {"seal 16 KiB / openssl": [], "open 16 KiB / openssl": [],
                                      "seal 64 B / cryptography": [],
                                      "open 64 B / cryptography": []}
    for i in range(args.rounds):
        r = one_round(args.seconds)
        print(f"round {i + 1}: " + ", ".join(f"{k} {v / 1e6:,.0f} MB/s" for k, v in r.items()))
        ratios["seal 16 KiB / openssl"].append(r["cytls seal"] / r["openssl seal"])
        ratios["open 16 KiB / openssl"].append(r["cytls open"] / r["openssl open"])
        ratios["seal 64 B / cryptography"].append(r["cytls seal 64"] / r["cryptography seal 64"])
        ratios["open 64 B / cryptography"].append(r["cytls open 64"] / r["cryptography open 64"])
    for k, v in ratios.items():
        print(f"{k:26s} median {statistics.median(v):.3f}x  range {min(v):.3f}-{max(v):.3f}x")
    print(f"load average after {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
