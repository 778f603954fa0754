"""The TLS record layer of one connection: framing, protection, key changes.

Owns: cutting outgoing messages into records and protecting them, opening
received records, the sequence numbers and their limits, record size limits
(RFC 8449), TLS 1.3 padding, and which keys protect each direction. Every
byte of record crypto and every per-record check runs in C (csrc/record.c),
one call per batch; the per-call buffer handling (feed, receive, send,
take_outgoing) is the Cython base class _core.RecordIO. A refused record
raises the alert record.c chose, named as the ssl module names the error.

Must not: parse handshake messages, decide which content type the handshake
state allows (it returns plaintext, CCS and handshake records to the
Connection, which accepts or refuses them), or touch sockets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cytls import _core
from cytls._wire.alerts import AlertDescription, TLSAlert

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["TLS12_SUITES", "TLS13_SUITES", "RecordHook", "RecordLayer", "TracingRecordLayer"]

# Cipher suite -> (cytls_aead_alg, key length). The AEAD is all the record
# layer needs to know of a suite.
TLS13_SUITES: dict[int, tuple[int, int]] = {
    0x1301: (1, 16),  # TLS_AES_128_GCM_SHA256
    0x1302: (2, 32),  # TLS_AES_256_GCM_SHA384
    0x1303: (3, 32),  # TLS_CHACHA20_POLY1305_SHA256
}
TLS12_SUITES: dict[int, tuple[int, int]] = {
    0x009C: (1, 16),  # TLS_RSA_WITH_AES_128_GCM_SHA256
    0x009D: (2, 32),  # TLS_RSA_WITH_AES_256_GCM_SHA384
    0xC02B: (1, 16),  # TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    0xC02C: (2, 32),  # TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    0xC02F: (1, 16),  # TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    0xC030: (2, 32),  # TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    0xCCA8: (3, 32),  # TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
    0xCCA9: (3, 32),  # TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
}

_TLS12 = 0x0303
_TLS13 = 0x0304
_CCS_RECORD = b"\x14\x03\x03\x00\x01\x01"

# RFC 8446 §5.5: at most 2^24.5 AES-GCM records per key. Ask for a
# KeyUpdate at 2^24, so that the C hard stop at 2^24.5 is never reached.
KEY_UPDATE_AFTER = 1 << 24

PaddingPolicy = Callable[[int], int] | int | None

_DECRYPTION_FAILED = ("DECRYPTION_FAILED_OR_BAD_RECORD_MAC", "decryption failed or bad record mac")
# record.c's error text -> the ssl module's (reason, text) before the read key
# is set, and under it, as OpenSSL 3 reports the same refusal.
_OPENSSL_RECORD_REASONS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "record authentication failed": (_DECRYPTION_FAILED, _DECRYPTION_FAILED),
    "record too short for its AEAD tag": (_DECRYPTION_FAILED, _DECRYPTION_FAILED),
    "bad record version": (("WRONG_VERSION_NUMBER", "wrong version number"),) * 2,
    "record too long": (
        ("PACKET_LENGTH_TOO_LONG", "packet length too long"),
        ("ENCRYPTED_LENGTH_TOO_LONG", "encrypted length too long"),
    ),
    "record plaintext too long": (("DATA_LENGTH_TOO_LONG", "data length too long"),) * 2,
    "unexpected record content type": (
        ("UNEXPECTED_MESSAGE", "unexpected message"),
        ("BAD_RECORD_TYPE", "bad record type"),
    ),
}


def _aead_for(suite: int, version: int) -> tuple[int, int]:
    table = TLS13_SUITES if version == _TLS13 else TLS12_SUITES if version == _TLS12 else None
    if table is None:
        raise ValueError(f"record protection needs TLS 1.2 or 1.3, not {version:#06x}")
    try:
        return table[suite]
    except KeyError:
        raise ValueError(
            f"cipher suite {suite:#06x} is not an AEAD suite of {version:#06x}"
        ) from None


class RecordLayer(_core.RecordIO):
    """Record framing and protection for one connection, both directions.

    Until a key is set for a direction its records are plaintext. The
    Connection feeds wire bytes in, takes records out, and installs keys at
    handshake message boundaries. The per-call methods (feed, receive,
    send, take_outgoing, outgoing, bytes_buffered) are inherited from
    _core.RecordIO, in C: one call each, no Python frame per write.

    Attributes:
        app_data: decrypted application data, in order; the Connection
            reads and deletes from its front.
    """

    __slots__ = ("_pad_block", "_read_limit", "_write_aead", "_write_limit")

    def __init__(self) -> None:
        self._write_limit: int | None = None
        self._read_limit: int | None = None
        self._pad_block = 0
        self._write_aead = 0

    def _record_error(self, alert: int, reason: str) -> TLSAlert:
        # RFC 8446 §5, §6: the alert record.c chose for a refused record,
        # with the ssl module's (OpenSSL's) reason and text where it names
        # the error apart from the alert: what applications match on.
        named = _OPENSSL_RECORD_REASONS.get(reason)
        if named is not None:
            code, text = named[1] if self._read.keyed else named[0]
            return TLSAlert(alert, text, reason=code)
        return TLSAlert(alert, reason or "")

    def _seal_limit_error(self) -> TLSAlert:
        # RFC 8446 §5.3, §5.5: never send past the sequence limit.
        return TLSAlert(
            AlertDescription.internal_error,
            "record sequence number limit reached; a KeyUpdate was due",
        )

    # ------------------------------------------------------------ set-up

    def set_legacy_record_version(self, version: int) -> None:
        """Set legacy_record_version of plaintext records from now on.

        RFC 8446 §5.1: 0x0301 for the first ClientHello, 0x0303 otherwise
        (the default).
        """
        self._write.set_plain_version(version)

    def set_write_key(self, suite: int, key: Buffer, iv: Buffer, version: int) -> None:
        """Protect records we send from now on; the sequence number restarts.

        Args:
            suite: IANA cipher suite (TLS 1.3 0x1301..0x1303, or a TLS 1.2
                ECDHE AEAD suite).
            key: the traffic key.
            iv: the 12-byte IV (TLS 1.2 AES-GCM: the 4-byte implicit salt).
            version: 0x0304 or 0x0303.

        Raises:
            ValueError: an unknown suite, a bad version, key or IV length.
        """
        alg, _ = _aead_for(suite, version)
        self._write.set_key(alg, version, key, iv)
        self._write_aead = alg
        if self._write_limit is not None:
            self._write.set_limit(self._write_limit)
        self._write.set_pad_block(self._pad_block)

    def set_write_secret13(self, suite: int, hash_alg: int, secret: Buffer) -> None:
        """TLS 1.3: protect records we send with the key and IV of a
        traffic secret (RFC 8446 §7.3), derived in C: they never become
        Python objects. The sequence number restarts.

        Raises:
            ValueError: an unknown suite, hash or a bad secret.
        """
        alg, _ = _aead_for(suite, _TLS13)
        self._write.set_traffic_secret(alg, hash_alg, secret)
        self._write_aead = alg
        if self._write_limit is not None:
            self._write.set_limit(self._write_limit)
        self._write.set_pad_block(self._pad_block)

    def clear_write_key(self) -> None:
        """Send plaintext records again: a client whose 0-RTT data a
        HelloRetryRequest rejected sends its second ClientHello in clear
        (RFC 8446 §4.1.2, §4.2.10)."""
        self._write.clear_key()

    def set_read_key(self, suite: int, key: Buffer, iv: Buffer, version: int) -> None:
        """Open records we receive with this key from now on; seq restarts.

        Args and Raises: as set_write_key.
        """
        alg, _ = _aead_for(suite, version)
        self._read.set_key(alg, version, key, iv)
        if self._read_limit is not None:
            self._read.set_limit(self._read_limit)

    def set_read_secret13(self, suite: int, hash_alg: int, secret: Buffer) -> None:
        """TLS 1.3: open records we receive with the key and IV of a traffic
        secret, as set_write_secret13."""
        alg, _ = _aead_for(suite, _TLS13)
        self._read.set_traffic_secret(alg, hash_alg, secret)
        if self._read_limit is not None:
            self._read.set_limit(self._read_limit)

    def set_write_fragment_limit(self, n: int) -> None:
        """Apply the record_size_limit the peer sent (RFC 8449 §4).

        Args:
            n: the peer's limit: the largest TLSInnerPlaintext in TLS 1.3
                (content type and padding included), plaintext in TLS 1.2.
                It applies to protected records only.

        Raises:
            ValueError: n below 64.
        """
        if n < 64:
            raise ValueError("record_size_limit must be at least 64")
        self._write_limit = n
        if self._write.keyed:
            self._write.set_limit(n)

    def set_read_plaintext_limit(self, n: int) -> None:
        """Apply the record_size_limit we advertised to records we receive.

        Longer protected records fail with record_overflow, before
        decryption.

        Raises:
            ValueError: n below 64.
        """
        if n < 64:
            raise ValueError("record_size_limit must be at least 64")
        self._read_limit = n
        if self._read.keyed:
            self._read.set_limit(n)

    def set_padding(self, policy: PaddingPolicy) -> None:
        """Choose TLS 1.3 record padding (RFC 8446 §5.4) for records we send.

        Args:
            policy: None for no padding; an int n to pad every inner
                plaintext to a multiple of n bytes (done in C); or a
                callable given each record's content length and returning
                the padding bytes to add (called once per record, in
                Python). Padding never makes a record pass the limit.

        Raises:
            ValueError: a negative block size.
            TypeError: any other kind of policy.
        """
        if policy is None or isinstance(policy, int):
            block = policy or 0
            if block < 0:
                raise ValueError("padding block must not be negative")
            self._pad_fn = None
            self._pad_block = block
        elif callable(policy):
            self._pad_fn = policy
            self._pad_block = 0
        else:
            raise TypeError("padding policy must be None, an int or a callable")
        self._write.set_pad_block(self._pad_block)

    def set_early_data_skip(self, max_early_data_size: int) -> None:
        """Server that rejected 0-RTT: drop the client's early data records
        (RFC 8446 §4.2.10) up to max_early_data_size bytes; past that,
        unexpected_message.

        Under the read key just set: records that do not decrypt, until
        one does. With no read key (after a HelloRetryRequest): every
        application_data record, until the next handshake or alert record
        (the second ClientHello).
        """
        self._read.set_skip_budget(max_early_data_size)

    # ------------------------------------------------------------ sending

    def send_change_cipher_spec(self) -> None:
        """Queue a plaintext change_cipher_spec record.

        TLS 1.3 sends it only for middlebox compatibility (RFC 8446 §D.4);
        TLS 1.2 sends it right before switching the write key. It is never
        protected, whatever key is set.
        """
        self._queue_bytes(_CCS_RECORD)

    # ------------------------------------------------------------ state

    @property
    def write_seq(self) -> int:
        """Sequence number of the next record we send."""
        return self._write.seq

    @property
    def read_seq(self) -> int:
        """Sequence number of the next record we open."""
        return self._read.seq

    @property
    def write_version(self) -> int | None:
        """0x0304 or 0x0303 once a write key is set, else None."""
        return self._write.version if self._write.keyed else None

    @property
    def read_version(self) -> int | None:
        """0x0304 or 0x0303 once a read key is set, else None."""
        return self._read.version if self._read.keyed else None

    def needs_key_update(self) -> bool:
        """Whether our TLS 1.3 AES-GCM write key is near its limit.

        RFC 8446 §5.5: at most 2^24.5 records per AES-GCM key. This turns
        True at 2^24 records; sending stops (internal_error) at 2^24.5.
        ChaCha20-Poly1305 and TLS 1.2 only stop before the sequence number
        wraps.
        """
        return (
            self._write.keyed
            and self._write.version == _TLS13
            and self._write_aead != 3
            and self._write.seq >= KEY_UPDATE_AFTER
        )


# (direction "read" / "write", content type, bytes): what a TracingRecordLayer
# reports. Content types 256 (a record header) and 257 (a TLS 1.3 record's
# inner content type) are OpenSSL's pseudo types for its message callback.
RecordHook = Callable[[str, int, bytes], None]
HEADER = 256
INNER_CONTENT_TYPE = 257


class TracingRecordLayer(RecordLayer):
    """A RecordLayer that reports each record header, TLS 1.3 inner
    content type and sent message to a hook, for the ssl module's
    `_msg_callback`. Only connections with a hook use it, so the plain
    class keeps its C-only path.

    Messages received are reported by the Connection (it reassembles
    them); this reports the headers read, in feed order, and what is sent:
    each record's header (and inner type), then the message.
    """

    __slots__ = ("_hook", "_in_carry", "_in_skip")

    def __init__(self, hook: RecordHook) -> None:
        super().__init__()
        self._hook = hook
        self._in_carry = bytearray()
        self._in_skip = 0

    def _sent_records(self, before: int, content_type: int) -> None:
        out = self.outgoing
        pos = before
        protected = self.write_version == _TLS13 and content_type != 20
        while pos + 5 <= len(out):
            header = bytes(out[pos : pos + 5])
            self._hook("write", HEADER, header)
            if protected:
                self._hook("write", INNER_CONTENT_TYPE, bytes((content_type,)))
            pos += 5 + int.from_bytes(header[3:5], "big")

    def send(self, content_type: int, data: Buffer) -> None:
        before = len(self.outgoing)
        super().send(content_type, data)
        self._sent_records(before, content_type)
        if content_type != 23:  # OpenSSL reports no application data
            self._hook("write", content_type, bytes(data))

    def send_change_cipher_spec(self) -> None:
        before = len(self.outgoing)
        super().send_change_cipher_spec()
        self._sent_records(before, 20)
        self._hook("write", 20, b"\x01")

    def feed(self, data: Buffer) -> None:
        buf = self._in_carry
        buf += data
        pos = 0
        while True:
            if self._in_skip:
                take = min(self._in_skip, len(buf) - pos)
                pos += take
                self._in_skip -= take
                if self._in_skip:
                    break
            if len(buf) - pos < 5:
                break
            header = bytes(buf[pos : pos + 5])
            self._hook("read", HEADER, header)
            self._in_skip = int.from_bytes(header[3:5], "big")
            pos += 5
        del buf[:pos]
        super().feed(data)

    def receive(self) -> tuple[int, bytes] | None:
        before = len(self.app_data)
        item = super().receive()
        if self.read_version == _TLS13:
            if len(self.app_data) > before:
                self._hook("read", INNER_CONTENT_TYPE, b"\x17")
            if item is not None and item[0] != 20:
                self._hook("read", INNER_CONTENT_TYPE, bytes((item[0],)))
        return item
