"""RFC 8448 §3 (simple 1-RTT handshake) replayed through the engine.

Owns: the bit-for-bit checks against the RFC trace: transcript hashes, the
whole key schedule, traffic keys, Finished values, the resumption PSK, and
the records each side produces when its randoms, ephemeral key and (RSA-PSS
being randomised) the server's CertificateVerify signature are injected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519

from cytls._connection import Connection
from cytls._handshake.config import TLSConfig
from cytls._handshake.keyschedule import KeySchedule
from cytls._handshake.state import Hooks
from cytls._handshake.transcript import Transcript
from cytls._wire.enums import ExtensionType
from cytls._wire.events import ConnectionClosed, HandshakeComplete, NewSessionTicketReceived
from cytls._wire.messages import Certificate, EncryptedExtensions

REPO = Path(__file__).resolve().parents[2]


def _vectors_dir() -> Path:
    """tests/vectors: the copies kept in the repository (see its README.md)."""
    return REPO / "tests" / "vectors"


V: dict[str, Any] = json.loads((_vectors_dir() / "rfc8448" / "simple_1rtt.json").read_text())
H = V["handshake_messages"]
KS = V["key_schedule"]


def b(hexstr: str) -> bytes:
    return bytes.fromhex(hexstr)


def record(name: str) -> dict[str, Any]:
    return next(r for r in V["records"] if r["name"] == name)


def test_transcript_hashes() -> None:
    t = Transcript("sha256")
    assert t.digest() == b(V["transcript_hashes"]["empty"])
    t.add(b(H["client_hello"]))
    t.add(b(H["server_hello"]))
    assert t.digest() == b(V["transcript_hashes"]["client_hello_to_server_hello"])
    for name in ("encrypted_extensions", "certificate", "certificate_verify", "server_finished"):
        t.add(b(H[name]))
    assert t.digest() == b(V["transcript_hashes"]["client_hello_to_server_finished"])
    t.add(b(H["client_finished"]))
    assert t.digest() == b(V["transcript_hashes"]["client_hello_to_client_finished"])


def test_transcript_buffers_until_hash_known() -> None:
    t = Transcript()
    t.add(b(H["client_hello"]))
    t.add(b(H["server_hello"]))
    t.set_hash("sha256")
    assert t.digest() == b(V["transcript_hashes"]["client_hello_to_server_hello"])


def test_key_schedule() -> None:
    th = V["transcript_hashes"]
    ks = KeySchedule(0x1301)
    assert ks.early_secret == b(KS["early_secret"])
    ks.handshake_stage(b(V["ecdhe_shared_secret"]), b(th["client_hello_to_server_hello"]))
    assert ks.handshake_secret == b(KS["handshake_secret"])
    assert ks.client_hs_secret == b(KS["client_handshake_traffic_secret"])
    assert ks.server_hs_secret == b(KS["server_handshake_traffic_secret"])
    ks.master_stage(b(th["client_hello_to_server_finished"]))
    assert ks.master_secret == b(KS["master_secret"])
    assert ks.client_app_secret == b(KS["client_application_traffic_secret_0"])
    assert ks.server_app_secret == b(KS["server_application_traffic_secret_0"])
    assert ks.exporter_secret == b(KS["exporter_master_secret"])
    ks.resumption_stage(b(th["client_hello_to_client_finished"]))
    assert ks.resumption_secret == b(KS["resumption_master_secret"])
    tk = V["traffic_keys"]
    for secret, prefix in (
        (ks.server_hs_secret, "server_handshake"),
        (ks.client_hs_secret, "client_handshake"),
        (ks.server_app_secret, "server_application"),
        (ks.client_app_secret, "client_application"),
    ):
        key, iv = ks.traffic_key(secret)
        assert key == b(tk[f"{prefix}_key"])
        assert iv == b(tk[f"{prefix}_iv"])
    f = V["finished"]
    assert ks.finished_key(ks.server_hs_secret) == b(f["server_finished_key"])
    assert ks.finished_key(ks.client_hs_secret) == b(f["client_finished_key"])
    assert ks.finished_verify_data(ks.server_hs_secret, b(th["client_hello_to_server_hello"])) != b(
        f["server_verify_data"]
    )  # the hash must include the whole flight
    assert ks.resumption_psk(b(V["resumption"]["ticket_nonce"])) == b(
        V["resumption"]["resumption_psk"]
    )


def _server_cert() -> x509.Certificate:
    cert = Certificate.parse(b(H["certificate"])[4:])
    return x509.load_der_x509_certificate(cert.entries[0].cert_data)


def _server_key() -> rsa.RSAPrivateKey:
    k = V["server_rsa_private_key"]
    n = int(k["modulus"], 16)
    e = int(k["public_exponent"], 16)
    nums = rsa.RSAPrivateNumbers(
        p=int(k["prime1"], 16),
        q=int(k["prime2"], 16),
        d=int(k["private_exponent"], 16),
        dmp1=int(k["exponent1"], 16),
        dmq1=int(k["exponent2"], 16),
        iqmp=int(k["coefficient"], 16),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    return nums.private_key()


def test_client_replays_rfc8448() -> None:
    keys: list[str] = []
    cfg = TLSConfig(is_client=True, verify_mode=0, check_hostname=False, keylog=keys.append)
    priv = x25519.X25519PrivateKey.from_private_bytes(b(V["client_x25519_private_key"]))
    hooks = Hooks(client_hello=b(H["client_hello"]), key_shares={0x001D: priv})
    conn = Connection(cfg, hooks=hooks)
    conn.start_handshake()
    assert conn.data_to_send() == b(record("client_hello")["record"])

    events = conn.receive_data(b(record("server_hello")["record"]))
    assert events == [] and conn.data_to_send() == b""
    events = conn.receive_data(b(record("server_encrypted_handshake_flight")["record"]))
    assert any(isinstance(e, HandshakeComplete) for e in events)
    # The client Finished record, sealed with the client handshake key.
    assert conn.data_to_send() == b(record("client_finished")["record"])
    assert conn.cipher_suite == 0x1301 and conn.group == 0x001D

    events = conn.receive_data(b(record("server_new_session_ticket")["record"]))
    (ticket_event,) = [e for e in events if isinstance(e, NewSessionTicketReceived)]
    assert ticket_event.ticket.psk == b(V["resumption"]["resumption_psk"])
    assert ticket_event.ticket.ticket == b(V["resumption"]["ticket"])
    assert ticket_event.ticket.lifetime == V["resumption"]["ticket_lifetime"]

    app = record("client_application_data")
    conn.send_application_data(b(app["content"]))
    assert conn.data_to_send() == b(app["record"])

    srv = record("server_application_data")
    conn.receive_data(b(srv["record"]))
    assert conn.read_application_data() == b(srv["content"])

    conn.close()
    assert conn.data_to_send() == b(record("client_alert_close_notify")["record"])
    events = conn.receive_data(b(record("server_alert_close_notify")["record"]))
    assert any(isinstance(e, ConnectionClosed) for e in events)
    assert conn.peer_closed

    cr = V["client_random"]
    assert f"CLIENT_HANDSHAKE_TRAFFIC_SECRET {cr} {KS['client_handshake_traffic_secret']}" in keys
    assert f"SERVER_TRAFFIC_SECRET_0 {cr} {KS['server_application_traffic_secret_0']}" in keys
    assert f"EXPORTER_SECRET {cr} {KS['exporter_master_secret']}" in keys


def test_server_replays_rfc8448() -> None:
    key = _server_key()
    cert = _server_cert()
    rfc_signature = b(H["certificate_verify"])[8:]
    signed: list[bytes] = []

    def sign(scheme: int, content: bytes) -> bytes:
        # RSA-PSS is randomised, so the RFC's signature is injected; it
        # must verify over the content our transcript produced.
        assert scheme == 0x0804
        key.public_key().verify(
            rfc_signature,
            content,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256(),
        )
        signed.append(content)
        return rfc_signature

    ee = EncryptedExtensions.parse(b(H["encrypted_extensions"])[4:])
    hooks = Hooks(
        random=b(V["server_random"]),
        server_private=x25519.X25519PrivateKey.from_private_bytes(
            b(V["server_x25519_private_key"])
        ),
        ee_extra=[(ExtensionType.supported_groups, ee.extensions[ExtensionType.supported_groups])],
        sign=sign,
    )
    cfg = TLSConfig(
        is_client=False,
        cipher_suites=[0x1301],
        groups=[0x001D],
        certificate_chain=[cert],
        private_key=key,
        verify_mode=0,
    )
    conn = Connection(cfg, hooks=hooks)
    conn.receive_data(b(record("client_hello")["record"]))
    out = conn.data_to_send()
    assert out == b(record("server_hello")["record"]) + b(
        record("server_encrypted_handshake_flight")["record"]
    )
    assert len(signed) == 1
    assert conn.server_name == "server"
    events = conn.receive_data(b(record("client_finished")["record"]))
    assert any(isinstance(e, HandshakeComplete) for e in events)
    app = record("client_application_data")
    conn.receive_data(b(app["record"]))
    assert conn.read_application_data() == b(app["content"])


def test_server_rejects_tampered_client_finished() -> None:
    key = _server_key()
    ee = EncryptedExtensions.parse(b(H["encrypted_extensions"])[4:])
    hooks = Hooks(
        random=b(V["server_random"]),
        server_private=x25519.X25519PrivateKey.from_private_bytes(
            b(V["server_x25519_private_key"])
        ),
        ee_extra=[(ExtensionType.supported_groups, ee.extensions[ExtensionType.supported_groups])],
        sign=lambda scheme, content: b(H["certificate_verify"])[8:],
    )
    cfg = TLSConfig(
        is_client=False,
        cipher_suites=[0x1301],
        groups=[0x001D],
        certificate_chain=[_server_cert()],
        private_key=key,
        verify_mode=0,
    )
    conn = Connection(cfg, hooks=hooks)
    conn.receive_data(b(record("client_hello")["record"]))
    rec = bytearray(b(record("client_finished")["record"]))
    rec[-1] ^= 1
    with pytest.raises(Exception) as info:
        conn.receive_data(bytes(rec))
    assert getattr(info.value, "description", None) == 20  # bad_record_mac
