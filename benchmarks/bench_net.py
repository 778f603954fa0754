"""Where users feel speed: sockets, latency, asyncio, threads, server CPU; idle memory.

Run: `python benchmarks/bench_net.py [--rounds N] [--quick] [--sections ...]`
prints each figure for cytls and the `ssl` module, measured in the same run,
interleaved round by round, the median kept, with the ratio (the same loops
as `python -m cytls bench --sections sockets,latency,asyncio,threads,server-cpu,memory`,
from cytls.cli._bench_net, _bench_aio, _bench_mem and _bench_sections).

Also a pytest-benchmark suite: `python -m pytest benchmarks/bench_net.py`
(one case per figure and implementation; pytest-benchmark times the calls,
each of which moves a fixed amount of data or runs a fixed number of
connections).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import pytest

from cytls.cli import _bench_aio, _bench_mem, _bench_net, _bench_sections, _certgen
from cytls.cli._bench_report import Report
from cytls.cli._certgen import CertFiles

IMPLS = ("cytls", "ssl")
MIB = 1024 * 1024


# ----------------------------------------------------------- pytest-benchmark


@pytest.fixture(scope="module")
def files() -> Iterator[CertFiles]:
    with _certgen.generate("ec").write() as f:
        yield f


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("direction", ["send", "recv"])
@pytest.mark.parametrize("size", [16384, 65536])
@pytest.mark.parametrize("reader", ["recv_into", "recv"])
def test_socket_bulk(benchmark: Any, files: CertFiles, impl: str, direction: str, size: int,
                     reader: str) -> None:
    benchmark.pedantic(_bench_net.socket_rate, args=(impl, files),
                       kwargs={"direction": direction, "size": size, "reader": reader,
                               "total": 32 * MIB}, rounds=3)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("role", ["server", "client"])
def test_connection_latency(benchmark: Any, files: CertFiles, impl: str, role: str) -> None:
    server, client = (impl, "ssl") if role == "server" else ("ssl", impl)
    benchmark.pedantic(_bench_net.latency, args=(server, client, files, 20), rounds=3)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("echo", [False, True], ids=["bulk", "echo"])
def test_asyncio_streams(benchmark: Any, files: CertFiles, impl: str, echo: bool) -> None:
    benchmark.pedantic(_bench_aio.aio_bulk, args=(impl, files),
                       kwargs={"total": 32 * MIB, "echo": echo}, rounds=3)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("keepalive", [True, False], ids=["keepalive", "new-connections"])
def test_asyncio_http(benchmark: Any, files: CertFiles, impl: str, keepalive: bool) -> None:
    # A fixed duration: the figure is the rate the call returns (see --help).
    rate = benchmark.pedantic(_bench_aio.aio_http, args=(impl, files),
                              kwargs={"clients": 8, "seconds": 1.0, "keepalive": keepalive},
                              rounds=3)
    benchmark.extra_info["per_second"] = rate


# PLAIN_TCP: the same loop over bare sockets, the ceiling loopback TCP sets.
@pytest.mark.parametrize("impl", [*IMPLS, _bench_net.PLAIN_TCP])
@pytest.mark.parametrize("pairs", [1, 2])
def test_thread_pairs(benchmark: Any, files: CertFiles, impl: str, pairs: int) -> None:
    benchmark.pedantic(_bench_net.thread_scaling, args=(impl, files),
                       kwargs={"pairs": pairs, "total": 32 * MIB}, rounds=3)


@pytest.mark.parametrize("impl", IMPLS)
def test_server_cpu(benchmark: Any, files: CertFiles, impl: str) -> None:
    contexts = _bench_sections._handshake_contexts(impl, files, ["x25519"])
    server_rate, _ = benchmark.pedantic(_bench_sections.server_handshake_costs,
                                        args=(*contexts, 50), rounds=3)
    benchmark.extra_info["server_handshakes_per_cpu_second"] = server_rate


@pytest.mark.parametrize("impl", IMPLS)
def test_idle_memory(benchmark: Any, files: CertFiles, impl: str) -> None:
    # The figure is the memory (extra_info), each round in a fresh process;
    # the time pytest-benchmark records is only the run's.
    result = benchmark.pedantic(_bench_mem.idle_memory, args=(impl, files, 200), rounds=3)
    benchmark.extra_info.update(result)


# ---------------------------------------------------------------- script


def main() -> None:
    from cytls.cli.bench import print_report

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, one round")
    parser.add_argument("--sections", default=",".join(_bench_sections.SECTIONS))
    args = parser.parse_args()
    report = Report()
    with _certgen.generate("ec").write() as f:
        for section in args.sections.split(","):
            print(f"measuring {section}...", file=sys.stderr, flush=True)
            _bench_sections.run_section(section.strip(), report, args.quick, f)
    print_report(report)


if __name__ == "__main__":
    main()
