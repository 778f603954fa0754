# Socket I/O fused with the record layer, included by _core.pyx.
#
# The socket adapter (_ssl/sslsocket.py) owns its socket, timeouts and
# waits; for one call it lends the socket's descriptor, so that recv() and
# the opening of the records it brought (or the sealing of a write and its
# send()) run in one stretch with the GIL released. Each GIL release and
# re-acquisition is a hand-over between threads that both want it, so two
# connections on two threads scale only when there are few of them: here
# one per direction per batch. Nothing here waits on a timeout or raises a
# socket error on the write side: a send() the socket refuses leaves the
# records queued, and the adapter's own path (poll, sendall) sends them and
# reports its errors as the ssl module would.

from cpython.exc cimport PyErr_CheckSignals
from libc.errno cimport EINTR, errno
from libc.string cimport strerror


cdef extern from "<sys/socket.h>" nogil:
    ssize_t c_recv "recv"(int fd, void *buf, size_t n, int flags)
    ssize_t c_send "send"(int fd, const void *buf, size_t n, int flags)


cdef Py_ssize_t _fill_fd(RecordIO io, int fd, Py_ssize_t size, bint open_now,
                         object into, bint commit=False, Py_ssize_t limit=0) except -1:
    # One recv() into the input buffer, retried after signals (PEP 475);
    # with open_now, every complete record of the buffer is opened before
    # the GIL is taken back and kept in io._pre for receive(), and the
    # plaintext copied into `into` (when app_data was empty and no record
    # stopped the batch), so that a reader takes the GIL once per batch.
    cdef bytearray inbuf = io._inbuf
    cdef bytearray app = io.app_data
    cdef cytls_record_protector *rp = io._read.p
    cdef cytls_record_result res
    cdef Py_buffer in_view
    cdef Py_buffer app_view
    cdef Py_ssize_t old_in, old_app = 0
    cdef ssize_t got = 0
    cdef size_t total
    cdef int err = 0
    cdef uint8_t *dst = NULL
    cdef Py_buffer into_view
    cdef bint copy = False
    cdef size_t copied = 0
    if size <= 0:
        raise ValueError("size must be positive")
    if io._pre_ready:
        raise RuntimeError("fill_fd() twice without receive()")
    io._copied = 0
    io._unhold()
    if io._failure is not None:
        open_now = False  # receive() raises it; open nothing more
    copy = open_now and into is not None and PyByteArray_GET_SIZE(app) == 0
    while True:
        old_in = PyByteArray_GET_SIZE(inbuf)
        _ba_set_len(inbuf, old_in + size)
        if open_now:
            # Room for the plaintext of everything buffered: never more
            # than the ciphertext.
            old_app = PyByteArray_GET_SIZE(app)
            _ba_set_len(app, old_app + old_in + size)
        # Exported while the GIL is released: nobody can resize them.
        PyObject_GetBuffer(inbuf, &in_view, PyBUF_WRITABLE)
        if open_now:
            PyObject_GetBuffer(app, &app_view, PyBUF_WRITABLE)
            dst = <uint8_t *>app_view.buf + old_app
            if copy:
                try:
                    PyObject_GetBuffer(into, &into_view, PyBUF_WRITABLE)
                except BaseException:
                    PyBuffer_Release(&app_view)
                    PyBuffer_Release(&in_view)
                    _ba_set_len(inbuf, old_in)
                    _ba_set_len(app, old_app)
                    raise
        res.status = CYTLS_RECORD_NEED_MORE
        res.app_len = 0
        with nogil:
            got = c_recv(fd, <uint8_t *>in_view.buf + old_in, <size_t>size, 0)
            if got < 0:
                err = errno
            elif got > 0 and open_now:
                total = <size_t>old_in + <size_t>got
                cytls_record_open(rp, &res, dst, total, <const uint8_t *>in_view.buf, total)
                if copy and res.status == CYTLS_RECORD_NEED_MORE:
                    copied = res.app_len
                    if copied > <size_t>into_view.len:
                        copied = <size_t>into_view.len
                    if 0 < limit < <Py_ssize_t>copied:
                        copied = <size_t>limit
                    memcpy(into_view.buf, dst, copied)
        if copy:
            PyBuffer_Release(&into_view)
        if open_now:
            PyBuffer_Release(&app_view)
        PyBuffer_Release(&in_view)
        if got < 0:
            _ba_set_len(inbuf, old_in)
            if open_now:
                _ba_set_len(app, old_app)
            if err == EINTR:
                PyErr_CheckSignals()  # a handler's exception ends the call
                continue
            # OSError picks the subclass (BlockingIOError for EAGAIN, ...).
            raise OSError(err, strerror(err).decode("utf-8", "replace"))
        break
    _ba_set_len(inbuf, old_in + got)
    if not open_now:
        return got
    if got == 0:
        _ba_set_len(app, old_app)
        return 0
    if res.status != CYTLS_RECORD_ERROR:
        # What was opened is no longer buffered input (receive() drops
        # everything on an error).
        _ba_drop_front(inbuf, <Py_ssize_t>res.consumed)
    res.consumed = 0
    if commit and copy and res.status == CYTLS_RECORD_NEED_MORE:
        # Application data only (or a partial record): nothing for the
        # Connection to look at. app_data keeps what the buffer could not
        # take; io._copied says how much it took.
        _ba_set_len(app, <Py_ssize_t>res.app_len)
        if res.app_len == 0:
            _ba_drop_front(app, 1)  # empty: keeps or gives back its allocation
        else:
            _ba_drop_front(app, <Py_ssize_t>copied)
        io._copied = <Py_ssize_t>copied
        io._copied_to = NULL
        return got
    # app_data keeps its length until receive(): the Connection measures
    # what that call adds. Cutting it writes a NUL over the first byte
    # opened; _commit_pre puts the byte back.
    io._pre = res
    io._pre_old = old_app
    io._pre_dst = dst
    io._pre_byte = dst[0]
    _ba_set_len(app, old_app)
    io._pre_ready = True
    if copied:
        io._copied = <Py_ssize_t>copied
        io._copied_to = into_view.buf
        io._copied_from = <char *>dst
    return got


cdef int _send_fd(RecordIO io, int fd, object data) except -1:
    # Seal data straight into the (empty) outgoing bytearray and send() it
    # in the same stretch without the GIL; what was sent is dropped from
    # the front. Anything already queued, or a per-record padding policy,
    # takes the plain send() path, so that records stay in order.
    cdef Py_buffer d
    if not _sends_direct(io):
        io.send(23, data)
        return 0
    PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
    try:
        _seal_send(io, fd, &d)
    finally:
        PyBuffer_Release(&d)
    return 0


cdef inline bint _sends_direct(RecordIO io):
    # Whether a write may be sealed straight into the outgoing bytearray
    # and sent (see _send_fd).
    cdef RecordProtector write = io._write
    return not (io._out_array or io._out_chunks or PyByteArray_GET_SIZE(io._outgoing)
                or (io._pad_fn is not None and write.p.keyed and write.p.version == 0x0304))


cdef int _seal_send(RecordIO io, int fd, Py_buffer *d) except -1:
    # _send_fd's work once it applies: seal, send, keep what the socket
    # did not take.
    cdef RecordProtector write = io._write
    cdef bytearray out = io._outgoing
    cdef Py_buffer o
    cdef size_t need
    cdef size_t dlen = <size_t>d.len
    cdef size_t written = 0
    cdef size_t sent = 0
    cdef ssize_t r
    cdef uint8_t *dst
    cdef int ok
    need = cytls_record_seal_len(write.p, dlen)
    if need == 0:
        return 0
    _ba_set_len(out, <Py_ssize_t>need)
    PyObject_GetBuffer(out, &o, PyBUF_WRITABLE)
    dst = <uint8_t *>o.buf
    with nogil:
        ok = cytls_record_seal(write.p, dst, need, &written, 23, <const uint8_t *>d.buf, dlen)
        if ok:
            while sent < written:
                r = c_send(fd, dst + sent, written - sent, 0)
                if r < 0:
                    break  # EAGAIN, EINTR or an error: the adapter's turn
                sent += <size_t>r
    PyBuffer_Release(&o)
    if not ok:
        _ba_set_len(out, 0)
        raise io._seal_limit_error()
    _ba_set_len(out, <Py_ssize_t>written)
    _ba_drop_front(out, <Py_ssize_t>sent)
    return 0


cdef Py_ssize_t _send_app(RecordIO io, int fd, object data, uint64_t seq_limit) except -3:
    # See RecordIO.send_app.
    cdef Py_buffer d
    cdef Py_ssize_t n
    if not _sends_direct(io) or io._write.p.seq >= seq_limit:
        return -1
    try:
        PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
    except (BufferError, TypeError):
        return -1  # not one contiguous buffer: the caller's full path says so
    n = d.len
    try:
        _seal_send(io, fd, &d)
    finally:
        PyBuffer_Release(&d)
    if PyByteArray_GET_SIZE(io._outgoing) or io._write.p.seq >= seq_limit:
        return -2
    return n


cdef Py_ssize_t _recv_app_into(RecordIO io, int fd, Py_ssize_t size, object into,
                               Py_ssize_t limit=0) except -4:
    # See RecordIO.recv_app_into.
    cdef Py_ssize_t got
    cdef Py_buffer v
    if PyByteArray_GET_SIZE(io.app_data) or io._failure is not None:
        return -2
    try:
        PyObject_GetBuffer(into, &v, PyBUF_WRITABLE)
    except (BufferError, TypeError):
        return -3  # not one writable contiguous buffer: the full path says so
    got = v.len
    PyBuffer_Release(&v)
    if got == 0:
        return -3
    got = _fill_fd(io, fd, size, True, into, True, limit)
    if got == 0:
        return -1
    if io._pre_ready:
        return -2
    got = io._copied
    io._copied = 0
    return got
