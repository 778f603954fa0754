"""cytls: a TLS 1.3 and TLS 1.2 engine with the ssl module's API."""

from cytls._version import __version__

__all__ = ["__version__"]
