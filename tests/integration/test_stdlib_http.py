"""http.client, urllib.request and http.server/socketserver on cytls."""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request
from types import ModuleType

import pytest
from integration_helpers import HTTPSServer, Pki, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]


def _get_json(conn: http.client.HTTPSConnection, path: str = "/x") -> dict[str, object]:
    conn.request("GET", path)
    resp = conn.getresponse()
    assert resp.status == 200
    data: dict[str, object] = json.loads(resp.read())
    return data


def test_http_client_with_cytls_context(
    pki: Pki, https_server: HTTPSServer, server_impl: ModuleType
) -> None:
    conn = http.client.HTTPSConnection(
        "localhost", https_server.port, context=pki.client_context(cytls), timeout=10
    )
    conn.connect()
    assert isinstance(conn.sock, cytls.SSLSocket)
    assert conn.sock.version() == "TLSv1.3"
    body = _get_json(conn, "/hello")
    assert body["path"] == "/hello"
    assert body["impl"] == server_impl.__name__
    conn.close()


def test_http_client_post(pki: Pki, https_server: HTTPSServer) -> None:
    conn = http.client.HTTPSConnection(
        "localhost", https_server.port, context=pki.client_context(cytls), timeout=10
    )
    payload = bytes(range(256)) * 300
    conn.request("POST", "/echo", body=payload)
    resp = conn.getresponse()
    assert resp.read() == payload[::-1]
    conn.close()


def test_ssl_client_against_cytls_server(pki: Pki) -> None:
    server = HTTPSServer(pki.server_context(cytls))
    try:
        conn = http.client.HTTPSConnection(
            "localhost", server.port, context=pki.client_context(ssl), timeout=10
        )
        body = _get_json(conn)
        assert body["impl"] == "cytls" and body["version"] == "TLSv1.3"
        conn.close()
    finally:
        server.close()


def test_urllib_request(pki: Pki, https_server: HTTPSServer) -> None:
    ctx = pki.client_context(cytls)
    with urllib.request.urlopen(https_server.url + "/u", context=ctx, timeout=10) as resp:
        assert json.loads(resp.read())["path"] == "/u"


def test_urllib_verification_failure(https_server: HTTPSServer) -> None:
    ctx = cytls.create_default_context()  # the system store does not know the test CA
    with pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen(https_server.url, context=ctx, timeout=10)
    assert isinstance(info.value.reason, ssl.SSLCertVerificationError)


def test_injected_urllib_uses_cytls(pki: Pki, https_server: HTTPSServer, injected: None) -> None:
    # Unmodified code: ssl.create_default_context() now builds a cytls context.
    ctx = ssl.create_default_context(cafile=pki.ca_file)
    assert isinstance(ctx, cytls.SSLContext)
    with urllib.request.urlopen(https_server.url + "/i", context=ctx, timeout=10) as resp:
        assert json.loads(resp.read())["path"] == "/i"
    conn = http.client.HTTPSConnection("localhost", https_server.port, timeout=10)
    assert isinstance(conn._context, cytls.SSLContext)  # http.client's default context


def test_mutual_tls_http_client(pki: Pki, mtls_server: HTTPSServer) -> None:
    conn = http.client.HTTPSConnection(
        "localhost",
        mtls_server.port,
        context=pki.client_context(cytls, with_cert=True),
        timeout=10,
    )
    body = _get_json(conn)
    assert body["client_san"] == [["DNS", "client.example"]]
    conn.close()
