"""`python -m cytls demo`: runs to completion and names every handshake step; fails
clearly (never fakes) while the cytls engine is missing."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from cli_helpers import cli_env, cytls_reason, run_cli

from cytls.cli.demo import STEPS


def test_demo_names_every_step() -> None:
    reason = cytls_reason()
    if reason:
        pytest.skip(f"cytls handshake engine not on this branch yet: {reason}")
    res = run_cli("demo", "--size", "2", timeout=60)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    trace = out.split("Handshake, step by step", 1)[1].split("Negotiated", 1)[0]
    lines = [line for line in trace.splitlines() if re.match(r"\s+\+\s*[0-9.]+ ms", line)]
    for step in STEPS:
        assert any(re.search(rf"\b{step}\b", line) for line in lines), f"{step} missing:\n{trace}"
    # Certificate, CertificateVerify and Finished happen on both sides in mutual TLS.
    for step in ("Certificate", "CertificateVerify", "Finished"):
        for side in ("[C]", "[S]"):
            assert any(side in line and re.search(rf"\b{step}\b", line) for line in lines), (step, side)
    times = [float(re.match(r"\s+\+\s*([0-9.]+) ms", line).group(1)) for line in lines]
    assert times == sorted(times) and times[-1] > 0
    assert "client cert    verified by the server" in out
    assert "server chain   verified by the client" in out
    rates = re.findall(r"^\s+(cytls|ssl)\s+TLS_\S+\s+([0-9.]+) (MB|GB)/s", out, re.M)
    assert {name for name, _, _ in rates} == {"cytls", "ssl"}
    assert "x the ssl module" in out
    assert "group          X25519MLKEM768" in out  # the default prefers the hybrid
    # Handshakes compared like with like (x25519 on both), the hybrid apart;
    # each a first and a warm figure.
    hs = re.findall(r"^\s+(cytls|ssl)\s+(\S+)\s+first\s+([0-9.]+) ms\s+warm median\s+([0-9.]+) ms",
                    out, re.M)
    assert {(name, group) for name, group, _, _ in hs} >= {
        ("cytls", "x25519"), ("ssl", "x25519"), ("cytls", "X25519MLKEM768")}
    assert all(float(first) > 0 and float(warm) > 0 for _, _, first, warm in hs)


def test_demo_with_the_hybrid_group() -> None:
    res = run_cli("demo", "--group", "X25519MLKEM768", "--size", "1", "--rounds", "1",
                  "--warm", "1", timeout=60)
    assert res.returncode == 0, res.stderr
    assert "group          X25519MLKEM768" in res.stdout
    assert "send ClientHello  — suites:" in res.stdout
    assert re.search(r"^\s+cytls\s+X25519MLKEM768\s+first", res.stdout, re.M)


_WITHOUT_CORE = """
import importlib.abc, runpy, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "cytls._core":
            raise ImportError("No module named 'cytls._core' (blocked by the test)")
        return None

sys.meta_path.insert(0, Block())
sys.argv = ["cytls", "demo", "--size", "1"]
runpy.run_module("cytls", run_name="__main__", alter_sys=True)
"""


def test_demo_fails_clearly_without_the_engine() -> None:
    # The C core made unimportable, as in a checkout where it was never built.
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_CORE], capture_output=True, text=True,
                          timeout=60, env=cli_env(), check=False)
    assert proc.returncode == 1
    assert proc.stdout == ""  # nothing shown as if it had happened
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("cytls demo: error: cytls handshake engine not available: ")
    assert "cytls._core" in lines[0]


def test_size_labels_match_what_is_moved() -> None:
    res = run_cli("demo", "--size", "1", "--rounds", "2", "--no-compare", timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "2 rounds of 1.0 MiB (2.0 MiB in all) client -> server" in out
    bar = [line for line in out.splitlines() if line.lstrip().startswith("cytls") and "%" in line]
    assert bar and "2.0 MiB in" in bar[-1], out
    assert "median of 2 rounds of 1.0 MiB each" in out
