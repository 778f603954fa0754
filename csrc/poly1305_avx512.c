/*
 * poly1305_avx512.c -- Poly1305 on AVX-512F, eight blocks per step, and on
 * AVX-512 IFMA, up to 32 blocks per step (the second half of the file).
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
#include "poly1305_lanes.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>

#define LANES 8
#define POW_BASE CYTLS_POLY1305_POW_BASE

/* The vector operations MULMOD and CARRY (poly1305_lanes.h) are written in. */
#define VEC __m512i
#define MUL(x, y) _mm512_mul_epu32(x, y)
#define ADD(x, y) _mm512_add_epi64(x, y)
#define AND(x, y) _mm512_and_si512(x, y)
#define SHL(x, n) _mm512_slli_epi64(x, n)
#define SHR(x, n) _mm512_srli_epi64(x, n)

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
    cytls_poly1305_store_sum26(w, h);
}

static void blocks(cytls_poly1305_state *st, const uint8_t *in, size_t len,
                   unsigned hibit)
{
    cytls_poly1305_lanes_blocks(st, in, len, hibit, LANES, vec_blocks);
}

const struct cytls_poly1305_impl cytls_poly1305_avx512_impl = {
    "avx512", cytls_poly1305_lanes_init, blocks,
    cytls_poly1305_r26_finish};

/* ------------------------------------------------------------------ */
/* AVX-512 IFMA: radix 2^44, 52-bit multiply-accumulate                */
/* ------------------------------------------------------------------ */

/*
 * Where the CPU has AVX512_IFMA (vpmadd52luq/vpmadd52huq), the lanes hold
 * three limbs of 44, 44 and 42 bits and each product is accumulated in two
 * halves (bits 0..51 and 52..103), which takes 18 multiply-adds per eight
 * blocks instead of 25 multiplies and many adds. Long inputs run four
 * independent chains of eight lanes (32 blocks per step) so that the
 * multiply-add latency of one chain hides behind the others, with one
 * round of carries per step. The feature has no bit in
 * cytls.h, so it is asked of CPUID here, and only used when the level in
 * force already allows AVX-512 (which proves the OS saves ZMM state).
 */
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#define IFMA_TARGET
#else
#include <cpuid.h>
#define IFMA_TARGET __attribute__((target("avx512f,avx512ifma")))
#endif

/*
 * The powers of r the lanes multiply by, r^1 .. r^IFMA_POWERS in radix 2^44,
 * stored limb-major from w[16] on: limb i of r^k at w[16 + IFMA_POWERS i +
 * k - 1], so that the eight powers a chain's last step needs are one vector
 * load. w[15] counts the powers stored so far (0, 8 or IFMA_POWERS).
 */
/* Independent 8-lane chains. Measured at 16 KiB on the development machine
 * (Zen 5): one chain 12.8 GB/s, two 26.0, three 27.5, four 28.7. */
#define IFMA_CHAINS 4
#define IFMA_POWERS (8 * IFMA_CHAINS)  /* 32 */
#define IFMA_POW_BASE 16
#define IFMA_NUM_POWERS 15
#define IFMA_POW(w, i, k) ((w)[IFMA_POW_BASE + IFMA_POWERS * (i) + (k) - 1])

_Static_assert(IFMA_POW_BASE + 3 * IFMA_POWERS <=
                   sizeof(((cytls_poly1305_state *)0)->w) / sizeof(uint64_t),
               "the IFMA powers fit in the Poly1305 state");

#if defined(_MSC_VER) && !defined(__clang__)
#define IFMA_INLINE static __forceinline
#else
#define IFMA_INLINE static inline __attribute__((always_inline)) IFMA_TARGET
#endif

int cytls_poly1305_avx512_has_ifma(void)
{
    unsigned ebx;
#if defined(_MSC_VER) && !defined(__clang__)
    int r[4];
    __cpuidex(r, 0, 0);
    if (r[0] < 7)
        return 0;
    __cpuidex(r, 7, 0);
    ebx = (unsigned)r[1];
#else
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    (void)a; (void)c; (void)d;
    ebx = b;
#endif
    return (ebx >> 21) & 1; /* AVX512_IFMA */
}

/* Radix 2^26 limbs (not necessarily normalised) to radix 2^44 limbs; the
 * two representations denote the same integer. */
static void r26_to_r44(uint64_t a[3], const uint64_t h[5])
{
    const uint64_t m44 = 0xfffffffffffull;
    a[0] = h[0] + ((h[1] & 0x3ffff) << 26);
    a[1] = (h[1] >> 18) + (h[2] << 8) + ((h[3] & 0x3ff) << 34);
    a[2] = (h[3] >> 10) + (h[4] << 16);
    a[1] += a[0] >> 44;
    a[0] &= m44;
    a[2] += a[1] >> 44;
    a[1] &= m44;
}

static void init_ifma(cytls_poly1305_state *st, const uint8_t key[32])
{
    cytls_poly1305_lanes_init(st, key);
    st->w[IFMA_NUM_POWERS] = 0;
}

#define LO(acc, x, y) _mm512_madd52lo_epu64(acc, x, y)
#define HI(acc, x, y) _mm512_madd52hi_epu64(acc, x, y)
#define TIMES20(x) _mm512_add_epi64(_mm512_slli_epi64(x, 4), _mm512_slli_epi64(x, 2))

/*
 * t = H * R mod p in radix 2^44, lane by lane, before carrying. With
 * s = 20r (2^132 = 4 * 2^130 = 20 mod p):
 *   col0 = h0 r0 + h1 s2 + h2 s1, col1 = h0 r1 + h1 r0 + h2 s2,
 *   col2 = h0 r2 + h1 r1 + h2 r0.
 * The high halves weigh 2^52 = 2^8 * 2^44 more than their column, so they
 * move up one column shifted left by 8; col2's goes round to col0 times
 * 20 * 2^8 = 5120. vpmadd52 reads 52 bits of each operand: every H and R
 * limb must stay below 2^52 (see CARRY44 for the bounds).
 */
#define MULMOD44(H, R, S, t)                                               \
    do {                                                                   \
        const __m512i z_ = _mm512_setzero_si512();                         \
        __m512i l0 = LO(LO(LO(z_, H[0], R[0]), H[1], S[2]), H[2], S[1]);   \
        __m512i h0 = HI(HI(HI(z_, H[0], R[0]), H[1], S[2]), H[2], S[1]);   \
        __m512i l1 = LO(LO(LO(z_, H[0], R[1]), H[1], R[0]), H[2], S[2]);   \
        __m512i h1 = HI(HI(HI(z_, H[0], R[1]), H[1], R[0]), H[2], S[2]);   \
        __m512i l2 = LO(LO(LO(z_, H[0], R[2]), H[1], R[1]), H[2], R[0]);   \
        __m512i h2 = HI(HI(HI(z_, H[0], R[2]), H[1], R[1]), H[2], R[0]);   \
        t[0] = ADD(l0, ADD(_mm512_slli_epi64(h2, 12),                      \
                           _mm512_slli_epi64(h2, 10)));                    \
        t[1] = ADD(l1, _mm512_slli_epi64(h0, 8));                          \
        t[2] = ADD(l2, _mm512_slli_epi64(h1, 8));                          \
    } while (0)

/*
 * H = t with one round of carries, all three taken at once (a short
 * dependency chain: the carries do not ripple). Bounds, with the message
 * limbs (< 2^44, 2^44, 2^41) added to H before each multiply: if H < 2^46
 * per limb and R < 2^44.1, S < 2^48.4, each t < 2^56.5, so the carries are
 * below 2^12.5, 2^10.5 and 5 * 2^12.5, and the new H limbs below 2^44 +
 * 2^15, 2^44 + 2^13 and 2^42 + 2^11: with the next message still below
 * 2^46. The lane sums of up to 32 lanes of t stay below 2^62.
 */
#define CARRY44(t, H)                                                      \
    do {                                                                   \
        __m512i c0 = _mm512_srli_epi64(t[0], 44);                          \
        __m512i c1 = _mm512_srli_epi64(t[1], 44);                          \
        __m512i c2 = _mm512_srli_epi64(t[2], 42);                          \
        H[0] = ADD(_mm512_and_si512(t[0], m44),                            \
                   ADD(c2, _mm512_slli_epi64(c2, 2)));                     \
        H[1] = ADD(_mm512_and_si512(t[1], m44), c0);                       \
        H[2] = ADD(_mm512_and_si512(t[2], m42), c1);                       \
    } while (0)

/* Stores r^(k+1) .. r^(k+8) from the three limb vectors L (lane j holds
 * r^(k+1+j)), after two rounds of carries. */
IFMA_INLINE void store_powers(uint64_t *w, int k, __m512i L[3])
{
    const __m512i m44 = _mm512_set1_epi64(0xfffffffffffll);
    const __m512i m42 = _mm512_set1_epi64(0x3ffffffffffll);
    CARRY44(L, L);
    CARRY44(L, L);
    for (int i = 0; i < 3; i++)
        _mm512_storeu_si512((void *)&IFMA_POW(w, i, k + 1), L[i]);
}

/* Make r^1 .. r^num_powers (8 or IFMA_POWERS) available: the first eight
 * by scalar multiplication in radix 2^26, the rest eight at a time as
 * vectors times r^8 or r^16. */
IFMA_TARGET
static void compute_powers_ifma(uint64_t *w, int num_powers)
{
    if ((int)w[IFMA_NUM_POWERS] >= num_powers)
        return;
    if (w[IFMA_NUM_POWERS] == 0) {
        uint64_t p[5 * 8], a[3];
        cytls_poly1305_powers26(p, w + 5, 8);
        for (int k = 0; k < 8; k++) {
            r26_to_r44(a, p + 5 * k);
            for (int i = 0; i < 3; i++)
                IFMA_POW(w, i, k + 1) = a[i];
        }
        cytls_memzero(p, sizeof p);
        cytls_memzero(a, sizeof a);
        w[IFMA_NUM_POWERS] = 8;
    }
    for (int k = 8; k < num_powers; k += 8) {
        /* r^(k+1..k+8) = r^(k+1-m..k+8-m) * r^m, m = 8 or 16. */
        int m = k >= 16 ? 16 : 8;
        __m512i R[3], S[3], H[3], t[3];
        for (int i = 0; i < 3; i++) {
            R[i] = _mm512_set1_epi64((long long)IFMA_POW(w, i, m));
            S[i] = TIMES20(R[i]);
            H[i] = _mm512_loadu_si512((const void *)&IFMA_POW(w, i, k + 1 - m));
        }
        MULMOD44(H, R, S, t);
        store_powers(w, k, t);
    }
    w[IFMA_NUM_POWERS] = (uint64_t)num_powers;
}

/*
 * Absorb num_steps * 8 * chains full blocks (num_steps >= 1) into the
 * radix 2^26 accumulator w[0..4]. Chain c's eight lanes take blocks
 * 8c .. 8c+7 of every step of 8 * chains blocks, each multiplied by
 * r^(8 chains) per step; the chains are independent, so their multiply
 * latencies overlap. In the last step the lane of block b (of the step)
 * multiplies by r^(8 chains - b) instead, and all lanes are summed. Called
 * with a constant chains, so the loops over chains unroll.
 */
IFMA_INLINE void ifma_lanes(uint64_t *w, const uint8_t *in, size_t num_steps,
                            int chains)
{
    const __m512i m44 = _mm512_set1_epi64(0xfffffffffffll);
    const __m512i m42 = _mm512_set1_epi64(0x3ffffffffffll);
    const __m512i hibit = _mm512_set1_epi64(1ll << 40);
    /* Loaded lane j holds power base+j; lane l needs block order[l]'s. */
    const __m512i lane_order = _mm512_set_epi64(0, 4, 1, 5, 2, 6, 3, 7);
    const int step_blocks = 8 * chains;
    __m512i R[3], S[3], H[IFMA_CHAINS][3], t[IFMA_CHAINS][3];
    uint64_t a[3];
    r26_to_r44(a, w);
    for (int i = 0; i < 3; i++) {
        R[i] = _mm512_set1_epi64((long long)IFMA_POW(w, i, step_blocks));
        S[i] = TIMES20(R[i]);
        H[0][i] = _mm512_maskz_set1_epi64(1, (long long)a[i]); /* lane 0 */
        for (int c = 1; c < chains; c++)
            H[c][i] = _mm512_setzero_si512();
    }
    for (size_t g = 0;; g++) {
        /* H += eight blocks per chain, lanes in unpack order 0,4,1,5,...,7. */
        for (int c = 0; c < chains; c++) {
            const uint8_t *q = in + 128 * c;
            __m512i ma = _mm512_loadu_si512((const void *)q);
            __m512i mb = _mm512_loadu_si512((const void *)(q + 64));
            __m512i lo = _mm512_unpacklo_epi64(ma, mb);
            __m512i hi = _mm512_unpackhi_epi64(ma, mb);
            H[c][0] = ADD(H[c][0], _mm512_and_si512(lo, m44));
            H[c][1] = ADD(H[c][1],
                          _mm512_and_si512(
                              _mm512_or_si512(_mm512_srli_epi64(lo, 44),
                                              _mm512_slli_epi64(hi, 20)),
                              m44));
            H[c][2] = ADD(H[c][2],
                          _mm512_or_si512(_mm512_srli_epi64(hi, 24), hibit));
        }
        if (g + 1 == num_steps)
            break;
        for (int c = 0; c < chains; c++) {
            MULMOD44(H[c], R, S, t[c]);
            CARRY44(t[c], H[c]);
        }
        in += 128 * chains;
    }
    /* Last step: chain c's lane of block b multiplies by
     * r^(step_blocks - 8c - b); loaded lane j holds r^(step_blocks - 8c -
     * 7 + j), so lane l takes loaded lane 7 - order[l]. */
    for (int c = 0; c < chains; c++) {
        for (int i = 0; i < 3; i++) {
            __m512i v = _mm512_loadu_si512(
                (const void *)&IFMA_POW(w, i, step_blocks - 8 * c - 7));
            R[i] = _mm512_permutexvar_epi64(lane_order, v);
            S[i] = TIMES20(R[i]);
        }
        MULMOD44(H[c], R, S, t[c]);
    }
    /* Sum the lanes (see CARRY44 for the bound), carry, back to 2^26. */
    const uint64_t k44 = 0xfffffffffffull, k42 = 0x3ffffffffffull;
    for (int i = 0; i < 3; i++) {
        __m512i sum = t[0][i];
        for (int c = 1; c < chains; c++)
            sum = ADD(sum, t[c][i]);
        a[i] = (uint64_t)_mm512_reduce_add_epi64(sum);
    }
    a[1] += a[0] >> 44;
    a[0] &= k44;
    a[2] += a[1] >> 44;
    a[1] &= k44;
    a[0] += (a[2] >> 42) * 5;
    a[2] &= k42;
    a[1] += a[0] >> 44;
    a[0] &= k44;
    a[2] += a[1] >> 44;
    a[1] &= k44;
    const uint64_t m26 = 0x3ffffff;
    w[0] = a[0] & m26;
    w[1] = (a[0] >> 26) | ((a[1] & 0xff) << 18);
    w[2] = (a[1] >> 8) & m26;
    w[3] = (a[1] >> 34) | ((a[2] & 0xffff) << 10);
    w[4] = a[2] >> 16;
}

IFMA_TARGET
static void ifma_lanes1(uint64_t *w, const uint8_t *in, size_t num_steps)
{
    ifma_lanes(w, in, num_steps, 1);
}

IFMA_TARGET
static void ifma_lanes_all(uint64_t *w, const uint8_t *in, size_t num_steps)
{
    ifma_lanes(w, in, num_steps, IFMA_CHAINS);
}

/*
 * Long inputs go through all chains (steps of IFMA_POWERS blocks); what is
 * left, from 256 bytes on, through one chain; the rest, and inputs shorter
 * than that, through the scalar code (the lane sum costs more than it
 * saves there). Lengths and hibit are public.
 */
static void blocks_ifma(cytls_poly1305_state *st, const uint8_t *in,
                        size_t len, unsigned hibit)
{
    const size_t all_len = 16 * IFMA_POWERS, one_len = 16 * 8;
    if (hibit && len >= 2 * all_len) {
        size_t num_steps = len / all_len;
        compute_powers_ifma(st->w, IFMA_POWERS);
        ifma_lanes_all(st->w, in, num_steps);
        in += num_steps * all_len;
        len -= num_steps * all_len;
    }
    if (hibit && len >= 2 * one_len) {
        size_t num_steps = len / one_len;
        compute_powers_ifma(st->w, 8);
        ifma_lanes1(st->w, in, num_steps);
        in += num_steps * one_len;
        len -= num_steps * one_len;
    }
    cytls_poly1305_r26_blocks(st, in, len, hibit);
}

/* Named for its file, like every backend; backends() reports "avx512". */
const struct cytls_poly1305_impl cytls_poly1305_avx512ifma_impl = {
    "avx512", init_ifma, blocks_ifma, cytls_poly1305_r26_finish};

#else
typedef int cytls_poly1305_avx512_unused; /* ISO C forbids an empty file */
#endif
