"""Which C files of csrc/ go into a build, and the target flags of each.

Shared by setup.py (the extension) and scripts/build-ctests.py (the C test
driver), so that both compile every backend the same way. A backend file is
named ``<primitive>_<backend>.c``; the backend suffix decides its
architecture and flags. Files without a known suffix are portable C and are
compiled everywhere with the common flags.
"""

from __future__ import annotations

import os
from pathlib import Path

CSRC = Path(__file__).resolve().parent.parent / "csrc"

# suffix -> (architecture, GCC/Clang flags). MSVC compiles intrinsics for
# these instruction sets without per-file flags, so it gets none.
BACKEND_FLAGS: dict[str, tuple[str, list[str]]] = {
    "aesni": ("x86_64", ["-msse4.1", "-mssse3", "-maes", "-mpclmul"]),
    "shani": ("x86_64", ["-msse4.1", "-mssse3", "-msha"]),
    "ssse3": ("x86_64", ["-mssse3"]),
    "avx2": ("x86_64", ["-mavx2", "-mbmi2"]),
    "vaes": ("x86_64", ["-mavx2", "-mbmi2", "-maes", "-mpclmul", "-mvaes", "-mvpclmulqdq"]),
    "avx512": ("x86_64", ["-mavx2", "-mbmi2", "-mavx512f", "-mavx512bw", "-mavx512vl"]),
    "vaes512": (
        "x86_64",
        ["-mavx2", "-mbmi2", "-maes", "-mpclmul", "-mvaes", "-mvpclmulqdq",
         "-mavx512f", "-mavx512bw", "-mavx512vl"],
    ),
    "neon": ("aarch64", []),
    "armce": ("aarch64", ["-march=armv8-a+crypto"]),
    "armsha512": ("aarch64", ["-march=armv8.2-a+sha3"]),
}

COMMON_FLAGS = ["-std=c11", "-O3", "-fno-strict-aliasing", "-Wall", "-Wextra"]


def normalise_arch(machine: str) -> str:
    """Map the names platforms use to 'x86_64', 'aarch64' or the name itself."""
    m = machine.lower()
    if m in ("x86_64", "amd64", "x64"):
        return "x86_64"
    if m in ("aarch64", "arm64"):
        return "aarch64"
    return m


def sources(arch: str, compiler_type: str = "unix") -> tuple[list[Path], list[tuple[Path, list[str]]]]:
    """Return (portable sources, [(backend source, its flags)]) for an arch.

    Backends of other architectures are left out; MSVC gets no extra flags.
    """
    portable: list[Path] = []
    backends: list[tuple[Path, list[str]]] = []
    for path in sorted(CSRC.glob("*.c")):
        suffix = path.stem.rsplit("_", 1)[-1] if "_" in path.stem else ""
        if suffix not in BACKEND_FLAGS:
            portable.append(path)
            continue
        file_arch, flags = BACKEND_FLAGS[suffix]
        if file_arch != arch:
            continue
        backends.append((path, [] if compiler_type == "msvc" else flags))
    return portable, backends


def debug_flags() -> list[str]:
    """Extra flags from the environment: CYTLS_DEBUG=1 and CYTLS_ASAN=1."""
    flags: list[str] = []
    if os.environ.get("CYTLS_DEBUG") == "1":
        flags += ["-O0", "-g3", "-UNDEBUG"]
    if os.environ.get("CYTLS_ASAN") == "1":
        flags += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"]
    return flags
