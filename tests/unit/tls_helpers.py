"""Shared helpers for TLS 1.3 engine tests: a PKI built with cryptography,
configs, and an in-memory `pair()` of client and server Connections."""

from __future__ import annotations

import datetime
import functools
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cytls._connection import Connection
from cytls._handshake.config import TLSConfig
from cytls._wire.events import Event

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_key(kind: str) -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(65537, 2048)
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def _sign_hash(issuer_key: Any) -> hashes.HashAlgorithm | None:
    return None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def make_ca(
    name: str = "cytls test CA",
    key: Any = None,
    issuer: tuple[x509.Certificate, Any] | None = None,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    ca: bool = True,
    extra: list[tuple[Any, bool]] | None = None,
) -> tuple[x509.Certificate, Any]:
    key = key or make_key("p256")
    issuer_name = issuer[0].subject if issuer else _name(name)
    issuer_key = issuer[1] if issuer else key
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    for ext, critical in extra or []:
        b = b.add_extension(ext, critical=critical)
    return b.sign(issuer_key, _sign_hash(issuer_key)), key


def make_leaf(
    issuer: tuple[x509.Certificate, Any],
    names: tuple[str, ...] = ("localhost", "example.com"),
    key: Any = None,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    eku: list[Any] | None = None,
    key_usage: x509.KeyUsage | None = None,
    extra: list[tuple[Any, bool]] | None = None,
) -> tuple[x509.Certificate, Any]:
    key = key or make_key("p256")
    sans: list[x509.GeneralName] = []
    for n in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            sans.append(x509.DNSName(n))
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0] if names else "leaf"))
        .issuer_name(issuer[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 90 * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                eku or [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if key_usage is not None:
        b = b.add_extension(key_usage, critical=True)
    for ext, critical in extra or []:
        b = b.add_extension(ext, critical=critical)
    return b.sign(issuer[1], _sign_hash(issuer[1])), key


@dataclass
class PKI:
    """A root, an intermediate, and leaves signed by the intermediate."""

    root: x509.Certificate
    root_key: Any
    inter: x509.Certificate
    inter_key: Any
    leaf: x509.Certificate
    leaf_key: Any
    client: x509.Certificate
    client_key: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chain(self) -> list[x509.Certificate]:
        return [self.leaf, self.inter]

    @property
    def client_chain(self) -> list[x509.Certificate]:
        return [self.client, self.inter]


def pki(kind: str = "p256") -> PKI:
    """A cached PKI whose leaves use `kind` keys ("p256", "p384", "rsa", "ed25519").

    Every PKI uses the same names, so verification must tell CAs apart by
    key (authority/subject key identifiers), not by name alone.
    """
    return _pki(kind)


@functools.cache
def _pki(kind: str) -> PKI:
    root = make_ca("cytls test root", make_key("p256"))
    inter = make_ca("cytls test intermediate", make_key("p256"), issuer=root)
    leaf = make_leaf(inter, ("localhost", "example.com", "127.0.0.1"), key=make_key(kind))
    client = make_leaf(inter, ("client.example",), key=make_key(kind))
    return PKI(root[0], root[1], inter[0], inter[1], leaf[0], leaf[1], client[0], client[1])


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: Any) -> bytes:
    return key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def server_config(kind: str = "p256", **kw: Any) -> TLSConfig:
    p = pki(kind)
    kw.setdefault("certificate_chain", p.chain)
    kw.setdefault("private_key", p.leaf_key)
    kw.setdefault("trust_anchors", [p.root])
    kw.setdefault("verify_mode", 0)
    return TLSConfig(is_client=False, **kw)


def client_config(kind: str = "p256", **kw: Any) -> TLSConfig:
    p = pki(kind)
    kw.setdefault("trust_anchors", [p.root])
    kw.setdefault("server_hostname", "localhost")
    return TLSConfig(is_client=True, **kw)


def pump(a: Connection, b: Connection, limit: int = 20) -> tuple[list[Event], list[Event]]:
    """Move bytes both ways until quiet; returns (events of a, events of b)."""
    ea: list[Event] = []
    eb: list[Event] = []
    for _ in range(limit):
        da = a.data_to_send()
        if da:
            eb += b.receive_data(da)
        db = b.data_to_send()
        if db:
            ea += a.receive_data(db)
        if not da and not db:
            return ea, eb
    raise AssertionError("connections did not settle")


def pair(
    client_cfg: TLSConfig | None = None,
    server_cfg: TLSConfig | None = None,
    client_hooks: Any = None,
    server_hooks: Any = None,
) -> tuple[Connection, Connection]:
    """Handshake a cytls client with a cytls server in memory."""
    c = Connection(client_cfg or client_config(), hooks=client_hooks)
    s = Connection(server_cfg or server_config(), hooks=server_hooks)
    c.start_handshake()
    pump(c, s)
    return c, s


# ---------------------------------------------------------------- records


def split_records(data: bytes) -> list[bytes]:
    """Cut a byte stream into whole TLS records."""
    out = []
    i = 0
    while i + 5 <= len(data):
        n = int.from_bytes(data[i + 3 : i + 5], "big")
        out.append(data[i : i + 5 + n])
        i += 5 + n
    assert i == len(data), "trailing partial record"
    return out


def plaintext_record(ctype: int, payload: bytes, version: int = 0x0303) -> bytes:
    return bytes((ctype,)) + version.to_bytes(2, "big") + len(payload).to_bytes(2, "big") + payload


class Keys:
    """Traffic secrets collected from a key log callback."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def secret(self, label: str) -> bytes:
        for ln in self.lines:
            name, _, secret = ln.split()
            if name == label:
                return bytes.fromhex(secret)
        raise KeyError(label)


def open_records(suite: int, secret: bytes, records: list[bytes]) -> list[tuple[int, bytes]]:
    """Decrypt records sealed under a traffic secret (sequence from 0)."""
    from cytls._handshake.keyschedule import KeySchedule
    from cytls._record import RecordLayer

    key, iv = KeySchedule(suite).traffic_key(secret)
    rl = RecordLayer()
    rl.set_read_key(suite, key, iv, 0x0304)
    rl.feed(b"".join(records))
    out = []
    while True:
        item = rl.receive()
        if item is None:
            break
        out.append(item)
    return out


def seal_records(suite: int, secret: bytes, items: list[tuple[int, bytes]]) -> bytes:
    """Encrypt (content type, payload) items under a traffic secret."""
    from cytls._handshake.keyschedule import KeySchedule
    from cytls._record import RecordLayer

    key, iv = KeySchedule(suite).traffic_key(secret)
    rl = RecordLayer()
    rl.set_write_key(suite, key, iv, 0x0304)
    for ctype, payload in items:
        rl.send(ctype, payload)
    return rl.take_outgoing()


def split_handshake(data: bytes) -> list[bytes]:
    """Cut concatenated handshake messages (headers included)."""
    out = []
    i = 0
    while i + 4 <= len(data):
        n = int.from_bytes(data[i + 1 : i + 4], "big")
        out.append(data[i : i + 4 + n])
        i += 4 + n
    return out
