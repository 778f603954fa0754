"""cytls.SSLContext: the ssl module's SSLContext, backed by cytls.

Owns: a context's settings (versions, suites, verification, ALPN, SNI
callback, key log, certificates, trust store), their validation with the ssl
module's exceptions, and turning them into one `TLSConfig` per connection.
Must not: do any protocol work or I/O; it hands a config to `Connection`
through `SSLObject` / `SSLSocket`.

`SSLContext` subclasses `ssl.SSLContext` so that `isinstance(ctx,
ssl.SSLContext)` holds (asyncio, urllib3, httpx and aiohttp check it). The
base class is a C type that owns an OpenSSL SSL_CTX; cytls never uses it.
Every public method and property of the base is overridden here, so nothing
silently falls through to OpenSSL (tests/unit/test_context.py checks this).
"""

from __future__ import annotations

import _ssl
import dataclasses
import encodings.idna  # noqa: F401  (server_hostname.encode("idna"): load it now, not mid-handshake)
import operator
import os
import ssl
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cytls import _certs

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from cytls._config import TLSConfig
    from cytls.sslobject import SSLObject, TLSObject
    from cytls.sslsocket import SSLSocket

__all__ = ["SSLContext", "create_default_context"]

TLS1_2 = 0x0303
TLS1_3 = 0x0304

_CLIENT_PROTOCOLS = {ssl.PROTOCOL_TLS_CLIENT}
_SERVER_PROTOCOLS = {ssl.PROTOCOL_TLS_SERVER}
_SUPPORTED_PROTOCOLS = {
    ssl.PROTOCOL_TLS_CLIENT,
    ssl.PROTOCOL_TLS_SERVER,
    ssl.PROTOCOL_TLS,
    ssl.PROTOCOL_TLSv1_2,
}
_VERSION_NAMES = {TLS1_2: "TLSv1.2", TLS1_3: "TLSv1.3"}
_VALID_TLS_VERSIONS = {int(v) for v in ssl.TLSVersion}


@dataclass(frozen=True)
class CipherSuite:
    """One cipher suite cytls implements, described as OpenSSL describes it."""

    code: int
    name: str  # OpenSSL's name
    protocol: str
    kx: str  # Kx= in the description
    auth: str  # Au= in the description
    enc: str  # Enc= in the description
    bits: int
    symmetric: str
    kea: str
    auth_name: str
    aliases: frozenset[str]

    def as_dict(self) -> dict[str, Any]:
        """The dict `ssl.SSLContext.get_ciphers()` returns for this suite."""
        return {
            "id": 0x03000000 | self.code,
            "name": self.name,
            "protocol": self.protocol,
            "description": (
                f"{self.name:<30} {self.protocol} Kx={self.kx:<8} Au={self.auth:<5}"
                f" Enc={self.enc:<22} Mac=AEAD"
            ),
            "strength_bits": self.bits,
            "alg_bits": self.bits,
            "aead": True,
            "symmetric": self.symmetric,
            "digest": None,
            "kea": self.kea,
            "auth": self.auth_name,
        }


def _suite13(code: int, name: str, enc: str, bits: int, symmetric: str) -> CipherSuite:
    return CipherSuite(
        code,
        name,
        "TLSv1.3",
        "any",
        "any",
        enc,
        bits,
        symmetric,
        "kx-any",
        "auth-any",
        frozenset({name, "TLSv1.3"}),
    )


def _suite12(code: int, name: str, auth: str, enc: str, bits: int, symmetric: str) -> CipherSuite:
    aliases = {
        name,
        "ALL",
        "HIGH",
        "DEFAULT",
        "TLSv1.2",
        "AEAD",
        "ECDH",
        "ECDHE",
        "EECDH",
        "kECDHE",
        "kEECDH",
        "kECDH",
    }
    if auth == "RSA":
        aliases |= {"aRSA"}
    else:
        aliases |= {"aECDSA", "ECDSA"}
    if symmetric.startswith("aes"):
        aliases |= {"AES", "AESGCM", "AES128" if bits == 128 else "AES256"}
    else:
        aliases |= {"CHACHA20"}
    return CipherSuite(
        code,
        name,
        "TLSv1.2",
        "ECDH",
        auth,
        enc,
        bits,
        symmetric,
        "kx-ecdhe",
        f"auth-{auth.lower()}",
        frozenset(aliases),
    )


# RFC 8446 §B.4 (TLS 1.3) and RFC 5289 / RFC 7905 (TLS 1.2 ECDHE AEAD), in
# the ssl module's default preference order.
SUITES_13 = (
    _suite13(0x1302, "TLS_AES_256_GCM_SHA384", "AESGCM(256)", 256, "aes-256-gcm"),
    _suite13(
        0x1303, "TLS_CHACHA20_POLY1305_SHA256", "CHACHA20/POLY1305(256)", 256, "chacha20-poly1305"
    ),
    _suite13(0x1301, "TLS_AES_128_GCM_SHA256", "AESGCM(128)", 128, "aes-128-gcm"),
)
SUITES_12 = (
    _suite12(0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDSA", "AESGCM(256)", 256, "aes-256-gcm"),
    _suite12(0xC030, "ECDHE-RSA-AES256-GCM-SHA384", "RSA", "AESGCM(256)", 256, "aes-256-gcm"),
    _suite12(0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDSA", "AESGCM(128)", 128, "aes-128-gcm"),
    _suite12(0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", "RSA", "AESGCM(128)", 128, "aes-128-gcm"),
    _suite12(
        0xCCA9,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDSA",
        "CHACHA20/POLY1305(256)",
        256,
        "chacha20-poly1305",
    ),
    _suite12(
        0xCCA8,
        "ECDHE-RSA-CHACHA20-POLY1305",
        "RSA",
        "CHACHA20/POLY1305(256)",
        256,
        "chacha20-poly1305",
    ),
)
SUITES_BY_CODE = {s.code: s for s in SUITES_13 + SUITES_12}
# The order OpenSSL's cipher-string keywords add suites in: ECDHE and AES
# first, then sorted by strength (ssl_create_cipher_list's base ordering).
_KEYWORD_ORDER = tuple(SUITES_BY_CODE[c] for c in (0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC02B, 0xC02F))
_SUITES_13_BY_NAME = {s.name: s for s in SUITES_13}

# set_ecdh_curve() names (OpenSSL short names) -> TLS NamedGroup, RFC 8446 §4.2.7.
_CURVES = {
    "prime256v1": 0x0017,
    "secp256r1": 0x0017,
    "P-256": 0x0017,
    "secp384r1": 0x0018,
    "P-384": 0x0018,
    "secp521r1": 0x0019,
    "P-521": 0x0019,
    "X25519": 0x001D,
    "x25519": 0x001D,
    "X448": 0x001E,
    "x448": 0x001E,
}

# set_groups() names, RFC 8446 §4.2.7 and draft-ietf-tls-ecdhe-mlkem: the
# canonical OpenSSL name of each group cytls implements, then other spellings.
_GROUP_NAMES = {
    0x11EC: "X25519MLKEM768",
    0x001D: "x25519",
    0x0017: "secp256r1",
    0x0018: "secp384r1",
}
_GROUP_ALIASES = (("X25519", 0x001D), ("prime256v1", 0x0017), ("P-256", 0x0017), ("P-384", 0x0018))
_GROUPS_BY_NAME = {n.lower(): c for c, n in _GROUP_NAMES.items()} | {
    a.lower(): c for a, c in _GROUP_ALIASES
}


def parse_cipher_string(spec: str) -> tuple[list[CipherSuite], list[CipherSuite] | None]:
    """Apply an OpenSSL cipher string to the suites cytls implements.

    Supports the grammar people write: items separated by ':', ',' or ' ';
    '!' (remove for good), '-' (remove), '+' (move to the end), '+'-joined
    aliases (intersection), @STRENGTH, @SECLEVEL=n (ignored). Unknown words
    match nothing, as in OpenSSL. TLS 1.3 suite names, which OpenSSL keeps
    in a separate list, restrict the TLS 1.3 suites when present.

    Returns:
        (TLS 1.2 suites in order, TLS 1.3 suites in order or None when the
        string names no TLS 1.3 suite).
    """
    active: list[CipherSuite] = []
    killed: set[int] = set()
    tls13: list[CipherSuite] = []
    for raw in spec.replace(",", ":").replace(" ", ":").split(":"):
        item = raw.strip()
        if not item:
            continue
        if item.startswith("@"):
            if item.upper() == "@STRENGTH":
                active.sort(key=lambda s: -s.bits)
            continue
        op = ""
        if item[0] in "!-+":
            op, item = item[0], item[1:]
        if item in _SUITES_13_BY_NAME:
            suite = _SUITES_13_BY_NAME[item]
            if op in ("!", "-"):
                tls13 = [s for s in tls13 if s is not suite]
            elif suite not in tls13:
                tls13.append(suite)
            continue
        words = item.split("+")
        if words == ["COMPLEMENTOFDEFAULT"] or words == ["COMPLEMENTOFALL"]:
            continue
        matches = [s for s in _KEYWORD_ORDER if all(w in s.aliases for w in words)]
        if op == "!":
            killed.update(s.code for s in matches)
            active = [s for s in active if s.code not in killed]
        elif op == "-":
            active = [s for s in active if s not in matches]
        elif op == "+":
            moved = [s for s in active if s in matches]
            active = [s for s in active if s not in matches] + moved
        else:
            active.extend(s for s in matches if s not in active and s.code not in killed)
    return active, (tls13 or None)


def _engine_suites() -> frozenset[int]:
    """The cipher suites the protocol core can negotiate."""
    try:
        from cytls._config import SUPPORTED_CIPHER_SUITES
    except ImportError:  # pragma: no cover - the core is always shipped
        return frozenset(SUITES_BY_CODE)
    return frozenset(int(c) for c in SUPPORTED_CIPHER_SUITES)


def _no_cipher_error() -> ssl.SSLError:
    return ssl.SSLError("No cipher can be selected.")


class SSLContext(ssl.SSLContext):
    """A drop-in `ssl.SSLContext` whose connections run on cytls.

    Create it as the ssl module's: `SSLContext(ssl.PROTOCOL_TLS_CLIENT)` or
    `SSLContext(ssl.PROTOCOL_TLS_SERVER)` (`PROTOCOL_TLS` and the deprecated
    `PROTOCOL_TLSv1_2` work too). Protocols below TLS 1.2 are refused with
    ValueError, as the ssl module refuses an unknown protocol.
    """

    sslsocket_class: Any = None  # set below, after the import of sslsocket
    sslobject_class: Any = None

    def __new__(cls, protocol: int | None = None, *args: Any, **kwargs: Any) -> SSLContext:
        if protocol is None:
            warnings.warn(
                "ssl.SSLContext() without protocol argument is deprecated.",
                category=DeprecationWarning,
                stacklevel=2,
            )
            protocol = ssl.PROTOCOL_TLS
        if not isinstance(protocol, int):
            raise TypeError(
                f"'{type(protocol).__name__}' object cannot be interpreted as an integer"
            )
        if protocol not in _SUPPORTED_PROTOCOLS:
            raise ValueError(
                f"invalid or unsupported protocol version {int(protocol)} "
                "(cytls speaks TLS 1.2 and TLS 1.3 only)"
            )
        self: SSLContext = super().__new__(cls, protocol)
        return self

    def __init__(self, protocol: int | None = None, *args: Any, **kwargs: Any) -> None:
        if protocol is None:
            protocol = ssl.PROTOCOL_TLS
        self._cy_protocol = int(protocol)
        client = protocol in _CLIENT_PROTOCOLS
        # The options the ssl module starts with (read from the base object,
        # so they match the running Python exactly).
        self._cy_options = int(_ssl._SSLContext.options.__get__(self, type(self)))  # type: ignore[attr-defined]
        self._cy_verify_mode: int = ssl.CERT_REQUIRED if client else ssl.CERT_NONE
        self._cy_check_hostname = client
        self._cy_hostname_checks_common_name = True
        self._cy_verify_flags = int(ssl.VERIFY_X509_TRUSTED_FIRST)
        if protocol == ssl.PROTOCOL_TLSv1_2:
            self._cy_min: int = int(ssl.TLSVersion.TLSv1_2)
            self._cy_max: int = int(ssl.TLSVersion.TLSv1_2)
        else:
            self._cy_min = int(ssl.TLSVersion.TLSv1_2)
            self._cy_max = int(ssl.TLSVersion.MAXIMUM_SUPPORTED)
        self._cy_post_handshake_auth = False
        self._cy_num_tickets = 2
        self._cy_tls12: list[CipherSuite] = list(SUITES_12)
        self._cy_tls13: list[CipherSuite] = list(SUITES_13)
        self._cy_groups: list[int] | None = None
        self._cy_alpn: list[str] = []
        self._cy_sni_callback: Callable[..., int | None] | None = None
        self._cy_msg_callback: Any = None
        self._cy_chain: list[x509.Certificate] = []
        self._cy_key: _certs.PrivateKey | None = None
        self._cy_ca: dict[bytes, _certs.CAEntry] = {}
        self._cy_crls = 0
        # Replaced (never mutated) when CRLs are added: the core keys its
        # precomputed verifier on the list's identity.
        self._cy_crl_list: list[x509.CertificateRevocationList] = []
        self._cy_capaths: list[str] = []
        self._cy_anchors: list[x509.Certificate] | None = None
        self._cy_keylog_filename: str | None = None
        self._cy_keylog_lock = threading.Lock()
        self._cy_configs: dict[bool, TLSConfig] = {}
        self._cy_stats = dict.fromkeys(
            (
                "number",
                "connect",
                "connect_good",
                "connect_renegotiate",
                "accept",
                "accept_good",
                "accept_renegotiate",
                "hits",
                "misses",
                "timeouts",
                "cache_full",
            ),
            0,
        )

    def __setattr__(self, name: str, value: Any) -> None:
        # Any change to a setting invalidates the TLSConfigs built from it.
        super().__setattr__(name, value)
        if name.startswith("_cy_") and name != "_cy_configs":
            configs = self.__dict__.get("_cy_configs")
            if configs:
                configs.clear()

    # ------------------------------------------------------------------
    # Plain settings
    # ------------------------------------------------------------------

    @property
    def protocol(self) -> ssl._SSLMethod:  # type: ignore[override]
        """The protocol constant the context was created with."""
        return ssl._SSLMethod(self._cy_protocol)

    @property
    def options(self) -> ssl.Options:
        """ssl.OP_* flags. OP_NO_TLSv1_2, OP_NO_TLSv1_3, OP_CIPHER_SERVER_PREFERENCE
        and OP_NO_TICKET change what cytls does; the others are kept for parity."""
        return ssl.Options(self._cy_options)

    @options.setter
    def options(self, value: int) -> None:
        self._cy_options = int(value)

    @property
    def verify_mode(self) -> ssl.VerifyMode:
        """ssl.CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED."""
        return ssl.VerifyMode(self._cy_verify_mode)

    @verify_mode.setter
    def verify_mode(self, value: int) -> None:
        value = int(value)
        if value not in (ssl.CERT_NONE, ssl.CERT_OPTIONAL, ssl.CERT_REQUIRED):
            raise ValueError("invalid value for verify_mode")
        if value == ssl.CERT_NONE and self._cy_check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        before = self._cy_verify_mode
        self._cy_verify_mode = value
        if (before == ssl.CERT_NONE) != (value == ssl.CERT_NONE) and (self._cy_ca or self._cy_chain):
            # Verification on or off changes the trust store a config uses.
            self._precompute()

    @property
    def check_hostname(self) -> bool:
        """Whether the peer certificate must match server_hostname."""
        return self._cy_check_hostname

    @check_hostname.setter
    def check_hostname(self, value: bool) -> None:
        value = bool(value)
        if value and self._cy_verify_mode == ssl.CERT_NONE:
            # As the ssl module: enabling the host name check turns verification on.
            self._cy_verify_mode = ssl.CERT_REQUIRED
        self._cy_check_hostname = value

    @property
    def hostname_checks_common_name(self) -> bool:
        """Client: when the server's certificate has no DNS subjectAltName,
        match the host name against its subject CN (OpenSSL's behaviour
        unless X509_CHECK_FLAG_NEVER_CHECK_SUBJECT; True by default, as the
        ssl module of this Python). IP addresses never match a CN."""
        return self._cy_hostname_checks_common_name

    @hostname_checks_common_name.setter
    def hostname_checks_common_name(self, value: bool) -> None:
        self._cy_hostname_checks_common_name = bool(value)

    @property
    def verify_flags(self) -> ssl.VerifyFlags:
        """ssl.VERIFY_* flags, honoured as OpenSSL does.

        VERIFY_X509_PARTIAL_CHAIN: any trusted certificate (an intermediate
        too) anchors a chain. VERIFY_X509_STRICT: OpenSSL's RFC 5280 checks
        (a CA needs keyUsage, a critical basicConstraints, a subject key
        identifier; an authority key identifier below the top...).
        VERIFY_CRL_CHECK_LEAF / VERIFY_CRL_CHECK_CHAIN: check the leaf, or
        the whole chain, against the CRLs loaded by load_verify_locations.
        VERIFY_X509_TRUSTED_FIRST is how cytls builds chains anyway;
        VERIFY_ALLOW_PROXY_CERTS has no effect (proxy certificates are not
        supported).
        """
        return ssl.VerifyFlags(self._cy_verify_flags)

    @verify_flags.setter
    def verify_flags(self, value: int) -> None:
        self._cy_verify_flags = int(value)

    def _check_version(self, value: Any) -> int:
        if self._cy_protocol == ssl.PROTOCOL_TLSv1_2:
            raise ValueError(
                "The context's protocol doesn't support modification of highest and lowest version."
            )
        number = operator.index(value)
        if number not in _VALID_TLS_VERSIONS:
            raise ValueError(f"Unsupported TLS/SSL version 0x{number:x}")
        return number

    @property
    def minimum_version(self) -> ssl.TLSVersion:
        """Lowest TLS version offered; cytls never goes below TLS 1.2."""
        return ssl.TLSVersion(self._cy_min)

    @minimum_version.setter
    def minimum_version(self, value: int) -> None:
        self._cy_min = self._check_version(value)

    @property
    def maximum_version(self) -> ssl.TLSVersion:
        """Highest TLS version offered."""
        return ssl.TLSVersion(self._cy_max)

    @maximum_version.setter
    def maximum_version(self, value: int) -> None:
        self._cy_max = self._check_version(value)

    @property
    def post_handshake_auth(self) -> bool:
        """TLS 1.3 post-handshake authentication (RFC 8446 §4.6.2).

        Client: offer it. Server with verify_mode CERT_OPTIONAL or
        CERT_REQUIRED: as OpenSSL's SSL_VERIFY_POST_HANDSHAKE, a TLS 1.3
        handshake asks for no client certificate; call
        `verify_client_post_handshake()` to ask for it later. TLS 1.2
        handshakes still ask during the handshake.
        """
        return self._cy_post_handshake_auth

    @post_handshake_auth.setter
    def post_handshake_auth(self, value: bool) -> None:
        self._cy_post_handshake_auth = bool(value)

    @property
    def num_tickets(self) -> int:
        """Session tickets a TLS 1.3 server sends (stored for parity)."""
        return self._cy_num_tickets

    @num_tickets.setter
    def num_tickets(self, value: int) -> None:
        value = int(value)
        if value < 0:
            raise ValueError("value must be non-negative")
        if self._cy_protocol == ssl.PROTOCOL_TLS_CLIENT:
            raise ValueError("SSLContext is not a server context.")
        self._cy_num_tickets = value

    @property
    def security_level(self) -> int:  # type: ignore[override]
        """OpenSSL's security level; cytls's suites and groups all meet level 2."""
        return 2

    @property
    def _msg_callback(self) -> Any:
        return self._cy_msg_callback

    @_msg_callback.setter
    def _msg_callback(self, callback: Any) -> None:
        # A debugging hook of the ssl module; cytls keeps it but does not call it.
        if callback is not None and not callable(callback):
            raise TypeError(f"{callback} is not callable.")
        self._cy_msg_callback = callback

    @property
    def _host_flags(self) -> int:
        return 0

    @_host_flags.setter
    def _host_flags(self, value: int) -> None:
        pass

    # ------------------------------------------------------------------
    # Cipher suites, groups, ALPN, NPN
    # ------------------------------------------------------------------

    def set_ciphers(self, ciphers: str, /) -> None:
        """Choose the cipher suites with an OpenSSL cipher string.

        Args:
            ciphers: e.g. "ECDHE+AESGCM:!aNULL" or "TLS_AES_256_GCM_SHA384".

        Raises:
            ssl.SSLError: "No cipher can be selected." when nothing matches.
        """
        if not isinstance(ciphers, str):
            raise TypeError(f"set_ciphers() argument must be str, not {type(ciphers).__name__}")
        tls12, tls13 = parse_cipher_string(ciphers)
        if not tls12 and tls13 is None:
            raise _no_cipher_error()
        self._cy_tls12 = tls12
        if tls13 is not None:
            self._cy_tls13 = tls13

    def get_ciphers(self) -> list[Any]:
        """The enabled suites, TLS 1.3 first, as `ssl.SSLContext.get_ciphers()`.

        Only suites the protocol core implements are listed (today the TLS
        1.3 ones; TLS 1.2 suites appear once the core negotiates them).
        """
        usable = _engine_suites()
        return [s.as_dict() for s in self._cy_tls13 + self._cy_tls12 if s.code in usable]

    def set_ecdh_curve(self, name: str | bytes, /) -> None:
        """Restrict key exchange to one group ("prime256v1", "secp384r1",
        "X25519", "X25519MLKEM768"...); the one-group form of set_groups.

        Raises:
            ValueError: an unknown curve name (as the ssl module).
        """
        text = name.decode("ascii") if isinstance(name, bytes) else name
        code = _CURVES.get(text) or _GROUPS_BY_NAME.get(text.lower())
        if code is None:
            raise ValueError(f"unknown elliptic curve name {text!r}")
        self._cy_groups = [code]

    def set_groups(self, groups: str | Iterable[str], /) -> None:
        """Choose the key exchange groups, in order of preference.

        The client sends a key share for the first (and for x25519 too
        when the first is the X25519MLKEM768 hybrid and x25519 is listed);
        a server picks from these.

        Args:
            groups: OpenSSL group names, as a list or one colon-separated
                string: "X25519MLKEM768", "x25519"/"X25519",
                "secp256r1"/"prime256v1"/"P-256", "secp384r1"/"P-384".

        Raises:
            ssl.SSLError: an empty list, or a name cytls does not know or
                does not implement.
            TypeError: groups is neither a str nor an iterable of str.
        """
        names = groups.split(":") if isinstance(groups, str) else list(groups)
        codes: list[int] = []
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"group names must be str, not {type(name).__name__}")
            name = name.strip()
            if not name:
                continue
            code = _GROUPS_BY_NAME.get(name.lower())
            if code is None:
                known = ", ".join(_GROUP_NAMES.values())
                raise _certs._ssl_error(
                    "SSL", "UNSUPPORTED_GROUP",
                    f"unknown or unsupported group {name!r} (cytls supports {known})", 1,
                )
            if code not in codes:
                codes.append(code)
        if not codes:
            raise _certs._ssl_error("SSL", "NO_SUITABLE_GROUPS", "no groups given", 1)
        self._cy_groups = codes

    def get_groups(self, *, include_aliases: bool = False) -> list[str]:
        """The enabled key exchange groups, in order of preference.

        Args:
            include_aliases: also list the other names of each group
                ("X25519", "prime256v1", "P-256", "P-384").

        Returns:
            OpenSSL group names, e.g. ["X25519MLKEM768", "x25519",
            "secp256r1", "secp384r1"] by default.
        """
        out: list[str] = []
        for code in self._group_codes():
            if code not in _GROUP_NAMES:
                continue
            out.append(_GROUP_NAMES[code])
            if include_aliases:
                out += [a for a, c in _GROUP_ALIASES if c == code]
        return out

    def _group_codes(self) -> list[int]:
        if self._cy_groups is not None:
            return list(self._cy_groups)
        from cytls._config import DEFAULT_GROUPS

        return [int(g) for g in DEFAULT_GROUPS]

    def load_dh_params(self, path: str, /) -> None:
        """Accepted for compatibility; cytls has no finite-field DHE suites.

        Raises:
            OSError: the file cannot be read.
            ssl.SSLError: the file holds no DH parameters.
        """
        data = _certs.read_file(path)
        if not any(label == b"DH PARAMETERS" for label, _ in _certs.pem_blocks(data)):
            raise _certs._ssl_error("SSL", None, "PEM lib", 524297)

    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None:
        """Offer (client) or accept (server) these ALPN protocols, RFC 7301.

        Raises:
            ssl.SSLError: a protocol name of 0 or more than 255 bytes.
            TypeError: a name that is not a str.
        """
        names = []
        for proto in alpn_protocols:
            raw = bytes(proto, "ascii")
            if not 0 < len(raw) <= 255:
                raise ssl.SSLError("ALPN protocols must be 1 to 255 in length")
            names.append(proto)
        self._cy_alpn = names

    def _set_alpn_protocols(self, protos: Buffer) -> None:
        # The wire form (length-prefixed names), as the C base takes it.
        raw = bytes(protos)
        names, pos = [], 0
        while pos < len(raw):
            n = raw[pos]
            names.append(raw[pos + 1 : pos + 1 + n].decode("ascii"))
            pos += 1 + n
        self._cy_alpn = names

    def set_npn_protocols(self, npn_protocols: Iterable[str]) -> None:
        """NPN is obsolete and not implemented; kept so old code still runs."""
        warnings.warn("ssl NPN is deprecated, use ALPN instead", DeprecationWarning, stacklevel=2)

    # ------------------------------------------------------------------
    # SNI and key log
    # ------------------------------------------------------------------

    @property
    def sni_callback(self) -> Callable[..., int | None] | None:
        """Server: called as `callback(sslobject, server_name, context)`.

        It may set `sslobject.context` to another cytls context to serve that
        context's certificate, and may return an ssl.ALERT_DESCRIPTION_* to
        abort the handshake.
        """
        return self._cy_sni_callback

    @sni_callback.setter
    def sni_callback(self, callback: Callable[..., int | None] | None) -> None:
        if self._cy_protocol == ssl.PROTOCOL_TLS_CLIENT:
            raise ValueError("sni_callback cannot be set on TLS_CLIENT context")
        if callback is not None and not callable(callback):
            raise TypeError("not a callable object")
        self._cy_sni_callback = callback

    def set_servername_callback(self, server_name_callback: Callable[..., Any] | None) -> None:
        """The older form of sni_callback (the name arrives decoded from IDNA)."""
        if server_name_callback is None:
            self.sni_callback = None
            return
        if not callable(server_name_callback):
            raise TypeError("not a callable object")

        def shim(sslobj: Any, servername: str | None, sslctx: SSLContext) -> Any:
            name = servername.encode("ascii").decode("idna") if servername else servername
            return server_name_callback(sslobj, name, sslctx)

        self.sni_callback = shim

    @property  # type: ignore[override]
    def keylog_filename(self) -> str | None:
        """Append NSS key log lines (SSLKEYLOGFILE format) to this file."""
        return self._cy_keylog_filename

    @keylog_filename.setter
    def keylog_filename(self, path: str | os.PathLike[str] | None) -> None:
        if path is None:
            self._cy_keylog_filename = None
            return
        path = os.fspath(path)
        if not isinstance(path, str):
            path = os.fsdecode(path)
        # Fail now, as the ssl module does, when the file cannot be opened.
        with open(path, "a", encoding="ascii") as f:
            if f.tell() == 0:
                f.write("# TLS secrets log file, generated by cytls\n")
        self._cy_keylog_filename = path

    def _keylog_line(self, line: str) -> None:
        path = self._cy_keylog_filename
        if path is None:
            return
        with self._cy_keylog_lock, open(path, "a", encoding="ascii") as f:
            f.write(line.rstrip("\n") + "\n")

    # ------------------------------------------------------------------
    # Certificates and trust store
    # ------------------------------------------------------------------

    def load_cert_chain(
        self,
        certfile: str | bytes | os.PathLike[Any],
        keyfile: str | bytes | os.PathLike[Any] | None = None,
        password: _certs.Password = None,
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
        chain, key = _certs.load_cert_chain(certfile, keyfile, password)
        self._cy_chain = chain
        self._cy_key = key
        self._precompute()

    def _add_ca(self, certs: list[x509.Certificate], crls: int = 0) -> None:
        self._add_ca_entries(_certs.ca_entries(certs), crls)

    def _add_crls(self, pem: bytes) -> None:
        """Keep the X509 CRL blocks of PEM text for VERIFY_CRL_CHECK_*
        (only called when the text has some)."""
        found = []
        for label, block in _certs.pem_blocks(pem):
            if label != b"X509 CRL":
                continue
            try:
                found.append(x509.load_pem_x509_crl(block))
            except ValueError:
                raise _certs._ssl_error(
                    "X509", "NO_CERTIFICATE_OR_CRL_FOUND", "no certificate or crl found", 136
                ) from None
        known = {c.public_bytes(serialization.Encoding.DER) for c in self._cy_crl_list}
        new = [c for c in found if c.public_bytes(serialization.Encoding.DER) not in known]
        if new:
            self._cy_crl_list = self._cy_crl_list + new

    def _add_ca_entries(self, entries: list[_certs.CAEntry], crls: int = 0) -> None:
        store = self._cy_ca
        for entry in entries:
            if entry[0] not in store:
                store[entry[0]] = entry
        self._cy_crls += crls
        self._cy_anchors = None

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
                certs, _ = _certs.load_ca_data(raw, text=True)
                if not certs:
                    raise _certs._ssl_error(
                        None, None, "no start line: cadata does not contain a certificate"
                    )
                self._add_ca(certs)
            else:
                try:
                    raw = bytes(memoryview(cadata))
                except TypeError:
                    raise TypeError(
                        "cadata should be an ASCII string or a bytes-like object"
                    ) from None
                if not raw:
                    raise ValueError("Empty certificate data")
                self._add_ca(*_certs.load_ca_data(raw, text=False))
        if cafile is not None:
            certs, crls = _certs.load_ca_file(cafile)
            self._add_ca(certs, crls)
            if crls:
                self._add_crls(_certs.read_file(cafile))
        if capath is not None:
            # Like OpenSSL, the directory is only consulted during verification.
            path = os.fsdecode(os.fspath(capath))
            if path not in self._cy_capaths:
                self._cy_capaths.append(path)
                self._cy_anchors = None
        self._precompute()

    def set_default_verify_paths(self) -> None:
        """Trust the system store as OpenSSL finds it, else certifi's bundle.

        Honours SSL_CERT_FILE and SSL_CERT_DIR as OpenSSL does. Fails silently,
        like OpenSSL, when no store exists.
        """
        paths = ssl.get_default_verify_paths()
        found = False
        if paths.cafile:
            try:
                self._add_ca_entries(*_certs.load_ca_file_cached(paths.cafile))
                found = True
            except (OSError, ssl.SSLError):
                pass
        if paths.capath and os.path.isdir(paths.capath):
            if paths.capath not in self._cy_capaths:
                self._cy_capaths.append(paths.capath)
                self._cy_anchors = None
            found = True
        if not found:
            try:
                import certifi

                self._add_ca_entries(*_certs.load_ca_file_cached(certifi.where()))
            except (ImportError, OSError, ssl.SSLError):
                pass
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
        cas = [e for e in self._cy_ca.values() if e[2]]
        if binary_form:
            return [e[0] for e in cas]
        return [_certs.decode_certificate(e[1]) for e in cas]

    def cert_store_stats(self) -> dict[str, int]:
        """Counts of loaded certificates, CA certificates and CRLs."""
        return {
            "x509": len(self._cy_ca),
            "crl": self._cy_crls,
            "x509_ca": sum(1 for e in self._cy_ca.values() if e[2]),
        }

    def session_stats(self) -> dict[str, int]:
        """Handshake counters in the shape of `ssl.SSLContext.session_stats()`."""
        return dict(self._cy_stats)

    def _trust_anchors(self) -> list[x509.Certificate]:
        anchors = self._cy_anchors
        if anchors is None:
            anchors = [e[1] for e in self._cy_ca.values()]
            seen = set(self._cy_ca)
            for path in self._cy_capaths:
                for cert in _certs.load_ca_dir_cached(path):
                    d = _certs.der(cert)
                    if d not in seen:
                        seen.add(d)
                        anchors.append(cert)
            # A cache fill, not a change of settings: bypass __setattr__.
            self.__dict__["_cy_anchors"] = anchors
        return anchors

    # ------------------------------------------------------------------
    # Connections
    # ------------------------------------------------------------------

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

    def _check_side(self, server_side: bool) -> None:
        if server_side and self._cy_protocol == ssl.PROTOCOL_TLS_CLIENT:
            raise ssl.SSLError(
                0, "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context"
            )
        if not server_side and self._cy_protocol == ssl.PROTOCOL_TLS_SERVER:
            raise ssl.SSLError(
                0, "Cannot create a client socket with a PROTOCOL_TLS_SERVER context"
            )

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
        from cytls import _config

        lo, hi = self._versions()
        if lo > hi:
            raise _certs._ssl_error("SSL", "NO_PROTOCOLS_AVAILABLE", "no protocols available", 1)
        # Versions the core does not implement are refused by validate() below.
        engine_suites = _engine_suites()
        suites = []
        if hi >= TLS1_3:
            suites += [s.code for s in self._cy_tls13 if s.code in engine_suites]
        if lo <= TLS1_2:
            suites += [s.code for s in self._cy_tls12 if s.code in engine_suites]
        if not suites:
            raise _no_cipher_error()
        kwargs: dict[str, Any] = {
            "is_client": not server_side,
            "min_version": lo,
            "max_version": hi,
            "cipher_suites": suites,
            # The same list objects on every build, so the core's
            # precomputation (keyed on their identity) is reused.
            "certificate_chain": self._cy_chain,
            "private_key": self._cy_key,
            "trust_anchors": self._trust_anchors() if self._cy_verify_mode != ssl.CERT_NONE else [],
            "verify_mode": self._cy_verify_mode,
            "check_hostname": self._cy_check_hostname and not server_side,
            "alpn_protocols": list(self._cy_alpn),
            "server_preference": bool(self._cy_options & ssl.OP_CIPHER_SERVER_PREFERENCE),
            "sni_callback": _sni_dispatch if server_side and self._cy_sni_callback else None,
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
        }
        if self._cy_groups is not None:
            groups = [g for g in self._cy_groups if g in {int(x) for x in _config.SUPPORTED_GROUPS}]
            if not groups:
                raise _certs._ssl_error("SSL", "NO_SUITABLE_GROUPS", "no suitable groups", 1)
            kwargs["groups"] = groups
            shares = groups[:1]
            if groups[0] == 0x11EC and 0x001D in groups:
                # The hybrid share is large and some servers only take
                # x25519: send both, as the default does.
                shares.append(0x001D)
            kwargs["key_share_groups"] = shares
        config = _config.TLSConfig(**kwargs)
        try:
            config.validate()
        except ValueError as exc:
            raise _certs._ssl_error("SSL", None, str(exc), 1) from None
        return config

    def _verify_flag_settings(self) -> dict[str, Any]:
        """TLSConfig fields for verify_flags (OpenSSL checks CRLs only with
        X509_V_FLAG_CRL_CHECK; CRL_CHECK_ALL extends it to the chain)."""
        flags = self._cy_verify_flags
        crl_check = 0
        if flags & ssl.VERIFY_CRL_CHECK_LEAF:
            check_all = ssl.VERIFY_CRL_CHECK_CHAIN & ~ssl.VERIFY_CRL_CHECK_LEAF
            crl_check = 2 if flags & check_all else 1
        return {
            "crls": self._cy_crl_list,
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
        config = dataclasses.replace(shared, server_hostname=server_hostname)
        config.adopt_prepared(shared)
        return config

    def _encode_hostname(self, hostname: str | bytes | None) -> str | None:
        """server_hostname as the ASCII (IDNA A-label) string the wire carries."""
        if hostname is None:
            return None
        if isinstance(hostname, str):
            return hostname.encode("idna").decode("ascii")
        return hostname.decode("ascii")

    def _wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool,
        server_hostname: str | None = None,
        *,
        owner: Any = None,
        session: Any = None,
    ) -> TLSObject:
        from cytls.sslobject import TLSObject

        return TLSObject(self, server_side, server_hostname, owner, session, incoming, outgoing)

    def _wrap_socket(
        self,
        sock: Any,
        server_side: bool,
        server_hostname: str | None = None,
        *,
        owner: Any = None,
        session: Any = None,
    ) -> Any:
        from cytls.sslsocket import SocketTLSObject

        return SocketTLSObject(self, server_side, server_hostname, owner, session, sock)

    def wrap_socket(
        self,
        sock: Any,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: Any = None,
    ) -> SSLSocket:
        """Wrap a connected (or to-be-connected) TCP socket; see ssl.SSLContext.

        Returns:
            a cytls.SSLSocket (an ssl.SSLSocket subclass); the original
            socket is detached.
        """
        result: SSLSocket = self.sslsocket_class._create(
            sock=sock,
            server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            server_hostname=server_hostname,
            context=self,
            session=session,
        )
        return result

    def wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: Any = None,
    ) -> SSLObject:
        """A cytls.SSLObject over two ssl.MemoryBIO, for event loops."""
        result: SSLObject = self.sslobject_class._create(
            incoming,
            outgoing,
            server_side=server_side,
            server_hostname=self._encode_hostname(server_hostname),
            session=session,
            context=self,
        )
        return result


def create_default_context(
    purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
    *,
    cafile: str | bytes | os.PathLike[Any] | None = None,
    capath: str | bytes | os.PathLike[Any] | None = None,
    cadata: str | Buffer | None = None,
) -> SSLContext:
    """A cytls context with the ssl module's defaults.

    For Purpose.SERVER_AUTH (a client): certificate and host name
    verification on, the system trust store (or the given CA), TLS 1.2
    minimum. For Purpose.CLIENT_AUTH (a server): no client certificate
    requested. SSLKEYLOGFILE is honoured.

    Raises:
        TypeError: purpose is not an ssl.Purpose.
        ValueError: an unknown purpose.
    """
    if not isinstance(purpose, ssl._ASN1Object):
        raise TypeError(purpose)
    if purpose == ssl.Purpose.SERVER_AUTH:
        context = SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
    elif purpose == ssl.Purpose.CLIENT_AUTH:
        context = SSLContext(ssl.PROTOCOL_TLS_SERVER)
    else:
        raise ValueError(purpose)
    if sys.version_info >= (3, 13):
        # Python 3.13's create_default_context verifies strictly and lets a
        # trusted intermediate anchor a chain (gh-107361).
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != ssl.CERT_NONE:
        context.load_default_certs(purpose)
    keylogfile = os.environ.get("SSLKEYLOGFILE")
    if keylogfile and not sys.flags.ignore_environment:
        context.keylog_filename = keylogfile
    return context


def _create_unverified_context(
    protocol: int | None = None,
    *,
    cert_reqs: int | None = ssl.CERT_NONE,
    check_hostname: bool = False,
    purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
    certfile: str | None = None,
    keyfile: str | None = None,
    cafile: str | None = None,
    capath: str | None = None,
    cadata: str | bytes | None = None,
) -> SSLContext:
    """cytls's `ssl._create_unverified_context` (what stdlib modules call)."""
    if not isinstance(purpose, ssl._ASN1Object):
        raise TypeError(purpose)
    if purpose == ssl.Purpose.SERVER_AUTH:
        protocol = ssl.PROTOCOL_TLS_CLIENT if protocol is None else protocol
    elif purpose == ssl.Purpose.CLIENT_AUTH:
        protocol = ssl.PROTOCOL_TLS_SERVER if protocol is None else protocol
    else:
        raise ValueError(purpose)
    context = SSLContext(protocol)
    context.check_hostname = check_hostname
    if cert_reqs is not None:
        context.verify_mode = cert_reqs
    if check_hostname:
        context.check_hostname = True
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if certfile or keyfile:
        context.load_cert_chain(certfile, keyfile)  # type: ignore[arg-type]
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != ssl.CERT_NONE:
        context.load_default_certs(purpose)
    keylogfile = os.environ.get("SSLKEYLOGFILE")
    if keylogfile and not sys.flags.ignore_environment:
        context.keylog_filename = keylogfile
    return context


# The TLSObject whose handshake is running on this thread. The protocol
# core calls a server's SNI hook with the name only, and server configs are
# shared by all connections of a context, so the hook finds its connection
# here (set by TLSObject.do_handshake around the calls that can reach it).
_current = threading.local()


def _sni_dispatch(server_name: str | None) -> int | TLSConfig | None:
    """The protocol core's SNI hook: run the current connection's callback."""
    tls = getattr(_current, "tls", None)
    if tls is None:
        return None
    result: int | TLSConfig | None = tls._on_sni(server_name)
    return result


def _bind_adapter_classes() -> None:
    from cytls.sslobject import SSLObject
    from cytls.sslsocket import SSLSocket

    SSLContext.sslsocket_class = SSLSocket
    SSLContext.sslobject_class = SSLObject
