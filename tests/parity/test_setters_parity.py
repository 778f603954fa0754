"""Parity: what every SSLContext setter and method raises for a wrong type
or value, ssl module vs cytls (issue 13, items 4 and 13, and the warnings and
version names of "Error names and messages").

Table-driven: each row is run on a fresh context of each module and the
outcome compared: the exception class and, for TypeError / ValueError /
OverflowError, its message (OSError messages differ only in the file name
echo, which _ssl.c leaves out, so only the class is compared there). The
reference is the ssl module of the running Python, so the rows hold on every
version (3.12 made `options` an unsigned 64-bit mask, for example).
"""

from __future__ import annotations

import ssl
import sys
import warnings
from types import ModuleType
from typing import Any

import pytest
from parity_helpers import needs_engine

import cytls

pytestmark = [needs_engine]

SET = "set"
CALL = "call"

ROWS: list[tuple[str, str, Any]] = [
    (SET, "verify_mode", v)
    for v in (None, "x", 5, -1, 1.5, 2**64, ssl.CERT_OPTIONAL)
] + [
    (SET, "check_hostname", v) for v in (None, "x", 2)
] + [
    (SET, "options", v) for v in (None, "x", -1, 2**63, 2**64, 2**100, 1.5, 0)
] + [
    (SET, "verify_flags", v) for v in (None, "x", -1, 2**64, 1.5)
] + [
    (SET, "minimum_version", v)
    for v in (None, "x", 0x999, -5, 1.5, 2**64, ssl.TLSVersion.SSLv3, ssl.TLSVersion.TLSv1)
] + [
    (SET, "maximum_version", v) for v in (None, "x", 0x999, 1.5, ssl.TLSVersion.TLSv1_2)
] + [
    (SET, "post_handshake_auth", v) for v in (None, "x")
] + [
    (SET, "num_tickets", v) for v in (None, "x", -1, 2**64, 1.5, 3)
] + [
    (SET, "hostname_checks_common_name", v) for v in (None, "x")
] + [
    (SET, "sni_callback", v) for v in ("x", 5)
] + [
    (SET, "keylog_filename", v) for v in (5, "/nonexistent/dir/x")
] + [
    (SET, "_msg_callback", v) for v in (5, "x")
] + [
    (CALL, "set_ecdh_curve", a)
    for a in ((None,), (5,), ("nope",), (b"nope",), ("",), ("prime256v1",), (b"secp384r1",))
] + [
    (CALL, "set_ciphers", a) for a in ((None,), (5,), ("nope",), (b"ALL",), ("",))
] + [
    (CALL, "set_alpn_protocols", a)
    for a in ((None,), (5,), ([5],), (["a" * 256],), ([""],), ("h2",), ([b"h2"],))
] + [
    (CALL, "set_npn_protocols", a) for a in ((None,), (5,), ([""],))
] + [
    (CALL, "load_dh_params", a) for a in ((None,), (5,), ("/nonexistent",))
] + [
    (CALL, "load_cert_chain", a)
    for a in ((None,), (5,), ("/nonexistent",), ("/nonexistent", 5))
] + [
    (CALL, "load_verify_locations", a)
    for a in ((), (5,), (None, 5), (None, None, 5), ("/nonexistent",), (None, None, ""))
] + [
    (CALL, "load_default_certs", a) for a in ((5,), ("x",))
] + [
    (CALL, "set_servername_callback", a) for a in ((5,), ("x",))
] + [
    (CALL, "wrap_bio", a) for a in ((None, None), (ssl.MemoryBIO(), None))
]


def _outcome(mod: ModuleType, protocol: int, kind: str, name: str, value: Any) -> Any:
    ctx = mod.SSLContext(protocol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if kind == SET:
                setattr(ctx, name, value)
            else:
                getattr(ctx, name)(*value)
        except OSError as exc:
            return (type(exc),)
        except Exception as exc:  # the class and text are what is compared
            return (type(exc), str(exc).split(" (_ssl.c:")[0])
    return "ok"


@pytest.mark.parametrize("protocol", [ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_SERVER])
@pytest.mark.parametrize(("kind", "name", "value"), ROWS)
def test_setter_errors(protocol: int, kind: str, name: str, value: Any) -> None:
    want = _outcome(ssl, protocol, kind, name, value)
    got = _outcome(cytls, protocol, kind, name, value)
    if want != "ok" and issubclass(want[0], ssl.SSLError):
        assert got != "ok" and issubclass(got[0], ssl.SSLError)
    else:
        assert got == want


def test_set_npn_protocols_refuses(mod: ModuleType) -> None:
    """Deliberate difference: NPN is not supported by either (ssl.HAS_NPN is
    False with this OpenSSL build), but the ssl module then fails with an
    AttributeError on its missing C method; cytls says NotImplementedError."""
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    expected = NotImplementedError if mod is cytls else AttributeError
    if mod is ssl and ssl.HAS_NPN:
        pytest.skip("this ssl module implements NPN")
    with pytest.warns(DeprecationWarning), pytest.raises(expected):
        ctx.set_npn_protocols(["h2"])


def test_set_ecdh_curve_none_is_a_type_error(mod: ModuleType) -> None:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(TypeError):
        ctx.set_ecdh_curve(None)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="options is a C long before 3.12")
@pytest.mark.parametrize("value", [-1, 2**64, 2**100])
def test_options_out_of_range_overflow(mod: ModuleType, value: int) -> None:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(OverflowError):
        ctx.options = value


@pytest.mark.parametrize(
    "flag",
    [ssl.OP_NO_TLSv1, ssl.OP_NO_TLSv1_1, ssl.OP_NO_TLSv1_2, ssl.OP_NO_TLSv1_3, ssl.OP_NO_SSLv3],
)
def test_deprecated_version_options_warn(mod: ModuleType, flag: int) -> None:
    ctx = mod.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    already = bool(ctx.options & flag)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ctx.options |= flag
    messages = [str(w.message) for w in seen if w.category is DeprecationWarning]
    if already:  # OP_NO_SSLv3 is on from the start: nothing newly set
        assert messages == []
    else:
        assert messages == ["ssl.OP_NO_SSL*/ssl.OP_NO_TLS* options are deprecated"]
        assert seen[0].filename == __file__  # blamed on the caller
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ctx.options &= ~flag  # clearing does not warn
        ctx.options |= ssl.OP_NO_COMPRESSION
    assert [w for w in seen if w.category is DeprecationWarning] == []


@pytest.mark.parametrize("protocol", [ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_SERVER])
def test_version_limits_read_back(mod: ModuleType, protocol: int) -> None:
    """MINIMUM_SUPPORTED / MAXIMUM_SUPPORTED read back as _ssl.c stores
    them: as themselves where OpenSSL has "no limit", as the concrete
    version when assigned to the other end."""
    ctx = mod.SSLContext(protocol)
    seen = [ctx.minimum_version, ctx.maximum_version]
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    seen += [ctx.minimum_version, ctx.maximum_version]
    ctx.minimum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    ctx.maximum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    seen += [ctx.minimum_version, ctx.maximum_version]
    reference = ssl.SSLContext(protocol)
    want = [reference.minimum_version, reference.maximum_version]
    reference.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    reference.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    want += [reference.minimum_version, reference.maximum_version]
    reference.minimum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    reference.maximum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    want += [reference.minimum_version, reference.maximum_version]
    assert seen == want
    assert seen[4] == ssl.TLSVersion.TLSv1_3
