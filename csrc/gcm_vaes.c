/*
 * gcm_vaes.c -- AES-GCM on x86-64 with VAES and VPCLMULQDQ on 256-bit
 * vectors (AVX2, no AVX-512).
 *
 * Each ymm register holds two blocks. The bulk loops run 16 blocks
 * (256 bytes, eight registers) per iteration: the AES rounds of this group
 * interleave with the GHASH of the previous group's ciphertext (encryption)
 * or of this group's (decryption), aggregated with H^16..H^1 and reduced
 * once per 16 blocks. The last partial group goes through a zero-padded
 * 256-byte buffer on the stack. All instructions used are constant time;
 * branches depend on lengths only.
 *
 * GHASH uses the reflected representation of aes_gcm_aesni.c (see there):
 * key powers are stored as H^k * x^-1.
 *
 * State layout: __m256i rk[15] at 0 (each round key in both lanes); at
 * 512, 18 128-bit slots P[0..17] with P[k] = H^(16-k) * x^-1 for k < 16
 * and zeros after, so that m trailing blocks find their powers at
 * P + 16 - m.
 */
#include "gcm_impl.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>
#include <string.h>

#define POW_OFFSET 512
#define NV 8 /* ymm registers per 16-block group */

#define XOR(a, b) _mm256_xor_si256((a), (b))

static inline __m256i bswap256(__m256i x)
{
    const __m256i rev = _mm256_broadcastsi128_si256(
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    return _mm256_shuffle_epi8(x, rev);
}

static inline __m128i bswap128(__m128i x)
{
    const __m128i rev =
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm_shuffle_epi8(x, rev);
}

static inline __m128i gf_reduce(__m128i hi, __m128i lo)
{
    const __m128i poly = _mm_set_epi64x(0, (long long)0xc200000000000000ull);
    __m128i t = _mm_clmulepi64_si128(lo, poly, 0x00);
    lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), t);
    t = _mm_clmulepi64_si128(lo, poly, 0x00);
    lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), t);
    return _mm_xor_si128(hi, lo);
}

static inline __m128i gf_mul(__m128i a, __m128i h)
{
    __m128i lo = _mm_clmulepi64_si128(a, h, 0x00);
    __m128i hi = _mm_clmulepi64_si128(a, h, 0x11);
    __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(a, h, 0x01),
                                _mm_clmulepi64_si128(a, h, 0x10));
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    return gf_reduce(hi, lo);
}

static inline void mul_acc(__m256i a, __m256i h, __m256i *lo, __m256i *mid,
                           __m256i *hi)
{
    *lo = XOR(*lo, _mm256_clmulepi64_epi128(a, h, 0x00));
    *hi = XOR(*hi, _mm256_clmulepi64_epi128(a, h, 0x11));
    *mid = XOR(*mid, XOR(_mm256_clmulepi64_epi128(a, h, 0x01),
                         _mm256_clmulepi64_epi128(a, h, 0x10)));
}

static inline __m128i fold_reduce(__m256i lo, __m256i mid, __m256i hi)
{
    lo = XOR(lo, _mm256_slli_si256(mid, 8));
    hi = XOR(hi, _mm256_srli_si256(mid, 8));
    __m128i l = _mm_xor_si128(_mm256_castsi256_si128(lo),
                              _mm256_extracti128_si256(lo, 1));
    __m128i h = _mm_xor_si128(_mm256_castsi256_si128(hi),
                              _mm256_extracti128_si256(hi, 1));
    return gf_reduce(h, l);
}

/* Round key r in both lanes; st is the (unaligned) state. */
#define RK(r) _mm256_loadu_si256((const __m256i *)(st + 32 * (r)))

static inline __m256i zext(__m128i y)
{
    return _mm256_inserti128_si256(_mm256_setzero_si256(), y, 0);
}

/* y = GHASH over 16 reflected blocks c[0..7] with powers at pw. */
static inline __m128i ghash16(__m128i y, const uint8_t *pw, const __m256i c[NV])
{
    __m256i lo = _mm256_setzero_si256(), mid = lo, hi = lo;
    mul_acc(XOR(c[0], zext(y)), _mm256_loadu_si256((const __m256i *)pw), &lo,
            &mid, &hi);
    for (int q = 1; q < NV; q++)
        mul_acc(c[q], _mm256_loadu_si256((const __m256i *)(pw + 32 * q)), &lo,
                &mid, &hi);
    return fold_reduce(lo, mid, hi);
}

/* GHASH of rem < 256 bytes, zero-padded, with the powers for m blocks. */
static __m128i ghash_partial(__m128i y, const uint8_t *pow, const uint8_t *p,
                             size_t rem)
{
    if (rem == 0)
        return y;
    uint8_t buf[256];
    size_t m = (rem + 15) / 16;
    memcpy(buf, p, rem);
    memset(buf + rem, 0, 32 * ((m + 1) / 2) - rem);
    const uint8_t *pm = pow + 16 * (16 - m);
    __m256i lo = _mm256_setzero_si256(), mid = lo, hi = lo;
    for (size_t q = 0; 32 * q < 16 * m; q++) {
        /* an odd m reads one zero block past the data; its power is 0 */
        __m256i c = bswap256(_mm256_loadu_si256((const __m256i *)(buf + 32 * q)));
        if (q == 0)
            c = XOR(c, zext(y));
        mul_acc(c, _mm256_loadu_si256((const __m256i *)(pm + 32 * q)), &lo,
                &mid, &hi);
    }
    return fold_reduce(lo, mid, hi);
}

static __m128i ghash_bytes(__m128i y, const uint8_t *pow, const uint8_t *p,
                           size_t len)
{
    while (len >= 256) {
        __m256i c[NV];
        for (int q = 0; q < NV; q++)
            c[q] = bswap256(_mm256_loadu_si256((const __m256i *)(p + 32 * q)));
        y = ghash16(y, pow, c);
        p += 256;
        len -= 256;
    }
    return ghash_partial(y, pow, p, len);
}

static void vaes256_init(cytls_gcm_ctx *ctx, const uint8_t *key)
{
    uint8_t rk[240], pw[16 * 16];
    cytls_gcm_aesni_expand(rk, pw, 16, key, ctx->key_len, ctx->rounds);
    for (unsigned r = 0; r <= ctx->rounds; r++)
        _mm256_storeu_si256(
            (__m256i *)(cytls_gcm_state(ctx) + 32 * r),
            _mm256_broadcastsi128_si256(
                _mm_loadu_si128((const __m128i *)(rk + 16 * r))));
    uint8_t *pow = cytls_gcm_state(ctx) + POW_OFFSET;
    for (int k = 0; k < 16; k++) /* P[k] = H^(16-k) */
        memcpy(pow + 16 * k, pw + 16 * (15 - k), 16);
    memset(pow + 16 * 16, 0, 32);
    cytls_memzero(rk, sizeof rk);
    cytls_memzero(pw, sizeof pw);
}

/* 8 ymm registers of counter blocks, XORed with rk[0]; advances ctr. */
static inline void next_counters(__m256i x[NV], __m256i *ctr, __m256i rk0)
{
    const __m256i two = _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 2);
    for (int q = 0; q < NV; q++) {
        x[q] = XOR(bswap256(*ctr), rk0);
        *ctr = _mm256_add_epi32(*ctr, two);
    }
}

static inline void aes_round8(__m256i x[NV], __m256i rk)
{
    for (int q = 0; q < NV; q++)
        x[q] = _mm256_aesenc_epi128(x[q], rk);
}

/*
 * One 16-block group: encrypt the counters x while GHASHing the 256 bytes
 * of ciphertext at g (XORed with y first), one register of it per AES
 * round so both units stay busy. The ciphertext is read from memory as it
 * is needed, which keeps the 16 ymm registers for the AES state. Returns
 * the new y.
 */
static inline __m128i group(const uint8_t *st, unsigned rounds,
                            const uint8_t *pow, __m256i x[NV],
                            const uint8_t *g, __m128i y)
{
    __m256i lo = _mm256_setzero_si256(), mid = lo, hi = lo;
    for (int q = 0; q < NV; q++) {
        aes_round8(x, RK(1 + q));
        __m256i c = bswap256(_mm256_loadu_si256((const __m256i *)(g + 32 * q)));
        mul_acc(q == 0 ? XOR(c, zext(y)) : c,
                _mm256_loadu_si256((const __m256i *)(pow + 32 * q)), &lo, &mid,
                &hi);
    }
    for (unsigned r = 1 + NV; r < rounds; r++)
        aes_round8(x, RK(r));
    for (int q = 0; q < NV; q++)
        x[q] = _mm256_aesenclast_epi128(x[q], RK(rounds));
    return fold_reduce(lo, mid, hi);
}

static void vaes256_crypt(const cytls_gcm_ctx *ctx, uint8_t *out,
                          uint8_t tag[16], const uint8_t nonce[12],
                          const uint8_t *aad, size_t aad_len,
                          const uint8_t *in, size_t len, size_t split,
                          int decrypt)
{
    const uint8_t *pow = cytls_gcm_state(ctx) + POW_OFFSET;
    const unsigned rounds = ctx->rounds;
    /* Round keys are read from the state where they are used (unaligned:
     * see cytls_gcm_state), so no copy of them is left on the stack. */
    const uint8_t *st = cytls_gcm_state(ctx);
#define in_at(off) cytls_gcm_src(in, out, split, (off))

    uint8_t j0b[16];
    memcpy(j0b, nonce, 12);
    j0b[12] = 0;
    j0b[13] = 0;
    j0b[14] = 0;
    j0b[15] = 1;
    /* Counter blocks byte-reversed per lane: the 32-bit counter is dword 0
     * of each lane, so _mm256_add_epi32 is inc32 (mod 2^32). */
    __m128i j0 = bswap128(_mm_loadu_si128((const __m128i *)j0b));
    __m128i mask;
    {
        __m128i x = _mm_xor_si128(bswap128(j0), _mm256_castsi256_si128(RK(0)));
        for (unsigned r = 1; r < rounds; r++)
            x = _mm_aesenc_si128(x, _mm256_castsi256_si128(RK(r)));
        mask = _mm_aesenclast_si128(x, _mm256_castsi256_si128(RK(rounds)));
    }
    __m128i y = ghash_bytes(_mm_setzero_si128(), pow, aad, aad_len);
    /* lanes hold counters 2, 3 */
    __m256i ctr = _mm256_add_epi32(_mm256_broadcastsi128_si256(j0),
                                   _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 1));

    size_t i = 0;
    if (!decrypt && len >= 256) {
        __m256i x[NV];
        next_counters(x, &ctr, RK(0));
        for (unsigned r = 1; r < rounds; r++)
            aes_round8(x, RK(r));
        for (int q = 0; q < NV; q++) {
            x[q] = _mm256_aesenclast_epi128(x[q], RK(rounds));
            _mm256_storeu_si256(
                (__m256i *)(out + 32 * q),
                XOR(x[q], _mm256_loadu_si256((const __m256i *)(in_at(0) + 32 * q))));
        }
        /* each group GHASHes the ciphertext the previous one wrote */
        for (i = 256; i + 256 <= len; i += 256) {
            next_counters(x, &ctr, RK(0));
            y = group(st, rounds, pow, x, out + i - 256, y);
            for (int q = 0; q < NV; q++)
                _mm256_storeu_si256(
                    (__m256i *)(out + i + 32 * q),
                    XOR(x[q],
                        _mm256_loadu_si256((const __m256i *)(in_at(i) + 32 * q))));
        }
        y = ghash_bytes(y, pow, out + i - 256, 256);
    } else if (decrypt) {
        for (; i + 256 <= len; i += 256) {
            __m256i x[NV];
            next_counters(x, &ctr, RK(0));
            /* GHASH reads the ciphertext before this group overwrites it
             * (out may equal in): group() finishes all its loads first. */
            y = group(st, rounds, pow, x, in_at(i), y);
            for (int q = 0; q < NV; q++)
                _mm256_storeu_si256(
                    (__m256i *)(out + i + 32 * q),
                    XOR(x[q],
                        _mm256_loadu_si256((const __m256i *)(in_at(i) + 32 * q))));
        }
    }

    /* Tail: fewer than 16 blocks, through a zero-padded buffer. */
    size_t rem = len - i;
    if (rem > 0) {
        uint8_t buf[256];
        size_t m = (rem + 15) / 16, nq = (m + 1) / 2;
        memcpy(buf, in_at(i), rem);
        memset(buf + rem, 0, 32 * nq - rem);
        const uint8_t *pm = pow + 16 * (16 - m);
        __m256i lo = _mm256_setzero_si256(), mid = lo, hi = lo;
        for (size_t q = 0; q < nq; q++) {
            const __m256i two = _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 2);
            __m256i x = XOR(bswap256(ctr), RK(0));
            ctr = _mm256_add_epi32(ctr, two);
            for (unsigned r = 1; r < rounds; r++)
                x = _mm256_aesenc_epi128(x, RK(r));
            x = _mm256_aesenclast_epi128(x, RK(rounds));
            __m256i d = _mm256_loadu_si256((const __m256i *)(buf + 32 * q));
            _mm256_storeu_si256((__m256i *)(buf + 32 * q), XOR(x, d));
            if (decrypt) {
                __m256i c = bswap256(d);
                if (q == 0)
                    c = XOR(c, zext(y));
                mul_acc(c, _mm256_loadu_si256((const __m256i *)(pm + 32 * q)),
                        &lo, &mid, &hi);
            }
        }
        memcpy(out + i, buf, rem);
        if (decrypt) {
            y = fold_reduce(lo, mid, hi);
        } else {
            y = ghash_partial(y, pow, buf, rem);
        }
        cytls_memzero(buf, sizeof buf);
    }

    uint8_t lens[16];
    cytls_gcm_lengths(lens, aad_len, len);
    y = gf_mul(_mm_xor_si128(y, bswap128(_mm_loadu_si128((const __m128i *)lens))),
               _mm_loadu_si128((const __m128i *)(pow + 16 * 15)));
    _mm_storeu_si128((__m128i *)tag, _mm_xor_si128(bswap128(y), mask));
#undef in_at
}

const struct cytls_gcm_impl cytls_gcm_vaes256 = {
    "vaes256",
    vaes256_init,
    vaes256_crypt,
};

#endif /* CYTLS_X86_64 */
