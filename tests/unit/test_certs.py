"""cytls._pki.loading: PEM/DER/key loading and getpeercert() dictionaries.

The dictionaries are checked against the ssl module's own decoder
(`_ssl._test_decode_cert`, the function behind getpeercert()) on the system
trust store and on certificates built here with every field it prints.
"""

from __future__ import annotations

import datetime
import glob
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from cytls._pki import loading

decode_reference = ssl._ssl._test_decode_cert  # type: ignore[attr-defined]


def _write(tmp_path: Path, cert: x509.Certificate, name: str = "c.pem") -> str:
    path = tmp_path / name
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def _build(
    subject: x509.Name,
    extensions: list[Any],
    *,
    serial: int = 0x0123456789,
    key: Any = None,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
) -> x509.Certificate:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before or datetime.datetime(2020, 1, 5, 9, 4, 3))
        .not_valid_after(not_after or datetime.datetime(2040, 12, 25, 23, 59, 59))
    )
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical)
    algo = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(key, algo)
    return cert


def _rich_certificate() -> x509.Certificate:
    subject = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")]),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Grüße GmbH"),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "R&D"),
                ]
            ),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.COMMON_NAME, "rich.example")]
            ),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@b.example")]
            ),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example")]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.SERIAL_NUMBER, "42")]),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(x509.ObjectIdentifier("1.2.3.4.5"), "private")]
            ),
        ]
    )
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("rich.example"),
            x509.DNSName("*.rich.example"),
            x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
            x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
            x509.RFC822Name("admin@rich.example"),
            x509.UniformResourceIdentifier("https://rich.example/"),
            x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dir name")])),
            x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4")),
            x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x03abc"),
            x509.OtherName(x509.ObjectIdentifier("1.2.3.99"), b"\x0c\x03abc"),
        ]
    )
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier("http://ocsp.rich.example"),
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://ca.rich.example/ca.crt"),
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://ca2.rich.example/ca.crt"),
            ),
        ]
    )
    cdp = x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                [
                    x509.UniformResourceIdentifier("http://crl.rich.example/1.crl"),
                    x509.DNSName("not-a-uri.example"),
                ],
                None,
                None,
                None,
            ),
            x509.DistributionPoint(
                [x509.UniformResourceIdentifier("http://crl.rich.example/2.crl")], None, None, None
            ),
        ]
    )
    return _build(subject, [(san, False), (aia, False), (cdp, False)], serial=0x80FF)


def test_system_store_matches_ssl() -> None:
    paths = sorted(glob.glob("/etc/ssl/certs/*.pem"))
    if not paths:
        pytest.skip("no system certificates in /etc/ssl/certs")
    for path in paths:
        certs, _ = loading.parse_pem_certificates(Path(path).read_bytes())
        assert loading.decode_certificate(certs[0]) == decode_reference(path), path


def test_rich_certificate_matches_ssl(tmp_path: Path) -> None:
    cert = _rich_certificate()
    ours = loading.decode_certificate(cert)
    assert ours == decode_reference(_write(tmp_path, cert))
    # The fields a reader relies on, spelled out.
    assert ("IP Address", "2001:DB8:0:0:0:0:0:1") in ours["subjectAltName"]
    assert ours["OCSP"] == ("http://ocsp.rich.example",)
    assert len(ours["caIssuers"]) == 2
    assert ours["crlDistributionPoints"] == (
        "http://crl.rich.example/1.crl",
        "http://crl.rich.example/2.crl",
    )
    assert ours["notBefore"] == "Jan  5 09:04:03 2020 GMT"


@pytest.mark.parametrize("serial", [1, 0x7F, 0x80, 0xFF, 0x100, 2**64 + 3, 2**159 - 1])
def test_serial_numbers(tmp_path: Path, serial: int) -> None:
    cert = _build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "s")]), [], serial=serial)
    assert (
        loading.decode_certificate(cert)["serialNumber"]
        == decode_reference(_write(tmp_path, cert))["serialNumber"]
    )


@pytest.mark.parametrize("key_kind", ["rsa", "ed25519"])
def test_other_key_types(tmp_path: Path, key_kind: str) -> None:
    key = (
        rsa.generate_private_key(65537, 2048)
        if key_kind == "rsa"
        else ed25519.Ed25519PrivateKey.generate()
    )
    cert = _build(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, key_kind)]),
        [(x509.BasicConstraints(ca=True, path_length=None), True)],
        key=key,
        not_after=datetime.datetime(3000, 1, 1),
    )
    assert loading.decode_certificate(cert) == decode_reference(_write(tmp_path, cert))


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        ([(x509.BasicConstraints(ca=True, path_length=0), True)], True),
        ([(x509.BasicConstraints(ca=False, path_length=None), True)], False),
        ([], False),
        (
            [(x509.KeyUsage(True, False, False, False, False, True, True, False, False), True)],
            True,
        ),
        (
            [(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)],
            False,
        ),
    ],
)
def test_is_ca_matches_openssl(tmp_path: Path, extensions: list[Any], expected: bool) -> None:
    cert = _build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca?")]), extensions)
    assert loading.is_ca(cert) is expected
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(_write(tmp_path, cert))
    assert ctx.cert_store_stats()["x509_ca"] == int(expected)


def test_split_der_and_pem_blocks() -> None:
    a = _build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a")]), [])
    b = _build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "b")]), [])
    der = a.public_bytes(serialization.Encoding.DER) + b.public_bytes(serialization.Encoding.DER)
    assert [x509.load_der_x509_certificate(d) for d in loading.split_der(der)] == [a, b]
    with pytest.raises(ValueError):
        loading.split_der(der[:-1])
    with pytest.raises(ValueError):
        loading.split_der(b"\x31\x00")
    pem = (
        b"junk before\n"
        + a.public_bytes(serialization.Encoding.PEM)
        + b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
        + b.public_bytes(serialization.Encoding.PEM).replace(b"CERTIFICATE", b"TRUSTED CERTIFICATE")
    )
    certs, crls = loading.parse_pem_certificates(pem)
    assert certs == [a, b]
    assert crls == 1


def test_bad_base64_in_pem() -> None:
    with pytest.raises(ValueError):
        loading.parse_pem_certificates(
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
        )


def test_private_key_first_block_and_types() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    loaded = loading.load_private_key(b"noise\n" + pem, None)
    assert loaded.private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    with pytest.raises(ssl.SSLError, match="PEM lib"):
        loading.load_private_key(b"no key here", None)
    enc = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(ssl.SSLError, match="PEM lib"):
        loading.load_private_key(enc, None)
    assert loading.load_private_key(enc, b"pw").public_key() == key.public_key()


def test_key_matches() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    cert = _build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k")]), [], key=key)
    assert loading.key_matches(cert, key)
    assert not loading.key_matches(cert, other)
    assert not loading.key_matches(cert, rsa.generate_private_key(65537, 2048))


def test_ca_file_der_accepted(tmp_path: Path) -> None:
    # A cytls extension: OpenSSL's CA file loader reads PEM only.
    cert = _build(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "der ca")]),
        [(x509.BasicConstraints(ca=True, path_length=None), True)],
    )
    path = tmp_path / "ca.der"
    path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    assert loading.load_ca_file(str(path)) == ([cert], 0)


def test_ca_dir_skips_junk(tmp_path: Path) -> None:
    cert = _build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "in dir")]), [])
    _write(tmp_path, cert, "a.0")
    _write(tmp_path, cert, "dup.pem")
    (tmp_path / "junk").write_text("junk")
    (tmp_path / "sub").mkdir()
    assert loading.load_ca_dir(str(tmp_path)) == [cert]
    assert loading.load_ca_dir(str(tmp_path / "missing")) == []


def test_ca_file_cache_follows_changes(tmp_path: Path) -> None:
    a = _build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a")]), [])
    b = _build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bb")]), [])
    path = _write(tmp_path, a)
    first, _ = loading.load_ca_file_cached(path)
    assert [e[1] for e in first] == [a]
    assert loading.load_ca_file_cached(path)[0] is first
    Path(path).write_bytes(
        a.public_bytes(serialization.Encoding.PEM) + b.public_bytes(serialization.Encoding.PEM)
    )
    assert [e[1] for e in loading.load_ca_file_cached(path)[0]] == [a, b]
