/*
 * gcm_armce.c -- AES-GCM on aarch64 with the ARMv8 Crypto Extensions
 * (AESE/AESMC and PMULL).
 *
 * Eight counter blocks are in flight at once; GHASH is aggregated over
 * eight blocks with H^1..H^8 and reduced once per eight. The instructions
 * are constant time; nothing here branches on or indexes by secret data.
 *
 * GHASH uses the same reflected representation as aes_gcm_aesni.c: a block
 * is byte-reversed, so the coefficient of x^i sits at bit 127 - i; a
 * carry-less product of reflected values is the field product times x,
 * hence the key powers are kept as H^k * x^-1; the reduction folds twice
 * by 0xc2 << 56.
 *
 * State layout: uint8x16_t rk[15] at 0; uint64x2_t hpow[8] at 256,
 * hpow[i] = H^(i+1) * x^-1 reflected.
 */
#include "gcm_impl.h"

#if defined(CYTLS_AARCH64)

#include <arm_neon.h>
#include <string.h>

#define HPOW_OFFSET 256

static inline uint8x16_t rev128(uint8x16_t x)
{
    x = vrev64q_u8(x);
    return vextq_u8(x, x, 8);
}

static inline uint64x2_t load_refl(const uint8_t *p)
{
    return vreinterpretq_u64_u8(rev128(vld1q_u8(p)));
}

static inline uint64x2_t pmull_lo(uint64x2_t a, uint64x2_t b)
{
    return vreinterpretq_u64_p128(vmull_p64((poly64_t)vgetq_lane_u64(a, 0),
                                            (poly64_t)vgetq_lane_u64(b, 0)));
}

static inline uint64x2_t pmull_hi(uint64x2_t a, uint64x2_t b)
{
    return vreinterpretq_u64_p128(
        vmull_high_p64(vreinterpretq_p64_u64(a), vreinterpretq_p64_u64(b)));
}

static inline uint64x2_t swap64(uint64x2_t x)
{
    return vextq_u64(x, x, 1);
}

static inline uint64x2_t gf_reduce(uint64x2_t hi, uint64x2_t lo)
{
    const uint64x2_t poly = vdupq_n_u64(0xc200000000000000ull);
    uint64x2_t t = pmull_lo(lo, poly);
    lo = veorq_u64(swap64(lo), t);
    t = pmull_lo(lo, poly);
    lo = veorq_u64(swap64(lo), t);
    return veorq_u64(hi, lo);
}

static inline void gf_mul_acc(uint64x2_t a, uint64x2_t h, uint64x2_t *lo,
                              uint64x2_t *mid, uint64x2_t *hi)
{
    *lo = veorq_u64(*lo, pmull_lo(a, h));
    *hi = veorq_u64(*hi, pmull_hi(a, h));
    *mid = veorq_u64(*mid, pmull_lo(swap64(a), h)); /* a.hi * h.lo */
    *mid = veorq_u64(*mid, pmull_hi(swap64(a), h)); /* a.lo * h.hi */
}

static inline uint64x2_t gf_finish(uint64x2_t lo, uint64x2_t mid,
                                   uint64x2_t hi)
{
    const uint64x2_t z = vdupq_n_u64(0);
    lo = veorq_u64(lo, vextq_u64(z, mid, 1)); /* mid << 64 */
    hi = veorq_u64(hi, vextq_u64(mid, z, 1)); /* mid >> 64 */
    return gf_reduce(hi, lo);
}

static inline uint64x2_t gf_mul(uint64x2_t a, uint64x2_t h)
{
    uint64x2_t lo = vdupq_n_u64(0), mid = lo, hi = lo;
    gf_mul_acc(a, h, &lo, &mid, &hi);
    return gf_finish(lo, mid, hi);
}

static inline uint8x16_t aes_block(const uint8x16_t *rk, unsigned rounds,
                                   uint8x16_t x)
{
    for (unsigned r = 0; r + 1 < rounds; r++)
        x = vaesmcq_u8(vaeseq_u8(x, rk[r]));
    x = vaeseq_u8(x, rk[rounds - 1]);
    return veorq_u8(x, rk[rounds]);
}

/* SubWord through AESE with a zero key: with the word in all four columns
 * ShiftRows moves nothing, so column 0 is SubWord(w). Constant time. */
static uint32_t sub_word(uint32_t w)
{
    uint8x16_t x = vreinterpretq_u8_u32(vdupq_n_u32(w));
    x = vaeseq_u8(x, vdupq_n_u8(0));
    return vgetq_lane_u32(vreinterpretq_u32_u8(x), 0);
}

/* FIPS-197 KeyExpansion; words are little-endian loads of the key bytes,
 * so RotWord is a rotation right by 8 bits and Rcon goes in the low byte. */
static void expand_key(uint8x16_t *rk, const uint8_t *key, unsigned key_len,
                       unsigned rounds)
{
    uint32_t w[60];
    unsigned nk = key_len / 4, total = 4 * (rounds + 1);
    uint32_t rcon = 1;
    memcpy(w, key, key_len);
    for (unsigned i = nk; i < total; i++) {
        uint32_t t = w[i - 1];
        if (i % nk == 0) {
            t = sub_word((t >> 8) | (t << 24)) ^ rcon;
            rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b);
        } else if (nk > 6 && i % nk == 4) {
            t = sub_word(t);
        }
        w[i] = w[i - nk] ^ t;
    }
    for (unsigned r = 0; r <= rounds; r++)
        rk[r] = vld1q_u8((const uint8_t *)(w + 4 * r));
    cytls_memzero(w, sizeof w);
}

static void armce_init(cytls_gcm_ctx *ctx, const uint8_t *key)
{
    uint8x16_t rk[15];
    uint64x2_t hpow[8];
    expand_key(rk, key, ctx->key_len, ctx->rounds);
    uint64x2_t h = vreinterpretq_u64_u8(
        rev128(aes_block(rk, ctx->rounds, vdupq_n_u8(0))));
    /* H * x^-1: shift the reflected value left one bit; the bit shifted
     * out returns as x^-1 = x^127 + x^6 + x + 1. */
    uint64x2_t carry = vreinterpretq_u64_s64(
        vdupq_laneq_s64(vshrq_n_s64(vreinterpretq_s64_u64(h), 63), 1));
    uint64x2_t t = vorrq_u64(vshlq_n_u64(h, 1),
                             vextq_u64(vdupq_n_u64(0), vshrq_n_u64(h, 63), 1));
    const uint64x2_t c = vcombine_u64(vcreate_u64(1),
                                      vcreate_u64(0xc200000000000000ull));
    hpow[0] = veorq_u64(t, vandq_u64(carry, c));
    for (int i = 1; i < 8; i++)
        hpow[i] = gf_mul(hpow[i - 1], hpow[0]);
    /* The state may sit at any address (a Python object does not honour
     * _Alignas(64)): store and load it with vst1q/vld1q only. */
    for (unsigned r = 0; r <= ctx->rounds; r++)
        vst1q_u8(cytls_gcm_state(ctx) + 16 * r, rk[r]);
    for (int i = 0; i < 8; i++)
        vst1q_u8(cytls_gcm_state(ctx) + HPOW_OFFSET + 16 * i,
                 vreinterpretq_u8_u64(hpow[i]));
    cytls_memzero(rk, sizeof rk);
}

static inline uint64x2_t ghash8(uint64x2_t y, const uint64x2_t *hpow,
                                const uint64x2_t *b)
{
    uint64x2_t lo = vdupq_n_u64(0), mid = lo, hi = lo;
    gf_mul_acc(veorq_u64(y, b[0]), hpow[7], &lo, &mid, &hi);
    for (int i = 1; i < 8; i++)
        gf_mul_acc(b[i], hpow[7 - i], &lo, &mid, &hi);
    return gf_finish(lo, mid, hi);
}

static uint64x2_t ghash_bytes(uint64x2_t y, const uint64x2_t *hpow,
                              const uint8_t *p, size_t len)
{
    while (len >= 128) {
        uint64x2_t b[8];
        for (int i = 0; i < 8; i++)
            b[i] = load_refl(p + 16 * i);
        y = ghash8(y, hpow, b);
        p += 128;
        len -= 128;
    }
    while (len > 0) {
        uint8_t tmp[16] = {0};
        size_t n = len < 16 ? len : 16;
        memcpy(tmp, p, n);
        y = gf_mul(veorq_u64(y, load_refl(tmp)), hpow[0]);
        p += n;
        len -= n;
    }
    return y;
}

static inline uint8x16_t counter_block(uint32x4_t base, uint32_t c)
{
    uint32_t be = ((c & 0xff) << 24) | ((c & 0xff00) << 8) |
                  ((c >> 8) & 0xff00) | (c >> 24);
    return vreinterpretq_u8_u32(vsetq_lane_u32(be, base, 3));
}

static void armce_crypt(const cytls_gcm_ctx *ctx, uint8_t *out,
                        uint8_t tag[16], const uint8_t nonce[12],
                        const uint8_t *aad, size_t aad_len, const uint8_t *in,
                        size_t len, size_t split, int decrypt)
{
#define in_at(off) cytls_gcm_src(in, out, split, (off))
    const unsigned rounds = ctx->rounds;
    uint8x16_t rk[15];
    uint64x2_t hpow[8];
    for (unsigned r = 0; r <= rounds; r++)
        rk[r] = vld1q_u8(cytls_gcm_state(ctx) + 16 * r);
    for (int i = 0; i < 8; i++)
        hpow[i] = vreinterpretq_u64_u8(vld1q_u8(cytls_gcm_state(ctx) + HPOW_OFFSET + 16 * i));
    uint8_t j0b[16] = {0};
    memcpy(j0b, nonce, 12);
    uint32x4_t base = vreinterpretq_u32_u8(vld1q_u8(j0b));
    uint32_t ctr = 1; /* inc32 wraps mod 2^32 */
    uint8x16_t mask = aes_block(rk, rounds, counter_block(base, ctr++));
    uint64x2_t y = ghash_bytes(vdupq_n_u64(0), hpow, aad, aad_len);

    size_t i = 0;
    uint64x2_t prev[8];
    int have_prev = 0;
    for (; i + 128 <= len; i += 128) {
        uint8x16_t x[8];
        for (int b = 0; b < 8; b++)
            x[b] = counter_block(base, ctr++);
        if (decrypt) {
            uint64x2_t c[8];
            for (int b = 0; b < 8; b++)
                c[b] = load_refl(in_at(i) + 16 * b);
            y = ghash8(y, hpow, c);
        } else if (have_prev) {
            y = ghash8(y, hpow, prev);
        }
        for (unsigned r = 0; r + 1 < rounds; r++)
            for (int b = 0; b < 8; b++)
                x[b] = vaesmcq_u8(vaeseq_u8(x[b], rk[r]));
        for (int b = 0; b < 8; b++) {
            x[b] = veorq_u8(vaeseq_u8(x[b], rk[rounds - 1]), rk[rounds]);
            uint8x16_t d = veorq_u8(x[b], vld1q_u8(in_at(i) + 16 * b));
            vst1q_u8(out + i + 16 * b, d);
            prev[b] = vreinterpretq_u64_u8(rev128(d));
        }
        have_prev = 1;
    }
    if (!decrypt && have_prev)
        y = ghash8(y, hpow, prev);
    if (i < len) {
        /* The last 1..127 bytes: up to eight blocks at once through a
         * zero-padded buffer, GHASHed with H^m..H^1 and reduced once. */
        /* len - i < 128 after the loop; the mask tells the compiler. */
        size_t rem = (len - i) & 127, m = (rem + 15) / 16;
        uint8_t buf[128];
        memcpy(buf, in_at(i), rem);
        memset(buf + rem, 0, sizeof buf - rem);
        uint8x16_t x[8], d[8];
        for (size_t b = 0; b < m; b++)
            x[b] = counter_block(base, ctr++);
        for (unsigned r = 0; r + 1 < rounds; r++)
            for (size_t b = 0; b < m; b++)
                x[b] = vaesmcq_u8(vaeseq_u8(x[b], rk[r]));
        for (size_t b = 0; b < m; b++) {
            x[b] = veorq_u8(vaeseq_u8(x[b], rk[rounds - 1]), rk[rounds]);
            d[b] = vld1q_u8(buf + 16 * b);
            vst1q_u8(buf + 16 * b, veorq_u8(d[b], x[b]));
        }
        memcpy(out + i, buf, rem);
        memset(buf + rem, 0, sizeof buf - rem); /* the output, zero-padded */
        uint64x2_t lo = vdupq_n_u64(0), mid = lo, hi = lo;
        for (size_t b = 0; b < m; b++) {
            uint8x16_t c = decrypt ? d[b] : vld1q_u8(buf + 16 * b);
            uint64x2_t cr = vreinterpretq_u64_u8(rev128(c));
            if (b == 0)
                cr = veorq_u64(cr, y);
            gf_mul_acc(cr, hpow[m - 1 - b], &lo, &mid, &hi);
        }
        y = gf_finish(lo, mid, hi);
        cytls_memzero(buf, sizeof buf);
    }
    uint8_t lens[16];
    cytls_gcm_lengths(lens, aad_len, len);
    y = gf_mul(veorq_u64(y, load_refl(lens)), hpow[0]);
    vst1q_u8(tag, veorq_u8(rev128(vreinterpretq_u8_u64(y)), mask));
    /* Wipe the stack copies of the round keys and GHASH powers. */
    cytls_memzero(rk, sizeof rk);
    cytls_memzero(hpow, sizeof hpow);
#undef in_at
}

const struct cytls_gcm_impl cytls_gcm_armce = {
    "armce",
    armce_init,
    armce_crypt,
};

#endif /* CYTLS_AARCH64 */
