"""Secrets are held where they can be wiped, and wiped when the key
schedule moves on (issue 14 item 4): after the handshake the schedule holds
neither the early, handshake and master secrets nor the handshake traffic
secrets; what a later step needs (exporter, resumption, the current
application traffic secrets) remains, and still works."""

from __future__ import annotations

import ssl
import tempfile
from pathlib import Path
from typing import Any

import pytest
from tls_helpers import client_config, key_pem, pair, pem, pki, pump, server_config

import cytls._core as core
from cytls._connection import Connection
from cytls._handshake import keyschedule
from cytls._handshake.keyschedule import KeySchedule, KeySchedule12

VERSIONS = {"1.3": 0x0304, "1.2": 0x0303}


def _zero(b: bytearray) -> bool:
    return len(b) > 0 and not any(b)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bytearray]]:
    """Every secret bytearray the TLS 1.3 schedules of a test create."""
    seen: list[tuple[str, bytearray]] = []
    stages = ("handshake_stage", "master_stage", "resumption_stage")
    names = (
        "handshake_secret",
        "client_hs_secret",
        "server_hs_secret",
        "master_secret",
        "client_app_secret",
        "server_app_secret",
    )
    for stage in stages:
        original = getattr(KeySchedule, stage)

        def wrapped(self: KeySchedule, *a: Any, _orig: Any = original) -> None:
            _orig(self, *a)
            for n in names:
                value = getattr(self, n)
                if value and all(value is not v for _, v in seen):
                    seen.append((n, value))

        monkeypatch.setattr(KeySchedule, stage, wrapped)
    return seen


def test_tls13_schedule_drops_and_wipes_secrets(captured: list[tuple[str, bytearray]]) -> None:
    c, s = pair()
    assert c.handshake_complete and s.handshake_complete
    for conn in (c, s):
        ks = conn._ctx.ks
        assert isinstance(ks, KeySchedule)
        for name in ("handshake_secret", "client_hs_secret", "server_hs_secret", "master_secret"):
            assert getattr(ks, name) == b"", name
        # Handed to the traffic state, no longer in the schedule.
        assert ks.client_app_secret == b"" and ks.server_app_secret == b""
        # Still needed: the exporter and ticket PSKs.
        assert len(ks.exporter_secret) == ks.info.hash_len
        assert len(ks.resumption_secret) == ks.info.hash_len
        # No PSK: the early secret is the public Extract(0, 0) constant.
        assert ks.early_secret == ks.info.early_no_psk
    # Every handshake-phase secret, in both roles, was zeroed in place.
    wiped = {n for n, v in captured if _zero(v)}
    assert {"handshake_secret", "client_hs_secret", "server_hs_secret", "master_secret"} <= wiped
    assert all(_zero(v) for n, v in captured if n not in ("client_app_secret", "server_app_secret"))
    # The application traffic secrets live on in the traffic state only.
    for conn in (c, s):
        state = conn._state
        assert isinstance(state.read_secret, bytearray) and any(state.read_secret)
        assert isinstance(state.write_secret, bytearray) and any(state.write_secret)
    # And everything still works: data, exporter agreement.
    c.send_application_data(b"ping")
    pump(c, s)
    assert s.read_application_data() == b"ping"
    assert c.export_keying_material(b"EXPERIMENTAL x", b"ctx", 32) == s.export_keying_material(
        b"EXPERIMENTAL x", b"ctx", 32
    )


def test_key_update_wipes_the_old_generation() -> None:
    c, s = pair()
    old_write = c._state.write_secret
    old_peer_read = s._state.read_secret
    before = bytes(old_write)
    c.update_key(request_peer=True)
    pump(c, s)
    assert _zero(old_write) and _zero(old_peer_read)
    assert c._state.write_secret == s._state.read_secret != before
    c.send_application_data(b"after update")
    s.send_application_data(b"answer")
    pump(c, s)
    assert s.read_application_data() == b"after update"
    assert c.read_application_data() == b"answer"


def test_traffic_keys_never_become_python_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """TLS 1.3 keys and IVs are derived from their traffic secrets inside
    the record layer's C call (and wiped there): the handshake and a
    KeyUpdate never ask the key schedule for them."""
    handed: list[bytearray] = []
    original = KeySchedule.traffic_key

    def spy(self: KeySchedule, secret: bytes | bytearray) -> tuple[bytearray, bytearray]:
        key, iv = original(self, secret)
        handed.extend((key, iv))
        return key, iv

    monkeypatch.setattr(KeySchedule, "traffic_key", spy)
    c, s = pair()
    assert c.handshake_complete and s.handshake_complete
    c.update_key(request_peer=True)
    c.send_application_data(b"after update")
    pump(c, s)
    s.send_application_data(b"answer")
    pump(c, s)
    assert s.read_application_data() == b"after update"
    assert c.read_application_data() == b"answer"
    assert handed == []


def test_tls12_key_block_wiped_master_secret_wipeable(monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[bytearray] = []
    original = KeySchedule12.key_block

    def spy(self: KeySchedule12) -> tuple[bytearray, bytearray, bytearray, bytearray]:
        parts = original(self)
        handed.extend(parts)
        return parts

    monkeypatch.setattr(KeySchedule12, "key_block", spy)
    c, s = pair(client_config(max_version=0x0303), server_config(max_version=0x0303))
    assert c.version == 0x0303 and c.handshake_complete
    assert handed and all(_zero(b) for b in handed)
    for conn in (c, s):
        ks = conn._ctx.ks12
        assert isinstance(ks, KeySchedule12) and isinstance(ks.master_secret, bytearray)
    assert c.export_keying_material(b"EXPERIMENTAL y", None, 16) == s.export_keying_material(
        b"EXPERIMENTAL y", None, 16
    )


def test_wipe_is_in_place() -> None:
    b = bytearray(b"\x01" * 48)
    keep = b
    keyschedule.wipe(b)
    assert keep is b and b == bytes(48)
    keyschedule.wipe(bytearray())  # nothing to do
    keyschedule.wipe(None)


@pytest.mark.parametrize("alg,n", [(1, 32), (2, 48), (3, 64)])
def test_core_into_variants_match(alg: int, n: int) -> None:
    salt, ikm = b"salt" * 5, b"input keying material"
    prk = bytearray(n)
    core.hkdf_extract_into(alg, prk, salt, ikm)
    assert prk == core.hkdf_extract(alg, salt, ikm)
    for length in (0, 1, 12, n, 3 * n):
        out = bytearray(length)
        core.hkdf_expand_label_into(alg, out, prk, b"key", b"ctx")
        assert out == core.hkdf_expand_label(alg, prk, b"key", b"ctx", length)


def test_core_into_variants_refuse_bad_outputs() -> None:
    with pytest.raises(BufferError):
        core.hkdf_extract_into(1, bytes(32), b"", b"ikm")
    with pytest.raises(ValueError):
        core.hkdf_extract_into(1, bytearray(31), b"", b"ikm")
    with pytest.raises(BufferError):
        core.hkdf_expand_label_into(1, bytes(16), bytes(32), b"key", b"")
    with pytest.raises(ValueError):
        core.hkdf_expand_label_into(1, bytearray(255 * 32 + 1), bytes(32), b"key", b"")
    with pytest.raises(ValueError):
        core.hkdf_expand_label_into(1, bytearray(16), bytes(32), b"k" * 250, b"")


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_handshakes_still_interoperate_with_ssl(version: str) -> None:
    # The ssl module as the peer over memory BIOs, both directions of data.
    p = pki()
    with tempfile.TemporaryDirectory() as d:
        cert = Path(d, "c.pem")
        cert.write_bytes(pem(p.leaf) + pem(p.inter))
        key = Path(d, "k.pem")
        key.write_bytes(key_pem(p.leaf_key))
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(cert, key)
    v = VERSIONS[version]
    sctx.maximum_version = ssl.TLSVersion.TLSv1_3 if v == 0x0304 else ssl.TLSVersion.TLSv1_2
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = sctx.wrap_bio(inc, out, server_side=True)
    c = Connection(client_config(max_version=v))
    c.start_handshake()
    for _ in range(10):
        inc.write(c.data_to_send())
        try:
            server.do_handshake()
        except ssl.SSLWantReadError:
            pass
        data = out.read()
        if data:
            c.receive_data(data)
        if c.handshake_complete and server.version():
            break
    c.send_application_data(b"x" * 1000)
    inc.write(c.data_to_send())
    assert server.read(2000) == b"x" * 1000
    server.write(b"pong")
    c.receive_data(out.read())
    assert c.read_application_data() == b"pong"
