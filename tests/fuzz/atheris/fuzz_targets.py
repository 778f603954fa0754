"""The atheris fuzz targets: one function per parser, one per (role, version)
of a whole Connection, and the deterministic peers they share.

Owns: what each target does with one input and what counts as a finding.
An input may end in success or in the ssl.SSLError family (TLSAlert is one);
anything else escaping, or a TLSAlert we send as internal_error (the class of
the duplicated-X.509-extension bug: a peer's bytes blamed on us), is a
finding, raised as `Finding`. Time (over 1 s) and memory (growth across
inputs) are watched by the runner (run_target.py), not here.
Must not: import atheris (the corpus replay test runs these functions under
plain pytest) or touch the network.

The Connection targets use fixed randoms, fixed ephemeral keys and Ed25519
certificates (deterministic signatures), so a transcript recorded against
the same configuration (scripts/record-fuzz-corpus.py) replays exactly:
a recorded client flight takes a fresh server here through Finished and
into application data, and a recorded server flight does the same for a
fresh client. Mutations start from there, deep in the handshake.
"""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Callable
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cytls._connection import Connection
from cytls._handshake import checks
from cytls._handshake.config import TLSConfig
from cytls._handshake.state import Hooks
from cytls._wire import messages as m
from cytls._wire import messages12 as m12
from cytls._wire.alerts import TLSAlert

__all__ = ["CONNECTION_TARGETS", "TARGETS", "Finding", "client_config", "server_config"]

INTERNAL_ERROR = 80
TLS12, TLS13 = 0x0303, 0x0304
CLIENT_RANDOM = b"\x11" * 32
SERVER_RANDOM = b"\x33" * 32


class Finding(Exception):
    """An input the engine handled wrongly (see the module docstring)."""


# ------------------------------------------------------------ deterministic PKI


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key(seed: int) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


_START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
_END = datetime.datetime(2045, 1, 1, tzinfo=datetime.UTC)


def _cert(
    cn: str, key: Any, issuer: tuple[x509.Name, Any] | None, serial: int, ca: bool
) -> x509.Certificate:
    iname, ikey = issuer or (_name(cn), key)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(iname)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(_START)
        .not_valid_after(_END)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    else:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), False)
        b = b.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            False,
        )
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ikey.public_key()), False
        )
    # RFC 6979 deterministic ECDSA: the same certificate bytes every run.
    return b.sign(ikey, hashes.SHA256(), ecdsa_deterministic=True)


@cache
def pki() -> dict[str, Any]:
    """A P-256 root, an Ed25519 server leaf ("localhost": its CertificateVerify
    is deterministic) and a P-256 client leaf (cryptography's verifier, which
    checks client chains here, refuses Ed25519 keys)."""
    root_key = ec.derive_private_key(1001, ec.SECP256R1())
    client_key = ec.derive_private_key(1003, ec.SECP256R1())
    server_key = _key(2)
    root = _cert("cytls fuzz root", root_key, None, 1, True)
    issuer = (root.subject, root_key)
    return {
        "root": root,
        "server": _cert("localhost", server_key, issuer, 2, False),
        "server_key": server_key,
        "client": _cert("client.fuzz", client_key, issuer, 3, False),
        "client_key": client_key,
    }


_ECDSA_HASHES = {0x0403: hashes.SHA256, 0x0503: hashes.SHA384, 0x0603: hashes.SHA512}


def _client_sign(scheme: int, content: bytes) -> bytes:
    # RFC 6979: the client's CertificateVerify is the same every run, so a
    # recorded TLS 1.2 server Finished (which covers it) replays.
    alg = ec.ECDSA(_ECDSA_HASHES[scheme](), deterministic_signing=True)
    return pki()["client_key"].sign(content, alg)  # type: ignore[no-any-return]


def client_hooks() -> Hooks:
    key = x25519.X25519PrivateKey.from_private_bytes(bytes(range(32)))
    return Hooks(
        random=CLIENT_RANDOM,
        session_id=b"\x22" * 32,
        key_shares={0x001D: key},
        sign=_client_sign,
    )


def server_hooks() -> Hooks:
    key = x25519.X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    return Hooks(random=SERVER_RANDOM, server_private=key)


def client_config(version: int, **kw: Any) -> TLSConfig:
    """The fuzzed client: one version, x25519 share up front, no verification
    (real peers' certificates must not stop the handshake), a client
    certificate for servers that ask."""
    p = pki()
    kw.setdefault("verify_mode", 0)
    return TLSConfig(
        is_client=True,
        min_version=version,
        max_version=version,
        groups=[0x001D, 0x0017, 0x0018],
        key_share_groups=[0x001D],
        check_hostname=False,
        server_hostname="localhost",
        certificate_chain=[p["client"]],
        private_key=p["client_key"],
        trust_anchors=[p["root"]],
        **kw,
    )


def server_config(version: int, **kw: Any) -> TLSConfig:
    """The fuzzed server: one version, an Ed25519 chain, a CertificateRequest
    (CERT_OPTIONAL, so clients without a certificate still finish)."""
    p = pki()
    kw.setdefault("verify_mode", 1)
    return TLSConfig(
        is_client=False,
        min_version=version,
        max_version=version,
        groups=[0x001D, 0x0017, 0x0018],
        certificate_chain=[p["server"]],
        private_key=p["server_key"],
        trust_anchors=[p["root"]],
        **kw,
    )


# ---------------------------------------------------------------- checking


def _guard(fn: Callable[[bytes], object]) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        try:
            fn(data)
        except TLSAlert as exc:
            if exc.description == INTERNAL_ERROR and not exc.received:
                raise Finding(f"internal_error on peer input: {exc}") from exc
        except ssl.SSLError:
            pass
        except Finding:
            raise
        except Exception as exc:
            raise Finding(f"{type(exc).__name__} escaped: {exc}") from exc

    target.__name__ = fn.__name__
    target.__doc__ = fn.__doc__
    return target


# ---------------------------------------------------------- parser targets

# Every extension codec of messages.py, by extension type; the
# msg-type-dependent ones get each form they have.
_EXT_CODECS: list[Callable[[bytes], object]] = [
    m.parse_server_name,
    lambda b: m.parse_u16_list(b, "supported_groups"),
    m.parse_client_key_shares,
    m.parse_server_key_share,
    m.parse_hrr_key_share,
    m.parse_client_versions,
    m.parse_server_version,
    m.parse_cookie,
    m.parse_alpn,
    m.parse_psk_modes,
    m.parse_record_size_limit,
    m.parse_certificate_authorities,
    m.parse_early_data_nst,
    lambda b: m.check_empty(b, "extended_master_secret"),
    m12.parse_ec_point_formats,
    m12.parse_renegotiation_info,
]


def _extension_bodies(exts: dict[int, bytes]) -> None:
    """Run every codec on every extension body (as a real peer could put any
    body under any type), so the corpus of real hellos seeds them all."""
    for body in exts.values():
        for codec in _EXT_CODECS:
            try:
                codec(body)
            except ssl.SSLError:
                pass


def _client_hello(data: bytes) -> None:
    """ClientHello.parse and every extension codec on its extensions."""
    ch = m.ClientHello.parse(data)
    ch.serialize()
    _extension_bodies(ch.extensions)


def _server_hello(data: bytes) -> None:
    """ServerHello.parse (and HelloRetryRequest) and the extension codecs."""
    sh = m.ServerHello.parse(data)
    _extension_bodies(sh.extensions)


def _certificate(data: bytes) -> None:
    """Certificate (TLS 1.3 and TLS 1.2 forms), then each entry through the
    certificate loading the handshake does (cryptography's X.509 parser)."""
    ders: list[bytes] = []
    try:
        ders = [e.cert_data for e in m.Certificate.parse(data).entries]
    except ssl.SSLError:
        pass
    try:
        ders += m12.parse_certificate12(data)
    except ssl.SSLError:
        pass
    if not ders:
        # A bare DER certificate (the seeds carry some) goes straight in.
        ders = [data]
    checks.load_certificates(ders[:8])


def _certificate_verify(data: bytes) -> None:
    """CertificateVerify.parse."""
    m.CertificateVerify.parse(data)


def _extensions(data: bytes) -> None:
    """The extension codecs: the first byte picks one, the rest is its body;
    also the extension block parser for each message that has one."""
    if not data:
        return
    pick, body = data[0], data[1:]
    codecs = _EXT_CODECS + _EXT_BLOCKS
    codecs[pick % len(codecs)](body)


def _ext_block(msg_type: int) -> Callable[[bytes], object]:
    return lambda b: m.parse_extensions(m.ext_reader(b, "extensions"), msg_type)


# The extension-block parser as each message with extensions calls it.
_EXT_BLOCKS = [_ext_block(t) for t in (1, 2, 4, 8, 11, 13)]


def _other_messages(data: bytes) -> None:
    """Every other message parser: the first byte picks the parser."""
    if not data:
        return
    parsers: list[Callable[[bytes], object]] = [
        m.EncryptedExtensions.parse,
        m.CertificateRequest.parse,
        m.NewSessionTicketMsg.parse,
        m.parse_key_update,
        m12.ServerKeyExchange12.parse,
        m12.CertificateRequest12.parse,
        m12.parse_client_key_exchange12,
    ]
    parsers[data[0] % len(parsers)](data[1:])


# ------------------------------------------------------- Connection targets


def _drive(conn: Connection, data: bytes) -> None:
    """Feed a peer's byte stream, answer, read, close: what an adapter does.
    Odd-length inputs go in one record at a time, to reach reassembly."""
    if len(data) % 2:
        i = 0
        while i < len(data):
            n = 5 + int.from_bytes(data[i + 3 : i + 5], "big") if i + 5 <= len(data) else 5
            conn.receive_data(data[i : i + n])
            conn.data_to_send()
            i += n
    else:
        conn.receive_data(data)
    conn.data_to_send()
    if conn.handshake_complete:
        conn.read_application_data()
        conn.send_application_data(b"fuzz")
        conn.close()
        conn.data_to_send()


def _connection_target(is_client: bool, version: int) -> Callable[[bytes], None]:
    cfg = client_config(version) if is_client else server_config(version)

    def run(data: bytes) -> None:
        if is_client:
            conn = Connection(cfg, hooks=client_hooks())
            conn.start_handshake()
            conn.data_to_send()
        else:
            conn = Connection(cfg, hooks=server_hooks())
        _drive(conn, data)

    role = "client" if is_client else "server"
    run.__name__ = f"{role}{13 if version == TLS13 else 12}"
    run.__doc__ = f"A whole {role} Connection, TLS 1.{3 if version == TLS13 else 2}: "
    run.__doc__ += "the input is every byte its peer sends."
    return run


CONNECTION_TARGETS = {
    "client13": _guard(_connection_target(True, TLS13)),
    "client12": _guard(_connection_target(True, TLS12)),
    "server13": _guard(_connection_target(False, TLS13)),
    "server12": _guard(_connection_target(False, TLS12)),
}

TARGETS: dict[str, Callable[[bytes], None]] = {
    "client_hello": _guard(_client_hello),
    "server_hello": _guard(_server_hello),
    "certificate": _guard(_certificate),
    "certificate_verify": _guard(_certificate_verify),
    "extensions": _guard(_extensions),
    "messages": _guard(_other_messages),
    **CONNECTION_TARGETS,
}
