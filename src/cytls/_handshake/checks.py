"""What the TLS 1.3 and TLS 1.2 state machines of both roles share.

Owns: turning certificate DER into checked chains (parse, cache, verify as
client or as server), producing a signature with our key (or the test
hook), checking a peer's CertificateVerify, the server's SNI callback and
ALPN choice, and the client's check of the server's ALPN answer.
Must not: read or write records, or decide which message comes next: the
states call these helpers and keep the order themselves.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from cryptography import x509

from cytls._handshake import signatures
from cytls._handshake.config import TLSConfig
from cytls._handshake.state import (
    CertificateChecked,
    Context,
    FinishedChecked,
    SignatureChecked,
)
from cytls._handshake.transcript import Transcript
from cytls._pki.verify import CERT_ERRORS, fail
from cytls._wire import messages as m
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import TLSAlert
from cytls._wire.enums import ExtensionType as Ext

__all__ = [
    "check_certificate_verify",
    "check_hello_version",
    "check_peer_finished",
    "choose_alpn",
    "client_alpn_answer",
    "load_certificates",
    "parse_certificate_chain",
    "run_sni_callback",
    "sign",
    "verify_client_chain",
    "verify_server_chain",
]

def check_hello_version(legacy_version: int, what: str) -> None:
    """RFC 8446 §D.5: a ClientHello or ServerHello whose legacy_version is
    0x0300 (SSL 3.0) or lower ends the handshake with protocol_version,
    whatever its supported_versions says.

    Raises:
        TLSAlert: protocol_version.
    """
    if legacy_version <= 0x0300:
        raise TLSAlert(
            AD.protocol_version,
            f"{what} legacy_version 0x{legacy_version:04x} is SSL 3.0 or older",
        )


# Parsed certificates by DER. Certificates are immutable values, so a
# chain seen before (a server's own chain, on every reconnection) is not
# parsed again; verification still runs on every handshake.
_PARSED: dict[bytes, x509.Certificate] = {}
_PARSED_MAX = 256


def _load_certificate(der: bytes) -> x509.Certificate:
    cert = _PARSED.get(der)
    if cert is not None:
        return cert
    try:
        cert = x509.load_der_x509_certificate(der)
        # The DER is parsed lazily; touch every field used later (the
        # verifier, getpeercert, the trace) so a malformed certificate fails
        # here, as bad_certificate. `extensions` parses every extension
        # cryptography knows, and refuses a duplicated one.
        _ = (cert.version, cert.serial_number, cert.subject.rfc4514_string())
        _ = (cert.issuer.rfc4514_string(), cert.not_valid_before_utc)
        _ = (cert.not_valid_after_utc, cert.signature_algorithm_oid, cert.extensions)
    except CERT_ERRORS as exc:
        raise TLSAlert(
            AD.bad_certificate, f"certificate could not be parsed: {type(exc).__name__}"
        ) from None
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[der] = cert
    return cert


def load_certificates(ders: list[bytes]) -> list[x509.Certificate]:
    """DER entries to certificates, leaf first; unparsable DER is
    bad_certificate, an unusable leaf key unsupported_certificate."""
    chain = [_load_certificate(d) for d in ders]
    if chain:
        try:
            chain[0].public_key()
        except CERT_ERRORS:
            raise TLSAlert(AD.unsupported_certificate, "unusable certificate public key") from None
    return chain


def parse_certificate_chain(cert: m.Certificate, offered: set[int]) -> list[x509.Certificate]:
    """A TLS 1.3 Certificate's entries to certificates; entry extensions
    must have been asked for (RFC 8446 §4.4.2)."""
    for entry in cert.entries:
        for etype in entry.extensions:
            if etype not in offered:
                raise TLSAlert(
                    AD.unsupported_extension, f"unsolicited certificate extension 0x{etype:04x}"
                )
    return load_certificates([e.cert_data for e in cert.entries])


def _now(cfg: TLSConfig) -> Any:
    return cfg.now() if cfg.now is not None else None


def verify_server_chain(ctx: Context, chain: list[x509.Certificate]) -> CertificateChecked:
    """Client: record the server's chain and verify it (unless verify_mode
    is CERT_NONE), with the host name when check_hostname is set."""
    cfg = ctx.config
    ctx.peer_certificates = chain
    ctx.trace(
        "receive Certificate",
        certificates=len(chain),
        subject=chain[0].subject,
    )
    if cfg.verify_mode == 0:
        return CertificateChecked(chain, [], False, "verify_mode is CERT_NONE")
    host = cfg.server_hostname if cfg.check_hostname else None
    if host is not None and not host.isascii():
        # Match the A-label form, as sent in server_name.
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise fail(62, f"Hostname mismatch, certificate is not valid for '{host}'.") from None
    verified = ctx.prepared.verifier.verify(chain, server=True, hostname=host, now=_now(cfg))
    ctx.verified_chain = verified
    ctx.trace("verify certificate chain", depth=len(verified), hostname=host)
    return CertificateChecked(chain, verified, True)


def verify_client_chain(
    ctx: Context, chain: list[x509.Certificate], step: str = "verify certificate chain"
) -> CertificateChecked:
    """Server: record the client's (non-empty) chain and verify it."""
    cfg = ctx.config
    verified = ctx.prepared.verifier.verify(chain, server=False, hostname=None, now=_now(cfg))
    ctx.peer_certificates = chain
    ctx.verified_chain = verified
    ctx.trace(step, depth=len(verified))
    return CertificateChecked(chain, verified, True)


def check_certificate_verify(
    body: bytes,
    raw: bytes,
    leaf: x509.Certificate,
    offered: Container[int],
    sig_context: bytes,
    transcript: Transcript,
) -> SignatureChecked:
    """Check the peer's CertificateVerify (RFC 8446 §4.4.3) and add it to
    `transcript`.

    Args:
        body: the message body.
        raw: the whole handshake message, as added to the transcript.
        leaf: the peer's end-entity certificate, whose key must have signed.
        offered: the signature schemes we offered; any other is
            illegal_parameter.
        sig_context: the context string, `signatures.SERVER_CONTEXT` or
            `signatures.CLIENT_CONTEXT` (RFC 8446 §4.4.3).
        transcript: the transcript the signature covers, up to and
            excluding this message.

    Returns:
        The proof the next state needs: the scheme that was verified.

    Raises:
        TLSAlert: decode_error for a malformed body, illegal_parameter for a
            scheme we did not offer, and the alert `signatures.verify` gives for a
            signature that does not verify under the leaf's key.
    """

    cv = m.CertificateVerify.parse(body)
    if cv.scheme not in offered:
        raise TLSAlert(
            AD.illegal_parameter, f"CertificateVerify scheme 0x{cv.scheme:04x} was not offered"
        )
    content = sig_context + transcript.digest()
    signatures.verify(leaf, leaf.public_key(), cv.scheme, cv.signature, content)
    transcript.add(raw)
    return SignatureChecked(cv.scheme)


def check_peer_finished(
    ctx: Context, secret: bytes | bytearray, body: bytes, raw: bytes
) -> FinishedChecked:
    """Check the peer's TLS 1.3 Finished (RFC 8446 §4.4.4) keyed by its
    handshake traffic `secret`, and add it to the transcript.

    Args:
        ctx: the connection's context (key schedule and transcript).
        secret: the peer's handshake traffic secret.
        body: the Finished body (verify_data).
        raw: the whole handshake message, as added to the transcript.

    Returns:
        The proof the next state needs.

    Raises:
        TLSAlert: decode_error for the wrong length, decrypt_error when the
            verify_data does not match.
    """
    ks = ctx.ks
    assert ks is not None
    if len(body) != ks.info.hash_len:
        raise TLSAlert(AD.decode_error, "Finished has the wrong length")
    proof = ctx.check_finished(secret, body)
    ctx.transcript.add(raw)
    return proof


def sign(ctx: Context, key: Any, scheme: int, content: bytes) -> bytes:
    """Sign with our key (or the test hook that replaces the signer)."""
    if ctx.hooks.sign is not None:
        return ctx.hooks.sign(scheme, content)
    return signatures.sign(key, scheme, content)


def run_sni_callback(ctx: Context, exts: dict[int, bytes]) -> bool:
    """Server: read server_name and run the SNI callback, which may swap
    our chain or abort with its alert. Returns whether to acknowledge the
    name (RFC 6066 §3: an empty server_name in the server's answer)."""
    cfg = ctx.config
    ack = False
    if Ext.server_name in exts:
        ctx.server_name = m.parse_server_name(exts[Ext.server_name])
        ack = ctx.server_name is not None
    if cfg.sni_callback is not None:
        result = cfg.sni_callback(ctx.server_name)
        if isinstance(result, TLSConfig):
            if not result.certificate_chain or result.private_key is None:
                raise TLSAlert(AD.internal_error, "SNI callback config has no certificate")
            ctx.cert_config = result
            ctx.cert_prepared = result.prepared()
        elif isinstance(result, int) and not isinstance(result, bool):
            if not 0 < result < 256:
                raise TLSAlert(AD.internal_error, f"SNI callback returned {result}")
            # OpenSSL's reason for any abort by the servername callback.
            raise TLSAlert(result, "callback failed", reason="CALLBACK_FAILED")
    return ack


def choose_alpn(cfg: TLSConfig, exts: dict[int, bytes]) -> bytes | None:
    """Server: our first ALPN protocol the client offers (RFC 7301 §3.2).

    With none in common the handshake goes on without ALPN, as OpenSSL 3.0's
    server does for the ssl module; `cfg.alpn_strict` sends the RFC 7301
    no_application_protocol alert instead."""
    if Ext.application_layer_protocol_negotiation not in exts:
        return None
    names = m.parse_alpn(exts[Ext.application_layer_protocol_negotiation])
    if not cfg.alpn_protocols:
        return None
    for p in cfg.alpn_protocols:
        if p.encode() in names:
            return p.encode()
    if not cfg.alpn_strict:
        return None
    raise TLSAlert(
        AD.no_application_protocol, "no application protocol", reason="NO_APPLICATION_PROTOCOL"
    )


def client_alpn_answer(ctx: Context, body: bytes, offered: list[bytes]) -> None:
    """Client: the server's ALPN answer names exactly one offered protocol."""
    names = m.parse_alpn(body)
    if len(names) != 1 or names[0] not in offered:
        raise TLSAlert(
            AD.illegal_parameter, "server selected an ALPN protocol that was not offered"
        )
    ctx.alpn = names[0].decode("ascii", "replace")
