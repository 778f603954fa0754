"""Helpers and fixtures for parity tests: one test body, run against the ssl module and cytls.

`mod` is the module under test (ssl or cytls); both provide SSLContext and
create_default_context. `pki` is a trustme CA with a server and a client
certificate written to files, plus broken files for the bad-input tests.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

import cytls


def engine_ready() -> bool:
    """Whether the protocol core (Connection and its record layer) imports."""
    try:
        import cytls._connection  # noqa: F401
    except ImportError:
        return False
    return True


needs_engine = pytest.mark.skipif(
    not engine_ready(), reason="cytls's protocol core (cytls._connection) is not available"
)


@dataclass
class Pki:
    ca: trustme.CA
    other_ca: trustme.CA
    server: trustme.LeafCert
    client: trustme.LeafCert
    dir: Path

    def path(self, name: str) -> str:
        return str(self.dir / name)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    other_ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1", "::1")
    client = ca.issue_cert("client@example.com")
    server.cert_chain_pems[0].write_to_path(d / "cert.pem")
    server.private_key_pem.write_to_path(d / "key.pem")
    server.private_key_and_cert_chain_pem.write_to_path(d / "both.pem")
    client.private_key_and_cert_chain_pem.write_to_path(d / "client.pem")
    ca.cert_pem.write_to_path(d / "ca.pem")
    (d / "ca.der").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    other_ca.cert_pem.write_to_path(d / "other_ca.pem")
    ca.issue_cert("other").private_key_pem.write_to_path(d / "otherkey.pem")
    (d / "garbage.pem").write_text("this is not PEM\n")
    (d / "empty.pem").write_text("")
    key = serialization.load_pem_private_key(server.private_key_pem.bytes(), None)
    (d / "enc_pkcs8.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    (d / "enc_trad.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    return Pki(ca, other_ca, server, client, d)


@pytest.fixture(params=["ssl", "cytls"])
def mod(request: pytest.FixtureRequest) -> ModuleType:
    return ssl if request.param == "ssl" else cytls
