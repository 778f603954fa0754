"""cytls.SSLContext: the ssl module's SSLContext, backed by cytls.

Owns: a context's settings (versions, suites, verification, ALPN, SNI
callback, key log, certificates, trust store), their validation with the ssl
module's exceptions, and turning them into one `TLSConfig` per connection.
Its mixins hold parts of it: certsettings (certificates and trust store),
configbuild (settings to TLSConfig), psk (3.13's PSK callbacks).
Must not: do any protocol work or I/O; it hands a config to `Connection`
through `SSLObject` / `SSLSocket`.

`SSLContext` subclasses `ssl.SSLContext` so that `isinstance(ctx,
ssl.SSLContext)` holds (asyncio, urllib3, httpx and aiohttp check it). The
base class is a C type that owns an OpenSSL SSL_CTX; cytls never uses it.
Every public method and property of the base is overridden here or in a
mixin, so nothing
silently falls through to OpenSSL (tests/unit/test_context.py checks this).
"""

from __future__ import annotations

import _ssl
import encodings.idna  # noqa: F401  (server_hostname.encode("idna"): load it now, not mid-handshake)
import os
import ssl
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cryptography import x509

from cytls._handshake import config as config_mod
from cytls._pki import loading
from cytls._ssl import argcheck
from cytls._ssl.certsettings import CertificateSettings
from cytls._ssl.ciphers import (
    CURVES,
    GROUP_ALIASES,
    GROUP_NAMES,
    GROUPS_BY_NAME,
    SUITES_12,
    SUITES_13,
    CipherSuite,
    engine_suites,
    no_cipher_error,
    parse_cipher_string,
    security_level_of,
)
from cytls._ssl.configbuild import TLS1_2, TLS1_3, ConfigBuilder
from cytls._ssl.dhparams import parse_dh_params
from cytls._ssl.psk import PSKRefusal
from cytls._ssl.sslobject import SSLObject
from cytls._ssl.sslsocket import SocketTLSObject, SSLSocket
from cytls._ssl.tlsobject import TLSObject
from cytls._ssl.truststore import TrustStore
from cytls._wire.alerts import api_error

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from cytls._handshake.config import TLSConfig

__all__ = ["SSLContext"]


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


class SSLContext(CertificateSettings, ConfigBuilder, PSKRefusal, ssl.SSLContext):
    """A drop-in `ssl.SSLContext` whose connections run on cytls.

    Create it as the ssl module's: `SSLContext(ssl.PROTOCOL_TLS_CLIENT)` or
    `SSLContext(ssl.PROTOCOL_TLS_SERVER)` (`PROTOCOL_TLS` and the deprecated
    `PROTOCOL_TLSv1_2` work too). Protocols below TLS 1.2 are refused with
    ValueError, as the ssl module refuses an unknown protocol.
    """

    sslsocket_class: Any = SSLSocket
    sslobject_class: Any = SSLObject
    # Marks a cytls context for the adapters (a plain ssl.SSLContext has none).
    _cy_engine = True

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
        self._cy_alpn_strict = False
        self._cy_dh_params: Any = None
        # The level this OpenSSL starts contexts at (2 on most builds).
        self._cy_security_level = int(_ssl._SSLContext.security_level.__get__(self, type(self)))  # type: ignore[attr-defined]
        self._cy_sni_callback: Callable[..., int | None] | None = None
        self._cy_msg_callback: Any = None
        self._cy_chain: list[x509.Certificate] = []
        self._cy_key: loading.PrivateKey | None = None
        # Chains of other key types loaded before the current one.
        self._cy_other_chains: dict[str, tuple[list[x509.Certificate], Any]] = {}
        self._cy_trust = TrustStore()
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
        number = argcheck.option_mask(value)
        argcheck.deprecated_option_bits(self._cy_options, number)
        self._cy_options = number

    @property
    def verify_mode(self) -> ssl.VerifyMode:
        """ssl.CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED."""
        return ssl.VerifyMode(self._cy_verify_mode)

    @verify_mode.setter
    def verify_mode(self, value: int) -> None:
        value = argcheck.c_long(value)
        if value not in (ssl.CERT_NONE, ssl.CERT_OPTIONAL, ssl.CERT_REQUIRED):
            raise ValueError("invalid value for verify_mode")
        if value == ssl.CERT_NONE and self._cy_check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        before = self._cy_verify_mode
        self._cy_verify_mode = value
        if (before == ssl.CERT_NONE) != (value == ssl.CERT_NONE) and (self._cy_trust.ca or self._cy_chain):
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
        self._cy_verify_flags = argcheck.unsigned_long(value)

    def _check_version(self, value: Any) -> int:
        if self._cy_protocol == ssl.PROTOCOL_TLSv1_2:
            raise ValueError(
                "The context's protocol doesn't support modification of highest and lowest version."
            )
        number = argcheck.c_long(value)
        if number not in _VALID_TLS_VERSIONS:
            raise ValueError(f"Unsupported TLS/SSL version 0x{number & 0xFFFFFFFF:x}")
        return number

    @property
    def minimum_version(self) -> ssl.TLSVersion:
        """Lowest TLS version offered; cytls never goes below TLS 1.2."""
        return ssl.TLSVersion(self._cy_min)

    @minimum_version.setter
    def minimum_version(self, value: int) -> None:
        number = self._check_version(value)
        if number == ssl.TLSVersion.MAXIMUM_SUPPORTED:
            # As _ssl.c: the highest version there is, by its name.
            number = int(ssl.TLSVersion.TLSv1_3)
        self._cy_min = number

    @property
    def maximum_version(self) -> ssl.TLSVersion:
        """Highest TLS version offered."""
        return ssl.TLSVersion(self._cy_max)

    @maximum_version.setter
    def maximum_version(self, value: int) -> None:
        number = self._check_version(value)
        if number == ssl.TLSVersion.MINIMUM_SUPPORTED:
            # As _ssl.c: the lowest version its OpenSSL has, by its name.
            number = int(ssl.TLSVersion.SSLv3 if ssl.HAS_SSLv3 else ssl.TLSVersion.TLSv1)
        self._cy_max = number

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
        """Session tickets a TLS 1.3 server sends after each handshake
        (default 2; with OP_NO_TICKET they name sessions this context keeps,
        as OpenSSL's stateful tickets)."""
        return self._cy_num_tickets

    @num_tickets.setter
    def num_tickets(self, value: int) -> None:
        value = argcheck.c_long(value)
        if value < 0:
            raise ValueError("value must be non-negative")
        if self._cy_protocol == ssl.PROTOCOL_TLS_CLIENT:
            raise ValueError("SSLContext is not a server context.")
        self._cy_num_tickets = value

    @property
    def security_level(self) -> int:  # type: ignore[override]
        """OpenSSL's security level, 0..5 (set with "@SECLEVEL=n" in
        set_ciphers, as OpenSSL has it). It sets the floors for our own
        certificates (checked by load_cert_chain) and the peer's (checked in
        verification): keys of 80, 112, 128, 192, 256 security bits from
        level 1 (RSA 1024, 2048, 3072, 7680, 15360; ECC 160, 224, 256,
        384, 512) and the same for signature digests."""
        return self._cy_security_level

    @property
    def _msg_callback(self) -> Any:
        return self._cy_msg_callback

    @_msg_callback.setter
    def _msg_callback(self, callback: Any) -> None:
        # The ssl module's message tracing hook: connections wrapped from
        # now on call it for every record header and message (msgtrace.py).
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
            raise TypeError(
                f"set_ciphers() argument must be str, not {argcheck.arg_type_name(ciphers)}"
            )
        tls12, tls13 = parse_cipher_string(ciphers)
        level = security_level_of(ciphers)
        if level is not None:
            self._cy_security_level = level  # OpenSSL sets it even if nothing matches
        if not tls12 and tls13 is None:
            raise no_cipher_error()
        self._cy_tls12 = tls12
        if tls13 is not None:
            self._cy_tls13 = tls13

    def get_ciphers(self) -> list[Any]:
        """The enabled suites, TLS 1.3 first, as `ssl.SSLContext.get_ciphers()`.

        Only suites the protocol core implements are listed (today the TLS
        1.3 ones; TLS 1.2 suites appear once the core negotiates them).
        """
        usable = engine_suites()
        return [s.as_dict() for s in self._cy_tls13 + self._cy_tls12 if s.code in usable]

    def set_ecdh_curve(self, name: str | bytes, /) -> None:
        """Restrict key exchange to one group ("prime256v1", "secp384r1",
        "X25519", "X25519MLKEM768"...); the one-group form of set_groups.

        Raises:
            ValueError: an unknown curve name (as the ssl module).
        """
        text = argcheck.curve_name(name)
        code = CURVES.get(text) or GROUPS_BY_NAME.get(text.lower())
        if code is None:
            raise ValueError(f"unknown elliptic curve name {name!r}")
        self._cy_groups = [code]

    def set_groups(self, groups: str | Iterable[str], /) -> None:
        """Choose the key exchange groups, in order of preference.

        The client sends a key share for the first (and for x25519 too
        when the first is the X25519MLKEM768 hybrid and x25519 is listed);
        a server picks from these.

        Args:
            groups: OpenSSL group names, as a list or one colon-separated
                string: "X25519MLKEM768", "x25519"/"X25519",
                "secp256r1"/"prime256v1"/"P-256", "secp384r1"/"P-384",
                "secp521r1"/"P-521", "x448"/"X448", "ffdhe2048" ...
                "ffdhe8192" (TLS 1.3 only). Without a call, a client
                offers the first four and a server accepts them all.

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
            code = GROUPS_BY_NAME.get(name.lower())
            if code is None:
                known = ", ".join(GROUP_NAMES.values())
                raise loading._ssl_error(
                    "SSL", "UNSUPPORTED_GROUP",
                    f"unknown or unsupported group {name!r} (cytls supports {known})", 1,
                )
            if code not in codes:
                codes.append(code)
        if not codes:
            raise loading._ssl_error("SSL", "NO_SUITABLE_GROUPS", "no groups given", 1)
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
            if code not in GROUP_NAMES:
                continue
            out.append(GROUP_NAMES[code])
            if include_aliases:
                out += [a for a, c in GROUP_ALIASES if c == code]
        return out

    def _group_codes(self) -> list[int]:
        if self._cy_groups is not None:
            return list(self._cy_groups)
        return [int(g) for g in config_mod.DEFAULT_GROUPS]

    def load_dh_params(self, path: str, /) -> None:
        """Load finite-field DH parameters (a PEM "DH PARAMETERS" file).

        They are kept on the context (`_cy_dh_params`); the handshake does
        not use them yet.

        Raises:
            OSError: the file cannot be read.
            ssl.SSLError: OpenSSL's errors for the file (see dhparams.py).
        """
        data = loading.read_file(argcheck.fs_path(path, None))
        self._cy_dh_params = parse_dh_params(data, self.security_level)

    def set_alpn_protocols(self, alpn_protocols: Iterable[str], *, strict: bool = False) -> None:
        """Offer (client) or accept (server) these ALPN protocols, RFC 7301.

        A server whose protocols are none of the client's goes on without
        ALPN, as the ssl module's (OpenSSL 3.0); with `strict=True` (a
        cytls extension) it refuses with no_application_protocol instead.

        Raises:
            ssl.SSLError: a protocol name of 0 or more than 255 bytes.
            TypeError: a name that is not a str.
        """
        names = []
        for proto in alpn_protocols:
            raw = bytes(proto, "ascii")
            if not 0 < len(raw) <= 255:
                raise api_error("ALPN protocols must be 1 to 255 in length")
            names.append(proto)
        self._cy_alpn = names
        self._cy_alpn_strict = bool(strict)

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
        """NPN is obsolete and not implemented (ssl.HAS_NPN is False here too).

        Raises:
            NotImplementedError: after the ssl module's argument checks
                (whose own set_npn_protocols fails with AttributeError
                when its OpenSSL lacks NPN); nothing is silently ignored.
        """
        warnings.warn("ssl NPN is deprecated, use ALPN instead", DeprecationWarning, stacklevel=2)
        for proto in npn_protocols:
            if not 0 < len(bytes(proto, "ascii")) <= 255:
                raise api_error("NPN protocols must be 1 to 255 in length")
        raise NotImplementedError("NPN is not supported; use set_alpn_protocols()")

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
        """The older name of sni_callback: the same callback, which receives
        the name as the client sent it (an IDN as its A-label, "xn--..."),
        as the ssl module's does."""
        if server_name_callback is not None and not callable(server_name_callback):
            raise TypeError("not a callable object")
        self.sni_callback = server_name_callback

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

    def session_stats(self) -> dict[str, int]:
        """Handshake counters in the shape of `ssl.SSLContext.session_stats()`."""
        return dict(self._cy_stats)

    # ------------------------------------------------------------------
    # Connections
    # ------------------------------------------------------------------

    def _check_side(self, server_side: bool) -> None:
        if server_side and self._cy_protocol == ssl.PROTOCOL_TLS_CLIENT:
            raise api_error("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context", 0)
        if not server_side and self._cy_protocol == ssl.PROTOCOL_TLS_SERVER:
            raise api_error("Cannot create a client socket with a PROTOCOL_TLS_SERVER context", 0)

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
        for name, bio in (("incoming", incoming), ("outgoing", outgoing)):
            if not isinstance(bio, ssl.MemoryBIO):
                raise TypeError(
                    f"_wrap_bio() argument '{name}' must be _ssl.MemoryBIO, "
                    f"not {argcheck.arg_type_name(bio)}"
                )
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
