/*
 * aes_gcm_portable.c -- the portable, constant-time AES-GCM backend.
 *
 * AES is bitsliced: 4 blocks (64 bytes) are spread over 8 64-bit words,
 * word k holding bit k of every byte, so SubBytes is a fixed sequence of
 * AND/XOR on whole words (inversion in GF(2^8) as x^254, then the affine
 * map), and ShiftRows/MixColumns are fixed shifts and rotations. No table is
 * indexed and no branch is taken on key or data.
 *
 * GHASH multiplies in GF(2^128) with integer multiplications on operands
 * whose bits are spread four apart ("holes"), so carries never reach a bit
 * that is kept; again no table and no secret-dependent branch. Integer
 * multiplication is constant time on every CPU this code targets.
 *
 * State layout (ctx->state): uint64_t rk[15][8] bitsliced round keys (each
 * round key replicated in the 4 block lanes), then uint64_t h[2], the GHASH
 * key in natural bit order (bit i of the 128-bit value = coefficient of x^i).
 */
#include "gcm_impl.h"

#include <string.h>

#define RK_WORDS (15 * 8)

/* ---------------------------------------------------------------- AES */

/*
 * Byte pos (= row + 4 * column, the FIPS-197 input order) of block blk sits
 * at bit row*16 + column*4 + blk of each plane: a row is a 16-bit chunk, so
 * ShiftRows rotates within chunks and MixColumns rotates whole words.
 *
 * Transposition: bytes are first put in plane-bit order (a fixed, public
 * permutation), read as eight 64-bit words, each word's 8x8 bit matrix is
 * transposed, then the 8x8 byte matrix across the words. Plane k is then
 * word k. All steps are fixed shifts and masks.
 */
static unsigned slice_index(unsigned j)
{
    /* plane bit j -> input byte: row = j / 16, column = (j / 4) % 4 */
    unsigned row = j >> 4, col = (j >> 2) & 3, blk = j & 3;
    return blk * 16 + col * 4 + row;
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Transpose the 8x8 bit matrix whose bit 8r + c is row r, column c. */
static uint64_t transpose_bits8(uint64_t x)
{
    uint64_t t = (x ^ (x >> 7)) & 0x00aa00aa00aa00aaull;
    x ^= t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000cccc0000ccccull;
    x ^= t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000f0f0f0f0ull;
    x ^= t ^ (t << 28);
    return x;
}

static void swapmove(uint64_t *a, uint64_t *b, uint64_t mask, int n)
{
    uint64_t t = ((*a >> n) ^ *b) & mask;
    *b ^= t;
    *a ^= t << n;
}

/* Transpose the 8x8 byte matrix whose row i is w[i], byte b column b. */
static void transpose_bytes8(uint64_t w[8])
{
    for (int i = 0; i < 4; i++)
        swapmove(&w[i], &w[i + 4], 0x00000000ffffffffull, 32);
    for (int i = 0; i < 8; i += (i & 1) ? 3 : 1)
        swapmove(&w[i], &w[i + 2], 0x0000ffff0000ffffull, 16);
    for (int i = 0; i < 8; i += 2)
        swapmove(&w[i], &w[i + 1], 0x00ff00ff00ff00ffull, 8);
}

static void bitslice(uint64_t q[8], const uint8_t in[64])
{
    uint8_t b[64];
    for (unsigned j = 0; j < 64; j++)
        b[j] = in[slice_index(j)];
    for (int i = 0; i < 8; i++)
        q[i] = transpose_bits8(load_le64(b + 8 * i));
    transpose_bytes8(q);
    cytls_memzero(b, sizeof b);
}

static void unbitslice(uint8_t out[64], const uint64_t q[8])
{
    uint64_t w[8];
    uint8_t b[64];
    for (int i = 0; i < 8; i++)
        w[i] = q[i];
    transpose_bytes8(w);
    for (int i = 0; i < 8; i++)
        store_le64(b + 8 * i, transpose_bits8(w[i]));
    for (unsigned j = 0; j < 64; j++)
        out[slice_index(j)] = b[j];
    cytls_memzero(w, sizeof w);
    cytls_memzero(b, sizeof b);
}

/* r = a * b in GF(2^8) mod x^8 + x^4 + x^3 + x + 1, on bit planes. */
static inline void gf8_mul(uint64_t r[8], const uint64_t a[8], const uint64_t b[8])
{
    uint64_t p[15];
    for (int k = 0; k < 15; k++)
        p[k] = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            p[i + j] ^= a[i] & b[j];
    /* x^k = x^(k-8) * (x^4 + x^3 + x + 1); high terms first. */
    for (int k = 14; k >= 8; k--) {
        p[k - 4] ^= p[k];
        p[k - 5] ^= p[k];
        p[k - 7] ^= p[k];
        p[k - 8] ^= p[k];
    }
    for (int k = 0; k < 8; k++)
        r[k] = p[k];
}

/* r = a^2: squaring is linear in GF(2^8); a_i moves to x^(2i), reduced. */
static inline void gf8_sq(uint64_t r[8], const uint64_t a[8])
{
    uint64_t r0 = a[0] ^ a[4] ^ a[6], r1 = a[4] ^ a[6] ^ a[7],
             r2 = a[1] ^ a[5], r3 = a[4] ^ a[5] ^ a[6] ^ a[7],
             r4 = a[2] ^ a[4] ^ a[7], r5 = a[5] ^ a[6], r6 = a[3] ^ a[5],
             r7 = a[6] ^ a[7];
    r[0] = r0;
    r[1] = r1;
    r[2] = r2;
    r[3] = r3;
    r[4] = r4;
    r[5] = r5;
    r[6] = r6;
    r[7] = r7;
}

/* The AES S-box on 64 bytes at once: x^254 (the inverse, 0 for 0), then
 * the affine map of FIPS-197 section 5.1.1. */
static void sub_bytes(uint64_t q[8])
{
    uint64_t x2[8], x3[8], x6[8], x12[8], x15[8], t[8], x240[8];
    gf8_sq(x2, q);
    gf8_mul(x3, x2, q);
    gf8_sq(x6, x3);
    gf8_sq(x12, x6);
    gf8_mul(x15, x12, x3);
    gf8_sq(t, x15);    /* x^30 */
    gf8_sq(t, t);      /* x^60 */
    gf8_sq(t, t);      /* x^120 */
    gf8_sq(x240, t);   /* x^240 */
    gf8_mul(t, x240, x12); /* x^252 */
    gf8_mul(x3, t, x2);    /* x^254, reusing x3 */
    for (int i = 0; i < 8; i++) {
        uint64_t b = x3[i] ^ x3[(i + 4) & 7] ^ x3[(i + 5) & 7] ^
                     x3[(i + 6) & 7] ^ x3[(i + 7) & 7];
        /* 0x63 has bits 0, 1, 5, 6 */
        if ((0x63 >> i) & 1) /* public: depends on i only */
            b = ~b;
        q[i] = b;
    }
}

static uint64_t rotr64(uint64_t x, int n)
{
    return (x >> n) | (x << (64 - n));
}

static void shift_rows(uint64_t q[8])
{
    for (int k = 0; k < 8; k++) {
        uint64_t x = q[k];
        q[k] = (x & 0x000000000000ffffull) |
               ((x >> 4) & 0x000000000fff0000ull) |
               ((x << 12) & 0x00000000f0000000ull) |
               ((x >> 8) & 0x000000ff00000000ull) |
               ((x << 8) & 0x0000ff0000000000ull) |
               ((x >> 12) & 0x000f000000000000ull) |
               ((x << 4) & 0xfff0000000000000ull);
    }
}

/* s'[r] = 2 (s[r] ^ s[r+1]) ^ s[r+1] ^ s[r+2] ^ s[r+3], rows as chunks. */
static void mix_columns(uint64_t q[8])
{
    uint64_t a1[8], t[8];
    for (int k = 0; k < 8; k++) {
        a1[k] = rotr64(q[k], 16);
        t[k] = q[k] ^ a1[k];
    }
    uint64_t x[8];
    x[0] = t[7];
    x[1] = t[0] ^ t[7];
    x[2] = t[1];
    x[3] = t[2] ^ t[7];
    x[4] = t[3] ^ t[7];
    x[5] = t[4];
    x[6] = t[5];
    x[7] = t[6];
    for (int k = 0; k < 8; k++)
        q[k] = x[k] ^ a1[k] ^ rotr64(q[k], 32) ^ rotr64(q[k], 48);
}

/* Encrypt 4 blocks. */
static void aes_encrypt4(const uint64_t *rk, unsigned rounds, uint8_t out[64],
                         const uint8_t in[64])
{
    uint64_t q[8];
    bitslice(q, in);
    for (int k = 0; k < 8; k++)
        q[k] ^= rk[k];
    for (unsigned r = 1; r < rounds; r++) {
        sub_bytes(q);
        shift_rows(q);
        mix_columns(q);
        for (int k = 0; k < 8; k++)
            q[k] ^= rk[r * 8 + k];
    }
    sub_bytes(q);
    shift_rows(q);
    for (int k = 0; k < 8; k++)
        q[k] ^= rk[rounds * 8 + k];
    unbitslice(out, q);
    cytls_memzero(q, sizeof q);
}

/* SubWord of the key schedule, through the same bitsliced S-box. */
static void sub_word(uint8_t w[4])
{
    uint64_t q[8];
    for (int k = 0; k < 8; k++) {
        q[k] = 0;
        for (int j = 0; j < 4; j++)
            q[k] |= (uint64_t)((w[j] >> k) & 1) << j;
    }
    sub_bytes(q);
    for (int j = 0; j < 4; j++) {
        unsigned v = 0;
        for (int k = 0; k < 8; k++)
            v |= (unsigned)((q[k] >> j) & 1) << k;
        w[j] = (uint8_t)v;
    }
    cytls_memzero(q, sizeof q);
}

/* FIPS-197 section 5.2 KeyExpansion into bytes (Nk = key_len / 4). */
static void expand_key(uint8_t *w, const uint8_t *key, unsigned key_len,
                       unsigned rounds)
{
    unsigned nk = key_len / 4, total = 4 * (rounds + 1);
    uint8_t rcon = 1;
    memcpy(w, key, key_len);
    for (unsigned i = nk; i < total; i++) {
        uint8_t t[4];
        memcpy(t, w + 4 * (i - 1), 4);
        if (i % nk == 0) {
            uint8_t r = t[0];
            t[0] = t[1];
            t[1] = t[2];
            t[2] = t[3];
            t[3] = r;
            sub_word(t);
            t[0] ^= rcon;
            rcon = (uint8_t)((rcon << 1) ^ ((rcon >> 7) * 0x1b));
        } else if (nk > 6 && i % nk == 4) {
            sub_word(t);
        }
        for (int j = 0; j < 4; j++)
            w[4 * i + j] = w[4 * (i - nk) + j] ^ t[j];
        cytls_memzero(t, sizeof t);
    }
}

/* -------------------------------------------------------------- GHASH */

static uint64_t rev64(uint64_t x)
{
    x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
    x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
    x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
    x = ((x >> 8) & 0x00ff00ff00ff00ffull) | ((x & 0x00ff00ff00ff00ffull) << 8);
    x = ((x >> 16) & 0x0000ffff0000ffffull) | ((x & 0x0000ffff0000ffffull) << 16);
    return (x >> 32) | (x << 32);
}

/*
 * Low 64 bits of the carry-less product x * y. Each operand is split into
 * four masks with bits four apart; an integer product of two such parts
 * sums at most 16 terms per kept bit position below 64 (15 except at the
 * top, whose carry leaves the word), so the count never carries into the
 * next kept position and its lowest bit is the XOR we want.
 */
static uint64_t bmul64(uint64_t x, uint64_t y)
{
    const uint64_t m0 = 0x1111111111111111ull, m1 = m0 << 1, m2 = m0 << 2,
                   m3 = m0 << 3;
    uint64_t x0 = x & m0, x1 = x & m1, x2 = x & m2, x3 = x & m3;
    uint64_t y0 = y & m0, y1 = y & m1, y2 = y & m2, y3 = y & m3;
    uint64_t z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
    uint64_t z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
    uint64_t z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
    uint64_t z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
    return (z0 & m0) | (z1 & m1) | (z2 & m2) | (z3 & m3);
}

/* 64 x 64 -> 128 carry-less; the high half via bit reversal. */
static void clmul64(uint64_t *lo, uint64_t *hi, uint64_t x, uint64_t y,
                    uint64_t xr, uint64_t yr)
{
    *lo = bmul64(x, y);
    *hi = rev64(bmul64(xr, yr)) >> 1;
}

/* y = y * h in GF(2^128) mod x^128 + x^7 + x^2 + x + 1, natural order. */
static void gf128_mul(uint64_t y[2], const uint64_t h[2])
{
    uint64_t a0 = y[0], a1 = y[1], b0 = h[0], b1 = h[1];
    uint64_t a0r = rev64(a0), a1r = rev64(a1), b0r = rev64(b0), b1r = rev64(b1);
    uint64_t l0, l1, h0, h1, m0, m1;
    clmul64(&l0, &l1, a0, b0, a0r, b0r);
    clmul64(&h0, &h1, a1, b1, a1r, b1r);
    clmul64(&m0, &m1, a0 ^ a1, b0 ^ b1, a0r ^ a1r, b0r ^ b1r);
    m0 ^= l0 ^ h0;
    m1 ^= l1 ^ h1;
    uint64_t p0 = l0, p1 = l1 ^ m0, p2 = h0 ^ m1, p3 = h1;
    /* Fold coefficients 128..254 down: x^128 = x^7 + x^2 + x + 1. */
    uint64_t lo = p2 ^ (p2 << 1) ^ (p2 << 2) ^ (p2 << 7);
    uint64_t hi = p3 ^ (p3 << 1) ^ (p3 << 2) ^ (p3 << 7) ^ (p2 >> 63) ^
                  (p2 >> 62) ^ (p2 >> 57);
    uint64_t o = (p3 >> 63) ^ (p3 >> 62) ^ (p3 >> 57);
    lo ^= o ^ (o << 1) ^ (o << 2) ^ (o << 7);
    y[0] = p0 ^ lo;
    y[1] = p1 ^ hi;
}

/* GHASH len bytes into y; a partial last block is zero-padded. */
static void ghash(uint64_t y[2], const uint64_t h[2], const uint8_t *p,
                  size_t len)
{
    while (len > 0) {
        uint8_t b[16];
        size_t n = len < 16 ? len : 16;
        memset(b, 0, sizeof b);
        memcpy(b, p, n);
        y[0] ^= rev64(cytls_gcm_load_be64(b));
        y[1] ^= rev64(cytls_gcm_load_be64(b + 8));
        gf128_mul(y, h);
        p += n;
        len -= n;
    }
}

/* ------------------------------------------------------------- GCM */

static void portable_init(cytls_gcm_ctx *ctx, const uint8_t *key)
{
    uint64_t *rk = (uint64_t *)cytls_gcm_state(ctx);
    uint64_t *h = rk + RK_WORDS;
    uint8_t w[240], four[64];
    expand_key(w, key, ctx->key_len, ctx->rounds);
    for (unsigned r = 0; r <= ctx->rounds; r++) {
        for (int b = 0; b < 4; b++)
            memcpy(four + 16 * b, w + 16 * r, 16);
        bitslice(rk + 8 * r, four);
    }
    memset(four, 0, sizeof four);
    aes_encrypt4(rk, ctx->rounds, four, four);
    h[0] = rev64(cytls_gcm_load_be64(four));
    h[1] = rev64(cytls_gcm_load_be64(four + 8));
    cytls_memzero(w, sizeof w);
    cytls_memzero(four, sizeof four);
}

static void portable_crypt(const cytls_gcm_ctx *ctx, uint8_t *out,
                           uint8_t tag[16], const uint8_t nonce[12],
                           const uint8_t *aad, size_t aad_len,
                           const uint8_t *in, size_t len, size_t split,
                           int decrypt)
{
    const uint64_t *rk = (const uint64_t *)cytls_gcm_state(ctx);
    const uint64_t *h = rk + RK_WORDS;
    uint64_t y[2] = {0, 0};
    uint8_t ctrs[64], ks[64], mask[16], lens[16];
    uint32_t ctr = 1; /* J0 = nonce || 1 masks the tag; data from 2 on */
    size_t pos = 64;

    ghash(y, h, aad, aad_len);
    for (int b = 0; b < 4; b++)
        memcpy(ctrs + 16 * b, nonce, 12);
    for (size_t done = 0; done < len || ctr == 1;) {
        if (pos == 64) {
            for (int b = 0; b < 4; b++) {
                uint32_t c = ctr + (uint32_t)b; /* inc32: wraps mod 2^32 */
                ctrs[16 * b + 12] = (uint8_t)(c >> 24);
                ctrs[16 * b + 13] = (uint8_t)(c >> 16);
                ctrs[16 * b + 14] = (uint8_t)(c >> 8);
                ctrs[16 * b + 15] = (uint8_t)c;
            }
            aes_encrypt4(rk, ctx->rounds, ks, ctrs);
            pos = 0;
            if (ctr == 1) {
                memcpy(mask, ks, 16);
                pos = 16;
            }
            ctr += 4;
        }
        size_t n = len - done < 64 - pos ? len - done : 64 - pos;
        /* A piece never straddles split: below it the input is in, from
         * it on the input is already in out (see gcm_impl.h). */
        if (done < split && split - done < n)
            n = split - done;
        const uint8_t *src = done < split ? in : out;
        if (decrypt)
            ghash(y, h, src + done, n);
        for (size_t i = 0; i < n; i++)
            out[done + i] = src[done + i] ^ ks[pos + i];
        if (!decrypt)
            ghash(y, h, out + done, n);
        done += n;
        pos += n;
    }
    cytls_gcm_lengths(lens, aad_len, len);
    ghash(y, h, lens, 16);
    cytls_gcm_store_be64(tag, rev64(y[0]));
    cytls_gcm_store_be64(tag + 8, rev64(y[1]));
    for (int i = 0; i < 16; i++)
        tag[i] ^= mask[i];
    cytls_memzero(ks, sizeof ks);
    cytls_memzero(mask, sizeof mask);
    cytls_memzero(y, sizeof y);
}

const struct cytls_gcm_impl cytls_gcm_portable = {
    "portable",
    portable_init,
    portable_crypt,
};
