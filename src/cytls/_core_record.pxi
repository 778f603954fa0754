# Record-layer binding (csrc/record.c), included by _core.pyx.
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


cdef class RecordIO:
    """The per-call half of a connection's record layer, in C: the input
    buffer, the decrypted application data, the output queue, and one C
    call per send() or receive().

    cytls._record.RecordLayer derives from it and adds key changes and
    limits; it also supplies the exceptions (_record_error,
    _seal_limit_error), so that this glue knows no protocol types. Input
    is kept as the fed bytes object itself while nothing else is buffered
    (held, with an offset), else in a bytearray; output as the sealed
    bytes objects while nothing else is queued, else in a bytearray.
    """
    cdef readonly RecordProtector _write
    cdef readonly RecordProtector _read
    cdef readonly bytearray app_data
    # TLS 1.3 padding policy called per record; None for none (or the
    # block policy, which the write protector applies in C).
    cdef public object _pad_fn
    cdef bytearray _inbuf
    cdef bytes _held
    cdef Py_ssize_t _held_pos
    cdef bytearray _outgoing
    cdef list _out_chunks
    # Whether the caller reads the outgoing bytearray rather than calling
    # take_outgoing: then records are sealed straight into it.
    cdef bint _out_array
    cdef object _failure
    # fill_fd() with open_now: the records it opened, waiting for the
    # receive() that follows to hand them over (see _core_sockio.pxi).
    cdef cytls_record_result _pre
    cdef bint _pre_ready
    cdef Py_ssize_t _pre_old
    cdef uint8_t *_pre_dst
    cdef uint8_t _pre_byte
    # fill_fd() given the reader's buffer: the plaintext bytes it already
    # copied there (from the front of app_data), so that the
    # take_app_data_into that follows with that buffer only drops them.
    cdef Py_ssize_t _copied
    cdef void *_copied_to
    cdef char *_copied_from

    def __cinit__(self):
        self._write = RecordProtector()
        self._read = RecordProtector()
        self.app_data = bytearray()
        self._inbuf = bytearray()
        self._held = None
        self._held_pos = 0
        self._outgoing = bytearray()
        self._out_chunks = []
        self._out_array = False
        self._failure = None
        self._pad_fn = None
        self._pre_ready = False

    def _record_error(self, int alert, str reason):
        """The exception for a record the C layer refused (overridden)."""
        raise NotImplementedError

    def _seal_limit_error(self):
        """The exception for a send past the sequence limit (overridden)."""
        raise NotImplementedError

    # ------------------------------------------------------------ output

    cdef bytearray _queue(self):
        # The outgoing bytearray, with any sealed chunks moved into it.
        cdef bytearray out = self._outgoing
        cdef list chunks = self._out_chunks
        if chunks:
            for chunk in chunks:
                out += <bytes>chunk
            del chunks[:]
        return out

    @property
    def outgoing(self):
        """Records ready for the wire, as a bytearray the caller may read
        and delete from (take_outgoing() drains it without a copy)."""
        self._out_array = True
        return self._queue()

    def take_outgoing(self):
        """Return the records queued for the wire and clear the queue."""
        cdef list chunks = self._out_chunks
        cdef bytearray out
        self._out_array = False
        if chunks and PyByteArray_GET_SIZE(self._outgoing) == 0:
            if len(chunks) == 1:
                return chunks.pop()
            data = b"".join(chunks)
            del chunks[:]
            return data
        out = self._queue()
        data = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(out), PyByteArray_GET_SIZE(out))
        _ba_drop_front(out, PyByteArray_GET_SIZE(out))
        return data

    def _queue_bytes(self, data):
        """Append data, already framed, to the records queued for the wire."""
        cdef bytearray out = self._queue()
        out += data

    def send(self, int content_type, data):
        """Cut data into records, protect them if a write key is set, and
        append them to outgoing. Empty data sends nothing.

        Args:
            content_type: 21 alert, 22 handshake, 23 application data (20
                only before a write key; see send_change_cipher_spec).
            data: the content, any length.

        Raises:
            ValueError: a content type that cannot be sent now.
            TLSAlert: internal_error when the sequence number is exhausted
                (RFC 8446 §5.3, and the AES-GCM limit of §5.5 in TLS 1.3).
        """
        cdef RecordProtector write = self._write
        cdef int ok
        if self._pad_fn is not None and write.p.keyed and write.p.version == 0x0304:
            ok = self._send_padded(content_type, data)
        elif self._out_array or PyByteArray_GET_SIZE(self._outgoing):
            ok = write._seal_append(self._outgoing, content_type, data)
        else:
            # Sealed into a new bytes object: take_outgoing hands it to
            # the wire as it is.
            chunk = write._seal_new(content_type, data)
            ok = chunk is not None
            if ok and PyBytes_GET_SIZE(chunk):
                self._out_chunks.append(chunk)
        if not ok:
            raise self._seal_limit_error()

    cdef int _send_padded(self, int content_type, object data) except -1:
        # One record per fragment, each padded as the policy says (RFC 8446
        # §5.4); the policy is Python, so one C call per record here.
        cdef RecordProtector write = self._write
        cdef Py_ssize_t frag = <Py_ssize_t>cytls_record_fragment_len(write.p)
        cdef Py_ssize_t start, n
        cdef bytearray out = self._queue()
        view = memoryview(data).cast("B")
        n = len(view)
        for start in range(0, n, frag):
            chunk = view[start:start + frag]
            pad = int(self._pad_fn(len(chunk)))
            if not write._seal_padded(out, content_type, chunk, pad):
                return 0
        return 1

    # ------------------------------------------------------------- input

    def feed(self, data):
        """Append bytes received from the wire; receive() opens them.

        A bytes object fed while nothing is buffered is kept by reference
        (it is immutable), so the common case copies nothing here.
        """
        cdef bytearray inbuf = self._inbuf
        cdef Py_ssize_t old
        cdef Py_buffer d
        self._copied = 0
        self._unhold()
        if type(data) is bytes and PyByteArray_GET_SIZE(inbuf) == 0:
            self._held = <bytes>data
            self._held_pos = 0
        else:
            PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
            try:
                old = PyByteArray_GET_SIZE(inbuf)
                _ba_set_len(inbuf, old + d.len)
                memcpy(PyByteArray_AS_STRING(inbuf) + old, d.buf, <size_t>d.len)
            finally:
                PyBuffer_Release(&d)

    cdef int _unhold(self) except -1:
        # Copy what is left of a held bytes object into the input buffer.
        cdef bytes held = self._held
        cdef bytearray inbuf = self._inbuf
        cdef Py_ssize_t old, rest
        if held is None:
            return 0
        rest = PyBytes_GET_SIZE(held) - self._held_pos
        old = PyByteArray_GET_SIZE(inbuf)
        _ba_set_len(inbuf, old + rest)
        memcpy(PyByteArray_AS_STRING(inbuf) + old, PyBytes_AS_STRING(held) + self._held_pos,
               <size_t>rest)
        self._held = None
        self._held_pos = 0
        return 0

    def fill(self, recv_into, Py_ssize_t size):
        """Let recv_into(buffer) write up to size received bytes straight
        into the input buffer (a socket's recv_into: no bytes object, no
        copy); receive() opens them.

        Returns:
            What recv_into returned: the count written (0 at end of stream).

        Raises:
            Whatever recv_into raises; nothing is added then.
        """
        cdef bytearray inbuf = self._inbuf
        cdef Py_ssize_t old, got
        if size <= 0:
            raise ValueError("size must be positive")
        self._copied = 0
        self._unhold()
        old = PyByteArray_GET_SIZE(inbuf)
        _ba_set_len(inbuf, old + size)
        try:
            with memoryview(inbuf) as whole:
                with whole[old:] as view:
                    got = recv_into(view)
        except BaseException:
            _ba_set_len(inbuf, old)
            raise
        if got < 0 or got > size:
            _ba_set_len(inbuf, old)
            raise ValueError("recv_into returned a count out of range")
        _ba_set_len(inbuf, old + got)
        return got

    def fill_fd(self, int fd, Py_ssize_t size, bint open_now=False, into=None):
        """Receive up to size bytes from the socket descriptor fd (recv(),
        the GIL released) into the input buffer; with open_now, open its
        complete records in the same step, for the receive() that must
        come next to hand over, and when app_data was empty and into (a
        writable buffer) is given, copy their plaintext there too, for the
        take_app_data_into(into) that follows. See _core_sockio.pxi.

        Returns:
            The count received (0 at end of stream).

        Raises:
            OSError: recv() failed (BlockingIOError: nothing to read on a
                non-blocking socket); nothing is added then.
        """
        return _fill_fd(self, fd, size, open_now, into)

    def send_fd(self, int fd, data):
        """Seal data as application data records and write them to the
        socket descriptor fd in the same step, the GIL released; what the
        socket does not take at once stays queued, as after send(). See
        _core_sockio.pxi.

        Raises:
            As send(); never the socket's errors (the rest stays queued).
        """
        _send_fd(self, fd, data)

    def take_app_data_into(self, buffer):
        """Move up to len(buffer) bytes of decrypted application data into
        buffer (writable), from the front of app_data, which keeps its
        allocation for the next batch.

        Returns:
            The number of bytes moved.
        """
        cdef bytearray app = self.app_data
        cdef Py_buffer d
        cdef Py_buffer a
        cdef Py_ssize_t n
        cdef Py_ssize_t copied = self._copied
        self._copied = 0
        PyObject_GetBuffer(buffer, &d, PyBUF_WRITABLE)
        try:
            n = PyByteArray_GET_SIZE(app)
            if d.len < n:
                n = d.len
            if (0 < copied <= n and d.buf == self._copied_to
                    and (<PyByteArrayObject *>app).ob_start == self._copied_from):
                n = copied  # fill_fd put them there, the GIL released
            elif n >= 4 * NOGIL_THRESHOLD:
                # app_data stays exported meanwhile: nobody can resize it.
                PyObject_GetBuffer(app, &a, PyBUF_SIMPLE)
                with nogil:
                    memcpy(d.buf, a.buf, <size_t>n)
                PyBuffer_Release(&a)
            else:
                memcpy(d.buf, PyByteArray_AS_STRING(app), <size_t>n)
        finally:
            PyBuffer_Release(&d)
        _ba_drop_front(app, n)
        return n

    def take_app_data(self, Py_ssize_t max_bytes=-1):
        """Take up to max_bytes (-1: all) of decrypted application data
        from the front of app_data as bytes; app_data keeps its allocation."""
        cdef bytearray app = self.app_data
        cdef Py_ssize_t n = PyByteArray_GET_SIZE(app)
        self._copied = 0
        if 0 <= max_bytes < n:
            n = max_bytes
        data = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(app), n)
        _ba_drop_front(app, n)
        return data

    def drop_outgoing(self, Py_ssize_t n):
        """Remove the first n bytes of the outgoing bytearray (sent to the
        wire), keeping its allocation for the next records."""
        _ba_drop_front(self._outgoing, n)

    @property
    def bytes_buffered(self):
        """Received bytes not yet consumed (an incomplete record)."""
        cdef Py_ssize_t n = PyByteArray_GET_SIZE(self._inbuf)
        if self._held is not None:
            n += PyBytes_GET_SIZE(self._held) - self._held_pos
        return n

    def receive(self):
        """Open the buffered complete records, in order, in one C call.

        Protected application data is appended to app_data.

        Returns:
            (content_type, payload) of the first other record: handshake,
            alert, the change_cipher_spec (payload b"\\x01", never
            protected), or any record before a read key is set (application
            data included), for the Connection to accept or refuse; None
            when no complete record is left.

        Raises:
            TLSAlert: a malformed, oversized or unauthentic record, with the
                alert to send (RFC 8446 §5, §6). Every later call raises it
                again; records after the bad one are never opened.
        """
        if self._failure is not None:
            raise self._failure
        if self._pre_ready:
            return self._commit_pre()
        # Locals keep the input and output alive while the GIL is released.
        cdef bytes held = self._held
        cdef bytearray inbuf = self._inbuf
        cdef bytearray app = self.app_data
        cdef cytls_record_protector *rp = self._read.p
        cdef cytls_record_result res
        cdef const uint8_t *src
        cdef uint8_t *dst
        cdef Py_ssize_t in_len, old
        cdef Py_ssize_t pos = 0
        cdef Py_buffer in_view
        cdef Py_buffer app_view
        if held is not None:
            pos = self._held_pos
            in_len = PyBytes_GET_SIZE(held) - pos
            if pos < 0 or in_len < 0:
                raise RuntimeError("record input offset out of range")
            src = <const uint8_t *>PyBytes_AS_STRING(held) + pos
        else:
            in_len = PyByteArray_GET_SIZE(inbuf)
            if in_len == 0:
                return None
            src = <const uint8_t *>PyByteArray_AS_STRING(inbuf)
        old = PyByteArray_GET_SIZE(app)
        _ba_set_len(app, old + in_len)
        if in_len >= NOGIL_THRESHOLD:
            # Both bytearrays stay exported while C runs, so no other
            # thread can resize them (held bytes are immutable).
            PyObject_GetBuffer(app, &app_view, PyBUF_WRITABLE)
            if held is None:
                try:
                    PyObject_GetBuffer(inbuf, &in_view, PyBUF_SIMPLE)
                except BaseException:
                    PyBuffer_Release(&app_view)
                    raise
            dst = <uint8_t *>app_view.buf + old
            with nogil:
                cytls_record_open(rp, &res, dst, <size_t>in_len, src, <size_t>in_len)
            if held is None:
                PyBuffer_Release(&in_view)
            PyBuffer_Release(&app_view)
        else:
            dst = <uint8_t *>PyByteArray_AS_STRING(app) + old
            cytls_record_open(rp, &res, dst, <size_t>in_len, src, <size_t>in_len)
        return self._finish_open(held, &res, dst, old, pos)

    cdef object _finish_open(self, bytes held, cytls_record_result *r, uint8_t *dst,
                             Py_ssize_t old, Py_ssize_t pos):
        # The Python side of one cytls_record_open call: what receive()
        # returns, the buffers cut to what was opened and consumed.
        cdef bytearray inbuf = self._inbuf
        cdef bytearray app = self.app_data
        cdef cytls_record_result res = r[0]
        payload = None
        if res.status == CYTLS_RECORD_STOPPED:
            payload = PyBytes_FromStringAndSize(<char *>dst + res.app_len,
                                                <Py_ssize_t>res.payload_len)
            # Leave no handshake plaintext behind in the spare capacity.
            memset(dst + res.app_len, 0, res.payload_len)
        _ba_set_len(app, old + <Py_ssize_t>res.app_len)
        if old + <Py_ssize_t>res.app_len == 0:
            _ba_drop_front(app, 1)  # empty: keeps or gives back its allocation
        if res.status == CYTLS_RECORD_ERROR:
            failure = self._record_error(res.alert,
                                         cytls_record_error_string(res.error).decode("ascii"))
            self._failure = failure
            self._held = None
            self._held_pos = 0
            _ba_drop_front(inbuf, PyByteArray_GET_SIZE(inbuf))
            raise failure
        if held is not None:
            if self._held is not held:
                raise RuntimeError("record layer fed from another thread during receive()")
            pos += <Py_ssize_t>res.consumed
            if pos >= PyBytes_GET_SIZE(held):
                self._held = None
                self._held_pos = 0
            else:
                self._held_pos = pos
        elif res.consumed:
            _ba_drop_front(inbuf, <Py_ssize_t>res.consumed)
        if res.status == CYTLS_RECORD_STOPPED:
            return (res.type, payload)
        return None

    cdef object _commit_pre(self):
        # Hand over what fill_fd() opened: its plaintext lies past the end
        # of app_data, whose first byte the terminating NUL overwrote.
        # (ob_start, not PyByteArray_AS_STRING: that is a shared static
        # string while the bytearray is empty.)
        cdef bytearray app = self.app_data
        cdef Py_ssize_t old = self._pre_old
        self._pre_ready = False
        if (PyByteArray_GET_SIZE(app) != old
                or <uint8_t *>(<PyByteArrayObject *>app).ob_start + old != self._pre_dst):
            raise RuntimeError("record layer changed between fill_fd() and receive()")
        self._pre_dst[0] = self._pre_byte
        return self._finish_open(None, &self._pre, self._pre_dst, old, 0)
