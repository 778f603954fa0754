"""`python -m cytls bench`: cytls next to its peers, measured in one run.

Owns: the measurement loops, the peers (cryptography's AEADs, `openssl speed
-evp`, the `ssl` module), the table and the JSON. Must not: print a figure it did
not measure in this run. A section whose cytls component is missing prints
"unavailable: reason" and no numbers; a missing peer is reported the same way.

Every rate is the best of a few timed rounds (the machines are shared and noisy);
every ratio is cytls / peer of figures measured seconds apart in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from cytls.cli import _bench_sections, _certgen, _impl
from cytls.cli._bench_net import recv_exact
from cytls.cli._bench_report import Figure, Report
from cytls.cli._bench_report import fmt_value as _fmt
from cytls.cli._certgen import CertFiles
from cytls.cli._output import CLIError, print_table, say

__all__ = ["Figure", "Report", "add_parser", "measure_rate", "measure_rates", "openssl_speed", "run"]

SECTIONS = ("aead", "record", "handshake", "bulk", "loopback", *_bench_sections.SECTIONS)
AEADS = (("AES-128-GCM", "aes-128-gcm", 16), ("AES-256-GCM", "aes-256-gcm", 32),
         ("ChaCha20-Poly1305", "chacha20-poly1305", 32))
AAD = b"\x17\x03\x03\x40\x11" + bytes(8)  # 13 bytes, as openssl speed uses for AEADs


def add_parser(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("bench", parents=[parent], help="benchmarks against OpenSSL and ssl",
                       description="Measure cytls next to cryptography, openssl speed and the "
                                   "ssl module, in one run, and print ratios.")
    p.add_argument("--quick", action="store_true", help="a short run (well under 30 s)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help=f"comma-separated subset of {','.join(SECTIONS)}")
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------
# Measurement


def measure_rates(fns: dict[str, Callable[[], object]], units_per_call: float, seconds: float,
                  rounds: int = 3) -> dict[str, float]:
    """Units per second of each fn, measured in alternating rounds; the best round counts.

    Alternating (a, b, a, b, ...) spreads the machine's slow moments over every
    contender instead of one, and the best round is kept because noise only ever
    slows a round down.

    Args:
        fns: name -> operation; each is called many times.
        units_per_call: bytes (or handshakes) one call processes.
        seconds: the total time budget per function, roughly.
        rounds: timed rounds per function.

    Returns:
        name -> the best measured rate, units per second (> 0).
    """
    per_round = seconds / rounds
    batch: dict[str, int] = {}
    for name, fn in fns.items():
        fn()  # warm up: first-call costs are not the rate
        n = 1
        while True:  # calibrate: calls that fill about a tenth of a round
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            if time.perf_counter() - t0 >= per_round / 10 or n >= 1 << 24:
                break
            n *= 2
        batch[name] = n
    best = dict.fromkeys(fns, 0.0)
    for _ in range(rounds):
        for name, fn in fns.items():
            n = batch[name]
            calls = 0
            t0 = time.perf_counter()
            deadline = t0 + per_round
            while True:
                for _ in range(n):
                    fn()
                calls += n
                now = time.perf_counter()
                if now >= deadline:
                    break
            best[name] = max(best[name], calls * units_per_call / (now - t0))
    return best


def measure_rate(fn: Callable[[], object], units_per_call: float, seconds: float,
                 rounds: int = 3) -> float:
    """Units per second of one fn (see measure_rates)."""
    return measure_rates({"fn": fn}, units_per_call, seconds, rounds)["fn"]


def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "ssl_module_openssl": ssl.OPENSSL_VERSION,
        "cpus": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from cytls import crypto

        info["cytls_backends"] = crypto.backends()
    except Exception as e:
        info["cytls_backends"] = f"unavailable: {e}"
    try:
        import cryptography
        from cryptography.hazmat.backends.openssl.backend import backend

        info["cryptography"] = f"{cryptography.__version__} ({backend.openssl_version_text()})"
    except Exception:
        pass
    return info


# ---------------------------------------------------------------------------
# AEAD


def openssl_speed(alg: str, size: int, seconds: int, *, decrypt: bool = False) -> float:
    """Bytes per second `openssl speed -evp` reports for one size (-decrypt: opening).

    Raises:
        _impl.Unavailable: no openssl command, or output it could not read.
    """
    exe = shutil.which("openssl")
    if exe is None:
        raise _impl.Unavailable("openssl command not found")
    try:
        out = subprocess.run(
            # -elapsed: divide by wall-clock time, as every other figure here does
            # (by default openssl speed divides by its CPU time, which flatters it
            # on a loaded machine).
            [exe, "speed", "-elapsed", *(["-decrypt"] if decrypt else []), "-evp", alg,
             "-seconds", str(seconds), "-bytes", str(size), "-mr"],
            capture_output=True, text=True, timeout=seconds * 4 + 20, check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        raise _impl.Unavailable(f"openssl speed failed: {e}") from e
    m = re.search(r"^\+F:\d+:[^:]+:([0-9.]+)", out, re.M)
    if not m or float(m.group(1)) <= 0:
        raise _impl.Unavailable(f"openssl speed -evp {alg} gave no figure")
    return float(m.group(1))


def bench_aead(report: Report, quick: bool) -> None:
    try:
        from cytls import crypto
    except Exception as e:
        report.unavailable["aead"] = f"cytls.crypto cannot be imported: {e}"
        return
    from cryptography.hazmat.primitives.ciphers import aead as pyca

    sizes = (256, 16384) if quick else (16, 256, 1350, 8192, 16384)
    openssl_sizes = (16384,) if quick else sizes
    budget = 0.15 if quick else 0.6
    nonce = bytes(12)  # a fixed nonce is fine for timing; nothing here is secret
    for label, openssl_name, key_len in AEADS:
        key = bytes(range(key_len))
        ours_cls = crypto.ChaCha20Poly1305 if "ChaCha" in label else crypto.AESGCM
        peer_cls = pyca.ChaCha20Poly1305 if "ChaCha" in label else pyca.AESGCM
        try:
            ours, peer = ours_cls(key), peer_cls(key)
        except Exception as e:
            report.unavailable[f"aead {label}"] = f"{type(e).__name__}: {e}"
            continue
        for size in sizes:
            data = bytes(size)
            sealed = ours.encrypt(nonce, data, AAD)
            if peer.encrypt(nonce, data, AAD) != sealed:
                raise CLIError(f"cytls {label} disagrees with cryptography at {size} bytes")
            r = measure_rates({"cytls": partial(ours.encrypt, nonce, data, AAD),
                               "cryptography": partial(peer.encrypt, nonce, data, AAD)},
                              size, budget)
            seal = Figure("aead", f"{label} seal {size} B", "B/s", r["cytls"],
                          {"cryptography": r["cryptography"]})
            if size in openssl_sizes:
                try:
                    seal.peers["openssl speed"] = openssl_speed(openssl_name, size, 1)
                except _impl.Unavailable as e:
                    seal.unavailable_peers["openssl speed"] = str(e)
            report.add(seal)
            r = measure_rates({"cytls": partial(ours.decrypt, nonce, sealed, AAD),
                               "cryptography": partial(peer.decrypt, nonce, sealed, AAD)},
                              size, budget)
            opn = Figure("aead", f"{label} open {size} B", "B/s", r["cytls"],
                         {"cryptography": r["cryptography"]})
            report.add(opn)


# ---------------------------------------------------------------------------
# Record layer


def bench_record(report: Report, quick: bool) -> None:
    """Seal then open 64 KiB writes through cytls's record layer as a Connection
    drives it (send, take_outgoing() -> bytes, feed, receive), next to the raw
    AEAD of the same backend sealing and opening the same bytes in one call each
    (the record layer's framing and the wire copy are the gap)."""
    try:
        from cytls import crypto
        from cytls._record import RecordLayer
    except Exception as e:
        report.unavailable["record"] = f"cytls._record.RecordLayer is not available: {e}"
        return
    budget = 0.3 if quick else 1.0
    data = bytes(64 * 1024)
    nonce = bytes(12)
    for suite, code, key_len in (("TLS_AES_128_GCM_SHA256", 0x1301, 16),
                                 ("TLS_AES_256_GCM_SHA384", 0x1302, 32),
                                 ("TLS_CHACHA20_POLY1305_SHA256", 0x1303, 32)):
        key, iv = os.urandom(key_len), os.urandom(12)
        try:
            writer, reader = RecordLayer(), RecordLayer()
            writer.set_write_key(code, key, iv, 0x0304)
            reader.set_read_key(code, key, iv, 0x0304)
            aead = crypto.ChaCha20Poly1305(key) if "CHACHA" in suite else crypto.AESGCM(key)
        except Exception as e:
            report.unavailable[f"record {suite}"] = f"{type(e).__name__}: {e}"
            continue

        def through_records(w: Any = writer, r: Any = reader) -> None:
            # The path a Connection takes: seal into the outgoing buffer, take
            # its bytes (what goes on the wire), feed them to the peer.
            w.send(23, data)  # 23: application_data, cut into 16 KiB records
            r.feed(w.take_outgoing())
            if r.receive() is not None or len(r.app_data) != len(data):
                raise RuntimeError("record layer did not return the data it was given")
            del r.app_data[:]

        def raw_aead(a: Any = aead) -> None:
            a.decrypt(nonce, a.encrypt(nonce, data, AAD), AAD)

        try:
            rates = measure_rates({"cytls": through_records, "raw AEAD": raw_aead}, len(data), budget)
        except Exception as e:
            report.unavailable[f"record {suite}"] = f"{type(e).__name__}: {e}"
            continue
        report.add(Figure("record", f"seal+open 64 KiB, {suite}", "B/s", rates["cytls"],
                                     {"raw AEAD (same backend)": rates["raw AEAD"]}))


# ---------------------------------------------------------------------------
# In-memory pairs (handshakes, bulk)


class _Pair:
    """A client and a server SSLObject joined by MemoryBIOs."""

    def __init__(self, client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext,
                 session: Any = None) -> None:
        self.c_in, self.c_out, self.s_in, self.s_out = (ssl.MemoryBIO() for _ in range(4))
        kwargs = {"session": session} if session is not None else {}
        self.client = client_ctx.wrap_bio(self.c_in, self.c_out, server_hostname="localhost", **kwargs)
        self.server = server_ctx.wrap_bio(self.s_in, self.s_out, server_side=True)

    def pump(self) -> None:
        if self.c_out.pending:
            self.s_in.write(self.c_out.read())
        if self.s_out.pending:
            self.c_in.write(self.s_out.read())

    def handshake(self) -> None:
        done_c = done_s = False
        for _ in range(20):
            if not done_c:
                try:
                    self.client.do_handshake()
                    done_c = True
                except ssl.SSLWantReadError:
                    pass
            self.pump()
            if not done_s:
                try:
                    self.server.do_handshake()
                    done_s = True
                except ssl.SSLWantReadError:
                    pass
            self.pump()
            if done_c and done_s:
                return
        raise RuntimeError("in-memory handshake did not finish in 20 flights")

    def take_ticket(self) -> Any:
        """Let the client read the server's NewSessionTicket; return its session."""
        self.pump()
        try:
            self.client.read(1)
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
        return self.client.session


def _pair_contexts(impl: _impl.TLSImpl, files: CertFiles) -> tuple[ssl.SSLContext, ssl.SSLContext, list[str]]:
    notes: list[str] = []
    server = impl.server_context()
    server.load_cert_chain(str(files.server_chain), str(files.server_key))
    client = impl.client_context()
    client.load_verify_locations(cafile=str(files.ca))
    for ctx in (client, server):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        try:
            _impl.set_groups(ctx, impl, ["x25519"])
        except (_impl.Unavailable, ssl.SSLError, ValueError) as e:
            notes.append(f"{impl.name}: default groups ({e})")
    return client, server, notes


def _resumable(client: ssl.SSLContext, server: ssl.SSLContext,
               one: Callable[..., None]) -> Callable[[], None]:
    """A resumed handshake with one session over and over (the ssl module
    reuses a session's ticket; cytls hands each out once unless told)."""
    if hasattr(client, "dangerous_reuse_tickets"):
        client.dangerous_reuse_tickets = True
    first = _Pair(client, server)
    first.handshake()
    session = first.take_ticket()
    if session is None:
        raise _impl.Unavailable("no session ticket reached the client")
    probe = _Pair(client, server, session)
    probe.handshake()
    if not probe.client.session_reused:
        raise _impl.Unavailable("the session was not resumed")

    def again() -> None:
        one(sess=session)

    return again


def bench_handshake(report: Report, quick: bool, files: CertFiles) -> None:
    budget = 0.6 if quick else 2.0
    kinds = ("full", "full_uncached", "resumed", "resumed_psk_ke")
    fns: dict[str, dict[str, Callable[[], object]]] = {k: {} for k in kinds}
    reasons: dict[str, dict[str, str]] = {"cytls": {}, "ssl": {}}
    # OpenSSL 3.0 takes psk_dhe_ke whenever a client offers it, and the ssl
    # module cannot make a client offer psk_ke alone: cytls's psk_ke is shown
    # next to the ssl module's only resumed handshake, its psk_dhe_ke one.
    for name in ("cytls", "ssl"):
        try:
            impl = _impl.load(name)
            client, server, _ = _pair_contexts(impl, files)
            _Pair(client, server).handshake()
        except Exception as e:
            for kind in kinds:
                reasons[name][kind] = f"{name} handshake failed: {e}"
            continue

        def one(c: ssl.SSLContext = client, s: ssl.SSLContext = server, sess: Any = None) -> None:
            _Pair(c, s, sess).handshake()

        fns["full"][name] = one
        if name == "cytls":
            # OpenSSL verifies every chain in full; cytls remembers chains
            # that verified (verify_cache_size). Both figures are shown.
            uc, us, _ = _pair_contexts(impl, files)
            uc.verify_cache_size = 0  # type: ignore[attr-defined]

            def one_uncached(c: ssl.SSLContext = uc, s: ssl.SSLContext = us) -> None:
                _Pair(c, s).handshake()

            fns["full_uncached"][name] = one_uncached
        try:
            fns["resumed"][name] = _resumable(client, server, one)
        except Exception as e:
            reasons[name]["resumed"] = f"{name} resumption: {e}"
        if name != "cytls":
            continue
        try:
            kc, ks, _ = _pair_contexts(impl, files)
            kc.dangerous_psk_ke = ks.dangerous_psk_ke = True  # type: ignore[attr-defined]

            def one_ke(c: ssl.SSLContext = kc, s: ssl.SSLContext = ks, sess: Any = None) -> None:
                _Pair(c, s, sess).handshake()

            fns["resumed_psk_ke"][name] = _resumable(kc, ks, one_ke)
        except Exception as e:
            reasons[name]["resumed_psk_ke"] = f"cytls psk_ke resumption: {e}"
    reasons["ssl"]["full_uncached"] = "compared with ssl full (OpenSSL has no such cache)"
    label = {"full": "full handshake, TLS 1.3, x25519, ECDSA P-256 chain verified",
             "full_uncached": "full handshake, chain verified in full each time (verify_cache_size=0)",
             "resumed": "resumed handshake (TLS 1.3 ticket, psk_dhe_ke)",
             "resumed_psk_ke": "resumed handshake (TLS 1.3 ticket, psk_ke; ssl: its psk_dhe_ke)"}
    # Every contender in one alternating measurement, so that the resumed
    # and full rates (and cytls's and ssl's) share the machine's moments.
    together = {f"{name} {kind}": fn for kind in kinds for name, fn in fns[kind].items()}
    rates = measure_rates(together, 1, budget * len(together) / 2) if together else {}
    cytls_full = rates.get("cytls full")
    for kind in kinds:
        if "cytls" not in fns[kind]:
            report.unavailable[f"handshake {kind}"] = reasons["cytls"].get(kind, "not measured")
            continue
        fig = Figure("handshake", label[kind], "handshakes/s", rates[f"cytls {kind}"])
        peer = {"full_uncached": "ssl full", "resumed_psk_ke": "ssl resumed"}.get(
            kind, f"ssl {kind}")
        if peer in rates:
            fig.peers["ssl"] = rates[peer]
        else:
            fig.unavailable_peers["ssl"] = reasons["ssl"].get(kind, "not measured")
        if kind.startswith("resumed") and cytls_full:
            fig.peers["cytls full"] = cytls_full
        report.add(fig)


def _bulk_rate(client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext, total: int,
               rounds: int) -> tuple[float, str]:
    """Client -> server bytes per second through an in-memory pair, 64 KiB writes."""
    pair = _Pair(client_ctx, server_ctx)
    pair.handshake()
    cipher = pair.client.cipher()
    chunk = bytes(64 * 1024)
    best = 0.0
    for _ in range(rounds):
        got = 0
        t0 = time.perf_counter()
        sent = 0
        while sent < total:
            pair.client.write(chunk)
            sent += len(chunk)
            pair.s_in.write(pair.c_out.read())
            while True:
                try:
                    data = pair.server.read(256 * 1024)
                except ssl.SSLWantReadError:
                    break
                got += len(data)
        dt = time.perf_counter() - t0
        if got != total:
            raise RuntimeError(f"server read {got} of {total} bytes")
        best = max(best, total / dt)
    return best, cipher[0] if cipher else "?"


def bench_bulk(report: Report, quick: bool, files: CertFiles) -> None:
    total = (16 if quick else 64) * 1024 * 1024
    rounds = 2 if quick else 3
    try:
        impl = _impl.load("cytls")
        client, server, _ = _pair_contexts(impl, files)
        _Pair(client, server).handshake()
    except Exception as e:
        report.unavailable["bulk"] = f"cytls in-memory handshake not available: {e}"
        return
    ssl_rate, ssl_suite = _bulk_rate(*_pair_contexts(_impl.load("ssl"), files)[:2], total, rounds)
    for suite in _impl.TLS13_SUITES:
        try:
            c, s, _ = _pair_contexts(impl, files)
            _impl.set_suites(c, impl, [suite])
            rate, got = _bulk_rate(c, s, total, rounds)
        except Exception as e:
            report.unavailable[f"bulk {suite}"] = f"cytls: {e}"
            continue
        fig = Figure("bulk", f"SSLObject pair, 64 KiB writes, {got}", "B/s", rate)
        if got == ssl_suite:
            fig.peers["ssl"] = ssl_rate
        else:
            fig.unavailable_peers["ssl"] = (
                f"the ssl module cannot select {got} for TLS 1.3 (it measured {ssl_suite})"
            )
        report.add(fig)


# ---------------------------------------------------------------------------
# Loopback between processes


def loopback_server(impl_name: str, chain: str, key: str) -> None:
    """Child process: accept one TLS client, read a length-prefixed payload, ack it."""
    impl = _impl.load(impl_name)
    ctx = impl.server_context()
    ctx.load_cert_chain(chain, key)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(30)
        print(listener.getsockname()[1], flush=True)
        conn, _ = listener.accept()
        conn.settimeout(30)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            (expected,) = struct.unpack("!Q", recv_exact(tls, 8))
            buf = bytearray(256 * 1024)
            got = 0
            while got < expected:
                n = tls.recv_into(buf)
                if n == 0:
                    break
                got += n
            tls.sendall(struct.pack("!Q", got))


def _loopback_rate(impl_name: str, files: CertFiles, total: int) -> float:
    import cytls

    env = dict(os.environ)
    src = str(Path(cytls.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    code = "import sys; from cytls.cli.bench import loopback_server; loopback_server(*sys.argv[1:])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, impl_name, str(files.server_chain), str(files.server_key)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            err = proc.stderr.read() if proc.stderr else ""
            raise _impl.Unavailable(f"server process failed: {err.strip().splitlines()[-1:] or line!r}")
        port = int(line)
        impl = _impl.load(impl_name)
        ctx = impl.client_context()
        ctx.load_verify_locations(cafile=str(files.ca))
        chunk = memoryview(bytes(64 * 1024))
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            t0 = time.perf_counter()
            tls.sendall(struct.pack("!Q", total))
            sent = 0
            while sent < total:
                tls.sendall(chunk)
                sent += len(chunk)
            (got,) = struct.unpack("!Q", recv_exact(tls, 8))
            dt = time.perf_counter() - t0
        if got != total:
            raise _impl.Unavailable(f"server received {got} of {total} bytes")
        return total / dt
    finally:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_loopback(report: Report, quick: bool, files: CertFiles) -> None:
    total = (32 if quick else 256) * 1024 * 1024
    try:
        _impl.load("cytls")
        ours = _loopback_rate("cytls", files, total)
    except Exception as e:
        report.unavailable["loopback"] = f"cytls over loopback not available: {e}"
        return
    fig = Figure("loopback", "two processes over 127.0.0.1, 64 KiB writes", "B/s", ours)
    try:
        fig.peers["ssl"] = _loopback_rate("ssl", files, total)
    except Exception as e:
        fig.unavailable_peers["ssl"] = str(e)
    report.add(fig)


# ---------------------------------------------------------------------------
# Output


def print_report(report: Report) -> None:
    m = report.machine
    say(f"cytls bench on {m.get('cpu', m.get('machine'))}, Python {m.get('python')}, "
        f"{m.get('cpus')} CPUs")
    say(f"  ssl module: {m.get('ssl_module_openssl')}; cryptography: {m.get('cryptography', '?')}")
    say(f"  cytls backends: {m.get('cytls_backends')}")
    titles = {
        "aead": "AEAD seal/open, one core (ratio = cytls / peer)",
        "record": "Record layer, seal + open of 64 KiB writes",
        "handshake": "Handshakes per second, client and server in one process, in memory",
        "bulk": "In-memory bulk transfer through SSLObject pairs",
        "loopback": "Loopback transfer between two processes",
        **_bench_sections.TITLES,
    }
    for section in SECTIONS:
        figs = [f for f in report.figures if f.section == section]
        missing = {k: v for k, v in report.unavailable.items() if k.split()[0] == section}
        if not figs and not missing:
            continue
        say("")
        say(titles[section])
        if figs:
            peers = sorted({p for f in figs for p in (*f.peers, *f.unavailable_peers)})
            header = ["", "cytls"]
            for p in peers:
                header += [p, "ratio"]
            rows = []
            for f in figs:
                row = [f.name, _fmt(f.cytls, f.unit)]
                for p in peers:
                    if p in f.peers:
                        row += [_fmt(f.peers[p], f.unit), f"{f.ratios[p]:.2f}x"]
                    else:
                        row += ["n/a", ""]
                rows.append(row)
            print_table(rows, header)
            notes = {(p, r) for f in figs for p, r in f.unavailable_peers.items()}
            for p, r in sorted(notes):
                say(f"  n/a {p}: {r}")
        for what, reason in missing.items():
            say(f"  {what}: unavailable: {reason}")


def run(args: argparse.Namespace) -> int:
    """Run the chosen sections and print the table (or JSON).

    Raises:
        CLIError: an unknown section name.
    """
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    bad = [s for s in chosen if s not in SECTIONS]
    if bad:
        raise CLIError(f"unknown section(s) {', '.join(bad)}; choose from {', '.join(SECTIONS)}")
    progress = sys.stderr if args.json else sys.stdout
    report = Report(machine=_machine(), progress=progress)
    with _certgen.generate("ec").write() as files:
        for section in SECTIONS:
            if section not in chosen:
                continue
            # A progress line per section, on stderr with --json.
            say(f"measuring {section}...", file=progress)
            t0 = time.perf_counter()
            if section == "aead":
                bench_aead(report, args.quick)
            elif section == "record":
                bench_record(report, args.quick)
            elif section == "handshake":
                bench_handshake(report, args.quick, files)
            elif section == "bulk":
                bench_bulk(report, args.quick, files)
            elif section == "loopback":
                bench_loopback(report, args.quick, files)
            else:
                _bench_sections.run_section(section, report, args.quick, files)
            report.machine.setdefault("section_seconds", {})[section] = round(time.perf_counter() - t0, 2)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print_report(report)
    return 0
