"""The crypto core next to `openssl speed -evp`, measured in one run.

Run: `python benchmarks/bench_crypto.py [--seconds S] [--levels native,portable]`.

For each backend level asked for, it times seal and open of 64 B, 1 KiB and
16 KiB messages for AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305, and
SHA-256 / SHA-384 over 16 KiB, through the public `cytls.crypto` API (so the
figures include the Python call), and puts each next to `openssl speed -evp`
for the same algorithm, direction and size, run seconds before. Every ratio
printed is cytls / openssl of those two figures. Nothing is printed that was
not measured in this run.

Also a pytest-benchmark suite: `python -m pytest benchmarks/bench_crypto.py`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from cytls import crypto
from cytls.cli._impl import Unavailable
from cytls.cli.bench import measure_rate, openssl_speed

SIZES = (64, 1024, 16384)
AEADS = (
    ("AES-128-GCM", "aes-128-gcm", crypto.AESGCM, 16),
    ("AES-256-GCM", "aes-256-gcm", crypto.AESGCM, 32),
    ("ChaCha20-Poly1305", "chacha20-poly1305", crypto.ChaCha20Poly1305, 32),
)
HASHES = (("SHA-256", "sha256"), ("SHA-384", "sha384"))
AAD = bytes(13)  # a TLS 1.2-sized AAD, as openssl speed's AEAD mode uses
NONCE = bytes(12)  # fixed: nothing here is secret, only timed


def aead_ops(cls: Any, key_len: int, size: int) -> tuple[Callable[[], object], Callable[[], object]]:
    """(seal, open) closures for one AEAD and message size."""
    aead = cls(bytes(range(key_len)))
    data = bytes(size)
    sealed = aead.encrypt(NONCE, data, AAD)
    return partial(aead.encrypt, NONCE, data, AAD), partial(aead.decrypt, NONCE, sealed, AAD)


def hash_op(name: str, size: int) -> Callable[[], object]:
    data = bytes(size)
    return lambda: crypto.Hash(name, data).digest()


def peer(alg: str, size: int, decrypt: bool = False) -> float | None:
    try:
        return openssl_speed(alg, size, 1, decrypt=decrypt)
    except Unavailable as e:
        print(f"  openssl speed unavailable: {e}", file=sys.stderr)
        return None


def row(name: str, ours: float, theirs: float | None) -> str:
    ratio = f"{ours / theirs:6.2f}x" if theirs else "     n/a"
    theirs_s = f"{theirs / 1e6:10.0f}" if theirs else "       n/a"
    return f"  {name:34s} {ours / 1e6:10.0f} {theirs_s}  {ratio}"


def run(levels: list[str], seconds: float) -> None:
    print(f"{'':36s} {'cytls MB/s':>10s} {'openssl MB/s':>12s}  ratio")
    for level in levels:
        crypto.force_backend(level)
        b = crypto.backends()
        print(f"level {level}: aes-gcm {b['aes-gcm']}, chacha20 {b['chacha20']}, "
              f"poly1305 {b['poly1305']}, sha256 {b['sha256']}, sha512 {b['sha512']}")
        for label, alg, cls, key_len in AEADS:
            for size in SIZES:
                seal, opn = aead_ops(cls, key_len, size)
                ours = measure_rate(seal, size, seconds)
                print(row(f"{label} seal {size} B", ours, peer(alg, size)))
                ours = measure_rate(opn, size, seconds)
                print(row(f"{label} open {size} B", ours, peer(alg, size, decrypt=True)))
        for label, name in HASHES:
            ours = measure_rate(hash_op(name, 16384), 16384, seconds)
            print(row(f"{label} 16384 B", ours, peer(name, 16384)))
    crypto.force_backend("native")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=0.6, help="time budget per figure")
    p.add_argument("--levels", default="native,portable",
                   help="backend levels to measure, comma-separated")
    args = p.parse_args(argv)
    run(args.levels.split(","), args.seconds)
    return 0


# ----------------------------------------------------------- pytest-benchmark


def _params() -> list[tuple[str, Any, int, int]]:
    return [(label, cls, key_len, size) for label, _, cls, key_len in AEADS for size in SIZES]


def pytest_generate_tests(metafunc: Any) -> None:
    if "aead_case" in metafunc.fixturenames:
        metafunc.parametrize("aead_case", _params(), ids=[f"{c[0]}-{c[3]}" for c in _params()])


def test_aead_seal(benchmark: Any, aead_case: tuple[str, Any, int, int]) -> None:
    _, cls, key_len, size = aead_case
    seal, _ = aead_ops(cls, key_len, size)
    benchmark(seal)


def test_aead_open(benchmark: Any, aead_case: tuple[str, Any, int, int]) -> None:
    _, cls, key_len, size = aead_case
    _, opn = aead_ops(cls, key_len, size)
    benchmark(opn)


def test_sha256_16k(benchmark: Any) -> None:
    benchmark(hash_op("sha256", 16384))


def test_sha384_16k(benchmark: Any) -> None:
    benchmark(hash_op("sha384", 16384))


if __name__ == "__main__":
    sys.exit(main())
