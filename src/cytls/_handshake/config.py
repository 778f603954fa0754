"""Connection settings shared by every connection made from one context.

Owns: the `TLSConfig` dataclass, its defaults, its validation, and the
per-config precomputation every handshake would otherwise repeat (DER of the
own chain, signature schemes the own key can make, the trust store).
Must not: hold per-connection state or do any I/O. The ssl-module adapters
translate `SSLContext` settings into a `TLSConfig`; the protocol core reads it.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from cytls._wire.enums import CipherSuite, NamedGroup, SignatureScheme
from cytls._wire.messages import MAX_CLIENT_HELLO

__all__ = [
    "DEFAULT_GROUPS",
    "DEFAULT_KEY_SHARE_GROUPS",
    "DEFAULT_SIGNATURE_SCHEMES",
    "SERVER_DEFAULT_GROUPS",
    "SUPPORTED_CIPHER_SUITES",
    "SUPPORTED_GROUPS",
    "TLS12_CIPHER_SUITES",
    "TLS12_RSA_KX_SUITES",
    "TLS13_CIPHER_SUITES",
    "SniCallback",
    "TLSConfig",
    "default_cipher_suites",
]

TLS13_CIPHER_SUITES = (
    CipherSuite.TLS_AES_128_GCM_SHA256,
    CipherSuite.TLS_AES_256_GCM_SHA384,
    CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
)
# RFC 5289 and RFC 7905: ECDHE with an AEAD, the only TLS 1.2 suites.
TLS12_CIPHER_SUITES = (
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
)
# RFC 5288 RSA key transport (no forward secrecy): implemented for the
# peers that need it, never in the defaults; set_ciphers() must name them.
TLS12_RSA_KX_SUITES = (
    CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
)
SUPPORTED_CIPHER_SUITES = TLS13_CIPHER_SUITES + TLS12_CIPHER_SUITES + TLS12_RSA_KX_SUITES
# The client's default offer stays small and fast; a server accepts every
# group cytls implements (fast ones first: it picks by its own order).
DEFAULT_GROUPS: tuple[int, ...] = (
    NamedGroup.X25519MLKEM768,
    NamedGroup.x25519,
    NamedGroup.secp256r1,
    NamedGroup.secp384r1,
)
SUPPORTED_GROUPS: tuple[int, ...] = (
    *DEFAULT_GROUPS,
    NamedGroup.x448,
    NamedGroup.secp521r1,
    NamedGroup.ffdhe2048,
    NamedGroup.ffdhe3072,
    NamedGroup.ffdhe4096,
    NamedGroup.ffdhe6144,
    NamedGroup.ffdhe8192,
)
SERVER_DEFAULT_GROUPS: tuple[int, ...] = SUPPORTED_GROUPS
DEFAULT_KEY_SHARE_GROUPS: tuple[int, ...] = (NamedGroup.X25519MLKEM768, NamedGroup.x25519)

# Offered in signature_algorithms, strongest common choices first; the
# rsa_pkcs1 schemes are accepted only in certificates (RFC 8446 §4.2.3), so
# they appear here for signature_algorithms_cert purposes and are never
# chosen for a CertificateVerify.
DEFAULT_SIGNATURE_SCHEMES: tuple[int, ...] = (
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ecdsa_secp521r1_sha512,
    SignatureScheme.ed25519,
    SignatureScheme.ed448,
    SignatureScheme.rsa_pss_rsae_sha256,
    SignatureScheme.rsa_pss_rsae_sha384,
    SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.rsa_pss_pss_sha256,
    SignatureScheme.rsa_pss_pss_sha384,
    SignatureScheme.rsa_pss_pss_sha512,
    SignatureScheme.rsa_pkcs1_sha256,
    SignatureScheme.rsa_pkcs1_sha384,
    SignatureScheme.rsa_pkcs1_sha512,
)

SniCallback = Callable[[str | None], Union[int, "TLSConfig", None]]


def default_cipher_suites() -> list[int]:
    """The TLS 1.3 suites, then the TLS 1.2 ones, each AES-128-GCM,
    AES-256-GCM, ChaCha20-Poly1305; ChaCha20 first when the CPU has no AES
    instructions (the portable AES-GCM is far slower)."""
    s13 = [int(s) for s in TLS13_CIPHER_SUITES]
    s12 = [int(s) for s in TLS12_CIPHER_SUITES]
    try:
        from cytls.crypto import backends

        if backends().get("aes-gcm") == "portable":
            s13 = [s13[2], s13[0], s13[1]]
            s12 = s12[4:] + s12[:4]
    except Exception:  # pragma: no cover - the C core is not built
        pass
    return s13 + s12


class _DefaultGroups(list[int]):
    """The default `groups` value, told apart from an explicit list."""


@dataclass(eq=False)
class TLSConfig:
    """Settings for one side of TLS connections.

    A config may be shared by many connections; a connection never mutates
    it. Change a field only between handshakes (the precomputed state is
    rebuilt when the chain, key or trust anchors change identity).

    Attributes:
        is_client: the role.
        min_version, max_version: 0x0303 (TLS 1.2) .. 0x0304 (TLS 1.3).
        cipher_suites: IANA ids in preference order, TLS 1.3 and TLS 1.2
            suites mixed (each version uses its own, in this order).
        groups: named groups we accept, in preference order (default: the
            four of DEFAULT_GROUPS for a client, every group of
            SUPPORTED_GROUPS for a server).
        key_share_groups: client: groups to send key shares for up front
            (those not in `groups` are skipped).
        signature_schemes: schemes offered/accepted, in preference order.
        certificate_chain: our chain, leaf first (may be empty).
        private_key: the private key of the leaf.
        trust_anchors: CA certificates that may anchor the peer's chain.
        verify_mode: 0 CERT_NONE, 1 CERT_OPTIONAL, 2 CERT_REQUIRED. A server
            with 1 or 2 sends a CertificateRequest; with 2 it refuses a
            client without a certificate (certificate_required).
        check_hostname: client: match server_hostname against the leaf.
        server_hostname: client: SNI and name to check. An IP address is
            not sent as SNI and is matched against IP SANs.
        alpn_protocols: ALPN protocol names in preference order.
        alpn_strict: server: refuse a client whose ALPN protocols are none
            of ours with no_application_protocol (RFC 7301 §3.2) instead of
            going on without ALPN (OpenSSL's and the ssl module's default).
        server_preference: server: pick the suite (and group) by its own
            order rather than the client's.
        sni_callback: server: called with the client's SNI (or None) once
            the ClientHello is parsed. It may return an alert number to
            abort the handshake with that alert, a `TLSConfig` whose
            `certificate_chain` and `private_key` replace ours for this
            connection (the way `SSLObject.context = other` works), or None
            to carry on unchanged.
        client_ca_names: server: DER Names sent in certificate_authorities of
            the CertificateRequest; None means the subjects of trust_anchors.
        keylog: called with each NSS key log line (for Wireshark).
        post_handshake_auth: client: offer post-handshake authentication.
        client_auth_post_handshake_only: server: in TLS 1.3, send no
            CertificateRequest in the handshake even when verify_mode asks
            for a client certificate; the application asks later with
            `Connection.request_client_certificate()` (OpenSSL's
            SSL_VERIFY_POST_HANDSHAKE, set by the ssl module on a server
            whose context has post_handshake_auth). TLS 1.2 handshakes
            still request it.
        crls: certificate revocation lists for crl_check.
        crl_check: 0 none, 1 the peer's leaf, 2 every certificate of its
            chain (ssl.VERIFY_CRL_CHECK_LEAF / VERIFY_CRL_CHECK_CHAIN).
        verify_partial_chain: any trust anchor may end a chain, not only a
            self-signed one (ssl.VERIFY_X509_PARTIAL_CHAIN).
        verify_strict: OpenSSL's strict RFC 5280 checks (VERIFY_X509_STRICT).
        hostname_checks_common_name: client: match the subject CN when the
            server's certificate has no DNS subjectAltName.
        security_level: OpenSSL's level (0..5): the key and signature
            digest floors of the peer's chain (see _pki/seclevel.py).
        verify_cache_size: how many verified peer chains to remember, so
            that a peer met again is not verified in full (0: none; see
            _pki/verifycache.py).
        alternates: server: configs with other certificate chains and keys
            (an RSA and an ECDSA one), of which each handshake serves the
            first the client can use (certselect.py).
        middlebox_compat: client: TLS 1.3 middlebox compatibility mode
            (RFC 8446 §D.4: a legacy session id and a change_cipher_spec;
            ssl.OP_ENABLE_MIDDLEBOX_COMPAT, on by default).
        message_callback: called as (direction "read"/"write", content
            type, bytes) for every record header (content type 256), TLS 1.3
            inner content type (257), handshake message and alert, and for
            each change_cipher_spec sent, as OpenSSL's message callback
            sees them (it reports none received).
        max_fragment: largest plaintext per record we send.
        require_extended_master_secret: TLS 1.2, both roles: refuse a peer
            that does not negotiate extended_master_secret (RFC 7627 §5.2,
            handshake_failure). By default such a peer gets the RFC 5246
            master secret, as OpenSSL, GnuTLS and rustls do.
        hello_retry_cookie: server: put a cookie in every HelloRetryRequest
            and require its echo (RFC 8446 §4.2.2). By default the
            HelloRetryRequest carries exactly supported_versions and
            key_share, as OpenSSL's does; the server keeps the state.
        max_handshake_message: the longest handshake message body accepted,
            ClientHello excepted (it may always be as long as the largest
            legal one, `messages.MAX_CLIENT_HELLO`); at least that long.
        num_tickets: server: TLS 1.3 NewSessionTickets sent after the
            handshake (0: none; needs ticket_keys).
        ticket_keys: server: the `tickets.TicketKeyRing` that seals and
            opens session tickets; None: no tickets issued or accepted.
        ticket_lifetime: server: seconds a ticket is valid (at most 7 days).
        psk_modes: client: PSK key exchange modes offered, in order; server:
            the modes accepted, preferred first (RFC 8446 §4.2.9: 1
            psk_dhe_ke, 0 psk_ke, which has no forward secrecy).
        max_early_data: server: 0-RTT bytes a ticket allows (0: no 0-RTT).
        session_cache: server: the `resume12.SessionCache` of TLS 1.2
            session IDs; None: no session IDs (tickets may still resume).
        anti_replay: server: the `antireplay.StrikeRegister` that lets each
            ticket's early data in once; 0-RTT is accepted only with one.
        now: clock for certificate validity checks (tests); None for UTC now.
    """

    is_client: bool
    min_version: int = 0x0303
    max_version: int = 0x0304
    cipher_suites: list[int] = field(default_factory=default_cipher_suites)
    groups: list[int] = field(default_factory=lambda: _DefaultGroups(DEFAULT_GROUPS))
    key_share_groups: list[int] = field(
        default_factory=lambda: [int(g) for g in DEFAULT_KEY_SHARE_GROUPS]
    )
    signature_schemes: list[int] = field(
        default_factory=lambda: [int(s) for s in DEFAULT_SIGNATURE_SCHEMES]
    )
    certificate_chain: list[x509.Certificate] = field(default_factory=list)
    private_key: PrivateKeyTypes | None = None
    trust_anchors: list[x509.Certificate] = field(default_factory=list)
    verify_mode: int = 2
    check_hostname: bool = True
    server_hostname: str | None = None
    alpn_protocols: list[str] = field(default_factory=list)
    alpn_strict: bool = False
    server_preference: bool = True
    sni_callback: SniCallback | None = None
    client_ca_names: list[bytes] | None = None
    keylog: Callable[[str], None] | None = None
    post_handshake_auth: bool = False
    client_auth_post_handshake_only: bool = False
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    crl_check: int = 0
    verify_partial_chain: bool = False
    verify_strict: bool = False
    hostname_checks_common_name: bool = False
    middlebox_compat: bool = True
    alternates: list[TLSConfig] = field(default_factory=list)
    security_level: int = 2
    verify_cache_size: int = 256
    message_callback: Callable[[str, int, bytes], None] | None = None
    max_fragment: int = 16384
    require_extended_master_secret: bool = False
    hello_retry_cookie: bool = False
    max_handshake_message: int = 1 << 18
    num_tickets: int = 0
    ticket_keys: Any = None
    ticket_lifetime: int = 7200
    psk_modes: tuple[int, ...] = (1,)
    max_early_data: int = 0
    anti_replay: Any = None
    session_cache: Any = None
    now: Callable[[], datetime] | None = None

    # Precomputed state, rebuilt when the identity of its inputs changes.
    _prepared_cache: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # A server left with the default groups accepts them all.
        if not self.is_client and type(self.groups) is _DefaultGroups:
            self.groups = [int(g) for g in SERVER_DEFAULT_GROUPS]

    def validate(self) -> None:
        """Check the settings for contradictions.

        Raises:
            ValueError: an unknown suite or group, an empty suite list, a
                version range outside TLS 1.2..1.3 or without a suite for
                it, or a chain without its key. (A server without a
                certificate is valid, as with OpenSSL: its handshakes fail
                with "no shared cipher" unless an SNI callback supplies one.)
        """
        if self.min_version < 0x0303:
            raise ValueError("versions below TLS 1.2 are not supported")
        if self.max_version > 0x0304:
            raise ValueError("versions above TLS 1.3 are not supported")
        if self.min_version > self.max_version:
            raise ValueError("min_version is above max_version")
        if not self.cipher_suites:
            raise ValueError("no cipher suites configured")
        for s in self.cipher_suites:
            if s not in SUPPORTED_CIPHER_SUITES:
                raise ValueError(f"unsupported cipher suite 0x{s:04x}")
        usable = (TLS13_CIPHER_SUITES if self.max_version >= 0x0304 else ()) + (
            TLS12_CIPHER_SUITES + TLS12_RSA_KX_SUITES if self.min_version <= 0x0303 else ()
        )
        if not any(s in usable for s in self.cipher_suites):
            raise ValueError("no cipher suite for the configured versions")
        if not self.groups:
            raise ValueError("no groups configured")
        for g in self.groups:
            if g not in SUPPORTED_GROUPS:
                raise ValueError(f"unsupported group 0x{g:04x}")
        if self.certificate_chain and self.private_key is None:
            raise ValueError("a certificate chain needs its private key")
        if not 64 <= self.max_fragment <= 16384:
            raise ValueError("max_fragment must be in 64..16384")
        if self.max_handshake_message < MAX_CLIENT_HELLO:
            raise ValueError(f"max_handshake_message must be at least {MAX_CLIENT_HELLO}")
        if self.verify_mode not in (0, 1, 2):
            raise ValueError("verify_mode must be 0, 1 or 2")
        if not 0 < self.ticket_lifetime <= 604800:
            raise ValueError("ticket_lifetime must be in 1..604800 seconds")
        if not self.psk_modes or any(mode not in (0, 1) for mode in self.psk_modes):
            raise ValueError("psk_modes must name 0 (psk_ke) or 1 (psk_dhe_ke)")
        if self.crl_check not in (0, 1, 2):
            raise ValueError("crl_check must be 0, 1 or 2")

    def speaks_tls13(self) -> bool:
        """Whether TLS 1.3 is allowed and has a cipher suite configured."""
        return self.max_version >= 0x0304 and any(
            s in TLS13_CIPHER_SUITES for s in self.cipher_suites
        )

    def effective_key_share_groups(self) -> list[int]:
        """key_share_groups that are also in groups, in that order; the
        first of groups when none is (so setting only `groups` works)."""
        shares = [g for g in self.key_share_groups if g in self.groups]
        return shares or self.groups[:1]

    def _prepared_key(self) -> tuple[Any, ...]:
        return (
            id(self.certificate_chain),
            len(self.certificate_chain),
            id(self.private_key),
            id(self.trust_anchors),
            len(self.trust_anchors),
            id(self.client_ca_names),
            tuple(self.signature_schemes),
            tuple(map(id, self.crls)),  # the CRL objects, kept alive by self
            # What _verify_options() is built from (read per connection, so
            # plain values rather than the options object).
            self.verify_partial_chain,
            self.verify_strict,
            self.crl_check,
            self.hostname_checks_common_name,
            self.security_level,
            self.verify_cache_size,
        )

    def _verify_options(self) -> Any:
        from cytls._pki.verify import VerifyOptions

        return VerifyOptions(
            partial_chain=self.verify_partial_chain,
            strict=self.verify_strict,
            crl_check=self.crl_check,
            common_name=self.hostname_checks_common_name,
            security_level=self.security_level,
        )

    def with_server_hostname(self, server_hostname: str) -> TLSConfig:
        """A copy naming another server, sharing this config's fields and
        precomputed state (a client connection's config; far cheaper than
        dataclasses.replace, which runs __init__ over every field)."""
        copy = object.__new__(TLSConfig)
        copy.__dict__.update(self.__dict__)
        copy.server_hostname = server_hostname
        return copy

    def adopt_prepared(self, source: TLSConfig) -> bool:
        """Reuse source's precomputed state (chain DER, chain verifier over
        the trust store...) when it was built from the very same inputs.

        This is how per-connection copies of a config (`dataclasses.replace`
        with another server_hostname), or a config rebuilt after an
        unrelated setting changed, avoid rebuilding it. The inputs must be
        the same objects (the chain, key, trust anchors and CA names lists),
        not equal ones; both configs keep them alive, so identity is sound.

        Args:
            source: a config whose precomputed state may be shared.

        Returns:
            Whether it was adopted (False: ours is built on first use).
        """
        cache = source._prepared_cache
        if (
            cache is None
            or source.certificate_chain is not self.certificate_chain
            or source.private_key is not self.private_key
            or source.trust_anchors is not self.trust_anchors
            or source.client_ca_names is not self.client_ca_names
            or cache.key != self._prepared_key()
        ):
            return False
        self._prepared_cache = cache
        return True

    def prepared(self) -> Prepared:
        """The precomputed per-config state (built once, reused by every
        handshake until the chain, key or anchors are replaced)."""
        key = self._prepared_key()
        cache = self._prepared_cache
        if cache is None or cache.key != key:
            cache = Prepared(self, key)
            self._prepared_cache = cache
        assert isinstance(cache, Prepared)
        return cache


@functools.lru_cache(maxsize=256)
def is_ip_address(name: str) -> bool:
    """True when name is an IPv4 or IPv6 literal (no SNI is sent for it)."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Prepared:
    """What every handshake from one config would otherwise recompute:
    the DER and Certificate message body of our chain, the signature
    schemes our key can make (in our preference order), the trust store,
    and the constant ClientHello extension bodies.

    Attributes:
        key: the identity tuple of the inputs this was built from.
        chain_der: DER of our chain, leaf first.
        certificate_body: the Certificate message body (empty context).
        own_schemes: CertificateVerify schemes for our key, preferred first.
        verifier: the chain verifier over trust_anchors.
        ca_names_ext: certificate_authorities extension body, or None.
        rsa_kx_secret: server: the key of the synthetic premaster secrets
            of TLS 1.2 RSA key transport (rsa_kx12.py), random per config.
    """

    def __init__(self, config: TLSConfig, key: tuple[Any, ...]) -> None:
        from cryptography.hazmat.primitives.serialization import Encoding

        from cytls._handshake.signatures import CV_SCHEMES, key_schemes
        from cytls._pki.verify import Verifier
        from cytls._wire import messages as m

        self.key = key
        self.chain_der: list[bytes] = [
            c.public_bytes(Encoding.DER) for c in config.certificate_chain
        ]
        self.certificate_body = m.Certificate.serialize_body(b"", self.chain_der)
        self.own_schemes: list[int] = []
        if config.private_key is not None and config.certificate_chain:
            possible = key_schemes(config.private_key, config.certificate_chain[0])
            self.own_schemes = [
                s for s in config.signature_schemes if s in possible and s in CV_SCHEMES
            ]
            if not self.own_schemes:
                self.own_schemes = [s for s in possible if s in CV_SCHEMES]
        self.verifier = Verifier(
            list(config.trust_anchors),
            list(config.crls),
            config._verify_options(),
            cache_size=config.verify_cache_size,
        )
        names = config.client_ca_names
        if names is None:
            names = [a.subject.public_bytes() for a in config.trust_anchors]
        self.ca_names_ext = m.serialize_certificate_authorities(names) if names else None
        self.sigalgs_ext = m.serialize_u16_list(config.signature_schemes)
        self.sigalgs_set = frozenset(config.signature_schemes)
        self.rsa_kx_secret = os.urandom(32)
