"""The sdist carries everything a build from it needs, and nothing else.

Owns: building an sdist (`python -m build --sdist`) from the repository's tracked
files, or taking the one named by CYTLS_SDIST (as .ci/run does, so the checked
archive is the one it then installs), and comparing its file list with what
setup.py and pyproject.toml read. Must not: compile it; .ci/run installs the
sdist in a fresh virtual environment for that.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# What a build from the sdist reads: setup.py imports tools/cbuild.py, which globs
# csrc/*.c; the C files include csrc/*.h; cythonize reads the .pyx with its .pxd and
# .pxi; setuptools packages every module of src/cytls with its stubs and py.typed;
# pyproject.toml names README.md as the long description. The tests ship too, so
# they come with the vectors they read.
NEEDED = [
    "setup.py",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "tools/*.py",
    "csrc/*.c",
    "csrc/*.h",
    "src/cytls/*.py",
    "src/cytls/*.pyx",
    "src/cytls/*.pxd",
    "src/cytls/*.pxi",
    "src/cytls/*.pyi",
    "src/cytls/py.typed",
    "tests/*.py",
    "tests/vectors/*",
]
# Written by setuptools into every sdist, so never tracked.
GENERATED = ["PKG-INFO", "setup.cfg", "src/cytls.egg-info/*"]
# Build products that must never ship.
FORBIDDEN = ["*.so", "*.pyd", "*.o", "*.pyc", "src/cytls/_core.c"]


def _matches(path: str, patterns: list[str]) -> bool:
    # fnmatch's "*" crosses "/", so "src/cytls/*.py" covers subpackages too.
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


def _tracked() -> list[str]:
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout: the tracked files are the reference")
    out = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True
    ).stdout
    # A file deleted in the work tree but not yet in the index is not shipped.
    return sorted(p for p in out.decode().split("\0") if p and (REPO / p).is_file())


def _build_sdist(tracked: list[str], tmp: Path) -> Path:
    """An sdist built from a copy of the tracked files, so that nothing left in
    the work tree (an old egg-info's SOURCES.txt, generated C) can fill a gap."""
    pytest.importorskip("build", reason="python -m build is in the test extras")
    src = tmp / "src"
    for rel in tracked:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, src / rel)
    out = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(src)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (sdist,) = out.glob("*.tar.gz")
    return sdist


@pytest.fixture(scope="module")
def sdist_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """(files in the sdist relative to its top folder, tracked files)."""
    tracked = _tracked()
    given = os.environ.get("CYTLS_SDIST")
    sdist = Path(given) if given else _build_sdist(tracked, tmp_path_factory.mktemp("sdist"))
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    top = {n.split("/", 1)[0] for n in names}
    assert len(top) == 1, top  # one top folder, cytls-<version>
    return sorted(n.split("/", 1)[1] for n in names), tracked


@pytest.mark.slow
def test_sdist_has_every_file_the_build_reads(sdist_files: tuple[list[str], list[str]]) -> None:
    files, tracked = sdist_files
    needed = [p for p in tracked if _matches(p, NEEDED)]
    assert "tools/cbuild.py" in needed and "src/cytls/_core.pyx" in needed  # the patterns bite
    assert any(p.startswith("tests/vectors/wycheproof/") for p in needed)
    assert sorted(set(needed) - set(files)) == []


@pytest.mark.slow
def test_sdist_ships_only_tracked_sources(sdist_files: tuple[list[str], list[str]]) -> None:
    files, tracked = sdist_files
    assert [f for f in files if _matches(f, FORBIDDEN)] == []
    stray = [f for f in files if f not in tracked and not _matches(f, GENERATED)]
    assert stray == []
