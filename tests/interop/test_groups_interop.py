"""The groups beyond the default offer (secp521r1, X448, ffdhe2048 ...
ffdhe8192) against `openssl s_server`/`s_client -groups` (OpenSSL 3.0) and
pyOpenSSL (OpenSSL 4), both directions; TLS 1.2 ECDHE for secp521r1 and
X448 (RFC 8422)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from peer_commands import (
    exchange_lines,
    exporter_value,
    openssl_client,
    openssl_server,
    our_exporter,
)
from peers import CytlsServer, CytlsSocket, PKIFiles, connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from pyopenssl_peer import Peer, exchange, run
from tls_helpers import client_config, pki, server_config

from cytls._connection import Connection

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

OPENSSL_NAMES = {
    0x0019: "P-521",
    0x001E: "X448",
    0x0100: "ffdhe2048",
    0x0101: "ffdhe3072",
    0x0102: "ffdhe4096",
    0x0103: "ffdhe6144",
    0x0104: "ffdhe8192",
}
# What OpenSSL prints after "Server Temp Key:" / "Peer Temp Key:".
TEMP_KEY = {
    0x0019: "ECDH, secp521r1",
    0x001E: "X448",
    0x0100: "DH, 2048 bits",
    0x0101: "DH, 3072 bits",
    0x0102: "DH, 4096 bits",
    0x0103: "DH, 6144 bits",
    0x0104: "DH, 8192 bits",
}
GROUPS = list(OPENSSL_NAMES)
IDS = [OPENSSL_NAMES[g] for g in GROUPS]
GROUPS12 = [0x0019, 0x001E]


@pytest.mark.parametrize("group", [g for g in GROUPS if g >= 0x0100], ids=IDS[2:])
def test_ffdhe_primes_match_openssl(openssl_bin: str, group: int) -> None:
    # OpenSSL's built-in RFC 7919 groups, an independent copy of the primes.
    import subprocess
    import warnings

    from cryptography.hazmat.primitives.serialization import load_pem_parameters

    from cytls._handshake import ffdhe

    out = subprocess.run(
        [openssl_bin, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
         f"group:{OPENSSL_NAMES[group]}"],
        capture_output=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        numbers = load_pem_parameters(out).parameter_numbers()  # type: ignore[union-attr]
    assert numbers.p == ffdhe.prime(group) and numbers.g == ffdhe.GENERATOR


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_cytls_client_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], group: int
) -> None:
    extra = ["-groups", OPENSSL_NAMES[group]]
    with openssl_server(openssl_bin, pki_files["p256"], extra=extra) as (proc, port):
        tls = CytlsSocket(client_config(groups=[group]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.version == 0x0304 and tls.conn.group == group
            assert exporter_value(proc) == our_exporter(tls)
            exchange_lines(tls, proc, 1000)
            tls.conn.close()
            tls.flush()
            assert proc.wait() == 0, proc.text
        finally:
            tls.close()


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_openssl_client_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], group: int
) -> None:
    # The server's default configuration accepts every group.
    with CytlsServer() as srv:
        extra = ["-groups", OPENSSL_NAMES[group]]
        proc = openssl_client(openssl_bin, srv.port, pki_files["p256"].ca, extra=extra)
        with proc:
            tls = srv.accept(server_config(), proc)
            try:
                tls.handshake()
                assert tls.conn.version == 0x0304 and tls.conn.group == group
                proc.wait_for(f"Server Temp Key: {TEMP_KEY[group]}")
                assert exporter_value(proc) == our_exporter(tls)
                exchange_lines(tls, proc, 1000)
                proc.close_stdin()
                tls.wait_closed()
            finally:
                tls.close()


@pytest.mark.parametrize("group", GROUPS12, ids=["P-521", "X448"])
def test_tls12_cytls_client_openssl_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], group: int
) -> None:
    extra = ["-groups", OPENSSL_NAMES[group]]
    with openssl_server(openssl_bin, pki_files["rsa"], tls12=True, extra=extra) as (proc, port):
        tls = CytlsSocket(client_config("rsa", groups=[group]), connect(port))
        try:
            tls.handshake()
            assert tls.conn.version == 0x0303 and tls.conn.group == group
            assert exporter_value(proc) == our_exporter(tls)
            exchange_lines(tls, proc, 1000)
        finally:
            tls.close()


@pytest.mark.parametrize("group", GROUPS12, ids=["P-521", "X448"])
def test_tls12_openssl_client_cytls_server(
    openssl_bin: str, pki_files: dict[str, PKIFiles], group: int
) -> None:
    with CytlsServer() as srv:
        extra = ["-groups", OPENSSL_NAMES[group]]
        proc = openssl_client(openssl_bin, srv.port, pki_files["rsa"].ca, tls12=True, extra=extra)
        with proc:
            tls = srv.accept(server_config("rsa"), proc)
            try:
                tls.handshake()
                assert tls.conn.version == 0x0303 and tls.conn.group == group
                proc.wait_for(f"Server Temp Key: {TEMP_KEY[group]}")
                assert exporter_value(proc) == our_exporter(tls)
                exchange_lines(tls, proc, 1000)
            finally:
                tls.close()


# ------------------------------------------------------------- pyOpenSSL

# OpenSSL 4's default list has these (pyOpenSSL cannot set groups); the
# larger FFDHE groups are covered by the openssl tests above.
PYOPENSSL_GROUPS = {0x0019: "secp521r1", 0x001E: "x448", 0x0100: "ffdhe2048", 0x0101: "ffdhe3072"}
PY_CASES = [(g, False) for g in PYOPENSSL_GROUPS] + [(g, True) for g in GROUPS12]
PY_IDS = [f"{PYOPENSSL_GROUPS[g]}-{'tls12' if t else 'tls13'}" for g, t in PY_CASES]


@pytest.mark.parametrize(("group", "tls12"), PY_CASES, ids=PY_IDS)
def test_pyopenssl_server(pyopenssl: object, group: int, tls12: bool) -> None:
    SSL = pytest.importorskip("OpenSSL.SSL")
    crypto = pytest.importorskip("OpenSSL.crypto")
    p = pki()
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.use_certificate(crypto.X509.from_cryptography(p.leaf))
    ctx.add_extra_chain_cert(crypto.X509.from_cryptography(p.inter))
    ctx.use_privatekey(crypto.PKey.from_cryptography_key(p.leaf_key))
    peer = Peer(SSL, ctx, server=True)
    # TLS 1.2 with an ECDSA certificate: its curve must be listed too.
    groups = [group, 0x0017] if tls12 else [group]
    cfg = client_config(groups=groups, key_share_groups=[group])
    cfg.max_version = 0x0303 if tls12 else 0x0304
    conn = Connection(cfg)
    run(conn, peer)
    assert conn.handshake_complete and conn.group == group
    assert peer.obj.get_group_name() == PYOPENSSL_GROUPS[group]
    exchange(conn, peer)


@pytest.mark.parametrize(("group", "tls12"), PY_CASES, ids=PY_IDS)
def test_pyopenssl_client(pyopenssl: object, group: int, tls12: bool) -> None:
    SSL = pytest.importorskip("OpenSSL.SSL")
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE)
    if tls12:
        ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    peer = Peer(SSL, ctx, server=False, hostname="localhost")
    # The server has only this group: in TLS 1.3 a HelloRetryRequest asks
    # OpenSSL for a share of it.
    conn = Connection(server_config(groups=[group]))
    run(conn, peer)
    assert conn.handshake_complete and conn.group == group
    assert peer.obj.get_group_name() == PYOPENSSL_GROUPS[group]
    exchange(conn, peer)
