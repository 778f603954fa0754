"""Fixtures for the interop tests: peer availability and PKI files.

Owns: one session-wide set of PEM files per key kind, and the fixtures that
find each peer (a binary on PATH or an importable module). A missing peer
skips its tests, or fails them when CYTLS_REQUIRE_PEERS=1 (as CI sets).
Must not: start long-lived peers; each test starts and stops its own.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import PKIFiles, require_binary, require_module, write_pki, write_untrusted


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interop-pki")


@pytest.fixture(scope="session")
def pki_files(pki_dir: Path) -> dict[str, PKIFiles]:
    """PEM files for the "p256", "p384" and "rsa" PKIs, and "untrusted"."""
    out = {kind: write_pki(pki_dir, kind) for kind in ("p256", "p384", "rsa")}
    out["untrusted"] = write_untrusted(pki_dir)
    return out


@pytest.fixture(scope="session")
def openssl_bin() -> str:
    return require_binary("openssl")


@pytest.fixture(scope="session")
def gnutls_serv_bin() -> str:
    return require_binary("gnutls-serv")


@pytest.fixture(scope="session")
def gnutls_cli_bin() -> str:
    return require_binary("gnutls-cli")


@pytest.fixture(scope="session")
def pyopenssl() -> Any:
    """The OpenSSL.SSL module (pyOpenSSL over cryptography's OpenSSL)."""
    return require_module("OpenSSL.SSL")


@pytest.fixture(scope="session")
def tlslite() -> Any:
    """The tlslite.api module (tlslite-ng)."""
    with warnings.catch_warnings():
        # tlslite.integration imports asyncore (deprecated in 3.11).
        warnings.simplefilter("ignore", DeprecationWarning)
        return require_module("tlslite.api")
