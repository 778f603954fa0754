"""`python -m cytls demo`: runs to completion and names every handshake step; fails
clearly (never fakes) while the cytls engine is missing."""

from __future__ import annotations

import re

import pytest
from cli_helpers import cytls_reason, run_cli

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


def test_demo_fails_clearly_without_the_engine() -> None:
    reason = cytls_reason()
    if reason is None:
        pytest.skip("the cytls engine is available; the failure path cannot be reached")
    res = run_cli("demo", "--size", "1", timeout=60)
    assert res.returncode == 1
    assert res.stdout == ""  # nothing shown as if it had happened
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert lines[0].startswith("cytls demo: error: cytls handshake engine not available: ")
