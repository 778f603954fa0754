"""The context factories: `create_default_context()` and the one stdlib
modules call, `_create_unverified_context()`, with the ssl module's defaults.

Owns: which settings each purpose starts with on each Python version.
Must not: hold settings of its own; it only configures an SSLContext.
"""

from __future__ import annotations

import os
import ssl
import sys
from typing import TYPE_CHECKING, Any

from cytls._ssl.context import SSLContext

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["_create_unverified_context", "create_default_context"]


def create_default_context(
    purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
    *,
    cafile: str | bytes | os.PathLike[Any] | None = None,
    capath: str | bytes | os.PathLike[Any] | None = None,
    cadata: str | Buffer | None = None,
) -> SSLContext:
    """A cytls context with the ssl module's defaults.

    For Purpose.SERVER_AUTH (a client): certificate and host name
    verification on, the system trust store (or the given CA), TLS 1.2
    minimum. For Purpose.CLIENT_AUTH (a server): no client certificate
    requested. SSLKEYLOGFILE is honoured.

    Raises:
        TypeError: purpose is not an ssl.Purpose.
        ValueError: an unknown purpose.
    """
    if not isinstance(purpose, ssl._ASN1Object):
        raise TypeError(purpose)
    if purpose == ssl.Purpose.SERVER_AUTH:
        context = SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
    elif purpose == ssl.Purpose.CLIENT_AUTH:
        context = SSLContext(ssl.PROTOCOL_TLS_SERVER)
    else:
        raise ValueError(purpose)
    if sys.version_info >= (3, 13):
        # Python 3.13's create_default_context verifies strictly and lets a
        # trusted intermediate anchor a chain (gh-107361).
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
    return _trust_and_keylog(context, purpose, cafile, capath, cadata)


def _create_unverified_context(
    protocol: int | None = None,
    *,
    cert_reqs: int | None = ssl.CERT_NONE,
    check_hostname: bool = False,
    purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
    certfile: str | None = None,
    keyfile: str | None = None,
    cafile: str | None = None,
    capath: str | None = None,
    cadata: str | bytes | None = None,
) -> SSLContext:
    """cytls's `ssl._create_unverified_context` (what stdlib modules call)."""
    if not isinstance(purpose, ssl._ASN1Object):
        raise TypeError(purpose)
    if purpose == ssl.Purpose.SERVER_AUTH:
        protocol = ssl.PROTOCOL_TLS_CLIENT if protocol is None else protocol
    elif purpose == ssl.Purpose.CLIENT_AUTH:
        protocol = ssl.PROTOCOL_TLS_SERVER if protocol is None else protocol
    else:
        raise ValueError(purpose)
    context = SSLContext(protocol)
    context.check_hostname = check_hostname
    if cert_reqs is not None:
        context.verify_mode = cert_reqs
    if check_hostname:
        context.check_hostname = True
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if certfile or keyfile:
        context.load_cert_chain(certfile, keyfile)  # type: ignore[arg-type]
    return _trust_and_keylog(context, purpose, cafile, capath, cadata)


def _trust_and_keylog(
    context: SSLContext,
    purpose: ssl.Purpose,
    cafile: Any,
    capath: Any,
    cadata: Any,
) -> SSLContext:
    """What both factories end with, as ssl.py's do: the given CA (else the
    system store, when verifying) and SSLKEYLOGFILE."""
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != ssl.CERT_NONE:
        context.load_default_certs(purpose)
    keylogfile = os.environ.get("SSLKEYLOGFILE")
    if keylogfile and not sys.flags.ignore_environment:
        context.keylog_filename = keylogfile
    return context
