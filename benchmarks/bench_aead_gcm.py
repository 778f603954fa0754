"""AES-GCM throughput of every cytls backend next to `openssl speed -evp`.

Measures cytls.crypto.AESGCM seal and open of 64 B, 1 KiB and 16 KiB
messages (13-byte associated data, as in a TLS 1.2 record) with AES-128 and
AES-256, for each backend level this CPU runs, then `openssl speed -evp
aes-{128,256}-gcm` for the same sizes in the same run, and prints MB/s and
the ratio to OpenSSL. `cryptography`'s AESGCM (its bundled OpenSSL) is shown
for reference. Rates are per CPU second on both sides; timing loops are
short and the whole run stays under ~30 s.

    python benchmarks/bench_aead_gcm.py [--seconds 0.2] [--openssl-seconds 1]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM as RefAESGCM

from cytls import crypto

SIZES = (64, 1024, 16384)
LEVELS = ("portable", "aesni", "avx2", "avx512", "neon", "armce")


def rate(fn: Callable[[], object], size: int, seconds: float) -> float:
    """MB/s of fn per second of this thread's CPU time over about `seconds`.

    CPU time, like `openssl speed` (which divides by user CPU time unless
    given -elapsed), so that other load on the machine skews both alike.
    """
    n, start = 0, time.thread_time()
    deadline = start + seconds
    while True:
        for _ in range(8):
            fn()
        n += 8
        now = time.thread_time()
        if now >= deadline:
            break
    return n * size / (now - start) / 1e6


def openssl_speed(bits: int, size: int, seconds: int) -> float | None:
    """MB/s that `openssl speed -evp aes-<bits>-gcm` reports for one size."""
    exe = shutil.which("openssl")
    if exe is None:
        return None
    cmd = [exe, "speed", "-evp", f"aes-{bits}-gcm", "-bytes", str(size), "-seconds", str(seconds)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds * 4 + 10).stdout
    for line in out.splitlines():
        m = re.match(rf"AES-{bits}-GCM\s+([\d.]+)k", line.strip(), re.IGNORECASE)
        if m:
            return float(m.group(1)) / 1000.0  # 1000s of bytes per second
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=0.2, help="per measurement")
    ap.add_argument("--openssl-seconds", type=int, default=1)
    args = ap.parse_args()

    levels, seen = [], set()
    for level in LEVELS:
        try:
            crypto.force_backend(level)
        except ValueError:
            continue
        backend = crypto.backends()["aes-gcm"]
        if backend not in seen:
            seen.add(backend)
            levels.append((level, backend))
    crypto.force_backend("native")

    nonce, aad = bytes(12), bytes(13)
    print(
        f"{'backend':<10}{'key':>5}{'size':>7}{'seal MB/s':>11}{'open MB/s':>11}"
        f"{'openssl':>10}{'seal/ossl':>11}{'crypt.':>9}"
    )
    for bits in (128, 256):
        key = bytes(range(bits // 8))
        ref = RefAESGCM(key)
        ossl = {size: openssl_speed(bits, size, args.openssl_seconds) for size in SIZES}
        for level, backend in levels:
            crypto.force_backend(level)
            aead = crypto.AESGCM(key)
            for size in SIZES:
                data = bytes(size)
                ct = aead.encrypt(nonce, data, aad)
                seal = rate(partial(aead.encrypt, nonce, data, aad), size, args.seconds)
                opn = rate(partial(aead.decrypt, nonce, ct, aad), size, args.seconds)
                theirs = rate(partial(ref.encrypt, nonce, data, aad), size, args.seconds / 3)
                o = ossl[size]
                ratio = f"{seal / o:10.2f}x" if o else f"{'n/a':>11}"
                print(
                    f"{backend:<10}{bits:>5}{size:>7}{seal:>11.0f}{opn:>11.0f}"
                    f"{(o or 0):>10.0f}{ratio}{theirs:>9.0f}"
                )
        crypto.force_backend("native")


if __name__ == "__main__":
    main()
