"""Helpers and fixtures for parity tests: one test body, run against the ssl module and cytls.

`mod` is the module under test (ssl or cytls); both provide SSLContext and
create_default_context. `pki` is a trustme CA with a server and a client
certificate written to files, plus broken files for the bad-input tests.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

import cytls


def engine_ready() -> bool:
    """Whether the protocol core (Connection and its record layer) imports."""
    try:
        import cytls._connection  # noqa: F401
    except ImportError:
        return False
    return True


needs_engine = pytest.mark.skipif(
    not engine_ready(), reason="cytls's protocol core (cytls._connection) is not available"
)


@dataclass
class Pki:
    ca: trustme.CA
    other_ca: trustme.CA
    server: trustme.LeafCert
    client: trustme.LeafCert
    dir: Path

    def path(self, name: str) -> str:
        return str(self.dir / name)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    other_ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1", "::1")
    client = ca.issue_cert("client@example.com")
    server.cert_chain_pems[0].write_to_path(d / "cert.pem")
    server.private_key_pem.write_to_path(d / "key.pem")
    server.private_key_and_cert_chain_pem.write_to_path(d / "both.pem")
    client.private_key_and_cert_chain_pem.write_to_path(d / "client.pem")
    ca.cert_pem.write_to_path(d / "ca.pem")
    (d / "ca.der").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    other_ca.cert_pem.write_to_path(d / "other_ca.pem")
    ca.issue_cert("other").private_key_pem.write_to_path(d / "otherkey.pem")
    (d / "garbage.pem").write_text("this is not PEM\n")
    (d / "empty.pem").write_text("")
    key = serialization.load_pem_private_key(server.private_key_pem.bytes(), None)
    (d / "enc_pkcs8.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    (d / "enc_trad.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    return Pki(ca, other_ca, server, client, d)


@pytest.fixture(params=["ssl", "cytls"])
def mod(request: pytest.FixtureRequest) -> ModuleType:
    return ssl if request.param == "ssl" else cytls


def contexts(client_mod: ModuleType, server_mod: ModuleType, pki: Pki) -> tuple[Any, Any]:
    """A client context trusting pki.ca and a server context serving pki.server."""
    server = server_mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pki.server.configure_cert(server)
    client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(client)
    return client, server


class BioPair:
    """A client and a server SSLObject joined by memory BIOs."""

    def __init__(
        self, client_ctx: Any, server_ctx: Any, hostname: str | None = "localhost"
    ) -> None:
        self.c_in, self.c_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.s_in, self.s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.client = client_ctx.wrap_bio(self.c_in, self.c_out, server_hostname=hostname)
        self.server = server_ctx.wrap_bio(self.s_in, self.s_out, server_side=True)

    def pump(self) -> int:
        moved = 0
        data = self.c_out.read()
        if data:
            self.s_in.write(data)
            moved += len(data)
        data = self.s_out.read()
        if data:
            self.c_in.write(data)
            moved += len(data)
        return moved

    def handshake(self, rounds: int = 20) -> None:
        """Run both handshakes to completion; re-raise either side's error."""
        done = [False, False]
        for _ in range(rounds):
            for i, obj in enumerate((self.client, self.server)):
                if done[i]:
                    continue
                try:
                    obj.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
            moved = self.pump()
            if all(done) and not moved:
                return
        raise AssertionError("handshake did not finish")


class Server:
    """A one-connection TCP server on 127.0.0.1 in a thread.

    `handler(raw_socket)` runs on the accepted socket (wrap it or not); its
    return value or exception is kept in `result` / `error`.
    """

    def __init__(self, handler: Any) -> None:
        import socket
        import threading

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.port = self.listener.getsockname()[1]
        self.result: Any = None
        self.error: BaseException | None = None
        self._handler = handler
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(10)
            with conn:
                self.result = self._handler(conn)
        except BaseException as exc:  # reported by join()
            self.error = exc

    def join(self) -> Any:
        self._thread.join(15)
        self.listener.close()
        assert not self._thread.is_alive(), "server thread hung"
        if self.error is not None:
            raise self.error
        return self.result

    def connect(self) -> Any:
        import socket

        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return sock


def socket_pair(client_ctx: Any, server_ctx: Any) -> tuple[Any, Any]:
    """A client and a server SSLSocket over 127.0.0.1, handshake done (the
    server's accept and handshake on a thread, joined); 10 s timeouts."""
    import socket
    import threading

    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        got: list[Any] = []

        def accept() -> None:
            raw, _ = listener.accept()
            raw.settimeout(10)
            got.append(server_ctx.wrap_socket(raw, server_side=True))

        t = threading.Thread(target=accept)
        t.start()
        raw = socket.create_connection(listener.getsockname(), timeout=10)
        client = client_ctx.wrap_socket(raw, server_hostname="localhost")
        t.join(10)
    assert got, "the server end did not connect"
    return client, got[0]
