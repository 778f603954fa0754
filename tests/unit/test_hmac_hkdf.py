"""HMAC, HKDF and TLS 1.3 HKDF-Expand-Label through cytls.crypto, every
backend level this CPU runs forced in turn: every Wycheproof HMAC and HKDF
case for SHA-256/384/512, and the RFC 8448 section 3 key schedule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from vectors import level_fixture, supported_levels, vectors_dir

from cytls import _core, crypto

VECTORS = vectors_dir()
WYCHEPROOF = VECTORS / "wycheproof"
RFC8448 = VECTORS / "rfc8448" / "simple_1rtt.json"
HASHES = ["sha256", "sha384", "sha512"]


level = level_fixture(supported_levels())


def wycheproof_cases(filename: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    data = json.loads((WYCHEPROOF / filename).read_text())
    cases = [(group, test) for group in data["testGroups"] for test in group["tests"]]
    assert len(cases) == data["numberOfTests"]
    return cases


@pytest.mark.parametrize("name", HASHES)
def test_wycheproof_hmac(level: str, name: str) -> None:
    cases = wycheproof_cases(f"hmac_{name}_test.json")
    valid = 0
    for group, test in cases:
        tag = bytes.fromhex(test["tag"])
        assert len(tag) * 8 == group["tagSize"]
        mac = crypto.hmac_digest(name, bytes.fromhex(test["key"]), bytes.fromhex(test["msg"]))
        assert len(mac) == crypto.Hash(name).digest_size
        # Truncated tags are the leading bytes of the full MAC.
        if test["result"] == "valid":
            assert mac[: len(tag)] == tag, test["tcId"]
            valid += 1
        else:
            assert mac[: len(tag)] != tag, test["tcId"]
    assert valid > 0


@pytest.mark.parametrize("name", HASHES)
def test_wycheproof_hkdf(level: str, name: str) -> None:
    cases = wycheproof_cases(f"hkdf_{name}_test.json")
    hash_len = crypto.Hash(name).digest_size
    invalid = 0
    for _, test in cases:
        salt = bytes.fromhex(test["salt"])
        prk = crypto.hkdf_extract(name, salt, bytes.fromhex(test["ikm"]))
        info = bytes.fromhex(test["info"])
        size = test["size"]
        if test["result"] == "valid":
            okm = crypto.hkdf_expand(name, prk, info, size)
            assert okm == bytes.fromhex(test["okm"]), test["tcId"]
        else:
            # The only invalid HKDF cases ask for more than 255 * HashLen bytes.
            assert size > 255 * hash_len
            with pytest.raises(ValueError):
                crypto.hkdf_expand(name, prk, info, size)
            invalid += 1
    assert invalid > 0


def test_hkdf_salt_none_equals_zero_salt() -> None:
    # RFC 5869 §2.2: no salt means HashLen zero bytes.
    for name in HASHES:
        n = crypto.Hash(name).digest_size
        assert crypto.hkdf_extract(name, None, b"ikm") == crypto.hkdf_extract(
            name, bytes(n), b"ikm"
        )


def test_hkdf_expand_limits() -> None:
    prk = bytes(32)
    assert len(crypto.hkdf_expand("sha256", prk, b"", 255 * 32)) == 255 * 32
    assert crypto.hkdf_expand("sha256", prk, None, 0) == b""
    for bad in (255 * 32 + 1, -1):
        with pytest.raises(ValueError):
            crypto.hkdf_expand("sha256", prk, b"", bad)
    with pytest.raises(ValueError):
        crypto.hkdf_expand("md5", prk, b"", 16)


def test_expand_label_limits() -> None:
    secret = bytes(32)
    assert len(crypto.hkdf_expand_label("sha256", secret, b"x" * 249, b"", 32)) == 32
    with pytest.raises(ValueError):
        crypto.hkdf_expand_label("sha256", secret, b"x" * 250, b"", 32)
    with pytest.raises(ValueError):
        crypto.hkdf_expand_label("sha256", secret, b"key", b"c" * 256, 32)


@pytest.mark.parametrize("alg,dl", [(1, 32), (2, 48), (3, 64)])
def test_expand_labels_equals_one_call_each(level: str, alg: int, dl: int) -> None:
    from cytls import _core

    secret = bytes(range(dl))
    requests = (
        (b"key", b"", 16),
        (b"iv", b"", 12),
        (b"c hs traffic", bytes(range(dl, 2 * dl)), dl),
        (b"long", b"ctx", 3 * dl + 5),  # several HKDF blocks
        (b"empty", b"", 0),
    )
    outs = _core.hkdf_expand_labels(alg, secret, requests)
    assert all(type(o) is bytearray for o in outs)
    assert [bytes(o) for o in outs] == [
        _core.hkdf_expand_label(alg, secret, label, ctx, n) for label, ctx, n in requests
    ]
    assert _core.hkdf_expand_labels(alg, secret, ()) == ()


def test_expand_labels_refuses_bad_requests() -> None:
    from cytls import _core

    secret = bytes(32)
    good = (b"key", b"", 16)
    for bad in (
        (b"x" * 250, b"", 16),  # label over 249 bytes
        (b"key", b"c" * 256, 16),  # context over 255 bytes
        (b"key", b"", 255 * 32 + 1),  # past 255 * HashLen
        (b"key", b"", -1),
    ):
        with pytest.raises(ValueError):
            _core.hkdf_expand_labels(1, secret, (good, bad))
    for wrong_type in (("key", b"", 16), (b"key", bytearray(), 16), (b"key", b"", "16")):
        with pytest.raises(TypeError):
            _core.hkdf_expand_labels(1, secret, (wrong_type,))
    with pytest.raises(ValueError):
        _core.hkdf_expand_labels(1, secret, ((b"key", b""),))  # not a triple
    with pytest.raises(TypeError):
        _core.hkdf_expand_labels(1, secret, ([b"key", b"", 16],))  # not a tuple
    with pytest.raises(ValueError):
        _core.hkdf_expand_labels(1, secret, (good,) * 9)  # more than 8
    with pytest.raises(ValueError):
        _core.hkdf_expand_labels(99, secret, (good,))  # unknown hash
    with pytest.raises(TypeError):
        _core.hkdf_expand_labels(1, None, (good,))


def load_trace() -> dict[str, Any]:
    trace: dict[str, Any] = json.loads(RFC8448.read_text())
    return trace


def test_rfc8448_expand_label_info(level: str) -> None:
    """Our HkdfLabel encoding (RFC 8446 §7.1) matches every info of the trace."""
    trace = load_trace()
    secret = bytes.fromhex(trace["key_schedule"]["handshake_secret"])
    infos = trace["hkdf_expand_label_info"]
    assert len(infos) >= 10
    for key, info_hex in infos.items():
        info = bytes.fromhex(info_hex)
        length = int.from_bytes(info[:2], "big")
        label_len = info[2]
        label = info[3 : 3 + label_len]
        context = info[4 + label_len : 4 + label_len + info[3 + label_len]]
        assert label.startswith(b"tls13 ") and len(info) == 4 + label_len + len(context), key
        assert key.endswith(f"_{length}")
        got = crypto.hkdf_expand_label("sha256", secret, label[6:], context, length)
        assert got == crypto.hkdf_expand("sha256", secret, info, length), key


def test_rfc8448_key_schedule(level: str) -> None:
    """RFC 8448 §3 with TLS_AES_128_GCM_SHA256: the RFC 8446 §7.1 schedule."""
    trace = load_trace()
    ks = {k: bytes.fromhex(v) for k, v in trace["key_schedule"].items()}
    keys = {k: bytes.fromhex(v) for k, v in trace["traffic_keys"].items()}
    fin = {k: bytes.fromhex(v) for k, v in trace["finished"].items()}
    msgs = {k: bytes.fromhex(v) for k, v in trace["handshake_messages"].items()}
    th = {k: bytes.fromhex(v) for k, v in trace["transcript_hashes"].items()}

    # Transcript hashes, forking the running hash as a handshake does.
    t = crypto.Hash("sha256")
    assert t.digest() == th["empty"]
    t.update(msgs["client_hello"] + msgs["server_hello"])
    assert t.digest() == th["client_hello_to_server_hello"]
    t.update(msgs["encrypted_extensions"] + msgs["certificate"] + msgs["certificate_verify"])
    before_server_finished = t.copy()
    t.update(msgs["server_finished"])
    assert t.digest() == th["client_hello_to_server_finished"]
    t.update(msgs["client_finished"])
    assert t.digest() == th["client_hello_to_client_finished"]

    def label(secret: bytes, lbl: bytes, ctx: bytes, n: int = 32) -> bytes:
        return crypto.hkdf_expand_label("sha256", secret, lbl, ctx, n)

    early = crypto.hkdf_extract("sha256", None, bytes(32))
    assert early == ks["early_secret"]
    derived = label(early, b"derived", th["empty"])
    assert derived == ks["derived_secret_for_handshake"]
    hs = crypto.hkdf_extract("sha256", derived, bytes.fromhex(trace["ecdhe_shared_secret"]))
    assert hs == ks["handshake_secret"]
    c_hs = label(hs, b"c hs traffic", th["client_hello_to_server_hello"])
    s_hs = label(hs, b"s hs traffic", th["client_hello_to_server_hello"])
    assert (c_hs, s_hs) == (
        ks["client_handshake_traffic_secret"],
        ks["server_handshake_traffic_secret"],
    )
    derived_m = label(hs, b"derived", th["empty"])
    assert derived_m == ks["derived_secret_for_master"]
    master = crypto.hkdf_extract("sha256", derived_m, bytes(32))
    assert master == ks["master_secret"]
    c_ap = label(master, b"c ap traffic", th["client_hello_to_server_finished"])
    s_ap = label(master, b"s ap traffic", th["client_hello_to_server_finished"])
    exp = label(master, b"exp master", th["client_hello_to_server_finished"])
    res = label(master, b"res master", th["client_hello_to_client_finished"])
    assert c_ap == ks["client_application_traffic_secret_0"]
    assert s_ap == ks["server_application_traffic_secret_0"]
    assert exp == ks["exporter_master_secret"]
    assert res == ks["resumption_master_secret"]

    # RFC 8446 §7.3 traffic keys and IVs.
    for who, secret in (
        ("server_handshake", s_hs),
        ("client_handshake", c_hs),
        ("server_application", s_ap),
        ("client_application", c_ap),
    ):
        assert label(secret, b"key", b"", 16) == keys[f"{who}_key"], who
        assert label(secret, b"iv", b"", 12) == keys[f"{who}_iv"], who

    # RFC 8446 §4.4.4 Finished: HMAC(finished_key, transcript hash).
    s_fin_key = label(s_hs, b"finished", b"")
    c_fin_key = label(c_hs, b"finished", b"")
    assert (s_fin_key, c_fin_key) == (fin["server_finished_key"], fin["client_finished_key"])
    s_verify = crypto.hmac_digest("sha256", s_fin_key, before_server_finished.digest())
    c_verify = crypto.hmac_digest("sha256", c_fin_key, th["client_hello_to_server_finished"])
    assert s_verify == fin["server_verify_data"]
    assert c_verify == fin["client_verify_data"]
    assert msgs["server_finished"][4:] == s_verify
    assert msgs["client_finished"][4:] == c_verify
    # The one-call form the handshake uses: finished_key stays in C.
    server_hash = before_server_finished.digest()
    assert _core.finished_verify_data(1, s_hs, server_hash) == fin["server_verify_data"]
    client_hash = memoryview(th["client_hello_to_server_finished"])
    assert _core.finished_verify_data(1, bytearray(c_hs), client_hash) == fin["client_verify_data"]


    # RFC 8446 §4.6.1 resumption PSK from the ticket nonce.
    nonce = bytes.fromhex(trace["resumption"]["ticket_nonce"])
    psk = label(res, b"resumption", nonce)
    assert psk == bytes.fromhex(trace["resumption"]["resumption_psk"])


def test_finished_verify_data_refusals() -> None:
    with pytest.raises(ValueError, match="hash"):
        _core.finished_verify_data(9, bytes(32), bytes(32))
    with pytest.raises(TypeError):
        _core.finished_verify_data(1, "secret", bytes(32))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _core.finished_verify_data(1, bytes(32), None)  # type: ignore[arg-type]
