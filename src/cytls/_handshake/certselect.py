"""Server: which of its certificates a handshake serves.

Owns: choosing, when the server has several certificate chains (an RSA and
an ECDSA one, loaded with load_cert_chain twice, as nginx and OpenSSL
allow), the first in OpenSSL's order (ECDSA and EdDSA before RSA, as its
default signature algorithm list has them) that the client can use: its
signature_algorithms accept one of the chain's schemes and, in TLS 1.2, a
cipher suite for the key type is offered. The current chain stays when no
other fits (the handshake then fails as it would have).
Must not: negotiate anything else, or know the ssl API.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import rsa

from cytls._handshake.config import TLSConfig
from cytls._handshake.state import Context
from cytls._wire import messages as m
from cytls._wire.enums import ExtensionType as Ext

__all__ = ["choose_certificate"]


def _openssl_rank(cfg: TLSConfig) -> int:
    return 1 if isinstance(cfg.private_key, rsa.RSAPrivateKey) else 0


def choose_certificate(
    ctx: Context,
    exts: dict[int, bytes],
    usable: Callable[[TLSConfig, set[int]], bool],
) -> None:
    """Serve the first usable certificate of ctx.cert_config and its
    alternates (sets ctx.cert_config and ctx.cert_prepared).

    Args:
        ctx: the handshake (after the SNI callback, which may have swapped
            the certificate config).
        exts: the ClientHello's extensions.
        usable: whether a certificate config suits a client with these
            signature_algorithms (the version's own test).
    """
    current = ctx.cert_config
    if not current.alternates or Ext.signature_algorithms not in exts:
        return
    client = set(m.parse_u16_list(exts[Ext.signature_algorithms], "signature_algorithms"))
    candidates = sorted([current, *current.alternates], key=_openssl_rank)
    for candidate in candidates:
        if candidate.certificate_chain and usable(candidate, client):
            if candidate is not current:
                ctx.cert_config = candidate
                ctx.cert_prepared = candidate.prepared()
            return
