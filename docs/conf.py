"""Sphinx configuration for the cytls documentation (built by .ci/run with -W)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import cytls

project = "cytls"
author = "the cytls developers"
copyright = "2026, the cytls developers"
release = cytls.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.intersphinx"]
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
html_theme = "alabaster"
html_title = f"cytls {release}"
exclude_patterns = ["_build"]
nitpicky = False
