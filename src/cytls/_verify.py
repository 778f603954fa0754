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
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509 import verification as xv
from cryptography.x509.oid import ExtendedKeyUsageOID

from cytls._errors import AlertDescription as AD
from cytls._errors import CertificateVerifyFailed, TLSAlert

__all__ = ["CERT_ERRORS", "Verifier", "fail"]

# What cryptography raises for certificates that are malformed in ways its
# lazy parser only notices when a field is used.
CERT_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion)

_C = xv.Criticality

# OpenSSL X509_V_ERR codes, their messages, and the alert OpenSSL sends.
_CODES: dict[int, tuple[str, int]] = {
    1: ("unspecified certificate verification error", AD.certificate_unknown),
    2: ("unable to get issuer certificate", AD.unknown_ca),
    7: ("certificate signature failure", AD.decrypt_error),
    9: ("certificate is not yet valid", AD.bad_certificate),
    10: ("certificate has expired", AD.certificate_expired),
    18: ("self-signed certificate", AD.unknown_ca),
    19: ("self-signed certificate in certificate chain", AD.unknown_ca),
    20: ("unable to get local issuer certificate", AD.unknown_ca),
    25: ("path length constraint exceeded", AD.certificate_unknown),
    34: ("unhandled critical extension", AD.certificate_unknown),
    47: ("permitted subtree violation", AD.certificate_unknown),
    48: ("excluded subtree violation", AD.certificate_unknown),
    79: ("invalid CA certificate", AD.unknown_ca),  # OpenSSL 3's X509_V_ERR_INVALID_CA
    26: ("unsuitable certificate purpose", AD.unsupported_certificate),
}


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


def _ca_policy() -> xv.ExtensionPolicy:
    return (
        xv.ExtensionPolicy.webpki_defaults_ca()
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


def _ext(cert: x509.Certificate, cls: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except (x509.ExtensionNotFound, *CERT_ERRORS):
        return None


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
# RSA, DSA and DH keys below 2048 bits are refused.
MIN_RSA_BITS = 2048


def check_key_sizes(chain: list[x509.Certificate]) -> None:
    """Refuse RSA/DSA keys below 2048 bits in a verified chain, as OpenSSL's
    default security level does (EE_KEY_TOO_SMALL, CA_KEY_TOO_SMALL).

    Raises:
        TLSAlert: handshake_failure with OpenSSL's reason.
    """
    for i, cert in enumerate(chain):
        key = cert.public_key()
        if isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)) and key.key_size < MIN_RSA_BITS:
            which = "EE" if i == 0 else "CA"
            raise TLSAlert(
                AD.handshake_failure,
                f"{which.lower()} key too small",
                reason=f"{which}_KEY_TOO_SMALL",
            )


def _as_utc(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


class Verifier:
    """Verifies peer chains against one set of trust anchors.

    Built once per config (the store and extension policies are reused by
    every handshake).

    Args:
        anchors: trusted CA certificates.
    """

    def __init__(self, anchors: list[x509.Certificate]) -> None:
        self.anchors = anchors
        self.store = xv.Store(anchors) if anchors else None
        self._anchor_ders = {a.tbs_certificate_bytes for a in anchors}
        self._ee_san = _ee_policy(True)
        self._ee_any = _ee_policy(False)
        self._ca = _ca_policy()

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
        b = xv.PolicyBuilder().store(self.store)
        if now is not None:
            b = b.time(now)
        try:
            if hostname is not None:
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
        check_purpose(leaf, server)
        check_key_sizes(verified)
        return verified

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
        then signatures and validity from the top down. Raises it."""
        when = _as_utc(now) if now is not None else datetime.now(UTC)
        leaf = chain[0]
        pool = list(chain[1:])
        path = [leaf]
        cur = leaf
        for _ in range(16):
            if cur.tbs_certificate_bytes in self._anchor_ders:
                break
            issuer = next((a for a in self.anchors if _may_issue(a, cur)), None)
            if issuer is not None:
                if not _signed_by(cur, issuer):
                    raise fail(7)
                path.append(issuer)
                break
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
        # OpenSSL's check_extensions: critical extensions it does not know,
        # issuers that are not CAs (trust anchors included) or whose key
        # usage forbids signing certificates, path lengths, the purpose.
        for c in path:
            for ext in c.extensions:
                if ext.critical and isinstance(ext.value, x509.UnrecognizedExtension):
                    raise fail(34)
        for depth, ca in enumerate(path[1:]):
            bc = _ext(ca, x509.BasicConstraints)
            ku = _ext(ca, x509.KeyUsage)
            if bc is None or not getattr(bc, "ca", False):
                raise fail(79)
            if ku is not None and not getattr(ku, "key_cert_sign", False):
                raise fail(79)
            # depth = how many intermediate CAs sit below this one.
            limit = getattr(bc, "path_length", None)
            if limit is not None and depth > limit:
                raise fail(25)
        check_purpose(leaf, server)
        _check_name_constraints(path)
        if hostname is not None:
            self._check_name(leaf, hostname)
        for c in reversed(path):
            if when < c.not_valid_before_utc:
                raise fail(9)
            if when > c.not_valid_after_utc:
                raise fail(10)

    @staticmethod
    def _check_name(leaf: x509.Certificate, hostname: str) -> None:
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
        if not any(_dns_match(n, hostname) for n in names):
            raise fail(62, f"Hostname mismatch, certificate is not valid for '{hostname}'.")


def _in_subtree(name: str, base: str) -> bool:
    """RFC 5280 §4.2.1.10 DNS name constraint matching."""
    name = name.lower().rstrip(".")
    base = base.lower().rstrip(".")
    if base.startswith("."):
        return name.endswith(base)
    return name == base or name.endswith("." + base)


def _check_name_constraints(path: list[x509.Certificate]) -> None:
    """DNS name constraints of every CA on the path against the leaf's
    DNS names (47 permitted, 48 excluded subtree violation)."""
    san = _ext(path[0], x509.SubjectAlternativeName)
    names = san.get_values_for_type(x509.DNSName) if san is not None else []  # type: ignore[attr-defined]
    for ca in path[1:]:
        nc = _ext(ca, x509.NameConstraints)
        if nc is None:
            continue
        permitted = [
            g.value
            for g in (getattr(nc, "permitted_subtrees", None) or [])
            if isinstance(g, x509.DNSName)
        ]
        excluded = [
            g.value
            for g in (getattr(nc, "excluded_subtrees", None) or [])
            if isinstance(g, x509.DNSName)
        ]
        for n in names:
            if permitted and not any(_in_subtree(n, b) for b in permitted):
                raise fail(47)
            if any(_in_subtree(n, b) for b in excluded):
                raise fail(48)


def _dns_match(pattern: str, host: str) -> bool:
    """RFC 6125 §6.4.3 matching with a single left-most wildcard label."""
    p = pattern.lower().rstrip(".")
    h = host.lower().rstrip(".")
    if p == h:
        return True
    if p.startswith("*.") and "." in h:
        return h.split(".", 1)[1] == p[2:] and "." in p[2:]
    return False
