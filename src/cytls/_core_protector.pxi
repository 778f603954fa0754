# Record-layer binding (csrc/record.c), part 1, included by _core.pyx before
# _core_record.pxi: the reusable-bytearray helpers and RecordProtector.
#
# One RecordProtector per direction; RecordIO holds both with the buffers
# of a connection, so that send() and receive() are one C-level call each
# with no Python frame, no temporary objects and one C call per batch. The
# output bytearray is grown once to the exact (seal) or largest possible
# (open) size, C writes into it directly, and it is cut back afterwards.
# Buffers are taken on stack Py_buffers; bytearrays stay exported while the
# GIL is released, so no other thread can resize them meanwhile.

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from libc.stdint cimport UINT64_MAX, uint16_t, uint64_t
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memcpy, memset
from cpython.bytes cimport PyBytes_GET_SIZE
from cpython.buffer cimport PyBUF_WRITABLE
from libc.string cimport memmove


cdef extern from "Python.h":
    # The fields of a bytearray that _ba_set_len and _ba_drop_front use.
    ctypedef struct PyByteArrayObject:
        Py_ssize_t ob_alloc
        char *ob_bytes
        char *ob_start
        Py_ssize_t ob_exports
    void Py_SET_SIZE(object o, Py_ssize_t size)


cdef int _ba_set_len(bytearray b, Py_ssize_t size) except -1:
    # Set the length of b, keeping its allocation. PyByteArray_Resize gives
    # memory back whenever the new length is under half the allocation, so
    # a buffer reused for every batch (records in, plaintext out) would be
    # freed and allocated again, page faults included, on every call; here
    # it is allocated once and grows only when a batch needs more. Bytes
    # past the old length are left as they are (the caller writes them).
    cdef PyByteArrayObject *o = <PyByteArrayObject *>b
    cdef Py_ssize_t cur = PyByteArray_GET_SIZE(b)
    cdef Py_ssize_t offset
    if size == cur:
        return 0
    if o.ob_exports > 0:
        raise BufferError("Existing exports of data: object cannot be re-sized")
    if o.ob_bytes != NULL:
        offset = o.ob_start - o.ob_bytes
        if offset and size + offset + 1 > o.ob_alloc:
            # Bytes were dropped from the front: move the rest back first.
            memmove(o.ob_bytes, o.ob_start, <size_t>cur)
            o.ob_start = o.ob_bytes
            offset = 0
        if size + offset + 1 <= o.ob_alloc:
            Py_SET_SIZE(b, size)
            o.ob_start[size] = 0
            return 0
    PyByteArray_Resize(b, size)
    return 0


# An emptied buffer keeps an allocation of this many bytes or more (the
# size of socket batches), up to the larger bound; smaller ones (a handshake
# flight, which an idle connection would otherwise keep) and larger ones (a
# one-off huge feed) are given back.
cdef enum:
    KEEP_ALLOC_MIN = 32768
    KEEP_ALLOC_MAX = 1 << 20


cdef int _ba_drop_front(bytearray b, Py_ssize_t n) except -1:
    # Remove the first n bytes of b without copying the rest or shrinking
    # the allocation (the start moves; _ba_set_len moves it back when the
    # buffer must grow). Emptied, the buffer starts at its allocation again
    # (or gives it back, see KEEP_ALLOC_MIN).
    cdef PyByteArrayObject *o = <PyByteArrayObject *>b
    cdef Py_ssize_t cur = PyByteArray_GET_SIZE(b)
    if n <= 0:
        return 0
    if o.ob_exports > 0:
        raise BufferError("Existing exports of data: object cannot be re-sized")
    if n >= cur:
        if o.ob_bytes == NULL:
            return 0
        o.ob_start = o.ob_bytes
        if (1 < o.ob_alloc < KEEP_ALLOC_MIN) or o.ob_alloc > KEEP_ALLOC_MAX:
            # From one byte to none: PyByteArray_Resize gives the memory back
            # (it does nothing when the length does not change).
            Py_SET_SIZE(b, 1)
            PyByteArray_Resize(b, 0)
            return 0
        Py_SET_SIZE(b, 0)
    else:
        o.ob_start += n
        Py_SET_SIZE(b, cur - n)
    o.ob_start[PyByteArray_GET_SIZE(b)] = 0
    return 0


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

    def set_traffic_secret(self, int alg, int hash_alg, secret):
        """TLS 1.3: install the key and IV of a traffic secret (RFC 8446
        §7.3: HKDF-Expand-Label "key" and "iv", one keyed HMAC); seq = 0.
        The key and IV live only on the C stack, wiped before return.

        Raises:
            ValueError: a bad algorithm, hash or secret.
        """
        cdef uint8_t key[32]
        cdef uint8_t iv[12]
        cdef size_t key_len = 16 if alg == CYTLS_AEAD_AES_128_GCM else 32
        cdef cytls_hkdf_label labels[2]
        cdef _Buf s = _Buf(secret)
        labels[0].out = key
        labels[0].out_len = key_len
        labels[0].label = <const uint8_t *>b"key"
        labels[0].label_len = 3
        labels[0].context = NULL
        labels[0].context_len = 0
        labels[1].out = iv
        labels[1].out_len = 12
        labels[1].label = <const uint8_t *>b"iv"
        labels[1].label_len = 2
        labels[1].context = NULL
        labels[1].context_len = 0
        _digest_len(hash_alg)  # ValueError for an unknown hash
        cdef int ok = (cytls_hkdf_expand_labels(<cytls_hash_alg>hash_alg, _ptr(s),
                                                <size_t>s.view.len, labels, 2)
                       and cytls_record_set_key(self.p, <cytls_aead_alg>alg, 0x0304,
                                                key, key_len, iv, 12))
        cytls_memzero(key, sizeof(key))
        cytls_memzero(iv, sizeof(iv))
        if not ok:
            raise ValueError("bad record algorithm, hash or traffic secret")

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

    # ---------------------------------------------------------- sealing
    #
    # Buffers are taken on stack Py_buffers, not _Buf objects. The cdef
    # methods are what RecordIO calls; the def methods wrap them.

    cdef inline int _check_seal_type(self, int content_type) except -1:
        if content_type < 20 or content_type > 23 or (self.p.keyed and content_type == 20):
            raise ValueError(f"cannot seal content type {content_type}")
        return 0

    cdef inline int _check_seal_content(self, int content_type, const uint8_t *buf,
                                        size_t n) except -1:
        # What cytls_record_seal refuses besides the sequence limit, which
        # the callers report as that limit: one 2-byte alert per record
        # (RFC 8446 §5.1) and a change_cipher_spec of the single byte 1.
        if content_type == 21 and n != 2:
            raise ValueError("an alert record holds exactly one 2-byte alert")
        if content_type == 20 and (n != 1 or buf[0] != 1):
            raise ValueError("a change_cipher_spec record is the single byte 1")
        return 0

    cdef int _seal_append(self, bytearray out, int content_type, object data) except -1:
        # 1, or 0 (nothing appended) when the sequence number would pass its limit.
        cdef Py_buffer d
        cdef Py_buffer o
        cdef size_t need, dlen
        cdef size_t written = 0
        cdef Py_ssize_t old
        cdef uint8_t *dst
        cdef int ok
        self._check_seal_type(content_type)
        PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
        try:
            dlen = <size_t>d.len
            self._check_seal_content(content_type, <const uint8_t *>d.buf, dlen)
            need = cytls_record_seal_len(self.p, dlen)
            if need == 0:
                return 1
            old = PyByteArray_GET_SIZE(out)
            _ba_set_len(out, old + <Py_ssize_t>need)
            if dlen >= NOGIL_THRESHOLD:
                # Exported while the GIL is released: nobody can resize it.
                PyObject_GetBuffer(out, &o, PyBUF_WRITABLE)
                dst = <uint8_t *>o.buf + old
                with nogil:
                    ok = cytls_record_seal(self.p, dst, need, &written, <uint8_t>content_type,
                                           <const uint8_t *>d.buf, dlen)
                PyBuffer_Release(&o)
            else:
                dst = <uint8_t *>PyByteArray_AS_STRING(out) + old
                ok = cytls_record_seal(self.p, dst, need, &written, <uint8_t>content_type,
                                       <const uint8_t *>d.buf, dlen)
            _ba_set_len(out, old + <Py_ssize_t>written)
            return ok
        finally:
            PyBuffer_Release(&d)

    cdef object _seal_new(self, int content_type, object data):
        # The records in a new bytes object (b"" for empty data), or None
        # (nothing sealed) when the sequence number would pass its limit.
        cdef Py_buffer d
        cdef size_t need, dlen
        cdef size_t written = 0
        cdef uint8_t *dst
        cdef int ok
        cdef bytes out
        self._check_seal_type(content_type)
        PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
        try:
            dlen = <size_t>d.len
            self._check_seal_content(content_type, <const uint8_t *>d.buf, dlen)
            need = cytls_record_seal_len(self.p, dlen)
            if need == 0:
                return b""
            # Nobody else sees the new bytes object until it is returned.
            out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>need)
            dst = <uint8_t *>PyBytes_AS_STRING(out)
            if dlen >= NOGIL_THRESHOLD:
                with nogil:
                    ok = cytls_record_seal(self.p, dst, need, &written, <uint8_t>content_type,
                                           <const uint8_t *>d.buf, dlen)
            else:
                ok = cytls_record_seal(self.p, dst, need, &written, <uint8_t>content_type,
                                       <const uint8_t *>d.buf, dlen)
        finally:
            PyBuffer_Release(&d)
        if not ok:
            return None
        if written != need:  # cytls_record_seal_len is exact; never happens
            return out[:written]
        return out

    cdef int _seal_padded(self, bytearray out, int content_type, object data,
                          Py_ssize_t pad) except -1:
        # 1, or 0 when the sequence number would pass its limit.
        cdef Py_buffer d
        cdef size_t dlen, need
        cdef size_t written = 0
        cdef Py_ssize_t old
        cdef int ok
        self._check_seal_type(content_type)
        PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
        try:
            dlen = <size_t>d.len
            self._check_seal_content(content_type, <const uint8_t *>d.buf, dlen)
            if dlen > cytls_record_fragment_len(self.p) or (dlen == 0 and content_type != 23):
                raise ValueError("fragment length out of range")
            if pad < 0:
                pad = 0
            if pad > CYTLS_RECORD_MAX_PLAINTEXT:
                pad = CYTLS_RECORD_MAX_PLAINTEXT
            need = dlen + <size_t>pad + CYTLS_RECORD_MAX_OVERHEAD
            old = PyByteArray_GET_SIZE(out)
            _ba_set_len(out, old + <Py_ssize_t>need)
            ok = cytls_record_seal_padded(self.p, <uint8_t *>PyByteArray_AS_STRING(out) + old,
                                          need, &written, <uint8_t>content_type,
                                          <const uint8_t *>d.buf, dlen, <size_t>pad)
            _ba_set_len(out, old + <Py_ssize_t>written)
            return ok
        finally:
            PyBuffer_Release(&d)

    def seal_into(self, bytearray out not None, int content_type, data):
        """Cut data into records, protect them, append them all to out.

        Returns:
            True, or False (nothing appended) when the sequence number
            would pass its limit.

        Raises:
            ValueError: a content type that cannot be sealed here.
        """
        return self._seal_append(out, content_type, data) == 1

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
        return self._seal_new(content_type, data)

    def seal_padded_into(self, bytearray out not None, int content_type, data, Py_ssize_t pad):
        """Seal one record (at most fragment_len bytes) with pad bytes of
        TLS 1.3 padding, cut to the limit; append it to out.

        Returns:
            True, or False when the sequence number would pass its limit.

        Raises:
            ValueError: a bad content type or too long a fragment.
        """
        return self._seal_padded(out, content_type, data, pad) == 1
