/*
 * aes_gcm_aesni.c -- AES-GCM on x86-64 with AES-NI and PCLMULQDQ.
 *
 * Eight counter blocks are in flight at once; GHASH is aggregated over
 * eight blocks with the precomputed powers H^1..H^8, so each group of eight
 * is reduced once. The instructions themselves are constant time; nothing
 * here branches on or indexes by secret data.
 *
 * GHASH representation: a block is byte-reversed into a 128-bit lane, so
 * the coefficient of x^i sits at bit 127 - i ("reflected"). A carry-less
 * product of two reflected values is the field product times x; the key
 * powers are therefore stored multiplied by x^-1 (H^k * x^-1), which
 * cancels it. Reduction modulo x^128 + x^7 + x^2 + x + 1 folds the low 128
 * bits in two carry-less multiplications by 0xc2 << 56, the reflected form
 * of (x^7 + x^2 + x + 1) / x.
 *
 * State layout: __m128i rk[15] at 0; __m128i hpow[8] at 256, hpow[i] =
 * H^(i+1) * x^-1 in reflected form.
 */
#include "gcm_impl.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>
#include <string.h>

#define HPOW_OFFSET 256

static inline __m128i bswap128(__m128i x)
{
    const __m128i rev =
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm_shuffle_epi8(x, rev);
}

/* The two-step reduction described above: hi:lo is a 256-bit reflected
 * product; returns it modulo the GCM polynomial. */
static inline __m128i gf_reduce(__m128i hi, __m128i lo)
{
    const __m128i poly = _mm_set_epi64x(0, (long long)0xc200000000000000ull);
    __m128i t = _mm_clmulepi64_si128(lo, poly, 0x00);
    lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), t);
    t = _mm_clmulepi64_si128(lo, poly, 0x00);
    lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), t);
    return _mm_xor_si128(hi, lo);
}

/* Accumulate the unreduced product a * h into lo, mid, hi. */
static inline void gf_mul_acc(__m128i a, __m128i h, __m128i *lo, __m128i *mid,
                              __m128i *hi)
{
    *lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(a, h, 0x00));
    *hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(a, h, 0x11));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(a, h, 0x01));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(a, h, 0x10));
}

static inline __m128i gf_finish(__m128i lo, __m128i mid, __m128i hi)
{
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    return gf_reduce(hi, lo);
}

static inline __m128i gf_mul(__m128i a, __m128i h)
{
    __m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;
    gf_mul_acc(a, h, &lo, &mid, &hi);
    return gf_finish(lo, mid, hi);
}

static inline __m128i aes_block(const __m128i *rk, unsigned rounds, __m128i x)
{
    x = _mm_xor_si128(x, rk[0]);
    for (unsigned r = 1; r < rounds; r++)
        x = _mm_aesenc_si128(x, rk[r]);
    return _mm_aesenclast_si128(x, rk[rounds]);
}

/* FIPS-197 key expansion with AESKEYGENASSIST (constant time). */
static __m128i expand_step128(__m128i k, __m128i kg)
{
    kg = _mm_shuffle_epi32(kg, 0xff);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, kg);
}

static __m128i expand_step256b(__m128i k, __m128i prev)
{
    /* the odd AES-256 step: SubWord without rotation or rcon */
    __m128i kg = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(prev, 0), 0xaa);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, kg);
}

#define KG(x, rc) _mm_aeskeygenassist_si128((x), (rc))

static void expand_key(__m128i *rk, const uint8_t *key, unsigned key_len)
{
    if (key_len == 16) {
        rk[0] = _mm_loadu_si128((const __m128i *)key);
        rk[1] = expand_step128(rk[0], KG(rk[0], 0x01));
        rk[2] = expand_step128(rk[1], KG(rk[1], 0x02));
        rk[3] = expand_step128(rk[2], KG(rk[2], 0x04));
        rk[4] = expand_step128(rk[3], KG(rk[3], 0x08));
        rk[5] = expand_step128(rk[4], KG(rk[4], 0x10));
        rk[6] = expand_step128(rk[5], KG(rk[5], 0x20));
        rk[7] = expand_step128(rk[6], KG(rk[6], 0x40));
        rk[8] = expand_step128(rk[7], KG(rk[7], 0x80));
        rk[9] = expand_step128(rk[8], KG(rk[8], 0x1b));
        rk[10] = expand_step128(rk[9], KG(rk[9], 0x36));
        return;
    }
    rk[0] = _mm_loadu_si128((const __m128i *)key);
    rk[1] = _mm_loadu_si128((const __m128i *)(key + 16));
    rk[2] = expand_step128(rk[0], KG(rk[1], 0x01));
    rk[3] = expand_step256b(rk[1], rk[2]);
    rk[4] = expand_step128(rk[2], KG(rk[3], 0x02));
    rk[5] = expand_step256b(rk[3], rk[4]);
    rk[6] = expand_step128(rk[4], KG(rk[5], 0x04));
    rk[7] = expand_step256b(rk[5], rk[6]);
    rk[8] = expand_step128(rk[6], KG(rk[7], 0x08));
    rk[9] = expand_step256b(rk[7], rk[8]);
    rk[10] = expand_step128(rk[8], KG(rk[9], 0x10));
    rk[11] = expand_step256b(rk[9], rk[10]);
    rk[12] = expand_step128(rk[10], KG(rk[11], 0x20));
    rk[13] = expand_step256b(rk[11], rk[12]);
    rk[14] = expand_step128(rk[12], KG(rk[13], 0x40));
}

/* H * x^-1 from H, both reflected: shift left one bit; the bit shifted out
 * (the coefficient of x^0) comes back as x^-1 = x^127 + x^6 + x + 1. */
static __m128i h_times_xinv(__m128i h)
{
    __m128i carry = _mm_shuffle_epi32(_mm_srai_epi32(h, 31), 0xff);
    __m128i t = _mm_or_si128(_mm_slli_epi64(h, 1),
                             _mm_slli_si128(_mm_srli_epi64(h, 63), 8));
    const __m128i c = _mm_set_epi64x((long long)0xc200000000000000ull, 1);
    return _mm_xor_si128(t, _mm_and_si128(carry, c));
}

/* see gcm_impl.h */
void cytls_gcm_aesni_expand(uint8_t rk_out[240], uint8_t *hpow_out,
                            int num_pow, const uint8_t *key, unsigned key_len,
                            unsigned rounds)
{
    __m128i rk[15];
    expand_key(rk, key, key_len);
    __m128i h = bswap128(aes_block(rk, rounds, _mm_setzero_si128()));
    __m128i h1 = h_times_xinv(h), hk = h1;
    for (int i = 0; i < num_pow; i++) {
        _mm_storeu_si128((__m128i *)(hpow_out + 16 * i), hk);
        hk = gf_mul(hk, h1);
    }
    for (unsigned r = 0; r <= rounds; r++)
        _mm_storeu_si128((__m128i *)(rk_out + 16 * r), rk[r]);
    cytls_memzero(rk, sizeof rk);
    h = h1 = hk = _mm_setzero_si128();
}

static void aesni_init(cytls_gcm_ctx *ctx, const uint8_t *key)
{
    cytls_gcm_aesni_expand(cytls_gcm_state(ctx), cytls_gcm_state(ctx) + HPOW_OFFSET, 8, key,
                           ctx->key_len, ctx->rounds);
}

/* y = (y ^ b[0]) H^8 ^ b[1] H^7 ^ ... ^ b[7] H, blocks already reflected */
static inline __m128i ghash8(__m128i y, const __m128i *hpow, const __m128i *b)
{
    __m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;
    gf_mul_acc(_mm_xor_si128(y, b[0]), hpow[7], &lo, &mid, &hi);
    for (int i = 1; i < 8; i++)
        gf_mul_acc(b[i], hpow[7 - i], &lo, &mid, &hi);
    return gf_finish(lo, mid, hi);
}

/* GHASH of any length; a partial last block is zero-padded. */
static __m128i ghash_bytes(__m128i y, const __m128i *hpow, const uint8_t *p,
                           size_t len)
{
    while (len >= 128) {
        __m128i b[8];
        for (int i = 0; i < 8; i++)
            b[i] = bswap128(_mm_loadu_si128((const __m128i *)(p + 16 * i)));
        y = ghash8(y, hpow, b);
        p += 128;
        len -= 128;
    }
    while (len > 0) {
        __m128i b;
        if (len >= 16) {
            b = _mm_loadu_si128((const __m128i *)p);
        } else {
            uint8_t tmp[16] = {0};
            memcpy(tmp, p, len);
            b = _mm_loadu_si128((const __m128i *)tmp);
        }
        y = gf_mul(_mm_xor_si128(y, bswap128(b)), hpow[0]);
        size_t n = len < 16 ? len : 16;
        p += n;
        len -= n;
    }
    return y;
}

static void aesni_crypt(const cytls_gcm_ctx *ctx, uint8_t *out,
                        uint8_t tag[16], const uint8_t nonce[12],
                        const uint8_t *aad, size_t aad_len, const uint8_t *in,
                        size_t len, size_t split, int decrypt)
{
#define in_at(off) cytls_gcm_src(in, out, split, (off))
    const unsigned rounds = ctx->rounds;
    /* The state may sit at any address (a Python object does not honour
     * _Alignas(64)), so it is only ever read and written unaligned. */
    __m128i rk[15], hpow[8];
    for (unsigned r = 0; r <= rounds; r++)
        rk[r] = _mm_loadu_si128((const __m128i *)(cytls_gcm_state(ctx) + 16 * r));
    for (int k = 0; k < 8; k++)
        hpow[k] = _mm_loadu_si128(
            (const __m128i *)(cytls_gcm_state(ctx) + HPOW_OFFSET + 16 * k));
    uint8_t j0b[16];
    memcpy(j0b, nonce, 12);
    j0b[12] = 0;
    j0b[13] = 0;
    j0b[14] = 0;
    j0b[15] = 1;
    /* The counter block, byte-reversed so the 32-bit counter is lane 0 as a
     * little-endian integer: _mm_add_epi32 is then inc32 (mod 2^32). */
    __m128i ctr = bswap128(_mm_loadu_si128((const __m128i *)j0b));
    const __m128i one = _mm_set_epi32(0, 0, 0, 1);
    __m128i mask = aes_block(rk, rounds, bswap128(ctr));
    __m128i y = ghash_bytes(_mm_setzero_si128(), hpow, aad, aad_len);
    ctr = _mm_add_epi32(ctr, one);

    size_t i = 0;
    if (len >= 128) {
        /* g: reflected ciphertext to GHASH in this iteration -- this
         * group's (decryption) or the previous group's (encryption). */
        __m128i g[8];
        int have_g = 0;
        for (; i + 128 <= len; i += 128) {
            __m128i x[8];
            for (int b = 0; b < 8; b++) {
                x[b] = _mm_xor_si128(bswap128(ctr), rk[0]);
                ctr = _mm_add_epi32(ctr, one);
            }
            if (decrypt) {
                for (int b = 0; b < 8; b++)
                    g[b] = bswap128(
                        _mm_loadu_si128((const __m128i *)(in_at(i) + 16 * b)));
                have_g = 1;
            }
            /* The GHASH multiplications ride along the first eight AES
             * rounds, so both units stay busy. */
            __m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;
            for (int r = 1; r <= 8; r++) {
                for (int b = 0; b < 8; b++)
                    x[b] = _mm_aesenc_si128(x[b], rk[r]);
                if (have_g)
                    gf_mul_acc(r == 1 ? _mm_xor_si128(y, g[0]) : g[r - 1],
                               hpow[8 - r], &lo, &mid, &hi);
            }
            if (have_g)
                y = gf_finish(lo, mid, hi);
            for (unsigned r = 9; r < rounds; r++)
                for (int b = 0; b < 8; b++)
                    x[b] = _mm_aesenc_si128(x[b], rk[r]);
            for (int b = 0; b < 8; b++) {
                x[b] = _mm_aesenclast_si128(x[b], rk[rounds]);
                __m128i d = _mm_xor_si128(
                    x[b], _mm_loadu_si128((const __m128i *)(in_at(i) + 16 * b)));
                _mm_storeu_si128((__m128i *)(out + i + 16 * b), d);
                if (!decrypt)
                    g[b] = bswap128(d);
            }
            have_g = 1;
        }
        if (!decrypt)
            y = ghash8(y, hpow, g);
    }
    if (i < len) {
        /* The last 1..127 bytes: up to eight blocks at once through a
         * zero-padded buffer, GHASHed with H^m..H^1 and reduced once. */
        /* len - i < 128 after the loop; the mask tells the compiler. */
        size_t rem = (len - i) & 127, m = (rem + 15) / 16;
        uint8_t buf[128];
        memcpy(buf, in_at(i), rem);
        memset(buf + rem, 0, sizeof buf - rem);
        __m128i x[8], d[8];
        for (int b = 0; b < 8; b++) {
            x[b] = _mm_xor_si128(bswap128(ctr), rk[0]);
            ctr = _mm_add_epi32(ctr, one);
        }
        for (unsigned r = 1; r < rounds; r++)
            for (int b = 0; b < 8; b++)
                x[b] = _mm_aesenc_si128(x[b], rk[r]);
        for (int b = 0; b < 8; b++) {
            d[b] = _mm_loadu_si128((const __m128i *)(buf + 16 * b));
            _mm_storeu_si128((__m128i *)(buf + 16 * b),
                             _mm_xor_si128(d[b], _mm_aesenclast_si128(
                                                     x[b], rk[rounds])));
        }
        memcpy(out + i, buf, rem);
        memset(buf + rem, 0, sizeof buf - rem); /* the output, zero-padded */
        __m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;
        for (size_t b = 0; b < m; b++) {
            __m128i c = decrypt ? d[b]
                                : _mm_loadu_si128((const __m128i *)(buf + 16 * b));
            c = bswap128(c);
            if (b == 0)
                c = _mm_xor_si128(c, y);
            gf_mul_acc(c, hpow[m - 1 - b], &lo, &mid, &hi);
        }
        y = gf_finish(lo, mid, hi);
        cytls_memzero(buf, sizeof buf);
    }
    uint8_t lens[16];
    cytls_gcm_lengths(lens, aad_len, len);
    y = gf_mul(_mm_xor_si128(y, bswap128(_mm_loadu_si128((const __m128i *)lens))),
               hpow[0]);
    _mm_storeu_si128((__m128i *)tag, _mm_xor_si128(bswap128(y), mask));
    /* Wipe the stack copies of the round keys and GHASH powers. */
    cytls_memzero(rk, sizeof rk);
    cytls_memzero(hpow, sizeof hpow);
#undef in_at
}

const struct cytls_gcm_impl cytls_gcm_aesni = {
    "aesni",
    aesni_init,
    aesni_crypt,
};

#endif /* CYTLS_X86_64 */
