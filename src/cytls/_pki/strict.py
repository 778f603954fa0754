"""OpenSSL's stricter chain rules.

Owns: the RFC 5280 profile checks of X509_V_FLAG_X509_STRICT
(ssl.VERIFY_X509_STRICT) and the DNS name constraints of the CAs on a
path, each answering with the X509_V_ERR code of the first rule broken.
Must not: build or verify chains, or raise (verify.py turns codes into
CertificateVerifyFailed).
"""

from __future__ import annotations

from cryptography import x509

from cytls._pki.certfields import ext, ext_full

__all__ = ["name_constraints_violation", "strict_violation"]


def strict_violation(path: list[x509.Certificate], i: int) -> int | None:
    """OpenSSL 3.0's X509_V_FLAG_X509_STRICT checks (RFC 5280) on path[i],
    applied to chains of more than one certificate.

    Returns:
        The X509_V_ERR code of the first rule broken, or None.
    """
    num = len(path)
    if num <= 1:
        return None
    c = path[i]
    bc_ext = ext_full(c, x509.BasicConstraints)
    bc = bc_ext.value if bc_ext is not None else None
    is_ca = bc is not None and getattr(bc, "ca", False)
    ku = ext(c, x509.KeyUsage)
    cert_sign = ku is not None and getattr(ku, "key_cert_sign", False)
    crl_sign = ku is not None and getattr(ku, "crl_sign", False)
    # RFC 5280 §4.2.1.9: a path length only on a CA that may sign certificates.
    if bc is not None and getattr(bc, "path_length", None) is not None and is_ca and not cert_sign:
        return 81
    if is_ca and bc_ext is not None and not bc_ext.critical:
        return 89
    # RFC 5280 §4.2.1.3.
    if is_ca and ku is None:
        return 92
    if not is_ca and cert_sign:
        return 82
    # RFC 5280 §4.1.2.4, §4.1.2.6, §4.2.1.6.
    if len(c.issuer) == 0:
        return 83
    san_ext = ext_full(c, x509.SubjectAlternativeName)
    if len(c.subject) == 0:
        if is_ca or crl_sign or san_ext is None:
            return 84
        if not san_ext.critical:
            return 88
    if san_ext is not None and len(san_ext.value) == 0:  # type: ignore[arg-type]
        return 87
    aki_ext = ext_full(c, x509.AuthorityKeyIdentifier)
    ski_ext = ext_full(c, x509.SubjectKeyIdentifier)
    if aki_ext is not None and aki_ext.critical:
        return 90
    if ski_ext is not None and ski_ext.critical:
        return 91
    # RFC 5280 §4.2.1.1, §4.2.1.2 (the top certificate may omit its AKI).
    if i + 1 < num and (aki_ext is None or getattr(aki_ext.value, "key_identifier", None) is None):
        return 85
    if is_ca and ski_ext is None:
        return 86
    return None


def _in_subtree(name: str, base: str) -> bool:
    """RFC 5280 §4.2.1.10 DNS name constraint matching."""
    name = name.lower().rstrip(".")
    base = base.lower().rstrip(".")
    if base.startswith("."):
        return name.endswith(base)
    return name == base or name.endswith("." + base)


def name_constraints_violation(path: list[x509.Certificate]) -> int | None:
    """DNS name constraints of every CA on the path against the leaf's
    DNS names (47 permitted, 48 excluded subtree violation)."""
    san = ext(path[0], x509.SubjectAlternativeName)
    names = san.get_values_for_type(x509.DNSName) if san is not None else []  # type: ignore[attr-defined]
    for ca in path[1:]:
        nc = ext(ca, x509.NameConstraints)
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
                return 47
            if any(_in_subtree(n, b) for b in excluded):
                return 48
    return None
