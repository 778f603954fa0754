"""Throwaway certificates for the demo, s_server and the tests.

Owns: generating a small PKI with `cryptography` — a root CA, an intermediate CA,
a server certificate and a client certificate — and writing it to a temporary
directory, because `SSLContext.load_cert_chain` reads files.
Must not: be used for anything that needs real security; keys live in memory and
in a temporary directory that is removed when the `CertFiles` is cleaned up.
"""

from __future__ import annotations

import datetime
import ipaddress
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

__all__ = ["CertFiles", "Credentials", "generate"]


@dataclass(frozen=True)
class Credentials:
    """PEM bytes of a throwaway PKI: root -> intermediate -> server and client leaves."""

    ca_pem: bytes
    intermediate_pem: bytes
    server_cert_pem: bytes
    server_key_pem: bytes
    client_cert_pem: bytes
    client_key_pem: bytes
    key_type: str

    def write(self, directory: Path | None = None) -> CertFiles:
        """Write the PEM files (chains leaf first) and return their paths.

        Args:
            directory: where to write; a fresh temporary directory when None.

        Returns:
            A CertFiles; call its cleanup() (or use it as a context manager) to
            remove a temporary directory.
        """
        tmp = None
        if directory is None:
            tmp = tempfile.TemporaryDirectory(prefix="cytls-certs-")
            directory = Path(tmp.name)
        files = CertFiles.in_directory(directory, tmp)
        files.ca.write_bytes(self.ca_pem)
        files.server_chain.write_bytes(self.server_cert_pem + self.intermediate_pem)
        files.server_key.write_bytes(self.server_key_pem)
        files.client_chain.write_bytes(self.client_cert_pem + self.intermediate_pem)
        files.client_key.write_bytes(self.client_key_pem)
        return files


@dataclass
class CertFiles:
    """Paths of written credentials; chains hold the leaf then the intermediate."""

    directory: Path
    ca: Path
    server_chain: Path
    server_key: Path
    client_chain: Path
    client_key: Path
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def in_directory(
        cls, directory: Path, tmp: tempfile.TemporaryDirectory[str] | None = None
    ) -> CertFiles:
        """The paths Credentials.write uses in `directory` (another process
        finds the files it wrote there with this)."""
        return cls(
            directory=directory,
            ca=directory / "ca.pem",
            server_chain=directory / "server-chain.pem",
            server_key=directory / "server-key.pem",
            client_chain=directory / "client-chain.pem",
            client_key=directory / "client-key.pem",
            _tmp=tmp,
        )

    def cleanup(self) -> None:
        """Remove the temporary directory, if this object created one."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> CertFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def _new_key(key_type: str) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown key type {key_type!r}; expected 'ec' or 'rsa'")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cytls throwaway PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _sign(
    subject: str,
    key: PrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: PrivateKey,
    *,
    ca: bool,
    path_length: int | None = None,
    hostnames: tuple[str, ...] = (),
    usage: x509.ObjectIdentifier | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer is not None else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2 if not ca else 10))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        if usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if hostnames:
        names: list[x509.GeneralName] = []
        for h in hostnames:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                names.append(x509.DNSName(h))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def generate(
    key_type: str = "ec",
    hostnames: tuple[str, ...] = ("localhost", "127.0.0.1", "::1"),
) -> Credentials:
    """Generate a root CA, an intermediate CA, a server and a client certificate.

    Args:
        key_type: "ec" (ECDSA P-256, fast) or "rsa" (RSA-2048) for every key.
        hostnames: DNS names and IP addresses the server certificate is valid for.

    Returns:
        The PEM-encoded Credentials.

    Raises:
        ValueError: an unknown key type.
    """
    root_key = _new_key(key_type)
    root = _sign("cytls throwaway root CA", root_key, None, root_key, ca=True, path_length=1)
    inter_key = _new_key(key_type)
    inter = _sign("cytls throwaway intermediate CA", inter_key, root, root_key, ca=True, path_length=0)
    server_key = _new_key(key_type)
    server = _sign(
        hostnames[0] if hostnames else "server", server_key, inter, inter_key, ca=False,
        hostnames=hostnames, usage=ExtendedKeyUsageOID.SERVER_AUTH,
    )
    client_key = _new_key(key_type)
    client = _sign(
        "cytls throwaway client", client_key, inter, inter_key, ca=False,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    pem = serialization.Encoding.PEM
    return Credentials(
        ca_pem=root.public_bytes(pem),
        intermediate_pem=inter.public_bytes(pem),
        server_cert_pem=server.public_bytes(pem),
        server_key_pem=_key_pem(server_key),
        client_cert_pem=client.public_bytes(pem),
        client_key_pem=_key_pem(client_key),
        key_type=key_type,
    )
