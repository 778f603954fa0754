"""Certificate and key loading, and the ssl module's certificate dictionaries.

Owns: reading PEM and DER certificates, CRL blocks and private keys from the
files and strings the `ssl` API accepts; matching a key to its certificate;
converting a certificate into the dict `ssl.SSLSocket.getpeercert()` returns;
the parsed system trust store cache.
Must not: verify chains or host names (the protocol core does that), or know
about sockets, records or contexts. Errors are raised as the `ssl` module
raises them for the same input (FileNotFoundError, `ssl.SSLError` with
"[SSL] PEM lib", "[X509: KEY_VALUES_MISMATCH]", ...), so that callers who
catch those keep working.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
import ssl
import threading
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
)
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from cytls._pki.pemcheck import pem_damaged

PrivateKey = CertificateIssuerPrivateKeyTypes
Password = str | bytes | bytearray | Callable[[], str | bytes | bytearray] | None
PeerCertDict = dict[str, Any]

# OpenSSL's PEM_BUFSIZE is 1024: longer passwords are refused by the ssl module.
_MAX_PASSWORD = 1024

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----",
    re.DOTALL,
)
_CERT_LABELS = (b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE")
_KEY_LABELS = (
    b"PRIVATE KEY",
    b"ENCRYPTED PRIVATE KEY",
    b"RSA PRIVATE KEY",
    b"EC PRIVATE KEY",
    b"DSA PRIVATE KEY",
)
_CRL_LABEL = b"X509 CRL"

# OpenSSL's long names for distinguished-name attributes (OBJ_nid2ln), which
# the ssl module's certificate dicts use. Unknown attributes print as OIDs.
_DN_LONG_NAMES = {
    "2.5.4.3": "commonName",
    "2.5.4.4": "surname",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "countryName",
    "2.5.4.7": "localityName",
    "2.5.4.8": "stateOrProvinceName",
    "2.5.4.9": "streetAddress",
    "2.5.4.10": "organizationName",
    "2.5.4.11": "organizationalUnitName",
    "2.5.4.12": "title",
    "2.5.4.13": "description",
    "2.5.4.15": "businessCategory",
    "2.5.4.16": "postalAddress",
    "2.5.4.17": "postalCode",
    "2.5.4.18": "postOfficeBox",
    "2.5.4.20": "telephoneNumber",
    "2.5.4.41": "name",
    "2.5.4.42": "givenName",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.45": "x500UniqueIdentifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.54": "dmdName",
    "2.5.4.65": "pseudonym",
    "2.5.4.72": "role",
    "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "emailAddress",
    "1.2.840.113549.1.9.2": "unstructuredName",
    "0.9.2342.19200300.100.1.1": "userId",
    "0.9.2342.19200300.100.1.25": "domainComponent",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionLocalityName",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionStateOrProvinceName",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionCountryName",
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------
# Errors shaped like the ssl module's
# --------------------------------------------------------------------------


def _ssl_error(library: str | None, reason: str | None, text: str, code: int = 0) -> ssl.SSLError:
    """An ssl.SSLError whose str(), reason and library look like _ssl.c's."""
    if library and reason:
        message = f"[{library}: {reason}] {text}"
    elif library:
        message = f"[{library}] {text}"
    else:
        message = text
    err = ssl.SSLError(code, message)
    err.library = library  # type: ignore[assignment]
    err.reason = reason  # type: ignore[assignment]
    return err


def pem_lib_error() -> ssl.SSLError:
    """The error OpenSSL reports for unreadable PEM: "[SSL] PEM lib"."""
    # 524297 is ERR_PACK(ERR_LIB_SSL, 0, ERR_R_PEM_LIB), what _ssl.c puts in args[0].
    return _ssl_error("SSL", None, "PEM lib", 524297)


def key_mismatch_error() -> ssl.SSLError:
    """The error OpenSSL reports when the key is not the certificate's."""
    return _ssl_error("X509", "KEY_VALUES_MISMATCH", "key values mismatch", 116)


def no_certificate_error() -> ssl.SSLError:
    """The error OpenSSL reports for a CA file without any certificate."""
    return _ssl_error("X509", "NO_CERTIFICATE_OR_CRL_FOUND", "no certificate or crl found", 136)


def read_file(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bytes:
    """Read a whole file, raising the OSError subclass open() raises."""
    with open(path, "rb") as f:
        return f.read()


# --------------------------------------------------------------------------
# PEM and DER parsing
# --------------------------------------------------------------------------


def pem_blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split PEM text into (label, body) pairs, in file order.

    The body is the text between the armour lines, headers included (an
    encrypted traditional key carries Proc-Type/DEK-Info headers).
    """
    return [(m.group(1), m.group(0)) for m in _PEM_BLOCK.finditer(data)]


def _pem_der(block: bytes) -> bytes:
    """The DER inside one PEM block; ValueError when the base64 is bad."""
    lines = block.splitlines()[1:-1]
    body = b"".join(line.strip() for line in lines if b":" not in line)
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error as exc:
        raise ValueError("bad base64 in PEM block") from exc


def _der_length(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """The length of the DER SEQUENCE at pos and the offset of its contents."""
    if pos + 2 > len(data) or data[pos] != 0x30:
        raise ValueError("not a DER SEQUENCE")
    first = data[pos + 1]
    if first < 0x80:
        return first, pos + 2
    num = first & 0x7F
    if num == 0 or num > 4 or pos + 2 + num > len(data):
        raise ValueError("bad DER length")
    length = int.from_bytes(bytes(data[pos + 2 : pos + 2 + num]), "big")
    return length, pos + 2 + num


def split_der(data: bytes | memoryview) -> list[bytes]:
    """Split concatenated DER SEQUENCEs (as cadata bytes carries them).

    Raises:
        ValueError: a truncated or non-SEQUENCE element.
    """
    out = []
    pos = 0
    view = memoryview(data).cast("B")
    while pos < len(view):
        length, start = _der_length(view, pos)
        end = start + length
        if end > len(view):
            raise ValueError("truncated DER element")
        out.append(bytes(view[pos:end]))
        pos = end
    return out


def _cert_from_der(der: bytes) -> x509.Certificate:
    # A TRUSTED CERTIFICATE block carries OpenSSL trust data after the
    # certificate: keep only the first DER element.
    length, start = _der_length(der, 0)
    with warnings.catch_warnings():
        # Some deployed roots have a zero serial; OpenSSL accepts them too.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_der_x509_certificate(der[: start + length])


def parse_pem_certificates(data: bytes) -> tuple[list[x509.Certificate], int]:
    """Every certificate in PEM text, and the number of CRL blocks beside them.

    Raises:
        ValueError: a certificate block that does not parse.
    """
    certs = []
    crls = 0
    for label, block in pem_blocks(data):
        if label in _CERT_LABELS:
            certs.append(_cert_from_der(_pem_der(block)))
        elif label == _CRL_LABEL:
            crls += 1
    return certs, crls


def load_ca_data(data: bytes, *, text: bool) -> tuple[list[x509.Certificate], int]:
    """Certificates from `cadata` (PEM when `text`, else concatenated DER).

    Raises:
        ssl.SSLError: no certificate, or a malformed one.
    """
    if text:
        try:
            certs, crls = parse_pem_certificates(data)
        except ValueError as exc:
            raise _ssl_error(None, None, f"{exc}: cadata does not contain a certificate") from None
        if not certs and not crls:
            raise _ssl_error(None, None, "no start line: cadata does not contain a certificate")
        return certs, crls
    try:
        return [_cert_from_der(der) for der in split_der(data)], 0
    except ValueError:
        raise _ssl_error(
            None, None, "not enough data: cadata does not contain a certificate"
        ) from None


def load_ca_file(path: str | bytes | os.PathLike[Any]) -> tuple[list[x509.Certificate], int]:
    """Certificates from a CA file: PEM, or (a cytls extension) one DER file.

    Raises:
        OSError: the file cannot be read (FileNotFoundError, ...).
        ssl.SSLError: "[X509] PEM lib" for damaged PEM (a truncated block,
            bad base64, a certificate, CRL or key that does not parse), as
            OpenSSL's reader; "[X509: NO_CERTIFICATE_OR_CRL_FOUND]" for a
            file holding neither certificates nor CRLs.
    """
    data = read_file(path)
    if pem_damaged(data):
        raise _ssl_error("X509", None, "PEM lib", 524297)
    try:
        certs, crls = parse_pem_certificates(data)
    except ValueError:  # a certificate block that does not parse
        raise _ssl_error("X509", None, "PEM lib", 524297) from None
    if certs or crls:
        return certs, crls
    if data[:1] == b"\x30":
        try:
            return [_cert_from_der(der) for der in split_der(data)], 0
        except ValueError:
            pass
    raise no_certificate_error()


def load_ca_dir(path: str) -> list[x509.Certificate]:
    """Every parseable certificate in a CA directory (OpenSSL's `capath`).

    OpenSSL looks files up by subject hash when it needs them; cytls loads
    them all once, when a handshake first needs the trust store. Files that
    do not hold certificates are skipped, as OpenSSL skips them.
    """
    certs: list[x509.Certificate] = []
    seen: set[bytes] = set()
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return certs
    for name in names:
        full = os.path.join(path, name)
        try:
            if not os.path.isfile(full):
                continue
            found, _ = parse_pem_certificates(read_file(full))
        except (OSError, ValueError):
            continue
        for cert in found:
            der = cert.public_bytes(serialization.Encoding.DER)
            if der not in seen:
                seen.add(der)
                certs.append(cert)
    return certs


# The system store is parsed once per process and shared by every context
# (create_default_context() is called per request by some libraries).
CAEntry = tuple[bytes, x509.Certificate, bool]  # DER, certificate, is a CA


def ca_entries(certs: list[x509.Certificate]) -> list[CAEntry]:
    """(DER, certificate, is_ca) for each certificate, computed once."""
    return [(der(c), c, is_ca(c)) for c in certs]


_store_cache: dict[tuple[str, int, int], tuple[list[CAEntry], int]] = {}
_dir_cache: dict[tuple[str, int], list[x509.Certificate]] = {}
_cache_lock = threading.Lock()


def load_ca_file_cached(path: str) -> tuple[list[CAEntry], int]:
    """load_ca_file() as CA entries, cached by path, size and modification time."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    with _cache_lock:
        hit = _store_cache.get(key)
    if hit is None:
        certs, crls = load_ca_file(path)
        hit = (ca_entries(certs), crls)
        with _cache_lock:
            _store_cache[key] = hit
    return hit


def load_ca_dir_cached(path: str) -> list[x509.Certificate]:
    """load_ca_dir(), cached by path and directory modification time."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return []
    key = (os.path.realpath(path), mtime)
    with _cache_lock:
        hit = _dir_cache.get(key)
    if hit is None:
        hit = load_ca_dir(path)
        with _cache_lock:
            _dir_cache[key] = hit
    return hit


# --------------------------------------------------------------------------
# Certificate chains and keys
# --------------------------------------------------------------------------


def _password_bytes(password: Password) -> bytes | None:
    """Resolve a load_cert_chain password as the ssl module does."""
    if password is None:
        return None
    if callable(password):
        value = password()
        if not isinstance(value, (str, bytes, bytearray)):
            raise TypeError("password callback must return a string")
    elif isinstance(password, (str, bytes, bytearray)):
        value = password
    else:
        raise TypeError("password should be a string or callable")
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(raw) > _MAX_PASSWORD:
        raise ValueError(f"password cannot be longer than {_MAX_PASSWORD} bytes")
    return raw


def check_password_type(password: Password) -> None:
    """Reject a password of the wrong type before any file is read."""
    if password is not None and not callable(password):
        _password_bytes(password)


def load_private_key(data: bytes, password: Password) -> PrivateKey:
    """The first private key in PEM text.

    The password (or callable) is consulted only when the key is encrypted,
    as OpenSSL's password callback is.

    Raises:
        ssl.SSLError: "[SSL] PEM lib" for no key, a bad key, or a wrong or
            missing password.
        TypeError, ValueError: a password of the wrong type or length, as
            the ssl module raises them.
    """
    for label, block in pem_blocks(data):
        if label not in _KEY_LABELS:
            continue
        encrypted = label == b"ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in block
        secret = _password_bytes(password) if encrypted else None
        if encrypted and secret is None:
            raise pem_lib_error()
        try:
            key = serialization.load_pem_private_key(block, secret)
        except (ValueError, TypeError, binascii.Error):
            raise pem_lib_error() from None
        if not isinstance(key, _SIGNING_KEY_TYPES):
            raise pem_lib_error()
        return cast(PrivateKey, key)
    raise pem_lib_error()


def _signing_key_types() -> tuple[type, ...]:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    from cytls._pki.dsakeys import DSAPrivateKey

    return (
        rsa.RSAPrivateKey,
        ec.EllipticCurvePrivateKey,
        ed25519.Ed25519PrivateKey,
        ed448.Ed448PrivateKey,
        DSAPrivateKey,
    )


_SIGNING_KEY_TYPES = _signing_key_types()


def load_certificate_chain(data: bytes) -> list[x509.Certificate]:
    """Leaf first, then the chain, from PEM text (SSL_CTX_use_certificate_chain_file).

    Raises:
        ssl.SSLError: "[SSL] PEM lib" when there is no certificate or one is bad.
    """
    try:
        chain, _ = parse_pem_certificates(data)
    except ValueError:
        raise pem_lib_error() from None
    if not chain:
        raise pem_lib_error()
    return chain


def key_matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    """True when `key` is the private half of the certificate's public key."""
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    try:
        return cert.public_key().public_bytes(enc, fmt) == key.public_key().public_bytes(enc, fmt)
    except (ValueError, TypeError):
        return False


def load_cert_chain(
    certfile: str | bytes | os.PathLike[Any],
    keyfile: str | bytes | os.PathLike[Any] | None,
    password: Password,
) -> tuple[list[x509.Certificate], PrivateKey]:
    """Load a certificate chain and its key as SSLContext.load_cert_chain does.

    Raises:
        OSError: a file cannot be read.
        ssl.SSLError: bad PEM, wrong password, or a key that is not the
            certificate's ("[X509: KEY_VALUES_MISMATCH]").
    """
    check_password_type(password)
    chain = load_certificate_chain(read_file(certfile))
    key_data = read_file(keyfile) if keyfile is not None else read_file(certfile)
    key = load_private_key(key_data, password)
    if not key_matches(chain[0], key):
        raise key_mismatch_error()
    return chain, key


def der(cert: x509.Certificate) -> bytes:
    """The DER encoding of a certificate."""
    return cert.public_bytes(serialization.Encoding.DER)


def is_ca(cert: x509.Certificate) -> bool:
    """Whether OpenSSL's X509_check_ca() would call this certificate a CA.

    True for basicConstraints CA:TRUE; without basicConstraints, for a key
    usage that allows certificate signing, or a self-signed v1 certificate.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _is_ca(cert)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        return bool(bc.ca)
    except x509.ExtensionNotFound:
        pass
    except ValueError:
        return False
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        return bool(ku.key_cert_sign)
    except x509.ExtensionNotFound:
        pass
    except ValueError:
        return False
    return cert.version == x509.Version.v1 and cert.issuer == cert.subject


# --------------------------------------------------------------------------
# getpeercert() dictionaries
# --------------------------------------------------------------------------


def _attr_name(oid: x509.ObjectIdentifier) -> str:
    return _DN_LONG_NAMES.get(oid.dotted_string, oid.dotted_string)


def _attr_value(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return value.hex().upper()
    return value


def _name_tuple(name: x509.Name) -> tuple[tuple[tuple[str, str], ...], ...]:
    """A Name as the ssl module's tuple of RDNs of (long name, value) pairs."""
    return tuple(tuple((_attr_name(a.oid), _attr_value(a.value)) for a in rdn) for rdn in name.rdns)


def _asn1_time(when: datetime) -> str:
    """ASN1_TIME_print's format: 'Jan  5 09:34:43 2018 GMT'."""
    return (
        f"{_MONTHS[when.month - 1]} {when.day:2d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} {when.year} GMT"
    )


def _serial(number: int) -> str:
    """i2a_ASN1_INTEGER's format: upper-case hex, whole bytes, '-' when negative."""
    sign = "-" if number < 0 else ""
    digits = f"{abs(number):X}"
    if len(digits) % 2:
        digits = "0" + digits
    return sign + digits


def _ip_text(packed: bytes) -> str:
    if len(packed) == 4:
        return str(ipaddress.IPv4Address(packed))
    if len(packed) == 16:
        # _ssl.c prints every 16-bit group in upper-case hex, uncompressed.
        return ":".join(f"{int.from_bytes(packed[i : i + 2], 'big'):X}" for i in range(0, 16, 2))
    return "<invalid>"


def _general_name(gn: x509.GeneralName) -> tuple[str, Any]:
    if isinstance(gn, x509.DNSName):
        return ("DNS", gn.value)
    if isinstance(gn, x509.IPAddress):
        packed = gn.value.packed if hasattr(gn.value, "packed") else b""
        if isinstance(gn.value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return ("IP Address", "<invalid>")
        return ("IP Address", _ip_text(packed))
    if isinstance(gn, x509.RFC822Name):
        return ("email", gn.value)
    if isinstance(gn, x509.UniformResourceIdentifier):
        return ("URI", gn.value)
    if isinstance(gn, x509.DirectoryName):
        return ("DirName", _name_tuple(gn.value))
    if isinstance(gn, x509.RegisteredID):
        return ("Registered ID", _attr_name(gn.value))
    if isinstance(gn, x509.OtherName):
        return ("othername", _other_name(gn))
    return ("othername", "<unsupported>")


_UPN_OID = "1.3.6.1.4.1.311.20.2.3"


def _other_name(gn: x509.OtherName) -> str:
    """OpenSSL prints a Microsoft UPN (a UTF8String) and nothing else."""
    value = gn.value
    if gn.type_id.dotted_string == _UPN_OID and len(value) >= 2 and value[0] == 0x0C:
        length = value[1]
        if length < 0x80 and len(value) == 2 + length:
            return "UPN:" + value[2:].decode("utf-8", "replace")
    return "<unsupported>"


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> Any:
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        # Peer certificates were parsed whole when they arrived; this is for
        # our own or a trust store's, which ssl also prints what it can of.
        return None


def decode_certificate(cert: x509.Certificate) -> PeerCertDict:
    """The dict ssl.SSLSocket.getpeercert() returns for a certificate.

    Keys, in _ssl.c's order: subject, issuer, version, serialNumber,
    notBefore, notAfter, then when present subjectAltName, OCSP, caIssuers,
    crlDistributionPoints.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _decode_certificate(cert)


def _decode_certificate(cert: x509.Certificate) -> PeerCertDict:
    out: PeerCertDict = {
        "subject": _name_tuple(cert.subject),
        "issuer": _name_tuple(cert.issuer),
        "version": cert.version.value + 1,
        "serialNumber": _serial(cert.serial_number),
        "notBefore": _asn1_time(cert.not_valid_before_utc),
        "notAfter": _asn1_time(cert.not_valid_after_utc),
    }
    san = _extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if san is not None:
        out["subjectAltName"] = tuple(_general_name(gn) for gn in san)
    aia = _extension(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if aia is not None:
        ocsp = tuple(
            d.access_location.value
            for d in aia
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        )
        issuers = tuple(
            d.access_location.value
            for d in aia
            if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        )
        if ocsp:
            out["OCSP"] = ocsp
        if issuers:
            out["caIssuers"] = issuers
    cdp = _extension(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    if cdp is not None:
        uris = tuple(
            gn.value
            for dp in cdp
            if dp.full_name
            for gn in dp.full_name
            if isinstance(gn, x509.UniformResourceIdentifier)
        )
        if uris:
            out["crlDistributionPoints"] = uris
    return out
