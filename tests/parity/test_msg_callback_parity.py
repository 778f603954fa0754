"""Parity: the ssl module's `_msg_callback` tracing hook, ssl vs cytls
(issue 13, items 9 and 12).

Each test runs a cytls endpoint against an ssl-module peer, both with the
hook set, in both versions: every message one side writes (handshake
messages, alerts, record headers with their exact bytes) is a message the
other side reads, and the arguments have the ssl module's types. OpenSSL
reports a change_cipher_spec it sends but none it receives; so does cytls.
The same callback also sees an ssl-ssl pair, as the reference for the types.
"""

from __future__ import annotations

import ssl
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import BioPair, Pki, contexts, needs_engine

import cytls

pytestmark = [needs_engine, pytest.mark.timeout(60)]

VERSIONS = [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2]
HEADER = 256
INNER = 257


def _run(client_mod: ModuleType, server_mod: ModuleType, pki: Pki, version: Any) -> Any:
    client, server = contexts(client_mod, server_mod, pki)
    client.maximum_version = version
    logs: dict[str, list[tuple[Any, ...]]] = {"client": [], "server": []}
    objs: dict[str, Any] = {}

    def hook(side: str) -> Any:
        def callback(*args: Any) -> None:
            logs[side].append(args)

        return callback

    client._msg_callback = hook("client")
    server._msg_callback = hook("server")
    pair = BioPair(client, server)
    objs.update(client=pair.client, server=pair.server)
    pair.handshake()
    pair.client.write(b"hello")
    pair.pump()
    assert pair.server.read() == b"hello"
    with pytest.raises(ssl.SSLWantReadError):
        pair.client.unwrap()
    pair.pump()
    assert pair.server.read() == b""
    pair.server.unwrap()
    pair.pump()
    pair.client.unwrap()
    return logs, objs


def _messages(log: list[tuple[Any, ...]], direction: str, types: set[int]) -> list[Any]:
    return [
        (int(ct), int(mt), data)
        for _, d, _, ct, mt, data in log
        if d == direction and int(ct) in types
    ]


def _check_types(log: list[tuple[Any, ...]], obj: Any) -> None:
    for conn, direction, version, content_type, msg_type, data in log:
        assert conn is obj
        assert direction in ("read", "write")
        assert isinstance(version, ssl.TLSVersion)
        assert isinstance(content_type, ssl._TLSContentType)
        if content_type == ssl._TLSContentType.HEADER:
            assert isinstance(msg_type, ssl._TLSContentType)
        elif content_type == ssl._TLSContentType.ALERT:
            assert isinstance(msg_type, ssl._TLSAlertType)
        else:
            assert isinstance(msg_type, ssl._TLSMessageType)
        assert type(data) is bytes


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("client_mod", "server_mod"), [(cytls, ssl), (ssl, cytls), (ssl, ssl)])
def test_every_message_both_ways(
    client_mod: ModuleType, server_mod: ModuleType, pki: Pki, version: Any
) -> None:
    logs, objs = _run(client_mod, server_mod, pki, version)
    for side in ("client", "server"):
        _check_types(logs[side], objs[side])
    for writer, reader in (("client", "server"), ("server", "client")):
        # Handshake messages and alerts, bytes and all.
        sent = _messages(logs[writer], "write", {21, 22})
        received = _messages(logs[reader], "read", {21, 22})
        assert sent == received
        # Record headers, in order: every record written is read.
        assert _messages(logs[writer], "write", {HEADER}) == _messages(
            logs[reader], "read", {HEADER}
        )
    client_sent = [mt for ct, mt, _ in _messages(logs["client"], "write", {22})]
    assert client_sent[0] == 1  # ClientHello
    assert 20 in client_sent  # Finished
    assert _messages(logs["client"], "write", {21})[-1][1] == 0  # close_notify
    if version == ssl.TLSVersion.TLSv1_3:
        # Protected records carry their inner content type.
        assert any(int(a[3]) == INNER for a in logs["client"])
    # A change_cipher_spec is reported when written, never when read.
    assert _messages(logs["client"], "read", {20}) == []
    assert _messages(logs["server"], "read", {20}) == []


def test_callback_exception_is_raised_by_the_call(mod: ModuleType, pki: Pki) -> None:
    """The callback's exception surfaces from the TLS calls (the ssl module
    raises it from the first call that does not end in SSLWantReadError,
    cytls from the call that ran the callback)."""
    client, server = contexts(mod, mod, pki)

    def callback(*args: Any) -> None:
        raise RuntimeError("from the callback")

    client._msg_callback = callback
    pair = BioPair(client, server)
    with pytest.raises(RuntimeError, match="from the callback"):
        pair.handshake()


def test_setting_and_clearing(mod: ModuleType) -> None:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx._msg_callback is None
    with pytest.raises(TypeError):
        ctx._msg_callback = 5

    def callback(*args: Any) -> None:
        pass

    ctx._msg_callback = callback
    assert ctx._msg_callback is callback
    ctx._msg_callback = None
    assert ctx._msg_callback is None
