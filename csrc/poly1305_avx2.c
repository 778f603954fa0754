/*
 * poly1305_avx2.c -- Poly1305 on AVX2, four blocks per step.
 *
 * The message is split across four lanes of 64-bit words holding 26-bit
 * limbs: lane j accumulates blocks j, j+4, j+8, ... multiplied by r^4 at
 * each step, and the last step multiplies each lane by the power of r that
 * its block still owes (r^4 .. r^1) before the lanes are summed. The
 * 32x32->64 multiplies (vpmuludq) and all other operations take the same
 * time for every value, and nothing branches on or indexes by secret data,
 * so this is constant time. Short inputs and tails use the scalar radix
 * 2^26 code, whose state layout (chapoly_impl.h) the lanes share.
 */
#include "poly1305_lanes.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>

#define LANES 4
#define POW_BASE CYTLS_POLY1305_POW_BASE

/* The vector operations MULMOD and CARRY (poly1305_lanes.h) are written in. */
#define VEC __m256i
#define MUL(x, y) _mm256_mul_epu32(x, y)
#define ADD(x, y) _mm256_add_epi64(x, y)
#define AND(x, y) _mm256_and_si256(x, y)
#define SHL(x, n) _mm256_slli_epi64(x, n)
#define SHR(x, n) _mm256_srli_epi64(x, n)

/* H += the four blocks at p, split into 26-bit limbs with 2^128 added.
 * Lanes hold blocks 0,2,1,3 (unpack order). */
#define ADD_MSG(H, p)                                                      \
    do {                                                                   \
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p));                 \
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)((p) + 32));          \
        __m256i lo = _mm256_unpacklo_epi64(a, b);                          \
        __m256i hi = _mm256_unpackhi_epi64(a, b);                          \
        H[0] = ADD(H[0], _mm256_and_si256(lo, m26));                       \
        H[1] = ADD(H[1], _mm256_and_si256(_mm256_srli_epi64(lo, 26), m26)); \
        H[2] = ADD(H[2], _mm256_and_si256(                                 \
                             _mm256_or_si256(_mm256_srli_epi64(lo, 52),    \
                                             _mm256_slli_epi64(hi, 12)),   \
                             m26));                                        \
        H[3] = ADD(H[3], _mm256_and_si256(_mm256_srli_epi64(hi, 14), m26)); \
        H[4] = ADD(H[4], _mm256_or_si256(_mm256_srli_epi64(hi, 40), hibit)); \
    } while (0)

/* Absorb num_groups * 4 full blocks (num_groups >= 1). */
static void vec_blocks(uint64_t *w, const uint8_t *in, size_t num_groups)
{
    const __m256i m26 = _mm256_set1_epi64x(0x3ffffff);
    const __m256i hibit = _mm256_set1_epi64x(1 << 24);
    const uint64_t *p = w + POW_BASE;
    __m256i R[5], S[5], H[5], d[5];
    for (int i = 0; i < 5; i++) {
        R[i] = _mm256_set1_epi64x((long long)p[5 * (LANES - 1) + i]);
        S[i] = TIMES5(R[i]);
        H[i] = _mm256_set_epi64x(0, 0, 0, (long long)w[i]); /* lane 0 */
    }
    for (size_t g = 0; g + 1 < num_groups; g++) {
        ADD_MSG(H, in);
        MULMOD(H, R, S, d);
        CARRY(d, H);
        in += 16 * LANES;
    }
    /* Last step: lane of block b multiplies by r^(4-b). */
    static const int power_of_lane[LANES] = {4, 2, 3, 1};
    for (int i = 0; i < 5; i++) {
        _Alignas(32) uint64_t v[LANES];
        for (int l = 0; l < LANES; l++)
            v[l] = p[5 * (power_of_lane[l] - 1) + i];
        R[i] = _mm256_load_si256((const __m256i *)(const void *)v);
        S[i] = TIMES5(R[i]);
    }
    ADD_MSG(H, in);
    MULMOD(H, R, S, d);
    /* Sum the lanes (each below 2^60, four of them fit) and carry. */
    uint64_t h[5];
    for (int i = 0; i < 5; i++)
        {
        _Alignas(32) uint64_t v[LANES];
        _mm256_store_si256((__m256i *)(void *)v, d[i]);
        h[i] = v[0] + v[1] + v[2] + v[3];
    }
    cytls_poly1305_store_sum26(w, h);
}

static void blocks(cytls_poly1305_state *st, const uint8_t *in, size_t len,
                   unsigned hibit)
{
    cytls_poly1305_lanes_blocks(st, in, len, hibit, LANES, vec_blocks);
}

const struct cytls_poly1305_impl cytls_poly1305_avx2_impl = {
    "avx2", cytls_poly1305_lanes_init, blocks,
    cytls_poly1305_r26_finish};

#else
typedef int cytls_poly1305_avx2_unused; /* ISO C forbids an empty file */
#endif
