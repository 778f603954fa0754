"""cytls client <-> cytls server in memory: every suite, group and key
type, client authentication, HelloRetryRequest, ALPN, SNI callback,
exporter, KeyUpdate, close_notify, key log, trace, and every certificate
failure with the ssl module's verify code and message."""

from __future__ import annotations

import datetime
import ssl
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from tls_helpers import (
    DAY,
    NOW,
    client_config,
    make_ca,
    make_key,
    make_leaf,
    pair,
    pki,
    pump,
    server_config,
    split_records,
)

from cytls._connection import Connection
from cytls._handshake.config import TLSConfig
from cytls._wire.alerts import CertificateVerifyFailed, TLSAlert
from cytls._wire.events import (
    AlertReceived,
    ApplicationDataReceived,
    ConnectionClosed,
    HandshakeComplete,
    KeyUpdated,
)

SUITES = [0x1301, 0x1302, 0x1303]
GROUPS = [0x11EC, 0x001D, 0x0017, 0x0018]


def roundtrip(c: Connection, s: Connection, data: bytes = b"ping") -> None:
    c.send_application_data(data)
    _, es = pump(c, s)
    assert any(isinstance(e, ApplicationDataReceived) for e in es)
    assert s.read_application_data() == data
    s.send_application_data(data[::-1])
    pump(c, s)
    assert c.read_application_data() == data[::-1]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("group", GROUPS)
def test_suites_and_groups(suite: int, group: int) -> None:
    c, s = pair(
        client_config(cipher_suites=[suite], groups=[group], key_share_groups=[group]),
        server_config(cipher_suites=SUITES),
    )
    assert c.handshake_complete and s.handshake_complete
    assert c.cipher_suite == s.cipher_suite == suite
    assert c.group == s.group == group
    assert c.version == s.version == 0x0304
    roundtrip(c, s, bytes(range(256)) * 200)


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa", "ed25519"])
def test_key_types(kind: str) -> None:
    c, s = pair(client_config(kind), server_config(kind))
    assert c.handshake_complete
    assert c.peer_certificates == pki(kind).chain
    assert c.verified_chain[-1] == pki(kind).root
    roundtrip(c, s)


def test_default_offer_uses_hybrid_group() -> None:
    c, _s = pair()
    assert c.group == 0x11EC


def test_server_picks_its_preferred_suite_or_the_clients() -> None:
    ccfg = client_config(cipher_suites=[0x1303, 0x1301])
    c, _ = pair(ccfg, server_config(cipher_suites=[0x1301, 0x1303]))
    assert c.cipher_suite == 0x1301
    c, _ = pair(ccfg, server_config(cipher_suites=[0x1301, 0x1303], server_preference=False))
    assert c.cipher_suite == 0x1303


def test_no_common_suite() -> None:
    c = Connection(client_config(cipher_suites=[0x1303]))
    s = Connection(server_config(cipher_suites=[0x1301]))
    c.start_handshake()
    with pytest.raises(TLSAlert) as info:
        s.receive_data(c.data_to_send())
    assert info.value.description == 40  # handshake_failure
    with pytest.raises(TLSAlert) as cinfo:
        c.receive_data(s.data_to_send())
    assert cinfo.value.received and cinfo.value.description == 40


def test_hello_retry_request_between_cytls_peers() -> None:
    c, s = pair(
        client_config(groups=[0x001D, 0x0018], key_share_groups=[0x001D]),
        server_config(groups=[0x0018, 0x0017]),
    )
    assert c.group == s.group == 0x0018
    assert "send HelloRetryRequest" in [t.step for t in s.trace]
    assert "send ClientHello (retry)" in [t.step for t in c.trace]
    roundtrip(c, s)


def test_client_auth_required_and_given() -> None:
    p = pki("p256")
    c, s = pair(
        client_config(certificate_chain=p.client_chain, private_key=p.client_key),
        server_config(verify_mode=2),
    )
    assert s.handshake_complete and s.peer_certificates == p.client_chain
    assert s.verified_chain[-1] == p.root
    roundtrip(c, s)


def test_client_auth_required_and_missing() -> None:
    c = Connection(client_config())
    s = Connection(server_config(verify_mode=2))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())  # the client completes its side
    assert c.handshake_complete
    with pytest.raises(TLSAlert) as info:
        s.receive_data(c.data_to_send())
    assert info.value.description == 116 and not info.value.received
    with pytest.raises(TLSAlert) as cinfo:
        c.receive_data(s.data_to_send())
    assert cinfo.value.received and cinfo.value.description == 116


def test_client_auth_optional_and_missing() -> None:
    c, s = pair(client_config(), server_config(verify_mode=1))
    assert s.handshake_complete and s.peer_certificates == []
    assert c.client_auth_requested


def test_client_certificate_from_unknown_ca_is_refused() -> None:
    other = pki("p384")
    c = Connection(
        client_config(certificate_chain=other.client_chain, private_key=other.client_key)
    )
    s = Connection(server_config(verify_mode=2))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    c.receive_data(s.data_to_send())
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        s.receive_data(c.data_to_send())
    assert info.value.verify_code == 20
    assert info.value.description == 48  # unknown_ca


def test_alpn() -> None:
    c, s = pair(
        client_config(alpn_protocols=["h2", "http/1.1"]),
        server_config(alpn_protocols=["http/1.1", "h2"]),
    )
    assert c.alpn_protocol == s.alpn_protocol == "http/1.1"
    c, s = pair(client_config(alpn_protocols=["h2"]), server_config())
    assert c.alpn_protocol is None and s.alpn_protocol is None


def test_alpn_mismatch() -> None:
    """No protocol in common: on without ALPN (OpenSSL's default)."""
    c, s = pair(client_config(alpn_protocols=["h2"]), server_config(alpn_protocols=["http/1.1"]))
    assert c.alpn_protocol is None and s.alpn_protocol is None


def test_alpn_mismatch_strict() -> None:
    c = Connection(client_config(alpn_protocols=["h2"]))
    s = Connection(server_config(alpn_protocols=["http/1.1"], alpn_strict=True))
    c.start_handshake()
    with pytest.raises(TLSAlert) as info:
        s.receive_data(c.data_to_send())
    assert info.value.description == 120
    assert info.value.reason == "NO_APPLICATION_PROTOCOL"


def test_sni_callback_swaps_certificate_and_aborts() -> None:
    other = pki("rsa")
    alt = TLSConfig(is_client=False, certificate_chain=other.chain, private_key=other.leaf_key)
    seen: list[Any] = []

    def callback(name: str | None) -> Any:
        seen.append(name)
        if name == "example.com":
            return alt
        if name == "blocked.example":
            return 112  # unrecognized_name
        return None

    c, s = pair(
        client_config("rsa", server_hostname="example.com"),
        server_config(sni_callback=callback),
    )
    assert c.peer_certificates == other.chain and s.server_name == "example.com"
    c = Connection(client_config(server_hostname="blocked.example", check_hostname=False))
    s = Connection(server_config(sni_callback=callback))
    c.start_handshake()
    with pytest.raises(TLSAlert) as info:
        s.receive_data(c.data_to_send())
    assert info.value.description == 112
    assert seen == ["example.com", "blocked.example"]


def test_ip_address_is_not_sent_as_sni() -> None:
    c, s = pair(client_config(server_hostname="127.0.0.1"), server_config())
    assert c.handshake_complete and s.server_name is None


def test_exporter_agrees() -> None:
    c, s = pair()
    a = c.export_keying_material(b"EXPERIMENTAL test", b"ctx", 42)
    assert a == s.export_keying_material(b"EXPERIMENTAL test", b"ctx", 42)
    assert len(a) == 42
    assert a != c.export_keying_material(b"EXPERIMENTAL test", b"other", 42)
    assert c.export_keying_material(b"x", None, 16) == s.export_keying_material(b"x", b"", 16)


def test_key_update_both_ways() -> None:
    c, s = pair()
    c.update_key(request_peer=True)
    ec, es = pump(c, s)
    assert KeyUpdated(True) in es and KeyUpdated(False) in ec
    roundtrip(c, s)
    s.update_key(request_peer=False)
    ec, es = pump(c, s)
    assert ec == [KeyUpdated(False)] and es == []
    roundtrip(c, s)


def test_close_notify() -> None:
    c, s = pair()
    c.send_application_data(b"last words")
    c.close()
    _, es = pump(c, s)
    assert s.read_application_data() == b"last words"
    assert any(isinstance(e, ConnectionClosed) for e in es) and s.peer_closed
    s.close()
    _ec, _ = pump(c, s)
    assert c.peer_closed
    with pytest.raises(ssl.SSLError):
        c.send_application_data(b"more")


def test_keylog_and_trace() -> None:
    lc: list[str] = []
    ls: list[str] = []
    c, _s = pair(client_config(keylog=lc.append), server_config(keylog=ls.append))
    assert sorted(lc) == sorted(ls) and len(lc) == 5
    labels = {ln.split()[0] for ln in lc}
    assert labels == {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    }
    steps = [t.step for t in c.trace]
    assert steps[0] == "send ClientHello" and steps[-1] == "handshake complete"
    assert "verify certificate chain" in steps and "verify CertificateVerify" in steps
    times = [t.time for t in c.trace]
    assert times == sorted(times)


def test_handshake_complete_event_and_application_data_before_complete() -> None:
    c = Connection(client_config())
    s = Connection(server_config())
    c.start_handshake()
    with pytest.raises(ssl.SSLError):
        c.send_application_data(b"too early")
    s.receive_data(c.data_to_send())
    events = c.receive_data(s.data_to_send())
    assert HandshakeComplete(0x0304, c.cipher_suite or 0, c.group, None) in events


def test_middlebox_compatibility_ccs() -> None:
    c = Connection(client_config())
    s = Connection(server_config())
    c.start_handshake()
    s.receive_data(c.data_to_send())
    flight = s.data_to_send()
    assert b"\x14\x03\x03\x00\x01\x01" in flight
    c.receive_data(flight)
    assert c.data_to_send().startswith(b"\x14\x03\x03\x00\x01\x01")


def test_byte_at_a_time_delivery() -> None:
    c = Connection(client_config())
    s = Connection(server_config())
    c.start_handshake()
    for byte in c.data_to_send():
        s.receive_data(bytes((byte,)))
    for byte in s.data_to_send():
        c.receive_data(bytes((byte,)))
    for byte in c.data_to_send():
        s.receive_data(bytes((byte,)))
    assert c.handshake_complete and s.handshake_complete


def test_errors_are_sticky() -> None:
    s = Connection(server_config())
    with pytest.raises(TLSAlert) as first:
        s.receive_data(b"\x16\x03\x01\x00\x04\x14\x00\x00\x00")
    with pytest.raises(TLSAlert) as second:
        s.receive_data(b"anything")
    assert first.value is second.value


# ------------------------------------------------------ certificate failures


def _fail_client(chain: list[x509.Certificate], key: Any, **ckw: Any) -> CertificateVerifyFailed:
    s = Connection(server_config(certificate_chain=chain, private_key=key))
    c = Connection(client_config(**ckw))
    c.start_handshake()
    s.receive_data(c.data_to_send())
    with pytest.raises(CertificateVerifyFailed) as info:
        c.receive_data(s.data_to_send())
    # The alert went to the server, which reports it as received.
    with pytest.raises(TLSAlert) as sinfo:
        s.receive_data(c.data_to_send())
    assert sinfo.value.received and sinfo.value.description == info.value.description
    assert isinstance(info.value, ssl.SSLCertVerificationError)
    return info.value


def test_expired() -> None:
    p = pki()
    leaf, key = make_leaf((p.inter, p.inter_key), not_before=NOW - 10 * DAY, not_after=NOW - DAY)
    err = _fail_client([leaf, p.inter], key)
    assert (err.verify_code, err.verify_message) == (10, "certificate has expired")
    assert err.description == 45
    assert "certificate verify failed: certificate has expired" in str(err)


def test_not_yet_valid() -> None:
    p = pki()
    leaf, key = make_leaf((p.inter, p.inter_key), not_before=NOW + DAY, not_after=NOW + 9 * DAY)
    err = _fail_client([leaf, p.inter], key)
    assert (err.verify_code, err.verify_message) == (9, "certificate is not yet valid")


def test_unknown_ca() -> None:
    other = pki("p384")
    err = _fail_client(other.chain, other.leaf_key)
    assert (err.verify_code, err.verify_message) == (20, "unable to get local issuer certificate")
    assert err.description == 48


def test_self_signed_leaf() -> None:
    cert, key = make_ca("localhost", ca=False)
    err = _fail_client([cert], key)
    assert (err.verify_code, err.verify_message) == (18, "self-signed certificate")


def test_wrong_hostname() -> None:
    p = pki()
    err = _fail_client(p.chain, p.leaf_key, server_hostname="wrong.example")
    assert err.verify_code == 62
    assert err.verify_message == "Hostname mismatch, certificate is not valid for 'wrong.example'."


def test_wrong_ip_address() -> None:
    p = pki()
    err = _fail_client(p.chain, p.leaf_key, server_hostname="10.1.2.3")
    assert err.verify_code == 64
    assert err.verify_message == "IP address mismatch, certificate is not valid for '10.1.2.3'."


def test_hostname_check_off() -> None:
    c, _ = pair(client_config(server_hostname="wrong.example", check_hostname=False))
    assert c.handshake_complete and c.verified_chain


def test_verify_none_accepts_anything() -> None:
    other = pki("p384")
    c, _ = pair(
        client_config(verify_mode=0, check_hostname=False),
        server_config(certificate_chain=other.chain, private_key=other.leaf_key),
    )
    assert c.handshake_complete and c.verified_chain == []


def test_wrong_key_usage() -> None:
    p = pki()
    ku = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    leaf, key = make_leaf((p.inter, p.inter_key), key_usage=ku)
    err = _fail_client([leaf, p.inter], key)
    assert (err.verify_code, err.verify_message) == (26, "unsuitable certificate purpose")


def test_wrong_extended_key_usage() -> None:
    p = pki()
    leaf, key = make_leaf((p.inter, p.inter_key), eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    err = _fail_client([leaf, p.inter], key)
    assert err.verify_code == 26


def test_bad_signature_in_chain() -> None:
    p = pki()
    leaf, key = make_leaf((p.inter, p.inter_key))
    der = bytearray(leaf.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # the last byte of the ECDSA signature's s
    forged = x509.load_der_x509_certificate(bytes(der))
    err = _fail_client([forged, p.inter], key)
    assert (err.verify_code, err.verify_message) == (7, "certificate signature failure")
    assert err.description == 51  # decrypt_error, as OpenSSL sends


def test_impostor_intermediate_is_not_an_issuer() -> None:
    p = pki()
    # Same name as the real intermediate, another key: the leaf's authority
    # key identifier rules the real one out, as in OpenSSL.
    impostor = make_ca("cytls test intermediate", make_key("p256"), issuer=(p.root, p.root_key))
    leaf, key = make_leaf(impostor)
    err = _fail_client([leaf, p.inter], key)
    assert err.verify_code == 20


def test_expired_intermediate() -> None:
    p = pki()
    inter = make_ca(
        "old intermediate",
        make_key("p256"),
        issuer=(p.root, p.root_key),
        not_before=NOW - 30 * DAY,
        not_after=NOW - DAY,
    )
    leaf, key = make_leaf(inter, not_after=NOW + DAY)
    err = _fail_client([leaf, inter[0]], key)
    assert err.verify_code == 10


def test_injected_clock() -> None:
    p = pki()
    later = NOW + 400 * DAY
    err = _fail_client(p.chain, p.leaf_key, now=lambda: later)
    assert err.verify_code == 10
    c, _ = pair(client_config(now=lambda: NOW + datetime.timedelta(hours=1)))
    assert c.handshake_complete


def test_post_handshake_auth_between_cytls_peers() -> None:
    p = pki("p256")
    c, s = pair(
        client_config(
            post_handshake_auth=True, certificate_chain=p.client_chain, private_key=p.client_key
        ),
        server_config(verify_mode=2),
    )
    # verify_mode 2 asks during the handshake; ask again afterwards.
    assert s.peer_certificates == p.client_chain
    s.request_client_certificate()
    pump(c, s)
    assert "verify client Finished (post-handshake)" in [t.step for t in s.trace]
    roundtrip(c, s)


def test_post_handshake_auth_refused_and_not_offered() -> None:
    c, s = pair(client_config(post_handshake_auth=True), server_config(verify_mode=0))
    s._ctx.config = server_config(verify_mode=2)  # now insist
    s.request_client_certificate()
    with pytest.raises(TLSAlert) as info:
        pump(c, s)
    assert info.value.description == 116
    c, s = pair()
    with pytest.raises(ssl.SSLError):
        s.request_client_certificate()
    with pytest.raises(ssl.SSLError):
        c.request_client_certificate()


def test_internationalized_host_name() -> None:
    p = pki()
    leaf, key = make_leaf((p.inter, p.inter_key), ("xn--bcher-kva.example",))
    c, s = pair(
        client_config(server_hostname="bücher.example"),
        server_config(certificate_chain=[leaf, p.inter], private_key=key),
    )
    assert c.handshake_complete and s.server_name == "xn--bcher-kva.example"
    err = _fail_client([leaf, p.inter], key, server_hostname="bäcker.example")
    assert err.verify_code == 62


def test_partial_reads_and_user_canceled() -> None:
    c, s = pair()
    c.send_application_data(b"0123456789")
    pump(c, s)
    assert s.pending_application_data() == 10
    assert s.read_application_data(4) == b"0123"
    assert s.pending_application_data() == 6
    assert s.read_application_data() == b"456789"
    # user_canceled is a warning: reported, not fatal.
    c._record.send(21, b"\x01\x5a")
    _, es = pump(c, s)
    assert es == [AlertReceived(90, 1)]
    roundtrip(c, s)
    assert s.session_tickets == [] and c.session_tickets == []


def test_key_update_requests_coalesce() -> None:
    c, s = pair()
    for _ in range(5):
        c.update_key(request_peer=True)
    _, es = pump(c, s)
    assert es.count(KeyUpdated(True)) == 5
    # One answer for five requests, sent with the next flush.
    assert [t.step for t in s.trace].count("send KeyUpdate") == 1
    roundtrip(c, s)


def test_ticket_list_is_bounded() -> None:
    from cytls._wire.messages import NewSessionTicketMsg

    c, s = pair()
    for i in range(20):
        s._ctx.send_handshake(NewSessionTicketMsg(60, i, bytes([i]), b"ticket", {}).serialize())
    ec, _ = pump(c, s)
    assert len(ec) == 20 and len(c.session_tickets) == 8
    assert c.session_tickets[-1].age_add == 19


def test_openssl_chain_rules() -> None:
    """Path length, unknown critical extensions, name constraints and weak
    keys fail with OpenSSL's codes (the ssl-module parity of these lives in
    tests/interop/test_ssl_module.py)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ObjectIdentifier

    p = pki()
    # pathLen 0 on the intermediate, with another CA below it.
    inter0 = make_ca("pathlen0", make_key("p256"), issuer=(p.root, p.root_key))
    cert0 = inter0[0]
    b = (
        x509.CertificateBuilder()
        .subject_name(cert0.subject)
        .issuer_name(p.root.subject)
        .public_key(inter0[1].public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY * 30)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    )
    inter0 = (b.sign(p.root_key, hashes.SHA256()), inter0[1])
    sub = make_ca("sub CA", make_key("p256"), issuer=inter0)
    leaf, key = make_leaf(sub)
    assert _fail_client([leaf, sub[0], inter0[0]], key).verify_code == 25

    unknown = x509.UnrecognizedExtension(ObjectIdentifier("1.2.3.4.5"), b"\x05\x00")
    leaf, key = make_leaf((p.inter, p.inter_key), extra=[(unknown, True)])
    assert _fail_client([leaf, p.inter], key).verify_code == 34

    nc = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName("example.org")], excluded_subtrees=None
    )
    constrained = make_ca(
        "constrained", make_key("p256"), issuer=(p.root, p.root_key), extra=[(nc, True)]
    )
    leaf, key = make_leaf(constrained)
    assert _fail_client([leaf, constrained[0]], key).verify_code == 47

    weak = rsa.generate_private_key(65537, 1024)
    leaf, key = make_leaf((p.inter, p.inter_key), key=weak)
    s = Connection(server_config(certificate_chain=[leaf, p.inter], private_key=key))
    c = Connection(client_config())
    c.start_handshake()
    s.receive_data(c.data_to_send())
    with pytest.raises(TLSAlert) as info:
        c.receive_data(s.data_to_send())
    # Security level 2, as OpenSSL's verification reports it.
    assert info.value.reason == "CERTIFICATE_VERIFY_FAILED"
    assert info.value.verify_code == 66 and info.value.description == 42
    assert "EE certificate key too weak" in str(info.value)


def test_tiny_records_split_every_message() -> None:
    """With 64-byte fragments every handshake message spans many records,
    plaintext and protected, in both directions."""
    p = pki("rsa")
    c, s = pair(
        client_config(
            "rsa", max_fragment=64, certificate_chain=p.client_chain, private_key=p.client_key
        ),
        server_config("rsa", max_fragment=64, verify_mode=2),
    )
    assert c.handshake_complete and s.handshake_complete
    c.send_application_data(b"x" * 1000)
    out = c.data_to_send()
    assert len(out) > 1000 + 15 * 22  # at least 16 records
    s.receive_data(out)
    assert s.read_application_data() == b"x" * 1000


def test_server_chain_from_sni_callback_only() -> None:
    p = pki()
    full = server_config()

    def cb(name: str | None) -> TLSConfig | None:
        return full if name == "localhost" else None

    bare = TLSConfig(is_client=False, sni_callback=cb, verify_mode=0)
    c, s = pair(client_config(), bare)
    assert c.handshake_complete and c.peer_certificates == p.chain
    c = Connection(client_config(server_hostname="other.example", check_hostname=False))
    s = Connection(bare)
    c.start_handshake()
    with pytest.raises(TLSAlert) as info:
        s.receive_data(c.data_to_send())
    assert info.value.description == 40  # no certificate for that name


@pytest.mark.parametrize("suite", [0x1301, 0x1302, 0x1303])
@pytest.mark.parametrize(
    ("max_fragment", "content_per_record"),
    [(16384, 16384), (4096, 4096)],
)
def test_full_records_carry_max_fragment_content(
    suite: int, max_fragment: int, content_per_record: int
) -> None:
    # RFC 8446 §5.1 allows 2^14 content bytes; RFC 8449 counts the inner
    # content type in TLS 1.3, so the record limit is max_fragment + 1.
    c, s = pair(
        client_config(cipher_suites=[suite], max_fragment=max_fragment),
        server_config(cipher_suites=[suite], max_fragment=max_fragment),
    )
    for sender, receiver in ((c, s), (s, c)):
        sender.send_application_data(bytes(3 * content_per_record + 7))
        wire = sender.data_to_send()
        lengths = [len(r) - 5 - 1 - 16 for r in split_records(wire)]
        assert lengths == [content_per_record] * 3 + [7]
        receiver.receive_data(wire)
        assert receiver.read_application_data() == bytes(3 * content_per_record + 7)
