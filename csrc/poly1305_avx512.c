/*
 * poly1305_avx512.c -- Poly1305 on AVX-512F, eight blocks per step.
 *
 * The message is split across eight lanes of 64-bit words holding 26-bit
 * limbs: lane j accumulates blocks j, j+8, j+16, ... multiplied by r^8 at
 * each step, and the last step multiplies each lane by the power of r that
 * its block still owes (r^8 .. r^1) before the lanes are summed. The
 * 32x32->64 multiplies (vpmuludq) and all other operations take the same
 * time for every value, and nothing branches on or indexes by secret data,
 * so this is constant time. Short inputs and tails use the scalar radix
 * 2^26 code, whose state layout (chapoly_impl.h) the lanes share.
 */
#include "chapoly_impl.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>

#define LANES 8
#define POW_FLAG 14   /* w[14]: 1 once the powers of r are in w[16..] */
#define POW_BASE 16   /* w[16 + 5(k-1) + i]: limb i of r^k, k = 1..8 */

/* out = a * b mod 2^130 - 5 in 26-bit limbs, limbs left just above 2^26
 * at most. */
static void mul26(uint64_t out[5], const uint64_t a[5], const uint64_t b[5])
{
    const uint64_t m = 0x3ffffff;
    uint64_t s1 = b[1] * 5, s2 = b[2] * 5, s3 = b[3] * 5, s4 = b[4] * 5;
    uint64_t d0 = a[0] * b[0] + a[1] * s4 + a[2] * s3 + a[3] * s2 + a[4] * s1;
    uint64_t d1 = a[0] * b[1] + a[1] * b[0] + a[2] * s4 + a[3] * s3 + a[4] * s2;
    uint64_t d2 = a[0] * b[2] + a[1] * b[1] + a[2] * b[0] + a[3] * s4 + a[4] * s3;
    uint64_t d3 = a[0] * b[3] + a[1] * b[2] + a[2] * b[1] + a[3] * b[0] + a[4] * s4;
    uint64_t d4 = a[0] * b[4] + a[1] * b[3] + a[2] * b[2] + a[3] * b[1] + a[4] * b[0];
    d1 += d0 >> 26;
    d2 += d1 >> 26;
    d3 += d2 >> 26;
    d4 += d3 >> 26;
    uint64_t h0 = (d0 & m) + (d4 >> 26) * 5;
    out[1] = (d1 & m) + (h0 >> 26);
    out[0] = h0 & m;
    out[2] = d2 & m;
    out[3] = d3 & m;
    out[4] = d4 & m;
}

static void init(cytls_poly1305_state *st, const uint8_t key[32])
{
    cytls_poly1305_r26_init(st, key);
    st->w[POW_FLAG] = 0;
}

static void compute_powers(uint64_t *w)
{
    uint64_t *p = w + POW_BASE;
    for (int i = 0; i < 5; i++)
        p[i] = w[5 + i];
    for (int k = 1; k < LANES; k++)
        mul26(p + 5 * k, p + 5 * (k - 1), w + 5);
    w[POW_FLAG] = 1;
}

#define MUL(x, y) _mm512_mul_epu32(x, y)
#define ADD(x, y) _mm512_add_epi64(x, y)
#define TIMES5(x) _mm512_add_epi64(x, _mm512_slli_epi64(x, 2))

/* d = H * R mod p, lane by lane, not carried. */
#define MULMOD(H, R, S, d)                                                 \
    do {                                                                   \
        d[0] = ADD(ADD(MUL(H[0], R[0]), MUL(H[1], S[4])),                  \
                   ADD(ADD(MUL(H[2], S[3]), MUL(H[3], S[2])),              \
                       MUL(H[4], S[1])));                                  \
        d[1] = ADD(ADD(MUL(H[0], R[1]), MUL(H[1], R[0])),                  \
                   ADD(ADD(MUL(H[2], S[4]), MUL(H[3], S[3])),              \
                       MUL(H[4], S[2])));                                  \
        d[2] = ADD(ADD(MUL(H[0], R[2]), MUL(H[1], R[1])),                  \
                   ADD(ADD(MUL(H[2], R[0]), MUL(H[3], S[4])),              \
                       MUL(H[4], S[3])));                                  \
        d[3] = ADD(ADD(MUL(H[0], R[3]), MUL(H[1], R[2])),                  \
                   ADD(ADD(MUL(H[2], R[1]), MUL(H[3], R[0])),              \
                       MUL(H[4], S[4])));                                  \
        d[4] = ADD(ADD(MUL(H[0], R[4]), MUL(H[1], R[3])),                  \
                   ADD(ADD(MUL(H[2], R[2]), MUL(H[3], R[1])),              \
                       MUL(H[4], R[0])));                                  \
    } while (0)

/* Carry d into H, leaving every limb below 2^26 plus a little. */
#define CARRY(d, H)                                                        \
    do {                                                                   \
        __m512i c;                                                         \
        c = _mm512_srli_epi64(d[0], 26); d[0] = _mm512_and_si512(d[0], m26); \
        d[1] = ADD(d[1], c);                                               \
        c = _mm512_srli_epi64(d[3], 26); d[3] = _mm512_and_si512(d[3], m26); \
        d[4] = ADD(d[4], c);                                               \
        c = _mm512_srli_epi64(d[1], 26); d[1] = _mm512_and_si512(d[1], m26); \
        d[2] = ADD(d[2], c);                                               \
        c = _mm512_srli_epi64(d[4], 26); d[4] = _mm512_and_si512(d[4], m26); \
        d[0] = ADD(d[0], TIMES5(c));                                       \
        c = _mm512_srli_epi64(d[2], 26); d[2] = _mm512_and_si512(d[2], m26); \
        d[3] = ADD(d[3], c);                                               \
        c = _mm512_srli_epi64(d[0], 26); d[0] = _mm512_and_si512(d[0], m26); \
        d[1] = ADD(d[1], c);                                               \
        c = _mm512_srli_epi64(d[3], 26); d[3] = _mm512_and_si512(d[3], m26); \
        d[4] = ADD(d[4], c);                                               \
        for (int i_ = 0; i_ < 5; i_++)                                     \
            H[i_] = d[i_];                                                 \
    } while (0)

/* H += the eight blocks at p, split into 26-bit limbs with 2^128 added.
 * Lanes hold blocks 0,4,1,5,2,6,3,7 (unpack order). */
#define ADD_MSG(H, p)                                                      \
    do {                                                                   \
        __m512i a = _mm512_loadu_si512((const void *)(p));                 \
        __m512i b = _mm512_loadu_si512((const void *)((p) + 64));          \
        __m512i lo = _mm512_unpacklo_epi64(a, b);                          \
        __m512i hi = _mm512_unpackhi_epi64(a, b);                          \
        H[0] = ADD(H[0], _mm512_and_si512(lo, m26));                       \
        H[1] = ADD(H[1], _mm512_and_si512(_mm512_srli_epi64(lo, 26), m26)); \
        H[2] = ADD(H[2], _mm512_and_si512(                                 \
                             _mm512_or_si512(_mm512_srli_epi64(lo, 52),    \
                                             _mm512_slli_epi64(hi, 12)),   \
                             m26));                                        \
        H[3] = ADD(H[3], _mm512_and_si512(_mm512_srli_epi64(hi, 14), m26)); \
        H[4] = ADD(H[4], _mm512_or_si512(_mm512_srli_epi64(hi, 40), hibit)); \
    } while (0)

/* Absorb num_groups * 8 full blocks (num_groups >= 1). */
static void vec_blocks(uint64_t *w, const uint8_t *in, size_t num_groups)
{
    const __m512i m26 = _mm512_set1_epi64(0x3ffffff);
    const __m512i hibit = _mm512_set1_epi64(1 << 24);
    const uint64_t *p = w + POW_BASE;
    __m512i R[5], S[5], H[5], d[5];
    for (int i = 0; i < 5; i++) {
        R[i] = _mm512_set1_epi64((long long)p[5 * (LANES - 1) + i]);
        S[i] = TIMES5(R[i]);
        H[i] = _mm512_maskz_set1_epi64(1, (long long)w[i]); /* lane 0 */
    }
    for (size_t g = 0; g + 1 < num_groups; g++) {
        ADD_MSG(H, in);
        MULMOD(H, R, S, d);
        CARRY(d, H);
        in += 16 * LANES;
    }
    /* Last step: lane of block b multiplies by r^(8-b). */
    static const int power_of_lane[LANES] = {8, 4, 7, 3, 6, 2, 5, 1};
    for (int i = 0; i < 5; i++) {
        _Alignas(64) uint64_t v[LANES];
        for (int l = 0; l < LANES; l++)
            v[l] = p[5 * (power_of_lane[l] - 1) + i];
        R[i] = _mm512_load_si512((const void *)v);
        S[i] = TIMES5(R[i]);
    }
    ADD_MSG(H, in);
    MULMOD(H, R, S, d);
    /* Sum the lanes (each below 2^60, eight of them fit) and carry. */
    uint64_t h[5];
    for (int i = 0; i < 5; i++)
        h[i] = (uint64_t)_mm512_reduce_add_epi64(d[i]);
    const uint64_t m = 0x3ffffff;
    h[1] += h[0] >> 26;
    h[0] &= m;
    h[2] += h[1] >> 26;
    h[1] &= m;
    h[3] += h[2] >> 26;
    h[2] &= m;
    h[4] += h[3] >> 26;
    h[3] &= m;
    h[0] += (h[4] >> 26) * 5;
    h[4] &= m;
    h[1] += h[0] >> 26;
    h[0] &= m;
    for (int i = 0; i < 5; i++)
        w[i] = h[i];
}

static void blocks(cytls_poly1305_state *st, const uint8_t *in, size_t len,
                   unsigned hibit)
{
    size_t num_groups = len / (16 * LANES);
    /* Two groups at least, or the final lane sum costs more than it saves;
     * the length and hibit are public. */
    if (hibit && num_groups >= 2) {
        if (!st->w[POW_FLAG])
            compute_powers(st->w);
        vec_blocks(st->w, in, num_groups);
        in += num_groups * 16 * LANES;
        len -= num_groups * 16 * LANES;
    }
    cytls_poly1305_r26_blocks(st, in, len, hibit);
}

const struct cytls_poly1305_impl cytls_poly1305_avx512_impl = {
    "avx512", init, blocks, cytls_poly1305_r26_finish};

#else
typedef int cytls_poly1305_avx512_unused; /* ISO C forbids an empty file */
#endif
