"""Where a TLS 1.3 handshake pair's time goes, full and resumed, and what
that allows the resumed-to-full ratio to reach: cytls measured next to the
ssl module's own full and resumed rates in the same run.

Run: python benchmarks/bench_resume_budget.py [--count N] [--rounds R]
     (or through pytest-benchmark: pytest benchmarks/bench_resume_budget.py)

Why: issue 12 asks for a resumed handshake at least 2x faster than a full
cytls handshake. A resumed handshake skips only part of a full one: the
certificate work (the server's CertificateVerify signature, the client's
Certificate and CertificateVerify handling with its signature check) and,
with psk_ke, the (EC)DHE steps other than the client's key generation (the
client offers a share in case the server declines the PSK). It adds work of
its own: the PSK offer and binder on the client, the ticket and binder
checks on the server. The rest (messages, key schedule, record keys, the
SSLObject layer) both kinds share, the resumed one a little less of it (no
Certificate message to build, encrypt and hash). So:
- with resumption free, the ratio is at most full / (resumed - resumption);
- a cut to the shared code shrinks both kinds alike, so even with
  resumption free a ratio of 2 needs the shared part cut by
  2 x (resumed - resumption) - full (computed below from the same run).

How: the same in-memory SSLObject pairs as `python -m cytls bench`
(X25519, ECDSA P-256 chain verified with the verified-chain cache, one
session resumed over and over). Each component is timed by wrapping the
cytls functions that do it (a few wrapper calls per pair, about 0.3 us
each, land in the components); "shared" is the pair's total minus the
components. Rounds alternate full, psk_dhe_ke and psk_ke; medians per
component over rounds. The ssl module's full and resumed (psk_dhe_ke)
rates come from rounds between cytls's, for its own resumed/full ratio.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cytls.cli import _certgen, _impl  # noqa: E402
from cytls.cli.bench import _Pair, _pair_contexts, _resumable  # noqa: E402

# component -> the cytls functions whose time it is (module, attribute).
COMPONENTS: dict[str, list[tuple[str, str]]] = {
    "client key generation": [("cytls._handshake.groups", "KeyShare.__init__")],
    "client key exchange": [("cytls._handshake.groups", "KeyShare.exchange")],
    "server key exchange": [("cytls._handshake.groups", "server_exchange")],
    "certificate work": [
        ("cytls._handshake.checks", "sign"),
        ("cytls._handshake.client13", "ExpectCertificateOrCertificateRequest.handle"),
        ("cytls._handshake.client13", "ExpectCertificateVerify.handle"),
    ],
    "resumption": [
        ("cytls._handshake.psk13", "add_offer"),
        ("cytls._handshake.psk13", "fill_binder"),
        ("cytls._handshake.psk13", "server_psk"),
    ],
    "tickets issued": [("cytls._handshake.psk13", "issue_tickets")],
}
MODES = ("full", "psk_dhe_ke", "psk_ke")


@contextmanager
def timed_components() -> Iterator[dict[str, float]]:
    """Wrap every component's functions (and the names other cytls modules
    imported them under) with timers; yields the seconds per component,
    restores everything on exit."""
    spent = dict.fromkeys(COMPONENTS, 0.0)
    undo: list[tuple[Any, str, Any]] = []

    def wrap(fn: Callable[..., Any], component: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[component] += time.perf_counter() - t0

        return timed

    try:
        for component, targets in COMPONENTS.items():
            for module_name, attr in targets:
                owner: Any = importlib.import_module(module_name)
                *path, name = attr.split(".")
                for part in path:
                    owner = getattr(owner, part)
                fn = getattr(owner, name)
                timed = wrap(fn, component)
                undo.append((owner, name, fn))
                setattr(owner, name, timed)
                if path:
                    continue  # a method: every caller finds it on the class
                for other in list(sys.modules.values()):
                    if getattr(other, "__name__", "").startswith("cytls.") and (
                        other is not owner and getattr(other, name, None) is fn
                    ):
                        undo.append((other, name, fn))
                        setattr(other, name, timed)
        yield spent
    finally:
        for owner, name, fn in reversed(undo):
            setattr(owner, name, fn)


def handshakes(impl_name: str, files: _certgen.CertFiles) -> dict[str, Callable[[], None]]:
    """One handshake pair per call, for each mode this implementation has."""
    impl = _impl.load(impl_name)
    out: dict[str, Callable[[], None]] = {}
    for mode in MODES:
        if impl_name == "ssl" and mode == "psk_ke":
            continue  # OpenSSL 3.0 takes psk_dhe_ke whenever it is offered
        client, server, _ = _pair_contexts(impl, files)
        if mode == "psk_ke":
            for ctx in (client, server):
                setattr(ctx, "dangerous_psk_ke", True)  # noqa: B010 (cytls's own option)

        def one(sess: Any = None, client: Any = client, server: Any = server) -> None:
            _Pair(client, server, sess).handshake()

        out[mode] = one if mode == "full" else _resumable(client, server, one)
    return out


def per_pair(fn: Callable[[], None], count: int) -> float:
    t0 = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - t0) / count


def measure(count: int, rounds: int) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """(cytls: mode -> component -> us per pair, with "total" and "shared";
    ssl: mode -> us per pair), medians over rounds."""
    files = _certgen.generate().write()
    ours = handshakes("cytls", files)
    theirs = handshakes("ssl", files)
    for fn in (*ours.values(), *theirs.values()):
        per_pair(fn, 50)  # warm up
    samples: dict[str, dict[str, list[float]]] = {m: {} for m in MODES}
    ssl_samples: dict[str, list[float]] = {m: [] for m in theirs}
    for _ in range(rounds):
        for mode, fn in ours.items():
            with timed_components() as spent:
                total = per_pair(fn, count)
            row = {k: v / count for k, v in spent.items()}
            row["total"] = total
            row["shared"] = total - sum(spent.values()) / count
            for k, v in row.items():
                samples[mode].setdefault(k, []).append(v * 1e6)
        for mode, fn in theirs.items():
            ssl_samples[mode].append(per_pair(fn, count) * 1e6)
    cytls = {m: {k: statistics.median(v) for k, v in s.items()} for m, s in samples.items()}
    return cytls, {m: statistics.median(v) for m, v in ssl_samples.items()}


def bounds(cy: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per resumed mode: the measured resumed/full ratio, the ratio if
    resumption cost nothing, and the shared part a ratio of 2 allows with
    resumption free (see the module docstring)."""
    full = cy["full"]["total"]
    out = {}
    for mode in ("psk_dhe_ke", "psk_ke"):
        res = cy[mode]
        without = res["total"] - res["resumption"]
        cut = 2 * without - full
        out[mode] = {
            "measured": full / res["total"],
            "free resumption": full / without,
            "shared allowed for 2x": res["shared"] - cut,
            "shared now": res["shared"],
        }
    return out


def report(cy: dict[str, dict[str, float]], peer: dict[str, float]) -> None:
    rows = [*COMPONENTS, "shared", "total"]
    print(f"{'us per handshake pair (median)':32}" + "".join(f"{m:>12}" for m in MODES))
    for k in rows:
        print(f"{k:32}" + "".join(f"{cy[m].get(k, 0.0):12.1f}" for m in MODES))
    print()
    print(
        f"ssl module: full {peer['full']:.1f} us, resumed (psk_dhe_ke) {peer['psk_dhe_ke']:.1f} us"
        f" per pair: its resumed/full ratio {peer['full'] / peer['psk_dhe_ke']:.2f}x;"
        f" cytls resumed psk_dhe_ke / ssl resumed: {peer['psk_dhe_ke'] / cy['psk_dhe_ke']['total']:.2f}x"
        f" (rates), psk_ke / ssl resumed: {peer['psk_dhe_ke'] / cy['psk_ke']['total']:.2f}x"
    )
    for mode, b in bounds(cy).items():
        print(
            f"cytls {mode}: resumed/full {b['measured']:.2f}x; at most"
            f" {b['free resumption']:.2f}x if resumption cost nothing; 2x would then need the"
            f" shared part <= {b['shared allowed for 2x']:.0f} us (now {b['shared now']:.0f} us)"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=400, help="handshake pairs per mode and round")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    cy, peer = measure(args.count, args.rounds)
    report(cy, peer)


def test_bench_resume_budget(benchmark) -> None:  # type: ignore[no-untyped-def]
    cy, _ = benchmark.pedantic(measure, args=(20, 1), rounds=1, iterations=1)
    # The components must account for time in every mode that has them.
    assert cy["full"]["certificate work"] > 0 and cy["psk_dhe_ke"]["resumption"] > 0
    assert cy["psk_ke"]["server key exchange"] == 0


if __name__ == "__main__":
    main()
