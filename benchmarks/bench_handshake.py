"""Full TLS 1.3 (and TLS 1.2) handshakes per second, client and server in
one process, in memory: cytls against the ssl module measured in the same run.

Run: python benchmarks/bench_handshake.py [--seconds S]
     (or through pytest-benchmark: pytest benchmarks/bench_handshake.py)

Cases: X25519 + ECDSA P-256 chain with verification (with the verified-
chain cache, as by default, and with verify_cache_size=0, which verifies
every chain in full as OpenSSL does), RSA-2048, and X25519MLKEM768 (the ssl
module's OpenSSL 3.0 has no ML-KEM, so that figure stands alone); then
TLS 1.2 (ECDHE X25519, ECDSA P-256 and RSA-2048, extended master secret)
against the ssl module limited to TLS 1.2. Resumed TLS 1.3 handshakes
(session ticket, psk_dhe_ke and psk_ke) against the ssl module's resumed
handshake (psk_dhe_ke: OpenSSL 3.0 will not do psk_ke while the client
also offers psk_dhe_ke), each also as a ratio to cytls's full handshake
(the issue's targets: at least 1.5x the ssl module's resumed rate and 2x
cytls's full rate). Both resumed sides leave the server's new ticket
unread, as a client that does not read before closing would.
"""

from __future__ import annotations

import argparse
import ssl
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from tls_helpers import client_config, key_pem, pem, pki, server_config  # noqa: E402

from cytls._connection import Connection  # noqa: E402
from cytls._handshake.tickets import TicketKeyRing  # noqa: E402


def cytls_handshake(
    kind: str, group: int, version: int = 0x0304, verify_cache_size: int = 256
) -> Callable[[], None]:
    # TLS 1.2: P-256 is listed too, as the curve the ECDSA certificate may
    # use (RFC 8422 §5.1); the server still picks `group` first.
    groups = [group] if version == 0x0304 else [group, 0x0017]
    ccfg = client_config(
        kind,
        groups=groups,
        key_share_groups=[group],
        max_version=version,
        verify_cache_size=verify_cache_size,
    )
    scfg = server_config(kind, max_version=version)

    def once() -> None:
        c = Connection(ccfg)
        s = Connection(scfg)
        c.start_handshake()
        s.receive_data(c.data_to_send())
        c.receive_data(s.data_to_send())
        s.receive_data(c.data_to_send())
        if version == 0x0303:
            # TLS 1.2: the server's CCS and Finished come back last.
            c.receive_data(s.data_to_send())
        assert c.handshake_complete and s.handshake_complete

    return once


def cytls_resumed(kind: str, group: int, psk_ke: bool) -> Callable[[], None]:
    """A resumed TLS 1.3 handshake with one ticket (psk_ke or psk_dhe_ke)."""
    modes = (0, 1) if psk_ke else (1,)
    ccfg = client_config(kind, groups=[group], key_share_groups=[group], psk_modes=modes)
    scfg = server_config(kind, num_tickets=2, ticket_keys=TicketKeyRing(), psk_modes=modes)
    c = Connection(ccfg)
    s = Connection(scfg)
    c.start_handshake()
    for _ in range(3):
        s.receive_data(c.data_to_send())
        c.receive_data(s.data_to_send())
    ticket = c.session_tickets[-1]

    def once() -> None:
        c = Connection(ccfg, session=ticket)
        s = Connection(scfg)
        c.start_handshake()
        s.receive_data(c.data_to_send())
        c.receive_data(s.data_to_send())
        s.receive_data(c.data_to_send())
        assert c.handshake_complete and s.handshake_complete and s.session_resumed

    return once


def ssl_resumed(kind: str, curve: str) -> Callable[[], None]:
    """The ssl module's resumed TLS 1.3 handshake with one session."""
    p = pki(kind)
    d = Path(tempfile.mkdtemp())
    (d / "chain.pem").write_bytes(pem(p.leaf) + pem(p.inter))
    (d / "key.pem").write_bytes(key_pem(p.leaf_key))
    (d / "ca.pem").write_bytes(pem(p.root))
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(d / "chain.pem", d / "key.pem")
    sctx.set_ecdh_curve(curve)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(d / "ca.pem")
    cctx.minimum_version = ssl.TLSVersion.TLSv1_3

    def run(session: object = None) -> ssl.SSLObject:
        ci, co, si, so = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
        c = cctx.wrap_bio(ci, co, server_hostname="localhost", session=session)
        s = sctx.wrap_bio(si, so, server_side=True)
        for _ in range(4):
            for obj in (c, s):
                try:
                    obj.do_handshake()
                except ssl.SSLWantReadError:
                    pass
            si.write(co.read())
            ci.write(so.read())
        if session is None:
            try:
                c.read(1)  # takes the tickets
            except ssl.SSLWantReadError:
                pass
        return c

    session = run().session
    assert run(session).session_reused

    def once() -> None:
        run(session)

    return once


def ssl_handshake(kind: str, curve: str, tls12: bool = False) -> Callable[[], None]:
    p = pki(kind)
    d = Path(tempfile.mkdtemp())
    (d / "chain.pem").write_bytes(pem(p.leaf) + pem(p.inter))
    (d / "key.pem").write_bytes(key_pem(p.leaf_key))
    (d / "ca.pem").write_bytes(pem(p.root))
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(d / "chain.pem", d / "key.pem")
    sctx.set_ecdh_curve(curve)
    sctx.num_tickets = 0
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(d / "ca.pem")
    if tls12:
        cctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        cctx.minimum_version = ssl.TLSVersion.TLSv1_3

    def once() -> None:
        ci, co, si, so = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
        c = cctx.wrap_bio(ci, co, server_hostname="localhost")
        s = sctx.wrap_bio(si, so, server_side=True)
        for _ in range(4):
            for obj in (c, s):
                try:
                    obj.do_handshake()
                except ssl.SSLWantReadError:
                    pass
            si.write(co.read())
            ci.write(so.read())
        try:
            c.do_handshake()
            s.do_handshake()
        except ssl.SSLWantReadError:
            pass

    return once


def rate(fn: Callable[[], None], seconds: float) -> float:
    n = 0
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def compare(
    ours: Callable[[], None], theirs: Callable[[], None] | None, seconds: float, rounds: int
) -> tuple[float, float | None, float | None]:
    """Alternate short slices of both, so load changes on a shared machine
    hit both alike; report the best rates and the median per-round ratio."""
    ours()
    if theirs is not None:
        theirs()
    slice_ = seconds / rounds
    a_rates: list[float] = []
    b_rates: list[float] = []
    for _ in range(rounds):
        a_rates.append(rate(ours, slice_))
        if theirs is not None:
            b_rates.append(rate(theirs, slice_))
    if theirs is None:
        return max(a_rates), None, None
    ratios = sorted(a / b for a, b in zip(a_rates, b_rates, strict=True))
    return max(a_rates), max(b_rates), ratios[len(ratios) // 2]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=4.0, help="per case and side")
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args(argv)
    rows = [
        (
            "X25519, ECDSA P-256 chain",
            cytls_handshake("p256", 0x001D),
            ssl_handshake("p256", "X25519"),
        ),
        (
            "  same, verify_cache_size=0",
            cytls_handshake("p256", 0x001D, verify_cache_size=0),
            ssl_handshake("p256", "X25519"),
        ),
        ("X25519, RSA-2048 chain", cytls_handshake("rsa", 0x001D), ssl_handshake("rsa", "X25519")),
        ("X25519MLKEM768, ECDSA P-256", cytls_handshake("p256", 0x11EC), None),
        (
            "TLS 1.2 X25519, ECDSA P-256",
            cytls_handshake("p256", 0x001D, 0x0303),
            ssl_handshake("p256", "X25519", tls12=True),
        ),
        (
            "TLS 1.2 X25519, RSA-2048",
            cytls_handshake("rsa", 0x001D, 0x0303),
            ssl_handshake("rsa", "X25519", tls12=True),
        ),
    ]
    print(f"{'case':32} {'cytls/s':>10} {'ssl/s':>10} {'ratio':>7}  (best rates, median ratio)")
    for name, ours, theirs in rows:
        a, b, ratio = compare(ours, theirs, args.seconds, args.rounds)
        if b is not None and ratio is not None:
            print(f"{name:32} {a:10.0f} {b:10.0f} {ratio:7.2f}")
        else:
            print(f"{name:32} {a:10.0f} {'-':>10} {'-':>7}")
    full = cytls_handshake("p256", 0x001D)
    print()
    print(
        f"{'resumed (TLS 1.3 ticket)':32} {'cytls/s':>10} {'ssl/s':>10} {'ratio':>7}"
        f" {'full/s':>10} {'x full':>7}"
    )
    resumed = [
        ("psk_dhe_ke, X25519", cytls_resumed("p256", 0x001D, False), ssl_resumed("p256", "X25519")),
        # ssl: its only resumed handshake (psk_dhe_ke).
        (
            "psk_ke (ssl: psk_dhe_ke)",
            cytls_resumed("p256", 0x001D, True),
            ssl_resumed("p256", "X25519"),
        ),
    ]
    for name, ours, theirs in resumed:
        a, b, ratio = compare(ours, theirs, args.seconds, args.rounds)
        _, f, vs_full = compare(ours, full, args.seconds, args.rounds)
        peer = (
            f"{b:10.0f} {ratio:7.2f}"
            if b is not None and ratio is not None
            else f"{'-':>10} {'-':>7}"
        )
        print(f"{name:32} {a:10.0f} {peer} {f or 0:10.0f} {vs_full or 0:7.2f}")


def test_bench_cytls_handshake(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark(cytls_handshake("p256", 0x001D))


def test_bench_ssl_handshake(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark(ssl_handshake("p256", "X25519"))


def test_bench_cytls_resumed(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark(cytls_resumed("p256", 0x001D, False))


def test_bench_cytls_resumed_psk_ke(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark(cytls_resumed("p256", 0x001D, True))


def test_bench_ssl_resumed(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark(ssl_resumed("p256", "X25519"))


if __name__ == "__main__":
    main()
