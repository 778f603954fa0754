"""Certificates with chosen extension shapes, CRLs, and a handshake runner
for the verification parity tests (verify_flags, CRLs, common-name checks).

Every chain is built with cryptography; the same PEM files are given to the
ssl module and to cytls, and the outcome (success, or the verify code and
message of SSLCertVerificationError) is compared.
"""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from parity_helpers import BioPair

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)

CA_KU = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
LEAF_KU = x509.KeyUsage(True, False, False, False, False, False, False, False, False)


def name(cn: str | None) -> x509.Name:
    if cn is None:
        return x509.Name([])
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Cert:
    """A certificate and its key."""

    def __init__(self, cert: x509.Certificate, key: Any) -> None:
        self.cert = cert
        self.key = key

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def issue(
    cn: str | None,
    issuer: Cert | None = None,
    *,
    ca: bool = True,
    bc_critical: bool = True,
    bc: bool = True,
    path_length: int | None = None,
    key_usage: x509.KeyUsage | bool | None = True,
    ski: bool = True,
    aki: bool = True,
    sans: Iterable[x509.GeneralName] | None = None,
    eku: bool = False,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    serial: int | None = None,
) -> Cert:
    """A certificate for cn issued by issuer (self-signed when None).

    key_usage True means the usual one for the role (keyCertSign+cRLSign for
    a CA, digitalSignature for a leaf), False/None means no extension.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    signer = issuer.key if issuer is not None else key
    b = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(issuer.cert.subject if issuer is not None else name(cn))
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 30 * DAY)
    )
    if bc:
        b = b.add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
            critical=bc_critical,
        )
    if key_usage is True:
        b = b.add_extension(CA_KU if ca else LEAF_KU, critical=True)
    elif isinstance(key_usage, x509.KeyUsage):
        b = b.add_extension(key_usage, critical=True)
    if ski:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    if aki:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
        )
    if sans is not None:
        b = b.add_extension(x509.SubjectAlternativeName(list(sans)), False)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
    return Cert(b.sign(signer, hashes.SHA256()), key)


def leaf(issuer: Cert, cn: str | None = "localhost", **kw: Any) -> Cert:
    """A server certificate (DNS SAN localhost unless sans= says otherwise)."""
    kw.setdefault("sans", [x509.DNSName("localhost")])
    return issue(cn, issuer, ca=False, **kw)


def crl(
    issuer: Cert,
    revoked: Iterable[Cert] = (),
    *,
    last_update: datetime.datetime | None = None,
    next_update: datetime.datetime | None = None,
    signer: Any = None,
) -> x509.CertificateRevocationList:
    b = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(last_update or NOW - DAY)
        .next_update(next_update or NOW + 7 * DAY)
    )
    for c in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(c.cert.serial_number)
            .revocation_date(NOW - DAY)
            .build()
        )
    return b.sign(signer or issuer.key, hashes.SHA256())


def write_trust(
    path: Path, certs: Iterable[Cert], crls: Iterable[x509.CertificateRevocationList] = ()
) -> str:
    data = b"".join(c.pem() for c in certs)
    data += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in crls)
    path.write_bytes(data)
    return str(path)


def server_context(mod: Any, tmp: Path, chain: list[Cert]) -> Any:
    """A server context serving chain (leaf first, then what it sends along)."""
    certfile = tmp / f"chain{id(chain)}.pem"
    keyfile = tmp / f"key{id(chain)}.pem"
    certfile.write_bytes(b"".join(c.pem() for c in chain))
    keyfile.write_bytes(chain[0].key_pem())
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(certfile), str(keyfile))
    return ctx


def outcome(
    mod: Any,
    tmp: Path,
    chain: list[Cert],
    trust: list[Cert],
    *,
    crls: Iterable[x509.CertificateRevocationList] = (),
    flags: int = 0,
    hostname: str | None = "localhost",
    check_hostname: bool = True,
    common_name: bool | None = None,
) -> tuple[int, str] | str:
    """Handshake a mod client (trusting trust + crls, with verify flags
    added to the defaults) against a mod server serving chain.

    Returns:
        "ok", or (verify_code, verify_message) of the client's failure.
    """
    server = server_context(mod, tmp, chain)
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = check_hostname
    if common_name is not None:
        client.hostname_checks_common_name = common_name
    client.load_verify_locations(write_trust(tmp / "trust.pem", trust, crls))
    client.verify_flags |= flags
    pair = BioPair(client, server, hostname=hostname)
    try:
        pair.handshake()
    except ssl.SSLCertVerificationError as exc:
        return (exc.verify_code, exc.verify_message)
    return "ok"
