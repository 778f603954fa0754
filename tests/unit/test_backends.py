"""Backend dispatch as Python sees it: cytls.crypto.backends() names the
backends this CPU should use, force_backend() caps every primitive and
rejects unknown levels, and CYTLS_BACKEND is honoured at import.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from cytls import _core, crypto

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import cbuild  # noqa: E402

ARCH = cbuild.normalise_arch(platform.machine())
PRIMITIVES = ("aes-gcm", "chacha20", "poly1305", "sha256", "sha512")
DETECTED = set(_core.cpu_features(detected=True))


@pytest.fixture(autouse=True)
def restore_native() -> Iterator[None]:
    yield
    crypto.force_backend("native")


def expected_sha(features: set[str]) -> tuple[str, str]:
    """The SHA-256 and SHA-512 backends the given features should select."""
    if ARCH == "x86_64":
        return (
            "shani" if "sha-ni" in features else ("avx2" if "avx2" in features else "portable"),
            "avx2" if "avx2" in features else "portable",
        )
    if ARCH == "aarch64":
        return (
            "armce" if "arm-sha2" in features else "portable",
            "armsha512" if "arm-sha512" in features else "portable",
        )
    return ("portable", "portable")


def test_native_backends_match_cpu() -> None:
    crypto.force_backend("native")
    b = crypto.backends()
    assert b["level"] == "native"
    assert set(b) == set(PRIMITIVES) | {"level"}
    # Other families name their backends themselves; SHA-2's are checked exactly.
    for p in PRIMITIVES:
        assert b[p].isascii() and b[p].replace("_", "").isalnum(), (p, b[p])
    if not DETECTED:
        assert set(b.values()) == {"portable", "native"}
    assert (b["sha256"], b["sha512"]) == expected_sha(DETECTED)
    if ARCH == "x86_64" and "sha-ni" in DETECTED:
        assert b["sha256"] == "shani"


def test_every_level_selects_within_its_features() -> None:
    levels = (
        ["portable", "aesni", "avx2", "avx512"]
        if ARCH == "x86_64"
        else (["portable", "neon", "armce"] if ARCH == "aarch64" else ["portable"])
    )
    for level in levels:
        crypto.force_backend(level)
        b = crypto.backends()
        assert b["level"] == level
        in_use = set(_core.cpu_features())
        assert in_use <= DETECTED
        assert (b["sha256"], b["sha512"]) == expected_sha(in_use), level


def test_force_portable_makes_everything_portable() -> None:
    crypto.force_backend("portable")
    b = crypto.backends()
    assert b == {**dict.fromkeys(PRIMITIVES, "portable"), "level": "portable"}
    assert _core.cpu_features() == []
    # And the primitives still compute the right thing.
    assert crypto.Hash("sha384", b"abc").digest() == hashlib.sha384(b"abc").digest()


def test_unknown_level_raises_and_changes_nothing() -> None:
    crypto.force_backend("portable")
    with pytest.raises(ValueError):
        crypto.force_backend("sse9")
    with pytest.raises(ValueError):
        crypto.force_backend("")
    assert crypto.backends()["level"] == "portable"


def run_with_env(value: str) -> tuple[dict[str, str], str]:
    env = {**os.environ, "CYTLS_BACKEND": value, "PYTHONPATH": str(ROOT / "src")}
    code = (
        "import json, warnings; warnings.simplefilter('always')\n"
        "from cytls import crypto\n"
        "print(json.dumps(crypto.backends()))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    backends: dict[str, str] = json.loads(proc.stdout)
    return backends, proc.stderr


def test_cytls_backend_env_is_honoured_at_import() -> None:
    b, _ = run_with_env("portable")
    assert b == {**dict.fromkeys(PRIMITIVES, "portable"), "level": "portable"}


def test_cytls_backend_env_unknown_falls_back_with_warning() -> None:
    b, err = run_with_env("no-such-level")
    assert b["level"] == "native"
    assert (b["sha256"], b["sha512"]) == expected_sha(DETECTED)
    assert "CYTLS_BACKEND" in err


def test_backend_names_are_strings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for p in PRIMITIVES:
            assert isinstance(_core.backend(p), str)
    with pytest.raises(ValueError):
        _core.backend("md5")
