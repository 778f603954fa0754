"""The known-answer vectors kept in tests/vectors are whole and are the only ones read.

Owns: checking each vector file against the size and SHA-256 its origin records
(wycheproof/MANIFEST.json, the RFC 8448 table of tests/vectors/README.md), and that
no test or benchmark looks for vectors outside the repository. Must not: check the
vectors' meaning (the known-answer tests do that).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
# Documentation and licence files that sit beside the vectors.
NOT_VECTORS = {"README.md", "NOTICE", "LICENSE-APACHE-2.0.txt", "MANIFEST.json"}


def _digest(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


def _rfc8448_table() -> dict[str, tuple[int, str]]:
    """name -> (bytes, SHA-256) from the rows of README.md's RFC 8448 table."""
    row = re.compile(r"^\| `([\w.]+\.json)` \| (\d+) \| `([0-9a-f]{64})` \|$", re.M)
    text = (VECTORS / "README.md").read_text()
    return {m[1]: (int(m[2]), m[3]) for m in row.finditer(text)}


def test_wycheproof_files_match_manifest() -> None:
    manifest = json.loads((VECTORS / "wycheproof" / "MANIFEST.json").read_text())
    assert manifest["source_commit"] == "dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166"
    listed = {f["name"]: (f["size"], f["sha256"]) for f in manifest["files"]}
    present = {p.name for p in (VECTORS / "wycheproof").iterdir() if p.name not in NOT_VECTORS}
    assert present == set(listed)
    for name, expected in listed.items():
        assert _digest(VECTORS / "wycheproof" / name) == expected, name


def test_rfc8448_files_match_readme() -> None:
    table = _rfc8448_table()
    assert set(table) == {"simple_1rtt.json", "resumed_0rtt.json"}
    assert {p.name for p in (VECTORS / "rfc8448").iterdir()} == set(table)
    for name, expected in table.items():
        assert _digest(VECTORS / "rfc8448" / name) == expected, name


def test_licence_and_notice_are_kept() -> None:
    notice = (VECTORS / "wycheproof" / "NOTICE").read_text()
    assert "dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166" in notice
    licence = (VECTORS / "wycheproof" / "LICENSE-APACHE-2.0.txt").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence


@pytest.mark.parametrize("folder", ["tests", "benchmarks"])
def test_nothing_reads_vectors_beside_the_checkout(folder: str) -> None:
    # A path that leaves the repository ("..", a "shared" folder beside it) is what
    # made a fresh clone fail; the fresh-clone step of .ci/run is the real proof.
    # (Only searched for here: the folder's name is spelt in pieces, so that
    # this file does not itself look like a reader of that path.)
    folder_name = "sha" + "red"
    outside = re.compile(rf"""\.\./{folder_name}|["']{folder_name}["']\s*/|{folder_name}/vectors""")
    here = Path(__file__).resolve()
    offenders = [
        f"{p.relative_to(REPO)}:{n}"
        for p in sorted((REPO / folder).rglob("*.py"))
        if p.resolve() != here
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if outside.search(line)
    ]
    assert offenders == []
