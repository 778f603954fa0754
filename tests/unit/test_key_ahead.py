"""The server's X25519 key pair made while the ClientHello is on its way.

The socket layer calls Connection.work_ahead before it waits; in the first
state (ExpectClientHello) that makes an X25519 key pair, which the key
exchange then uses instead of making one: TLS 1.3's X25519 and the X25519
half of X25519MLKEM768, and TLS 1.2's ECDHE over X25519. Each pair serves
one key exchange of one connection; other groups, psk_ke and injected keys
leave it unused.
"""

from __future__ import annotations

import socket
import ssl
import threading
from typing import Any

import pytest
from tls_helpers import client_config, pump, server_config

import cytls
from cytls._connection import Connection
from cytls._handshake import groups, server, server13
from cytls._handshake.config import TLSConfig
from cytls._handshake.state import Hooks
from cytls._wire import messages as m
from cytls._wire.enums import ExtensionType as Ext
from cytls.cli import _certgen

X25519, P256, MLKEM = 0x001D, 0x0017, 0x11EC


def _server_key_bytes(flight: bytes, tls12: bool) -> bytes:
    """The server's public key in its first flight: ServerHello's key_share
    (TLS 1.3) or ServerKeyExchange's point (TLS 1.2, an ECDHE suite)."""
    pos = 0
    while pos < len(flight):
        length = int.from_bytes(flight[pos + 3 : pos + 5], "big")
        body = flight[pos + 5 : pos + 5 + length]
        pos += 5 + length
        if body[0] == 2 and not tls12:  # ServerHello, in the clear
            sh = m.ServerHello.parse(body[4:])
            return m.parse_server_key_share(sh.extensions[Ext.key_share])[1]
        if tls12:
            inner = 0
            while inner < len(body):
                msg_len = int.from_bytes(body[inner + 1 : inner + 4], "big")
                if body[inner] == 12:  # ServerKeyExchange: curve_type, group, point
                    point_len = body[inner + 7]
                    return body[inner + 8 : inner + 8 + point_len]
                inner += 4 + msg_len
    raise AssertionError("no server key share in the flight")


def _handshake(ccfg: TLSConfig, scfg: TLSConfig, ahead: bool,
               hooks: Any = None) -> tuple[Connection, Connection, bytes, tuple | None]:
    c, s = Connection(ccfg), Connection(scfg, hooks=hooks)
    c.start_handshake()
    s.start_handshake()
    if ahead:
        s.work_ahead()  # what SSLSocket does before reading the ClientHello
    pair = s._ctx.x25519_ahead
    s.receive_data(c.data_to_send())
    flight = s.data_to_send()
    c.receive_data(flight)
    pump(c, s)
    assert c.handshake_complete and s.handshake_complete
    return c, s, flight, pair


@pytest.mark.parametrize("group", [X25519, MLKEM], ids=["x25519", "X25519MLKEM768"])
def test_tls13_share_uses_the_pair(group: int) -> None:
    c, s, flight, pair = _handshake(client_config(groups=[group]), server_config(), True)
    assert pair is not None and s.group == group
    share = _server_key_bytes(flight, tls12=False)
    assert share[-32:] == pair[1]  # the hybrid's X25519 part comes last
    assert s._ctx.x25519_ahead is None  # used once, then gone
    # Keys agree: application data goes both ways.
    c.send_application_data(b"ping")
    s.receive_data(c.data_to_send())
    assert s.read_application_data() == b"ping"


def test_tls12_ecdhe_uses_the_pair() -> None:
    ccfg = client_config("rsa", groups=[X25519], max_version=0x0303)
    _, s, flight, pair = _handshake(ccfg, server_config("rsa"), True)
    assert pair is not None and s.version == 0x0303 and s.group == X25519
    assert _server_key_bytes(flight, tls12=True) == pair[1]
    assert s._ctx.x25519_ahead is None


def test_each_connection_has_its_own_pair() -> None:
    pairs = [_handshake(client_config(), server_config(), True)[3] for _ in range(3)]
    assert len({p[0] for p in pairs if p is not None}) == 3


def test_other_groups_leave_it_unused() -> None:
    _, s, flight, pair = _handshake(client_config(groups=[P256]), server_config(), True)
    assert pair is not None and s.group == P256
    assert pair[1] not in flight
    assert s._ctx.x25519_ahead is None  # dropped by the key exchange


def test_no_pair_without_x25519_or_with_an_injected_key() -> None:
    _, _, _, pair = _handshake(client_config(groups=[P256]), server_config(groups=[P256]), True)
    assert pair is None
    priv = groups.x25519.X25519PrivateKey.generate()
    _, _, flight, pair = _handshake(client_config(groups=[X25519]), server_config(), True,
                                    hooks=Hooks(server_private=priv))
    assert pair is None
    assert _server_key_bytes(flight, tls12=False) == priv.public_key().public_bytes_raw()


def test_without_work_ahead_nothing_changes() -> None:
    _, s, _, pair = _handshake(client_config(groups=[X25519]), server_config(), False)
    assert pair is None and s.group == X25519  # a pair made in the exchange


def test_sslsocket_server_makes_it_before_the_hello(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over a real socket the server's share is the pair made ahead."""
    made: list[tuple[bytes, bytes]] = []
    used: list[Any] = []
    real_pair, real_exchange = groups.x25519_key_pair, server13.server_exchange

    def spy_pair() -> tuple[bytes, bytes]:
        made.append(real_pair())
        return made[-1]

    def spy_exchange(*args: Any) -> tuple[bytes, bytes]:
        used.append(args[3])
        return real_exchange(*args)

    monkeypatch.setattr(server, "x25519_key_pair", spy_pair)
    monkeypatch.setattr(server13, "server_exchange", spy_exchange)
    with _certgen.generate().write() as files:
        sctx = cytls.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(str(files.server_chain), str(files.server_key))
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.load_verify_locations(str(files.ca))
        a, b = socket.socketpair()
        with a, b:
            a.settimeout(10)
            b.settimeout(10)
            got: list[bytes] = []

            def talk() -> None:
                with cctx.wrap_socket(a, server_hostname="localhost") as tls:
                    got.append(tls.recv(2))

            client = threading.Thread(target=talk)
            client.start()
            with sctx.wrap_socket(b, server_side=True) as tls:
                assert tls.version() == "TLSv1.3"
                tls.sendall(b"ok")
                client.join(10)
            assert got == [b"ok"]
    assert len(made) == 1 and used == [made[0]]
