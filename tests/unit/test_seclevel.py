"""Security bits of public keys (OpenSSL's security levels), and that
measuring keys stays silent: cryptography 51 deprecates DSA and warns on
every read of a name of its dsa module, which cytls does once, quietly, in
_pki/dsakeys.py."""

from __future__ import annotations

import warnings

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from cytls._pki.seclevel import key_bits


@pytest.mark.parametrize(
    ("make", "bits"),
    [
        (lambda: rsa.generate_private_key(65537, 2048), 112),
        (lambda: rsa.generate_private_key(65537, 1024), 80),
        (lambda: ec.generate_private_key(ec.SECP256R1()), 128),
        (lambda: ec.generate_private_key(ec.SECP384R1()), 192),
        (ed25519.Ed25519PrivateKey.generate, 128),
        (ed448.Ed448PrivateKey.generate, 224),
    ],
)
def test_key_bits_without_warnings(make: object, bits: int) -> None:
    key = make().public_key()  # type: ignore[operator]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert key_bits(key) == bits


def test_unknown_key_has_no_bits() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # it reaches the DSA check, silently
        assert key_bits(object()) == 0


def test_cytls_raises_no_warning_of_its_own(tmp_path: object) -> None:
    """Importing cytls, loading an ECDSA chain and measuring keys must not
    warn, with every warning an error (cryptography 51 warns on any read of
    its dsa module's names; cytls reads them once, quietly, in dsakeys)."""
    import subprocess
    import sys

    code = (
        "import warnings\n"
        "warnings.simplefilter('error')\n"
        "import ssl, sys, cytls\n"
        "from cytls.cli import _certgen\n"
        "from cytls._pki.seclevel import key_bits\n"
        "from cryptography.hazmat.primitives.asymmetric import ec, rsa\n"
        "files = _certgen.generate().write(__import__('pathlib').Path(sys.argv[1]))\n"
        "ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
        "ctx.load_cert_chain(str(files.server_chain), str(files.server_key))\n"
        "assert key_bits(ec.generate_private_key(ec.SECP256R1()).public_key()) == 128\n"
        "assert key_bits(rsa.generate_private_key(65537, 2048).public_key()) == 112\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
