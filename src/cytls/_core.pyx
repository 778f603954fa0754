# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: freethreading_compatible=True
"""Glue between Python and csrc/: buffers in and out, the GIL released for
large inputs. It holds no protocol logic; crypto.py is the public face.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t, uint32_t
from libc.string cimport memcpy

from cryptography.exceptions import InvalidTag as _CryptographyInvalidTag

from cytls._ccytls cimport *

# Inputs at least this long are processed with the GIL released, so threads
# scale; below it the release costs more than it saves.
cdef enum:
    NOGIL_THRESHOLD = 4096

# GCM's limit (2^39 - 256 bits) is below ChaCha20's 32-bit block counter
# wrap (256 GiB); past it the keystream would repeat.
cdef unsigned long long MAX_AEAD_MESSAGE = (1ULL << 36) - 32


class InvalidTag(_CryptographyInvalidTag):
    """An AEAD tag did not verify; no plaintext was released."""


if not cytls_init():
    import warnings
    warnings.warn("CYTLS_BACKEND names an unknown level; using the best one detected")

_FEATURE_BITS = {
    "sse4.1": 1 << 0, "aesni": 1 << 1, "pclmulqdq": 1 << 2, "sha-ni": 1 << 3,
    "avx2": 1 << 4, "vaes+vpclmulqdq": 1 << 5, "avx512": 1 << 6,
    "neon": 1 << 16, "arm-aes+pmull": 1 << 17, "arm-sha2": 1 << 18, "arm-sha512": 1 << 19,
}


def cpu_features(bint detected=False):
    """The feature names detected, or (default) in use after the level cap."""
    cdef uint32_t bits = cytls_cpu_detected() if detected else cytls_cpu_features()
    return [name for name, bit in _FEATURE_BITS.items() if bits & bit]


def set_level(str name):
    """Cap the backends at a level; ValueError for an unknown name."""
    if not cytls_set_level(name.encode("ascii")):
        raise ValueError(f"unknown backend level {name!r}")


def level():
    """The name of the level in use."""
    return cytls_level_name().decode("ascii")


def backend(str primitive):
    """The backend a primitive uses now ('aes-gcm', 'chacha20', ...)."""
    cdef const char *name = cytls_backend_name(primitive.encode("ascii"))
    if name == NULL:
        raise ValueError(f"unknown primitive {primitive!r}")
    return name.decode("ascii")


cdef class _Buf:
    """A read-only view of any buffer-protocol object, released on drop."""
    cdef Py_buffer view
    cdef bint held

    def __cinit__(self, obj):
        PyObject_GetBuffer(obj, &self.view, PyBUF_SIMPLE)
        self.held = True

    def __dealloc__(self):
        if self.held:
            PyBuffer_Release(&self.view)


cdef inline const uint8_t *_ptr(_Buf b) noexcept nogil:
    return <const uint8_t *>b.view.buf


cdef class _OutBuf:
    """A writable view of a buffer-protocol object (a bytearray the key
    schedule can wipe later), released on drop."""
    cdef Py_buffer view
    cdef bint held

    def __cinit__(self, obj):
        PyObject_GetBuffer(obj, &self.view, PyBUF_WRITABLE)
        self.held = True

    def __dealloc__(self):
        if self.held:
            PyBuffer_Release(&self.view)


# Secrets never stay on the C stack: every stack buffer that held a digest,
# a MAC or a PRK is wiped with cytls_memzero (which the compiler cannot
# elide) before the function returns.


# ---------------------------------------------------------------- AEAD

cdef class AEAD:
    """An AEAD keyed once: AES-128/256-GCM or ChaCha20-Poly1305.

    alg is 1 (AES-128-GCM), 2 (AES-256-GCM) or 3 (ChaCha20-Poly1305), the
    values of cytls_aead_alg. The key schedule is expanded once here.
    """
    # Heap-allocated by C: the GCM state needs 64-byte alignment, which a
    # Python object's inline fields do not get.
    cdef cytls_aead *aead

    def __cinit__(self, int alg, key):
        cdef _Buf k = _Buf(key)
        self.aead = cytls_aead_new()
        if self.aead == NULL:
            raise MemoryError()
        if not cytls_aead_init(self.aead, <cytls_aead_alg>alg, _ptr(k), <size_t>k.view.len):
            raise ValueError("bad AEAD algorithm or key length")

    def __dealloc__(self):
        if self.aead != NULL:
            cytls_aead_clear(self.aead)
            cytls_aead_free(self.aead)

    def encrypt(self, nonce, data, associated_data):
        """Return ciphertext || 16-byte tag."""
        return self._run(nonce, data, associated_data, True)

    def decrypt(self, nonce, data, associated_data):
        """Return the plaintext, or raise InvalidTag releasing none of it."""
        return self._run(nonce, data, associated_data, False)

    cdef object _run(self, nonce, data, associated_data, bint seal):
        # Buffers live on the stack: per-call objects would cost more than
        # the crypto for short messages.
        cdef Py_buffer n, d, a
        PyObject_GetBuffer(nonce, &n, PyBUF_SIMPLE)
        try:
            PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
            try:
                PyObject_GetBuffer(associated_data if associated_data is not None else b"",
                                   &a, PyBUF_SIMPLE)
                try:
                    if n.len != 12:
                        raise ValueError("nonce must be 12 bytes")
                    if seal:
                        return self._seal(&n, &d, &a)
                    return self._open(&n, &d, &a)
                finally:
                    PyBuffer_Release(&a)
            finally:
                PyBuffer_Release(&d)
        finally:
            PyBuffer_Release(&n)

    cdef object _seal(self, Py_buffer *n, Py_buffer *d, Py_buffer *a):
        cdef Py_ssize_t dlen = d.len
        if <unsigned long long>dlen > MAX_AEAD_MESSAGE:
            raise ValueError("data too long for one AEAD message")
        out = PyBytes_FromStringAndSize(NULL, dlen + 16)
        cdef uint8_t *o = <uint8_t *>PyBytes_AS_STRING(out)
        cdef const uint8_t *np = <const uint8_t *>n.buf
        cdef const uint8_t *ap = <const uint8_t *>a.buf
        cdef const uint8_t *dp = <const uint8_t *>d.buf
        cdef size_t alen = <size_t>a.len
        if dlen >= NOGIL_THRESHOLD:
            with nogil:
                cytls_aead_seal(self.aead, o, np, ap, alen, dp, <size_t>dlen)
        else:
            cytls_aead_seal(self.aead, o, np, ap, alen, dp, <size_t>dlen)
        return out

    cdef object _open(self, Py_buffer *n, Py_buffer *d, Py_buffer *a):
        cdef Py_ssize_t dlen = d.len
        cdef int ok
        if dlen < 16:
            raise InvalidTag()
        if <unsigned long long>(dlen - 16) > MAX_AEAD_MESSAGE:
            raise ValueError("data too long for one AEAD message")
        out = PyBytes_FromStringAndSize(NULL, dlen - 16)
        cdef uint8_t *o = <uint8_t *>PyBytes_AS_STRING(out)
        cdef const uint8_t *np = <const uint8_t *>n.buf
        cdef const uint8_t *ap = <const uint8_t *>a.buf
        cdef const uint8_t *dp = <const uint8_t *>d.buf
        cdef size_t alen = <size_t>a.len
        if dlen >= NOGIL_THRESHOLD:
            with nogil:
                ok = cytls_aead_open(self.aead, o, np, ap, alen, dp, <size_t>dlen)
        else:
            ok = cytls_aead_open(self.aead, o, np, ap, alen, dp, <size_t>dlen)
        if not ok:
            # The C side already zeroed the output; drop it unseen.
            del out
            raise InvalidTag()
        return out


# ---------------------------------------------------------------- hashes

cdef class Hash:
    """Incremental SHA-256/384/512 (alg 1/2/3); copy() forks the state."""
    cdef cytls_hash_ctx ctx
    cdef readonly int alg

    def __cinit__(self, int alg, data=None):
        if not cytls_hash_init(&self.ctx, <cytls_hash_alg>alg):
            raise ValueError("unknown hash algorithm")
        self.alg = alg
        if data is not None:
            self.update(data)

    def __dealloc__(self):
        cytls_memzero(&self.ctx, sizeof(self.ctx))

    @property
    def digest_size(self):
        return cytls_hash_digest_len(<cytls_hash_alg>self.alg)

    @property
    def block_size(self):
        return cytls_hash_block_len(<cytls_hash_alg>self.alg)

    def update(self, data):
        cdef _Buf d = _Buf(data)
        if d.view.len >= NOGIL_THRESHOLD:
            with nogil:
                cytls_hash_update(&self.ctx, _ptr(d), <size_t>d.view.len)
        else:
            cytls_hash_update(&self.ctx, _ptr(d), <size_t>d.view.len)

    def copy(self):
        cdef Hash other = Hash.__new__(Hash, self.alg)
        memcpy(&other.ctx, &self.ctx, sizeof(self.ctx))
        return other

    def digest(self):
        cdef cytls_hash_ctx tmp
        cdef uint8_t out[64]
        memcpy(&tmp, &self.ctx, sizeof(tmp))
        cytls_hash_final(&tmp, out)
        result = out[:cytls_hash_digest_len(<cytls_hash_alg>self.alg)]
        cytls_memzero(&tmp, sizeof(tmp))
        cytls_memzero(out, sizeof(out))
        return result


cdef size_t _digest_len(int alg) except 0:
    cdef size_t n = cytls_hash_digest_len(<cytls_hash_alg>alg)
    if n == 0:
        raise ValueError("unknown hash algorithm")
    return n


def hmac_digest(int alg, key, msg):
    """HMAC of msg under key."""
    cdef size_t n = _digest_len(alg)
    cdef _Buf k = _Buf(key)
    cdef _Buf m = _Buf(msg)
    cdef uint8_t out[64]
    cytls_hmac(<cytls_hash_alg>alg, out, _ptr(k), <size_t>k.view.len, _ptr(m), <size_t>m.view.len)
    result = out[:n]
    cytls_memzero(out, sizeof(out))
    return result


def finished_verify_data(int alg, base_key, transcript_hash):
    """TLS 1.3 Finished verify_data (RFC 8446 §4.4.4):
    HMAC(HKDF-Expand-Label(base_key, "finished", "", HashLen),
    transcript_hash). The finished_key lives only on the C stack."""
    cdef size_t n = _digest_len(alg)
    cdef _Buf b = _Buf(base_key)
    cdef _Buf h = _Buf(transcript_hash)
    cdef uint8_t key[64]
    cdef uint8_t out[64]
    if not cytls_hkdf_expand_label(<cytls_hash_alg>alg, key, n, _ptr(b), <size_t>b.view.len,
                                   <const uint8_t *>b"finished", 8, NULL, 0):
        raise ValueError("HKDF-Expand-Label failed")
    cytls_hmac(<cytls_hash_alg>alg, out, key, n, _ptr(h), <size_t>h.view.len)
    cytls_memzero(key, sizeof(key))
    result = out[:n]
    cytls_memzero(out, sizeof(out))
    return result


def hkdf_extract(int alg, salt, ikm):
    """HKDF-Extract (RFC 5869); an empty salt means HashLen zeros."""
    cdef size_t n = _digest_len(alg)
    cdef _Buf s = _Buf(salt if salt is not None else b"")
    cdef _Buf i = _Buf(ikm)
    cdef uint8_t out[64]
    cytls_hkdf_extract(<cytls_hash_alg>alg, out, _ptr(s), <size_t>s.view.len,
                       _ptr(i), <size_t>i.view.len)
    result = out[:n]
    cytls_memzero(out, sizeof(out))
    return result


def hkdf_extract_into(int alg, out, salt, ikm):
    """HKDF-Extract into `out` (a writable buffer of exactly HashLen bytes),
    so the PRK exists only where the caller can wipe it."""
    cdef size_t n = _digest_len(alg)
    cdef _OutBuf o = _OutBuf(out)
    if <size_t>o.view.len != n:
        raise ValueError("HKDF-Extract output must be HashLen bytes")
    cdef _Buf s = _Buf(salt if salt is not None else b"")
    cdef _Buf i = _Buf(ikm)
    cytls_hkdf_extract(<cytls_hash_alg>alg, <uint8_t *>o.view.buf, _ptr(s), <size_t>s.view.len,
                       _ptr(i), <size_t>i.view.len)


def hkdf_expand(int alg, prk, info, Py_ssize_t length):
    """HKDF-Expand (RFC 5869); ValueError past 255 * HashLen."""
    cdef size_t n = _digest_len(alg)
    if length < 0 or <size_t>length > 255 * n:
        raise ValueError(f"HKDF-Expand length must be 0..{255 * n}")
    cdef _Buf p = _Buf(prk)
    cdef _Buf i = _Buf(info if info is not None else b"")
    out = PyBytes_FromStringAndSize(NULL, length)
    if not cytls_hkdf_expand(<cytls_hash_alg>alg, <uint8_t *>PyBytes_AS_STRING(out), <size_t>length,
                             _ptr(p), <size_t>p.view.len, _ptr(i), <size_t>i.view.len):
        raise ValueError("HKDF-Expand failed")
    return out


def hkdf_expand_label(int alg, secret, label, context, Py_ssize_t length):
    """HKDF-Expand-Label of RFC 8446 §7.1; label without the "tls13 " prefix."""
    cdef size_t n = _digest_len(alg)
    if length < 0 or length > 65535 or <size_t>length > 255 * n:
        raise ValueError("HKDF-Expand-Label length out of range")
    cdef _Buf s = _Buf(secret)
    cdef _Buf lab = _Buf(label)
    cdef _Buf c = _Buf(context)
    if lab.view.len > 249 or c.view.len > 255:
        raise ValueError("HKDF-Expand-Label label or context too long")
    out = PyBytes_FromStringAndSize(NULL, length)
    if not cytls_hkdf_expand_label(<cytls_hash_alg>alg, <uint8_t *>PyBytes_AS_STRING(out),
                                   <size_t>length, _ptr(s), <size_t>s.view.len,
                                   _ptr(lab), <size_t>lab.view.len, _ptr(c), <size_t>c.view.len):
        raise ValueError("HKDF-Expand-Label failed")
    return out


def hkdf_expand_label_into(int alg, out, secret, label, context):
    """HKDF-Expand-Label into `out` (a writable buffer; its length is the
    output length), so the derived secret exists only where the caller can
    wipe it."""
    cdef size_t n = _digest_len(alg)
    cdef _OutBuf o = _OutBuf(out)
    cdef Py_ssize_t length = o.view.len
    if length > 65535 or <size_t>length > 255 * n:
        raise ValueError("HKDF-Expand-Label length out of range")
    cdef _Buf s = _Buf(secret)
    cdef _Buf lab = _Buf(label)
    cdef _Buf c = _Buf(context)
    if lab.view.len > 249 or c.view.len > 255:
        raise ValueError("HKDF-Expand-Label label or context too long")
    if not cytls_hkdf_expand_label(<cytls_hash_alg>alg, <uint8_t *>o.view.buf,
                                   <size_t>length, _ptr(s), <size_t>s.view.len,
                                   _ptr(lab), <size_t>lab.view.len, _ptr(c), <size_t>c.view.len):
        raise ValueError("HKDF-Expand-Label failed")


DEF _MAX_LABELS = 8


def hkdf_expand_labels(int alg, secret, tuple requests):
    """Several HKDF-Expand-Labels from one secret, keying the HMAC once:
    `requests` is a tuple of (label, context, length) with bytes labels
    and contexts (at most 8); returns a tuple of new bytearrays (which the
    key schedule can wipe), in order. ValueError for an out-of-range
    request, before anything is derived."""
    cdef Py_ssize_t count = len(requests)
    if count > _MAX_LABELS:
        raise ValueError(f"at most {_MAX_LABELS} HKDF-Expand-Label requests")
    cdef size_t n = _digest_len(alg)
    cdef cytls_hkdf_label labels[_MAX_LABELS]
    cdef Py_ssize_t i, length
    cdef bytes label, context
    cdef tuple request
    outs = PyTuple_New(count)
    for i in range(count):
        request = <tuple?>requests[i]
        if len(request) != 3:
            raise ValueError("an HKDF-Expand-Label request is (label, context, length)")
        label = <bytes?>request[0]
        context = <bytes?>request[1]
        length = request[2]
        if length < 0 or length > 65535 or <size_t>length > 255 * n:
            raise ValueError("HKDF-Expand-Label length out of range")
        if len(label) > 249 or len(context) > 255:
            raise ValueError("HKDF-Expand-Label label or context too long")
        out = PyByteArray_FromStringAndSize(NULL, length)
        Py_INCREF(out)
        PyTuple_SET_ITEM(outs, i, out)
        labels[i].out = <uint8_t *>PyByteArray_AS_STRING(out)
        labels[i].out_len = <size_t>length
        labels[i].label = <const uint8_t *>PyBytes_AS_STRING(label)
        labels[i].label_len = <size_t>len(label)
        labels[i].context = <const uint8_t *>PyBytes_AS_STRING(context)
        labels[i].context_len = <size_t>len(context)
    cdef _Buf s = _Buf(secret)
    if not cytls_hkdf_expand_labels(<cytls_hash_alg>alg, _ptr(s), <size_t>s.view.len,
                                    labels, <size_t>count):
        raise ValueError("HKDF-Expand-Label failed")
    return outs


# ---------------------------------------------------------------- record layer

# ---------------------------------------------------------------- X25519

# RFC 7748 X25519 in csrc/x25519.c; the handshake's groups module makes the
# private scalar (os.urandom) and refuses the all-zero shared secret.


def x25519(scalar, u):
    """X25519(scalar, u) of RFC 7748 §5 (the scalar is clamped here).

    Returns the 32-byte u-coordinate, all zero for a u of small order: the
    caller refuses that one (RFC 8446 §7.4.2). ValueError unless both are
    32 bytes.
    """
    cdef _Buf k = _Buf(scalar)
    cdef _Buf p = _Buf(u)
    if k.view.len != 32 or p.view.len != 32:
        raise ValueError("X25519 scalar and u-coordinate must be 32 bytes each")
    cdef uint8_t out[32]
    # About 20 us of arithmetic: worth letting other threads run.
    with nogil:
        cytls_x25519(out, _ptr(k), _ptr(p))
    result = out[:32]
    cytls_memzero(out, sizeof(out))
    return result


def x25519_base(scalar):
    """The X25519 public key of a 32-byte private scalar: X25519(scalar, 9),
    by the fixed-base path. ValueError unless the scalar is 32 bytes."""
    cdef _Buf k = _Buf(scalar)
    if k.view.len != 32:
        raise ValueError("X25519 scalar must be 32 bytes")
    cdef uint8_t out[32]
    cdef int ok
    with nogil:
        ok = cytls_x25519_base(out, _ptr(k))
    if not ok:
        raise RuntimeError("X25519 fixed-base table unavailable")
    return out[:32]


include "_core_protector.pxi"
include "_core_record.pxi"
include "_core_sockio.pxi"
include "_core_bio.pxi"
include "_core_bench.pxi"
