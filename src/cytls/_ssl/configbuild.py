"""Turning an SSLContext's settings into the TLSConfigs its connections use.

Owns: the effective version range after options and limits, building one
TLSConfig per side from the settings, sharing it between connections (the
protocol core precomputes per config), adopting the previous config's
precomputed state when certificates and trust store did not change, and the
per-connection copy a client gets for its server name.
Must not: validate or store settings (context.py does, and invalidates
`_cy_configs` on every change), or do I/O.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Callable
from typing import Any

from cryptography import x509

from cytls._handshake import config as config_mod
from cytls._handshake.config import TLSConfig
from cytls._pki import loading
from cytls._pki.chainbuild import auto_chain
from cytls._ssl.ciphers import CipherSuite, engine_suites, no_cipher_error
from cytls._ssl.options import EngineOptions
from cytls._ssl.sessions import ResumptionSettings
from cytls._ssl.tlsobject import sni_dispatch
from cytls._ssl.truststore import TrustStore

__all__ = ["TLS1_2", "TLS1_3", "ConfigBuilder"]

# How many client configs naming a server (one per host name) a context keeps.
_NAMED_CONFIGS = 64

TLS1_2 = 0x0303
TLS1_3 = 0x0304


class ConfigBuilder(EngineOptions, ResumptionSettings):
    """The config-building half of cytls.SSLContext (its base class).

    The attributes below are the context's settings, set by SSLContext.
    """

    _cy_protocol: int
    _cy_options: int
    _cy_min: int
    _cy_max: int
    _cy_verify_mode: int
    _cy_verify_flags: int
    _cy_check_hostname: bool
    _cy_hostname_checks_common_name: bool
    _cy_post_handshake_auth: bool
    _cy_num_tickets: int
    _cy_tls12: list[CipherSuite]
    _cy_tls13: list[CipherSuite]
    _cy_groups: list[int] | None
    _cy_alpn: list[str]
    _cy_alpn_strict: bool
    _cy_security_level: int
    _cy_verify_cache_size: int
    _cy_sni_callback: Callable[..., int | None] | None
    _cy_chain: list[x509.Certificate]
    _cy_key: loading.PrivateKey | None
    _cy_other_chains: dict[str, tuple[list[x509.Certificate], Any]]
    _cy_trust: TrustStore
    _cy_keylog_filename: str | None
    _cy_configs: dict[bool, TLSConfig]

    def _keylog_line(self, line: str) -> None:  # pragma: no cover - SSLContext's
        raise NotImplementedError

    def _versions(self) -> tuple[int, int]:
        """The effective (min, max) wire versions after options and limits."""
        lo = self._cy_min
        hi = self._cy_max
        lo = TLS1_2 if lo < TLS1_2 else lo  # MINIMUM_SUPPORTED (-2) and old versions
        hi = TLS1_3 if hi < 0 or hi > TLS1_3 else hi  # MAXIMUM_SUPPORTED (-1)
        if self._cy_options & ssl.OP_NO_TLSv1_2:
            lo = max(lo, TLS1_3)
        if self._cy_options & ssl.OP_NO_TLSv1_3:
            hi = min(hi, TLS1_2)
        return lo, hi

    def _shared_config(self, server_side: bool) -> TLSConfig:
        """The TLSConfig every connection of this side shares, built once.

        Sharing matters: the protocol core precomputes per config (our
        chain's DER, the chain verifier over the trust store).

        Raises:
            ssl.SSLError: "[SSL: NO_PROTOCOLS_AVAILABLE]" when the options and
                version limits leave no version cytls implements, "No cipher
                can be selected." when no suite remains.
        """
        config = self._cy_configs.get(server_side)
        if config is None:
            config = self._build_config(server_side)
            # After a setting that does not touch the certificates or the
            # trust store changed, the previous config's precomputed state
            # still fits (same chain, key and anchor objects): keep it.
            previous = self.__dict__.setdefault("_prepared_source", {})
            last = previous.get(server_side)
            if last is not None:
                config.adopt_prepared(last)
            previous[server_side] = config
            self._cy_configs[server_side] = config
        return config

    def _precompute(self) -> None:
        """Do now, at load time, what the first handshake would otherwise
        pay for: the protocol core's per-config state (our chain's DER and
        signature schemes, the chain verifier over the trust store). The
        ssl module likewise parses and indexes certificates when they are
        loaded. Best effort: a context not yet usable (a server without its
        certificate) is prepared on its first connection instead."""
        sides: tuple[bool, ...] = (False, True)
        if self._cy_protocol == ssl.PROTOCOL_TLS_CLIENT:
            sides = (False,)
        elif self._cy_protocol == ssl.PROTOCOL_TLS_SERVER:
            sides = (True,)
        for side in sides:
            try:
                self._shared_config(side).prepared()
            except (ssl.SSLError, ValueError):
                pass

    def _build_config(self, server_side: bool) -> TLSConfig:
        lo, hi = self._versions()
        if lo > hi:
            raise loading._ssl_error("SSL", "NO_PROTOCOLS_AVAILABLE", "no protocols available", 1)
        # Versions the core does not implement are refused by validate() below.
        implemented = engine_suites()
        suites = []
        if hi >= TLS1_3:
            suites += [s.code for s in self._cy_tls13 if s.code in implemented]
        if lo <= TLS1_2:
            suites += [s.code for s in self._cy_tls12 if s.code in implemented]
        if not suites:
            raise no_cipher_error()
        kwargs: dict[str, Any] = {
            "is_client": not server_side,
            "min_version": lo,
            "max_version": hi,
            "cipher_suites": suites,
            # The same list objects on every build, so the core's
            # precomputation (keyed on their identity) is reused.
            "certificate_chain": self._served_chain(),
            "private_key": self._cy_key,
            "trust_anchors": self._cy_trust.anchors() if self._cy_verify_mode != ssl.CERT_NONE else [],
            "verify_mode": self._cy_verify_mode,
            "check_hostname": self._cy_check_hostname and not server_side,
            "alpn_protocols": list(self._cy_alpn),
            "alpn_strict": self._cy_alpn_strict,
            "server_preference": bool(self._cy_options & ssl.OP_CIPHER_SERVER_PREFERENCE),
            "middlebox_compat": bool(self._cy_options & ssl.OP_ENABLE_MIDDLEBOX_COMPAT),
            "security_level": self._cy_security_level,
            "verify_cache_size": self._cy_verify_cache_size,
            "sni_callback": sni_dispatch if server_side and self._cy_sni_callback else None,
            "keylog": self._keylog_line if self._cy_keylog_filename else None,
            "post_handshake_auth": self._cy_post_handshake_auth and not server_side,
            # OpenSSL's SSL_VERIFY_POST_HANDSHAKE, which the ssl module sets
            # on a server's SSL when post_handshake_auth and SSL_VERIFY_PEER.
            "client_auth_post_handshake_only": (
                server_side
                and self._cy_post_handshake_auth
                and self._cy_verify_mode != ssl.CERT_NONE
            ),
            "hostname_checks_common_name": self._cy_hostname_checks_common_name,
            **self._verify_flag_settings(),
            **self._engine_option_settings(),
            **self._resumption_config(
                server_side, stateful=bool(self._cy_options & ssl.OP_NO_TICKET)
            ),
        }
        if self._cy_groups is not None:
            groups = [g for g in self._cy_groups if g in {int(x) for x in config_mod.SUPPORTED_GROUPS}]
            if not groups:
                raise loading._ssl_error("SSL", "NO_SUITABLE_GROUPS", "no suitable groups", 1)
            kwargs["groups"] = groups
            shares = groups[:1]
            if groups[0] == 0x11EC and 0x001D in groups:
                # The hybrid share is large and some servers only take
                # x25519: send both, as the default does.
                shares.append(0x001D)
            kwargs["key_share_groups"] = shares
        config = config_mod.TLSConfig(**kwargs)
        try:
            config.validate()
        except ValueError as exc:
            raise loading._ssl_error("SSL", None, str(exc), 1) from None
        if server_side and self._cy_other_chains:
            config.alternates = [
                dataclasses.replace(
                    config,
                    certificate_chain=auto_chain(chain, self._cy_trust.anchors()),
                    private_key=key,
                    alternates=[],
                )
                for chain, key in self._cy_other_chains.values()
            ]
        return config

    def _note_peer_chain(self, certs: list[x509.Certificate]) -> None:
        """A connection verified (or tried to verify) these peer
        certificates: the trust store records its capath lookups."""
        self._cy_trust.note_lookups(certs)

    def _served_chain(self) -> list[x509.Certificate]:
        """Our chain as sent: with only a leaf loaded, completed from the
        trust store as OpenSSL does (see chainbuild). The same list object
        until the chain or the store changes, as the precomputation needs."""
        chain = self._cy_chain
        if len(chain) != 1:
            return chain
        anchors = self._cy_trust.anchors()
        cached = self.__dict__.get("_served_chain_cache")
        if cached is not None and cached[0] is chain and cached[1] is anchors:
            return cached[2]  # type: ignore[no-any-return]
        served = auto_chain(chain, anchors)
        self.__dict__["_served_chain_cache"] = (chain, anchors, served)
        return served

    def _verify_flag_settings(self) -> dict[str, Any]:
        """TLSConfig fields for verify_flags (OpenSSL checks CRLs only with
        X509_V_FLAG_CRL_CHECK; CRL_CHECK_ALL extends it to the chain)."""
        flags = self._cy_verify_flags
        crl_check = 0
        if flags & ssl.VERIFY_CRL_CHECK_LEAF:
            check_all = ssl.VERIFY_CRL_CHECK_CHAIN & ~ssl.VERIFY_CRL_CHECK_LEAF
            crl_check = 2 if flags & check_all else 1
        return {
            "crls": self._cy_trust.crls,
            "crl_check": crl_check,
            "verify_partial_chain": bool(flags & ssl.VERIFY_X509_PARTIAL_CHAIN),
            "verify_strict": bool(flags & ssl.VERIFY_X509_STRICT),
        }

    def _make_config(self, server_side: bool, server_hostname: str | None) -> TLSConfig:
        """The TLSConfig for one new connection.

        A server uses the shared config as is; a client gets a copy naming
        its server, which shares the precomputed state of the original.
        """
        shared = self._shared_config(server_side)
        if server_side or server_hostname is None:
            return shared
        # One copy per host name, not per connection: configs are never
        # mutated, and each copy costs an idle connection its memory. The
        # copies follow the shared config (a setting changed: new copies).
        cache = self.__dict__.get("_cy_named_configs")
        if cache is None or cache[0] is not shared:
            cache = (shared, {})
            self.__dict__["_cy_named_configs"] = cache
        named: dict[str, TLSConfig] = cache[1]
        config = named.get(server_hostname)
        if config is None:
            config = shared.with_server_hostname(server_hostname)
            if len(named) >= _NAMED_CONFIGS:
                named.clear()  # bounded: a client of many hosts rebuilds
            named[server_hostname] = config
        return config
