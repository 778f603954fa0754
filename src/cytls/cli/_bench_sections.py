"""The network, asyncio, thread and server-CPU sections of `python -m cytls bench`.

Owns: turning the measurements of `_bench_net` and `_bench_aio` (and the
in-memory server-CPU loop here) into Figures: cytls and the `ssl` module
measured in the same run, interleaved round by round, the median kept.
Must not: print (bench.py prints the report), or measure without a peer
when the peer can run.
"""

from __future__ import annotations

import ssl
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from cytls.cli import _bench_aio, _bench_mem, _bench_net, _impl
from cytls.cli._bench_report import Figure, Report, interleaved_medians
from cytls.cli._certgen import CertFiles

__all__ = ["SECTIONS", "TITLES", "run_section", "server_handshake_costs"]

SECTIONS = ("sockets", "latency", "asyncio", "threads", "server-cpu", "memory")
TITLES = {
    "sockets": "SSLSocket bulk between two processes over 127.0.0.1 (median of rounds)",
    "latency": "Per connection: connect, handshake, request, response to EOF, close",
    "asyncio": "asyncio over 127.0.0.1: streams, and an HTTP/1.1 server loaded by ssl clients",
    "threads": "Thread scaling: connection pairs in threads of one process, 64 KiB writes",
    "server-cpu": "Handshakes in memory: server CPU time, and the pair (TLS 1.3)",
    "memory": ("Memory per idle connection side, SSLSocket pairs over socketpairs, each in a "
               "fresh process (lower is better: ratio = cytls / ssl)"),
}
IMPLS = ("cytls", "ssl")


def _compare(report: Report, section: str, name: str, unit: str,
             fns: dict[str, Callable[[], float]], rounds: int) -> Figure | None:
    """Measure cytls and ssl (interleaved medians) into one Figure."""
    try:
        values = interleaved_medians(fns, rounds)
    except Exception as e:
        # One of the two failed: measure each alone to say which.
        values = {}
        reasons: dict[str, str] = {}
        for impl, fn in fns.items():
            try:
                values[impl] = interleaved_medians({impl: fn}, rounds)[impl]
            except Exception as e2:
                reasons[impl] = f"{type(e2).__name__}: {e2}"
        if "cytls" not in values:
            report.unavailable[f"{section} {name}"] = reasons.get("cytls", f"{e}")
            return None
        fig = Figure(section, name, unit, values["cytls"], unavailable_peers=reasons)
        report.add(fig)
        return fig
    fig = Figure(section, name, unit, values["cytls"], {"ssl": values["ssl"]})
    report.add(fig)
    return fig


def bench_sockets(report: Report, quick: bool, files: CertFiles) -> None:
    # 512 MiB a round: a transfer of a few tenths of a second, so that
    # TCP's start (window growth, buffer tuning) and a one-off scheduling
    # stall weigh little; five rounds, the median kept.
    total = (16 if quick else 512) * 1024 * 1024
    rounds = 1 if quick else 5
    cases = [("send", 65536, "recv_into"), ("recv", 16384, "recv")] if quick else [
        (d, size, reader) for d in ("send", "recv") for size in (16384, 65536)
        for reader in ("recv_into", "recv")]
    for direction, size, reader in cases:
        what = "client writes" if direction == "send" else "server writes"
        name = f"{what}, {size // 1024} KiB writes, {reader} reader"
        fns: dict[str, Callable[[], float]] = {
            impl: partial(_bench_net.socket_rate, impl, files, direction=direction, size=size,
                          reader=reader, total=total)
            for impl in IMPLS}
        _compare(report, "sockets", name, "B/s", fns, rounds)


def bench_latency(report: Report, quick: bool, files: CertFiles) -> None:
    # 200 connections a round (each about a millisecond), five rounds:
    # the median connection of a round moves by a few percent below that.
    count = 10 if quick else 200
    rounds = 1 if quick else 5
    for role in ("server", "client"):
        other = "ssl"
        name = f"cytls or ssl as the {role}, ssl as the {'client' if role == 'server' else 'server'}"
        fns: dict[str, Callable[[], float]] = {}
        for impl in IMPLS:
            server, client = (impl, other) if role == "server" else (other, impl)
            fns[impl] = partial(_connections_per_second, server, client, files, count)
        _compare(report, "latency", name, "connections/s", fns, rounds)


def _connections_per_second(server: str, client: str, files: CertFiles, count: int) -> float:
    return 1.0 / _bench_net.latency(server, client, files, count)


def bench_asyncio(report: Report, quick: bool, files: CertFiles) -> None:
    rounds = 1 if quick else 3
    total = (8 if quick else 64) * 1024 * 1024
    seconds = 0.5 if quick else 2.0
    cases: list[tuple[str, str, Callable[..., float], dict[str, Any]]] = [
        ("streams bulk, 64 KiB writes, both ends in one loop", "B/s",
         _bench_aio.aio_bulk, {"total": total}),
        ("streams echo, 64 KiB writes, both ends in one loop", "B/s",
         _bench_aio.aio_bulk, {"total": total // 2, "echo": True}),
        ("HTTP/1.1 keep-alive, 8 clients, small requests", "requests/s",
         _bench_aio.aio_http, {"clients": 8, "seconds": seconds, "keepalive": True}),
        ("HTTP/1.1, a new TLS connection per request, 8 clients", "connections/s",
         _bench_aio.aio_http, {"clients": 8, "seconds": seconds, "keepalive": False}),
    ]
    for name, unit, fn, kwargs in cases:
        fns: dict[str, Callable[[], float]] = {
            impl: partial(fn, impl, files, **kwargs) for impl in IMPLS}
        _compare(report, "asyncio", name, unit, fns, rounds)


def bench_threads(report: Report, quick: bool, files: CertFiles) -> None:
    # cytls's two pairs move this in about 0.3 s (ssl's in 0.7 s): shorter
    # measurements are mostly scheduling noise on a shared machine.
    total = (8 if quick else 1024) * 1024 * 1024
    rounds = 1 if quick else 5

    def rates(impl: str) -> tuple[float, float]:
        one = _bench_net.thread_scaling(impl, files, pairs=1, total=total)
        two = _bench_net.thread_scaling(impl, files, pairs=2, total=total)
        return one, two

    # The same loop over bare sockets, in the same rounds: the ceiling that
    # loopback TCP itself sets on this machine (see _bench_net.PLAIN_TCP).
    impls = (*IMPLS, _bench_net.PLAIN_TCP)
    got: dict[str, list[tuple[float, float]]] = {impl: [] for impl in impls}
    reasons: dict[str, str] = {}
    for _ in range(rounds):
        for impl in impls:
            if impl in reasons:
                continue
            try:
                got[impl].append(rates(impl))
            except Exception as e:
                reasons[impl] = f"{type(e).__name__}: {e}"
    if "cytls" in reasons:
        report.unavailable["threads"] = reasons["cytls"]
        return

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    for label, unit, scaled in (("2 pairs, aggregate", "B/s", False),
                                ("scaling, 2 pairs / 1 pair", "x", True)):
        def pick(r: tuple[float, float], scaled: bool = scaled) -> float:
            return r[1] / r[0] if scaled else r[1]

        fig = Figure("threads", label, unit, median([pick(r) for r in got["cytls"]]))
        for peer in impls[1:]:
            if peer in reasons:
                fig.unavailable_peers[peer] = reasons[peer]
            else:
                fig.peers[peer] = median([pick(r) for r in got[peer]])
        report.add(fig)


def server_handshake_cpu(client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext,
                         before_server_step: Callable[[], None] | None = None
                         ) -> tuple[float, float]:
    """One full handshake in memory, both ends in this thread: the thread
    CPU seconds of the server's wrap_bio and of its do_handshake calls.
    before_server_step, when given, runs (untimed) before each of those
    calls."""
    ci, co, si, so = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(ci, co, server_hostname="localhost")
    c0 = time.thread_time()
    server = server_ctx.wrap_bio(si, so, server_side=True)
    wrap_cpu = time.thread_time() - c0
    steps_cpu = 0.0
    done_c = done_s = False
    for _ in range(20):
        if not done_c:
            try:
                client.do_handshake()
                done_c = True
            except ssl.SSLWantReadError:
                pass
        if co.pending:
            si.write(co.read())
        if not done_s:
            if before_server_step is not None:
                before_server_step()
            c0 = time.thread_time()
            try:
                server.do_handshake()
                done_s = True
            except ssl.SSLWantReadError:
                pass
            steps_cpu += time.thread_time() - c0
        if so.pending:
            ci.write(so.read())
        if done_c and done_s:
            return wrap_cpu, steps_cpu
    raise RuntimeError("in-memory handshake did not finish in 20 flights")


def server_handshake_costs(client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext,
                           count: int) -> tuple[float, float]:
    """(server handshakes per server CPU second, pair handshakes per CPU
    second) of `count` full handshakes in memory, both ends in this thread;
    the server's share is the thread CPU time of its wrap_bio and
    do_handshake calls. CPU time, not wall time, so that other processes'
    turns on a shared machine do not count."""
    server_cpu = 0.0
    t0 = time.thread_time()
    for _ in range(count):
        server_cpu += sum(server_handshake_cpu(client_ctx, server_ctx))
    total = time.thread_time() - t0
    return count / server_cpu, count / total


def _handshake_contexts(impl_name: str, files: CertFiles,
                        groups: list[str] | None) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    impl = _impl.load(impl_name)
    server = impl.server_context()
    server.load_cert_chain(str(files.server_chain), str(files.server_key))
    client = impl.client_context()
    client.load_verify_locations(cafile=str(files.ca))
    for ctx in (client, server):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        if groups:
            _impl.set_groups(ctx, impl, groups)
    return client, server


def bench_server_cpu(report: Report, quick: bool, files: CertFiles) -> None:
    count = 30 if quick else 200
    rounds = 1 if quick else 3
    for label, groups in (("x25519, ECDSA P-256 chain verified", ["x25519"]),
                          ("default groups (cytls: X25519MLKEM768), ECDSA P-256", None)):
        contexts: dict[str, tuple[ssl.SSLContext, ssl.SSLContext] | Exception] = {}
        for impl in IMPLS:
            try:
                client, server = _handshake_contexts(impl, files, groups)
                server_handshake_costs(client, server, 2)  # warm up
                contexts[impl] = (client, server)
            except Exception as e:
                contexts[impl] = e
        ours = contexts["cytls"]
        if isinstance(ours, Exception):
            report.unavailable[f"server-cpu {label}"] = str(ours)
            continue
        results: dict[str, list[tuple[float, float]]] = {impl: [] for impl in IMPLS}
        for _ in range(rounds):
            for impl in IMPLS:
                pair = contexts[impl]
                if not isinstance(pair, Exception):
                    results[impl].append(server_handshake_costs(pair[0], pair[1], count))
        for which, index in (("server handshakes per server CPU second", 0),
                             ("pair handshakes per CPU second (both in one thread)", 1)):
            fig = Figure("server-cpu", f"{which}, {label}", "handshakes/s",
                         _median_of(results["cytls"], index))
            peer = contexts["ssl"]
            if isinstance(peer, Exception):
                fig.unavailable_peers["ssl"] = str(peer)
            else:
                fig.peers["ssl"] = _median_of(results["ssl"], index)
            report.add(fig)


def _median_of(rows: list[tuple[float, float]], index: int) -> float:
    values = sorted(r[index] for r in rows)
    return values[len(values) // 2]


def bench_memory(report: Report, quick: bool, files: CertFiles) -> None:
    count = 50 if quick else 200
    rounds = 1 if quick else 3
    results: dict[str, list[dict[str, float]]] = {impl: [] for impl in IMPLS}
    reasons: dict[str, str] = {}
    for _ in range(rounds):  # interleaved, a fresh child each time
        for impl in IMPLS:
            if impl in reasons:
                continue
            try:
                results[impl].append(_bench_mem.idle_memory(impl, files, count))
            except Exception as e:
                reasons[impl] = f"{type(e).__name__}: {e}"
    if "cytls" in reasons:
        report.unavailable["memory"] = reasons["cytls"]
        return
    for label, key in ((f"RSS growth per side, {count} idle pairs after one request",
                        "rss_per_side"),
                       ("Python heap (tracemalloc) per side", "heap_per_side")):
        fig = Figure("memory", label, "B", statistics.median(r[key] for r in results["cytls"]))
        if "ssl" in reasons:
            fig.unavailable_peers["ssl"] = reasons["ssl"]
        else:
            fig.peers["ssl"] = statistics.median(r[key] for r in results["ssl"])
        report.add(fig)


def run_section(section: str, report: Report, quick: bool, files: CertFiles) -> None:
    """Measure one of SECTIONS into report."""
    {
        "sockets": bench_sockets,
        "latency": bench_latency,
        "asyncio": bench_asyncio,
        "threads": bench_threads,
        "server-cpu": bench_server_cpu,
        "memory": bench_memory,
    }[section](report, quick, files)
