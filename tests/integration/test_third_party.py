"""urllib3, requests, httpx (sync and async) and aiohttp (client and server) on cytls."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest
from integration_helpers import HTTPSServer, Pki, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]


# ------------------------------------------------------------------ urllib3


def test_urllib3_with_context(pki: Pki, https_server: HTTPSServer) -> None:
    urllib3 = pytest.importorskip("urllib3")
    with urllib3.PoolManager(ssl_context=pki.client_context(cytls)) as pool:
        resp = pool.request("GET", https_server.url + "/u3", timeout=10, retries=False)
        assert resp.status == 200 and resp.json()["path"] == "/u3"
        resp = pool.request("POST", https_server.url, body=b"abc", timeout=10, retries=False)
        assert resp.data == b"cba"


def test_urllib3_injected(
    pki: Pki, https_server: HTTPSServer, injected: None, cytls_handshakes: list[bool]
) -> None:
    urllib3 = pytest.importorskip("urllib3")
    from urllib3.util.ssl_ import create_urllib3_context

    # Unmodified urllib3 code: its create_urllib3_context() builds a cytls context.
    assert isinstance(create_urllib3_context(), cytls.SSLContext)
    with urllib3.PoolManager(ca_certs=pki.ca_file) as pool:
        resp = pool.request("GET", https_server.url + "/inj", timeout=10, retries=False)
        assert resp.json()["path"] == "/inj"
    assert False in cytls_handshakes  # a cytls client handshake took place


def test_urllib3_verification_failure(https_server: HTTPSServer) -> None:
    urllib3 = pytest.importorskip("urllib3")
    with urllib3.PoolManager(ssl_context=cytls.create_default_context()) as pool:
        with pytest.raises(urllib3.exceptions.SSLError) as info:
            pool.request("GET", https_server.url, timeout=10, retries=False)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


# ----------------------------------------------------------------- requests


def _requests_session(context: Any) -> Any:
    requests = pytest.importorskip("requests")
    from requests.adapters import HTTPAdapter

    class ContextAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> Any:
            kwargs["ssl_context"] = context
            return super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("https://", ContextAdapter())
    return session


def test_requests_with_context(pki: Pki, https_server: HTTPSServer) -> None:
    with _requests_session(pki.client_context(cytls)) as session:
        resp = session.get(https_server.url + "/r", timeout=10)
        assert resp.json()["path"] == "/r"


def test_requests_injected(
    pki: Pki, https_server: HTTPSServer, injected: None, cytls_handshakes: list[bool]
) -> None:
    requests = pytest.importorskip("requests")
    resp = requests.get(https_server.url + "/ri", verify=pki.ca_file, timeout=10)
    assert resp.json()["path"] == "/ri"
    assert False in cytls_handshakes


def test_requests_mutual_tls(pki: Pki, mtls_server: HTTPSServer, injected: None) -> None:
    requests = pytest.importorskip("requests")
    resp = requests.get(
        mtls_server.url + "/m", verify=pki.ca_file, cert=pki.client_file, timeout=10
    )
    assert resp.json()["client_san"] == [["DNS", "client.example"]]


def test_requests_mutual_tls_with_context(pki: Pki, mtls_server: HTTPSServer) -> None:
    with _requests_session(pki.client_context(cytls, with_cert=True)) as session:
        resp = session.get(mtls_server.url + "/mc", timeout=10)
        assert resp.json()["client_san"] == [["DNS", "client.example"]]


# -------------------------------------------------------------------- httpx


def test_httpx_sync(pki: Pki, https_server: HTTPSServer, cytls_handshakes: list[bool]) -> None:
    httpx = pytest.importorskip("httpx")
    with httpx.Client(verify=pki.client_context(cytls), timeout=10) as client:
        resp = client.get(https_server.url + "/hx")
        assert resp.json()["path"] == "/hx"
    assert False in cytls_handshakes


def test_httpx_async(pki: Pki, https_server: HTTPSServer) -> None:
    httpx = pytest.importorskip("httpx")

    async def main() -> Any:
        async with httpx.AsyncClient(verify=pki.client_context(cytls), timeout=10) as client:
            resp = await client.get(https_server.url + "/ahx")
            obj = resp.extensions["network_stream"].get_extra_info("ssl_object")
            return resp.json(), obj

    body, obj = asyncio.run(main())
    assert body["path"] == "/ahx"
    assert isinstance(obj, cytls.SSLObject)


# ------------------------------------------------------------------ aiohttp


def test_aiohttp_client(pki: Pki, https_server: HTTPSServer) -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def main() -> Any:
        async with aiohttp.ClientSession() as session:
            async with session.get(
                https_server.url + "/aio",
                ssl=pki.client_context(cytls),
                timeout=aiohttp.ClientTimeout(total=10),
            ) as resp:
                return await resp.json()

    assert asyncio.run(main())["path"] == "/aio"


@pytest.mark.parametrize("client_impl", ["cytls", "ssl"])
def test_aiohttp_server(pki: Pki, client_impl: str) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from aiohttp import web

    async def hello(request: Any) -> Any:
        sslobj = request.transport.get_extra_info("ssl_object")
        return web.json_response({"impl": type(sslobj).__module__.split(".")[0]})

    async def main() -> Any:
        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=pki.server_context(cytls))
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        client_ctx = pki.client_context(cytls if client_impl == "cytls" else ssl)
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(
                    f"https://localhost:{port}/",
                    ssl=client_ctx,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as resp:
                    return await resp.json()
        finally:
            await runner.cleanup()

    assert asyncio.run(main()) == {"impl": "cytls"}
