#!/usr/bin/env python3
"""Build the libFuzzer targets of fuzz/ and run each for a bounded time.

Builds every fuzz/fuzz_*.c with clang, libFuzzer, AddressSanitizer and
UBSan (csrc/ compiled as tools/cbuild.py says, each backend with its own
target flags, plus -Werror), writes the seed corpora with fuzz/make_seeds,
then for each target: runs every input of fuzz/regressions/<target>/ once,
and fuzzes for --seconds on the working corpus (fuzz/build/corpus/<target>,
seeds plus what earlier runs found) together with the regression corpus.
Exits non-zero on any build failure or finding; a finding's input is saved
under fuzz/build/artifacts/ -- fix the bug, then copy the input into
fuzz/regressions/<target>/ so that every later run replays it.

Usage:
    scripts/run-fuzz.py [--seconds N] [--runs N] [--targets a,b]
                        [--cc CLANG] [--nice N] [--build-only] [--fresh]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
BUILD = FUZZ / "build"
sys.path.insert(0, str(ROOT / "tools"))
import cbuild  # noqa: E402

SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
CFLAGS = [
    *(f for f in cbuild.COMMON_FLAGS if f != "-O3"),
    "-O2",
    "-g",
    "-fno-omit-frame-pointer",
    "-Werror",
    *SANITIZE,
]
# Per target: the largest input libFuzzer makes. The record targets stretch
# short bodies into long records themselves, so they need no 16 KiB inputs.
MAX_LEN = {
    "fuzz_record_open": 4096,
    "fuzz_record_seal": 1024,
    "fuzz_aead": 8192,
    "fuzz_x25519": 96,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=30, help="fuzzing time per target (default 30)")
    p.add_argument(
        "--runs", type=int, help="stop each target after this many executions (and --seconds)"
    )
    p.add_argument("--targets", help="comma-separated target names (default: all)")
    p.add_argument("--cc", default=os.environ.get("FUZZ_CC", "clang"), help="clang binary")
    p.add_argument("--nice", type=int, default=0, help="run the fuzzers at this niceness")
    p.add_argument("--build-only", action="store_true", help="build and write seeds, do not run")
    p.add_argument(
        "--fresh", action="store_true", help="start from the seeds: drop the working corpus"
    )
    return p.parse_args(argv)


def newer(obj: Path, deps: list[Path]) -> bool:
    """Whether obj exists and is newer than every dependency."""
    if not obj.exists():
        return False
    t = obj.stat().st_mtime
    return all(d.stat().st_mtime < t for d in deps)


def compile_one(cc: str, src: Path, obj: Path, flags: list[str], deps: list[Path]) -> str | None:
    stamp = obj.with_suffix(".flags")
    line = shlex.join([cc, *flags])
    if newer(obj, [src, *deps]) and stamp.exists() and stamp.read_text() == line:
        return None
    cmd = [cc, "-c", str(src), "-o", str(obj), "-I", str(cbuild.CSRC), *flags]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return shlex.join(cmd) + "\n" + proc.stderr
    stamp.write_text(line)
    return None


def build(args: argparse.Namespace, targets: list[str]) -> int:
    arch = cbuild.normalise_arch(platform.machine())
    portable, backends = cbuild.sources(arch)
    headers = sorted(cbuild.CSRC.glob("*.h")) + sorted(FUZZ.glob("*.h"))
    obj_dir = BUILD / "obj"
    obj_dir.mkdir(parents=True, exist_ok=True)
    lib_flags = [*CFLAGS, "-fsanitize=fuzzer-no-link"]
    jobs = [(p, lib_flags) for p in portable] + [(p, lib_flags + f) for p, f in backends]
    jobs += [(FUZZ / f"{t}.c", lib_flags) for t in targets]
    # The seed writer is not instrumented for coverage: it has its own main.
    jobs += [(FUZZ / "make_seeds.c", CFLAGS)]
    lib_objs: list[Path] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = []
        for src, flags in jobs:
            obj = obj_dir / f"{src.stem}.o"
            if src.parent == cbuild.CSRC:
                lib_objs.append(obj)
            futures.append(pool.submit(compile_one, args.cc, src, obj, flags, headers))
        errors = [e for e in (f.result() for f in futures) if e]
    if errors:
        for e in errors:
            sys.stderr.write(e)
        print(f"run-fuzz: {len(errors)} file(s) failed to compile", file=sys.stderr)
        return 1
    links = [
        (t, [obj_dir / f"{t}.o", *lib_objs], ["-fsanitize=fuzzer", *SANITIZE]) for t in targets
    ]
    links.append(("make_seeds", [obj_dir / "make_seeds.o", *lib_objs], SANITIZE))
    for name, objs, flags in links:
        out = BUILD / name
        if newer(out, objs):
            continue
        proc = subprocess.run([args.cc, "-o", str(out), *map(str, objs), *flags], check=False)
        if proc.returncode != 0:
            print(f"run-fuzz: link of {name} failed", file=sys.stderr)
            return 1
    print(f"run-fuzz: built {', '.join(targets)} in {BUILD.relative_to(ROOT)}", flush=True)
    return 0


def run_target(args: argparse.Namespace, target: str) -> tuple[bool, int, float]:
    """Replay the regressions, then fuzz; return (ok, executions, seconds)."""
    binary = BUILD / target
    corpus = BUILD / "corpus" / target
    regressions = FUZZ / "regressions" / target
    artifacts = BUILD / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    regressions.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    pre = ["nice", "-n", str(args.nice)] if args.nice else []
    common = [
        f"-max_len={MAX_LEN.get(target, 4096)}",
        "-timeout=10",
        "-rss_limit_mb=2048",
        f"-artifact_prefix={artifacts}/{target}-",
    ]

    replay = sorted(p for p in regressions.iterdir() if p.is_file() and not p.name.startswith("."))
    if replay:
        proc = subprocess.run(
            [*pre, str(binary), *common, *map(str, replay)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            print(f"run-fuzz: {target}: a regression input fails again", file=sys.stderr)
            return False, 0, 0.0
        print(f"run-fuzz: {target}: {len(replay)} regression input(s) pass", flush=True)

    cmd = [
        *pre,
        str(binary),
        *common,
        f"-max_total_time={args.seconds}",
        "-print_final_stats=1",
        str(corpus),
        str(regressions),
    ]
    if args.runs:
        cmd.insert(-2, f"-runs={args.runs}")
    print("run-fuzz:", shlex.join(cmd), flush=True)
    t0 = time.monotonic()
    # libFuzzer's progress goes straight to the log, to watch a long run.
    log = BUILD / f"{target}.log"
    with open(log, "w") as f:
        proc = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, check=False)
    elapsed = time.monotonic() - t0
    output = log.read_text(errors="replace")
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", output)
    execs = int(m.group(1)) if m else 0
    if proc.returncode != 0:
        sys.stderr.write(output[-6000:])
        print(
            f"run-fuzz: {target}: FINDING (exit {proc.returncode}); input saved under "
            f"{artifacts.relative_to(ROOT)}/, full log {log.relative_to(ROOT)}",
            file=sys.stderr,
        )
        return False, execs, elapsed
    cov = re.findall(r"cov: (\d+) ft: (\d+)", output)
    units = len(list(corpus.iterdir()))
    print(
        f"run-fuzz: {target}: {execs} executions in {elapsed:.0f} s "
        f"({execs / max(elapsed, 1e-9):.0f}/s), no finding; "
        f"cov {cov[-1][0] if cov else '?'}, corpus {units} inputs",
        flush=True,
    )
    return True, execs, elapsed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    available = sorted(p.stem for p in FUZZ.glob("fuzz_*.c"))
    targets = args.targets.split(",") if args.targets else available
    unknown = set(targets) - set(available)
    if unknown:
        print(
            f"run-fuzz: unknown target(s) {', '.join(sorted(unknown))}; "
            f"have {', '.join(available)}",
            file=sys.stderr,
        )
        return 2
    if build(args, targets) != 0:
        return 1
    if args.fresh:
        for t in targets:
            d = BUILD / "corpus" / t
            if d.is_dir():
                for f in d.iterdir():
                    f.unlink()
    proc = subprocess.run([str(BUILD / "make_seeds"), str(BUILD / "corpus")], check=False)
    if proc.returncode != 0:
        print("run-fuzz: make_seeds failed", file=sys.stderr)
        return 1
    if args.build_only:
        return 0
    results = [(t, *run_target(args, t)) for t in targets]
    print("\nrun-fuzz: summary")
    for t, ok, execs, secs in results:
        print(f"  {t:20s} {'ok     ' if ok else 'FAILED '} {execs:>12,d} executions  {secs:6.0f} s")
    return 0 if all(ok for _, ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
