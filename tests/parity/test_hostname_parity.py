"""Parity: server_hostname validation and the SNI name a server sees,
ssl module vs cytls (issue 13, items 5 and 13).

Each name is wrapped over a memory BIO and over a connected socket (a
socketpair, so that the TLS object is created at wrap time); the exception
class, its text and the stage (wrap or handshake) must be the ssl module's.
"""

from __future__ import annotations

import socket
import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]

NAMES: list[Any] = [
    "",
    ".",
    ".example.com",
    "example.com.",
    "a\x00b",
    "a" * 64 + ".com",  # a label over 63: the idna codec refuses it
    ("a" * 63 + ".") * 4 + "com",  # 259 bytes: more than SNI carries
    "a" * 300,
    "bücher.de",
    "xn--bcher-kva.de",
    "straße.de",
    "\U0001f600.com",
    b"bytes.example",
    b"b\xfcch",
    "EXAMPLE.com",
    "1.2.3.4",
    "::1",
    "a..b",
    "-a.com",
    "a_b.com",
    "ex ample.com",
    5,
]


def _wrap(mod: ModuleType, name: Any, over: str) -> Any:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    stage = "wrap"
    try:
        if over == "bio":
            obj = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname=name)
            stage = "handshake"
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
            return ("ok", obj.server_hostname)
        sock, peer = socket.socketpair()
        with sock, peer:
            tls = ctx.wrap_socket(sock, server_hostname=name, do_handshake_on_connect=False)
            with tls:
                return ("ok", tls.server_hostname)
    except Exception as exc:  # the class, text and stage are compared
        return (stage, type(exc), str(exc).split(" (_ssl.c:")[0])


@pytest.mark.parametrize("over", ["bio", "socket"])
@pytest.mark.parametrize("name", NAMES, ids=repr)
def test_server_hostname_validation(name: Any, over: str) -> None:
    assert _wrap(cytls, name, over) == _wrap(ssl, name, over)


def test_missing_hostname_with_check_hostname(mod: ModuleType, pki: Pki) -> None:
    """Deliberate difference, over a memory BIO: with check_hostname on and
    no server_hostname, the ssl module runs the handshake and checks no name
    at all; cytls fails closed (ValueError, as both raise for a socket)."""
    server = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pki.server.configure_cert(server)
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(client)
    pair = BioPair(client, server, hostname=None)
    if mod is ssl:
        pair.handshake()
        assert pair.client.getpeercert()  # verified chain, unchecked name
    else:
        with pytest.raises(ValueError, match="check_hostname requires server_hostname"):
            pair.handshake()
    sock, peer = socket.socketpair()
    with sock, peer, pytest.raises(ValueError, match="check_hostname requires server_hostname"):
        client.wrap_socket(sock)


@pytest.mark.parametrize("setter", ["sni_callback", "set_servername_callback"])
def test_sni_callback_gets_the_a_label(mod: ModuleType, pki: Pki, setter: str) -> None:
    leaf = pki.ca.issue_cert("xn--bcher-kva.de")
    server = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(server)
    seen: list[Any] = []

    def callback(obj: Any, name: Any, ctx: Any) -> None:
        seen.append(name)

    if setter == "sni_callback":
        server.sni_callback = callback
    else:
        server.set_servername_callback(callback)
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pki.ca.configure_trust(client)
    pair = BioPair(client, server, hostname="bücher.de")
    pair.handshake()
    assert seen == ["xn--bcher-kva.de"]
    assert pair.client.server_hostname == "xn--bcher-kva.de"
