/*
 * x25519.c -- X25519 (RFC 7748) in plain C11: the Diffie-Hellman function
 * on any u-coordinate (the Montgomery ladder of RFC 7748 section 5) and a
 * faster one for the base point u = 9 (a fixed-base multiplication on the
 * birationally equivalent twisted Edwards curve edwards25519, RFC 7748
 * section 4.1, with a table of multiples of the base point).
 *
 * Field elements mod p = 2^255 - 19 are five 51-bit limbs; products are
 * 64x64->128-bit (unsigned __int128, or a two-word emulation where the
 * compiler has none). Constant time: no branch and no memory index depends
 * on a scalar or on a field element; the ladder swaps with masks, and the
 * table lookup reads every entry of a row and keeps one by masks. Loop
 * counts and table rows depend on bit positions only, which are public.
 * The only secret-derived value made public is the "output is all zero"
 * verdict of cytls_x25519, which the caller acts on (RFC 8446 section
 * 7.4.2 aborts the handshake).
 *
 * The table is computed from the base point, once, by
 * cytls_x25519_precompute (cpu.c calls it at cytls_init, which the Python
 * binding runs at import); nothing here is copied from another
 * implementation's tables.
 */
#include "internal.h"

#include <string.h>

#define MASK51 ((uint64_t)0x7ffffffffffff)

/* ------------------------------------------------------------------ */
/* 64x64 -> 128-bit products                                           */
/* ------------------------------------------------------------------ */

#if defined(__SIZEOF_INT128__) && !defined(CYTLS_X25519_NO_INT128)
typedef unsigned __int128 u128;

static inline u128 mul64(uint64_t a, uint64_t b) { return (u128)a * b; }
static inline u128 add128(u128 a, u128 b) { return a + b; }
static inline u128 add64(u128 a, uint64_t b) { return a + b; }
static inline uint64_t lo51(u128 a) { return (uint64_t)a & MASK51; }
static inline uint64_t shr51(u128 a) { return (uint64_t)(a >> 51); }
#else
/* Two words, for compilers without __int128 (MSVC); the carries are
 * computed from comparisons, which compile to flag arithmetic. */
typedef struct {
    uint64_t lo, hi;
} u128;

static inline u128 mul64(uint64_t a, uint64_t b)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    u128 r;
    r.lo = (mid << 32) | (uint32_t)p00;
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}
static inline u128 add128(u128 a, u128 b)
{
    u128 r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (uint64_t)(r.lo < a.lo);
    return r;
}
static inline u128 add64(u128 a, uint64_t b)
{
    u128 r;
    r.lo = a.lo + b;
    r.hi = a.hi + (uint64_t)(r.lo < b);
    return r;
}
static inline uint64_t lo51(u128 a) { return a.lo & MASK51; }
static inline uint64_t shr51(u128 a) { return (a.lo >> 51) | (a.hi << 13); }
#endif

/* ------------------------------------------------------------------ */
/* the field GF(2^255 - 19)                                            */
/* ------------------------------------------------------------------ */

/*
 * h = sum h[i] 2^(51 i). Bounds: the outputs of fe_mul, fe_sq, fe_sub,
 * fe_carry and fe_mul121665 have limbs below 2^52 (products: below
 * 2^51 + 2^11); fe_add and fe_sub_nc do not carry. The formulas below keep
 * every operand of fe_mul and fe_sq below 2^54 (then each 128-bit column
 * stays below 2^115 and each carry fits 64 bits), the subtrahend of fe_sub
 * below 4p per limb and that of fe_sub_nc below 2p per limb (a product).
 */
typedef uint64_t fe[5];

static inline uint64_t load64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline void store64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void fe_copy(fe h, const fe f) { memcpy(h, f, sizeof(fe)); }

static inline void fe_small(fe h, uint64_t v)
{
    h[0] = v;
    h[1] = h[2] = h[3] = h[4] = 0;
}

/* RFC 7748 section 5: the top bit is ignored, and values of p and above
 * are taken as they are (the arithmetic reduces them). */
static void fe_frombytes(fe h, const uint8_t s[32])
{
    h[0] = load64(s) & MASK51;
    h[1] = (load64(s + 6) >> 3) & MASK51;
    h[2] = (load64(s + 12) >> 6) & MASK51;
    h[3] = (load64(s + 19) >> 1) & MASK51;
    h[4] = (load64(s + 24) >> 12) & MASK51;
}

static inline void fe_carry(fe h)
{
    uint64_t c;
    c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
    c = h[1] >> 51; h[1] &= MASK51; h[2] += c;
    c = h[2] >> 51; h[2] &= MASK51; h[3] += c;
    c = h[3] >> 51; h[3] &= MASK51; h[4] += c;
    c = h[4] >> 51; h[4] &= MASK51; h[0] += 19 * c;
}

/* The canonical little-endian encoding (fully reduced below p). */
static void fe_tobytes(uint8_t s[32], const fe f)
{
    fe h;
    fe_copy(h, f);
    fe_carry(h);
    fe_carry(h);
    /* Now h < 2^255 + 19: q = 1 exactly when h >= p, i.e. h + 19 >= 2^255. */
    uint64_t q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    h[0] += 19 * q;
    uint64_t c;
    c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
    c = h[1] >> 51; h[1] &= MASK51; h[2] += c;
    c = h[2] >> 51; h[2] &= MASK51; h[3] += c;
    c = h[3] >> 51; h[3] &= MASK51; h[4] += c;
    h[4] &= MASK51; /* drops q * 2^255 */
    store64(s, h[0] | h[1] << 51);
    store64(s + 8, h[1] >> 13 | h[2] << 38);
    store64(s + 16, h[2] >> 26 | h[3] << 25);
    store64(s + 24, h[3] >> 39 | h[4] << 12);
    cytls_memzero(h, sizeof h);
}

static inline void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + g[i];
}

/* h = f - g for g with limbs below 2^52 (products, fe_carry), as
 * f + 2p - g without a carry: the ladder feeds the result only to
 * products, which take limbs up to 2^54. */
static inline void fe_sub_nc(fe h, const fe f, const fe g)
{
    h[0] = f[0] + 0xfffffffffffdaull - g[0];
    h[1] = f[1] + 0xffffffffffffeull - g[1];
    h[2] = f[2] + 0xffffffffffffeull - g[2];
    h[3] = f[3] + 0xffffffffffffeull - g[3];
    h[4] = f[4] + 0xffffffffffffeull - g[4];
}

/* h = f - g, computed as f + 4p - g so that no limb goes negative. */
static inline void fe_sub(fe h, const fe f, const fe g)
{
    h[0] = f[0] + 0x1fffffffffffb4ull - g[0];
    h[1] = f[1] + 0x1ffffffffffffcull - g[1];
    h[2] = f[2] + 0x1ffffffffffffcull - g[2];
    h[3] = f[3] + 0x1ffffffffffffcull - g[3];
    h[4] = f[4] + 0x1ffffffffffffcull - g[4];
    fe_carry(h);
}

static inline void fe_neg(fe h, const fe f)
{
    static const fe zero = {0, 0, 0, 0, 0};
    fe_sub(h, zero, f);
}

/* The carries of a product: r[i] < 2^115, limbs out below 2^52. */
static inline void fe_reduce128(fe h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
    uint64_t c;
    c = shr51(r0); h[0] = lo51(r0); r1 = add64(r1, c);
    c = shr51(r1); h[1] = lo51(r1); r2 = add64(r2, c);
    c = shr51(r2); h[2] = lo51(r2); r3 = add64(r3, c);
    c = shr51(r3); h[3] = lo51(r3); r4 = add64(r4, c);
    c = shr51(r4); h[4] = lo51(r4);
    h[0] += 19 * c;
    c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
}

#if defined(__GNUC__)
#define FE_INLINE static inline __attribute__((always_inline))
#else
#define FE_INLINE static inline
#endif

/* 2^255 = 19 (mod p): limb products past the fifth wrap times 19. */
FE_INLINE void fe_mul_i(fe h, const fe f, const fe g)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    u128 r0 = add128(add128(add128(add128(mul64(f0, g0), mul64(f1, g4_19)),
                                   mul64(f2, g3_19)), mul64(f3, g2_19)), mul64(f4, g1_19));
    u128 r1 = add128(add128(add128(add128(mul64(f0, g1), mul64(f1, g0)),
                                   mul64(f2, g4_19)), mul64(f3, g3_19)), mul64(f4, g2_19));
    u128 r2 = add128(add128(add128(add128(mul64(f0, g2), mul64(f1, g1)),
                                   mul64(f2, g0)), mul64(f3, g4_19)), mul64(f4, g3_19));
    u128 r3 = add128(add128(add128(add128(mul64(f0, g3), mul64(f1, g2)),
                                   mul64(f2, g1)), mul64(f3, g0)), mul64(f4, g4_19));
    u128 r4 = add128(add128(add128(add128(mul64(f0, g4), mul64(f1, g3)),
                                   mul64(f2, g2)), mul64(f3, g1)), mul64(f4, g0));
    fe_reduce128(h, r0, r1, r2, r3, r4);
}

FE_INLINE void fe_sq_i(fe h, const fe f)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3;
    uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 r0 = add128(add128(mul64(f0, f0), mul64(f1_2, f4_19)), mul64(f2_2, f3_19));
    u128 r1 = add128(add128(mul64(f0_2, f1), mul64(f2_2, f4_19)), mul64(f3, f3_19));
    u128 r2 = add128(add128(mul64(f0_2, f2), mul64(f1, f1)), mul64(f3_2, f4_19));
    u128 r3 = add128(add128(mul64(f0_2, f3), mul64(f1_2, f2)), mul64(f4, f4_19));
    u128 r4 = add128(add128(mul64(f0_2, f4), mul64(f1_2, f3)), mul64(f2, f2));
    fe_reduce128(h, r0, r1, r2, r3, r4);
}

/* Out of line everywhere but the ladder, which inlines the _i forms. */
static void fe_mul(fe h, const fe f, const fe g) { fe_mul_i(h, f, g); }
static void fe_sq(fe h, const fe f) { fe_sq_i(h, f); }

/* h = f squared n times (n >= 1, public). */
static void fe_sqn(fe h, const fe f, int n)
{
    fe_sq(h, f);
    for (int i = 1; i < n; i++)
        fe_sq(h, h);
}

/* h = 121665 f: a24 = (486662 - 2) / 4 of RFC 7748 section 5. */
static void fe_mul121665(fe h, const fe f)
{
    fe_reduce128(h, mul64(f[0], 121665), mul64(f[1], 121665), mul64(f[2], 121665),
                 mul64(f[3], 121665), mul64(f[4], 121665));
}

/* Swap f and g when b = 1, leave them when b = 0, by masks. */
static inline void fe_cswap(fe f, fe g, uint64_t b)
{
    uint64_t mask = 0 - b;
    for (int i = 0; i < 5; i++) {
        uint64_t x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

/* f = g when b = 1, by masks. */
static inline void fe_cmov(fe f, const fe g, uint64_t b)
{
    uint64_t mask = 0 - b;
    for (int i = 0; i < 5; i++)
        f[i] ^= mask & (f[i] ^ g[i]);
}

/* t1 = z^(2^250 - 1), t0 = z^11: the common part of the two powers. */
static void fe_pow2250(fe t1, fe t0, const fe z)
{
    fe t2, t3;
    fe_sq(t0, z);          /* 2 */
    fe_sqn(t1, t0, 2);     /* 8 */
    fe_mul(t1, z, t1);     /* 9 */
    fe_mul(t0, t0, t1);    /* 11 */
    fe_sq(t2, t0);         /* 22 */
    fe_mul(t1, t1, t2);    /* 31 = 2^5 - 1 */
    fe_sqn(t2, t1, 5);
    fe_mul(t1, t2, t1);    /* 2^10 - 1 */
    fe_sqn(t2, t1, 10);
    fe_mul(t2, t2, t1);    /* 2^20 - 1 */
    fe_sqn(t3, t2, 20);
    fe_mul(t2, t3, t2);    /* 2^40 - 1 */
    fe_sqn(t2, t2, 10);
    fe_mul(t1, t2, t1);    /* 2^50 - 1 */
    fe_sqn(t2, t1, 50);
    fe_mul(t2, t2, t1);    /* 2^100 - 1 */
    fe_sqn(t3, t2, 100);
    fe_mul(t2, t3, t2);    /* 2^200 - 1 */
    fe_sqn(t2, t2, 50);
    fe_mul(t1, t2, t1);    /* 2^250 - 1 */
    cytls_memzero(t2, sizeof t2);
    cytls_memzero(t3, sizeof t3);
}

/* h = z^(p - 2) = 1/z (Fermat), and 0 for z = 0 as RFC 7748 expects. */
static void fe_invert(fe h, const fe z)
{
    fe t0, t1;
    fe_pow2250(t1, t0, z);
    fe_sqn(t1, t1, 5);     /* 2^255 - 32 */
    fe_mul(h, t1, t0);     /* 2^255 - 21 = p - 2 */
    cytls_memzero(t0, sizeof t0);
    cytls_memzero(t1, sizeof t1);
}

/* h = z^((p - 5) / 8) = z^(2^252 - 3), for square roots. */
static void fe_pow22523(fe h, const fe z)
{
    fe t0, t1;
    fe_pow2250(t1, t0, z);
    fe_sqn(t1, t1, 2);     /* 2^252 - 4 */
    fe_mul(h, t1, z);      /* 2^252 - 3 */
}

/* ------------------------------------------------------------------ */
/* the Montgomery ladder, any u (RFC 7748 section 5)                   */
/* ------------------------------------------------------------------ */

static void clamp(uint8_t k[32], const uint8_t scalar[32])
{
    memcpy(k, scalar, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
}

/* see cytls.h */
int cytls_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32])
{
    uint8_t k[32];
    fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb;
    clamp(k, scalar);
    fe_frombytes(x1, u);
    fe_small(x2, 1);
    fe_small(z2, 0);
    fe_copy(x3, x1);
    fe_small(z3, 1);
    uint64_t swap = 0;
    /* Bit 255 is clear after clamping; t runs over public positions. */
    for (int t = 254; t >= 0; t--) {
        uint64_t bit = (uint64_t)(k[t >> 3] >> (t & 7)) & 1;
        swap ^= bit;
        fe_cswap(x2, x3, swap);
        fe_cswap(z2, z3, swap);
        swap = bit;
        fe_add(a, x2, z2);
        fe_sq_i(aa, a);
        fe_sub_nc(b, x2, z2);
        fe_sq_i(bb, b);
        fe_sub_nc(e, aa, bb);
        fe_add(c, x3, z3);
        fe_sub_nc(d, x3, z3);
        fe_mul_i(da, d, a);
        fe_mul_i(cb, c, b);
        fe_add(x3, da, cb);
        fe_sq_i(x3, x3);
        fe_sub_nc(z3, da, cb);
        fe_sq_i(z3, z3);
        fe_mul_i(z3, x1, z3);
        fe_mul_i(x2, aa, bb);
        fe_mul121665(z2, e);
        fe_add(z2, aa, z2);
        fe_mul_i(z2, e, z2);
    }
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);
    fe_invert(z2, z2);
    fe_mul(x2, x2, z2);
    fe_tobytes(out, x2);

    /* RFC 7748 section 6.1: an all-zero output means a small-order u. */
    uint8_t acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= out[i];
    int nonzero = (int)(((uint32_t)acc + 0xffu) >> 8);
    CYTLS_DECLASSIFY(&nonzero, sizeof nonzero);

    cytls_memzero(k, sizeof k);
    cytls_memzero(x2, sizeof x2);
    cytls_memzero(z2, sizeof z2);
    cytls_memzero(x3, sizeof x3);
    cytls_memzero(z3, sizeof z3);
    cytls_memzero(a, sizeof a);
    cytls_memzero(aa, sizeof aa);
    cytls_memzero(b, sizeof b);
    cytls_memzero(bb, sizeof bb);
    cytls_memzero(e, sizeof e);
    cytls_memzero(c, sizeof c);
    cytls_memzero(d, sizeof d);
    cytls_memzero(da, sizeof da);
    cytls_memzero(cb, sizeof cb);
    return nonzero;
}

/* ------------------------------------------------------------------ */
/* edwards25519, for the base point                                    */
/* ------------------------------------------------------------------ */

/*
 * -x^2 + y^2 = 1 + d x^2 y^2 with d = -121665/121666 (RFC 7748 section
 * 4.1), birational to curve25519 by u = (1 + y) / (1 - y); its base point
 * has y = 4/5 and maps to u = 9. Points are kept in extended coordinates
 * (X : Y : Z : T) with x = X/Z, y = Y/Z, xy = T/Z (Hisil, Wong, Carter,
 * Dawson, "Twisted Edwards curves revisited", 2008); table entries are
 * affine, as (y + x, y - x, 2 d x y). The addition formulas are complete
 * for a = -1 and d not a square, so the identity and doublings need no
 * special case.
 */
typedef struct {
    fe X, Y, Z, T;
} ge_ext;

/* y + x, y - x, 2dxy as one run of 15 words (so that the masked table
 * scan is one loop the compiler can vectorise); YPX, YMX and XY2D name
 * the three field elements. */
typedef struct {
    uint64_t w[15];
} ge_affine;
#define YPX(q) ((q)->w)
#define YMX(q) ((q)->w + 5)
#define XY2D(q) ((q)->w + 10)

/* base_table[i][j] = (j + 1) 256^i B, for signed 4-bit windows. */
static ge_affine base_table[32][8];
static fe ed_d2; /* 2d */

/* r = p + q, both extended (only for building the table). */
static void ge_add(ge_ext *r, const ge_ext *p, const ge_ext *q)
{
    fe a, b, c, d, t, e, f, g, h;
    fe_sub(a, p->Y, p->X);
    fe_sub(t, q->Y, q->X);
    fe_mul(a, a, t);
    fe_add(b, p->Y, p->X);
    fe_add(t, q->Y, q->X);
    fe_mul(b, b, t);
    fe_mul(c, p->T, q->T);
    fe_mul(c, c, ed_d2);
    fe_mul(d, p->Z, q->Z);
    fe_add(d, d, d);
    fe_sub(e, b, a);
    fe_sub(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->T, e, h);
    fe_mul(r->Z, f, g);
}

/* r = p + q with q affine ("mixed" addition: Z2 = 1). The coordinates
 * of p are products, so the subtractions need no carry (fe_sub_nc). */
static void ge_madd(ge_ext *r, const ge_ext *p, const ge_affine *q)
{
    fe a, b, c, d, e, f, g, h;
    fe_sub_nc(a, p->Y, p->X);
    fe_mul_i(a, a, YMX(q));
    fe_add(b, p->Y, p->X);
    fe_mul_i(b, b, YPX(q));
    fe_mul_i(c, p->T, XY2D(q));
    fe_add(d, p->Z, p->Z);
    fe_sub_nc(e, b, a);
    fe_sub_nc(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_mul_i(r->X, e, f);
    fe_mul_i(r->Y, g, h);
    fe_mul_i(r->T, e, h);
    fe_mul_i(r->Z, f, g);
}

/*
 * r = 2p (a = -1 of the "dbl-2008-hwcd" formulas, every intermediate
 * negated in pairs so the products keep their signs). T of p is not read;
 * T of r is computed only when with_t (the next step is an addition).
 * As in ge_madd, every subtrahend is a product, and F = C + G stays below
 * 2^54 as products allow.
 */
static void ge_dbl(ge_ext *r, const ge_ext *p, int with_t)
{
    fe a, b, c, e, f, g, h;
    fe_sq_i(a, p->X);
    fe_sq_i(b, p->Y);
    fe_sq_i(c, p->Z);
    fe_add(c, c, c);
    fe_add(h, a, b);
    fe_add(e, p->X, p->Y);
    fe_sq_i(e, e);
    fe_sub_nc(e, h, e);
    fe_sub_nc(g, a, b);
    fe_add(f, c, g);
    fe_mul_i(r->X, e, f);
    fe_mul_i(r->Y, g, h);
    fe_mul_i(r->Z, f, g);
    if (with_t) /* public: a property of the call site */
        fe_mul_i(r->T, e, h);
}

static int fe_equal_public(const fe f, const fe g)
{
    uint8_t a[32], b[32];
    fe_tobytes(a, f);
    fe_tobytes(b, g);
    return memcmp(a, b, 32) == 0;
}

/*
 * The base point B, from y = 4/5: x = sqrt((y^2 - 1) / (d y^2 + 1)), the
 * even root (RFC 8032 section 5.1.3's square root). Public data, so the
 * checks may branch. Returns 0 if the arithmetic is broken.
 */
static int base_point(ge_ext *bp, fe d)
{
    fe t, u, v, v3, x, y, check, sqrt_m1, two;
    fe_small(t, 121666);
    fe_invert(t, t);
    fe_small(d, 121665);
    fe_neg(d, d);
    fe_mul(d, d, t); /* d = -121665/121666 */
    fe_small(t, 5);
    fe_invert(t, t);
    fe_small(y, 4);
    fe_mul(y, y, t); /* y = 4/5 */
    /* sqrt(-1) = 2^((p - 1) / 4) = (2^((p - 5) / 8))^2 * 2; 2 is not a
     * square mod p since p = 5 (mod 8). */
    fe_small(two, 2);
    fe_pow22523(sqrt_m1, two);
    fe_sq(sqrt_m1, sqrt_m1);
    fe_mul(sqrt_m1, sqrt_m1, two);
    fe_small(t, 1);
    fe_sq(u, y);
    fe_mul(v, u, d);
    fe_add(v, v, t);  /* v = d y^2 + 1 */
    fe_sub(u, u, t);  /* u = y^2 - 1 */
    /* x = u v^3 (u v^7)^((p - 5) / 8) */
    fe_sq(v3, v);
    fe_mul(v3, v3, v);
    fe_sq(x, v3);
    fe_mul(x, x, v);
    fe_mul(x, x, u);
    fe_pow22523(x, x);
    fe_mul(x, x, v3);
    fe_mul(x, x, u);
    fe_sq(check, x);
    fe_mul(check, check, v);
    if (!fe_equal_public(check, u)) {
        fe_mul(x, x, sqrt_m1);
        fe_sq(check, x);
        fe_mul(check, check, v);
        if (!fe_equal_public(check, u))
            return 0;
    }
    uint8_t xs[32];
    fe_tobytes(xs, x);
    if (xs[0] & 1)
        fe_neg(x, x);
    fe_copy(bp->X, x);
    fe_copy(bp->Y, y);
    fe_small(bp->Z, 1);
    fe_mul(bp->T, x, y);
    return 1;
}

static int precomputed;

/* see internal.h */
int cytls_x25519_precompute(void)
{
    ge_ext p, row[8];
    fe d, zinv, acc[8], x, y;
    if (precomputed)
        return 1;
    if (!base_point(&p, d))
        return 0;
    fe_add(ed_d2, d, d);
    fe_carry(ed_d2);
    for (int i = 0; i < 32; i++) {
        row[0] = p;
        for (int j = 1; j < 8; j++)
            ge_add(&row[j], &row[j - 1], &p);
        /* One inversion per row (Montgomery's trick). */
        fe_copy(acc[0], row[0].Z);
        for (int j = 1; j < 8; j++)
            fe_mul(acc[j], acc[j - 1], row[j].Z);
        fe_invert(zinv, acc[7]);
        for (int j = 7; j >= 0; j--) {
            fe zj;
            if (j > 0) {
                fe_mul(zj, zinv, acc[j - 1]);
                fe_mul(zinv, zinv, row[j].Z);
            } else {
                fe_copy(zj, zinv);
            }
            fe_mul(x, row[j].X, zj);
            fe_mul(y, row[j].Y, zj);
            ge_affine *e = &base_table[i][j];
            fe_add(YPX(e), y, x);
            fe_carry(YPX(e));
            fe_sub(YMX(e), y, x);
            fe_mul(XY2D(e), x, y);
            fe_mul(XY2D(e), XY2D(e), ed_d2);
        }
        for (int k = 0; k < 8; k++)
            ge_dbl(&p, &p, k == 7);
    }
    precomputed = 1;
    return 1;
}

/* 1 when a == b, else 0, without a branch (a, b < 2^63). */
static inline uint64_t eq_mask_bit(uint64_t a, uint64_t b)
{
    return ((a ^ b) - 1) >> 63;
}

/* t = e 256^row B for a window e in -8..8, reading the whole row. */
static void select_base(ge_affine *t, int row, int8_t e)
{
    uint32_t ue = (uint32_t)(int32_t)e, sign = ue >> 31;
    uint64_t neg = sign;
    uint64_t mag = (ue ^ (0u - sign)) + sign; /* |e|, two's complement */
    fe minus;
    /* The identity (1, 1, 0), in a local the compiler keeps in registers. */
    uint64_t acc[15] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int j = 0; j < 8; j++) {
        uint64_t mask = 0 - eq_mask_bit(mag, (uint64_t)j + 1);
        const uint64_t *w = base_table[row][j].w;
        for (int l = 0; l < 15; l++)
            acc[l] ^= mask & (acc[l] ^ w[l]);
    }
    memcpy(t->w, acc, sizeof acc);
    cytls_memzero(acc, sizeof acc);
    /* -(x, y) = (-x, y): swap y + x with y - x, negate 2dxy. */
    fe_cswap(YPX(t), YMX(t), neg);
    fe_neg(minus, XY2D(t));
    fe_cmov(XY2D(t), minus, neg);
    cytls_memzero(minus, sizeof minus);
}

/* see cytls.h */
int cytls_x25519_base(uint8_t out[32], const uint8_t scalar[32])
{
    uint8_t k[32];
    int8_t e[64];
    ge_ext h;
    ge_affine t;
    fe num, den;
    cytls_init(); /* builds the table, once, in C callers that did not */
    if (!precomputed)
        return 0;
    clamp(k, scalar);
    /* Signed radix 16: k = sum e[i] 16^i with e[i] in -8..7 (e[63] in
     * 0..8, since bit 255 is clear). */
    for (int i = 0; i < 32; i++) {
        e[2 * i] = (int8_t)(k[i] & 15);
        e[2 * i + 1] = (int8_t)(k[i] >> 4);
    }
    int8_t carry = 0;
    for (int i = 0; i < 63; i++) {
        e[i] = (int8_t)(e[i] + carry);
        carry = (int8_t)((e[i] + 8) >> 4);
        e[i] = (int8_t)(e[i] - carry * 16);
    }
    e[63] = (int8_t)(e[63] + carry);

    /* k B = 16 (sum over odd i of e[i] 256^(i/2) B) + sum over even i. */
    fe_small(h.X, 0);
    fe_small(h.Y, 1);
    fe_small(h.Z, 1);
    fe_small(h.T, 0);
    for (int i = 1; i < 64; i += 2) {
        select_base(&t, i / 2, e[i]);
        ge_madd(&h, &h, &t);
    }
    ge_dbl(&h, &h, 0);
    ge_dbl(&h, &h, 0);
    ge_dbl(&h, &h, 0);
    ge_dbl(&h, &h, 1);
    for (int i = 0; i < 64; i += 2) {
        select_base(&t, i / 2, e[i]);
        ge_madd(&h, &h, &t);
    }
    /* u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y). */
    fe_add(num, h.Z, h.Y);
    fe_sub(den, h.Z, h.Y);
    fe_invert(den, den);
    fe_mul(num, num, den);
    fe_tobytes(out, num);

    cytls_memzero(k, sizeof k);
    cytls_memzero(e, sizeof e);
    cytls_memzero(&h, sizeof h);
    cytls_memzero(&t, sizeof t);
    cytls_memzero(num, sizeof num);
    cytls_memzero(den, sizeof den);
    return 1;
}
