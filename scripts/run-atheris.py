#!/usr/bin/env python3
"""Run every atheris target for a bounded time, one after the other.

Each target (tests/fuzz/atheris/fuzz_targets.py) starts from its seed corpus
(tests/fuzz/atheris/corpus/NAME) and its regression corpus
(tests/fuzz/atheris/regressions/NAME: every input that ever found a bug);
new inputs go to a scratch directory, never into the repository. An input
over 1 s, an exception from the target, or memory growth (run_target.py) is a
finding: libFuzzer writes it to the artifacts directory, and this script
exits 1 after the last target. It prints the executions of each target.

    python scripts/run-atheris.py [--seconds 30] [--only server13,client12]
        [--artifacts DIR] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUZZ = ROOT / "tests" / "fuzz" / "atheris"
sys.path.insert(0, str(FUZZ))

from fuzz_targets import TARGETS  # noqa: E402


def _argv(name: str, extra: list[str], dirs: list[str]) -> list[str]:
    return [sys.executable, str(FUZZ / "run_target.py"), name, *extra, *dirs]


def _still_slow(name: str, unit: Path) -> bool:
    """Whether a timeout input is slow on its own: rerun it alone, three
    times, under the same 1 s limit. On a loaded machine libFuzzer's alarm
    also fires when the process was merely not scheduled for a second."""
    proc = subprocess.run(
        _argv(name, ["-timeout=1", "-runs=3"], [str(unit)]), capture_output=True, text=True
    )
    return proc.returncode != 0


def run(name: str, seconds: int, work: Path, artifacts: Path) -> tuple[int, int, float]:
    """One target; returns (exit code, executions, seconds taken)."""
    scratch = work / name
    scratch.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    dirs = [str(scratch)]
    for d in (FUZZ / "corpus" / name, FUZZ / "regressions" / name):
        if d.is_dir():
            dirs.append(str(d))
    start = time.monotonic()
    execs = 0
    while True:
        left = int(seconds - (time.monotonic() - start))
        if left <= 0:
            return 0, execs, time.monotonic() - start
        before = set(artifacts.iterdir())
        extra = [
            f"-max_total_time={left}",
            "-timeout=1",
            "-rss_limit_mb=2048",
            "-max_len=16384",
            "-print_final_stats=1",
            f"-artifact_prefix={artifacts}/{name}-",
        ]
        proc = subprocess.run(
            _argv(name, extra, dirs), capture_output=True, text=True, errors="replace"
        )
        stats = re.findall(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
        execs += int(stats[-1]) if stats else 0
        if proc.returncode == 0:
            return 0, execs, time.monotonic() - start
        new = sorted(set(artifacts.iterdir()) - before)
        if new and all(p.name.startswith(f"{name}-timeout-") for p in new):
            if not any(_still_slow(name, p) for p in new):
                for p in new:
                    print(f"  {name}: spurious timeout (fast when rerun alone): {p.name}")
                    p.rename(p.with_name(p.name.replace("-timeout-", "-spurious-timeout-")))
                continue
        sys.stderr.write(proc.stderr[-6000:])
        return proc.returncode, execs, time.monotonic() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("CYTLS_ATHERIS_SECONDS", 30)))
    ap.add_argument("--only", default="", help="comma-separated target names")
    ap.add_argument("--artifacts", type=Path, default=None)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] or list(TARGETS)
    unknown = set(names) - set(TARGETS)
    if unknown:
        sys.exit(f"unknown targets: {', '.join(sorted(unknown))}")
    work = args.work or Path(tempfile.mkdtemp(prefix="cytls-atheris-"))
    artifacts = args.artifacts or work / "artifacts"
    failed = []
    print(f"{'target':20} {'executions':>12} {'seconds':>8} {'exec/s':>8}  result", flush=True)
    for name in names:
        code, execs, took = run(name, args.seconds, work, artifacts)
        result = "ok" if code == 0 else f"FINDING (exit {code})"
        if code:
            failed.append(name)
        rate = execs / took if took else 0.0
        print(f"{name:20} {execs:>12} {took:>8.0f} {rate:>8.0f}  {result}", flush=True)
    if failed:
        print(f"findings in: {', '.join(failed)}; inputs under {artifacts}")
        sys.exit(1)
    print(f"no findings; scratch corpus in {work}")


if __name__ == "__main__":
    main()
