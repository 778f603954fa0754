"""DSA's key classes, read once without cryptography's deprecation warning.

Owns: `DSAPrivateKey` and `DSAPublicKey` as cytls names them, only to
recognise a DSA key it is handed (to measure it for a security level, or to
say which certificate slot it would fill). cryptography 51 deprecates DSA
and warns on every read of a name of its dsa module, which would otherwise
reach every user of cytls at import and at every key check, DSA or not.
Must not: make or use DSA keys, or silence any other warning.
"""

from __future__ import annotations

import warnings

from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.utils import CryptographyDeprecationWarning

__all__ = ["DSAPrivateKey", "DSAPublicKey"]

with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    DSAPrivateKey = dsa.DSAPrivateKey
    DSAPublicKey = dsa.DSAPublicKey
