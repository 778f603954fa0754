"""cytls: a TLS 1.3 and TLS 1.2 engine with the ssl module's API.

`cytls.SSLContext` and `cytls.create_default_context` are drop-in
replacements for the ssl module's; `inject_into_ssl()` makes code that uses
the ssl module directly run on cytls.
"""

from cytls._ssl.context import SSLContext
from cytls._ssl.defaults import create_default_context
from cytls._ssl.inject import (
    InjectedTooLateWarning,
    extract_from_ssl,
    inject_into_ssl,
    is_injected,
)
from cytls._ssl.sessions import SSLSession
from cytls._ssl.sslobject import SSLObject
from cytls._ssl.sslsocket import SSLSocket
from cytls._version import __version__

__all__ = [
    "InjectedTooLateWarning",
    "SSLContext",
    "SSLObject",
    "SSLSession",
    "SSLSocket",
    "__version__",
    "create_default_context",
    "extract_from_ssl",
    "inject_into_ssl",
    "is_injected",
]
