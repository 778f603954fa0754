"""A fleet of cytls servers sharing a ticket-key file resumes each other's sessions.

Owns: two server processes started from one key file (the documented
format: 48-byte keys, current first), a client that gets its tickets from
one and resumes on the other, key rotation (a server whose file has a new
current key still opens tickets of the old one), and a server with other
keys falling back to a full handshake.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

import cytls

pytestmark = pytest.mark.timeout(60)
TIMEOUT = 10.0

SERVER = textwrap.dedent(
    """
    import socket, ssl, sys
    import cytls
    cert, keys = sys.argv[1], sys.argv[2]
    ctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert)
    ctx.load_ticket_keys(keys)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    ls.settimeout(20)
    print(ls.getsockname()[1], flush=True)
    while True:
        raw, _ = ls.accept()
        raw.settimeout(10)
        with ctx.wrap_socket(raw, server_side=True) as s:
            s.recv(100)
            s.sendall(b"reused=%d\\n" % s.session_reused)
    """
)


@contextmanager
def server(tmp: Path, cert: str, keys: Path) -> Iterator[int]:
    script = tmp / "fleet_server.py"
    script.write_text(SERVER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, str(script), cert, str(keys)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no port")
        yield int(line)
    finally:
        proc.kill()
        proc.wait(TIMEOUT)


def talk(ctx: cytls.SSLContext, port: int, session: object = None) -> tuple[bytes, object]:
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
        s.sendall(b"hi")
        answer = s.recv(100)
        return answer, s.session


@pytest.fixture
def pki(tmp_path: Path) -> tuple[str, cytls.SSLContext]:
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    cert = tmp_path / "leaf.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(cert))
    client = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(client)
    return str(cert), client


def test_two_processes_share_the_ring(tmp_path: Path, pki: tuple[str, cytls.SSLContext]) -> None:
    cert, client = pki
    keys = tmp_path / "ticket.key"
    keys.write_bytes(os.urandom(48))
    with server(tmp_path, cert, keys) as a, server(tmp_path, cert, keys) as b:
        answer, session = talk(client, a)
        assert answer == b"reused=0\n" and session is not None
        answer, _ = talk(client, b, session)
        assert answer == b"reused=1\n"
        # The session's other ticket resumes on the first server too.
        answer, _ = talk(client, a, session)
        assert answer == b"reused=1\n"


def test_rotation_keeps_old_tickets(tmp_path: Path, pki: tuple[str, cytls.SSLContext]) -> None:
    cert, client = pki
    old, new = os.urandom(48), os.urandom(48)
    (tmp_path / "old.key").write_bytes(old)
    (tmp_path / "rotated.key").write_bytes(new + old)
    (tmp_path / "other.key").write_bytes(new)
    with server(tmp_path, cert, tmp_path / "old.key") as a:
        _, session = talk(client, a)
    with server(tmp_path, cert, tmp_path / "rotated.key") as b:
        answer, fresh = talk(client, b, session)
        assert answer == b"reused=1\n"
    with server(tmp_path, cert, tmp_path / "other.key") as c:
        # The old key is gone here: a full handshake, then its own tickets.
        answer, _ = talk(client, c, session)
        assert answer == b"reused=0\n"
        answer, _ = talk(client, c, fresh)
        assert answer == b"reused=1\n"
