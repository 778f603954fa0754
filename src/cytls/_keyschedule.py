"""The TLS 1.3 key schedule (RFC 8446 §7).

Owns: every secret derived from the (EC)DHE shared secret and the
transcript: handshake and application traffic secrets, Finished keys,
traffic keys and IVs, KeyUpdate's next secrets, the exporter and the
resumption master secret; the NSS key log labels.
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

from cytls import crypto
from cytls._enums import CipherSuite

__all__ = ["SUITES", "KeySchedule", "SuiteInfo", "suite_info"]


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
    # Derive-Secret(Early Secret with no PSK, "derived", ""): the same for
    # every handshake without PSK, so it is computed once.
    derived_no_psk: bytes = b""


def _make(suite: int, hash_name: str, hash_len: int, key_len: int) -> SuiteInfo:
    empty = crypto.Hash(hash_name).digest()
    zeros = bytes(hash_len)
    early = crypto.hkdf_extract(hash_name, zeros, zeros)
    derived = crypto.hkdf_expand_label(hash_name, early, b"derived", empty, hash_len)
    return SuiteInfo(suite, hash_name, hash_len, key_len, 12, empty, zeros, derived)


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
            self.early_secret = crypto.hkdf_extract(info.hash_name, info.zeros, info.zeros)
        else:
            self.early_secret = crypto.hkdf_extract(info.hash_name, info.zeros, psk)
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
        return crypto.hkdf_expand_label(self.info.hash_name, secret, label, context, length)

    def derive_secret(self, secret: bytes, label: bytes, transcript_hash: bytes) -> bytes:
        """Derive-Secret (RFC 8446 §7.1), given the transcript hash."""
        return crypto.hkdf_expand_label(
            self.info.hash_name, secret, label, transcript_hash, self.info.hash_len
        )

    def handshake_stage(self, shared_secret: bytes, hello_hash: bytes) -> None:
        """Handshake Secret and both handshake traffic secrets.

        Args:
            shared_secret: the (EC)DHE output.
            hello_hash: Transcript-Hash(ClientHello..ServerHello).
        """
        info = self.info
        h = info.hash_name
        if not self.has_psk:
            derived = info.derived_no_psk
        else:  # pragma: no cover - PSK handshakes come later
            derived = self.derive_secret(self.early_secret, b"derived", info.empty_hash)
        hs = crypto.hkdf_extract(h, derived, shared_secret)
        self.handshake_secret = hs
        self.client_hs_secret = self.derive_secret(hs, b"c hs traffic", hello_hash)
        self.server_hs_secret = self.derive_secret(hs, b"s hs traffic", hello_hash)

    def master_stage(self, server_finished_hash: bytes) -> None:
        """Master Secret, application traffic secrets and the exporter
        secret, given Transcript-Hash(ClientHello..server Finished)."""
        info = self.info
        derived = self.derive_secret(self.handshake_secret, b"derived", info.empty_hash)
        ms = crypto.hkdf_extract(info.hash_name, derived, info.zeros)
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
        h = info.hash_name
        key = crypto.hkdf_expand_label(h, secret, b"key", b"", info.key_len)
        iv = crypto.hkdf_expand_label(h, secret, b"iv", b"", info.iv_len)
        return key, iv

    def finished_key(self, base_key: bytes) -> bytes:
        """finished_key (RFC 8446 §4.4.4)."""
        return self.expand_label(base_key, b"finished", b"", self.info.hash_len)

    def finished_verify_data(self, base_key: bytes, transcript_hash: bytes) -> bytes:
        """verify_data = HMAC(finished_key, Transcript-Hash(...)) (§4.4.4)."""
        return crypto.hmac_digest(self.info.hash_name, self.finished_key(base_key), transcript_hash)

    def next_traffic_secret(self, secret: bytes) -> bytes:
        """application_traffic_secret_N+1 (RFC 8446 §7.2)."""
        return self.expand_label(secret, b"traffic upd", b"", self.info.hash_len)

    def export(self, label: bytes, context: bytes | None, length: int) -> bytes:
        """TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5)."""
        h = self.info.hash_name
        secret = self.derive_secret(self.exporter_secret, label, self.info.empty_hash)
        ctx_hash = crypto.Hash(h, context or b"").digest()
        return crypto.hkdf_expand_label(h, secret, b"exporter", ctx_hash, length)

    def resumption_psk(self, nonce: bytes) -> bytes:
        """The PSK of a NewSessionTicket (RFC 8446 §4.6.1)."""
        return self.expand_label(self.resumption_secret, b"resumption", nonce, self.info.hash_len)
