"""Helpers for the integration tests: a PKI, contexts, and an HTTPS server.

Everything listens on 127.0.0.1 with an ephemeral port, and every server is
stopped by the fixture that started it.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import trustme

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

IMPLS: dict[str, ModuleType] = {"ssl": ssl, "cytls": cytls}


@dataclass
class Pki:
    ca: trustme.CA
    server: trustme.LeafCert
    client: trustme.LeafCert
    dir: Path

    @property
    def ca_file(self) -> str:
        return str(self.dir / "ca.pem")

    @property
    def client_file(self) -> str:
        return str(self.dir / "client.pem")

    def server_context(self, mod: ModuleType, *, require_client_cert: bool = False) -> Any:
        ctx = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.configure_cert(ctx)
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            self.ca.configure_trust(ctx)
        return ctx

    def client_context(self, mod: ModuleType, *, with_cert: bool = False) -> Any:
        ctx = mod.create_default_context(cafile=self.ca_file)
        if with_cert:
            ctx.load_cert_chain(self.client_file)
        return ctx


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("ipki")
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("client.example")
    ca.cert_pem.write_to_path(d / "ca.pem")
    client.private_key_and_cert_chain_pem.write_to_path(d / "client.pem")
    return Pki(ca, server, client, d)


class _Handler(BaseHTTPRequestHandler):
    server_version = "cytls-test/1"

    def do_GET(self) -> None:
        conn = self.connection
        peer = conn.getpeercert() if isinstance(conn, ssl.SSLSocket) else None
        body = json.dumps(
            {
                "path": self.path,
                "impl": type(conn).__module__.split(".")[0],
                "version": conn.version() if isinstance(conn, ssl.SSLSocket) else None,
                "client_san": peer.get("subjectAltName") if peer else None,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[::-1])

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HTTPSServer:
    """http.server's ThreadingHTTPServer with its listening socket wrapped."""

    def __init__(self, context: Any) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"https://localhost:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(10)


@pytest.fixture(params=["cytls", "ssl"], ids=["cytls-server", "ssl-server"])
def server_impl(request: pytest.FixtureRequest) -> ModuleType:
    return IMPLS[request.param]


@pytest.fixture
def https_server(pki: Pki, server_impl: ModuleType) -> Iterator[HTTPSServer]:
    server = HTTPSServer(pki.server_context(server_impl))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def mtls_server(pki: Pki, server_impl: ModuleType) -> Iterator[HTTPSServer]:
    server = HTTPSServer(pki.server_context(server_impl, require_client_cert=True))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def injected() -> Iterator[None]:
    cytls.inject_into_ssl()
    try:
        yield
    finally:
        cytls.extract_from_ssl()


@pytest.fixture
def cytls_handshakes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records one entry (server_side) per handshake cytls completes."""
    from cytls._ssl.tlsobject import TLSObject

    done: list[bool] = []
    finish = TLSObject._finish

    def counting(self: TLSObject) -> None:
        done.append(self.server_side)
        finish(self)

    monkeypatch.setattr(TLSObject, "_finish", counting)
    return done
