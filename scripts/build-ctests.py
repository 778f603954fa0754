#!/usr/bin/env python3
"""Build (and optionally run) the C test driver of csrc/tests/.

Compiles every C file tools/cbuild.py selects for the target architecture --
portable files with the common flags plus -Werror, each backend file with its
own target flags as well -- and every csrc/tests/*.c, then links them into
one binary. With --run it runs the binary (under qemu-aarch64 with --qemu)
and exits with its status. With --main FILE it links FILE instead of the
tests (the C benchmarks of csrc/tests/bench/). It must not decide which files
or flags a build uses; that is tools/cbuild.py's job, shared with setup.py.

Usage:
    scripts/build-ctests.py [--cc CC] [--arch x86_64|aarch64] [--out PATH]
                            [--asan] [--main FILE] [--run [--qemu]]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import cbuild  # noqa: E402

ASAN_FLAGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"]
QEMU_SYSROOT = "/usr/aarch64-linux-gnu"


def parse_args(argv: list[str]) -> argparse.Namespace:
    host = cbuild.normalise_arch(platform.machine())
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--arch",
        choices=["x86_64", "aarch64"],
        default=host,
        help=f"target architecture (default: this machine, {host})",
    )
    p.add_argument(
        "--cc",
        help="C compiler (default: $CC, or aarch64-linux-gnu-gcc "
        "when cross-compiling for aarch64, else cc)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="output binary (default: csrc/tests/ctest, "
        "or csrc/tests/ctest-<arch> when cross-compiling)",
    )
    p.add_argument("--asan", action="store_true", help="build with AddressSanitizer and UBSan")
    p.add_argument(
        "--main",
        type=Path,
        help="link this C file with csrc/ instead of the test files "
        "(e.g. csrc/tests/bench/bench_chapoly.c; default output: build/<its name>)",
    )
    p.add_argument("--run", action="store_true", help="run the binary after building")
    p.add_argument(
        "--qemu",
        action="store_true",
        help="run under qemu-aarch64 -cpu max (implies --arch aarch64)",
    )
    args = p.parse_args(argv)
    if args.qemu:
        args.arch = "aarch64"
    cross = args.arch != host
    if args.cc is None:
        args.cc = os.environ.get("CC") or (
            "aarch64-linux-gnu-gcc" if cross and args.arch == "aarch64" else "cc"
        )
    if args.out is None and args.main is not None:
        args.out = ROOT / "build" / args.main.stem
    if args.out is None:
        name = "ctest" if not cross else f"ctest-{args.arch}"
        args.out = ROOT / "csrc" / "tests" / name
    return args


def compile_one(cc: list[str], src: Path, obj: Path, flags: list[str]) -> tuple[Path, str | None]:
    """Compile src to obj; return (src, error output or None)."""
    cmd = [*cc, "-c", str(src), "-o", str(obj), "-I", str(cbuild.CSRC), *flags]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return src, shlex.join(cmd) + "\n" + proc.stderr
    if proc.stderr:
        sys.stderr.write(proc.stderr)
    return src, None


def build(args: argparse.Namespace) -> int:
    cc = shlex.split(args.cc)
    common = [*cbuild.COMMON_FLAGS, "-Werror"] + (ASAN_FLAGS if args.asan else [])
    portable, backends = cbuild.sources(args.arch)
    tests = [args.main.resolve()] if args.main else sorted((cbuild.CSRC / "tests").glob("*.c"))
    jobs: list[tuple[Path, list[str]]] = [(p, common) for p in portable + tests]
    jobs += [(p, common + flags) for p, flags in backends]
    with tempfile.TemporaryDirectory(prefix="cytls-ctest-") as tmp:
        objs: list[Path] = []
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = []
            for i, (src, flags) in enumerate(jobs):
                sub = "tests_" if src.parent.name == "tests" else ""
                obj = Path(tmp) / f"{i:03d}_{sub}{src.stem}.o"
                objs.append(obj)
                futures.append(pool.submit(compile_one, cc, src, obj, flags))
            errors = [err for _, err in (f.result() for f in futures) if err]
        if errors:
            for err in errors:
                sys.stderr.write(err)
            print(f"build-ctests: {len(errors)} file(s) failed to compile", file=sys.stderr)
            return 1
        args.out.parent.mkdir(parents=True, exist_ok=True)
        link = [*cc, "-o", str(args.out), *map(str, objs)]
        if args.asan:
            link += ASAN_FLAGS
        proc = subprocess.run(link, check=False)
        if proc.returncode != 0:
            print("build-ctests: link failed", file=sys.stderr)
            return 1
    print(
        f"build-ctests: built {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
        f" ({args.arch}, {len(portable)} portable, {len(backends)} backend, "
        f"{len(tests)} test files{', ASan+UBSan' if args.asan else ''})"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    cmd = [str(args.out)]
    if args.qemu:
        cmd = ["qemu-aarch64", "-cpu", "max", "-L", QEMU_SYSROOT, *cmd]
    env = dict(os.environ)
    if args.asan:
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    print("build-ctests: running", shlex.join(cmd), flush=True)
    return subprocess.run(cmd, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    status = build(args)
    if status != 0 or not args.run:
        return status
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
