"""Integration test fixtures (see integration_helpers.py)."""

from integration_helpers import (
    cytls_handshakes,
    https_server,
    injected,
    mtls_server,
    pki,
    server_impl,
)

__all__ = ["cytls_handshakes", "https_server", "injected", "mtls_server", "pki", "server_impl"]
