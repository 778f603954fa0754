"""The TLS 1.3 key schedule (RFC 8446 §7) and the TLS 1.2 PRF (RFC 5246 §5).

Owns: every secret derived from the (EC)DHE shared secret and the
transcript: handshake and application traffic secrets, Finished keys,
traffic keys and IVs, KeyUpdate's next secrets, the exporter and the
resumption master secret; the NSS key log labels. For TLS 1.2: the PRF,
the extended master secret (RFC 7627), the key block, Finished
verify_data and the RFC 5705 exporter.
Must not: hash transcripts, parse messages or protect records. All HKDF
and HMAC work goes through the C core (cytls.crypto).

             0
             |
             v
   PSK ->  HKDF-Extract = Early Secret
             |
             v
       Derive-Secret(., "derived", "")
             |
             v
(EC)DHE -> HKDF-Extract = Handshake Secret
             |
             +-----> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
             |                     = client_handshake_traffic_secret
             +-----> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
             |                     = server_handshake_traffic_secret
             v
       Derive-Secret(., "derived", "")
             |
             v
   0 -> HKDF-Extract = Master Secret
             |
             +-----> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
             +-----> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
             +-----> Derive-Secret(., "exp master",   ClientHello...server Finished)
             +-----> Derive-Secret(., "res master",   ClientHello...client Finished)
"""

from __future__ import annotations

from dataclasses import dataclass

import cytls._core as _core
from cytls._wire.enums import CipherSuite

# The C core's hash ids (cytls.h); the key schedule calls the C core
# directly, skipping the public facade's name lookups on this hot path.
HASH_IDS = {"sha256": 1, "sha384": 2, "sha512": 3}
_expand_label = _core.hkdf_expand_label
_extract = _core.hkdf_extract
_hmac = _core.hmac_digest

__all__ = [
    "SUITES",
    "SUITES12",
    "KeySchedule",
    "KeySchedule12",
    "Suite12",
    "SuiteInfo",
    "prf",
    "suite_info",
]


@dataclass(frozen=True, slots=True)
class SuiteInfo:
    """What a TLS 1.3 suite fixes: hash, AEAD key length, IV length."""

    suite: int
    hash_name: str
    hash_len: int
    key_len: int
    iv_len: int = 12
    empty_hash: bytes = b""
    zeros: bytes = b""
    alg: int = 1
    early_no_psk: bytes = b""
    # Derive-Secret(Early Secret with no PSK, "derived", ""): the same for
    # every handshake without PSK, so it is computed once.
    derived_no_psk: bytes = b""


def _make(suite: int, hash_name: str, hash_len: int, key_len: int) -> SuiteInfo:
    alg = HASH_IDS[hash_name]
    empty = _core.Hash(alg).digest()
    zeros = bytes(hash_len)
    early = _extract(alg, zeros, zeros)
    derived = _expand_label(alg, early, b"derived", empty, hash_len)
    return SuiteInfo(
        suite,
        hash_name,
        hash_len,
        key_len,
        iv_len=12,
        empty_hash=empty,
        zeros=zeros,
        derived_no_psk=derived,
        alg=alg,
        early_no_psk=early,
    )


SUITES: dict[int, SuiteInfo] = {
    CipherSuite.TLS_AES_128_GCM_SHA256: _make(0x1301, "sha256", 32, 16),
    CipherSuite.TLS_AES_256_GCM_SHA384: _make(0x1302, "sha384", 48, 32),
    CipherSuite.TLS_CHACHA20_POLY1305_SHA256: _make(0x1303, "sha256", 32, 32),
}


def suite_info(suite: int) -> SuiteInfo:
    return SUITES[suite]


class KeySchedule:
    """The secrets of one connection, derived stage by stage.

    Args:
        suite: the negotiated TLS 1.3 cipher suite.
        psk: a resumption PSK, or None for a full handshake.
    """

    __slots__ = (
        "client_app_secret",
        "client_hs_secret",
        "early_secret",
        "exporter_secret",
        "handshake_secret",
        "has_psk",
        "info",
        "master_secret",
        "resumption_secret",
        "server_app_secret",
        "server_hs_secret",
    )

    def __init__(self, suite: int, psk: bytes | None = None) -> None:
        info = SUITES[suite]
        self.info = info
        self.has_psk = psk is not None
        if psk is None:
            self.early_secret = info.early_no_psk
        else:
            self.early_secret = _extract(info.alg, info.zeros, psk)
        self.handshake_secret = b""
        self.client_hs_secret = b""
        self.server_hs_secret = b""
        self.master_secret = b""
        self.client_app_secret = b""
        self.server_app_secret = b""
        self.exporter_secret = b""
        self.resumption_secret = b""

    def expand_label(self, secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
        """HKDF-Expand-Label (RFC 8446 §7.1)."""
        return _expand_label(self.info.alg, secret, label, context, length)

    def derive_secret(self, secret: bytes, label: bytes, transcript_hash: bytes) -> bytes:
        """Derive-Secret (RFC 8446 §7.1), given the transcript hash."""
        info = self.info
        return _expand_label(info.alg, secret, label, transcript_hash, info.hash_len)

    def handshake_stage(self, shared_secret: bytes, hello_hash: bytes) -> None:
        """Handshake Secret and both handshake traffic secrets.

        Args:
            shared_secret: the (EC)DHE output.
            hello_hash: Transcript-Hash(ClientHello..ServerHello).
        """
        info = self.info
        if not self.has_psk:
            derived = info.derived_no_psk
        else:  # pragma: no cover - PSK handshakes come later
            derived = self.derive_secret(self.early_secret, b"derived", info.empty_hash)
        hs = _extract(info.alg, derived, shared_secret)
        self.handshake_secret = hs
        self.client_hs_secret = self.derive_secret(hs, b"c hs traffic", hello_hash)
        self.server_hs_secret = self.derive_secret(hs, b"s hs traffic", hello_hash)

    def master_stage(self, server_finished_hash: bytes) -> None:
        """Master Secret, application traffic secrets and the exporter
        secret, given Transcript-Hash(ClientHello..server Finished)."""
        info = self.info
        derived = self.derive_secret(self.handshake_secret, b"derived", info.empty_hash)
        ms = _extract(info.alg, derived, info.zeros)
        self.master_secret = ms
        self.client_app_secret = self.derive_secret(ms, b"c ap traffic", server_finished_hash)
        self.server_app_secret = self.derive_secret(ms, b"s ap traffic", server_finished_hash)
        self.exporter_secret = self.derive_secret(ms, b"exp master", server_finished_hash)

    def resumption_stage(self, client_finished_hash: bytes) -> None:
        """resumption_master_secret, given Transcript-Hash(..client Finished)."""
        self.resumption_secret = self.derive_secret(
            self.master_secret, b"res master", client_finished_hash
        )

    def traffic_key(self, secret: bytes) -> tuple[bytes, bytes]:
        """(write_key, write_iv) for a traffic secret (RFC 8446 §7.3)."""
        info = self.info
        key = _expand_label(info.alg, secret, b"key", b"", info.key_len)
        iv = _expand_label(info.alg, secret, b"iv", b"", info.iv_len)
        return key, iv

    def finished_key(self, base_key: bytes) -> bytes:
        """finished_key (RFC 8446 §4.4.4)."""
        return self.expand_label(base_key, b"finished", b"", self.info.hash_len)

    def finished_verify_data(self, base_key: bytes, transcript_hash: bytes) -> bytes:
        """verify_data = HMAC(finished_key, Transcript-Hash(...)) (§4.4.4)."""
        return _hmac(self.info.alg, self.finished_key(base_key), transcript_hash)

    def next_traffic_secret(self, secret: bytes) -> bytes:
        """application_traffic_secret_N+1 (RFC 8446 §7.2)."""
        return self.expand_label(secret, b"traffic upd", b"", self.info.hash_len)

    def export(self, label: bytes, context: bytes | None, length: int) -> bytes:
        """TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5)."""
        secret = self.derive_secret(self.exporter_secret, label, self.info.empty_hash)
        alg = self.info.alg
        ctx_hash = _core.Hash(alg, context or b"").digest()
        return _expand_label(alg, secret, b"exporter", ctx_hash, length)

    def resumption_psk(self, nonce: bytes) -> bytes:
        """The PSK of a NewSessionTicket (RFC 8446 §4.6.1)."""
        return self.expand_label(self.resumption_secret, b"resumption", nonce, self.info.hash_len)


# ------------------------------------------------------------------ TLS 1.2


@dataclass(frozen=True, slots=True)
class Suite12:
    """What a TLS 1.2 AEAD suite fixes (RFC 5288, RFC 5289, RFC 7905).

    Attributes:
        kx: "ecdhe" (RFC 8422) or "rsa" (RSA key transport, RFC 5246
            §7.4.7.1: no ServerKeyExchange, opt-in suites only).
        auth: "ecdsa" (an ECDSA or Ed25519 certificate, RFC 8422 §5.1.1)
            or "rsa".
        iv_len: the implicit part of the nonce: 4 bytes of salt for
            AES-GCM (the other 8 travel in each record), 12 for ChaCha20.
    """

    suite: int
    hash_name: str
    hash_len: int
    key_len: int
    iv_len: int
    auth: str
    alg: int
    kx: str = "ecdhe"


def _s12(
    suite: int, hash_name: str, key_len: int, iv_len: int, auth: str, kx: str = "ecdhe"
) -> Suite12:
    alg = HASH_IDS[hash_name]
    return Suite12(suite, hash_name, 48 if alg == 2 else 32, key_len, iv_len, auth, alg, kx)


SUITES12: dict[int, Suite12] = {
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: _s12(0xC02B, "sha256", 16, 4, "ecdsa"),
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: _s12(0xC02C, "sha384", 32, 4, "ecdsa"),
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: _s12(0xC02F, "sha256", 16, 4, "rsa"),
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: _s12(0xC030, "sha384", 32, 4, "rsa"),
    CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: _s12(0xCCA8, "sha256", 32, 12, "rsa"),
    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: _s12(
        0xCCA9, "sha256", 32, 12, "ecdsa"
    ),
    CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256: _s12(0x009C, "sha256", 16, 4, "rsa", "rsa"),
    CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384: _s12(0x009D, "sha384", 32, 4, "rsa", "rsa"),
}


def prf(alg: int, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """PRF(secret, label, seed) = P_hash(secret, label + seed) (RFC 5246 §5).

    P_hash: A(0) = seed', A(i) = HMAC(secret, A(i-1)), output
    HMAC(secret, A(1) + seed') + HMAC(secret, A(2) + seed') + ...
    """
    seed = label + seed
    out = bytearray()
    a = seed
    while len(out) < length:
        a = _hmac(alg, secret, a)
        out += _hmac(alg, secret, a + seed)
    return bytes(out[:length])


class KeySchedule12:
    """The secrets of one TLS 1.2 connection (full handshake, EMS).

    Args:
        suite: the negotiated TLS 1.2 suite.
        client_random, server_random: the Hello randoms.
    """

    __slots__ = ("client_random", "info", "master_secret", "server_random")

    def __init__(self, suite: int, client_random: bytes, server_random: bytes) -> None:
        self.info = SUITES12[suite]
        self.client_random = client_random
        self.server_random = server_random
        self.master_secret = b""

    def session_hash(self, messages: bytes | bytearray) -> bytes:
        """Hash of the handshake messages so far, with the suite's PRF hash."""
        return _core.Hash(self.info.alg, bytes(messages)).digest()

    def extended_master_secret(self, premaster: bytes, session_hash: bytes) -> None:
        """RFC 7627 §4: master_secret = PRF(pre_master_secret,
        "extended master secret", session_hash)[0..47], where session_hash
        covers ClientHello through ClientKeyExchange."""
        self.master_secret = prf(
            self.info.alg, premaster, b"extended master secret", session_hash, 48
        )

    def key_block(self) -> tuple[bytes, bytes, bytes, bytes]:
        """RFC 5246 §6.3: (client key, server key, client IV, server IV);
        AEAD suites have no MAC keys."""
        info = self.info
        n = 2 * (info.key_len + info.iv_len)
        block = prf(
            info.alg,
            self.master_secret,
            b"key expansion",
            self.server_random + self.client_random,
            n,
        )
        k, v = info.key_len, info.iv_len
        return block[:k], block[k : 2 * k], block[2 * k : 2 * k + v], block[2 * k + v :]

    def verify_data(self, client: bool, handshake_hash: bytes) -> bytes:
        """RFC 5246 §7.4.9: 12 bytes of PRF(master_secret, finished_label,
        Hash(handshake_messages))."""
        label = b"client finished" if client else b"server finished"
        return prf(self.info.alg, self.master_secret, label, handshake_hash, 12)

    def export(self, label: bytes, context: bytes | None, length: int) -> bytes:
        """RFC 5705 §4: PRF(master_secret, label, client_random +
        server_random [+ context_value_length + context_value]). Unlike
        TLS 1.3, no context (None) and an empty one give different output.

        Raises:
            ValueError: a context longer than 65535 bytes.
        """
        seed = self.client_random + self.server_random
        if context is not None:
            if len(context) > 0xFFFF:
                raise ValueError("exporter context longer than 65535 bytes")
            seed += len(context).to_bytes(2, "big") + context
        return prf(self.info.alg, self.master_secret, label, seed, length)
