"""Parity: a server with an RSA and an ECDSA chain, ssl module vs cytls
(issue 13, item 10).

load_cert_chain() twice with keys of different types keeps both, as OpenSSL
(and nginx over it) does; each handshake serves the one the client can use,
ECDSA first when it can use both. Clients that can only use one kind: TLS
1.2 clients offering only ECDHE-RSA or only ECDHE-ECDSA suites, and TLS 1.3
clients whose signature_algorithms name only RSA-PSS or only ECDSA
(`openssl s_client -sigalgs`, as the ssl module cannot narrow them).
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from types import ModuleType
from typing import Any

import pytest
import trustme
from parity_helpers import BioPair, Server, needs_engine

pytestmark = [needs_engine, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def leaves() -> dict[str, Any]:
    ca = trustme.CA()
    return {
        "ca": ca,
        "rsa": ca.issue_cert("localhost", key_type=trustme.KeyType.RSA),
        "ec": ca.issue_cert("localhost", key_type=trustme.KeyType.ECDSA),
    }


def _server(mod: ModuleType, leaves: dict[str, Any], order: tuple[str, ...]) -> Any:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    for kind in order:
        leaves[kind].configure_cert(ctx)
    return ctx


def _served(leaves: dict[str, Any], der: bytes) -> str:
    for kind in ("rsa", "ec"):
        if der == ssl.PEM_cert_to_DER_cert(leaves[kind].cert_chain_pems[0].bytes().decode()):
            return kind
    raise AssertionError("an unknown certificate was served")


CLIENTS = {
    "tls13": (None, None, "ec"),
    "tls12_rsa_suites": (ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES128-GCM-SHA256", "rsa"),
    "tls12_ecdsa_suites": (ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES128-GCM-SHA256", "ec"),
    "tls12_any": (ssl.TLSVersion.TLSv1_2, None, "ec"),
}


@pytest.mark.parametrize("order", [("rsa", "ec"), ("ec", "rsa")], ids=["rsa_first", "ec_first"])
@pytest.mark.parametrize("client_kind", sorted(CLIENTS))
def test_chosen_per_handshake(
    mod: ModuleType, leaves: dict[str, Any], order: tuple[str, ...], client_kind: str
) -> None:
    version, ciphers, expected = CLIENTS[client_kind]
    server = _server(mod, leaves, order)
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    leaves["ca"].configure_trust(client)
    if version is not None:
        client.maximum_version = version
    if ciphers is not None:
        client.set_ciphers(ciphers)
    pair = BioPair(client, server)
    pair.handshake()
    assert _served(leaves, pair.client.getpeercert(binary_form=True)) == expected
    auth = pair.client.cipher()[0]
    if version is not None:
        assert ("ECDSA" in auth) == (expected == "ec")


def test_same_key_type_replaces(mod: ModuleType, leaves: dict[str, Any]) -> None:
    other = leaves["ca"].issue_cert("localhost", key_type=trustme.KeyType.ECDSA)
    server = _server(mod, leaves, ("rsa", "ec"))
    other.configure_cert(server)  # replaces the first ECDSA chain
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    leaves["ca"].configure_trust(client)
    pair = BioPair(client, server)
    pair.handshake()
    served = pair.client.getpeercert(binary_form=True)
    assert served == ssl.PEM_cert_to_DER_cert(other.cert_chain_pems[0].bytes().decode())


@pytest.mark.parametrize(
    ("sigalgs", "expected"),
    [("rsa_pss_rsae_sha256", "RSA-PSS"), ("ecdsa_secp256r1_sha256", "ECDSA")],
)
def test_tls13_client_signature_algorithms(
    mod: ModuleType, leaves: dict[str, Any], sigalgs: str, expected: str
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl s_client narrows the client's signature_algorithms")
    server_ctx = _server(mod, leaves, ("rsa", "ec"))

    def handler(raw: socket.socket) -> None:
        with server_ctx.wrap_socket(raw, server_side=True) as tls:
            tls.sendall(b"hi\n")
            tls.recv(10)

    server = Server(handler)
    out = subprocess.run(
        [openssl, "s_client", "-connect", f"127.0.0.1:{server.port}", "-servername",
         "localhost", "-tls1_3", "-sigalgs", sigalgs, "-brief"],
        input=b"", capture_output=True, timeout=30,
    )
    server.join()
    lines = (out.stdout + out.stderr).decode(errors="replace").splitlines()
    signature = [line for line in lines if "Signature type:" in line]
    assert signature and signature[0].split(":", 1)[1].strip() == expected
