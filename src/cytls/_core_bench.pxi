# The raw-AEAD baseline of benchmarks/bench_record.py, included by _core.pyx.

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport UINT64_MAX, uint64_t
from libc.string cimport memset


cdef inline void _counter_nonce(uint8_t *nonce, uint64_t value) noexcept nogil:
    # nonce = 0^32 || value, big-endian: a full 64-bit counter.
    cdef int j
    for j in range(8):
        nonce[4 + j] = <uint8_t>(value >> (56 - 8 * j))


cdef class _RawAEADBaseline:
    """The raw-AEAD baseline of benchmarks/bench_record.py: seal_open(data)
    seals data as chunk-byte messages into one ciphertext buffer, then
    opens them all into one plaintext buffer, in one C call, with no
    framing. The key is expanded once here and the buffers are reused
    across calls (the AEAD context 64-byte aligned, as record.c keeps it),
    so that it measures the AEAD alone: the strictest baseline.
    """
    cdef char *raw
    cdef cytls_aead *aead
    cdef uint8_t *ct
    cdef uint8_t *pt
    cdef size_t cap
    cdef size_t chunk
    cdef bint keyed
    cdef uint64_t counter

    def __cinit__(self, int alg, key, Py_ssize_t chunk):
        if chunk <= 0 or chunk > 65536:
            raise ValueError("bad chunk size")
        self.chunk = <size_t>chunk
        self.raw = <char *>PyMem_Malloc(sizeof(cytls_aead) + 64)
        if self.raw == NULL:
            raise MemoryError()
        self.aead = <cytls_aead *>(self.raw + (64 - (<size_t>self.raw & 63)))
        cdef _Buf k = _Buf(key)
        if not cytls_aead_init(self.aead, <cytls_aead_alg>alg, _ptr(k), <size_t>k.view.len):
            raise ValueError("bad AEAD algorithm or key length")
        self.keyed = True

    def __dealloc__(self):
        if self.keyed:
            cytls_aead_clear(self.aead)
        PyMem_Free(self.raw)
        PyMem_Free(self.ct)
        PyMem_Free(self.pt)

    def seal_open(self, data):
        """Seal then open data as chunk-byte messages; True if every open
        verified.

        Raises:
            MemoryError: the buffers could not grow.
        """
        cdef Py_buffer d
        cdef size_t n, num, off, m, i
        cdef uint8_t nonce[12]
        cdef uint8_t aad[5]
        cdef int ok = 1
        cdef size_t chunk = self.chunk
        cdef uint8_t *ct
        cdef uint8_t *pt
        cdef uint64_t first
        PyObject_GetBuffer(data, &d, PyBUF_SIMPLE)
        try:
            n = <size_t>d.len
            num = (n + chunk - 1) // chunk
            if num > UINT64_MAX - self.counter:
                raise OverflowError("nonce counter exhausted")
            if n + 16 * num + 1 > self.cap:
                PyMem_Free(self.ct)
                PyMem_Free(self.pt)
                self.cap = 0
                self.ct = <uint8_t *>PyMem_Malloc(n + 16 * num + 1)
                self.pt = <uint8_t *>PyMem_Malloc(n + 16 * num + 1)
                if self.ct == NULL or self.pt == NULL:
                    raise MemoryError()
                self.cap = n + 16 * num + 1
            ct = self.ct
            pt = self.pt
            memset(nonce, 0, 12)
            memset(aad, 23, 5)
            # Every chunk ever sealed under this key gets the next value of
            # a 64-bit counter as its nonce (big-endian in the last 8
            # bytes, as TLS builds them), so no nonce repeats, however many
            # chunks one call holds. The opens replay the same values.
            first = self.counter
            self.counter += num
            with nogil:
                off = 0
                i = 0
                while off < n:
                    m = n - off if n - off < chunk else chunk
                    _counter_nonce(nonce, first + i)
                    cytls_aead_seal(self.aead, ct + off + 16 * i, nonce, aad, 5,
                                    <const uint8_t *>d.buf + off, m)
                    off += m
                    i += 1
                off = 0
                i = 0
                while off < n:
                    m = n - off if n - off < chunk else chunk
                    _counter_nonce(nonce, first + i)
                    ok &= cytls_aead_open(self.aead, pt + off, nonce, aad, 5, ct + off + 16 * i,
                                          m + 16)
                    off += m
                    i += 1
        finally:
            PyBuffer_Release(&d)
        return ok == 1
