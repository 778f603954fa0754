"""Argument conversion with the ssl module's exceptions.

Owns: turning what a caller passes to an SSLContext setter into the C type
`_ssl.c` parses it as (`PyArg_Parse` "l", "k", an unsigned 64-bit option
mask on 3.12+, a file system path, a str or bytes name), raising exactly the
TypeError / OverflowError / ValueError the ssl module of the running Python
raises, in the same order; and the DeprecationWarning for OP_NO_TLS* bits.
Must not: store settings or know what they mean (context.py does).
"""

from __future__ import annotations

import operator
import os
import ssl
import sys
import warnings
from typing import Any

__all__ = [
    "arg_type_name",
    "c_long",
    "curve_name",
    "deprecated_option_bits",
    "fs_path",
    "option_mask",
    "unsigned_long",
]

_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1
_ULONG_MASK = 2**64 - 1

# The protocol-version options the ssl module has deprecated since 3.10.
_OP_NO_VERSIONS = (
    ssl.OP_NO_SSLv2
    | ssl.OP_NO_SSLv3
    | ssl.OP_NO_TLSv1
    | ssl.OP_NO_TLSv1_1
    | ssl.OP_NO_TLSv1_2
    | ssl.OP_NO_TLSv1_3
)


def arg_type_name(value: Any) -> str:
    """How CPython's argument parsers name a wrong argument's type ("None"
    for None, else the type's name)."""
    return "None" if value is None else type(value).__name__


def c_long(value: Any) -> int:
    """PyArg_Parse "l" / "i": any object with __index__, in a C long.

    Raises:
        TypeError: "'str' object cannot be interpreted as an integer".
        OverflowError: "Python int too large to convert to C long".
    """
    number = operator.index(value)
    if not _LONG_MIN <= number <= _LONG_MAX:
        raise OverflowError("Python int too large to convert to C long")
    return number


def unsigned_long(value: Any) -> int:
    """PyArg_Parse "k" (verify_flags): an int, wrapped modulo 2**64.

    Raises:
        TypeError: "argument must be int, not str".
    """
    if not isinstance(value, int):
        raise TypeError(f"argument must be int, not {arg_type_name(value)}")
    return int(value) & _ULONG_MASK


def option_mask(value: Any) -> int:
    """SSLContext.options: a C long on 3.11; since 3.12 an int in 0..2**64-1.

    Raises:
        TypeError: not an integer.
        OverflowError: out of range (on 3.12+ -1 and 2**64 too).
    """
    if sys.version_info < (3, 12):
        return c_long(value) & _ULONG_MASK
    if not isinstance(value, int):
        raise TypeError(f"argument must be int, not {arg_type_name(value)}")
    number = int(value)
    if number < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if number > _ULONG_MASK:
        raise OverflowError("int too big to convert")
    return number


def deprecated_option_bits(old: int, new: int) -> None:
    """Warn, as the ssl module does, when OP_NO_SSL*/OP_NO_TLS* bits are set
    that were clear (clearing them, or keeping them, does not warn)."""
    if ~old & new & _OP_NO_VERSIONS:
        warnings.warn(
            "ssl.OP_NO_SSL*/ssl.OP_NO_TLS* options are deprecated",
            DeprecationWarning,
            stacklevel=4,  # the caller, past SSLContext.__setattr__ and the setter
        )


def fs_path(value: Any, what: str | None) -> str | bytes:
    """A file name argument as _ssl.c checks it.

    Raises:
        TypeError: "<what> should be a valid filesystem path"; with `what`
            None, os.fspath's own message (load_dh_params).
    """
    try:
        return os.fspath(value)  # type: ignore[no-any-return]
    except TypeError:
        if what is None:
            raise
        raise TypeError(f"{what} should be a valid filesystem path") from None


def curve_name(value: Any) -> str:
    """set_ecdh_curve's argument (str, bytes or os.PathLike, as _ssl.c parses it).

    Raises:
        TypeError: "expected str, bytes or os.PathLike object, not NoneType".
    """
    try:
        raw = os.fsencode(value)
    except TypeError:
        raise TypeError(
            f"expected str, bytes or os.PathLike object, not {type(value).__name__}"
        ) from None
    return raw.decode("utf-8", "replace")
