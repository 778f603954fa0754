"""The trust store of one SSLContext: CA certificates, CRLs and CA directories.

Owns: what `load_verify_locations()`, `set_default_verify_paths()`,
`get_ca_certs()` and `cert_store_stats()` read and report, with the ssl
module's exceptions, and the list of trust anchors handed to the protocol
core (one list object until the store changes, since the core keys its
precomputed verifier on it).
Must not: verify anything (the PKI layer does) or know about connections.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cytls._pki import loading

__all__ = ["PathArg", "TrustStore"]

PathArg = str | bytes | os.PathLike[Any] | None


class TrustStore:
    """CA certificates by DER, CRLs, and capath directories, in load order."""

    def __init__(self) -> None:
        self.ca: dict[bytes, loading.CAEntry] = {}
        self.crl_count = 0
        self.crls: list[x509.CertificateRevocationList] = []
        self.capaths: list[str] = []
        self._anchors: list[x509.Certificate] | None = None

    def add_certificates(self, certs: list[x509.Certificate], crls: int = 0) -> None:
        self.add_entries(loading.ca_entries(certs), crls)

    def add_crls(self, pem: bytes) -> None:
        """Keep the X509 CRL blocks of PEM text for VERIFY_CRL_CHECK_*
        (only called when the text has some)."""
        found = []
        for label, block in loading.pem_blocks(pem):
            if label != b"X509 CRL":
                continue
            try:
                found.append(x509.load_pem_x509_crl(block))
            except ValueError:
                raise loading._ssl_error(
                    "X509", "NO_CERTIFICATE_OR_CRL_FOUND", "no certificate or crl found", 136
                ) from None
        known = {c.public_bytes(serialization.Encoding.DER) for c in self.crls}
        new = [c for c in found if c.public_bytes(serialization.Encoding.DER) not in known]
        if new:
            # Replaced, never mutated: the core keys its precomputed
            # verifier on the list's identity.
            self.crls = self.crls + new

    def add_entries(self, entries: list[loading.CAEntry], crls: int = 0) -> None:
        store = self.ca
        for entry in entries:
            if entry[0] not in store:
                store[entry[0]] = entry
        self.crl_count += crls
        self._anchors = None

    def load_verify_locations(self, cafile: PathArg, capath: PathArg, cadata: Any) -> None:
        """SSLContext.load_verify_locations (which types `cadata`): see there."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        if cadata is not None:
            if isinstance(cadata, str):
                if not cadata:
                    raise ValueError("Empty certificate data")
                try:
                    raw = cadata.encode("ascii")
                except UnicodeEncodeError:
                    raise TypeError(
                        "cadata should be an ASCII string or a bytes-like object"
                    ) from None
                # As the ssl module: cadata's CRL blocks are skipped (only
                # cafile loads CRLs), and CRLs alone are no certificate.
                certs, _ = loading.load_ca_data(raw, text=True)
                if not certs:
                    raise loading._ssl_error(
                        None, None, "no start line: cadata does not contain a certificate"
                    )
                self.add_certificates(certs)
            else:
                try:
                    raw = bytes(memoryview(cadata))
                except TypeError:
                    raise TypeError(
                        "cadata should be an ASCII string or a bytes-like object"
                    ) from None
                if not raw:
                    raise ValueError("Empty certificate data")
                self.add_certificates(*loading.load_ca_data(raw, text=False))
        if cafile is not None:
            certs, crls = loading.load_ca_file(cafile)
            self.add_certificates(certs, crls)
            if crls:
                self.add_crls(loading.read_file(cafile))
        if capath is not None:
            # Like OpenSSL, the directory is only consulted during verification.
            path = os.fsdecode(os.fspath(capath))
            if path not in self.capaths:
                self.capaths.append(path)
                self._anchors = None

    def set_default_verify_paths(self) -> None:
        """The system store as OpenSSL finds it (SSL_CERT_FILE, SSL_CERT_DIR),
        else certifi's bundle; nothing, silently, when neither exists."""
        paths = ssl.get_default_verify_paths()
        found = False
        if paths.cafile:
            try:
                self.add_entries(*loading.load_ca_file_cached(paths.cafile))
                found = True
            except (OSError, ssl.SSLError):
                pass
        if paths.capath and os.path.isdir(paths.capath):
            if paths.capath not in self.capaths:
                self.capaths.append(paths.capath)
                self._anchors = None
            found = True
        if not found:
            try:
                import certifi

                self.add_entries(*loading.load_ca_file_cached(certifi.where()))
            except (ImportError, OSError, ssl.SSLError):
                pass

    def ca_certificates(self, binary_form: bool) -> list[Any]:
        """The loaded CA certificates (not yet those of capath), as ssl returns them."""
        cas = [e for e in self.ca.values() if e[2]]
        if binary_form:
            return [e[0] for e in cas]
        return [loading.decode_certificate(e[1]) for e in cas]

    def stats(self) -> dict[str, int]:
        """cert_store_stats(): counts of certificates, CA certificates and CRLs."""
        return {
            "x509": len(self.ca),
            "crl": self.crl_count,
            "x509_ca": sum(1 for e in self.ca.values() if e[2]),
        }

    def anchors(self) -> list[x509.Certificate]:
        """Every trusted certificate (capath directories included), as one
        list that stays the same object until the store changes."""
        anchors = self._anchors
        if anchors is None:
            anchors = [e[1] for e in self.ca.values()]
            seen = set(self.ca)
            for path in self.capaths:
                for cert in loading.load_ca_dir_cached(path):
                    d = loading.der(cert)
                    if d not in seen:
                        seen.add(d)
                        anchors.append(cert)
            self._anchors = anchors
        return anchors
