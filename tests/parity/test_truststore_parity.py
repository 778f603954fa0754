"""Parity: what get_ca_certs() and cert_store_stats() report after
load_verify_locations(capath=...), ssl module vs cytls (issue 13, item 8).

OpenSSL reads a hashed CA directory lazily: nothing is listed after the load,
and a CA certificate appears once a verification looked it up (as the issuer
of a certificate the peer sent), and stays.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
import trustme
from parity_helpers import BioPair, Pki, needs_engine

pytestmark = [needs_engine, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def hashed_dir(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Path:
    """A c_rehash-style directory: pki.ca and an unrelated CA, each under
    its OpenSSL subject hash."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command names the subject hash files")
    d = tmp_path_factory.mktemp("capath")
    for i, ca in enumerate((pki.ca, trustme.CA())):
        pem = d / f"ca{i}.pem"
        ca.cert_pem.write_to_path(pem)
        digest = subprocess.run(
            [openssl, "x509", "-hash", "-noout", "-in", str(pem)],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()
        os.symlink(pem.name, d / f"{digest}.0")
    return d


def test_capath_cas_listed_once_looked_up(mod: ModuleType, pki: Pki, hashed_dir: Path) -> None:
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(capath=str(hashed_dir))
    assert client.get_ca_certs() == []
    assert client.cert_store_stats() == {"x509": 0, "crl": 0, "x509_ca": 0}
    server = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pki.server.configure_cert(server)
    BioPair(client, server).handshake()
    # The issuer of the server's certificate, and only it.
    listed = client.get_ca_certs(binary_form=True)
    assert listed == [ssl.PEM_cert_to_DER_cert(pki.ca.cert_pem.bytes().decode())]
    assert client.get_ca_certs()[0]["subject"] == client.get_ca_certs()[0]["issuer"]
    assert client.cert_store_stats() == {"x509": 1, "crl": 0, "x509_ca": 1}
    BioPair(client, server).handshake()
    assert len(client.get_ca_certs()) == 1  # loaded once


def test_capath_lookup_that_finds_nothing(mod: ModuleType, pki: Pki, hashed_dir: Path) -> None:
    """A server whose issuer is not in the directory: verification fails
    and nothing is listed."""
    other = trustme.CA()
    server = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    other.issue_cert("localhost").configure_cert(server)
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(capath=str(hashed_dir))
    with pytest.raises(ssl.SSLCertVerificationError):
        BioPair(client, server).handshake()
    assert client.get_ca_certs() == []
