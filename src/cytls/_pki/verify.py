"""Certificate chain and host name verification.

Owns: building and checking the peer's chain against the trust anchors
with cryptography.x509.verification, host name and IP address matching,
the key-usage/purpose check, and the translation of every failure into the
OpenSSL verify code and message the ssl module reports
(ssl.SSLCertVerificationError via CertificateVerifyFailed).
Must not: check CertificateVerify signatures (that is _sigs.py) or know
about handshake states.

cryptography's WebPKI profile is stricter than OpenSSL's about extension
criticality and presence (a critical subjectAltName, a missing authority key
identifier); certificates OpenSSL accepts must verify here too, so those
extensions are accepted with any criticality and the purpose (key usage and
extended key usage) is checked here, in OpenSSL's terms.

The ssl module's verify flags are honoured as OpenSSL 3.0 does: without
VERIFY_X509_PARTIAL_CHAIN a chain must end in a self-signed trust anchor;
VERIFY_X509_STRICT adds RFC 5280 profile checks (X509_V_FLAG_X509_STRICT);
VERIFY_CRL_CHECK_LEAF / _CHAIN check the leaf (or every certificate) against
the CRLs loaded with the trust store. With hostname_checks_common_name the
subject CN is matched when the leaf has no DNS subjectAltName.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509 import verification as xv
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cytls._pki.certfields import CERT_ERRORS
from cytls._pki.certfields import ext as _ext
from cytls._pki.seclevel import chain_weakness
from cytls._pki.strict import name_constraints_violation, strict_violation
from cytls._pki.verifycache import DEFAULT_SIZE, VerifiedChains
from cytls._wire.alerts import AlertDescription as AD
from cytls._wire.alerts import CertificateVerifyFailed

__all__ = ["CERT_ERRORS", "Verifier", "VerifyOptions", "fail"]

_C = xv.Criticality

# OpenSSL X509_V_ERR codes, their messages, and the alert OpenSSL sends.
_CODES: dict[int, tuple[str, int]] = {
    1: ("unspecified certificate verification error", AD.certificate_unknown),
    2: ("unable to get issuer certificate", AD.unknown_ca),
    3: ("unable to get certificate CRL", AD.unknown_ca),
    7: ("certificate signature failure", AD.decrypt_error),
    8: ("CRL signature failure", AD.decrypt_error),
    9: ("certificate is not yet valid", AD.bad_certificate),
    10: ("certificate has expired", AD.certificate_expired),
    11: ("CRL is not yet valid", AD.bad_certificate),
    12: ("CRL has expired", AD.certificate_expired),
    18: ("self-signed certificate", AD.unknown_ca),
    19: ("self-signed certificate in certificate chain", AD.unknown_ca),
    20: ("unable to get local issuer certificate", AD.unknown_ca),
    23: ("certificate revoked", AD.certificate_revoked),
    25: ("path length constraint exceeded", AD.certificate_unknown),
    34: ("unhandled critical extension", AD.certificate_unknown),
    35: ("key usage does not include CRL signing", AD.certificate_unknown),
    36: ("unhandled critical CRL extension", AD.certificate_unknown),
    47: ("permitted subtree violation", AD.certificate_unknown),
    48: ("excluded subtree violation", AD.certificate_unknown),
    79: ("invalid CA certificate", AD.unknown_ca),  # OpenSSL 3's X509_V_ERR_INVALID_CA
    26: ("unsuitable certificate purpose", AD.unsupported_certificate),
    # X509_V_FLAG_X509_STRICT (OpenSSL 3.0 numbering).
    81: ("Path length given without key usage keyCertSign", AD.certificate_unknown),
    82: ("Key usage keyCertSign invalid for non-CA cert", AD.certificate_unknown),
    83: ("Issuer name empty", AD.certificate_unknown),
    84: ("Subject name empty", AD.certificate_unknown),
    85: ("Missing Authority Key Identifier", AD.certificate_unknown),
    86: ("Missing Subject Key Identifier", AD.certificate_unknown),
    87: ("Empty Subject Alternative Name extension", AD.certificate_unknown),
    88: ("Subject empty and Subject Alt Name extension not critical", AD.certificate_unknown),
    89: ("Basic Constraints of CA cert not marked critical", AD.certificate_unknown),
    90: ("Authority Key Identifier marked critical", AD.certificate_unknown),
    91: ("Subject Key Identifier marked critical", AD.certificate_unknown),
    92: ("CA cert does not include key usage extension", AD.certificate_unknown),
    # The security level's floors (X509_V_ERR_EE_KEY_TOO_SMALL...).
    66: ("EE certificate key too weak", AD.bad_certificate),
    67: ("CA certificate key too weak", AD.bad_certificate),
    68: ("CA signature digest algorithm too weak", AD.bad_certificate),
}
_WEAKNESS_CODES = {"EE_KEY_TOO_SMALL": 66, "CA_KEY_TOO_SMALL": 67, "CA_MD_TOO_WEAK": 68}

# Which certificates are checked against CRLs (VerifyOptions.crl_check).
CRL_NONE, CRL_LEAF, CRL_CHAIN = 0, 1, 2


@dataclass(frozen=True)
class VerifyOptions:
    """How a Verifier checks chains beyond the default (OpenSSL's verify
    flags and host name flags, as the ssl module sets them).

    Attributes:
        partial_chain: any trusted certificate is a trust anchor, not only
            a self-signed one (X509_V_FLAG_PARTIAL_CHAIN).
        strict: RFC 5280 profile checks (X509_V_FLAG_X509_STRICT).
        crl_check: CRL_NONE, CRL_LEAF (X509_V_FLAG_CRL_CHECK) or CRL_CHAIN
            (with X509_V_FLAG_CRL_CHECK_ALL).
        common_name: match the host name against the subject CN when the
            leaf has no DNS subjectAltName (OpenSSL without
            X509_CHECK_FLAG_NEVER_CHECK_SUBJECT).
        security_level: OpenSSL's level: key and digest floors of the chain.
    """

    partial_chain: bool = False
    strict: bool = False
    crl_check: int = CRL_NONE
    common_name: bool = False
    security_level: int = 2


def fail(code: int, message: str | None = None) -> CertificateVerifyFailed:
    """The exception for an OpenSSL verify code."""
    text, alert = _CODES.get(code, ("certificate verify failed", AD.bad_certificate))
    if code in (62, 64):
        alert = AD.bad_certificate  # what OpenSSL sends for a name mismatch
    return CertificateVerifyFailed(alert, code, message or text)


def _ee_policy(require_san: bool) -> xv.ExtensionPolicy:
    p = xv.ExtensionPolicy.webpki_defaults_ee()
    if require_san:
        p = p.require_present(x509.SubjectAlternativeName, _C.AGNOSTIC, None)
    else:
        p = p.may_be_present(x509.SubjectAlternativeName, _C.AGNOSTIC, None)
    return (
        p.may_be_present(x509.ExtendedKeyUsage, _C.AGNOSTIC, None)
        .may_be_present(x509.AuthorityKeyIdentifier, _C.AGNOSTIC, None)
        .may_be_present(x509.KeyUsage, _C.AGNOSTIC, None)
        .may_be_present(x509.BasicConstraints, _C.AGNOSTIC, None)
    )


def _ca_key_usage(policy: object, cert: x509.Certificate, ku: x509.KeyUsage | None) -> None:
    """OpenSSL's rule: a CA may omit keyUsage, but one it has must allow
    certificate signing."""
    if ku is not None and not ku.key_cert_sign:
        raise ValueError("CA keyUsage does not allow certificate signing")


def _ca_basic_constraints(
    policy: object, cert: x509.Certificate, bc: x509.BasicConstraints | None
) -> None:
    """OpenSSL's rule: an issuer must be a CA; whether basicConstraints is
    critical matters only in strict mode (checked by strict.py)."""
    if bc is None or not bc.ca:
        raise ValueError("issuer is not a CA")


def _ca_policy() -> xv.ExtensionPolicy:
    return (
        xv.ExtensionPolicy.webpki_defaults_ca()
        .require_present(x509.BasicConstraints, _C.AGNOSTIC, _ca_basic_constraints)
        .may_be_present(x509.AuthorityKeyIdentifier, _C.AGNOSTIC, None)
        .may_be_present(x509.ExtendedKeyUsage, _C.AGNOSTIC, None)
        .may_be_present(x509.KeyUsage, _C.AGNOSTIC, _ca_key_usage)
    )


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether issuer's key verifies cert's signature (any algorithm)."""
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (InvalidSignature, *CERT_ERRORS):
        pass
    # verify_directly_issued_by also insists on names matching; for a
    # signature-only question try the key directly.
    key = issuer.public_key()
    try:
        h = cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey):
            pad = cert.signature_algorithm_parameters
            if not isinstance(pad, (padding.PSS, padding.PKCS1v15)):
                pad = padding.PKCS1v15()
            key.verify(cert.signature, cert.tbs_certificate_bytes, pad, h)  # type: ignore[arg-type]
        elif isinstance(key, ec.EllipticCurvePublicKey):
            assert h is not None
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(h))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
        return True
    except (InvalidSignature, AssertionError, *CERT_ERRORS):
        return False


def _may_issue(issuer: x509.Certificate, cert: x509.Certificate) -> bool:
    """Name match, and key identifier match when both are present (as
    OpenSSL's X509_check_issued does when picking issuer candidates)."""
    if issuer.subject != cert.issuer:
        return False
    aki = _ext(cert, x509.AuthorityKeyIdentifier)
    ski = _ext(issuer, x509.SubjectKeyIdentifier)
    if aki is not None and ski is not None:
        kid = getattr(aki, "key_identifier", None)
        if kid is not None and kid != getattr(ski, "digest", None):
            return False
    return True


def check_purpose(leaf: x509.Certificate, server: bool) -> None:
    """OpenSSL's SSL server/client purpose check on the leaf.

    Raises:
        CertificateVerifyFailed: 26 unsupported certificate purpose.
    """
    eku = _ext(leaf, x509.ExtendedKeyUsage)
    if eku is not None:
        want = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        usages = list(eku)  # type: ignore[call-overload]
        if want not in usages and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in usages:
            raise fail(26)
    ku = _ext(leaf, x509.KeyUsage)
    if ku is not None:
        assert isinstance(ku, x509.KeyUsage)
        ok = ku.digital_signature or ku.key_encipherment or ku.key_agreement
        if not ok:
            raise fail(26)


# OpenSSL security level 2 (the default of the ssl module's OpenSSL):
def _raise_code(code: int | None) -> None:
    if code is not None:
        raise fail(code)


def _as_utc(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


class Verifier:
    """Verifies peer chains against one set of trust anchors.

    Built once per config (the store and extension policies are reused by
    every handshake).

    Args:
        anchors: trusted CA certificates.
        crls: certificate revocation lists loaded with the trust store.
        options: the verify flags in force.
        cache_size: how many verified chains to remember (verifycache.py);
            0 verifies every chain in full, as OpenSSL does.
    """

    def __init__(
        self,
        anchors: list[x509.Certificate],
        crls: list[x509.CertificateRevocationList] | None = None,
        options: VerifyOptions | None = None,
        cache_size: int = DEFAULT_SIZE,
    ) -> None:
        self.anchors = anchors
        self.crls = list(crls or [])
        self.options = options or VerifyOptions()
        self.store = xv.Store(anchors) if anchors else None
        self._anchor_ders = {a.tbs_certificate_bytes for a in anchors}
        self._self_signed_cache: dict[bytes, bool] = {}
        self._ee_san = _ee_policy(True)
        self._ee_any = _ee_policy(False)
        self._ca = _ca_policy()
        self.verified_chains = VerifiedChains(cache_size)

    def verify(
        self,
        chain: list[x509.Certificate],
        *,
        server: bool,
        hostname: str | None,
        now: datetime | None,
    ) -> list[x509.Certificate]:
        """Verify a peer chain (leaf first).

        Args:
            chain: the certificates as the peer sent them.
            server: True when verifying a server (serverAuth purpose).
            hostname: the name or IP literal to match, or None for no check.
            now: the verification time, or None for the current time.

        Returns:
            The verified chain, leaf first, ending in a trust anchor.

        Raises:
            CertificateVerifyFailed: with OpenSSL's verify code and message.
        """
        leaf, rest = chain[0], chain[1:]
        if self.store is None:
            self._diagnose_safely(chain, hostname, now, server)
            raise fail(20)
        cache = self.verified_chains
        remember = cache.size > 0 and not self.options.crl_check
        if remember:
            key = cache.key(chain, server, hostname)
            hit = cache.get(key, chain, _as_utc(now) if now is not None else datetime.now(UTC))
            if hit is not None:
                return hit
        b = xv.PolicyBuilder().store(self.store)
        if now is not None:
            b = b.time(now)
        by_common_name = hostname is not None and self._common_name_applies(leaf, hostname)
        try:
            if hostname is not None and not by_common_name:
                subject: Any
                try:
                    subject = xv.IPAddress(  # type: ignore[attr-defined]
                        ipaddress.ip_address(hostname)
                    )
                except ValueError:
                    subject = xv.DNSName(hostname)  # type: ignore[attr-defined]
                sv = b.extension_policies(ca_policy=self._ca, ee_policy=self._ee_san)
                verified = list(sv.build_server_verifier(subject).verify(leaf, rest))
            else:
                cv = b.extension_policies(ca_policy=self._ca, ee_policy=self._ee_any)
                verified = list(cv.build_client_verifier().verify(leaf, rest).chain)
        except (xv.VerificationError, *CERT_ERRORS) as exc:
            self._diagnose_safely(chain, hostname, now, server)
            raise fail(1, f"unspecified certificate verification error ({exc})") from None
        try:
            verified = self._root_chain(verified, now)
            for i in range(len(verified) if self.options.strict else 0):
                _raise_code(strict_violation(verified, i))
            check_purpose(leaf, server)
            if by_common_name:
                assert hostname is not None
                self._check_name(leaf, hostname)
            weak = chain_weakness(verified, self.options.security_level)
            if weak is not None:
                raise fail(_WEAKNESS_CODES[weak])
            self._check_revocation(verified, now)
        except CertificateVerifyFailed:
            raise
        except CERT_ERRORS:
            raise fail(1) from None
        if remember:
            cache.put(key, chain, verified)
        return verified

    def _is_anchor(self, cert: x509.Certificate) -> bool:
        """Whether a trusted certificate ends a chain: any of them with
        PARTIAL_CHAIN, else only a self-signed one."""
        if cert.tbs_certificate_bytes not in self._anchor_ders:
            return False
        return self.options.partial_chain or self._anchor_self_signed(cert)

    def _anchor_self_signed(self, cert: x509.Certificate) -> bool:
        """_self_signed for a trust anchor, computed once per anchor."""
        key = cert.tbs_certificate_bytes
        known = self._self_signed_cache.get(key)
        if known is None:
            known = self._self_signed_cache[key] = _self_signed(cert)
        return known

    def _root_chain(
        self, verified: list[x509.Certificate], now: datetime | None
    ) -> list[x509.Certificate]:
        """OpenSSL builds a chain up to a self-signed certificate when the
        trust store has the issuers, and, without PARTIAL_CHAIN, trusts it
        only when it ends in one: extend a chain that stopped at a trusted
        intermediate with its trusted issuers.

        Raises:
            CertificateVerifyFailed: 2 when (without PARTIAL_CHAIN) the
                trusted certificate's issuer is not trusted, even when the
                peer sent it; 9/10 for an added issuer out of its validity.
        """
        if self._anchor_self_signed(verified[-1]):
            return verified
        path = list(verified)
        when = _as_utc(now) if now is not None else datetime.now(UTC)
        for _ in range(16):
            top = path[-1]
            if self._anchor_self_signed(top):
                return path
            issuer = next(
                (
                    a
                    for a in self.anchors
                    if _may_issue(a, top) and a not in path and _signed_by(top, a)
                ),
                None,
            )
            if issuer is None:
                break
            if when < issuer.not_valid_before_utc:
                raise fail(9)
            if when > issuer.not_valid_after_utc:
                raise fail(10)
            path.append(issuer)
        if self.options.partial_chain:
            return path
        raise fail(2)

    def _common_name_applies(self, leaf: x509.Certificate, hostname: str) -> bool:
        """Whether the subject CN stands in for the name: a DNS name (never
        an IP literal), hostname_checks_common_name, no DNS SAN."""
        if not self.options.common_name:
            return False
        try:
            ipaddress.ip_address(hostname)
            return False
        except ValueError:
            pass
        san = _ext(leaf, x509.SubjectAlternativeName)
        return san is None or not san.get_values_for_type(x509.DNSName)  # type: ignore[attr-defined]

    def _check_revocation(self, path: list[x509.Certificate], now: datetime | None) -> None:
        """OpenSSL's check_revocation: the leaf (or, for CRL_CHAIN, every
        certificate up to and including the anchor) against the CRLs of its
        issuer.

        Raises:
            CertificateVerifyFailed: 3 no CRL from the issuer, 35 issuer may
                not sign CRLs, 11/12 CRL not yet valid/expired, 8 bad CRL
                signature, 36 unhandled critical CRL extension, 23 revoked.
        """
        mode = self.options.crl_check
        if mode == CRL_NONE:
            return
        when = _as_utc(now) if now is not None else datetime.now(UTC)
        last = len(path) - 1 if mode == CRL_CHAIN else 0
        for i in range(last + 1):
            cert = path[i]
            issuer = path[i + 1] if i + 1 < len(path) else path[-1]
            candidates = [c for c in self.crls if c.issuer == cert.issuer]
            if not candidates:
                raise fail(3)
            # OpenSSL scores the candidates; a current CRL is preferred, one
            # that the issuer signed next.
            candidates.sort(
                key=lambda c: (not _crl_current(c, when), not _crl_signed_by(c, issuer))
            )
            crl = candidates[0]
            ku = _ext(issuer, x509.KeyUsage)
            if ku is not None and not getattr(ku, "crl_sign", False):
                raise fail(35)
            if when < _as_utc(crl.last_update_utc):
                raise fail(11)
            nxt = crl.next_update_utc
            if nxt is not None and when > _as_utc(nxt):
                raise fail(12)
            if not _crl_signed_by(crl, issuer):
                raise fail(8)
            for ext in crl.extensions:
                if ext.critical and isinstance(ext.value, x509.UnrecognizedExtension):
                    raise fail(36)
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                raise fail(23)

    def _diagnose_safely(
        self,
        chain: list[x509.Certificate],
        hostname: str | None,
        now: datetime | None,
        server: bool,
    ) -> None:
        """_diagnose, but a certificate too broken to diagnose is left to
        the caller's generic failure (SSLCertVerificationError is itself a
        ValueError, so it is let through first)."""
        try:
            self._diagnose(chain, hostname, now, server)
        except CertificateVerifyFailed:
            raise
        except CERT_ERRORS:
            pass

    def _diagnose(
        self,
        chain: list[x509.Certificate],
        hostname: str | None,
        now: datetime | None,
        server: bool,
    ) -> None:
        """Find the OpenSSL verify code for a chain that failed, in
        OpenSSL's order: chain building, CA and purpose checks, name,
        revocation, then signatures and validity from the top down. Raises
        it."""
        when = _as_utc(now) if now is not None else datetime.now(UTC)
        leaf = chain[0]
        pool = list(chain[1:])
        path = [leaf]
        cur = leaf
        for _ in range(16):
            if self._is_anchor(cur):
                break
            issuer = next((a for a in self.anchors if _may_issue(a, cur) and a not in path), None)
            if issuer is not None:
                if not _signed_by(cur, issuer):
                    raise fail(7)
                path.append(issuer)
                cur = issuer
                continue
            if cur.tbs_certificate_bytes in self._anchor_ders:
                # Trusted, not self-signed, and no trusted issuer (without
                # PARTIAL_CHAIN): OpenSSL stops here, whatever the peer sent.
                raise fail(2)
            if cur.issuer == cur.subject and _signed_by(cur, cur):
                raise fail(18 if cur is leaf else 19)
            nxt = next(
                (c for c in pool if _may_issue(c, cur) and c is not cur and c not in path),
                None,
            )
            if nxt is None:
                raise fail(20)
            if not _signed_by(cur, nxt):
                raise fail(7)
            path.append(nxt)
            cur = nxt
        # OpenSSL's check_extensions, certificate by certificate: critical
        # extensions it does not know, issuers that are not CAs (trust
        # anchors included) or whose key usage forbids signing
        # certificates, the strict profile; then path lengths, the purpose.
        for i, c in enumerate(path):
            for ext in c.extensions:
                if ext.critical and isinstance(ext.value, x509.UnrecognizedExtension):
                    raise fail(34)
            if i > 0:
                bc = _ext(c, x509.BasicConstraints)
                ku = _ext(c, x509.KeyUsage)
                if bc is None or not getattr(bc, "ca", False):
                    raise fail(79)
                if ku is not None and not getattr(ku, "key_cert_sign", False):
                    raise fail(79)
            if self.options.strict:
                _raise_code(strict_violation(path, i))
        for depth, ca in enumerate(path[1:]):
            # depth = how many intermediate CAs sit below this one.
            limit = getattr(_ext(ca, x509.BasicConstraints), "path_length", None)
            if limit is not None and depth > limit:
                raise fail(25)
        check_purpose(leaf, server)
        _raise_code(name_constraints_violation(path))
        if hostname is not None:
            self._check_name(leaf, hostname)
        self._check_revocation(path, now)
        for c in reversed(path):
            if when < c.not_valid_before_utc:
                raise fail(9)
            if when > c.not_valid_after_utc:
                raise fail(10)

    def _check_name(self, leaf: x509.Certificate, hostname: str) -> None:
        try:
            ip = ipaddress.ip_address(hostname)
        except ValueError:
            ip = None
        san = _ext(leaf, x509.SubjectAlternativeName)
        if ip is not None:
            ips = san.get_values_for_type(x509.IPAddress) if san is not None else []  # type: ignore[attr-defined]
            if ip not in ips:
                raise fail(64, f"IP address mismatch, certificate is not valid for '{hostname}'.")
            return
        names = san.get_values_for_type(x509.DNSName) if san is not None else []  # type: ignore[attr-defined]
        if not names and self.options.common_name:
            # OpenSSL: the subject CNs stand in when no DNS SAN exists.
            names = [str(a.value) for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if not any(_dns_match(n, hostname) for n in names):
            raise fail(62, f"Hostname mismatch, certificate is not valid for '{hostname}'.")


def _self_signed(cert: x509.Certificate) -> bool:
    """Self-issued and verifiable with its own key (OpenSSL's EXFLAG_SS)."""
    return cert.issuer == cert.subject and _signed_by(cert, cert)


def _crl_current(crl: x509.CertificateRevocationList, when: datetime) -> bool:
    nxt = crl.next_update_utc
    return _as_utc(crl.last_update_utc) <= when and (nxt is None or when <= _as_utc(nxt))


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, *CERT_ERRORS):
        return False


def _dns_match(pattern: str, host: str) -> bool:
    """RFC 6125 §6.4.3 matching with a single left-most wildcard label."""
    p = pattern.lower().rstrip(".")
    h = host.lower().rstrip(".")
    if p == h:
        return True
    if p.startswith("*.") and "." in h:
        return h.split(".", 1)[1] == p[2:] and "." in p[2:]
    return False
