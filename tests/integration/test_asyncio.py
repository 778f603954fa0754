"""asyncio streams, protocols and start_tls on cytls contexts, both directions."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest
from integration_helpers import IMPLS, Pki, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]

PAIRS = [("cytls", "cytls"), ("cytls", "ssl"), ("ssl", "cytls")]


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data.upper())
        await writer.drain()
    writer.close()


@pytest.mark.parametrize(("client", "server"), PAIRS)
def test_streams(pki: Pki, client: str, server: str) -> None:
    async def main() -> None:
        srv = await asyncio.start_server(
            _echo, "127.0.0.1", 0, ssl=pki.server_context(IMPLS[server])
        )
        port = srv.sockets[0].getsockname()[1]
        ctx = pki.client_context(IMPLS[client])
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
        )
        sslobj = writer.get_extra_info("ssl_object")
        assert isinstance(sslobj, ssl.SSLObject)
        if client == "cytls":
            assert isinstance(sslobj, cytls.SSLObject)
        assert writer.get_extra_info("peercert")["subjectAltName"][0] == ("DNS", "localhost")
        assert writer.get_extra_info("cipher")[1] == "TLSv1.3"
        payload = b"abc" * 100_000
        writer.write(payload)
        await writer.drain()
        got = await reader.readexactly(len(payload))
        assert got == payload.upper()
        writer.close()
        await writer.wait_closed()
        srv.close()
        await srv.wait_closed()

    run(main())


def test_mutual_tls(pki: Pki) -> None:
    async def main() -> Any:
        seen: list[Any] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(writer.get_extra_info("peercert")["subjectAltName"])
            writer.write(await reader.readexactly(2))
            await writer.drain()
            writer.close()

        server_ctx = pki.server_context(cytls, require_client_cert=True)
        srv = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_ctx)
        port = srv.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(
            "localhost", port, ssl=pki.client_context(cytls, with_cert=True)
        )
        writer.write(b"hi")
        assert await reader.readexactly(2) == b"hi"
        writer.close()
        await writer.wait_closed()
        srv.close()
        await srv.wait_closed()
        return seen

    assert run(main()) == [(("DNS", "client.example"),)]


@pytest.mark.parametrize(("client", "server"), [*PAIRS, ("ssl", "ssl")])
def test_mutual_tls_refused_without_certificate(pki: Pki, client: str, server: str) -> None:
    # The same outcome on every pairing: asyncio's server drops the
    # connection (its alert is not flushed), the handler never runs, and the
    # client, whose TLS 1.3 handshake had already completed, reads EOF.
    async def main() -> tuple[list[bytes], list[int]]:
        calls: list[int] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            calls.append(1)
            writer.close()

        server_ctx = pki.server_context(IMPLS[server], require_client_cert=True)
        srv = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_ctx)
        port = srv.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(
            "localhost", port, ssl=pki.client_context(IMPLS[client])
        )
        writer.write(b"x")
        await writer.drain()
        reads = [await reader.read(10), await reader.read(10)]
        writer.close()
        srv.close()
        await srv.wait_closed()
        return reads, calls

    assert run(main()) == ([b"", b""], [])


@pytest.mark.parametrize(("client", "server"), PAIRS)
def test_protocols(pki: Pki, client: str, server: str) -> None:
    class Echo(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data[::-1])

    class Client(asyncio.Protocol):
        def __init__(self) -> None:
            self.done = asyncio.get_running_loop().create_future()
            self.buf = b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            if len(self.buf) >= 5:
                self.done.set_result(self.buf)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(Echo, "127.0.0.1", 0, ssl=pki.server_context(IMPLS[server]))
        port = srv.sockets[0].getsockname()[1]
        transport, proto = await loop.create_connection(
            Client,
            "127.0.0.1",
            port,
            ssl=pki.client_context(IMPLS[client]),
            server_hostname="localhost",
        )
        transport.write(b"hello")
        assert await proto.done == b"olleh"
        transport.close()
        srv.close()
        await srv.wait_closed()

    run(main())


@pytest.mark.parametrize(("client", "server"), PAIRS)
def test_start_tls(pki: Pki, client: str, server: str) -> None:
    async def main() -> None:
        server_ctx = pki.server_context(IMPLS[server])

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            assert await reader.readline() == b"STARTTLS\n"
            writer.write(b"GO\n")
            await writer.drain()
            await writer.start_tls(server_ctx)
            writer.write(b"secret:" + await reader.readline())
            await writer.drain()
            writer.close()

        srv = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"STARTTLS\n")
        assert await reader.readline() == b"GO\n"
        await writer.start_tls(pki.client_context(IMPLS[client]), server_hostname="localhost")
        assert writer.get_extra_info("cipher")[1] == "TLSv1.3"
        writer.write(b"x\n")
        assert await reader.readline() == b"secret:x\n"
        writer.close()
        srv.close()
        await srv.wait_closed()

    run(main())


def test_verification_failure(pki: Pki) -> None:
    async def main() -> None:
        srv = await asyncio.start_server(_echo, "127.0.0.1", 0, ssl=pki.server_context(cytls))
        port = srv.sockets[0].getsockname()[1]
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("localhost", port, ssl=cytls.create_default_context())
        srv.close()
        await srv.wait_closed()

    run(main())


def test_default_context_injected(
    pki: Pki, injected: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ssl=True makes asyncio call ssl.create_default_context(): cytls when injected.
    monkeypatch.setenv("SSL_CERT_FILE", pki.ca_file)

    async def main() -> Any:
        srv = await asyncio.start_server(_echo, "127.0.0.1", 0, ssl=pki.server_context(ssl))
        port = srv.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("localhost", port, ssl=True)
        obj = writer.get_extra_info("ssl_object")
        writer.write(b"q")
        assert await reader.readexactly(1) == b"Q"
        writer.close()
        srv.close()
        await srv.wait_closed()
        return obj

    assert isinstance(run(main()), cytls.SSLObject)
