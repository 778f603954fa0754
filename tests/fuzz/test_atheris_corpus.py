"""The atheris targets' seed and regression corpora, replayed without atheris.

Owns: the property that every stored input (tests/fuzz/atheris/corpus and
regressions) runs through its target without a finding, so a regression
input guards its bug in the default test run; and that recorded real
handshakes still replay to completion (the deterministic peers of
fuzz_targets still match the recordings).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "atheris"
sys.path.insert(0, str(HERE))

import fuzz_targets as ft  # noqa: E402

from cytls._connection import Connection  # noqa: E402


def _inputs(kind: str) -> list[tuple[str, Path]]:
    return [
        (d.name, f)
        for d in sorted((HERE / kind).iterdir())
        if d.is_dir()
        for f in sorted(d.iterdir())
        if f.is_file() and not f.name.startswith(".")
    ]


@pytest.mark.parametrize("kind", ["corpus", "regressions"])
def test_every_stored_input_runs_clean(kind: str) -> None:
    inputs = _inputs(kind)
    assert inputs or kind == "regressions"
    for target, path in inputs:
        ft.TARGETS[target](path.read_bytes())  # raises Finding on a finding


def test_regression_inputs_exist_for_the_certificate_bug() -> None:
    names = [p.name for t, p in _inputs("regressions") if t == "certificate"]
    assert any("duplicated" in n for n in names)


@pytest.mark.parametrize("target", sorted(ft.CONNECTION_TARGETS))
def test_recorded_handshakes_replay(target: str) -> None:
    # Each recorded peer flight takes a fresh deterministic endpoint through
    # the whole handshake: the seeds start the fuzzer deep in the protocol.
    version = ft.TLS13 if target.endswith("13") else ft.TLS12
    files = sorted((HERE / "corpus" / target).iterdir())
    peers = {f.name.rsplit("-", 1)[0] for f in files}
    assert {"openssl-client", "gnutls-cli-client", "ssl-client", "cytls-client"} <= peers or {
        "openssl-server",
        "gnutls-serv-server",
        "ssl-server",
        "cytls-server",
    } <= peers
    for f in files:
        if target.startswith("client"):
            conn = Connection(ft.client_config(version), hooks=ft.client_hooks())
            conn.start_handshake()
        else:
            conn = Connection(ft.server_config(version), hooks=ft.server_hooks())
        conn.receive_data(f.read_bytes())
        assert conn.handshake_complete, f.name
