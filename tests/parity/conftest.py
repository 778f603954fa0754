"""Parity test fixtures (see parity_helpers.py)."""

from parity_helpers import mod, pki

__all__ = ["mod", "pki"]
