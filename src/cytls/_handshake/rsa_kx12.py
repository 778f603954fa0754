"""TLS 1.2 RSA key transport (RFC 5246 §7.4.7.1), for the opt-in suites
TLS_RSA_WITH_AES_128_GCM_SHA256 and TLS_RSA_WITH_AES_256_GCM_SHA384.

Owns: the client's premaster secret and its RSAES-PKCS1-v1_5 encryption to
the server certificate's key, the EncryptedPreMasterSecret encoding, and
the server's decryption with implicit rejection.
Must not: choose suites, derive the master secret, or ever report a bad
premaster: the server goes on with a synthetic one, and the mismatch shows
only at Finished (the peer's Finished record fails to open), so a client
cannot learn anything from the way the server fails (Bleichenbacher 1998,
ROBOT 2017).

Implicit rejection, server side. For every ClientKeyExchange the server
computes both
  - the real premaster: RSA decryption of the ciphertext, and
  - a synthetic premaster: client_version || HMAC-SHA384(k, ciphertext)[:46]
    under a random key k held in the server's config (deterministic per
    ciphertext, so that sending one ciphertext twice gives the same result),
and selects the real one only when the decryption gave 48 bytes starting
with the ClientHello's client_version, with integer masks rather than a
branch. The choice is never raised, logged or traced.

cryptography's PKCS1v15 decryption runs OpenSSL's own implicit rejection
when it has it (OpenSSL 3.2+, which cryptography's wheels bundle): a bad
padding then returns a pseudo-random message, whose length is almost never
48, instead of raising. Older OpenSSL builds raise ValueError; that case is
caught and mapped to an empty message, which the selection treats like any
other wrong-length result. Either way the TLS layer behaves the same: no
alert, a synthetic premaster, a failure at Finished. (A ciphertext of the
wrong length or not below the modulus also raises; both are public.)
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cytls._wire.codec import Reader, vec16

__all__ = [
    "PREMASTER_LEN",
    "ServerKeyTransport",
    "client_key_transport",
    "parse_encrypted_premaster",
    "select_premaster",
]

PREMASTER_LEN = 48
_MASK = (1 << (8 * PREMASTER_LEN)) - 1
_PKCS1 = padding.PKCS1v15()
_LABEL = b"cytls rsa kx synthetic premaster"


def encrypt_premaster(public_key: rsa.RSAPublicKey, premaster: bytes) -> bytes:
    """RSAES-PKCS1-v1_5 encryption of the premaster to the server's key."""
    return public_key.encrypt(premaster, _PKCS1)


def client_key_transport(
    public_key: rsa.RSAPublicKey, client_version: int, random: Callable[[int], bytes]
) -> tuple[bytes, bytes]:
    """The client's side: (premaster, ClientKeyExchange body).

    RFC 5246 §7.4.7.1: the premaster is client_version (the version in our
    ClientHello, not the negotiated one) followed by 46 random bytes; the
    body is the EncryptedPreMasterSecret, a 16-bit length and the RSA
    ciphertext.
    """
    premaster = client_version.to_bytes(2, "big") + random(PREMASTER_LEN - 2)
    return premaster, vec16(encrypt_premaster(public_key, premaster))


def parse_encrypted_premaster(body: bytes) -> bytes:
    """The ciphertext of a ClientKeyExchange (RFC 5246 §7.4.7.1).

    Raises:
        TLSAlert: decode_error for a malformed encoding (public data only;
            nothing about the ciphertext's content is checked here).
    """
    r = Reader(body, "ClientKeyExchange")
    ciphertext = r.vec16(minimum=1)
    r.expect_end()
    return ciphertext


def _is_zero(x: int) -> int:
    """1 if x == 0 else 0, for 0 <= x < 2^64, without a branch."""
    return ((x - 1) >> 64) & 1


def select_premaster(decrypted: bytes, synthetic: bytes, client_version: int) -> bytes:
    """The real premaster when `decrypted` is 48 bytes starting with
    client_version, else `synthetic`; chosen with masks, not a branch.

    Python integers are not constant-time, but every operation here runs
    on the same sizes whatever the outcome, and no exception, early return
    or data-dependent branch tells the two apart.
    """
    n = len(decrypted)
    head = int.from_bytes(decrypted[:2], "big")
    good = _is_zero(n ^ PREMASTER_LEN) & _is_zero(head ^ client_version)
    mask = -good & _MASK
    real = int.from_bytes(decrypted[:PREMASTER_LEN], "big")
    fake = int.from_bytes(synthetic, "big")
    return ((real & mask) | (fake & ~mask & _MASK)).to_bytes(PREMASTER_LEN, "big")


class ServerKeyTransport:
    """The server's side of one RSA key transport.

    Args:
        private_key: the certificate's RSA key.
        secret: the per-config key of the synthetic premasters.
        client_version: ClientHello.client_version (legacy_version).
    """

    __slots__ = ("_key", "_secret", "client_version", "key_size")

    def __init__(self, private_key: rsa.RSAPrivateKey, secret: bytes, client_version: int) -> None:
        self.key_size = private_key.key_size
        self._key = private_key
        self._secret = secret
        self.client_version = client_version

    def premaster(self, ciphertext: bytes) -> bytes:
        """The premaster to use: the client's, or a synthetic one that
        makes the handshake fail at Finished. Never raises for a bad
        ciphertext."""
        version = self.client_version.to_bytes(2, "big")
        mac = hmac.digest(self._secret, _LABEL + ciphertext, "sha384")
        synthetic = version + mac[: PREMASTER_LEN - 2]
        try:
            decrypted = self._key.decrypt(ciphertext, _PKCS1)
        except ValueError:
            # Public failures (length, value not below the modulus), or a
            # bad padding on an OpenSSL without implicit rejection.
            decrypted = b""
        return select_premaster(decrypted, synthetic, self.client_version)
