"""A peer certificate cryptography cannot parse is the peer's fault:
bad_certificate (42) in both roles and both versions, never internal_error,
and the same with verification off."""

from __future__ import annotations

import ssl

import pytest
from badcerts import BAD_EXTENSIONS, ext, with_extensions
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from tls_helpers import client_config, pki, server_config

from cytls._connection import Connection
from cytls._handshake.checks import load_certificates
from cytls._wire.alerts import TLSAlert

BAD_CERTIFICATE = 42
VERSIONS = {"1.3": 0x0304, "1.2": 0x0303}


def _bad(name: str, client: bool = False) -> x509.Certificate:
    p = pki()
    der = with_extensions(p.client if client else p.leaf, p.inter_key, BAD_EXTENSIONS[name])
    # Lazy: loading the DER succeeds, the extensions fail when read.
    return x509.load_der_x509_certificate(der)


def _run(c: Connection, s: Connection) -> tuple[TLSAlert, TLSAlert]:
    """Pump until one side fails; returns (our alert, what the peer received)."""
    c.start_handshake()
    sides = [(c, s), (s, c)]
    for _ in range(10):
        for a, b in sides:
            data = a.data_to_send()
            if not data:
                continue
            try:
                b.receive_data(data)
            except TLSAlert as ours:
                with pytest.raises(TLSAlert) as theirs:
                    a.receive_data(b.data_to_send())
                return ours, theirs.value
    raise AssertionError("the handshake did not fail")


@pytest.mark.parametrize("name", sorted(BAD_EXTENSIONS))
def test_extension_errors_are_bad_certificate(name: str) -> None:
    der = with_extensions(pki().leaf, pki().inter_key, BAD_EXTENSIONS[name])
    with pytest.raises(TLSAlert) as info:
        load_certificates([der])
    assert info.value.description == BAD_CERTIFICATE
    assert isinstance(info.value, ssl.SSLError)


def test_control_rebuilt_certificate_is_accepted() -> None:
    # The helper itself: the good leaf's own extensions, re-encoded and
    # signed again, make a certificate that parses and verifies.
    p = pki()
    exts = [
        ext(e.oid, e.value.public_bytes(), b"\x01\x01\xff" if e.critical else None)
        for e in p.leaf.extensions
    ]
    der = with_extensions(p.leaf, p.inter_key, exts)
    assert der != p.leaf.public_bytes(Encoding.DER)  # a new signature
    s = Connection(server_config(certificate_chain=[x509.load_der_x509_certificate(der), p.inter]))
    c = Connection(client_config())
    c.start_handshake()
    for _ in range(5):
        s.receive_data(c.data_to_send())
        c.receive_data(s.data_to_send())
    assert c.handshake_complete
    assert c.peer_certificates[0].public_bytes(Encoding.DER) == der


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize(
    "name",
    [
        "duplicated subjectAltName",
        "duplicated unknown extension",
        "subjectAltName with an x400Address",
        "truncated subjectAltName",
        "authorityInfoAccess truncated",
    ],
)
@pytest.mark.parametrize("verify", [2, 0], ids=["verified", "CERT_NONE"])
def test_server_certificate(name: str, version: str, verify: int) -> None:
    v = VERSIONS[version]
    p = pki()
    s = Connection(server_config(certificate_chain=[_bad(name), p.inter], max_version=v))
    c = Connection(client_config(max_version=v, verify_mode=verify, check_hostname=False))
    ours, theirs = _run(c, s)
    assert ours.description == BAD_CERTIFICATE and not ours.received
    assert theirs.description == BAD_CERTIFICATE and theirs.received
    assert not c.handshake_complete


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize(
    "name",
    [
        "duplicated subjectAltName",
        "duplicated unknown extension",
        "subjectAltName with an x400Address",
        "keyUsage empty BIT STRING",
    ],
)
def test_client_certificate(name: str, version: str) -> None:
    v = VERSIONS[version]
    p = pki()
    s = Connection(server_config(verify_mode=2, max_version=v))
    c = Connection(
        client_config(
            certificate_chain=[_bad(name, client=True), p.inter],
            private_key=p.client_key,
            max_version=v,
        )
    )
    ours, theirs = _run(c, s)
    assert ours.description == BAD_CERTIFICATE and not ours.received
    assert theirs.description == BAD_CERTIFICATE and theirs.received
    assert not s.handshake_complete
