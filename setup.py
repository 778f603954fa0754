"""Build cytls._core: the C core in csrc/ plus its Cython binding.

Each CPU-specific C file is compiled on its own with the target flags of its
backend (tools/cbuild.py), so one wheel runs on every CPU of its architecture:
the code for an instruction set only runs after cpu.c has seen it.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
import cbuild  # noqa: E402


def target_arch(plat_name: str) -> str:
    """The architecture the extension is built for, cross builds included."""
    archflags = os.environ.get("ARCHFLAGS", "")
    if sys.platform == "darwin" and "-arch" in archflags:
        parts = archflags.split()
        arches = {parts[i + 1] for i, p in enumerate(parts[:-1]) if p == "-arch"}
        if len(arches) == 1:
            return cbuild.normalise_arch(arches.pop())
    return cbuild.normalise_arch(plat_name.rsplit("-", 1)[-1])


class BuildWithBackends(build_ext):
    """build_ext that compiles each backend file with its own flags."""

    def build_extension(self, ext: Extension) -> None:
        ctype = self.compiler.compiler_type
        arch = target_arch(self.plat_name or sysconfig.get_platform())
        common = [] if ctype == "msvc" else cbuild.COMMON_FLAGS + cbuild.debug_flags()
        if ctype == "msvc":
            common = ["/O2", "/std:c11", "/experimental:c11atomics"]
        _, backends = cbuild.sources(arch, ctype)
        objects: list[str] = []
        for path, flags in backends:
            objects += self.compiler.compile(
                [os.path.relpath(path)],
                output_dir=self.build_temp,
                include_dirs=[os.path.relpath(cbuild.CSRC)],
                extra_postargs=common + flags,
                debug=self.debug,
            )
        ext.extra_objects = objects
        ext.extra_compile_args = common
        if ctype != "msvc" and os.environ.get("CYTLS_ASAN") == "1":
            ext.extra_link_args = ["-fsanitize=address,undefined"]
        super().build_extension(ext)


portable_sources, _ = cbuild.sources(cbuild.normalise_arch(sysconfig.get_platform().rsplit("-", 1)[-1]))

extensions = [
    Extension(
        "cytls._core",
        sources=["src/cytls/_core.pyx"] + [os.path.relpath(p) for p in portable_sources],
        include_dirs=["csrc"],
        # Any C change relinks: backend objects enter as extra_objects, which
        # build_ext does not track on its own.
        depends=[os.path.relpath(p) for p in sorted(cbuild.CSRC.glob("*.[ch]"))],
    )
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False},
    ),
    cmdclass={"build_ext": BuildWithBackends},
)
