"""Parity: load_dh_params() and DHE cipher strings, ssl module vs cytls
(issue 13, item 11; the FFDHE groups themselves are issue 11).

Each file is loaded by both modules; the outcome (ok, or the exception's
class, errno, text, library and reason) must be the same.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh
from parity_helpers import Pki, needs_engine

import cytls

pytestmark = [
    needs_engine,
    # cryptography deprecates finite-field DH, which these tests inspect.
    pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning"),
]


@pytest.fixture(scope="module")
def dh_files(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Path:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command writes the RFC 7919 ffdhe2048 parameters")
    d = tmp_path_factory.mktemp("dh")
    subprocess.run(
        [openssl, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
         "-out", str(d / "good.pem")],
        check=True, capture_output=True, timeout=60,
    )
    good = (d / "good.pem").read_bytes()
    small = dh.generate_parameters(2, 512).parameter_bytes(
        serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3
    )
    cert = pki.ca.cert_pem.bytes()
    contents = {
        "small": small,
        "garbage": b"this is not PEM\n",
        "empty": b"",
        "truncated_cert": cert[:300],
        "cert_only": cert,
        "cert_then_dh": cert + good,
        "bad_der": b"-----BEGIN DH PARAMETERS-----\nAAAA\n-----END DH PARAMETERS-----\n",
        "bad_base64": b"-----BEGIN DH PARAMETERS-----\n!!!!\n-----END DH PARAMETERS-----\n",
        "x942_label": good.replace(b"DH PARAMETERS", b"X9.42 DH PARAMETERS"),
        "trailing": good + b"junk\n",
        "twice": good + small,
        "crlf": good.replace(b"\n", b"\r\n"),
    }
    for name, data in contents.items():
        (d / f"{name}.pem").write_bytes(data)
    return d


NAMES = [
    "good", "small", "garbage", "empty", "truncated_cert", "cert_only", "cert_then_dh",
    "bad_der", "bad_base64", "x942_label", "trailing", "twice", "crlf", "missing",
]


def _load(mod: Any, path: Path) -> Any:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_dh_params(str(path))
    except OSError as exc:
        return (type(exc), exc.errno)
    except ssl.SSLError as exc:
        return (
            ssl.SSLError, exc.errno, str(exc).split(" (_ssl.c:")[0], exc.library, exc.reason
        )
    return "ok"


@pytest.mark.parametrize("name", NAMES)
def test_load_dh_params(dh_files: Path, name: str) -> None:
    path = dh_files / f"{name}.pem"
    assert _load(cytls, path) == _load(ssl, path)


def test_parameters_kept_on_the_context(dh_files: Path) -> None:
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_dh_params(str(dh_files / "good.pem"))
    params = ctx._cy_dh_params
    assert isinstance(params, dh.DHParameters)
    assert params.parameter_numbers().p.bit_length() == 2048


@pytest.mark.parametrize("spec", ["kEDH", "DHE", "EDH", "DHE-RSA-AES128-GCM-SHA256"])
def test_dhe_only_cipher_string(spec: str) -> None:
    """Deliberate difference until cytls has DHE suites (issue 11): ssl
    selects its DHE suites; cytls selects nothing and says so with ssl's
    own error for that case, "No cipher can be selected.", not silently."""
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).set_ciphers(spec)
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if any("DHE-" in c["name"] and "ECDHE" not in c["name"] for c in ctx.get_ciphers()):
        pytest.skip("cytls implements DHE suites now")
    with pytest.raises(ssl.SSLError) as info:
        ctx.set_ciphers(spec)
    assert info.value.args == ("No cipher can be selected.",)
    assert info.value.library is None and info.value.reason is None
    ctx.set_ciphers(spec + ":ECDHE")  # with something cytls has, it is fine
