"""Parity of certificate verification options with the ssl module:
verify_flags (PARTIAL_CHAIN, X509_STRICT, CRL_CHECK_LEAF/CHAIN with CRLs
from load_verify_locations), hostname_checks_common_name.

Each case runs against ssl (system OpenSSL 3.0) and cytls with the same
files and must give the expected outcome: "ok" or (verify_code,
verify_message) of the client's SSLCertVerificationError.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from parity_helpers import BioPair, needs_engine
from verify_helpers import CA_KU, DAY, NOW, crl, issue, leaf, outcome, write_trust

import cytls

pytestmark = needs_engine

P = ssl.VERIFY_X509_PARTIAL_CHAIN
S = ssl.VERIFY_X509_STRICT
L = ssl.VERIFY_CRL_CHECK_LEAF
C = ssl.VERIFY_CRL_CHECK_CHAIN


@pytest.fixture(scope="module")
def k() -> SimpleNamespace:
    """The certificates the cases use (built once)."""
    n = SimpleNamespace()
    n.root = issue("Root")
    n.inter = issue("Inter", n.root)
    n.leaf = leaf(n.inter)
    n.leaf2 = leaf(n.inter)  # revoked in some CRLs
    n.expired = leaf(n.inter, not_before=NOW - 9 * DAY, not_after=NOW - DAY)
    n.other = issue("Other")
    # Intermediates (and their leaves) with one extension shape changed.
    for label, kw in {
        "no_ku": {"key_usage": None},
        "bc_noncrit": {"bc_critical": False},
        "no_ski": {"ski": False},
        "no_aki": {"aki": False},
        "no_bc": {"bc": False},
        "pathlen_no_ku": {"path_length": 0, "key_usage": None},
        "no_crlsign": {
            "key_usage": x509.KeyUsage(False, False, False, False, False, True, False, False, False)
        },
    }.items():
        ca = issue("Inter", n.root, **kw)
        setattr(n, f"i_{label}", ca)
        setattr(n, f"l_{label}", leaf(ca))
    for label, kw in {
        "no_ku": {"key_usage": None},
        "bc_noncrit": {"bc_critical": False},
        "no_ski": {"ski": False},
        "no_aki": {"aki": False},
    }.items():
        root = issue("Root2", **kw)
        inter = issue("Inter2", root)
        setattr(n, f"r_{label}", (leaf(inter), inter, root))
    n.leaf_no_aki = leaf(n.inter, aki=False)
    n.leaf_no_ski = leaf(n.inter, ski=False)
    n.leaf_certsign = leaf(n.inter, key_usage=CA_KU)
    n.root0 = issue("Root0", path_length=0)
    n.i01 = issue("I01", n.root0)
    n.i02 = issue("I02", n.i01)
    n.l0 = leaf(n.i02)
    # Common-name cases.
    n.cn_only = leaf(n.inter, sans=None)
    n.cn_ip_san = leaf(n.inter, sans=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    n.cn_other_dns = leaf(n.inter, sans=[x509.DNSName("other.example")])
    n.cn_wild = leaf(n.inter, cn="*.example.com", sans=None)
    n.cn_ip_literal = leaf(n.inter, cn="127.0.0.1", sans=None)
    return n


Case = Callable[[SimpleNamespace], dict[str, Any]]

_MISMATCH = "Hostname mismatch, certificate is not valid for '{}'."

CASES: dict[str, tuple[Case, Any]] = {
    # -- PARTIAL_CHAIN
    "intermediate_trusted": (lambda k: {"chain": [k.leaf, k.inter], "trust": [k.inter]}, 2),
    "intermediate_trusted_leaf_alone": (lambda k: {"chain": [k.leaf], "trust": [k.inter]}, 2),
    "intermediate_trusted_root_sent": (
        lambda k: {"chain": [k.leaf, k.inter, k.root], "trust": [k.inter]},
        2,
    ),
    "intermediate_trusted_partial": (
        lambda k: {"chain": [k.leaf, k.inter], "trust": [k.inter], "flags": P},
        "ok",
    ),
    "intermediate_and_root_trusted": (
        lambda k: {"chain": [k.leaf], "trust": [k.inter, k.root]},
        "ok",
    ),
    "leaf_trusted_partial": (
        lambda k: {"chain": [k.leaf], "trust": [k.leaf], "flags": P},
        "ok",
    ),
    "untrusted": (lambda k: {"chain": [k.leaf, k.inter], "trust": [k.other]}, 20),
    # -- X509_STRICT, and what OpenSSL accepts without it
    "ca_no_key_usage": (lambda k: _via(k, "no_ku"), "ok"),
    "ca_no_key_usage_strict": (lambda k: _via(k, "no_ku", S), 92),
    "ca_bc_not_critical": (lambda k: _via(k, "bc_noncrit"), "ok"),
    "ca_bc_not_critical_strict": (lambda k: _via(k, "bc_noncrit", S), 89),
    "ca_no_ski": (lambda k: _via(k, "no_ski"), "ok"),
    "ca_no_ski_strict": (lambda k: _via(k, "no_ski", S), 86),
    "ca_no_aki": (lambda k: _via(k, "no_aki"), "ok"),
    "ca_no_aki_strict": (lambda k: _via(k, "no_aki", S), 85),
    "ca_no_bc_strict": (lambda k: _via(k, "no_bc", S), 79),
    "pathlen_without_ku": (lambda k: _via(k, "pathlen_no_ku"), "ok"),
    "pathlen_without_ku_strict": (lambda k: _via(k, "pathlen_no_ku", S), 81),
    "root_no_key_usage_strict": (lambda k: _root(k, "no_ku", S), 92),
    "root_bc_not_critical": (lambda k: _root(k, "bc_noncrit"), "ok"),
    "root_bc_not_critical_strict": (lambda k: _root(k, "bc_noncrit", S), 89),
    "root_no_ski_strict": (lambda k: _root(k, "no_ski", S), 86),
    "root_no_aki_strict": (lambda k: _root(k, "no_aki", S), "ok"),  # the top may omit it
    "leaf_no_aki_strict": (
        lambda k: {"chain": [k.leaf_no_aki, k.inter], "trust": [k.root], "flags": S},
        85,
    ),
    "leaf_no_ski_strict": (
        lambda k: {"chain": [k.leaf_no_ski, k.inter], "trust": [k.root], "flags": S},
        "ok",
    ),
    "leaf_cert_sign": (lambda k: {"chain": [k.leaf_certsign, k.inter], "trust": [k.root]}, 26),
    "leaf_cert_sign_strict": (
        lambda k: {"chain": [k.leaf_certsign, k.inter], "trust": [k.root], "flags": S},
        82,
    ),
    "path_length_exceeded": (
        lambda k: {"chain": [k.l0, k.i02, k.i01], "trust": [k.root0]},
        25,
    ),
    # -- CRLs
    "crl_leaf_no_crl": (lambda k: {"chain": [k.leaf2, k.inter], "trust": [k.root], "flags": L}, 3),
    "crl_leaf_good": (
        lambda k: {
            "chain": [k.leaf2, k.inter],
            "trust": [k.root],
            "crls": [crl(k.inter)],
            "flags": L,
        },
        "ok",
    ),
    "crl_leaf_revoked": (lambda k: _revoked(k, L), 23),
    "crl_revoked_without_flag": (lambda k: _revoked(k, 0), "ok"),
    "crl_revoked_no_hostname_check": (
        lambda k: {**_revoked(k, L), "check_hostname": False},
        23,
    ),
    "crl_revoked_and_expired": (
        lambda k: {
            "chain": [k.expired, k.inter],
            "trust": [k.root],
            "crls": [crl(k.inter, [k.expired])],
            "flags": L,
        },
        23,
    ),
    "crl_chain_missing_root_crl": (
        lambda k: {
            "chain": [k.leaf, k.inter],
            "trust": [k.root],
            "crls": [crl(k.inter)],
            "flags": C,
        },
        3,
    ),
    "crl_chain_good": (
        lambda k: {
            "chain": [k.leaf, k.inter],
            "trust": [k.root],
            "crls": [crl(k.inter), crl(k.root)],
            "flags": C,
        },
        "ok",
    ),
    "crl_chain_intermediate_revoked": (
        lambda k: {
            "chain": [k.leaf, k.inter],
            "trust": [k.root],
            "crls": [crl(k.inter), crl(k.root, [k.inter])],
            "flags": C,
        },
        23,
    ),
    "crl_leaf_only_intermediate_revoked": (
        lambda k: {
            "chain": [k.leaf, k.inter],
            "trust": [k.root],
            "crls": [crl(k.inter), crl(k.root, [k.inter])],
            "flags": L,
        },
        "ok",
    ),
    "crl_check_all_bit_alone": (
        lambda k: {"chain": [k.leaf, k.inter], "trust": [k.root], "flags": C & ~L},
        "ok",
    ),
    "crl_expired": (
        lambda k: _crl_only(k, crl(k.inter, last_update=NOW - 9 * DAY, next_update=NOW - DAY)),
        12,
    ),
    "crl_not_yet_valid": (
        lambda k: _crl_only(k, crl(k.inter, last_update=NOW + DAY, next_update=NOW + 9 * DAY)),
        11,
    ),
    "crl_bad_signature": (lambda k: _crl_only(k, crl(k.inter, signer=k.root.key)), 8),
    "crl_current_one_preferred": (
        lambda k: {
            "chain": [k.leaf2, k.inter],
            "trust": [k.root],
            "crls": [
                crl(k.inter, last_update=NOW - 9 * DAY, next_update=NOW - DAY),
                crl(k.inter, [k.leaf2]),
            ],
            "flags": L,
        },
        23,
    ),
    "crl_issuer_without_crl_sign": (
        lambda k: {
            "chain": [k.l_no_crlsign, k.i_no_crlsign],
            "trust": [k.root],
            "crls": [crl(k.i_no_crlsign)],
            "flags": L,
        },
        35,
    ),
    "crl_chain_partial": (
        lambda k: {
            "chain": [k.leaf, k.inter],
            "trust": [k.inter],
            "crls": [crl(k.inter)],
            "flags": P | C,
        },
        3,
    ),
    # -- hostname_checks_common_name (default True on this Python, as ssl)
    "cn_only": (lambda k: {"chain": [k.cn_only, k.inter], "trust": [k.root]}, "ok"),
    "cn_only_disabled": (
        lambda k: {"chain": [k.cn_only, k.inter], "trust": [k.root], "common_name": False},
        (62, _MISMATCH.format("localhost")),
    ),
    "cn_only_enabled": (
        lambda k: {"chain": [k.cn_only, k.inter], "trust": [k.root], "common_name": True},
        "ok",
    ),
    "cn_with_ip_san_only": (lambda k: {"chain": [k.cn_ip_san, k.inter], "trust": [k.root]}, "ok"),
    "cn_with_ip_san_only_disabled": (
        lambda k: {"chain": [k.cn_ip_san, k.inter], "trust": [k.root], "common_name": False},
        (62, _MISMATCH.format("localhost")),
    ),
    "cn_ignored_beside_dns_san": (
        lambda k: {"chain": [k.cn_other_dns, k.inter], "trust": [k.root]},
        (62, _MISMATCH.format("localhost")),
    ),
    "cn_wildcard": (
        lambda k: {"chain": [k.cn_wild, k.inter], "trust": [k.root], "hostname": "a.example.com"},
        "ok",
    ),
    "cn_wildcard_one_label_only": (
        lambda k: {"chain": [k.cn_wild, k.inter], "trust": [k.root], "hostname": "a.b.example.com"},
        (62, _MISMATCH.format("a.b.example.com")),
    ),
    "cn_never_for_ip_address": (
        lambda k: {"chain": [k.cn_ip_literal, k.inter], "trust": [k.root], "hostname": "127.0.0.1"},
        (64, "IP address mismatch, certificate is not valid for '127.0.0.1'."),
    ),
    "cn_only_revoked": (
        lambda k: {
            "chain": [k.cn_only, k.inter],
            "trust": [k.root],
            "crls": [crl(k.inter, [k.cn_only])],
            "flags": L,
        },
        23,
    ),
}

_MESSAGES = {
    2: "unable to get issuer certificate",
    3: "unable to get certificate CRL",
    8: "CRL signature failure",
    11: "CRL is not yet valid",
    12: "CRL has expired",
    20: "unable to get local issuer certificate",
    23: "certificate revoked",
    25: "path length constraint exceeded",
    26: "unsuitable certificate purpose",
    35: "key usage does not include CRL signing",
    79: "invalid CA certificate",
    81: "Path length given without key usage keyCertSign",
    82: "Key usage keyCertSign invalid for non-CA cert",
    85: "Missing Authority Key Identifier",
    86: "Missing Subject Key Identifier",
    89: "Basic Constraints of CA cert not marked critical",
    92: "CA cert does not include key usage extension",
}


def _via(k: SimpleNamespace, label: str, flags: int = 0) -> dict[str, Any]:
    chain = [getattr(k, f"l_{label}"), getattr(k, f"i_{label}")]
    return {"chain": chain, "trust": [k.root], "flags": flags}


def _root(k: SimpleNamespace, label: str, flags: int = 0) -> dict[str, Any]:
    lf, inter, root = getattr(k, f"r_{label}")
    return {"chain": [lf, inter], "trust": [root], "flags": flags}


def _revoked(k: SimpleNamespace, flags: int) -> dict[str, Any]:
    return {
        "chain": [k.leaf2, k.inter],
        "trust": [k.root],
        "crls": [crl(k.inter, [k.leaf2])],
        "flags": flags,
    }


def _crl_only(k: SimpleNamespace, the_crl: x509.CertificateRevocationList) -> dict[str, Any]:
    return {"chain": [k.leaf, k.inter], "trust": [k.root], "crls": [the_crl], "flags": L}


@pytest.mark.parametrize("case", sorted(CASES))
def test_verification_outcome(
    mod: ModuleType, case: str, k: SimpleNamespace, tmp_path: Path
) -> None:
    build, expected = CASES[case]
    if isinstance(expected, int):
        expected = (expected, _MESSAGES[expected])
    assert outcome(mod, tmp_path, **build(k)) == expected


def test_defaults_and_flag_round_trip(mod: ModuleType) -> None:
    ctx = mod.create_default_context()
    assert (
        ctx.hostname_checks_common_name is ssl.create_default_context().hostname_checks_common_name
    )
    assert ctx.verify_flags == ssl.create_default_context().verify_flags
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_CRL_CHECK_CHAIN
    assert ctx.verify_flags & ssl.VERIFY_X509_STRICT
    assert ctx.verify_flags & ssl.VERIFY_CRL_CHECK_CHAIN == ssl.VERIFY_CRL_CHECK_CHAIN
    ctx.hostname_checks_common_name = False
    assert ctx.hostname_checks_common_name is False


def test_crls_from_cafile_not_cadata(mod: ModuleType, k: SimpleNamespace, tmp_path: Path) -> None:
    """The ssl module reads CRLs from cafile (a file of CRLs alone too), and
    skips those in cadata: cert_store_stats and the verdict agree."""
    from verify_helpers import server_context

    crls = [crl(k.inter, [k.leaf2]), crl(k.root)]
    both = Path(write_trust(tmp_path / "t.pem", [k.root], crls)).read_text()
    client = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=both)
    assert client.cert_store_stats() == {"x509": 1, "crl": 0, "x509_ca": 1}
    client.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    server = server_context(mod, tmp_path, [k.leaf2, k.inter])
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        BioPair(client, server).handshake()
    assert (info.value.verify_code, info.value.verify_message) == (3, _MESSAGES[3])
    only_crls = write_trust(tmp_path / "crls.pem", [], crls)
    with pytest.raises(ssl.SSLError, match="cadata does not contain a certificate"):
        client.load_verify_locations(cadata=Path(only_crls).read_text())
    client.load_verify_locations(cafile=only_crls)
    assert client.cert_store_stats() == {"x509": 1, "crl": 2, "x509_ca": 1}
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        BioPair(client, server).handshake()
    assert (info.value.verify_code, info.value.verify_message) == (23, _MESSAGES[23])


def test_flags_changed_after_a_connection(k: SimpleNamespace, tmp_path: Path) -> None:
    """A flag set after the context was used applies to the next connection."""
    from verify_helpers import server_context

    client = cytls.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(write_trust(tmp_path / "t.pem", [k.inter]))
    server = server_context(cytls, tmp_path, [k.leaf, k.inter])
    with pytest.raises(ssl.SSLCertVerificationError):
        BioPair(client, server).handshake()
    client.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    BioPair(client, server).handshake()


@pytest.mark.parametrize("client_mod", [ssl, cytls], ids=["ssl_client", "cytls_client"])
def test_revoked_alert_reaches_the_server(
    client_mod: ModuleType, k: SimpleNamespace, tmp_path: Path
) -> None:
    """The ssl server sees the same alert (certificate_revoked) from both clients."""
    from verify_helpers import server_context

    client = client_mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(
        write_trust(tmp_path / "t.pem", [k.root], [crl(k.inter, [k.leaf2])])
    )
    client.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    pair = BioPair(client, server_context(ssl, tmp_path, [k.leaf2, k.inter]))
    with pytest.raises(ssl.SSLCertVerificationError):
        pair.handshake()
    pair.pump()
    with pytest.raises(ssl.SSLError) as info:
        pair.server.do_handshake()
    assert info.value.reason == "SSLV3_ALERT_CERTIFICATE_REVOKED"


@pytest.mark.parametrize("server_mod", [ssl, cytls], ids=["ssl_server", "cytls_server"])
def test_server_checks_client_certificate_crl(
    server_mod: ModuleType, k: SimpleNamespace, tmp_path: Path
) -> None:
    """A server with VERIFY_CRL_CHECK_LEAF refuses a revoked client certificate."""
    from verify_helpers import server_context

    client_cert = leaf(k.inter, cn="client", sans=[x509.DNSName("client")])
    server = server_context(server_mod, tmp_path, [k.leaf, k.inter])
    server.verify_mode = ssl.CERT_REQUIRED
    server.load_verify_locations(
        write_trust(tmp_path / "t.pem", [k.root], [crl(k.inter, [client_cert])])
    )
    server.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(write_trust(tmp_path / "c.pem", [k.root]))
    (tmp_path / "cc.pem").write_bytes(client_cert.pem() + k.inter.pem())
    (tmp_path / "ck.pem").write_bytes(client_cert.key_pem())
    client.load_cert_chain(str(tmp_path / "cc.pem"), str(tmp_path / "ck.pem"))
    pair = BioPair(client, server)
    verdict: ssl.SSLCertVerificationError | None = None
    for _ in range(10):
        try:
            pair.client.do_handshake()
        except ssl.SSLWantReadError:
            pass
        try:
            pair.server.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLCertVerificationError as exc:
            verdict = exc
            break
        pair.pump()
    assert verdict is not None, "the server accepted a revoked certificate"
    assert (verdict.verify_code, verdict.verify_message) == (23, "certificate revoked")
