# Record-layer binding (csrc/record.c), included by _core.pyx.
#
# One RecordProtector per direction. Whole batches go to C in one call: the
# output bytearray is grown once to the exact (seal) or largest possible
# (open) size, C writes into it directly, and it is cut back afterwards.
# Both bytearrays stay exported while C runs, so no other thread can resize
# them while the GIL is released.

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from libc.stdint cimport uint16_t, uint64_t
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memset


cdef class RecordProtector:
    """One direction of a connection's record state: plaintext framing
    until a key is set, then AEAD protection (TLS 1.3 or TLS 1.2).

    The key is expanded once in set_key; the nonce is built in C from the
    static IV and the sequence number.
    """
    cdef cytls_record_protector *p

    def __cinit__(self):
        self.p = cytls_record_new()
        if self.p == NULL:
            raise MemoryError()

    def __dealloc__(self):
        cytls_record_free(self.p)

    def set_key(self, int alg, int version, key, iv):
        """Install a key (alg as in AEAD; version 0x0304 or 0x0303); seq = 0.

        Raises:
            ValueError: a bad algorithm, version, key or IV length.
        """
        cdef _Buf k = _Buf(key)
        cdef _Buf i = _Buf(iv)
        if not cytls_record_set_key(self.p, <cytls_aead_alg>alg, <uint16_t>version,
                                    _ptr(k), <size_t>k.view.len, _ptr(i), <size_t>i.view.len):
            raise ValueError("bad record algorithm, version, key or IV length")

    def clear_key(self):
        """Wipe the key; plaintext records from here on."""
        cytls_record_clear_key(self.p)

    def set_plain_version(self, int version):
        """legacy_record_version of plaintext records sealed from now on."""
        cytls_record_set_plain_version(self.p, <uint16_t>version)

    def set_limit(self, Py_ssize_t limit):
        """Apply a record_size_limit (RFC 8449); ValueError below 64."""
        if limit < 64 or not cytls_record_set_limit(self.p, <size_t>limit):
            raise ValueError("record_size_limit must be at least 64")

    def set_pad_block(self, Py_ssize_t block):
        """TLS 1.3: pad every inner plaintext to a multiple of block bytes."""
        cytls_record_set_pad_block(self.p, <size_t>max(block, 0))

    def set_skip_budget(self, Py_ssize_t budget):
        """Drop up to budget bytes of undecryptable records (early data)."""
        cytls_record_set_skip_budget(self.p, <size_t>max(budget, 0))

    def set_seq(self, uint64_t seq):
        """Set the next sequence number: for tests of the limits only."""
        cytls_record_set_seq(self.p, seq)

    @property
    def seq(self):
        return self.p.seq

    @property
    def keyed(self):
        return bool(self.p.keyed)

    @property
    def version(self):
        return self.p.version

    @property
    def fragment_len(self):
        return cytls_record_fragment_len(self.p)

    def seal_into(self, bytearray out not None, int content_type, data):
        """Cut data into records, protect them, append them all to out.

        Returns:
            True, or False (nothing appended) when the sequence number
            would pass its limit.

        Raises:
            ValueError: a content type that cannot be sealed here.
        """
        if content_type < 20 or content_type > 23 or (self.p.keyed and content_type == 20):
            raise ValueError(f"cannot seal content type {content_type}")
        cdef _Buf d = _Buf(data)
        cdef size_t dlen = <size_t>d.view.len
        cdef size_t need = cytls_record_seal_len(self.p, dlen)
        cdef size_t written = 0
        cdef int ok
        if need == 0:
            return True
        cdef Py_ssize_t old = PyByteArray_GET_SIZE(out)
        PyByteArray_Resize(out, old + <Py_ssize_t>need)
        cdef _Buf o = _Buf(out)
        cdef uint8_t *dst = <uint8_t *>o.view.buf + old
        cdef const uint8_t *srcp = _ptr(d)
        if dlen >= NOGIL_THRESHOLD:
            with nogil:
                ok = cytls_record_seal(self.p, dst, need, &written, <uint8_t>content_type,
                                       srcp, dlen)
        else:
            ok = cytls_record_seal(self.p, dst, need, &written, <uint8_t>content_type,
                                   _ptr(d), dlen)
        o = None
        PyByteArray_Resize(out, old + <Py_ssize_t>written)
        return bool(ok)

    def seal_bytes(self, int content_type, data):
        """Cut data into records and protect them, into a new bytes object.

        The records are written straight into the bytes object that is
        returned (nobody else can see it yet), so handing them to the wire
        costs no copy.

        Returns:
            The records (b"" for empty data), or None (nothing sealed) when
            the sequence number would pass its limit.

        Raises:
            ValueError: a content type that cannot be sealed here.
        """
        if content_type < 20 or content_type > 23 or (self.p.keyed and content_type == 20):
            raise ValueError(f"cannot seal content type {content_type}")
        cdef _Buf d = _Buf(data)
        cdef size_t dlen = <size_t>d.view.len
        cdef size_t need = cytls_record_seal_len(self.p, dlen)
        cdef size_t written = 0
        cdef int ok
        if need == 0:
            return b""
        cdef bytes out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>need)
        cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(out)
        cdef const uint8_t *srcp = _ptr(d)
        if dlen >= NOGIL_THRESHOLD:
            with nogil:
                ok = cytls_record_seal(self.p, dst, need, &written, <uint8_t>content_type,
                                       srcp, dlen)
        else:
            ok = cytls_record_seal(self.p, dst, need, &written, <uint8_t>content_type,
                                   srcp, dlen)
        if not ok:
            return None
        if written != need:  # cytls_record_seal_len is exact; never happens
            return out[:written]
        return out

    def seal_padded_into(self, bytearray out not None, int content_type, data, Py_ssize_t pad):
        """Seal one record (at most fragment_len bytes) with pad bytes of
        TLS 1.3 padding, cut to the limit; append it to out.

        Returns:
            True, or False when the sequence number would pass its limit.

        Raises:
            ValueError: a bad content type or too long a fragment.
        """
        if content_type < 20 or content_type > 23 or (self.p.keyed and content_type == 20):
            raise ValueError(f"cannot seal content type {content_type}")
        cdef _Buf d = _Buf(data)
        cdef size_t dlen = <size_t>d.view.len
        if dlen > cytls_record_fragment_len(self.p) or (dlen == 0 and content_type != 23):
            raise ValueError("fragment length out of range")
        if pad < 0:
            pad = 0
        if pad > CYTLS_RECORD_MAX_PLAINTEXT:
            pad = CYTLS_RECORD_MAX_PLAINTEXT
        cdef size_t need = dlen + <size_t>pad + CYTLS_RECORD_MAX_OVERHEAD
        cdef size_t written = 0
        cdef Py_ssize_t old = PyByteArray_GET_SIZE(out)
        PyByteArray_Resize(out, old + <Py_ssize_t>need)
        cdef uint8_t *dst = <uint8_t *>PyByteArray_AS_STRING(out) + old
        ok = cytls_record_seal_padded(self.p, dst, need, &written, <uint8_t>content_type,
                                      _ptr(d), dlen, <size_t>pad)
        PyByteArray_Resize(out, old + <Py_ssize_t>written)
        return bool(ok)

    def open_into(self, bytearray app not None, inbuf, Py_ssize_t start=0):
        """Open every complete record in inbuf[start:] (any buffer).

        Application data is appended to app. Stops after the first other
        record (every record when no key is set).

        Returns:
            (status, consumed, content_type, payload, alert, reason):
            status 0 = need more input, 1 = stopped on a record whose
            content_type and payload (bytes) are given, 2 = error, with the
            alert to send and a reason. consumed is how many bytes of inbuf
            the handled records took; the caller removes them.
        """
        cdef cytls_record_result res
        cdef _Buf src = _Buf(inbuf)
        if start < 0 or start > src.view.len:
            raise ValueError("start out of range")
        cdef Py_ssize_t in_len = src.view.len - start
        cdef Py_ssize_t old = PyByteArray_GET_SIZE(app)
        PyByteArray_Resize(app, old + in_len)
        cdef _Buf dst_buf = _Buf(app)
        cdef uint8_t *dst = <uint8_t *>dst_buf.view.buf + old
        cdef const uint8_t *srcp = _ptr(src) + start
        if in_len >= NOGIL_THRESHOLD:
            with nogil:
                cytls_record_open(self.p, &res, dst, <size_t>in_len, srcp, <size_t>in_len)
        else:
            cytls_record_open(self.p, &res, dst, <size_t>in_len, srcp, <size_t>in_len)
        payload = None
        reason = None
        if res.status == CYTLS_RECORD_STOPPED:
            payload = PyBytes_FromStringAndSize(<char *>dst + res.app_len,
                                                <Py_ssize_t>res.payload_len)
            # Leave no handshake plaintext behind in the spare capacity.
            memset(dst + res.app_len, 0, res.payload_len)
        elif res.status == CYTLS_RECORD_ERROR:
            reason = cytls_record_error_string(res.error).decode("ascii")
        src = None
        dst_buf = None
        PyByteArray_Resize(app, old + <Py_ssize_t>res.app_len)
        return (<int>res.status, res.consumed, res.type, payload, res.alert, reason)


def _raw_aead_seal_open(int alg, key, data, Py_ssize_t chunk, Py_ssize_t iterations):
    """The raw-AEAD baseline of benchmarks/bench_record.py: seal data as
    chunk-byte messages into one ciphertext buffer, then open them all into
    one plaintext buffer, iterations times, all in C, with the AEAD context
    64-byte aligned as record.c keeps it.

    Returns:
        True if every open verified.

    Raises:
        ValueError: a bad algorithm, key or chunk size.
    """
    cdef _Buf k = _Buf(key)
    cdef _Buf d = _Buf(data)
    cdef size_t n = <size_t>d.view.len
    if chunk <= 0 or chunk > 65536 or iterations < 0:
        raise ValueError("bad chunk size or iteration count")
    cdef size_t num = (n + <size_t>chunk - 1) // <size_t>chunk
    cdef char *raw = <char *>PyMem_Malloc(sizeof(cytls_aead) + 64)
    cdef uint8_t *ct = <uint8_t *>PyMem_Malloc(n + 16 * num + 1)
    cdef uint8_t *pt = <uint8_t *>PyMem_Malloc(n + 1)
    if raw == NULL or ct == NULL or pt == NULL:
        PyMem_Free(raw)
        PyMem_Free(ct)
        PyMem_Free(pt)
        raise MemoryError()
    cdef cytls_aead *aead = <cytls_aead *>(raw + (64 - (<size_t>raw & 63)))
    cdef uint8_t nonce[12]
    cdef uint8_t aad[5]
    cdef int ok = 1
    cdef Py_ssize_t it
    cdef size_t off, m, i
    cdef const uint8_t *src = _ptr(d)
    memset(nonce, 0, 12)
    memset(aad, 23, 5)
    try:
        if not cytls_aead_init(aead, <cytls_aead_alg>alg, _ptr(k), <size_t>k.view.len):
            raise ValueError("bad AEAD algorithm or key length")
        with nogil:
            for it in range(iterations):
                nonce[10] = <uint8_t>it
                off = 0
                i = 0
                while off < n:
                    m = n - off if n - off < <size_t>chunk else <size_t>chunk
                    nonce[11] = <uint8_t>i
                    cytls_aead_seal(aead, ct + off + 16 * i, nonce, aad, 5, src + off, m)
                    off += m
                    i += 1
                off = 0
                i = 0
                while off < n:
                    m = n - off if n - off < <size_t>chunk else <size_t>chunk
                    nonce[11] = <uint8_t>i
                    ok &= cytls_aead_open(aead, pt + off, nonce, aad, 5, ct + off + 16 * i, m + 16)
                    off += m
                    i += 1
        cytls_aead_clear(aead)
    finally:
        PyMem_Free(raw)
        PyMem_Free(ct)
        PyMem_Free(pt)
    return bool(ok)
