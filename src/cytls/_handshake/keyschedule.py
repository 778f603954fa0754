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
_HASH_LENS = {1: 32, 2: 48, 3: 64}
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
    "wipe",
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


def wipe(secret: bytearray | None) -> None:
    """Overwrite a secret with zeros in place (same object, same buffer)."""
    if secret:
        secret[:] = bytes(len(secret))


class KeySchedule:
    """The secrets of one connection, derived stage by stage.

    Each secret lives in a bytearray written by the C core (never as an
    immutable bytes object), is kept only while a later step needs it, and is
    zeroed and dropped when the schedule moves past that step:

    - early (with a PSK): until handshake_stage derives the Handshake Secret
      (the binder and the 0-RTT secrets, early_stage, come before);
    - handshake: until master_stage derives the Master Secret;
    - client/server handshake traffic: until finish_handshake (both
      Finished messages need them);
    - master: until resumption_stage derives resumption_master_secret;
    - client/server application traffic 0: until finish_handshake hands them
      to the traffic state, which wipes each on KeyUpdate;
    - exporter and resumption: the connection's life (export(), the PSK of
      every NewSessionTicket).

    A wiped secret reads as b"" (empty bytearray).

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
        self.early_secret: bytes | bytearray
        if psk is None:
            # Extract(0, 0): a public constant, the same for every connection.
            self.early_secret = info.early_no_psk
        else:
            self.early_secret = self._extract(info.zeros, psk)
        self.handshake_secret = bytearray()
        self.client_hs_secret = bytearray()
        self.server_hs_secret = bytearray()
        self.master_secret = bytearray()
        self.client_app_secret = bytearray()
        self.server_app_secret = bytearray()
        self.exporter_secret = bytearray()
        self.resumption_secret = bytearray()

    def _extract(self, salt: bytes | bytearray, ikm: bytes | bytearray) -> bytearray:
        out = bytearray(self.info.hash_len)
        _core.hkdf_extract_into(self.info.alg, out, salt, ikm)
        return out

    def _expand(self, secret: bytes | bytearray, label: bytes, context: bytes, n: int) -> bytearray:
        out = bytearray(n)
        _core.hkdf_expand_label_into(self.info.alg, out, secret, label, context)
        return out

    def expand_label(
        self, secret: bytes | bytearray, label: bytes, context: bytes, length: int
    ) -> bytes:
        """HKDF-Expand-Label (RFC 8446 §7.1)."""
        return _expand_label(self.info.alg, secret, label, context, length)

    def derive_secret(
        self, secret: bytes | bytearray, label: bytes, transcript_hash: bytes
    ) -> bytearray:
        """Derive-Secret (RFC 8446 §7.1), given the transcript hash."""
        return self._expand(secret, label, transcript_hash, self.info.hash_len)

    def binder_key(self) -> bytearray:
        """binder_key = Derive-Secret(Early Secret, "res binder", "")
        (RFC 8446 §7.1; resumption PSKs only, so never "ext binder")."""
        return self.derive_secret(self.early_secret, b"res binder", self.info.empty_hash)

    def binder(self, truncated_hash: bytes) -> bytes:
        """A PSK binder (RFC 8446 §4.2.11.2): the Finished computation
        (§4.4.4) keyed by binder_key over Transcript-Hash(Truncate(ClientHello1))
        or, after a HelloRetryRequest, over the transcript before it too."""
        key = self.binder_key()
        verify_data = self.finished_verify_data(key, truncated_hash)
        wipe(key)
        return verify_data

    def early_stage(self, client_hello_hash: bytes) -> tuple[bytearray, bytearray]:
        """(client_early_traffic_secret, early_exporter_master_secret),
        given Transcript-Hash(ClientHello) (RFC 8446 §7.1); before
        handshake_stage, which wipes the early secret."""
        es = self.early_secret
        return (
            self.derive_secret(es, b"c e traffic", client_hello_hash),
            self.derive_secret(es, b"e exp master", client_hello_hash),
        )

    def handshake_stage(self, shared_secret: bytes, hello_hash: bytes) -> None:
        """Handshake Secret and both handshake traffic secrets; the early
        secret is wiped.

        Args:
            shared_secret: the (EC)DHE output; for psk_ke (no (EC)DHE),
                Hash.length zero bytes (RFC 8446 §7.1).
            hello_hash: Transcript-Hash(ClientHello..ServerHello).
        """
        info = self.info
        if not self.has_psk:
            derived: bytes | bytearray = info.derived_no_psk
        else:
            derived = self.derive_secret(self.early_secret, b"derived", info.empty_hash)
            if isinstance(self.early_secret, bytearray):
                wipe(self.early_secret)
            self.early_secret = bytearray()
        hs = self._extract(derived, shared_secret)
        if isinstance(derived, bytearray):
            wipe(derived)
        self.handshake_secret = hs
        n = info.hash_len
        self.client_hs_secret, self.server_hs_secret = _core.hkdf_expand_labels(
            info.alg, hs, ((b"c hs traffic", hello_hash, n), (b"s hs traffic", hello_hash, n))
        )

    def master_stage(self, server_finished_hash: bytes) -> None:
        """Master Secret, application traffic secrets and the exporter
        secret, given Transcript-Hash(ClientHello..server Finished); the
        Handshake Secret is wiped."""
        info = self.info
        derived = self.derive_secret(self.handshake_secret, b"derived", info.empty_hash)
        wipe(self.handshake_secret)
        self.handshake_secret = bytearray()
        ms = self._extract(derived, info.zeros)
        wipe(derived)
        self.master_secret = ms
        h, n = server_finished_hash, info.hash_len
        self.client_app_secret, self.server_app_secret, self.exporter_secret = (
            _core.hkdf_expand_labels(
                info.alg, ms, ((b"c ap traffic", h, n), (b"s ap traffic", h, n), (b"exp master", h, n))
            )
        )

    def resumption_stage(self, client_finished_hash: bytes) -> None:
        """resumption_master_secret, given Transcript-Hash(..client
        Finished); the Master Secret is wiped."""
        self.adopt_resumption_secret(self.resumption_secret_for(client_finished_hash))

    def resumption_secret_for(self, client_finished_hash: bytes) -> bytearray:
        """resumption_master_secret for that transcript hash, computed
        without moving the schedule on (a server computes it ahead, from
        the client Finished it expects; adopt_resumption_secret, once that
        Finished came, or wipe)."""
        return self.derive_secret(self.master_secret, b"res master", client_finished_hash)

    def adopt_resumption_secret(self, secret: bytearray) -> None:
        """resumption_stage's second half: keep `secret` (from
        resumption_secret_for) and wipe the Master Secret."""
        self.resumption_secret = secret
        wipe(self.master_secret)
        self.master_secret = bytearray()

    def finish_handshake(self) -> tuple[bytearray, bytearray]:
        """The handshake is over: wipe both handshake traffic secrets (and
        the Master Secret, if resumption_stage never ran) and hand over the
        application traffic secrets, which the schedule no longer holds.

        Returns:
            (client application traffic secret 0, server's), owned by the
            caller from now on.
        """
        for secret in (self.client_hs_secret, self.server_hs_secret, self.master_secret):
            wipe(secret)
        self.client_hs_secret = bytearray()
        self.server_hs_secret = bytearray()
        self.master_secret = bytearray()
        out = (self.client_app_secret, self.server_app_secret)
        self.client_app_secret = bytearray()
        self.server_app_secret = bytearray()
        return out

    def traffic_key(self, secret: bytes | bytearray) -> tuple[bytearray, bytearray]:
        """(write_key, write_iv) for a traffic secret (RFC 8446 §7.3); the
        caller wipes them once the record layer has them."""
        info = self.info
        key, iv = _core.hkdf_expand_labels(
            info.alg, secret, ((b"key", b"", info.key_len), (b"iv", b"", info.iv_len))
        )
        return key, iv

    def finished_key(self, base_key: bytes | bytearray) -> bytearray:
        """finished_key (RFC 8446 §4.4.4)."""
        return self._expand(base_key, b"finished", b"", self.info.hash_len)

    def finished_verify_data(self, base_key: bytes | bytearray, transcript_hash: bytes) -> bytes:
        """verify_data = HMAC(finished_key, Transcript-Hash(...)) (§4.4.4),
        in one C call: finished_key never becomes a Python object."""
        return _core.finished_verify_data(self.info.alg, base_key, transcript_hash)

    def next_traffic_secret(self, secret: bytes | bytearray) -> bytearray:
        """application_traffic_secret_N+1 (RFC 8446 §7.2)."""
        return self._expand(secret, b"traffic upd", b"", self.info.hash_len)

    def update_traffic_secret(self, secret: bytearray) -> bytearray:
        """KeyUpdate: the next generation of `secret`, which is wiped (the
        caller's only copy; RFC 8446 §7.2 has the old one deleted)."""
        new = self.next_traffic_secret(secret)
        wipe(secret)
        return new

    def export(self, label: bytes, context: bytes | None, length: int) -> bytes:
        """TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5)."""
        secret = self.derive_secret(self.exporter_secret, label, self.info.empty_hash)
        alg = self.info.alg
        ctx_hash = _core.Hash(alg, context or b"").digest()
        out = _expand_label(alg, secret, b"exporter", ctx_hash, length)
        wipe(secret)
        return out

    def resumption_psk(self, nonce: bytes) -> bytes:
        """The PSK of a NewSessionTicket (RFC 8446 §4.6.1)."""
        return self.expand_label(self.resumption_secret, b"resumption", nonce, self.info.hash_len)

    def resumption_psks(
        self, nonces: list[bytes], secret: bytes | bytearray | None = None
    ) -> list[bytearray]:
        """resumption_psk for several tickets' nonces, eight per keyed HMAC,
        from `secret` (a resumption_master_secret; by default this
        schedule's)."""
        n = self.info.hash_len
        if secret is None:
            secret = self.resumption_secret
        requests = [(b"resumption", nonce, n) for nonce in nonces]
        out: list[bytearray] = []
        for i in range(0, len(requests), 8):
            out += _core.hkdf_expand_labels(self.info.alg, secret, tuple(requests[i : i + 8]))
        return out


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


def prf(alg: int, secret: bytes | bytearray, label: bytes, seed: bytes, length: int) -> bytearray:
    """PRF(secret, label, seed) = P_hash(secret, label + seed) (RFC 5246 §5).

    P_hash: A(0) = seed', A(i) = HMAC(secret, A(i-1)), output
    HMAC(secret, A(1) + seed') + HMAC(secret, A(2) + seed') + ...
    The output is a bytearray the caller can wipe.
    """
    seed = label + seed
    size = _HASH_LENS[alg]
    # Sized once and filled in place: growing it would leave copies behind.
    out = bytearray(-(-length // size) * size)
    a = seed
    for i in range(0, len(out), size):
        a = _hmac(alg, secret, a)
        out[i : i + size] = _hmac(alg, secret, a + seed)
    result = out[:length]
    wipe(out)
    return result


class KeySchedule12:
    """The secrets of one TLS 1.2 connection (full handshake).

    Args:
        suite: the negotiated TLS 1.2 suite.
        client_random, server_random: the Hello randoms.
        extended: whether both Hellos carried extended_master_secret
            (RFC 7627); otherwise the RFC 5246 master secret is used.
    """

    __slots__ = ("client_random", "extended", "info", "master_secret", "server_random")

    def __init__(
        self, suite: int, client_random: bytes, server_random: bytes, extended: bool = True
    ) -> None:
        self.info = SUITES12[suite]
        self.client_random = client_random
        self.server_random = server_random
        self.extended = extended
        # Kept for the connection's life, in a bytearray: both Finished
        # messages and the RFC 5705 exporter need it.
        self.master_secret: bytes | bytearray = bytearray()

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

    def legacy_master_secret(self, premaster: bytes) -> None:
        """RFC 5246 §8.1: master_secret = PRF(pre_master_secret, "master
        secret", ClientHello.random + ServerHello.random)[0..47]."""
        self.master_secret = prf(
            self.info.alg,
            premaster,
            b"master secret",
            self.client_random + self.server_random,
            48,
        )

    def derive_master_secret(self, premaster: bytes, messages: bytes | bytearray) -> None:
        """The master secret once ClientKeyExchange is known: the extended
        one (RFC 7627 §4, over the session hash of `messages`, ClientHello
        through ClientKeyExchange) when it was negotiated, else RFC 5246's."""
        if self.extended:
            self.extended_master_secret(premaster, self.session_hash(messages))
        else:
            self.legacy_master_secret(premaster)

    def key_block(self) -> tuple[bytearray, bytearray, bytearray, bytearray]:
        """RFC 5246 §6.3: (client key, server key, client IV, server IV);
        AEAD suites have no MAC keys. The caller wipes them once the record
        layer has them."""
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
        parts = (block[:k], block[k : 2 * k], block[2 * k : 2 * k + v], block[2 * k + v :])
        wipe(block)
        return parts

    def verify_data(self, client: bool, handshake_hash: bytes) -> bytes:
        """RFC 5246 §7.4.9: 12 bytes of PRF(master_secret, finished_label,
        Hash(handshake_messages))."""
        label = b"client finished" if client else b"server finished"
        return bytes(prf(self.info.alg, self.master_secret, label, handshake_hash, 12))

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
        return bytes(prf(self.info.alg, self.master_secret, label, seed, length))
