"""A peer that floods application data into a reader that does not read:
the plaintext cytls buffers stays bounded (issue 14 item 3). Reads pull
ciphertext only when nothing decrypted is waiting, one bounded pull at a
time, so the flood stays in the memory BIO or the socket buffers, and TCP
flow control stops the sender."""

from __future__ import annotations

import resource
import socket
import ssl
import threading

import trustme

import cytls
from cytls._ssl import sslsocket, tlsobject

CHUNK = b"\x5a" * 65536


def _contexts() -> tuple[cytls.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    server = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def test_memory_bio_flood_is_not_decrypted_ahead() -> None:
    server_ctx, client_ctx = _contexts()
    s_in, s_out, c_in, c_out = (ssl.MemoryBIO() for _ in range(4))
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    for _ in range(10):
        for obj, out, peer_in in ((client, c_out, s_in), (server, s_out, c_in)):
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
            peer_in.write(out.read())
    assert server.version() == "TLSv1.3"
    # 16 MiB of application data, all of it in the server's incoming BIO.
    for _ in range(256):
        client.write(CHUNK)
    s_in.write(c_out.read())
    flooded = s_in.pending
    assert flooded > 16 * 2**20
    assert len(server.read(1)) == 1
    conn = server._sslobj._conn
    # One pull's worth decrypted; the rest still waits, encrypted, in the BIO.
    assert 0 < conn.pending_application_data() <= tlsobject.MAX_PULL
    assert s_in.pending >= flooded - tlsobject.MAX_PULL
    # Reading on drains everything, in order.
    got = 1
    while got < 256 * len(CHUNK):
        data = server.read(1 << 20)
        assert set(data) == {0x5A}
        got += len(data)
        assert conn.pending_application_data() <= tlsobject.MAX_PULL
    assert got == 256 * len(CHUNK)


def test_socket_flood_into_a_reader_that_does_not_read() -> None:
    server_ctx, client_ctx = _contexts()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    sent = [0]
    done = threading.Event()

    def flood() -> None:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        tls = client_ctx.wrap_socket(raw, server_hostname="localhost")
        tls.settimeout(1.0)
        try:
            for _ in range(4096):  # up to 256 MiB
                tls.sendall(CHUNK)
                sent[0] += len(CHUNK)
        except (TimeoutError, OSError):
            pass  # flow control: the server stopped reading
        finally:
            done.set()
            tls.close()

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    conn, _ = listener.accept()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with server_ctx.wrap_socket(conn, server_side=True) as tls:
        assert len(tls.recv(1)) == 1
        # The reader now does not read: the flood stalls within a few
        # socket buffers, far below what the client wanted to send.
        assert done.wait(20)
        pending = tls._sslobj._conn.pending_application_data()
        assert pending <= sslsocket._RECV_SIZE
        assert sent[0] < 64 * 2**20
        grew_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        assert grew_kib < 64 * 1024
    listener.close()
    thread.join(10)
