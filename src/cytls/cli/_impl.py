"""Which TLS implementation the tools drive, and the few accessors they need.

Owns: the module-level choice between cytls and the `ssl` module (the tools are
written against the `ssl` API shape, so either works), and the accessors for
what goes beyond the ssl module's API of this Python: the handshake trace, the
negotiated group, the verified chain, the group list (cytls has public methods
for each; the ssl module has fewer). Must not: implement TLS, or fake a figure or a step when a piece is missing
— it raises Unavailable with the reason instead.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TLSImpl",
    "TraceEvent",
    "Unavailable",
    "handshake_trace",
    "key_update",
    "load",
    "name_of",
    "negotiated_group",
    "peer_chain_der",
    "set_groups",
    "set_suites",
]

IMPLEMENTATIONS = ("cytls", "ssl")

# RFC 8446 §B.4 names, and the OpenSSL spelling of each for the ssl module.
TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
_OPENSSL_GROUP = {
    "x25519": "X25519",
    "secp256r1": "prime256v1",
    "p-256": "prime256v1",
    "prime256v1": "prime256v1",
    "secp384r1": "secp384r1",
    "p-384": "secp384r1",
    "secp521r1": "secp521r1",
    "x448": "X448",
    "x25519mlkem768": "X25519MLKEM768",
}


class Unavailable(Exception):
    """A component the command needs is missing; the message says which and why."""


@dataclass(frozen=True)
class TLSImpl:
    """An `ssl`-shaped TLS implementation.

    Attributes:
        name: "cytls" or "ssl".
        SSLContext: the context class (cytls's subclasses ssl.SSLContext).
        create_default_context: as ssl.create_default_context.
        module: the module object, for anything else.
    """

    name: str
    SSLContext: type[ssl.SSLContext]
    create_default_context: Callable[..., ssl.SSLContext]
    module: Any

    def client_context(self) -> ssl.SSLContext:
        return self.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

    def server_context(self) -> ssl.SSLContext:
        return self.SSLContext(ssl.PROTOCOL_TLS_SERVER)


def load(name: str) -> TLSImpl:
    """The implementation called `name`.

    Raises:
        Unavailable: cytls's ssl-compatible API cannot be imported yet.
        ValueError: an unknown name.
    """
    if name == "ssl":
        return TLSImpl("ssl", ssl.SSLContext, ssl.create_default_context, ssl)
    if name != "cytls":
        raise ValueError(f"unknown implementation {name!r}; expected one of {IMPLEMENTATIONS}")
    try:
        import cytls
    except Exception as e:  # an import-time failure of any kind means "not available"
        raise Unavailable(f"cytls cannot be imported: {e}") from e
    ctx_cls = getattr(cytls, "SSLContext", None)
    cdc = getattr(cytls, "create_default_context", None)
    if ctx_cls is None or cdc is None:
        raise Unavailable("cytls.SSLContext is not available in this build")
    try:  # the adapters import without it; connections need it
        import cytls._connection
    except ImportError as e:
        raise Unavailable(f"cytls's protocol core cannot be imported ({e})") from e
    return TLSImpl("cytls", ctx_cls, cdc, cytls)


@dataclass(frozen=True)
class TraceEvent:
    """One handshake step as the engine recorded it.

    Attributes:
        t: a time.perf_counter()-compatible timestamp, seconds.
        role: "client" or "server".
        step: the step's name, e.g. "ClientHello sent".
        details: what the step carried (versions, suites, group, names...).
    """

    t: float
    role: str
    step: str
    details: Mapping[str, Any] = field(default_factory=dict)


def handshake_trace(obj: Any) -> list[TraceEvent]:
    """The timed handshake steps of a cytls SSLSocket/SSLObject, on the perf_counter clock.

    Uses the public `handshake_trace()` of cytls's SSLSocket and SSLObject,
    whose times are absolute time.perf_counter() values.

    Raises:
        Unavailable: the object has no trace (the ssl module's sockets).
    """
    method = getattr(obj, "handshake_trace", None)
    if not callable(method):
        raise Unavailable(f"{type(obj).__module__}.{type(obj).__name__} exposes no handshake trace")
    return [TraceEvent(float(e.time), str(e.role), str(e.step), dict(e.details)) for e in method()]


def key_update(obj: Any, update_requested: bool) -> None:
    """Send a TLS 1.3 KeyUpdate on an established connection (cytls's
    `key_update()`; the ssl module has no such call).

    Raises:
        Unavailable: the object cannot send one (the ssl module's sockets).
        ssl.SSLError: not TLS 1.3, or the handshake is not done.
    """
    method = getattr(obj, "key_update", None)
    if not callable(method):
        raise Unavailable(f"{type(obj).__module__}.{type(obj).__name__} cannot send a KeyUpdate")
    method(update_requested)


def name_of(kind: str, value: Any) -> str:
    """The registry name of a wire number (suite, group, scheme, version...),
    an X.509 name in RFC 4514 form, else str()."""
    if not isinstance(value, int) or isinstance(value, bool):
        render = getattr(value, "rfc4514_string", None)
        return render() if callable(render) else str(value)
    try:
        from cytls._wire import enums as _enums
        from cytls._wire.alerts import AlertDescription
    except Exception:
        return str(value)
    registry: Any = {
        "suite": _enums.CipherSuite,
        "group": _enums.NamedGroup,
        "scheme": _enums.SignatureScheme,
        "version": _enums.ProtocolVersion,
        "extension": _enums.ExtensionType,
        "alert": AlertDescription,
    }.get(kind)
    if registry is None:
        return str(value)
    try:
        return str(registry(value).name)
    except ValueError:
        return f"0x{value:04x}"


def negotiated_group(obj: Any) -> str | None:
    """The key exchange group of an established connection, when the API says it
    (cytls's `group()`; the ssl module has none before Python 3.15)."""
    method = getattr(obj, "group", None)
    if not callable(method):
        return None
    value = method()
    return str(value) if value else None


def peer_chain_der(obj: Any) -> tuple[list[bytes], bool]:
    """The peer's chain as DER, leaf first, and whether it is the verified chain.

    Uses get_verified_chain() (cytls; ssl from Python 3.13), then, for the ssl
    module on older Pythons only, its _ssl object's (which has had it since
    3.10), then the unverified chain, then the leaf.
    """
    owners = [obj]
    if not hasattr(obj, "get_verified_chain"):
        owners.append(getattr(obj, "_sslobj", None))
    for owner in owners:
        if owner is None:
            continue
        for meth, verified in (("get_verified_chain", True), ("get_unverified_chain", False)):
            fn = getattr(owner, meth, None)
            if fn is None:
                continue
            try:
                chain = fn()
            except Exception:
                continue
            if chain:
                return [_der(c) for c in chain], verified
    leaf = obj.getpeercert(binary_form=True)
    return ([leaf] if leaf else []), False


def _der(cert: Any) -> bytes:
    if isinstance(cert, bytes | bytearray | memoryview):
        return bytes(cert)
    public_bytes = getattr(cert, "public_bytes", None)
    if public_bytes is not None:
        import _ssl  # the ssl module's Certificate wants _ssl's encoding constant

        try:
            return bytes(public_bytes(_ssl.ENCODING_DER))
        except TypeError:
            from cryptography.hazmat.primitives.serialization import Encoding

            return bytes(public_bytes(Encoding.DER))
    raise TypeError(f"cannot get DER from {type(cert).__name__}")


def set_suites(ctx: ssl.SSLContext, impl: TLSImpl, suites: list[str]) -> None:
    """Restrict the TLS 1.3 cipher suites offered or accepted.

    Raises:
        Unavailable: the implementation cannot do it (the ssl module before 3.15).
    """
    unknown = [s for s in suites if s not in TLS13_SUITES]
    if unknown:
        raise ValueError(f"unknown TLS 1.3 cipher suite(s) {', '.join(unknown)}; known: {', '.join(TLS13_SUITES)}")
    setter = getattr(ctx, "set_ciphersuites", None)
    if setter is not None:
        setter(":".join(suites))
        return
    if impl.name == "cytls":
        ctx.set_ciphers(":".join(suites))
        return
    raise Unavailable("the ssl module cannot restrict TLS 1.3 cipher suites")


def set_groups(ctx: ssl.SSLContext, impl: TLSImpl, groups: list[str]) -> None:
    """Restrict the key exchange groups, in order of preference.

    Raises:
        Unavailable: the implementation cannot (the ssl module takes one curve only).
    """
    setter = getattr(ctx, "set_groups", None)
    if setter is not None:  # cytls; the ssl module from Python 3.15
        setter(":".join(groups))
        return
    if len(groups) == 1 and groups[0].lower() in _OPENSSL_GROUP:
        ctx.set_ecdh_curve(_OPENSSL_GROUP[groups[0].lower()])
        return
    raise Unavailable(f"{impl.name} cannot restrict key exchange groups to {':'.join(groups)}")


def now() -> float:
    """The clock trace timestamps are compared with."""
    return time.perf_counter()
