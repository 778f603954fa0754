"""Hostile and malformed input to a TLS 1.3 client: every case ends the
connection with the alert RFC 8446 names, raised as TLSAlert and queued for
the peer (the server side is test_tls13_malformed_server.py)."""


from collections.abc import Callable

import pytest
from malformed13 import (
    BAD_RECORD_MAC,
    DECODE_ERROR,
    DECRYPT_ERROR,
    ILLEGAL_PARAMETER,
    MISSING_EXTENSION,
    UNEXPECTED_MESSAGE,
    UNSUPPORTED_EXTENSION,
    client_alert,
    edit_server_hello,
    exts_raw,
    hs_record,
    server_flight,
)
from tls_helpers import (
    client_config,
    open_records,
    pair,
    pump,
    seal_records,
    server_config,
    split_handshake,
    split_records,
)

from cytls._connection import Connection
from cytls._wire.alerts import TLSAlert
from cytls._wire.codec import vec8, vec16
from cytls._wire.messages import ServerHello, handshake

# ------------------------------------------------------------ client side


def test_server_hello_checks() -> None:
    def tls12(sh: ServerHello) -> None:
        del sh.extensions[0x2B]

    def sentinel(sh: ServerHello) -> None:
        del sh.extensions[0x2B]
        sh.random = sh.random[:24] + b"DOWNGRD\x01"

    def echo(sh: ServerHello) -> None:
        sh.session_id = b"\x00" * 32

    def suite(sh: ServerHello) -> None:
        sh.cipher_suite = 0x1304

    def unknown_ext(sh: ServerHello) -> None:
        sh.extensions[0x1234] = b""

    def alpn_in_sh(sh: ServerHello) -> None:
        sh.extensions[0x10] = b"\x00\x03\x02h2"

    def version(sh: ServerHello) -> None:
        sh.extensions[0x2B] = b"\x03\x03"

    def group(sh: ServerHello) -> None:
        sh.extensions[0x33] = b"\x00\x17" + vec16(b"\x04" * 65)

    def compression(sh: ServerHello) -> None:
        sh.compression = 1

    def no_key_share(sh: ServerHello) -> None:
        del sh.extensions[0x33]

    cases = [
        # A TLS 1.2 ServerHello may not carry key_share.
        (tls12, ILLEGAL_PARAMETER),
        (sentinel, ILLEGAL_PARAMETER),
        (echo, ILLEGAL_PARAMETER),
        (suite, ILLEGAL_PARAMETER),
        (unknown_ext, UNSUPPORTED_EXTENSION),
        (alpn_in_sh, ILLEGAL_PARAMETER),
        (version, ILLEGAL_PARAMETER),
        (group, ILLEGAL_PARAMETER),
        (compression, ILLEGAL_PARAMETER),
        (no_key_share, MISSING_EXTENSION),
    ]
    for edit, alert in cases:
        c, rec = edit_server_hello(edit)
        client_alert(c, rec, alert)


def test_server_hello_duplicate_extension() -> None:
    c, out, _, _ = server_flight()
    msg = split_records(out)[0][5:]
    sh = ServerHello.parse(msg[9 - 5 :])
    pairs = list(sh.extensions.items())
    body = (
        b"\x03\x03"
        + sh.random
        + vec8(sh.session_id)
        + sh.cipher_suite.to_bytes(2, "big")
        + b"\x00"
        + exts_raw([*pairs, pairs[-1]])
    )
    client_alert(c, hs_record(handshake(2, body)), ILLEGAL_PARAMETER)


def mitm(
    edit: Callable[[list[bytes]], list[bytes]],
    server_kw: dict[str, object] | None = None,
    **ckw: object,
) -> tuple[Connection, bytes]:
    """Decrypt the server's encrypted flight, edit its messages, re-seal."""
    c, out, keys, suite = server_flight(server_kw, **ckw)
    recs = split_records(out)
    plain = [r for r in recs if r[0] in (22, 20)]
    sealed = [r for r in recs if r[0] == 23]
    items = open_records(suite, keys.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"), sealed)
    msgs = split_handshake(b"".join(p for t, p in items if t == 22))
    msgs = edit(msgs)
    resealed = seal_records(
        suite, keys.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"), [(22, b"".join(msgs))]
    )
    return c, b"".join(plain) + resealed


def test_mitm_control() -> None:
    c, data = mitm(lambda m: m)
    c.receive_data(data)
    assert c.handshake_complete


def _set(i: int, new: bytes) -> Callable[[list[bytes]], list[bytes]]:
    def f(m: list[bytes]) -> list[bytes]:
        m = list(m)
        m[i] = new
        return m

    return f


def test_encrypted_flight_checks() -> None:
    # Messages: EE, Certificate, CertificateVerify, Finished.
    c, data = mitm(lambda m: [m[1], m[0], *m[2:]])
    client_alert(c, data, UNEXPECTED_MESSAGE)
    c, data = mitm(_set(0, handshake(8, exts_raw([(0x10, b"\x00\x03\x02h2")]))))
    client_alert(c, data, UNSUPPORTED_EXTENSION)
    c, data = mitm(_set(0, handshake(8, exts_raw([(0x33, b"")]))))
    client_alert(c, data, ILLEGAL_PARAMETER)
    c, data = mitm(_set(0, handshake(8, exts_raw([(0x1C, b""), (0x1C, b"")]))))
    client_alert(c, data, ILLEGAL_PARAMETER)
    c, data = mitm(_set(1, handshake(11, b"\x00\x00\x00\x00")))
    client_alert(c, data, DECODE_ERROR)
    c, data = mitm(_set(1, handshake(11, b"\x00\x00\x00\x05\x00\x00\x01\x30\x00")))
    client_alert(c, data, DECODE_ERROR)
    c, data = mitm(_set(1, handshake(11, b"\x00\x00\x00\x06\x00\x00\x01\x30\x00\x00")))
    assert client_alert(c, data, 42).description == 42  # bad_certificate


def test_bad_certificate_verify_and_finished() -> None:
    def flip_sig(m: list[bytes]) -> list[bytes]:
        cv = bytearray(m[2])
        cv[-1] ^= 1
        return [m[0], m[1], bytes(cv), m[3]]

    c, data = mitm(flip_sig)
    client_alert(c, data, DECRYPT_ERROR)

    def scheme(m: list[bytes]) -> list[bytes]:
        cv = bytearray(m[2])
        cv[4:6] = b"\x04\x01"  # rsa_pkcs1_sha256: never valid in CertificateVerify
        return [m[0], m[1], bytes(cv), m[3]]

    c, data = mitm(scheme)
    client_alert(c, data, ILLEGAL_PARAMETER)

    def flip_fin(m: list[bytes]) -> list[bytes]:
        fin = bytearray(m[3])
        fin[-1] ^= 1
        return [*m[:3], bytes(fin)]

    c, data = mitm(flip_fin)
    client_alert(c, data, DECRYPT_ERROR)

    c, data = mitm(lambda m: [*m[:3], handshake(20, m[3][4:-1])])
    client_alert(c, data, DECODE_ERROR)
    # A truncated message only waits for more bytes.
    c, data = mitm(lambda m: [*m[:3], m[3][:-1]])
    assert c.receive_data(data) == [] and not c.handshake_complete
    c, data = mitm(lambda m: [m[0], m[1], m[3]])
    client_alert(c, data, UNEXPECTED_MESSAGE)


def test_tampered_record() -> None:
    c, out, _, _ = server_flight()
    rec = bytearray(out)
    rec[-1] ^= 1
    client_alert(c, bytes(rec), BAD_RECORD_MAC)


def test_post_handshake_checks() -> None:
    c, s = pair()
    keys_bad = handshake(24, b"\x02")
    s._ctx.send_handshake(keys_bad)
    with pytest.raises(TLSAlert) as info:
        pump(c, s)
    assert info.value.description == ILLEGAL_PARAMETER
    c, s = pair()
    c._ctx.send_handshake(handshake(4, b"\x00" * 12))
    with pytest.raises(TLSAlert) as info:
        pump(c, s)
    assert info.value.description == UNEXPECTED_MESSAGE
    c, s = pair()
    s._ctx.send_handshake(handshake(20, b"\x00" * 32))
    with pytest.raises(TLSAlert) as info:
        pump(c, s)
    assert info.value.description == UNEXPECTED_MESSAGE


def test_certificate_request_checks() -> None:
    ask = {"verify_mode": 1}
    c, data = mitm(lambda m: m, ask)
    c.receive_data(data)
    assert c.handshake_complete and c.client_auth_requested
    sigalgs = (0x0D, vec16(b"\x04\x03"))
    c, data = mitm(_set(1, handshake(13, b"\x00" + exts_raw([(0x2F, b"\x00\x00")]))), ask)
    client_alert(c, data, MISSING_EXTENSION)
    c, data = mitm(_set(1, handshake(13, b"\x00" + exts_raw([sigalgs, (0x2F, b"\x00\x00")]))), ask)
    client_alert(c, data, DECODE_ERROR)
    c, data = mitm(_set(1, handshake(13, b"\x01\x07" + exts_raw([sigalgs]))), ask)
    client_alert(c, data, ILLEGAL_PARAMETER)
    c, data = mitm(_set(1, handshake(13, b"\x00" + exts_raw([sigalgs, (0x2B, b"\x03\x04")]))), ask)
    client_alert(
        c, data, ILLEGAL_PARAMETER
    )  # supported_versions may not appear in a CertificateRequest
    # Two CertificateRequests.
    c, data = mitm(lambda m: [m[0], m[1], m[1], *m[2:]], ask)
    client_alert(c, data, UNEXPECTED_MESSAGE)


def test_more_encrypted_flight_checks() -> None:
    alpn = (0x10, b"\x00\x09\x08http/1.1")
    c, data = mitm(_set(0, handshake(8, exts_raw([alpn]))), alpn_protocols=["h2"])
    client_alert(c, data, ILLEGAL_PARAMETER)
    c, data = mitm(_set(0, handshake(8, exts_raw([(0x0A, vec16(b"\x00\x17"))]))))
    # supported_groups in EncryptedExtensions is accepted; the signature
    # over the transcript then catches the tampering.
    client_alert(c, data, DECRYPT_ERROR)
    c, data = mitm(_set(0, handshake(8, exts_raw([(0x0A, b"\x00\x01\x17")]))))
    client_alert(c, data, DECODE_ERROR)

    def context(m: list[bytes]) -> list[bytes]:
        body = m[1][4:]
        return [m[0], handshake(11, b"\x01\x05" + body[1:]), *m[2:]]

    c, data = mitm(context)
    client_alert(c, data, ILLEGAL_PARAMETER)

    def entry_ext(m: list[bytes]) -> list[bytes]:
        # Give the first entry a status_request extension we never asked for.
        body = m[1][4:]
        n = int.from_bytes(body[4:7], "big")
        first = body[4 : 7 + n] + b"\x00\x05" + b"\x00\x05\x00\x01\x00"
        rest = body[7 + n + 2 :]
        lst = first + rest
        return [m[0], handshake(11, b"\x00" + len(lst).to_bytes(3, "big") + lst), *m[2:]]

    c, data = mitm(entry_ext)
    client_alert(c, data, UNSUPPORTED_EXTENSION)

    def cv_scheme(m: list[bytes]) -> list[bytes]:
        cv = bytearray(m[2])
        cv[4:6] = b"\x02\x01"  # rsa_pkcs1_sha1, never offered
        return [m[0], m[1], bytes(cv), m[3]]

    c, data = mitm(cv_scheme)
    client_alert(c, data, ILLEGAL_PARAMETER)
    c, data = mitm(lambda m: [m[0], m[1], m[2], m[2], m[3]])
    client_alert(c, data, UNEXPECTED_MESSAGE)


# ------------------------------------------------ HelloRetryRequest (client)


def _hrr_setup() -> tuple[Callable[[], Connection], bytes, bytes]:
    """A factory of identical deterministic clients, the server's
    HelloRetryRequest to them, and the server's answer to their second
    ClientHello (recorded once, valid for every client from the factory)."""
    from cryptography.hazmat.primitives.asymmetric import ec, x25519

    from cytls._handshake.state import Hooks

    xkey = x25519.X25519PrivateKey.from_private_bytes(bytes(range(32)))
    pkey = ec.derive_private_key(12345, ec.SECP384R1())
    cfg = client_config(groups=[0x001D, 0x0018], key_share_groups=[0x001D])

    def client() -> Connection:
        hooks = Hooks(
            random=b"\x01" * 32, session_id=b"\x02" * 32, key_shares={0x001D: xkey, 0x0018: pkey}
        )
        c = Connection(cfg, hooks=hooks)
        c.start_handshake()
        return c

    s = Connection(server_config(groups=[0x0018]))
    probe = client()
    s.receive_data(probe.data_to_send())
    hrr_out = s.data_to_send()
    probe.receive_data(hrr_out)
    s.receive_data(probe.data_to_send())
    final = s.data_to_send()
    return client, split_records(hrr_out)[0][5:], final


def test_hello_retry_request_checks() -> None:
    client, hrr, final = _hrr_setup()
    c = client()
    c.data_to_send()
    c.receive_data(hs_record(hrr))
    c.data_to_send()
    c.receive_data(final)
    assert c.handshake_complete and c.group == 0x0018

    def edited(edit: Callable[[ServerHello], None]) -> bytes:
        sh = ServerHello.parse(hrr[4:])
        edit(sh)
        return hs_record(sh.serialize())

    # A second HelloRetryRequest.
    c = client()
    c.receive_data(hs_record(hrr))
    client_alert(c, hs_record(hrr), UNEXPECTED_MESSAGE)

    def group_sent(sh: ServerHello) -> None:
        sh.extensions[0x33] = b"\x00\x1d"  # we already sent an X25519 share

    def group_not_offered(sh: ServerHello) -> None:
        sh.extensions[0x33] = b"\x00\x19"

    def no_change(sh: ServerHello) -> None:
        del sh.extensions[0x33]
        sh.extensions.pop(0x2C, None)

    for edit in (group_sent, group_not_offered, no_change):
        c = client()
        client_alert(c, edited(edit), ILLEGAL_PARAMETER)

    # The ServerHello after the retry must keep the suite and carry no cookie.
    sh_rec = split_records(final)[0]
    for change in ("suite", "cookie"):
        c = client()
        c.receive_data(hs_record(hrr))
        c.data_to_send()
        sh = ServerHello.parse(sh_rec[9:])
        if change == "suite":
            sh.cipher_suite = 0x1302 if sh.cipher_suite != 0x1302 else 0x1301
        else:
            sh.extensions[0x2C] = vec16(b"\x01")
        client_alert(c, hs_record(sh.serialize()), ILLEGAL_PARAMETER)
