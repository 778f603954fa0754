"""Run one atheris target: `python run_target.py NAME [libFuzzer flags] [corpus dirs]`.

Owns: atheris setup (the cytls modules are imported under instrumentation, so
libFuzzer sees Python coverage), and the memory-growth check across inputs.
A finding is an exception from the target (see fuzz_targets.Finding), an
input slower than libFuzzer's -timeout (the runner passes 1 s), or memory
that keeps growing: after a warm-up, the live Python objects and the
resident set are sampled every CHECK_EVERY inputs; growth past the limits
below raises a Finding naming the input that crossed them. libFuzzer's own
-rss_limit_mb stays on as a backstop.
Must not: know about corpora or time budgets (scripts/run-atheris.py does).
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["cytls"]):
    from fuzz_targets import TARGETS, Finding

    import cytls  # noqa: F401

WARMUP = 10_000
CHECK_EVERY = 10_000
# Limits on growth after the warm-up: caches (parsed certificates, 256 at
# most) level off long before these, while one leaked object per input
# crosses the first within 60,000 inputs.
MAX_OBJECT_GROWTH = 50_000
MAX_RSS_GROWTH_MB = 256


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class MemoryWatch:
    def __init__(self) -> None:
        self.count = 0
        self.base_objects = 0
        self.base_rss = 0.0

    def __call__(self, data: bytes) -> None:
        self.count += 1
        if self.count % CHECK_EVERY:
            return
        gc.collect()
        objects, rss = len(gc.get_objects()), _rss_mb()
        if self.count == WARMUP:
            self.base_objects, self.base_rss = objects, rss
            return
        if self.count < WARMUP:
            return
        if objects - self.base_objects > MAX_OBJECT_GROWTH:
            raise Finding(f"live objects grew from {self.base_objects} to {objects}")
        if rss - self.base_rss > MAX_RSS_GROWTH_MB:
            raise Finding(f"RSS grew from {self.base_rss:.0f} MB to {rss:.0f} MB")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: run_target.py {{{','.join(TARGETS)}}} [libFuzzer args]")
    target = TARGETS[sys.argv[1]]
    watch = MemoryWatch()

    def one(data: bytes) -> None:
        target(data)
        watch(data)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
