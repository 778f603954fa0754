"""asyncio measurements for `python -m cytls bench` and benchmarks/: streams and HTTP.

Owns: the asyncio loops that measure one implementation: bulk and echo over
asyncio streams (the asyncio SSL transport drives the implementation's
SSLObject at both ends, in one event loop), and a small HTTP/1.1 server on
asyncio streams answering a load generator in a forked process (always the
`ssl` module, so that only the server changes): requests per second over
keep-alive connections, and new TLS connections per second.
Must not: print, or compare implementations (bench.py does).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import ssl
import struct
import time
from typing import Any

from cytls.cli import _impl
from cytls.cli._certgen import CertFiles

__all__ = ["aio_bulk", "aio_http"]

_TIMEOUT = 60.0
_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n"
             b"\r\nHello, world!")
_REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


def _contexts(impl_name: str, files: CertFiles) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    impl = _impl.load(impl_name)
    server = impl.server_context()
    server.load_cert_chain(str(files.server_chain), str(files.server_key))
    client = impl.client_context()
    client.load_verify_locations(cafile=str(files.ca))
    return client, server


# ---------------------------------------------------------------------------
# Streams: bulk one way, and echo


async def _bulk(client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext, total: int, size: int,
                echo: bool) -> float:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got = 0
        while got < total:
            data = await reader.read(262144)
            if not data:
                break
            got += len(data)
            if echo:
                writer.write(data)
                await writer.drain()
        if not echo:
            writer.write(struct.pack("!Q", got))
            await writer.drain()
        writer.close()
        if not done.done():
            done.set_result(got)

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx,
                                                   server_hostname="localhost")
    chunk = bytes(size)

    async def drain_echo() -> int:
        back = 0
        while back < total:
            data = await reader.read(262144)
            if not data:
                break
            back += len(data)
        return back

    t0 = time.perf_counter()
    echoed = asyncio.ensure_future(drain_echo()) if echo else None
    sent = 0
    while sent < total:
        writer.write(chunk)
        await writer.drain()
        sent += size
    if echoed is not None:
        got = await asyncio.wait_for(echoed, _TIMEOUT)
    else:
        (got,) = struct.unpack("!Q", await asyncio.wait_for(reader.readexactly(8), _TIMEOUT))
    dt = time.perf_counter() - t0
    writer.close()
    server.close()
    await server.wait_closed()
    if got != total:
        raise _impl.Unavailable(f"{got} of {total} bytes arrived")
    return total / dt


def aio_bulk(impl_name: str, files: CertFiles, *, total: int, size: int = 65536,
             echo: bool = False) -> float:
    """Bytes/s over asyncio streams, client and server of one implementation
    in one event loop over 127.0.0.1 (echo: every byte also comes back)."""
    client_ctx, server_ctx = _contexts(impl_name, files)
    return asyncio.run(asyncio.wait_for(_bulk(client_ctx, server_ctx, total, size, echo),
                                        _TIMEOUT))


# ---------------------------------------------------------------------------
# HTTP/1.1 server under load


async def _client_load(port: int, ca: str, clients: int, seconds: float, keepalive: bool) -> int:
    ctx = ssl.create_default_context(cafile=ca)
    ready = asyncio.Event()
    counts = [0] * clients
    stop_at = [0.0]

    async def one_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_REQUEST)
        await reader.readexactly(len(_RESPONSE))

    async def worker(i: int) -> None:
        if keepalive:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                                           server_hostname="localhost")
            await one_request(reader, writer)
            await ready.wait()
            while time.perf_counter() < stop_at[0]:
                await one_request(reader, writer)
                counts[i] += 1
            writer.close()
            return
        await ready.wait()
        while time.perf_counter() < stop_at[0]:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                                           server_hostname="localhost")
            await one_request(reader, writer)
            writer.close()
            counts[i] += 1

    tasks = [asyncio.ensure_future(worker(i)) for i in range(clients)]
    await asyncio.sleep(0.2 if keepalive else 0)  # let keep-alive connections open
    stop_at[0] = time.perf_counter() + seconds
    ready.set()
    await asyncio.wait_for(asyncio.gather(*tasks), seconds + _TIMEOUT)
    return sum(counts)


def _load_process(port: int, ca: str, clients: int, seconds: float, keepalive: bool,
                  out: Any) -> None:
    try:
        out.send(asyncio.run(_client_load(port, ca, clients, seconds, keepalive)))
    except BaseException as e:
        out.send(f"{type(e).__name__}: {e}")


async def _http_server(listener: socket.socket, server_ctx: ssl.SSLContext,
                       finished: asyncio.Future[Any]) -> Any:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(_RESPONSE)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, sock=listener, ssl=server_ctx, backlog=512)
    try:
        return await finished
    finally:
        server.close()


def aio_http(impl_name: str, files: CertFiles, *, clients: int, seconds: float,
             keepalive: bool) -> float:
    """Requests/s (keepalive) or new TLS connections/s (one request each) of
    an asyncio HTTP/1.1 server of `impl_name`, loaded by `clients` concurrent
    ssl-module clients in a forked process."""
    _, server_ctx = _contexts(impl_name, files)
    listener = socket.create_server(("127.0.0.1", 0), backlog=512)
    port = listener.getsockname()[1]
    mp = multiprocessing.get_context("fork")
    ours, theirs = mp.Pipe()
    proc = mp.Process(target=_load_process,
                      args=(port, str(files.ca), clients, seconds, keepalive, theirs), daemon=True)
    proc.start()

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[Any] = loop.create_future()
        def report() -> None:
            if not finished.done():
                finished.set_result(ours.recv())

        loop.add_reader(ours.fileno(), report)
        try:
            return await asyncio.wait_for(_http_server(listener, server_ctx, finished),
                                          seconds + _TIMEOUT)
        finally:
            loop.remove_reader(ours.fileno())

    try:
        result = asyncio.run(main())
    finally:
        proc.join(_TIMEOUT)
        if proc.is_alive():
            proc.kill()
            proc.join()
        listener.close()
    if not isinstance(result, int) or result <= 0:
        raise _impl.Unavailable(f"load generator: {result}")
    return result / seconds
