"""The cipher suites and key exchange groups, by the names OpenSSL gives them.

Owns: the suite registry (OpenSSL's names, descriptions and the
`get_ciphers()` dicts), OpenSSL's cipher-string language for `set_ciphers()`,
and the group names of `set_ecdh_curve()` / `set_groups()`.
Must not: hold settings or know about connections; the context reads these
tables and hands codes to the protocol core.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from typing import Any

from cytls._handshake.config import SUPPORTED_CIPHER_SUITES

__all__ = [
    "CURVES",
    "GROUPS_BY_NAME",
    "GROUP_ALIASES",
    "GROUP_NAMES",
    "SUITES_12",
    "SUITES_13",
    "SUITES_BY_CODE",
    "SUITES_RSA_KX",
    "CipherSuite",
    "engine_suites",
    "no_cipher_error",
    "parse_cipher_string",
]


@dataclass(frozen=True)
class CipherSuite:
    """One cipher suite cytls implements, described as OpenSSL describes it."""

    code: int
    name: str  # OpenSSL's name
    protocol: str
    kx: str  # Kx= in the description
    auth: str  # Au= in the description
    enc: str  # Enc= in the description
    bits: int
    symmetric: str
    kea: str
    auth_name: str
    aliases: frozenset[str]
    # Opt-in suites (RSA key transport) join a cipher string only through
    # an item with one of these words, never through ALL, HIGH, AESGCM...
    naming: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        """The dict `ssl.SSLContext.get_ciphers()` returns for this suite."""
        return {
            "id": 0x03000000 | self.code,
            "name": self.name,
            "protocol": self.protocol,
            "description": (
                f"{self.name:<30} {self.protocol} Kx={self.kx:<8} Au={self.auth:<5}"
                f" Enc={self.enc:<22} Mac=AEAD"
            ),
            "strength_bits": self.bits,
            "alg_bits": self.bits,
            "aead": True,
            "symmetric": self.symmetric,
            "digest": None,
            "kea": self.kea,
            "auth": self.auth_name,
        }


def _suite13(code: int, name: str, enc: str, bits: int, symmetric: str) -> CipherSuite:
    return CipherSuite(
        code,
        name,
        "TLSv1.3",
        "any",
        "any",
        enc,
        bits,
        symmetric,
        "kx-any",
        "auth-any",
        frozenset({name, "TLSv1.3"}),
    )


def _suite12(code: int, name: str, auth: str, enc: str, bits: int, symmetric: str) -> CipherSuite:
    aliases = {
        name,
        "ALL",
        "HIGH",
        "DEFAULT",
        "TLSv1.2",
        "AEAD",
        "ECDH",
        "ECDHE",
        "EECDH",
        "kECDHE",
        "kEECDH",
        "kECDH",
    }
    if auth == "RSA":
        aliases |= {"aRSA"}
    else:
        aliases |= {"aECDSA", "ECDSA"}
    if symmetric.startswith("aes"):
        aliases |= {"AES", "AESGCM", "AES128" if bits == 128 else "AES256"}
    else:
        aliases |= {"CHACHA20"}
    return CipherSuite(
        code,
        name,
        "TLSv1.2",
        "ECDH",
        auth,
        enc,
        bits,
        symmetric,
        "kx-ecdhe",
        f"auth-{auth.lower()}",
        frozenset(aliases),
    )


def _suite_rsa_kx(code: int, name: str, enc: str, bits: int, symmetric: str) -> CipherSuite:
    """RFC 5288 RSA key transport, opt-in: OpenSSL's `kRSA`/`RSA` aliases
    or the suite's name enable it (OpenSSL 3.0 has it in ALL and DEFAULT;
    cytls does not, for the lack of forward secrecy and Bleichenbacher's
    attacks)."""
    aes = {"AES", "AESGCM", "AES128" if bits == 128 else "AES256"}
    aliases = {name, "kRSA", "RSA", "aRSA", "TLSv1.2", "AEAD"} | aes
    return CipherSuite(
        code,
        name,
        "TLSv1.2",
        "RSA",
        "RSA",
        enc,
        bits,
        symmetric,
        "kx-rsa",
        "auth-rsa",
        frozenset(aliases),
        frozenset({name, "kRSA", "RSA"}),
    )


# RFC 8446 §B.4 (TLS 1.3) and RFC 5289 / RFC 7905 (TLS 1.2 ECDHE AEAD), in
# the ssl module's default preference order; then RFC 5288's RSA key
# transport, opt-in.
SUITES_13 = (
    _suite13(0x1302, "TLS_AES_256_GCM_SHA384", "AESGCM(256)", 256, "aes-256-gcm"),
    _suite13(
        0x1303, "TLS_CHACHA20_POLY1305_SHA256", "CHACHA20/POLY1305(256)", 256, "chacha20-poly1305"
    ),
    _suite13(0x1301, "TLS_AES_128_GCM_SHA256", "AESGCM(128)", 128, "aes-128-gcm"),
)
SUITES_12 = (
    _suite12(0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDSA", "AESGCM(256)", 256, "aes-256-gcm"),
    _suite12(0xC030, "ECDHE-RSA-AES256-GCM-SHA384", "RSA", "AESGCM(256)", 256, "aes-256-gcm"),
    _suite12(0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDSA", "AESGCM(128)", 128, "aes-128-gcm"),
    _suite12(0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", "RSA", "AESGCM(128)", 128, "aes-128-gcm"),
    _suite12(
        0xCCA9,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDSA",
        "CHACHA20/POLY1305(256)",
        256,
        "chacha20-poly1305",
    ),
    _suite12(
        0xCCA8,
        "ECDHE-RSA-CHACHA20-POLY1305",
        "RSA",
        "CHACHA20/POLY1305(256)",
        256,
        "chacha20-poly1305",
    ),
)
SUITES_RSA_KX = (
    _suite_rsa_kx(0x009D, "AES256-GCM-SHA384", "AESGCM(256)", 256, "aes-256-gcm"),
    _suite_rsa_kx(0x009C, "AES128-GCM-SHA256", "AESGCM(128)", 128, "aes-128-gcm"),
)
SUITES_BY_CODE = {s.code: s for s in SUITES_13 + SUITES_12 + SUITES_RSA_KX}
# The order OpenSSL's cipher-string keywords add suites in: ECDHE and AES
# first, then sorted by strength (ssl_create_cipher_list's base ordering);
# plain RSA key exchange after every ECDHE suite.
_KEYWORD_ORDER = tuple(
    SUITES_BY_CODE[c] for c in (0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC02B, 0xC02F, 0x009D, 0x009C)
)
_SUITES_13_BY_NAME = {s.name: s for s in SUITES_13}

# set_ecdh_curve() names (OpenSSL short names) -> TLS NamedGroup, RFC 8446 §4.2.7.
CURVES = {
    "prime256v1": 0x0017,
    "secp256r1": 0x0017,
    "P-256": 0x0017,
    "secp384r1": 0x0018,
    "P-384": 0x0018,
    "secp521r1": 0x0019,
    "P-521": 0x0019,
    "X25519": 0x001D,
    "x25519": 0x001D,
    "X448": 0x001E,
    "x448": 0x001E,
}

# set_groups() names, RFC 8446 §4.2.7 and draft-ietf-tls-ecdhe-mlkem: the
# canonical OpenSSL name of each group cytls implements, then other spellings.
GROUP_NAMES = {
    0x11EC: "X25519MLKEM768",
    0x001D: "x25519",
    0x0017: "secp256r1",
    0x0018: "secp384r1",
    0x001E: "x448",
    0x0019: "secp521r1",
    0x0100: "ffdhe2048",
    0x0101: "ffdhe3072",
    0x0102: "ffdhe4096",
    0x0103: "ffdhe6144",
    0x0104: "ffdhe8192",
}
GROUP_ALIASES = (
    ("X25519", 0x001D),
    ("prime256v1", 0x0017),
    ("P-256", 0x0017),
    ("P-384", 0x0018),
    ("X448", 0x001E),
    ("P-521", 0x0019),
)
GROUPS_BY_NAME = {n.lower(): c for c, n in GROUP_NAMES.items()} | {
    a.lower(): c for a, c in GROUP_ALIASES
}


def parse_cipher_string(spec: str) -> tuple[list[CipherSuite], list[CipherSuite] | None]:
    """Apply an OpenSSL cipher string to the suites cytls implements.

    Supports the grammar people write: items separated by ':', ',' or ' ';
    '!' (remove for good), '-' (remove), '+' (move to the end), '+'-joined
    aliases (intersection), @STRENGTH, @SECLEVEL=n (see security_level_of;
    "@" may follow a word directly, "DEFAULT@SECLEVEL=0"). Unknown words
    match nothing, as in OpenSSL. TLS 1.3 suite names, which OpenSSL keeps
    in a separate list, restrict the TLS 1.3 suites when present.

    Returns:
        (TLS 1.2 suites in order, TLS 1.3 suites in order or None when the
        string names no TLS 1.3 suite).
    """
    active: list[CipherSuite] = []
    killed: set[int] = set()
    tls13: list[CipherSuite] = []
    for raw in re.split(r"[:, ]|(?=@)", spec):
        item = raw.strip()
        if not item:
            continue
        if item.startswith("@"):
            if item.upper() == "@STRENGTH":
                active.sort(key=lambda s: -s.bits)
            continue
        op = ""
        if item[0] in "!-+":
            op, item = item[0], item[1:]
        if item in _SUITES_13_BY_NAME:
            suite = _SUITES_13_BY_NAME[item]
            if op in ("!", "-"):
                tls13 = [s for s in tls13 if s is not suite]
            elif suite not in tls13:
                tls13.append(suite)
            continue
        words = item.split("+")
        if words == ["COMPLEMENTOFDEFAULT"] or words == ["COMPLEMENTOFALL"]:
            continue
        matches = [
            s
            for s in _KEYWORD_ORDER
            if all(w in s.aliases for w in words)
            and (not s.naming or any(w in s.naming for w in words))
        ]
        if op == "!":
            killed.update(s.code for s in matches)
            active = [s for s in active if s.code not in killed]
        elif op == "-":
            active = [s for s in active if s not in matches]
        elif op == "+":
            moved = [s for s in active if s in matches]
            active = [s for s in active if s not in matches] + moved
        else:
            active.extend(s for s in matches if s not in active and s.code not in killed)
    return active, (tls13 or None)


def security_level_of(spec: str) -> int | None:
    """The level a cipher string sets with @SECLEVEL=n (its last one), as
    OpenSSL's SSL_CTX_set_cipher_list does; None when it names none.
    OpenSSL caps the level at 5."""
    found = re.findall(r"@SECLEVEL=(\d+)", spec, flags=re.IGNORECASE)
    return min(int(found[-1]), 5) if found else None


def engine_suites() -> frozenset[int]:
    """The cipher suites the protocol core can negotiate."""
    return frozenset(int(c) for c in SUPPORTED_CIPHER_SUITES)


def no_cipher_error() -> ssl.SSLError:
    """_ssl.c's words when a cipher string selects nothing (a plain message:
    no OpenSSL reason; library and reason are None)."""
    err = ssl.SSLError("No cipher can be selected.")
    err.library = None  # type: ignore[assignment]
    err.reason = None  # type: ignore[assignment]
    return err
