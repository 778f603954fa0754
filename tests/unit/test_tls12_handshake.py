"""TLS 1.2 engine tests in memory: cytls against cytls, version
negotiation, the PRF, renegotiation refusal, the trace, and malformed or
out-of-order server flights with the exact alert."""

from __future__ import annotations

import ssl
from collections.abc import Callable

import pytest
from tls_helpers import Keys, client_config, pair, pki, plaintext_record, pump, server_config

from cytls._connection import Connection
from cytls._handshake.keyschedule import KeySchedule12, prf
from cytls._handshake.state import Hooks
from cytls._wire import messages as m
from cytls._wire.alerts import TLSAlert
from cytls._wire.events import AlertReceived

UNEXPECTED_MESSAGE = 10
HANDSHAKE_FAILURE = 40
ILLEGAL_PARAMETER = 47
DECODE_ERROR = 50
DECRYPT_ERROR = 51
NO_RENEGOTIATION = 100
UNSUPPORTED_EXTENSION = 110


@pytest.mark.parametrize("alg,name", [(1, "sha256"), (2, "sha384")])
def test_prf_matches_python_hmac(alg: int, name: str) -> None:
    # RFC 5246 §5 P_hash written out with the standard library, against
    # the PRF over the C HMAC (interop with OpenSSL and GnuTLS checks it
    # end to end through Finished and the exporter).
    import hashlib
    import hmac

    secret, label, seed = b"\x9b" * 48, b"test label", bytes(range(64))
    out, a = b"", label + seed
    while len(out) < 150:
        a = hmac.new(secret, a, getattr(hashlib, name)).digest()
        out += hmac.new(secret, a + label + seed, getattr(hashlib, name)).digest()
    assert prf(alg, secret, label, seed, 150) == out[:150]
    assert prf(alg, secret, label, seed, 1) == out[:1]


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa", "ed25519"])
@pytest.mark.parametrize("versions", [(0x0303, 0x0304), (0x0304, 0x0303), (0x0303, 0x0303)])
def test_pair_negotiates_tls12(kind: str, versions: tuple[int, int]) -> None:
    keys = Keys()
    p = pki(kind)
    c, s = pair(
        client_config(
            kind,
            max_version=versions[0],
            keylog=keys,
            alpn_protocols=["h2"],
            certificate_chain=p.client_chain,
            private_key=p.client_key,
        ),
        server_config(kind, max_version=versions[1], verify_mode=2, alpn_protocols=["h2"]),
    )
    assert c.version == s.version == 0x0303
    assert c.cipher_suite == s.cipher_suite and c.alpn_protocol == "h2"
    assert s.peer_certificates[0] == p.client and len(c.verified_chain) == 3
    assert c.tls_unique is not None and c.tls_unique == s.tls_unique and len(c.tls_unique) == 12
    assert c.export_keying_material(b"l", b"c", 20) == s.export_keying_material(b"l", b"c", 20)
    assert [ln.split()[0] for ln in keys.lines] == ["CLIENT_RANDOM"]
    c.send_application_data(b"ping")
    s.receive_data(c.data_to_send())
    assert s.read_application_data() == b"ping"
    steps = [t.step for t in c.trace]
    assert steps[:3] == ["send ClientHello", "receive ServerHello", "receive Certificate"]
    for step in ("receive ServerKeyExchange", "receive CertificateRequest", "send Certificate"):
        assert step in steps
    assert steps[-1] == "handshake complete"
    with pytest.raises(ssl.SSLError):
        c.update_key()


def test_tls13_still_preferred() -> None:
    c, s = pair()
    assert c.version == s.version == 0x0304
    # TLS 1.3 defines no tls-unique; OpenSSL's value is the client's Finished.
    assert c.tls_unique is not None and c.tls_unique == s.tls_unique


def test_empty_client_certificate() -> None:
    c, s = pair(client_config(max_version=0x0303), server_config(verify_mode=1))
    assert s.handshake_complete and s.peer_certificates == [] and c.client_auth_requested
    c = Connection(client_config(max_version=0x0303))
    s = Connection(server_config(verify_mode=2))
    c.start_handshake()
    with pytest.raises(TLSAlert) as info:
        pump(c, s)
    assert info.value.description == HANDSHAKE_FAILURE


def test_renegotiation_refused_both_ways() -> None:
    c, s = pair(client_config(max_version=0x0303))
    # Server -> HelloRequest: the client warns and carries on.
    s._record.send(22, m.handshake(0, b""))
    events = c.receive_data(s.data_to_send())
    assert events == []
    assert s.receive_data(c.data_to_send()) == [AlertReceived(NO_RENEGOTIATION, 1)]
    # Client -> ClientHello: the server warns and carries on.
    c._record.send(22, m.ClientHello(b"\x01" * 32, b"", [0xC02B], {}).serialize())
    s.receive_data(c.data_to_send())
    assert c.receive_data(s.data_to_send()) == [AlertReceived(NO_RENEGOTIATION, 1)]
    c.send_application_data(b"still here")
    s.receive_data(c.data_to_send())
    assert s.read_application_data() == b"still here"


def _server_flight(**skw: object) -> tuple[Connection, list[bytes]]:
    """A TLS 1.2 client that sent its ClientHello and the server's first
    flight cut into handshake messages."""
    c = Connection(client_config(max_version=0x0303))
    s = Connection(server_config(**skw))  # type: ignore[arg-type]
    c.start_handshake()
    s.receive_data(c.data_to_send())
    data = s.data_to_send()
    assert data[0] == 22
    body = data[5:]
    msgs = []
    while body:
        n = int.from_bytes(body[1:4], "big")
        msgs.append(body[: 4 + n])
        body = body[4 + n :]
    return c, msgs


def _client_alert(edit: Callable[[list[bytes]], list[bytes]], expected: int, **skw: object) -> None:
    c, msgs = _server_flight(**skw)
    with pytest.raises(TLSAlert) as info:
        c.receive_data(plaintext_record(22, b"".join(edit(msgs))))
    assert info.value.description == expected, info.value
    assert not info.value.received
    assert c.data_to_send().endswith(bytes((2, expected)))


def _edit_sh(fn: Callable[[m.ServerHello], None]) -> Callable[[list[bytes]], list[bytes]]:
    def edit(msgs: list[bytes]) -> list[bytes]:
        sh = m.ServerHello.parse(msgs[0][4:])
        fn(sh)
        return [sh.serialize(), *msgs[1:]]

    return edit


def test_server_hello_checks() -> None:
    def reneg(sh: m.ServerHello) -> None:
        sh.extensions[0xFF01] = b"\x01\x00"

    def encrypt_then_mac(sh: m.ServerHello) -> None:
        # Not offered (session_ticket is: RFC 5077, see test_resume12.py).
        sh.extensions[0x16] = b""

    def suite(sh: m.ServerHello) -> None:
        sh.cipher_suite = 0x1301  # not offered by a TLS 1.2-only client

    def version(sh: m.ServerHello) -> None:
        sh.legacy_version = 0x0302

    def key_share(sh: m.ServerHello) -> None:
        sh.extensions[0x33] = b"\x00\x1d"

    cases = [
        (reneg, HANDSHAKE_FAILURE),
        (encrypt_then_mac, UNSUPPORTED_EXTENSION),
        (suite, ILLEGAL_PARAMETER),
        (version, 70),
        (key_share, ILLEGAL_PARAMETER),
    ]
    for fn, alert in cases:
        _client_alert(_edit_sh(fn), alert)


def test_out_of_order_and_malformed_messages() -> None:
    # ServerHelloDone before ServerKeyExchange.
    _client_alert(lambda ms: [ms[0], ms[1], ms[3], ms[2]], UNEXPECTED_MESSAGE)
    # No Certificate.
    _client_alert(lambda ms: [ms[0], ms[2], ms[3]], UNEXPECTED_MESSAGE)
    # ServerHelloDone with a body.
    _client_alert(lambda ms: [*ms[:3], m.handshake(14, b"\x00")], DECODE_ERROR)
    # A Certificate twice.
    _client_alert(lambda ms: [ms[0], ms[1], ms[1], *ms[2:]], UNEXPECTED_MESSAGE)
    # CertificateRequest twice.
    _client_alert(lambda ms: [*ms[:3], ms[3], ms[3], ms[4]], UNEXPECTED_MESSAGE, verify_mode=1)
    # ServerKeyExchange with a trailing byte.
    _client_alert(
        lambda ms: [ms[0], ms[1], m.handshake(12, ms[2][4:] + b"\x00"), ms[3]], DECODE_ERROR
    )


def test_bad_server_key_exchange_signature() -> None:
    hooks = Hooks(sign=lambda scheme, content: b"\x30\x06\x02\x01\x01\x02\x01\x01")
    c = Connection(client_config(max_version=0x0303))
    s = Connection(server_config(), hooks=hooks)
    c.start_handshake()
    s.receive_data(c.data_to_send())
    with pytest.raises(TLSAlert) as info:
        c.receive_data(s.data_to_send())
    assert info.value.description == DECRYPT_ERROR


def test_change_cipher_spec_at_the_wrong_time() -> None:
    c, msgs = _server_flight()
    ccs = b"\x14\x03\x03\x00\x01\x01"
    with pytest.raises(TLSAlert) as info:
        c.receive_data(plaintext_record(22, msgs[0]) + ccs)
    assert info.value.description == UNEXPECTED_MESSAGE
    # After the handshake, a CCS is unexpected too.
    c, s = pair(client_config(max_version=0x0303))
    with pytest.raises(TLSAlert) as info:
        s.receive_data(ccs)
    assert info.value.description == UNEXPECTED_MESSAGE


def test_server_can_require_extended_master_secret_and_tls12() -> None:
    c = Connection(client_config(max_version=0x0303))
    c.start_handshake()
    raw = c.data_to_send()
    ch = m.ClientHello.parse(raw[9:])
    del ch.extensions[0x17]
    body = ch.serialize()
    s = Connection(server_config(require_extended_master_secret=True))
    with pytest.raises(TLSAlert) as info:
        s.receive_data(plaintext_record(22, body))
    assert info.value.description == HANDSHAKE_FAILURE
    s = Connection(server_config(min_version=0x0304))
    with pytest.raises(TLSAlert) as info:
        s.receive_data(raw)
    assert info.value.description == 70


def test_exporter_context_none_differs_from_empty() -> None:
    ks = KeySchedule12(0xC02B, b"\x01" * 32, b"\x02" * 32)
    ks.master_secret = b"\x03" * 48
    assert ks.export(b"x", None, 16) != ks.export(b"x", b"", 16)
