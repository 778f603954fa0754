"""How the `_core` extension is compiled, as far as Python can see it.

Owns: that `_core` is built for CPython's full C API. Cython compiles a
module for the Limited API whenever the macro CYTHON_LIMITED_API is defined
at all (even as 0), and such a build reaches every method through its
slowest paths (no vectorcall before 3.12, argument tuples, no fast GIL or
thread state): 5-12 % of a handshake pair here, and the record layer's
margin over the raw AEAD. Its extension types are then heap types, made
from type specs; a full-API build's are static.
"""

from __future__ import annotations

from cytls import _core

Py_TPFLAGS_HEAPTYPE = 1 << 9


def test_core_is_built_for_the_full_c_api() -> None:
    for cls in (_core.RecordIO, _core.Hash):
        assert not cls.__flags__ & Py_TPFLAGS_HEAPTYPE, (
            f"{cls.__name__} is a heap type: _core was compiled for the Limited API"
        )
