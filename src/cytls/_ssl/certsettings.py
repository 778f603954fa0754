"""The certificate and trust store half of cytls.SSLContext (a mixin).

Owns: load_cert_chain (one chain per key type, as OpenSSL keeps them, with
the security level's floors), load_verify_locations, set_default_verify_paths,
load_default_certs, get_ca_certs and cert_store_stats, with the ssl
module's argument checks and exceptions; verify_cache_size (cytls's own:
how many verified peer chains a context remembers).
Must not: build configs (configbuild.py) or hold other settings (context.py).
"""

from __future__ import annotations

import os
import ssl
import sys
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from cytls._pki import loading
from cytls._pki.dsakeys import DSAPrivateKey
from cytls._pki.seclevel import chain_weakness
from cytls._pki.verifycache import DEFAULT_SIZE
from cytls._ssl import argcheck
from cytls._ssl.truststore import TrustStore

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from cytls._handshake.config import TLSConfig

__all__ = ["CertificateSettings"]


def _key_kind(key: Any) -> str:
    """The certificate slot a key fills (OpenSSL's SSL_PKEY_* types)."""
    for kind, cls in (
        ("rsa", rsa.RSAPrivateKey),
        ("ec", ec.EllipticCurvePrivateKey),
        ("ed25519", ed25519.Ed25519PrivateKey),
        ("ed448", ed448.Ed448PrivateKey),
        ("dsa", DSAPrivateKey),
    ):
        if isinstance(key, cls):
            return kind
    return type(key).__name__


class CertificateSettings:
    """load_cert_chain and the trust store methods of cytls.SSLContext."""

    _cy_security_level: int
    _cy_chain: list[x509.Certificate]
    _cy_key: loading.PrivateKey | None
    _cy_other_chains: dict[str, tuple[list[x509.Certificate], Any]]
    _cy_trust: TrustStore
    _cy_configs: dict[bool, TLSConfig]
    _cy_verify_cache_size: int = DEFAULT_SIZE

    if TYPE_CHECKING:

        def _precompute(self) -> None: ...  # ConfigBuilder's

    def load_cert_chain(
        self,
        certfile: str | bytes | os.PathLike[Any],
        keyfile: str | bytes | os.PathLike[Any] | None = None,
        password: loading.Password = None,
    ) -> None:
        """Load this side's certificate chain and private key (PEM).

        Args:
            certfile: leaf certificate first, then intermediates; may also
                hold the key.
            keyfile: the private key, when not in certfile.
            password: for an encrypted key: str, bytes, or a callable that
                returns one; called only when the key is encrypted.

        Raises:
            OSError: a file cannot be read (FileNotFoundError, ...).
            ssl.SSLError: "[SSL] PEM lib" for bad PEM or a wrong password;
                "[X509: KEY_VALUES_MISMATCH]" when the key is not the certificate's.
            TypeError, ValueError: a password of the wrong type or too long.
        """
        argcheck.fs_path(certfile, "certfile")
        if keyfile is not None:
            argcheck.fs_path(keyfile, "keyfile")
        chain, key = loading.load_cert_chain(certfile, keyfile, password)
        weak = chain_weakness(chain, self._cy_security_level)
        if weak is not None:  # SSL_CTX_use_certificate's security check
            raise loading._ssl_error("SSL", weak, weak.lower().replace("_", " "), 1)
        # As OpenSSL: one chain per key type; a second load of another type
        # (RSA beside ECDSA) adds one, chosen per handshake (certselect.py).
        others = {
            kind: entry for kind, entry in self._cy_other_chains.items() if kind != _key_kind(key)
        }
        if self._cy_key is not None and _key_kind(self._cy_key) != _key_kind(key):
            others[_key_kind(self._cy_key)] = (self._cy_chain, self._cy_key)
        self._cy_other_chains = others
        self._cy_chain = chain
        self._cy_key = key
        self._precompute()

    def load_verify_locations(
        self,
        cafile: str | bytes | os.PathLike[Any] | None = None,
        capath: str | bytes | os.PathLike[Any] | None = None,
        cadata: str | Buffer | None = None,
    ) -> None:
        """Add trusted CA certificates.

        Args:
            cafile: a PEM file of certificates and X509 CRLs (the CRLs are
                used with VERIFY_CRL_CHECK_*); a single DER certificate is
                accepted too.
            capath: a directory of PEM certificate files.
            cadata: PEM text (str) or DER certificates (bytes-like); CRLs
                in it are ignored, as the ssl module ignores them.

        Raises:
            TypeError: nothing given, or cadata of the wrong type.
            OSError: cafile cannot be read.
            ssl.SSLError: no certificate found, or a malformed one.
        """
        if cafile is not None:
            argcheck.fs_path(cafile, "cafile")
        if capath is not None:
            argcheck.fs_path(capath, "capath")
        try:
            self._cy_trust.load_verify_locations(cafile, capath, cadata)
        finally:
            self._trust_changed()

    def set_default_verify_paths(self) -> None:
        """Trust the system store as OpenSSL finds it, else certifi's bundle.

        Honours SSL_CERT_FILE and SSL_CERT_DIR as OpenSSL does. Fails silently,
        like OpenSSL, when no store exists.
        """
        try:
            self._cy_trust.set_default_verify_paths()
        finally:
            self._trust_changed()

    def _trust_changed(self) -> None:
        # The trust store changes in place, not through __setattr__: drop the
        # configs built on it, then prepare the new ones.
        self._cy_configs.clear()
        if sys.exc_info()[1] is None:
            self._precompute()

    def load_default_certs(self, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH) -> None:
        """Load the system trust store (see set_default_verify_paths).

        Raises:
            TypeError: purpose is not an ssl.Purpose.
        """
        if not isinstance(purpose, ssl._ASN1Object):
            raise TypeError(purpose)
        self.set_default_verify_paths()

    def get_ca_certs(self, binary_form: bool = False) -> list[Any]:
        """The loaded CA certificates (not yet those of capath), as ssl returns them."""
        return self._cy_trust.ca_certificates(binary_form)

    def cert_store_stats(self) -> dict[str, int]:
        """Counts of loaded certificates, CA certificates and CRLs."""
        return self._cy_trust.stats()

    @property
    def verify_cache_size(self) -> int:
        """How many peer chains that verified this context remembers
        (default 256), so that a peer met again with the very same
        certificates, host name and trust store is not verified in full; a
        hit still checks that every certificate is valid now. 0 verifies
        every chain in full, as OpenSSL does. Not kept with CRL checks."""
        return self._cy_verify_cache_size

    @verify_cache_size.setter
    def verify_cache_size(self, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"verify_cache_size must be an int, not {type(value).__name__}")
        if value < 0:
            raise ValueError("verify_cache_size must not be negative")
        self._cy_verify_cache_size = value
