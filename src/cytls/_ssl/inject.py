"""inject_into_ssl() / extract_from_ssl(): run unmodified ssl code on cytls.

Owns: swapping the ssl module's context factory names (and the copies that
urllib3 keeps) for cytls's, and putting the originals back.
Must not: change anything else in the ssl module, or touch contexts that
already exist: a context created before inject_into_ssl() stays an OpenSSL
context (and aiohttp, for one, builds its default contexts at import time).
It warns, once, naming the modules, when it finds such contexts in module
globals; `python -m cytls.inject` runs a program with the injection done
before anything else is imported.
"""

from __future__ import annotations

import ssl
import sys
import threading
import warnings
from typing import Any

from cytls._ssl.context import SSLContext
from cytls._ssl.defaults import _create_unverified_context, create_default_context

__all__ = ["InjectedTooLateWarning", "extract_from_ssl", "inject_into_ssl", "is_injected"]


class InjectedTooLateWarning(RuntimeWarning):
    """OpenSSL contexts were created before inject_into_ssl() ran; they stay
    OpenSSL contexts."""


_lock = threading.Lock()
# (module, attribute) -> the original value, while injected.
_saved: dict[tuple[Any, str], Any] = {}

_SSL_NAMES = {
    "SSLContext": SSLContext,
    "create_default_context": create_default_context,
    "_create_default_https_context": create_default_context,
    "_create_unverified_context": _create_unverified_context,
    "_create_stdlib_context": _create_unverified_context,
}
# Modules that copy ssl.SSLContext into their own namespace at import time.
_COPIES = ("urllib3.util.ssl_", "urllib3.util")
_CLASS = "SSLContext"
# Whether the too-late warning was given in this process (it is given once).
_warned = False


def _openssl_contexts_in_modules() -> list[str]:
    """Modules whose globals hold an OpenSSL (not cytls) ssl.SSLContext, as
    "module.name" strings: contexts made at import time, which no injection
    can change (aiohttp.connector's default contexts, for one)."""
    found = []
    for modname, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for attr, value in list(namespace.items()):
            if isinstance(value, ssl.SSLContext) and not getattr(value, "_cy_engine", False):
                found.append(f"{modname}.{attr}")
    return sorted(found)


def inject_into_ssl() -> None:
    """Make `ssl.SSLContext(...)` and `ssl.create_default_context()` build cytls
    contexts, for code that cannot be changed (http.client, urllib.request,
    urllib3/requests, httpx, asyncio's default contexts, ...).

    Patches ssl.SSLContext, ssl.create_default_context,
    ssl._create_default_https_context, ssl._create_unverified_context and
    ssl._create_stdlib_context, and urllib3's own copy of SSLContext when
    urllib3 is imported. Calling it twice is harmless.

    Contexts created before this call stay OpenSSL contexts. When module
    globals hold such contexts (a library that builds its default contexts at
    import time, imported first), it warns once with InjectedTooLateWarning
    naming them: inject first (`python -m cytls.inject prog.py`, or a
    sitecustomize that calls this), then import the rest.
    """
    global _warned
    with _lock:
        if _saved:
            return
        early = [] if _warned else _openssl_contexts_in_modules()
        if early:
            _warned = True
            warnings.warn(
                "inject_into_ssl() ran after these OpenSSL contexts were created, and "
                f"they stay OpenSSL contexts: {', '.join(early)}. Inject before importing "
                "those modules (python -m cytls.inject, or a sitecustomize).",
                InjectedTooLateWarning,
                stacklevel=3,
            )
        for name, value in _SSL_NAMES.items():
            _saved[(ssl, name)] = getattr(ssl, name)
            setattr(ssl, name, value)
        for modname in _COPIES:
            module = sys.modules.get(modname)
            if (
                module is not None
                and getattr(module, "SSLContext", None) is _saved[(ssl, "SSLContext")]
            ):
                _saved[(module, _CLASS)] = getattr(module, _CLASS)
                setattr(module, _CLASS, SSLContext)


def extract_from_ssl() -> None:
    """Undo inject_into_ssl(): put the ssl module's own names back."""
    with _lock:
        original = _saved.get((ssl, "SSLContext"))
        for (module, name), value in _saved.items():
            setattr(module, name, value)
        _saved.clear()
        if original is None:
            return
        # A module imported while injected copied cytls's class: restore it too.
        for modname in _COPIES:
            module = sys.modules.get(modname)
            if module is not None and getattr(module, _CLASS, None) is SSLContext:
                setattr(module, _CLASS, original)


def is_injected() -> bool:
    """Whether inject_into_ssl() is in effect."""
    return bool(_saved)
