"""TLS 1.3 external PSK callbacks (Python 3.13's set_psk_*_callback): refused.

Owns: the two SSLContext methods the ssl module of Python 3.13 added, with
its argument and side checks, ending in NotImplementedError: cytls does not
implement external PSKs (RFC 8446 §4.2.11 with out-of-band keys), and a
callback that was accepted and never called would silently leave the
connection without the authentication the caller set up. Clearing (None)
is accepted: there is nothing to clear.
Must not: exist on Pythons whose ssl module lacks the methods (the mixin is
empty there, so `hasattr` answers as for ssl).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

from cytls._wire.alerts import api_error

__all__ = ["PSKRefusal"]

_MESSAGE = (
    "cytls does not implement TLS external PSKs (pre-shared keys) "
    "(set_psk_client_callback / set_psk_server_callback)"
)


class PSKRefusal:
    """SSLContext's PSK methods, present where the ssl module has them."""

    _cy_protocol: int

    if hasattr(ssl.SSLContext, "set_psk_client_callback"):

        def set_psk_client_callback(self, callback: Callable[..., Any] | None) -> None:
            """Refused (see the module docstring).

            Raises:
                ssl.SSLError: on a server context (as the ssl module).
                TypeError: callback is not callable.
                NotImplementedError: for any callback.
            """
            if self._cy_protocol == ssl.PROTOCOL_TLS_SERVER:
                raise api_error(
                    "Cannot add PSK client callback to a PROTOCOL_TLS_SERVER context"
                )
            if callback is None:
                return
            if not callable(callback):
                raise TypeError("callback must be callable")
            raise NotImplementedError(_MESSAGE)

        def set_psk_server_callback(
            self, callback: Callable[..., Any] | None, identity_hint: str | None = None
        ) -> None:
            """Refused (see the module docstring).

            Raises:
                ssl.SSLError: on a client context (as the ssl module).
                TypeError: a callback that is not callable, a hint not str.
                NotImplementedError: for any callback.
            """
            if self._cy_protocol == ssl.PROTOCOL_TLS_CLIENT:
                raise api_error(
                    "Cannot add PSK server callback to a PROTOCOL_TLS_CLIENT context"
                )
            if identity_hint is not None and not isinstance(identity_hint, str):
                raise TypeError(
                    "set_psk_server_callback() argument 'identity_hint' must be str or None, "
                    f"not {type(identity_hint).__name__}"
                )
            if callback is None:
                return
            if not callable(callback):
                raise TypeError("callback must be callable")
            raise NotImplementedError(_MESSAGE)
