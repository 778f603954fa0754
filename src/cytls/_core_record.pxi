# Record-layer binding (csrc/record.c), part 2, included by _core.pyx after
# _core_protector.pxi (the bytearray helpers and RecordProtector it uses):
# RecordIO, a connection's buffers and its one C call per send() or
# receive(). The socket-descriptor variants are in _core_sockio.pxi.


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

        A bytes object is kept by reference (it is immutable), so the
        common case copies nothing here: when a record began in what is
        buffered, only the bytes that complete it are copied (the rest of
        data is held from that record boundary on).
        """
        self._feed(data)

    cdef int _feed(self, object data) except -1:
        cdef bytearray inbuf = self._inbuf
        cdef Py_ssize_t old, n, bridge
        cdef Py_buffer d
        self._copied = 0
        self._unhold()
        if type(data) is bytes:
            n = PyBytes_GET_SIZE(<bytes>data)
            bridge = self._bridge_len(<const uint8_t *>PyBytes_AS_STRING(<bytes>data), n)
            if bridge < n:
                # Invariant relied on by receive(): with bytes held, the
                # input buffer ends on a record boundary.
                if bridge:
                    old = PyByteArray_GET_SIZE(inbuf)
                    _ba_set_len(inbuf, old + bridge)
                    memcpy(PyByteArray_AS_STRING(inbuf) + old, PyBytes_AS_STRING(<bytes>data),
                           <size_t>bridge)
                self._held = <bytes>data
                self._held_pos = bridge
                return 0
        PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
        try:
            old = PyByteArray_GET_SIZE(inbuf)
            _ba_set_len(inbuf, old + d.len)
            memcpy(PyByteArray_AS_STRING(inbuf) + old, d.buf, <size_t>d.len)
        finally:
            PyBuffer_Release(&d)
        return 0

    cdef Py_ssize_t _bridge_len(self, const uint8_t *d, Py_ssize_t n):
        # How many leading bytes of d (n long) complete the record the input
        # buffer ends inside: 0 when it ends on a record boundary, n or more
        # when d cannot complete it (or its header). Record lengths are read
        # from the headers as they stand; a bad one fails in receive().
        cdef const uint8_t *b = <const uint8_t *>PyByteArray_AS_STRING(self._inbuf)
        cdef Py_ssize_t k = PyByteArray_GET_SIZE(self._inbuf)
        cdef Py_ssize_t pos = 0, rec, have, need
        cdef uint8_t h3, h4
        while k - pos >= 5:
            rec = 5 + ((<Py_ssize_t>b[pos + 3] << 8) | b[pos + 4])
            if k - pos < rec:
                return rec - (k - pos)
            pos += rec
        have = k - pos
        if have == 0:
            return 0
        # 1 to 4 bytes of a header: its length bytes may lie in d.
        need = 5 - have
        if n < need:
            return n
        h3 = b[pos + 3] if have > 3 else d[3 - have]
        h4 = d[4 - have]
        rec = 5 + ((<Py_ssize_t>h3 << 8) | h4)
        return rec - have

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
        cdef Py_ssize_t old, got = 0
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

    def recv_app_into(self, int fd, Py_ssize_t size, into, Py_ssize_t limit=0):
        """The socket reader's fast path once traffic flows: fill_fd with
        open_now and `into` (any writable contiguous buffer, its first
        `limit` bytes when 0 < limit), and when the batch held application
        data only, hand it over at once (what `into` could not take stays
        in app_data). Only while app_data is empty.

        Returns:
            The bytes copied into `into` (0: only part of a record came),
            -1 at end of stream, -2 when the Connection must look at the
            batch (a record other than application data, an error, or
            app_data not empty): call receive() as after fill_fd, or -3
            when `into` is empty or not a writable contiguous buffer
            (nothing is done).

        Raises:
            OSError: recv() failed; nothing is taken then.
        """
        return _recv_app_into(self, fd, size, into, limit)

    def open_app_bytes(self, data, Py_ssize_t limit):
        """The memory-BIO reader's fast path once traffic flows: feed data
        and, when app_data is empty and the batch holds application data
        only, open it straight into the bytes object returned (up to limit
        bytes; the rest stays in app_data). See _core_bio.pxi.

        Returns:
            The plaintext (b"" when no complete record came), or None when
            the Connection must call receive() as after feed(): a record
            other than application data or an error (opened already, and
            handed over by that receive()), app_data not empty, or a limit
            under half the batch.
        """
        return _open_app_bytes(self, data, limit)

    def send_fd(self, int fd, data):
        """Seal data as application data records and write them to the
        socket descriptor fd in the same step, the GIL released; what the
        socket does not take at once stays queued, as after send(). See
        _core_sockio.pxi.

        Raises:
            As send(); never the socket's errors (the rest stays queued).
        """
        _send_fd(self, fd, data)

    def send_app(self, int fd, data, uint64_t seq_limit):
        """The socket writer's fast path once traffic flows: send_fd, only
        when it seals straight into the wire (nothing queued before) and
        the write key has sealed fewer than seq_limit records.

        Returns:
            The bytes taken (all of data), everything sent and the key
            still under seq_limit; -1 when this path does not apply
            (nothing is done; data not one contiguous buffer, output
            queued, padding per record, or the key at seq_limit); -2 when
            data was taken but what the socket did not take stays queued,
            or the key reached seq_limit with it.

        Raises:
            As send().
        """
        return _send_app(self, fd, data, seq_limit)

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
        if self._held is not None and PyByteArray_GET_SIZE(self._inbuf):
            # The records that feed() completed with the first bytes of the
            # held object come first (they end on a record boundary).
            item = self._open(None)
            if item is not None:
                return item
            if PyByteArray_GET_SIZE(self._inbuf):
                self._unhold()  # not on a boundary after all: one buffer
                return self._open(None)
        return self._open(self._held)

    cdef object _open(self, bytes held):
        # One cytls_record_open call over the held bytes (from _held_pos)
        # or, held None, the input buffer.
        # Locals keep the input and output alive while the GIL is released.
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
