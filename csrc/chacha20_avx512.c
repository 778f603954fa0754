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

/* Store the sixteen blocks of keystream in x (after the rounds and the
 * feed-forward) XORed into in, to out: transposes words to blocks. */
static inline void store_sixteen(uint8_t *out, const uint8_t *in, __m512i x[16])
{
    for (int g = 0; g < 4; g++)
        TRANSPOSE4(x[4 * g], x[4 * g + 1], x[4 * g + 2], x[4 * g + 3]);
    for (int b = 0; b < 4; b++) {
        __m512i a = _mm512_shuffle_i32x4(x[b], x[4 + b], 0x44);
        __m512i c = _mm512_shuffle_i32x4(x[8 + b], x[12 + b], 0x44);
        __m512i e = _mm512_shuffle_i32x4(x[b], x[4 + b], 0xee);
        __m512i f = _mm512_shuffle_i32x4(x[8 + b], x[12 + b], 0xee);
        STOREU(out + 64 * b,
               XOR(_mm512_shuffle_i32x4(a, c, 0x88), LOADU(in + 64 * b)));
        STOREU(out + 64 * (b + 4),
               XOR(_mm512_shuffle_i32x4(a, c, 0xdd), LOADU(in + 64 * (b + 4))));
        STOREU(out + 64 * (b + 8),
               XOR(_mm512_shuffle_i32x4(e, f, 0x88), LOADU(in + 64 * (b + 8))));
        STOREU(out + 64 * (b + 12),
               XOR(_mm512_shuffle_i32x4(e, f, 0xdd), LOADU(in + 64 * (b + 12))));
    }
}

/* Two quarter rounds, one on each of two independent block groups, step by
 * step interleaved: a 512-bit add or rotate has a latency of two cycles on
 * recent cores, so one group's four quarter-round chains leave half the
 * vector pipes idle, and the second group fills them. */
#define QR2(a, b, c, d, e, f, g, h)                                       \
    do {                                                                  \
        a = ADD(a, b); e = ADD(e, f); d = XOR(d, a); h = XOR(h, e);       \
        d = ROL(d, 16); h = ROL(h, 16);                                   \
        c = ADD(c, d); g = ADD(g, h); b = XOR(b, c); f = XOR(f, g);       \
        b = ROL(b, 12); f = ROL(f, 12);                                   \
        a = ADD(a, b); e = ADD(e, f); d = XOR(d, a); h = XOR(h, e);       \
        d = ROL(d, 8); h = ROL(h, 8);                                     \
        c = ADD(c, d); g = ADD(g, h); b = XOR(b, c); f = XOR(f, g);       \
        b = ROL(b, 7); f = ROL(f, 7);                                     \
    } while (0)

/* XOR 2048 bytes of keystream (blocks ctr..ctr+31) into in, to out: two
 * groups of sixteen blocks whose rounds run interleaved. All 32 vector
 * registers hold state during the rounds; the input words are broadcast
 * again from s for the feed-forward rather than kept in registers. */
static void thirtytwo_blocks(uint8_t *out, const uint8_t *in,
                             const uint32_t s[16], uint32_t ctr)
{
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7,
                                          6, 5, 4, 3, 2, 1, 0);
    /* 32-bit lane additions wrap the counter modulo 2^32. */
    __m512i x[16], y[16];
    for (int i = 0; i < 16; i++)
        x[i] = y[i] = _mm512_set1_epi32((int)s[i]);
    x[12] = ADD(_mm512_set1_epi32((int)ctr), lane);
    y[12] = ADD(_mm512_set1_epi32((int)(ctr + 16)), lane);
    for (int r = 0; r < 10; r++) {
        QR2(x[0], x[4], x[8], x[12], y[0], y[4], y[8], y[12]);
        QR2(x[1], x[5], x[9], x[13], y[1], y[5], y[9], y[13]);
        QR2(x[2], x[6], x[10], x[14], y[2], y[6], y[10], y[14]);
        QR2(x[3], x[7], x[11], x[15], y[3], y[7], y[11], y[15]);
        QR2(x[0], x[5], x[10], x[15], y[0], y[5], y[10], y[15]);
        QR2(x[1], x[6], x[11], x[12], y[1], y[6], y[11], y[12]);
        QR2(x[2], x[7], x[8], x[13], y[2], y[7], y[8], y[13]);
        QR2(x[3], x[4], x[9], x[14], y[3], y[4], y[9], y[14]);
    }
    /* Hide s and ctr from the optimiser here, so that it loads them again
     * instead of keeping the broadcasts above live (and spilled) through
     * the rounds. */
    const uint32_t *t = s;
    uint32_t tc = ctr;
    __asm__("" : "+r"(t), "+r"(tc));
    for (int i = 0; i < 16; i++) {
        if (i == 12) {
            x[i] = ADD(x[i], ADD(_mm512_set1_epi32((int)tc), lane));
            y[i] = ADD(y[i], ADD(_mm512_set1_epi32((int)(tc + 16)), lane));
        } else {
            x[i] = ADD(x[i], _mm512_set1_epi32((int)t[i]));
            y[i] = ADD(y[i], _mm512_set1_epi32((int)t[i]));
        }
    }
    store_sixteen(out, in, x);
    store_sixteen(out + 1024, in + 1024, y);
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
    while (len >= 2048) {
        thirtytwo_blocks(out, in, s, counter);
        counter += 32;
        out += 2048;
        in += 2048;
        len -= 2048;
    }
    if (len >= 1024) {
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
