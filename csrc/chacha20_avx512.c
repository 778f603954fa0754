/*
 * chacha20_avx512.c -- ChaCha20 on AVX-512F, sixteen blocks at once: each
 * state word lives in one 512-bit register holding that word of sixteen
 * blocks, with the native 32-bit rotate. Tails of up to eight blocks go to
 * the AVX2 code. Constant time: add/xor/rotate/fixed shuffles only.
 */
#include "chacha20_common.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>

#define ADD(a, b) _mm512_add_epi32(a, b)
#define XOR(a, b) _mm512_xor_si512(a, b)
#define ROL(v, n) _mm512_rol_epi32(v, n)

#define QR(a, b, c, d)                                                    \
    do {                                                                  \
        a = ADD(a, b); d = XOR(d, a); d = ROL(d, 16);                     \
        c = ADD(c, d); b = XOR(b, c); b = ROL(b, 12);                     \
        a = ADD(a, b); d = XOR(d, a); d = ROL(d, 8);                      \
        c = ADD(c, d); b = XOR(b, c); b = ROL(b, 7);                      \
    } while (0)

/* 4x4 transpose of 32-bit words within each 128-bit lane. */
#define TRANSPOSE4(a, b, c, d)                                            \
    do {                                                                  \
        __m512i t0 = _mm512_unpacklo_epi32(a, b);                         \
        __m512i t1 = _mm512_unpacklo_epi32(c, d);                         \
        __m512i t2 = _mm512_unpackhi_epi32(a, b);                         \
        __m512i t3 = _mm512_unpackhi_epi32(c, d);                         \
        a = _mm512_unpacklo_epi64(t0, t1);                                \
        b = _mm512_unpackhi_epi64(t0, t1);                                \
        c = _mm512_unpacklo_epi64(t2, t3);                                \
        d = _mm512_unpackhi_epi64(t2, t3);                                \
    } while (0)

#define LOADU(p) _mm512_loadu_si512((const void *)(p))
#define STOREU(p, v) _mm512_storeu_si512((void *)(p), v)

/* XOR 1024 bytes of keystream (blocks ctr..ctr+15) into in, to out. */
static void sixteen_blocks(uint8_t *out, const uint8_t *in,
                           const uint32_t s[16], uint32_t ctr)
{
    __m512i x[16], o[16];
    for (int i = 0; i < 16; i++)
        o[i] = _mm512_set1_epi32((int)s[i]);
    /* 32-bit lane additions wrap the counter modulo 2^32. */
    o[12] = ADD(_mm512_set1_epi32((int)ctr),
                _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
                                 3, 2, 1, 0));
    for (int i = 0; i < 16; i++)
        x[i] = o[i];
    for (int r = 0; r < 10; r++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        x[i] = ADD(x[i], o[i]);
    for (int g = 0; g < 4; g++)
        TRANSPOSE4(x[4 * g], x[4 * g + 1], x[4 * g + 2], x[4 * g + 3]);
    /* x[4g+b], 128-bit lane k, holds words 4g..4g+3 of block b+4k.
     * Transpose the 4x4 grid of 128-bit lanes per b to get whole blocks. */
    for (int b = 0; b < 4; b++) {
        __m512i a = _mm512_shuffle_i32x4(x[b], x[4 + b], 0x44);
        __m512i c = _mm512_shuffle_i32x4(x[8 + b], x[12 + b], 0x44);
        __m512i e = _mm512_shuffle_i32x4(x[b], x[4 + b], 0xee);
        __m512i f = _mm512_shuffle_i32x4(x[8 + b], x[12 + b], 0xee);
        __m512i k0 = _mm512_shuffle_i32x4(a, c, 0x88); /* block b */
        __m512i k1 = _mm512_shuffle_i32x4(a, c, 0xdd); /* block b+4 */
        __m512i k2 = _mm512_shuffle_i32x4(e, f, 0x88); /* block b+8 */
        __m512i k3 = _mm512_shuffle_i32x4(e, f, 0xdd); /* block b+12 */
        STOREU(out + 64 * b, XOR(k0, LOADU(in + 64 * b)));
        STOREU(out + 64 * (b + 4), XOR(k1, LOADU(in + 64 * (b + 4))));
        STOREU(out + 64 * (b + 8), XOR(k2, LOADU(in + 64 * (b + 8))));
        STOREU(out + 64 * (b + 12), XOR(k3, LOADU(in + 64 * (b + 12))));
    }
}

void cytls_chacha20_avx512(uint8_t *out, const uint8_t *in, size_t len,
                           const uint8_t key[32], const uint8_t nonce[12],
                           uint32_t counter)
{
    uint32_t s[16];
    if (len <= 512) {
        cytls_chacha20_avx2(out, in, len, key, nonce, counter);
        return;
    }
    cytls_chacha20_init_state(s, key, nonce, counter);
    while (len >= 1024) {
        sixteen_blocks(out, in, s, counter);
        counter += 16;
        out += 1024;
        in += 1024;
        len -= 1024;
    }
    if (len > 512) {
        /* The tail: keystream of sixteen blocks into a buffer. */
        _Alignas(64) uint8_t buf[1024];
        cytls_chacha20_tail(out, in, len, buf, sizeof buf, sixteen_blocks, s,
                            counter);
    } else if (len > 0) {
        cytls_chacha20_avx2(out, in, len, key, nonce, counter);
    }
    cytls_memzero(s, sizeof s);
}

#else
typedef int cytls_chacha20_avx512_unused; /* ISO C forbids an empty file */
#endif
