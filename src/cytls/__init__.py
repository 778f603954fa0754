"""cytls: a TLS 1.3 and TLS 1.2 engine with the ssl module's API.

`cytls.SSLContext` and `cytls.create_default_context` are drop-in
replacements for the ssl module's; `inject_into_ssl()` makes code that uses
the ssl module directly run on cytls.
"""

from cytls._inject import extract_from_ssl, inject_into_ssl, is_injected
from cytls._version import __version__
from cytls.context import SSLContext, _bind_adapter_classes, create_default_context
from cytls.sslobject import SSLObject, SSLSession
from cytls.sslsocket import SSLSocket

_bind_adapter_classes()

__all__ = [
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
