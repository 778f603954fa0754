#!/usr/bin/env python3
"""Build and run the constant-time check of csrc/tests/ct/ct_check.c.

Three methods (see csrc/tests/ct/README.md and the top of ct_check.c):

  --valgrind  builds csrc/ and the harness with -DCYTLS_CT_VALGRIND (the
              flags of tools/cbuild.py, so -O3 as shipped, plus -g), runs it
              under valgrind memcheck with secrets marked undefined, on every
              backend level, and fails on any memcheck error: a branch or a
              memory index on a secret. It first runs the harness's leaky
              control, which memcheck must report, so a silent valgrind
              cannot pass.
  --timing    builds an ordinary -O3 harness and runs the dudect-style
              timing test on the real CPU: every operation on every level,
              fail at |t| >= 10; the leaky control must exceed it.
  --aarch64   cross-builds the timing harness for aarch64 and runs it under
              qemu-aarch64 -cpu max (instruction timing there is qemu's, not
              a CPU's: see csrc/tests/ct/README.md; not evidence).
  --trace     cross-builds for aarch64 and compares, under qemu-aarch64 -d
              exec,nochain, the executed block sequences of every operation
              across secrets (control flow only).

With none of them it runs --valgrind and --timing.

Usage:
    scripts/ct-check.py [--valgrind] [--timing] [--trace] [--aarch64]
                        [--samples N] [--only NAME] [--level LEVEL] [--cc CC]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import cbuild  # noqa: E402

HARNESS = cbuild.CSRC / "tests" / "ct" / "ct_check.c"
OUT = ROOT / "build" / "ct"
QEMU_SYSROOT = "/usr/aarch64-linux-gnu"
# memcheck's reports that mean "depends on a secret".
SECRET_USE = re.compile(
    r"Conditional jump or move depends on uninitialised value|"
    r"Use of uninitialised value|Syscall param .* uninitialised"
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--valgrind", action="store_true", help="valgrind memcheck method")
    p.add_argument("--timing", action="store_true", help="statistical timing method, this CPU")
    p.add_argument("--aarch64", action="store_true", help="timing method for aarch64 under qemu")
    p.add_argument(
        "--trace", action="store_true", help="control-flow trace method for aarch64 under qemu"
    )
    p.add_argument("--samples", type=int, default=100000, help="timing samples per operation")
    p.add_argument("--only", help="only the operations whose name contains this")
    p.add_argument("--level", help="only this backend level")
    p.add_argument("--cc", default=os.environ.get("CC", "cc"), help="C compiler (native)")
    args = p.parse_args(argv)
    if not (args.valgrind or args.timing or args.aarch64 or args.trace):
        args.valgrind = args.timing = True
    return args


def build(cc: str, arch: str, out: Path, defines: list[str]) -> bool:
    """Compile csrc/ (each backend with its flags) and the harness into out."""
    common = [*cbuild.COMMON_FLAGS, "-g", "-Werror", *defines]
    portable, backends = cbuild.sources(arch)
    jobs = [(p, common) for p in [*portable, HARNESS]] + [(p, common + f) for p, f in backends]
    with tempfile.TemporaryDirectory(prefix="cytls-ct-") as tmp:

        def one(i: int, src: Path, flags: list[str]) -> tuple[Path, str | None]:
            obj = Path(tmp) / f"{i:03d}_{src.stem}.o"
            cmd = [*shlex.split(cc), "-c", str(src), "-o", str(obj), "-I", str(cbuild.CSRC), *flags]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            return obj, None if proc.returncode == 0 else shlex.join(cmd) + "\n" + proc.stderr

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda j: one(j[0], *j[1]), enumerate(jobs)))
        errors = [e for _, e in results if e]
        if errors:
            sys.stderr.write("".join(errors))
            return False
        out.parent.mkdir(parents=True, exist_ok=True)
        link = [*shlex.split(cc), "-o", str(out), *(str(o) for o, _ in results), "-lm"]
        if subprocess.run(link, check=False).returncode != 0:
            return False
    print(f"ct-check: built {out.relative_to(ROOT)}", flush=True)
    return True


def harness_args(args: argparse.Namespace) -> list[str]:
    extra = []
    if args.only:
        extra += ["--only", args.only]
    if args.level:
        extra += ["--level", args.level]
    return extra


def run_valgrind(args: argparse.Namespace) -> bool:
    if shutil.which("valgrind") is None:
        print("ct-check: valgrind not found (apt-get install valgrind)", file=sys.stderr)
        return False
    arch = cbuild.normalise_arch(platform.machine())
    binary = OUT / "ct_check-valgrind"
    if not build(args.cc, arch, binary, ["-DCYTLS_CT_VALGRIND"]):
        return False
    vg = [
        "valgrind",
        "--tool=memcheck",
        "--error-exitcode=99",
        "--track-origins=yes",
        "--leak-check=no",
        "--num-callers=30",
    ]
    # The control: memcheck must report the early-exit compare.
    proc = subprocess.run(
        [*vg, str(binary), "valgrind", "--control"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 99 or not SECRET_USE.search(proc.stderr):
        sys.stderr.write(proc.stdout + proc.stderr)
        print(
            "ct-check: valgrind did NOT report the leaky control; the method is broken",
            file=sys.stderr,
        )
        return False
    print("ct-check: valgrind reports the leaky control, as it must", flush=True)
    cmd = [*vg, str(binary), "valgrind", *harness_args(args)]
    print("ct-check:", shlex.join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    sys.stdout.write(proc.stdout)
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", proc.stderr)
    errors = int(summary.group(1)) if summary else -1
    secret = len(SECRET_USE.findall(proc.stderr))
    if proc.returncode != 0 or errors != 0:
        sys.stderr.write(proc.stderr[-20000:])
        print(
            f"ct-check: valgrind: {errors} error(s), {secret} on secret data "
            f"(exit {proc.returncode})",
            file=sys.stderr,
        )
        return False
    print("ct-check: valgrind: 0 errors (no branch or index on secret data)", flush=True)
    return True


def run_timing(args: argparse.Namespace, qemu: bool) -> bool:
    if qemu:
        for tool in ("aarch64-linux-gnu-gcc", "qemu-aarch64"):
            if shutil.which(tool) is None:
                print(f"ct-check: {tool} not found", file=sys.stderr)
                return False
        binary, cc, arch = OUT / "ct_check-timing-aarch64", "aarch64-linux-gnu-gcc", "aarch64"
    else:
        binary, cc = OUT / "ct_check-timing", args.cc
        arch = cbuild.normalise_arch(platform.machine())
    if not build(cc, arch, binary, []):
        return False
    cmd = [str(binary), "timing", "--samples", str(args.samples), *harness_args(args)]
    if qemu:
        cmd = ["qemu-aarch64", "-cpu", "max", "-L", QEMU_SYSROOT, *cmd]
    print("ct-check:", shlex.join(cmd), flush=True)
    proc = subprocess.run(cmd, check=False)
    if proc.returncode != 0:
        print(f"ct-check: timing test failed (exit {proc.returncode})", file=sys.stderr)
        return False
    return True


def trace_segments(cmd: list[str]) -> tuple[list[str], list[tuple[str, int]]]:
    """Run cmd under qemu's block trace; return (its stdout lines, one
    (hash of the block sequence, block count) per marked segment)."""
    with tempfile.TemporaryDirectory(prefix="cytls-trace-") as tmp:
        fifo = Path(tmp) / "trace"
        os.mkfifo(fifo)
        proc = subprocess.Popen(
            [
                "qemu-aarch64",
                "-cpu",
                "max",
                "-L",
                QEMU_SYSROOT,
                "-d",
                "exec,nochain",
                "-D",
                str(fifo),
                *cmd,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        segments: list[tuple[str, int]] = []
        h = None
        count = 0
        with open(fifo, "rb") as log:
            for line in log:
                if not line.startswith(b"Trace "):
                    continue
                # "Trace 0: 0xHOST [flags/PC/flags/flags] symbol": the guest PC.
                lb = line.find(b"[")
                pc = line[lb + 18 : lb + 34]
                if line.endswith(b"ct_trace_begin\n"):
                    h, count = hashlib.sha256(), 0
                elif line.endswith(b"ct_trace_end\n"):
                    if h is not None:
                        segments.append((h.hexdigest(), count))
                    h = None
                elif h is not None:
                    h.update(pc)
                    count += 1
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} exited {proc.returncode}")
    names = [ln for ln in out.splitlines() if ln and not ln.startswith("#")]
    return names, segments


def run_trace(args: argparse.Namespace) -> bool:
    """Control flow of every operation on every aarch64 level, compared
    across secrets under qemu's block trace."""
    for tool in ("aarch64-linux-gnu-gcc", "qemu-aarch64"):
        if shutil.which(tool) is None:
            print(f"ct-check: {tool} not found", file=sys.stderr)
            return False
    binary = OUT / "ct_check-aarch64"
    if not build("aarch64-linux-gnu-gcc", "aarch64", binary, []):
        return False
    base = [str(binary), "trace", *harness_args(args)]
    # The control must differ between classes, or the trace sees nothing.
    # Every run gets arguments of the same lengths: argv sits on the stack,
    # and glibc's memcpy takes paths by the (public) alignment of the stack
    # buffers it is given, which other argument lengths would shift.
    _, c0 = trace_segments([*base, "--control", "--class", "0", "--secret-seed", "0"])
    _, c1 = trace_segments([*base, "--control", "--class", "1", "--secret-seed", "1"])
    if not c0 or c0 == c1:
        print(
            "ct-check: trace did NOT see the leaky control; the method is broken", file=sys.stderr
        )
        return False
    differ = sum(a != b for a, b in zip(c0, c1, strict=False))
    print(
        f"ct-check: trace sees the leaky control ({differ} of {len(c0)} segments "
        "differ), as it must",
        flush=True,
    )
    runs = [
        ("class 0", ["--class", "0", "--secret-seed", "0"]),
        ("class 1, stream 1", ["--class", "1", "--secret-seed", "1"]),
        ("class 1, stream 2", ["--class", "1", "--secret-seed", "2"]),
    ]
    results = []
    for label, extra in runs:
        names, segs = trace_segments([*base, *extra])
        results.append((label, names, segs))
        print(
            f"ct-check: trace {label}: {len(segs)} segments, {sum(n for _, n in segs)} blocks",
            flush=True,
        )
    _, names0, ref = results[0]
    ok = True
    for label, names, segs in results[1:]:
        if len(segs) != len(ref) or len(names) != len(names0):
            print(
                f"ct-check: trace {label}: {len(segs)} segments, want {len(ref)}", file=sys.stderr
            )
            ok = False
            continue
        for name, a, b in zip(names0, ref, segs, strict=True):
            if a != b:
                ok = False
                print(
                    f"ct-check: trace differs with the secrets ({label}): {name} "
                    f"({a[1]} vs {b[1]} blocks)",
                    file=sys.stderr,
                )
    levels = sorted({n.split()[0] for n in names0})
    if ok:
        print(
            f"ct-check: trace: control flow identical across secrets for {len(ref)} "
            f"operation x length segments on levels {', '.join(levels)}",
            flush=True,
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ok = True
    if args.valgrind:
        ok &= run_valgrind(args)
    if args.timing:
        ok &= run_timing(args, qemu=False)
    if args.trace:
        ok &= run_trace(args)
    if args.aarch64:
        ok &= run_timing(args, qemu=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
