/*
 * poly1305_portable.c -- Poly1305 (RFC 8439 §2.5) in plain C11.
 *
 * Where the compiler has unsigned __int128 the accumulator is kept in
 * radix 2^64 (two 64-bit limbs and a small third one) and each block costs
 * four 64x64->128 multiplications; elsewhere (MSVC, 32-bit targets) it is
 * kept in five 26-bit limbs with 32x32->64 products. Both are constant
 * time: no branch or index depends on the key, the message or the
 * accumulator; the final reduction selects with a mask.
 */
#include "chapoly_impl.h"

#if defined(__SIZEOF_INT128__) && !defined(CYTLS_POLY1305_NO_INT128)

typedef unsigned __int128 u128;

/* State words: h0 h1 h2 | r0 r1 s1 | pad0 pad1, with s1 = r1 + r1/4. */
static void p_init(cytls_poly1305_state *st, const uint8_t key[32])
{
    uint64_t *w = st->w;
    /* RFC 8439 §2.5: clamp r. */
    uint64_t r0 = cytls_le64(key) & 0x0ffffffc0fffffffull;
    uint64_t r1 = cytls_le64(key + 8) & 0x0ffffffc0ffffffcull;
    w[0] = w[1] = w[2] = 0;
    w[3] = r0;
    w[4] = r1;
    w[5] = r1 + (r1 >> 2);
    w[6] = cytls_le64(key + 16);
    w[7] = cytls_le64(key + 24);
}

/*
 * h = (h + m) * r mod 2^130 - 5, partially reduced. Because r1 is a
 * multiple of 4, h1*r1*2^128 = h1*(r1/4)*2^130 = h1*s1 (mod p), and the
 * same folds h2*r1*2^192 into the 2^64 column.
 */
static void p_blocks(cytls_poly1305_state *st, const uint8_t *in, size_t len,
                     unsigned hibit)
{
    uint64_t *w = st->w;
    uint64_t h0 = w[0], h1 = w[1], h2 = w[2];
    const uint64_t r0 = w[3], r1 = w[4], s1 = w[5];
    while (len >= 16) {
        u128 t = (u128)h0 + cytls_le64(in);
        h0 = (uint64_t)t;
        t = (u128)h1 + cytls_le64(in + 8) + (uint64_t)(t >> 64);
        h1 = (uint64_t)t;
        h2 += (uint64_t)(t >> 64) + hibit;

        u128 d0 = (u128)h0 * r0 + (u128)h1 * s1;
        u128 d1 = (u128)h0 * r1 + (u128)h1 * r0 + (u128)h2 * s1;
        uint64_t d2 = h2 * r0; /* h2 < 8 and r0 < 2^60 */

        d1 += (uint64_t)(d0 >> 64);
        h0 = (uint64_t)d0;
        d2 += (uint64_t)(d1 >> 64);
        h1 = (uint64_t)d1;

        /* Fold the bits at 2^130 and above back in, times 5. */
        uint64_t c = (d2 >> 2) + (d2 & ~(uint64_t)3);
        h2 = d2 & 3;
        t = (u128)h0 + c;
        h0 = (uint64_t)t;
        t = (u128)h1 + (uint64_t)(t >> 64);
        h1 = (uint64_t)t;
        h2 += (uint64_t)(t >> 64);

        in += 16;
        len -= 16;
    }
    w[0] = h0;
    w[1] = h1;
    w[2] = h2;
}

static void p_finish(cytls_poly1305_state *st, uint8_t tag[16])
{
    uint64_t *w = st->w;
    uint64_t h0 = w[0], h1 = w[1], h2 = w[2];
    /* h < 2p here; g = h + 5 reaches 2^130 exactly when h >= p. */
    u128 t = (u128)h0 + 5;
    uint64_t g0 = (uint64_t)t;
    t = (u128)h1 + (uint64_t)(t >> 64);
    uint64_t g1 = (uint64_t)t;
    uint64_t g2 = h2 + (uint64_t)(t >> 64);
    uint64_t mask = (uint64_t)0 - ((g2 >> 2) & 1); /* all ones if h >= p */
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    /* tag = (h + s) mod 2^128 */
    t = (u128)h0 + w[6];
    h0 = (uint64_t)t;
    h1 = h1 + w[7] + (uint64_t)(t >> 64);
    cytls_put_le64(tag, h0);
    cytls_put_le64(tag + 8, h1);
    cytls_memzero(st, sizeof *st);
}

const struct cytls_poly1305_impl cytls_poly1305_portable_impl = {
    "portable", p_init, p_blocks, p_finish};

#else /* no 128-bit integers: the radix 2^26 code below */

const struct cytls_poly1305_impl cytls_poly1305_portable_impl = {
    "portable", cytls_poly1305_r26_init, cytls_poly1305_r26_blocks,
    cytls_poly1305_r26_finish};

#endif

/*
 * Radix 2^26, used by the portable backend without 128-bit integers and
 * by the vector backends for their short tails (their lanes use the same
 * limbs). State words: see chapoly_impl.h.
 */

void cytls_poly1305_r26_init(cytls_poly1305_state *st, const uint8_t key[32])
{
    uint64_t *w = st->w;
    /* RFC 8439 §2.5: clamp r, split into 26-bit limbs. */
    w[5] = cytls_le32(key) & 0x3ffffff;
    w[6] = (cytls_le32(key + 3) >> 2) & 0x3ffff03;
    w[7] = (cytls_le32(key + 6) >> 4) & 0x3ffc0ff;
    w[8] = (cytls_le32(key + 9) >> 6) & 0x3f03fff;
    w[9] = (cytls_le32(key + 12) >> 8) & 0x00fffff;
    for (int i = 0; i < 5; i++)
        w[i] = 0;
    for (int i = 0; i < 4; i++)
        w[10 + i] = cytls_le32(key + 16 + 4 * i);
}

void cytls_poly1305_r26_blocks(cytls_poly1305_state *st, const uint8_t *in,
                               size_t len, unsigned hibit)
{
    uint64_t *w = st->w;
    const uint32_t r0 = (uint32_t)w[5], r1 = (uint32_t)w[6],
                   r2 = (uint32_t)w[7], r3 = (uint32_t)w[8],
                   r4 = (uint32_t)w[9];
    const uint32_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint32_t h0 = (uint32_t)w[0], h1 = (uint32_t)w[1], h2 = (uint32_t)w[2],
             h3 = (uint32_t)w[3], h4 = (uint32_t)w[4];
    const uint32_t m26 = 0x3ffffff;
    while (len >= 16) {
        h0 += cytls_le32(in) & m26;
        h1 += (cytls_le32(in + 3) >> 2) & m26;
        h2 += (cytls_le32(in + 6) >> 4) & m26;
        h3 += (cytls_le32(in + 9) >> 6) & m26;
        h4 += (cytls_le32(in + 12) >> 8) | ((uint32_t)hibit << 24);

        uint64_t d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 +
                      (uint64_t)h2 * s3 + (uint64_t)h3 * s2 +
                      (uint64_t)h4 * s1;
        uint64_t d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 +
                      (uint64_t)h2 * s4 + (uint64_t)h3 * s3 +
                      (uint64_t)h4 * s2;
        uint64_t d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 +
                      (uint64_t)h2 * r0 + (uint64_t)h3 * s4 +
                      (uint64_t)h4 * s3;
        uint64_t d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 +
                      (uint64_t)h2 * r1 + (uint64_t)h3 * r0 +
                      (uint64_t)h4 * s4;
        uint64_t d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 +
                      (uint64_t)h2 * r2 + (uint64_t)h3 * r1 +
                      (uint64_t)h4 * r0;

        d1 += d0 >> 26;
        h0 = (uint32_t)d0 & m26;
        d2 += d1 >> 26;
        h1 = (uint32_t)d1 & m26;
        d3 += d2 >> 26;
        h2 = (uint32_t)d2 & m26;
        d4 += d3 >> 26;
        h3 = (uint32_t)d3 & m26;
        h4 = (uint32_t)d4 & m26;
        h0 += (uint32_t)(d4 >> 26) * 5;
        h1 += h0 >> 26;
        h0 &= m26;

        in += 16;
        len -= 16;
    }
    w[0] = h0;
    w[1] = h1;
    w[2] = h2;
    w[3] = h3;
    w[4] = h4;
}

void cytls_poly1305_r26_finish(cytls_poly1305_state *st, uint8_t tag[16])
{
    uint64_t *w = st->w;
    const uint32_t m26 = 0x3ffffff;
    uint32_t h0 = (uint32_t)w[0], h1 = (uint32_t)w[1], h2 = (uint32_t)w[2],
             h3 = (uint32_t)w[3], h4 = (uint32_t)w[4];
    /* Carry fully. */
    h2 += h1 >> 26;
    h1 &= m26;
    h3 += h2 >> 26;
    h2 &= m26;
    h4 += h3 >> 26;
    h3 &= m26;
    h0 += (h4 >> 26) * 5;
    h4 &= m26;
    h1 += h0 >> 26;
    h0 &= m26;
    /* g = h + 5 - 2^130; keep g when it is not negative (h >= p). */
    uint32_t g0 = h0 + 5;
    uint32_t g1 = h1 + (g0 >> 26);
    g0 &= m26;
    uint32_t g2 = h2 + (g1 >> 26);
    g1 &= m26;
    uint32_t g3 = h3 + (g2 >> 26);
    g2 &= m26;
    uint32_t g4 = h4 + (g3 >> 26) - (1u << 26);
    g3 &= m26;
    uint32_t mask = (g4 >> 31) - 1; /* all ones when g4 did not go negative */
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    h2 = (h2 & ~mask) | (g2 & mask);
    h3 = (h3 & ~mask) | (g3 & mask);
    h4 = (h4 & ~mask) | (g4 & mask);
    /* Pack into 4 x 32 bits and add s. */
    uint32_t a0 = h0 | (h1 << 26);
    uint32_t a1 = (h1 >> 6) | (h2 << 20);
    uint32_t a2 = (h2 >> 12) | (h3 << 14);
    uint32_t a3 = (h3 >> 18) | (h4 << 8);
    uint64_t f = (uint64_t)a0 + w[10];
    cytls_put_le32(tag, (uint32_t)f);
    f = (uint64_t)a1 + w[11] + (f >> 32);
    cytls_put_le32(tag + 4, (uint32_t)f);
    f = (uint64_t)a2 + w[12] + (f >> 32);
    cytls_put_le32(tag + 8, (uint32_t)f);
    f = (uint64_t)a3 + w[13] + (f >> 32);
    cytls_put_le32(tag + 12, (uint32_t)f);
    cytls_memzero(st, sizeof *st);
}

