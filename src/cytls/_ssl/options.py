"""cytls's own SSLContext settings: the ones the ssl module has no attribute for.

Owns: the cytls-only context attributes (`require_extended_master_secret`,
`hello_retry_cookie`), their defaults, and the TLSConfig fields they set.
Must not: touch a setting the ssl module has, build or validate a TLSConfig
(configbuild.py does), or do I/O.

Each attribute is stored in a `_cy_` field, so that setting it invalidates
the context's built TLSConfigs (SSLContext.__setattr__).
"""

from __future__ import annotations

from typing import Any

__all__ = ["EngineOptions"]


class EngineOptions:
    """The cytls extensions of `cytls.SSLContext` (a base class of it)."""

    _cy_require_ems: bool = False
    _cy_hrr_cookie: bool = False

    @property
    def require_extended_master_secret(self) -> bool:
        """TLS 1.2, client and server: refuse a peer that does not negotiate
        the extended master secret (RFC 7627), with handshake_failure.

        A cytls extension (the ssl module has no such attribute). False by
        default: such a peer gets the RFC 5246 master secret, as OpenSSL,
        GnuTLS and rustls give it.
        """
        return self._cy_require_ems

    @require_extended_master_secret.setter
    def require_extended_master_secret(self, value: bool) -> None:
        self._cy_require_ems = bool(value)

    @property
    def hello_retry_cookie(self) -> bool:
        """TLS 1.3 server: put a cookie in every HelloRetryRequest and
        require the client to echo it (RFC 8446 §4.2.2).

        A cytls extension. False by default: a HelloRetryRequest carries
        exactly supported_versions and key_share, as OpenSSL's does.
        """
        return self._cy_hrr_cookie

    @hello_retry_cookie.setter
    def hello_retry_cookie(self, value: bool) -> None:
        self._cy_hrr_cookie = bool(value)

    def _engine_option_settings(self) -> dict[str, Any]:
        """The TLSConfig fields these attributes set."""
        return {
            "require_extended_master_secret": self._cy_require_ems,
            "hello_retry_cookie": self._cy_hrr_cookie,
        }
