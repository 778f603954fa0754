/*
 * poly1305_lanes.h -- what the radix 2^26 vector Poly1305 backends
 * (poly1305_avx2.c, poly1305_avx512.c) share: scalar helpers on 26-bit
 * limbs and the lane arithmetic written once in terms of vector macros
 * that each includer defines. Internal to those two files.
 *
 * Everything here is static inline or a macro, so each file gets its own
 * copy compiled with its own target flags; the header itself uses no
 * intrinsics, so nothing compiled for one instruction set reaches another.
 * Constant time: multiplications, additions, shifts and masks only, with
 * no branch on or index by secret data; lengths and hibit are public.
 *
 * State words beyond the radix 2^26 layout of chapoly_impl.h (w[0..13]):
 * w[14] is 1 once the powers r^1..r^lanes are stored from w[16] on, limb i
 * of r^k at w[16 + 5(k-1) + i].
 */
#ifndef CYTLS_POLY1305_LANES_H
#define CYTLS_POLY1305_LANES_H

#include "chapoly_impl.h"

#define CYTLS_POLY1305_POW_FLAG 14
#define CYTLS_POLY1305_POW_BASE 16

/* out = a * b mod 2^130 - 5 in 26-bit limbs, limbs left just above 2^26
 * at most. */
static inline void cytls_poly1305_mul26(uint64_t out[5], const uint64_t a[5],
                                        const uint64_t b[5])
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

/* p[5(k-1) + i] = limb i of r^k for k = 1..num_powers, from r's limbs. */
static inline void cytls_poly1305_powers26(uint64_t *p, const uint64_t r[5],
                                           int num_powers)
{
    for (int i = 0; i < 5; i++)
        p[i] = r[i];
    for (int k = 1; k < num_powers; k++)
        cytls_poly1305_mul26(p + 5 * k, p + 5 * (k - 1), r);
}

/* Keys the state (radix 2^26 layout) with no powers of r computed yet. */
static inline void cytls_poly1305_lanes_init(cytls_poly1305_state *st,
                                             const uint8_t key[32])
{
    cytls_poly1305_r26_init(st, key);
    st->w[CYTLS_POLY1305_POW_FLAG] = 0;
}

/* w[0..4] = the lane sums h[0..4] (each below 2^63), carried so that every
 * limb is below 2^26 but limb 1, which is just above at most. */
static inline void cytls_poly1305_store_sum26(uint64_t *w, uint64_t h[5])
{
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

/*
 * The blocks entry of a backend: hands num_groups * lanes full blocks to
 * vec_blocks (w, in, num_groups), computing the powers of r first if this
 * state has none yet, and the rest to the scalar code. Two groups at least,
 * or the final lane sum costs more than it saves; the length and hibit are
 * public. Called with constant lanes and vec_blocks, so the compiler
 * inlines it into a direct call.
 */
static inline void cytls_poly1305_lanes_blocks(
    cytls_poly1305_state *st, const uint8_t *in, size_t len, unsigned hibit,
    int lanes, void (*vec_blocks)(uint64_t *w, const uint8_t *in,
                                  size_t num_groups))
{
    size_t group_len = 16 * (size_t)lanes;
    size_t num_groups = len / group_len;
    if (hibit && num_groups >= 2) {
        uint64_t *w = st->w;
        if (!w[CYTLS_POLY1305_POW_FLAG]) {
            cytls_poly1305_powers26(w + CYTLS_POLY1305_POW_BASE, w + 5, lanes);
            w[CYTLS_POLY1305_POW_FLAG] = 1;
        }
        vec_blocks(w, in, num_groups);
        in += num_groups * group_len;
        len -= num_groups * group_len;
    }
    cytls_poly1305_r26_blocks(st, in, len, hibit);
}

/*
 * The lane arithmetic, on arrays of five vectors of 64-bit lanes holding
 * 26-bit limbs. The includer defines, for its vector type:
 *   VEC        the vector type,
 *   MUL(x, y)  32x32->64 multiply of the low halves of each lane,
 *   ADD(x, y)  64-bit lane addition,
 *   AND(x, y)  bitwise and,
 *   SHL(x, n) / SHR(x, n)  64-bit lane shifts by a constant,
 * and has a VEC m26 (0x3ffffff in every lane) in scope where CARRY is used.
 */
#define TIMES5(x) ADD(x, SHL(x, 2))

/* d = H * R mod p, lane by lane, not carried; S[i] = 5 R[i]. */
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

/* Carry d into H, leaving every limb below 2^26 plus a little. Two
 * interleaved chains (0->1->2->3, 3->4->0->1) halve the dependency depth. */
#define CARRY(d, H)                                                        \
    do {                                                                   \
        VEC c;                                                             \
        c = SHR(d[0], 26); d[0] = AND(d[0], m26); d[1] = ADD(d[1], c);     \
        c = SHR(d[3], 26); d[3] = AND(d[3], m26); d[4] = ADD(d[4], c);     \
        c = SHR(d[1], 26); d[1] = AND(d[1], m26); d[2] = ADD(d[2], c);     \
        c = SHR(d[4], 26); d[4] = AND(d[4], m26); d[0] = ADD(d[0], TIMES5(c)); \
        c = SHR(d[2], 26); d[2] = AND(d[2], m26); d[3] = ADD(d[3], c);     \
        c = SHR(d[0], 26); d[0] = AND(d[0], m26); d[1] = ADD(d[1], c);     \
        c = SHR(d[3], 26); d[3] = AND(d[3], m26); d[4] = ADD(d[4], c);     \
        for (int i_ = 0; i_ < 5; i_++)                                     \
            H[i_] = d[i_];                                                 \
    } while (0)

#endif /* CYTLS_POLY1305_LANES_H */
