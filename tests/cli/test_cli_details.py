"""The CLI's rough edges (issue 16): exit status on a signal, key and
certificate errors that name the file and the cause, -pass, the SNI s_client
really sent, and -www refusing an ALPN protocol it cannot speak."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest
from cli_helpers import run_cli
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cytls.cli._certgen import CertFiles


def _server_args(pki: CertFiles, *extra: str) -> list[str]:
    return ["s_server", "-accept", "127.0.0.1:0", "-cert", str(pki.server_chain),
            "-key", str(pki.server_key), *extra]


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_s_server_exits_with_the_shell_status_of_its_signal(
    pki: CertFiles, start, sig: signal.Signals, status: int
) -> None:
    srv = start(_server_args(pki), "ACCEPT", cytls=True)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5):  # a client mid-handshake
        srv.proc.send_signal(sig)
        assert srv.proc.wait(10) == status
    out = srv.stop()
    assert "s_server: interrupted" in out
    assert "Traceback" not in out


def _encrypted_key(pki: CertFiles, tmp_path: Path, password: bytes) -> Path:
    key = serialization.load_pem_private_key(Path(pki.server_key).read_bytes(), None)
    path = tmp_path / "enc.key"
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    ))
    return path


def _error_line(*args: str) -> str:
    res = run_cli(*args, "-naccept", "0", timeout=30)
    assert res.returncode == 1, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


def test_a_key_given_as_the_certificate_is_named(pki: CertFiles) -> None:
    line = _error_line("s_server", "-accept", "127.0.0.1:0", "-cert", str(pki.server_key),
                       "-key", str(pki.server_key))
    assert line == f"cytls s_server: error: -cert {pki.server_key} holds a private key, not a certificate"


def test_a_certificate_given_as_the_key_is_named(pki: CertFiles) -> None:
    line = _error_line("s_server", "-accept", "127.0.0.1:0", "-cert", str(pki.server_chain),
                       "-key", str(pki.ca))
    assert line == f"cytls s_server: error: -key {pki.ca} holds a certificate, not a private key"


def test_a_key_of_another_certificate_is_a_mismatch(pki: CertFiles, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    other.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    line = _error_line("s_server", "-accept", "127.0.0.1:0", "-cert", str(pki.server_chain),
                       "-key", str(other))
    assert line == (f"cytls s_server: error: the private key in {other} does not belong to the "
                    f"certificate in {pki.server_chain}")


def test_an_encrypted_key_needs_pass_and_the_right_one(pki: CertFiles, tmp_path: Path) -> None:
    enc = _encrypted_key(pki, tmp_path, b"s3cret")
    base = ("s_server", "-accept", "127.0.0.1:0", "-cert", str(pki.server_chain), "-key", str(enc))
    assert _error_line(*base) == (f"cytls s_server: error: the private key in {enc} is encrypted: "
                                  "give its pass phrase with -pass")
    assert _error_line(*base, "-pass", "pass:wrong") == (
        f"cytls s_server: error: wrong pass phrase for the encrypted private key in {enc}")
    assert _error_line(*base, "-pass", "bogus") == (
        "cytls s_server: error: -pass 'bogus': expected pass:TEXT, env:VAR, file:PATH or stdin")


@pytest.mark.parametrize("form", ["pass", "env", "file"])
def test_pass_forms_load_an_encrypted_key(pki: CertFiles, tmp_path: Path, form: str,
                                          monkeypatch: pytest.MonkeyPatch, start) -> None:
    enc = _encrypted_key(pki, tmp_path, b"s3cret")
    if form == "pass":
        arg = "pass:s3cret"
    elif form == "env":
        monkeypatch.setenv("CYTLS_TEST_PASS", "s3cret")
        arg = "env:CYTLS_TEST_PASS"
    else:
        pw = tmp_path / "pw.txt"
        pw.write_text("s3cret\nignored second line\n")
        arg = f"file:{pw}"
    srv = start(["s_server", "-accept", "127.0.0.1:0", "-cert", str(pki.server_chain),
                 "-key", str(enc), "-pass", arg, "-naccept", "1"], "ACCEPT", cytls=True)
    res = run_cli("s_client", f"127.0.0.1:{srv.port}", "-servername", "localhost",
                  "-CAfile", str(pki.ca), input=b"", timeout=30)
    assert res.returncode == 0, res.stderr
    assert "TLSv1.3" in res.stdout


def _sni_line(stdout: str) -> str:
    lines = [ln.strip() for ln in stdout.splitlines() if ln.strip().startswith("SNI")]
    assert len(lines) == 1, stdout
    return lines[0]


def test_s_client_shows_the_sni_it_sent(pki: CertFiles, start) -> None:
    srv = start(_server_args(pki, "-naccept", "2"), "ACCEPT", cytls=True)
    by_ip = run_cli("s_client", f"127.0.0.1:{srv.port}", "-CAfile", str(pki.ca), "-insecure",
                    input=b"", timeout=30)
    assert by_ip.returncode == 0, by_ip.stderr
    assert _sni_line(by_ip.stdout).endswith("(none sent)")
    by_name = run_cli("s_client", f"127.0.0.1:{srv.port}", "-servername", "localhost",
                      "-CAfile", str(pki.ca), input=b"", timeout=30)
    assert by_name.returncode == 0, by_name.stderr
    assert _sni_line(by_name.stdout).endswith(": localhost")


def test_www_refuses_to_advertise_h2(pki: CertFiles) -> None:
    line = _error_line(*_server_args(pki, "-www", "-alpn", "h2,http/1.1"))
    assert line == ("cytls s_server: error: -www speaks HTTP/1.x only, so it cannot offer ALPN h2 "
                    "(use -alpn http/1.1, or no -www)")


def test_www_may_advertise_http_1_1(pki: CertFiles, start) -> None:
    srv = start(_server_args(pki, "-www", "-alpn", "http/1.1", "-naccept", "1"), "ACCEPT",
                cytls=True)
    srv.proc.terminate()
    assert srv.proc.wait(10) == 143

