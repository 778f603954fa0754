# The memory-BIO reader's fast path, included by _core.pyx after
# _core_record.pxi (RecordIO, whose buffers and _pre hand-over it uses).
#
# An event loop's SSL transport (asyncio's sslproto) pulls a batch of
# ciphertext out of a memory BIO and wants its plaintext as one bytes
# object. Through feed(), receive() and take_app_data() the plaintext is
# written to app_data and then copied into that bytes object; here the
# records are opened straight into the bytes object that is returned, which
# nobody else sees until then (so the GIL may be released meanwhile, and a
# record that fails leaves nothing readable behind). Anything but
# application data (a handshake message, an alert, an error) goes to the
# Connection as after fill_fd(): opened, kept in RecordIO._pre for the
# receive() that must follow.

from cpython.bytes cimport _PyBytes_Resize
from cpython.object cimport PyObject
from cpython.ref cimport Py_XDECREF


cdef extern from "Python.h":
    # A new reference as a plain pointer: _PyBytes_Resize needs the only one.
    PyObject *_new_bytes "PyBytes_FromStringAndSize"(const char *v, Py_ssize_t n) except NULL


cdef void _open_two(cytls_record_protector *rp, cytls_record_result *r1,
                    cytls_record_result *r2, uint8_t *dst, size_t cap,
                    const uint8_t *s1, size_t n1, const uint8_t *s2, size_t n2) noexcept nogil:
    # The records of s1 then s2 (when s1 ended on a record boundary with
    # nothing but application data), their plaintext contiguous at dst.
    memset(r1, 0, sizeof(r1[0]))
    memset(r2, 0, sizeof(r2[0]))
    if n1:
        cytls_record_open(rp, r1, dst, cap, s1, n1)
    if n2 and r1.status == CYTLS_RECORD_NEED_MORE and r1.consumed == n1:
        cytls_record_open(rp, r2, dst + r1.app_len, cap - r1.app_len, s2, n2)


cdef object _open_app_bytes(RecordIO io, object data, Py_ssize_t limit):
    # See RecordIO.open_app_bytes.
    cdef bytearray inbuf = io._inbuf
    cdef bytearray app = io.app_data
    cdef cytls_record_protector *rp = io._read.p
    cdef cytls_record_result r1, r2, res
    cdef Py_buffer in_view
    cdef bytes held
    cdef object out
    cdef PyObject *raw = NULL
    cdef uint8_t *dst
    cdef const uint8_t *s2 = NULL
    cdef Py_ssize_t k, h = 0, total, plain, keep
    io._feed(data)
    if (io._failure is not None or io._pre_ready or PyByteArray_GET_SIZE(app)
            or limit <= 0):
        return None
    held = io._held
    k = PyByteArray_GET_SIZE(inbuf)
    if held is not None:
        h = PyBytes_GET_SIZE(held) - io._held_pos
        s2 = <const uint8_t *>PyBytes_AS_STRING(held) + io._held_pos
    total = k + h
    if total < 5:
        return b""  # not even a record header
    if 2 * limit < total:
        # Most of the batch would stay behind: the copy into app_data
        # would cost more than the one saved. receive() opens it there.
        return None
    # Plaintext is never longer than the ciphertext it came from. Nobody
    # else sees the new bytes object until it is returned.
    raw = _new_bytes(NULL, total)
    try:
        dst = <uint8_t *>PyBytes_AS_STRING(<object>raw)
        # The input buffer stays exported while C runs: nobody can resize it.
        PyObject_GetBuffer(inbuf, &in_view, PyBUF_SIMPLE)
        if total >= NOGIL_THRESHOLD:
            with nogil:
                _open_two(rp, &r1, &r2, dst, <size_t>total, <const uint8_t *>in_view.buf,
                          <size_t>k, s2, <size_t>h)
        else:
            _open_two(rp, &r1, &r2, dst, <size_t>total, <const uint8_t *>in_view.buf,
                      <size_t>k, s2, <size_t>h)
        PyBuffer_Release(&in_view)
        if io._held is not held:
            raise RuntimeError("record layer fed from another thread during open_app_bytes()")
        _ba_drop_front(inbuf, <Py_ssize_t>r1.consumed)
        if r1.status != CYTLS_RECORD_NEED_MORE:
            return _hand_over(io, &r1, dst)
        if held is not None and r1.consumed == <size_t>k:
            io._held_pos += <Py_ssize_t>r2.consumed
            if r2.status != CYTLS_RECORD_NEED_MORE:
                res = r2
                res.app_len += r1.app_len
                if io._held_pos >= PyBytes_GET_SIZE(held):
                    io._held = None
                    io._held_pos = 0
                return _hand_over(io, &res, dst)
        # Application data only. What is left is at most one incomplete
        # record: copied into the input buffer, so that the batch is not
        # kept alive by it.
        io._unhold()
        plain = <Py_ssize_t>(r1.app_len + r2.app_len)
        if plain > limit:
            keep = plain - limit
            _ba_set_len(app, keep)
            memcpy(PyByteArray_AS_STRING(app), dst + limit, <size_t>keep)
            plain = limit
        _PyBytes_Resize(&raw, plain)  # raw NULL if it fails
        out = <object>raw
        return out
    finally:
        Py_XDECREF(raw)


cdef object _hand_over(RecordIO io, cytls_record_result *r, uint8_t *dst):
    # Move what a batch opened into app_data's spare capacity, for receive()
    # to hand over (see _commit_pre): the plaintext up to the record that
    # stopped the batch, then that record's payload (wiped here).
    cdef bytearray app = io.app_data
    cdef Py_ssize_t n = <Py_ssize_t>(r.app_len + r.payload_len)
    cdef uint8_t *at
    _ba_set_len(app, n if n > 0 else 1)
    at = <uint8_t *>(<PyByteArrayObject *>app).ob_start
    memcpy(at, dst, <size_t>n)
    memset(dst + r.app_len, 0, r.payload_len)
    io._pre = r[0]
    io._pre.consumed = 0  # already taken off the inputs
    io._pre_old = 0
    io._pre_dst = at
    io._pre_byte = at[0]
    _ba_set_len(app, 0)
    io._pre_ready = True
    return None
