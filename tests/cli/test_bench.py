"""`python -m cytls bench`: every figure it prints comes from a measurement."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
from cli_helpers import run_cli

from cytls.cli import _bench_mem, _bench_sections
from cytls.cli._bench_report import fmt_value, interleaved_medians
from cytls.cli.bench import SECTIONS, Figure, Report, measure_rate, measure_rates, print_report


def test_measure_rate_measures() -> None:
    # A call that takes at least 2 ms processes 1000 units: at most 500,000 units/s,
    # and not wildly less on a loaded machine.
    rate = measure_rate(lambda: time.sleep(0.002), 1000, 0.15)
    assert 20_000 < rate <= 500_000


def test_measure_rates_tells_fast_from_slow() -> None:
    rates = measure_rates({"fast": lambda: time.sleep(0.001), "slow": lambda: time.sleep(0.004)}, 1, 0.2)
    assert rates["fast"] > 1.5 * rates["slow"]


def test_ratio_is_measured_over_peer() -> None:
    f = Figure("aead", "x", "B/s", 300.0, {"a": 100.0, "b": 600.0})
    assert f.ratios == {"a": 3.0, "b": 0.5}


@pytest.mark.slow
def test_bench_quick_json_figures_are_measured() -> None:
    t0 = time.monotonic()
    res = run_cli("bench", "--quick", "--json", timeout=90)
    elapsed = time.monotonic() - t0
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert elapsed < 45, f"--quick took {elapsed:.0f} s"
    for what, reason in report["unavailable"].items():
        assert isinstance(reason, str) and reason.strip(), what
    assert report["figures"] or report["unavailable"]
    for f in report["figures"]:
        assert isinstance(f["cytls"], float) and f["cytls"] > 0 and math.isfinite(f["cytls"]), f
        assert set(f["ratios"]) == set(f["peers"]), f
        for peer, value in f["peers"].items():
            assert isinstance(value, float) and value > 0, f
            assert f["ratios"][peer] == f["cytls"] / value, f
        for peer, reason in f["unavailable_peers"].items():
            assert peer not in f["peers"] and reason.strip(), f
    sections = {f["section"] for f in report["figures"]} | {k.split()[0] for k in report["unavailable"]}
    assert sections == set(SECTIONS)
    # The network, asyncio, thread and server-CPU figures each carry the ssl
    # module's figure from the same run (or say why it has none).
    for f in report["figures"]:
        if f["section"] in _bench_sections.SECTIONS:
            assert "ssl" in f["peers"] or "ssl" in f["unavailable_peers"], f
    # Thread scaling also has the same loop over bare sockets: the ceiling.
    threads = [f for f in report["figures"] if f["section"] == "threads"]
    assert threads and all("plain TCP" in f["peers"] for f in threads), threads
    assert "measuring sockets..." in res.stderr  # a progress line per section, with --json too
    # AEAD figures exist exactly when cytls.crypto imports; both sizes, both directions.
    try:
        import cytls.crypto  # noqa: F401
    except ImportError:
        assert "aead" in report["unavailable"]
    else:
        names = {f["name"] for f in report["figures"] if f["section"] == "aead"}
        assert "AES-128-GCM seal 16384 B" in names and "ChaCha20-Poly1305 open 256 B" in names


def test_table_says_unavailable_instead_of_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    report = Report(machine={"cpu": "test"})
    report.figures.append(Figure("bulk", "pair", "B/s", 2e9, {"ssl": 1e9},
                                 {"other": "cannot select that suite"}))
    report.unavailable["record"] = "cytls._record.RecordLayer is not available: gone"
    print_report(report)
    out = capsys.readouterr().out
    assert "  record: unavailable: cytls._record.RecordLayer is not available: gone" in out
    row = next(line for line in out.splitlines() if line.startswith("pair"))
    assert row.split() == ["pair", "2.00", "GB/s", "n/a", "1.00", "GB/s", "2.00x"]
    assert "  n/a other: cannot select that suite" in out


def test_unknown_section_is_one_line() -> None:
    res = run_cli("bench", "--sections", "aead,nope")
    assert res.returncode == 1
    assert res.stderr.strip() == ("cytls bench: error: unknown section(s) nope; choose from "
                                  "aead, record, handshake, bulk, loopback, sockets, latency, "
                                  "asyncio, threads, server-cpu, memory")


def test_interleaved_medians_alternate_and_take_the_median() -> None:
    calls: list[str] = []
    values = {"a": iter([5.0, 1.0, 3.0]), "b": iter([2.0, 9.0, 4.0])}

    def make(name: str):  # type: ignore[no-untyped-def]
        def fn() -> float:
            calls.append(name)
            return next(values[name])
        return fn

    got = interleaved_medians({"a": make("a"), "b": make("b")}, 3)
    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert got == {"a": 3.0, "b": 4.0}


def test_factor_and_rate_units_print(capsys: pytest.CaptureFixture[str]) -> None:
    report = Report(machine={"cpu": "test"})
    report.figures.append(Figure("threads", "scaling", "x", 1.9, {"ssl": 1.0}))
    report.figures.append(Figure("latency", "conn", "connections/s", 500.0, {"ssl": 400.0}))
    print_report(report)
    out = capsys.readouterr().out
    assert next(line for line in out.splitlines() if line.startswith("scaling")).split() == [
        "scaling", "1.90x", "1.00x", "1.90x"]
    assert next(line for line in out.splitlines() if line.startswith("conn")).split() == [
        "conn", "500/s", "400/s", "1.25x"]


def test_each_measurement_is_reported_as_it_completes() -> None:
    import io

    stream = io.StringIO()
    report = Report(progress=stream)
    report.add(Figure("record", "seal+open 64 KiB, X", "B/s", 3e9, {"raw AEAD": 2e9}))
    assert stream.getvalue() == "  record: seal+open 64 KiB, X: cytls 3.00 GB/s; raw AEAD 2.00 GB/s (1.50x)\n"
    silent = Report()
    silent.add(Figure("record", "y", "B/s", 1.0, {}))
    assert [f.name for f in silent.figures] == ["y"]


@pytest.mark.slow
def test_bench_prints_progress_before_the_table() -> None:
    res = run_cli("bench", "--quick", "--sections", "record", timeout=90)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    progress = [line for line in out.splitlines() if line.startswith("  record: ")]
    assert progress, out
    assert out.index(progress[-1]) < out.index("Record layer, seal + open")


def test_memory_section_measures_both_in_fresh_processes(pki: Any) -> None:
    """The memory section runs: a figure per quantity, cytls and the ssl
    module each measured (in its own child), the ratio cytls / ssl."""
    report = Report()
    _bench_sections.run_section("memory", report, True, pki)
    assert report.unavailable == {}
    figs = [f for f in report.figures if f.section == "memory"]
    assert [f.unit for f in figs] == ["B", "B"]
    for f in figs:
        assert f.cytls > 0 and f.peers["ssl"] > 0
        assert f.ratios == {"ssl": f.cytls / f.peers["ssl"]}
    # The child's figures come from measuring: more idle pairs, more memory
    # in all, and the per-side figure of one pair is of a sane size.
    small = _bench_mem.idle_memory("cytls", pki, 4)
    large = _bench_mem.idle_memory("cytls", pki, 64)
    assert small["sides"] == 8 and large["sides"] == 128
    assert large["rss_per_side"] * 128 > small["rss_per_side"] * 8
    assert 1024 < large["heap_per_side"] < 1 << 20
    assert fmt_value(22.5 * 1024, "B") == "22.5 KiB"


def test_memory_child_failure_is_reported(pki: Any) -> None:
    with pytest.raises(RuntimeError, match="memory child for nope"):
        _bench_mem.idle_memory("nope", pki, 2)
