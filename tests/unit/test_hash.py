"""SHA-256/384/512 through cytls.crypto.Hash, every backend level this CPU
runs forced in turn: the NIST SHA-2 vectors of the cryptography-vectors
package (short, long and Monte Carlo messages) and a hypothesis
differential test against hashlib with random split points and copy().
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import cryptography_vectors
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vectors import level_fixture, supported_levels

from cytls import crypto

SHA2_DIR = Path(cryptography_vectors.__file__).resolve().parent / "hashes" / "SHA2"
NAMES = {"sha256": "SHA256", "sha384": "SHA384", "sha512": "SHA512"}


LEVELS = supported_levels()
level = level_fixture(LEVELS)


def parse_rsp(path: Path) -> list[tuple[bytes, bytes]]:
    """(message, digest) pairs of a NIST SHAVS ShortMsg/LongMsg file."""
    cases: list[tuple[bytes, bytes]] = []
    bits = -1
    msg = b""
    for line in path.read_text().splitlines():
        key, _, value = (part.strip() for part in line.partition("="))
        if key == "Len":
            bits = int(value)
        elif key == "Msg":
            msg = bytes.fromhex(value)[: bits // 8]
        elif key == "MD":
            assert bits % 8 == 0 and len(msg) == bits // 8
            cases.append((msg, bytes.fromhex(value)))
    return cases


def parse_monte(path: Path) -> tuple[bytes, list[bytes]]:
    """The seed and the checkpoint digests of a SHAVS Monte Carlo file."""
    seed = b""
    checkpoints: list[bytes] = []
    for line in path.read_text().splitlines():
        key, _, value = (part.strip() for part in line.partition("="))
        if key == "Seed":
            seed = bytes.fromhex(value)
        elif key == "MD":
            checkpoints.append(bytes.fromhex(value))
    return seed, checkpoints


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("kind", ["ShortMsg", "LongMsg"])
def test_nist_messages(level: str, name: str, kind: str) -> None:
    cases = parse_rsp(SHA2_DIR / f"{NAMES[name]}{kind}.rsp")
    assert len(cases) >= 64
    for msg, md in cases:
        assert crypto.Hash(name, msg).digest() == md, (level, len(msg))


@pytest.mark.parametrize("name", sorted(NAMES))
def test_nist_monte_carlo(level: str, name: str) -> None:
    # FIPS 180 SHAVS section 6.4: each checkpoint is 1000 chained hashes of
    # the previous three digests.
    seed, checkpoints = parse_monte(SHA2_DIR / f"{NAMES[name]}Monte.rsp")
    assert len(checkpoints) == 100
    for want in checkpoints:
        md = [seed, seed, seed]
        for _ in range(1000):
            md = [md[1], md[2], crypto.Hash(name, md[0] + md[1] + md[2]).digest()]
        assert md[2] == want
        seed = md[2]


@pytest.mark.parametrize("name", sorted(NAMES))
def test_sizes_and_buffers(level: str, name: str) -> None:
    ref = hashlib.new(name)
    h = crypto.Hash(name)
    assert (h.digest_size, h.block_size) == (ref.digest_size, ref.block_size)
    data = bytes(range(256)) * 5
    for chunk in (data[:7], bytearray(data[7:300]), memoryview(data)[300:1000], data[1000:]):
        h.update(chunk)
        ref.update(chunk)
        # digest() does not end the hash; updates may follow.
        assert h.digest() == ref.digest()
    assert h.hexdigest() == ref.hexdigest()


def test_unknown_name() -> None:
    with pytest.raises(ValueError):
        crypto.Hash("md5")


# The level fixture is set once per level on purpose: every example runs under it.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(NAMES)),
    data=st.binary(max_size=2000),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=6),
    fork_at=st.integers(min_value=0, max_value=2000),
    tail=st.binary(max_size=300),
)
def test_differential_against_hashlib(
    level: str, name: str, data: bytes, cuts: list[int], fork_at: int, tail: bytes
) -> None:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    fork_at = min(fork_at, len(data))
    h = crypto.Hash(name)
    fork: crypto.Hash | None = None
    for start, end in itertools.pairwise(points):
        if fork is None and fork_at <= end:
            h.update(data[start:fork_at])
            fork = h.copy()
            h.update(data[fork_at:end])
        else:
            h.update(data[start:end])
    if fork is None:
        fork = h.copy()
        fork_at = len(data)
    assert h.digest() == hashlib.new(name, data).digest()
    # The copy goes its own way; the original is unaffected.
    fork.update(tail)
    assert fork.digest() == hashlib.new(name, data[:fork_at] + tail).digest()
    assert h.digest() == hashlib.new(name, data).digest()
