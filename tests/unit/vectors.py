"""Shared set-up of the crypto known-answer tests (test_aesgcm, test_chacha20poly1305,
test_hash, test_hmac_hkdf): where the vectors are and which backend levels to force.

Owns: locating ``tests/vectors`` (the copies kept in the repository), the
hypothesis example budget, the lists of backend levels to run, and the ``level``
fixture that forces one and restores "native". Must not: hold vectors or expected
results (those live in ``tests/vectors`` and cryptography-vectors), look for
vectors outside the repository, or leave a level forced.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cytls import _core, crypto

REPO = Path(__file__).resolve().parents[2]

# Hypothesis examples per differential test; raise it with the env var for a long run.
MAX_EXAMPLES = int(os.environ.get("CYTLS_HYPOTHESIS_EXAMPLES", "60"))

CANDIDATE_LEVELS = ("portable", "aesni", "avx2", "avx512", "neon", "armce")


def vectors_dir() -> Path:
    """tests/vectors: the known-answer files kept in the repository.

    Raises:
        FileNotFoundError: the folder is missing (a broken checkout or sdist).
    """
    path = REPO / "tests" / "vectors"
    if not path.is_dir():
        raise FileNotFoundError(f"no {path}: the vectors are part of the repository")
    return path


def distinct_levels(*primitives: str) -> list[str]:
    """Levels of this architecture, lowest first, one per distinct combination
    of the backends that `primitives` (names of crypto.backends()) get."""
    seen: set[tuple[str, ...]] = set()
    levels: list[str] = []
    try:
        for level in CANDIDATE_LEVELS:
            try:
                crypto.force_backend(level)
            except ValueError:
                continue  # a level of the other architecture
            b = crypto.backends()
            combo = tuple(b[p] for p in primitives)
            if combo not in seen:
                seen.add(combo)
                levels.append(level)
    finally:
        crypto.force_backend("native")
    return levels


def supported_levels() -> list[str]:
    """The backend levels whose features this CPU has, lowest first."""
    have = set(_core.cpu_features(detected=True))
    machine = platform.machine().lower()
    levels = ["portable"]
    if machine in ("x86_64", "amd64"):
        levels += [
            lvl
            for lvl, feat in (("aesni", "aesni"), ("avx2", "avx2"), ("avx512", "avx512"))
            if feat in have
        ]
    elif machine in ("aarch64", "arm64"):
        levels.append("neon")
        if "arm-sha2" in have or "arm-aes+pmull" in have:
            levels.append("armce")
    return levels


def level_fixture(levels: list[str]) -> Callable[..., Any]:
    """A ``level`` fixture over `levels`: each test runs once per level, with
    that level forced and "native" restored afterwards. Bind it as ``level``."""

    @pytest.fixture(params=levels)
    def level(request: pytest.FixtureRequest) -> Iterator[str]:
        crypto.force_backend(request.param)
        try:
            yield request.param
        finally:
            crypto.force_backend("native")

    return level
