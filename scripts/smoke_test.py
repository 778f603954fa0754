"""Smoke test of an installed cytls: does this build work at all on this Python?

Run by .ci/run in a fresh virtual environment for every wheel it builds, and by
cibuildwheel as its test-command (pyproject.toml, [tool.cibuildwheel]). It needs
nothing but cytls and its dependencies: no test extras, no network, no files of
the repository.

It checks:
  1. an in-memory TLS 1.3 handshake and data both ways between cytls and the ssl
     module (ssl.MemoryBIO, SSLContext.wrap_bio), once with cytls as the client
     and once as the server, with certificate and host name verification on;
  2. an AEAD round trip for AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 at the
     native and the portable backend level, equal to cryptography's output, and a
     flipped tag refused.

Usage: python scripts/smoke_test.py [--installed]
  --installed  fail unless cytls comes from an installed distribution, not from
               a source tree's src/ (so a wheel test cannot test the checkout).
Exit status 0 when every check passes; any failure raises.
"""

from __future__ import annotations

import argparse
import datetime
import os
import ssl
import sys
import sysconfig
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import aead as ref
from cryptography.x509.oid import NameOID

HOSTNAME = "smoke.cytls.invalid"


def make_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for HOSTNAME signed by it.

    Returns:
        (CA certificate, server certificate, server key) as PEM files in `folder`.
    """
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cytls smoke CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTNAME)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOSTNAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def pump(a: ssl.SSLObject, a_out: ssl.MemoryBIO, b_in: ssl.MemoryBIO) -> bool:
    """Move what `a` wrote to `b`'s incoming BIO; True if anything moved."""
    data = a_out.read()
    if data:
        b_in.write(data)
    return bool(data)


def handshake_and_talk(
    client_mod: ModuleType, server_mod: ModuleType, pki: tuple[Path, ...]
) -> str:
    """One TLS 1.3 connection in memory between client_mod and server_mod's
    SSLContext (each ssl or cytls), then a message each way.

    Returns:
        A one-line description of the connection.
    """
    ca, cert, key = (str(p) for p in pki)
    cctx = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.minimum_version = ssl.TLSVersion.TLSv1_3
    cctx.load_verify_locations(cafile=ca)
    sctx = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.minimum_version = ssl.TLSVersion.TLSv1_3
    sctx.load_cert_chain(cert, key)

    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = cctx.wrap_bio(c_in, c_out, server_hostname=HOSTNAME)
    server = sctx.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):  # a TLS 1.3 handshake needs 2 flights each way at most
        for name, obj in (("client", client), ("server", server)):
            if not done[name]:
                try:
                    obj.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        moved = pump(client, c_out, s_in) | pump(server, s_out, c_in)
        if all(done.values()) and not moved:
            break
    else:
        raise AssertionError("the in-memory handshake did not finish in 20 rounds")

    for obj, mod in ((client, client_mod), (server, server_mod)):
        # cytls.SSLContext is an ssl.SSLContext: make sure its own engine ran.
        assert type(obj).__module__.split(".")[0] == mod.__name__, (type(obj), mod)
        assert obj.version() == "TLSv1.3", obj.version()
    assert client.cipher() == server.cipher(), (client.cipher(), server.cipher())
    assert client.getpeercert()["subjectAltName"] == (("DNS", HOSTNAME),)

    for writer, w_out, reader, r_in, payload in (
        (client, c_out, server, s_in, b"ping from the client " * 100),
        (server, s_out, client, c_in, b"pong from the server " * 1000),
    ):
        writer.write(payload)
        pump(writer, w_out, r_in)
        got = b""
        while len(got) < len(payload):
            got += reader.read(len(payload) - len(got))
        assert got == payload
    return f"{client.version()} {client.cipher()[0]}"


def aead_round_trips() -> list[str]:
    """Seal and open with each AEAD at the native and portable levels, against
    cryptography's implementation of the same AEAD.

    Returns:
        One line per level checked, naming the backends that ran.
    """
    from cytls import crypto

    cases: list[tuple[str, Any, Any, int]] = [
        ("AES-128-GCM", crypto.AESGCM, ref.AESGCM, 16),
        ("AES-256-GCM", crypto.AESGCM, ref.AESGCM, 32),
        ("ChaCha20-Poly1305", crypto.ChaCha20Poly1305, ref.ChaCha20Poly1305, 32),
    ]
    lines = []
    try:
        for level in ("native", "portable"):
            crypto.force_backend(level)  # before the keys are expanded
            for name, ours, theirs, key_len in cases:
                key, nonce = os.urandom(key_len), os.urandom(12)
                msg, aad = os.urandom(1000), b"smoke test header"
                sealed = ours(key).encrypt(nonce, msg, aad)
                assert sealed == theirs(key).encrypt(nonce, msg, aad), (level, name)
                assert ours(key).decrypt(nonce, sealed, aad) == msg, (level, name)
                tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
                try:
                    ours(key).decrypt(nonce, tampered, aad)
                except crypto.InvalidTag:
                    pass
                else:
                    raise AssertionError(f"{level} {name}: a flipped tag was accepted")
            b = crypto.backends()
            lines.append(
                f"{level} (aes-gcm {b['aes-gcm']}, chacha20 {b['chacha20']}, "
                f"poly1305 {b['poly1305']}): {', '.join(c[0] for c in cases)}"
            )
    finally:
        crypto.force_backend("native")
    return lines


def check_installed(module_file: str) -> None:
    """Fail if cytls was imported from a source tree rather than site-packages."""
    where = Path(module_file).resolve()
    roots = {Path(sysconfig.get_path(k)).resolve() for k in ("purelib", "platlib")}
    if not any(root in where.parents for root in roots):
        raise AssertionError(f"cytls comes from {where}, not from {sorted(map(str, roots))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--installed", action="store_true", help="cytls must be installed")
    args = parser.parse_args()

    import cytls
    from cytls import _core

    if args.installed:
        check_installed(cytls.__file__)
        check_installed(_core.__file__)
    print(f"cytls {cytls.__version__} on Python {sys.version.split()[0]}: {_core.__file__}")
    with tempfile.TemporaryDirectory(prefix="cytls-smoke-") as tmp:
        pki = make_pki(Path(tmp))
        print("cytls client, ssl server:", handshake_and_talk(cytls, ssl, pki))
        print("ssl client, cytls server:", handshake_and_talk(ssl, cytls, pki))
    for line in aead_round_trips():
        print("AEAD round trips at", line)
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
