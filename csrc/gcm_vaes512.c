/*
 * gcm_vaes512.c -- AES-GCM on x86-64 with VAES and VPCLMULQDQ on 512-bit
 * vectors (AVX-512 F/BW/VL).
 *
 * Each zmm register holds four blocks. The bulk loops run 32 blocks
 * (512 bytes) per iteration: the AES rounds of this group interleave with
 * the GHASH of the previous group's ciphertext (encryption) or of this
 * group's (decryption), aggregated with H^32..H^1 and reduced once per 32
 * blocks (one reduction per 16 blocks left the GHASH chain, not the AES
 * units, the bound). A remainder of 16 to 31 blocks runs one 16-block
 * group. Tails use masked loads and stores, so no byte outside the buffers
 * is touched and no scalar loop is needed. All instructions used are
 * constant time; branches depend on lengths only.
 *
 * GHASH uses the reflected representation of aes_gcm_aesni.c (see there):
 * key powers are stored as H^k * x^-1.
 *
 * State layout: __m512i rk[15] at 0 (each round key in all four lanes);
 * at 1024, 36 128-bit slots P[0..35] with P[k] = H^(32-k) * x^-1 for
 * k < 32 and zeros after, so that m trailing blocks find their powers at
 * P + 32 - m (a 16-block group's at P + 16).
 */
#include "gcm_impl.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>
#include <string.h>

#define POW_OFFSET 1024
#define NPOW 32
/* From P[0], the powers H^16..H^1 of a 16-block group. */
#define POW16 (16 * 16)

#define XOR(a, b) _mm512_xor_si512((a), (b))
#define XOR3(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0x96)

static inline __m512i bswap512(__m512i x)
{
    const __m512i rev = _mm512_broadcast_i32x4(
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    return _mm512_shuffle_epi8(x, rev);
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

/* Accumulate the four lane products a * h into lo, mid, hi. */
static inline void mul_acc(__m512i a, __m512i h, __m512i *lo, __m512i *mid,
                           __m512i *hi)
{
    *lo = XOR(*lo, _mm512_clmulepi64_epi128(a, h, 0x00));
    *hi = XOR(*hi, _mm512_clmulepi64_epi128(a, h, 0x11));
    *mid = XOR3(*mid, _mm512_clmulepi64_epi128(a, h, 0x01),
                _mm512_clmulepi64_epi128(a, h, 0x10));
}

/* Sum the four lanes' products and reduce once. */
static inline __m128i fold_reduce(__m512i lo, __m512i mid, __m512i hi)
{
    lo = XOR(lo, _mm512_bslli_epi128(mid, 8));
    hi = XOR(hi, _mm512_bsrli_epi128(mid, 8));
    __m256i l = _mm256_xor_si256(_mm512_castsi512_si256(lo),
                                 _mm512_extracti64x4_epi64(lo, 1));
    __m256i h = _mm256_xor_si256(_mm512_castsi512_si256(hi),
                                 _mm512_extracti64x4_epi64(hi, 1));
    __m128i l1 = _mm_xor_si128(_mm256_castsi256_si128(l),
                               _mm256_extracti128_si256(l, 1));
    __m128i h1 = _mm_xor_si128(_mm256_castsi256_si128(h),
                               _mm256_extracti128_si256(h, 1));
    return gf_reduce(h1, l1);
}

/* The q-th group of four powers from P[0..15] (see the layout above). */
#define POW4(pow, q) _mm512_loadu_si512((const void *)((pow) + 64 * (q)))
/* Round key r in all four lanes; st is the (unaligned) state. */
#define RK(r) _mm512_loadu_si512((const void *)(st + 64 * (r)))

static inline __mmask64 byte_mask(size_t n)
{
    return n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
}

/* y = GHASH over 16 reflected blocks c[0..3], aggregated. */
static inline __m128i ghash16(__m128i y, const uint8_t *pow, const __m512i c[4])
{
    __m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;
    mul_acc(XOR(c[0], _mm512_zextsi128_si512(y)), POW4(pow, 0), &lo, &mid, &hi);
    mul_acc(c[1], POW4(pow, 1), &lo, &mid, &hi);
    mul_acc(c[2], POW4(pow, 2), &lo, &mid, &hi);
    mul_acc(c[3], POW4(pow, 3), &lo, &mid, &hi);
    return fold_reduce(lo, mid, hi);
}

/* y = GHASH over 32 reflected blocks c[0..7], aggregated. */
static inline __m128i ghash32(__m128i y, const uint8_t *pow, const __m512i c[8])
{
    __m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;
    mul_acc(XOR(c[0], _mm512_zextsi128_si512(y)), POW4(pow, 0), &lo, &mid, &hi);
    for (int q = 1; q < 8; q++)
        mul_acc(c[q], POW4(pow, q), &lo, &mid, &hi);
    return fold_reduce(lo, mid, hi);
}

/* GHASH of rem < 256 bytes (zero-padded), with the powers for m blocks. */
static __m128i ghash_partial(__m128i y, const uint8_t *pow, const uint8_t *p,
                             size_t rem)
{
    if (rem == 0)
        return y;
    size_t m = (rem + 15) / 16;
    const uint8_t *pm = pow + 16 * (32 - m);
    __m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;
    for (size_t q = 0; 64 * q < rem; q++) {
        __m512i c = bswap512(
            _mm512_maskz_loadu_epi8(byte_mask(rem - 64 * q), p + 64 * q));
        if (q == 0)
            c = XOR(c, _mm512_zextsi128_si512(y));
        mul_acc(c, _mm512_loadu_si512((const void *)(pm + 64 * q)), &lo, &mid,
                &hi);
    }
    return fold_reduce(lo, mid, hi);
}

static __m128i ghash_bytes(__m128i y, const uint8_t *pow, const uint8_t *p,
                           size_t len)
{
    while (len >= 256) {
        __m512i c[4];
        for (int q = 0; q < 4; q++)
            c[q] = bswap512(_mm512_loadu_si512((const void *)(p + 64 * q)));
        y = ghash16(y, pow + POW16, c);
        p += 256;
        len -= 256;
    }
    return ghash_partial(y, pow, p, len);
}

static void vaes512_init(cytls_gcm_ctx *ctx, const uint8_t *key)
{
    uint8_t rk[240], pw[16 * NPOW];
    cytls_gcm_aesni_expand(rk, pw, NPOW, key, ctx->key_len, ctx->rounds);
    for (unsigned r = 0; r <= ctx->rounds; r++)
        _mm512_storeu_si512(
            (void *)(cytls_gcm_state(ctx) + 64 * r),
            _mm512_broadcast_i32x4(
                _mm_loadu_si128((const __m128i *)(rk + 16 * r))));
    uint8_t *pow = cytls_gcm_state(ctx) + POW_OFFSET;
    for (int k = 0; k < NPOW; k++) /* P[k] = H^(32-k) */
        memcpy(pow + 16 * k, pw + 16 * (NPOW - 1 - k), 16);
    memset(pow + 16 * NPOW, 0, 64);
    cytls_memzero(rk, sizeof rk);
    cytls_memzero(pw, sizeof pw);
}

/* Encrypt the four counter vectors x[0..3] (already XORed with rk[0]). */
#define AES_ROUNDS4(x, rounds)                                      \
    do {                                                                 \
        for (unsigned r_ = 1; r_ < (rounds); r_++) {                     \
            (x)[0] = _mm512_aesenc_epi128((x)[0], RK(r_));            \
            (x)[1] = _mm512_aesenc_epi128((x)[1], RK(r_));            \
            (x)[2] = _mm512_aesenc_epi128((x)[2], RK(r_));            \
            (x)[3] = _mm512_aesenc_epi128((x)[3], RK(r_));            \
        }                                                                \
        (x)[0] = _mm512_aesenclast_epi128((x)[0], RK(rounds));        \
        (x)[1] = _mm512_aesenclast_epi128((x)[1], RK(rounds));        \
        (x)[2] = _mm512_aesenclast_epi128((x)[2], RK(rounds));        \
        (x)[3] = _mm512_aesenclast_epi128((x)[3], RK(rounds));        \
    } while (0)

/* One AES round on the eight vectors x[0..7] with round key k. */
#define AES_ROUND8(x, k)                                                 \
    do {                                                                 \
        const __m512i k_ = (k);                                          \
        for (int q_ = 0; q_ < 8; q_++)                                   \
            (x)[q_] = _mm512_aesenc_epi128((x)[q_], k_);                 \
    } while (0)

/* Encrypt the eight counter vectors x[0..7] (already XORed with rk[0]). */
#define AES_ROUNDS8(x, rounds)                                           \
    do {                                                                 \
        for (unsigned r_ = 1; r_ < (rounds); r_++)                       \
            AES_ROUND8(x, RK(r_));                                       \
        for (int q_ = 0; q_ < 8; q_++)                                   \
            (x)[q_] = _mm512_aesenclast_epi128((x)[q_], RK(rounds));     \
    } while (0)

/* All but the last AES round of x[0..7], with y = GHASH of the 32
 * reflected blocks c[0..7] (aggregated with H^32..H^1 from the state's
 * powers pow, reduced once) woven into the first eight rounds (AES-128 has
 * ten). */
#define AES_WOVEN8(x, c, y)                                              \
    do {                                                                 \
        __m512i lo_ = _mm512_setzero_si512(), mid_ = lo_, hi_ = lo_;     \
        for (int q_ = 0; q_ < 8; q_++) {                                 \
            AES_ROUND8(x, RK(q_ + 1));                                   \
            mul_acc(q_ == 0 ? XOR((c)[0], _mm512_zextsi128_si512(y))     \
                            : (c)[q_],                                   \
                    POW4(pow, q_), &lo_, &mid_, &hi_);                   \
        }                                                                \
        for (unsigned r_ = 9; r_ < rounds; r_++)                         \
            AES_ROUND8(x, RK(r_));                                       \
        (y) = fold_reduce(lo_, mid_, hi_);                               \
    } while (0)

/* The next n counter vectors, XORed with rk[0], into x[0..n-1]. */
#define NEXT_COUNTERS(x, n)                                              \
    do {                                                                 \
        for (int q_ = 0; q_ < (n); q_++) {                               \
            (x)[q_] = XOR(bswap512(ctr), RK(0));                         \
            ctr = _mm512_add_epi32(ctr, four);                           \
        }                                                                \
    } while (0)

/* The input of vector q (0..7) of the 512-byte group at off: each 256-byte
 * half on its own side of split (a multiple of 256, see gcm_impl.h). */
#define SRC32(off, q) (in_at((off) + 256 * ((q) / 4)) + 64 * ((q) % 4))

static void vaes512_crypt(const cytls_gcm_ctx *ctx, uint8_t *out,
                          uint8_t tag[16], const uint8_t nonce[12],
                          const uint8_t *aad, size_t aad_len,
                          const uint8_t *in, size_t len, size_t split,
                          int decrypt)
{
    const uint8_t *pow = cytls_gcm_state(ctx) + POW_OFFSET;
    const unsigned rounds = ctx->rounds;
    /* Round keys and powers are read from the state where they are used
     * (unaligned: see cytls_gcm_state), so no copy of them is left on the
     * stack. */
    const uint8_t *st = cytls_gcm_state(ctx);
#define in_at(off) cytls_gcm_src(in, out, split, (off))

    uint8_t j0b[16];
    memcpy(j0b, nonce, 12);
    j0b[12] = 0;
    j0b[13] = 0;
    j0b[14] = 0;
    j0b[15] = 1;
    /* Counter blocks byte-reversed per lane: the 32-bit counter is dword 0
     * of each lane, so _mm512_add_epi32 is inc32 (mod 2^32). */
    __m128i j0 = bswap128(_mm_loadu_si128((const __m128i *)j0b));
    __m128i mask;
    {
        __m128i x = _mm_xor_si128(bswap128(j0), _mm512_castsi512_si128(RK(0)));
        for (unsigned r = 1; r < rounds; r++)
            x = _mm_aesenc_si128(x, _mm512_castsi512_si128(RK(r)));
        mask = _mm_aesenclast_si128(x, _mm512_castsi512_si128(RK(rounds)));
    }
    __m128i y = ghash_bytes(_mm_setzero_si128(), pow, aad, aad_len);

    const __m512i four = _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4,
                                          0, 0, 0, 4);
    /* lanes hold counters 2, 3, 4, 5 */
    __m512i ctr = _mm512_add_epi32(
        _mm512_broadcast_i32x4(j0),
        _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1));

    size_t i = 0;
    if (!decrypt && len >= 512) {
        __m512i c[8], x[8];
        NEXT_COUNTERS(x, 8);
        AES_ROUNDS8(x, rounds);
        for (int q = 0; q < 8; q++) {
            __m512i o = XOR(x[q], _mm512_loadu_si512((const void *)SRC32(0, q)));
            _mm512_storeu_si512((void *)(out + 64 * q), o);
            c[q] = bswap512(o);
        }
        for (i = 512; i + 512 <= len; i += 512) {
            NEXT_COUNTERS(x, 8);
            /* GHASH of the previous group's ciphertext. */
            AES_WOVEN8(x, c, y);
            for (int q = 0; q < 8; q++) {
                x[q] = _mm512_aesenclast_epi128(x[q], RK(rounds));
                __m512i o = XOR(x[q], _mm512_loadu_si512((const void *)SRC32(i, q)));
                _mm512_storeu_si512((void *)(out + i + 64 * q), o);
                c[q] = bswap512(o);
            }
        }
        y = ghash32(y, pow, c);
    } else if (decrypt) {
        for (; i + 512 <= len; i += 512) {
            __m512i c[8], x[8], d[8];
            for (int q = 0; q < 8; q++) {
                d[q] = _mm512_loadu_si512((const void *)SRC32(i, q));
                c[q] = bswap512(d[q]);
                x[q] = XOR(bswap512(ctr), RK(0));
                ctr = _mm512_add_epi32(ctr, four);
            }
            AES_WOVEN8(x, c, y);
            for (int q = 0; q < 8; q++) {
                x[q] = _mm512_aesenclast_epi128(x[q], RK(rounds));
                _mm512_storeu_si512((void *)(out + i + 64 * q), XOR(x[q], d[q]));
            }
        }
    }
    /* 16 to 31 blocks left: one 16-block group, GHASHed after its AES. */
    if (len - i >= 256) {
        __m512i c[4], x[4];
        NEXT_COUNTERS(x, 4);
        AES_ROUNDS4(x, rounds);
        for (int q = 0; q < 4; q++) {
            __m512i d = _mm512_loadu_si512((const void *)(in_at(i) + 64 * q));
            __m512i o = XOR(x[q], d);
            _mm512_storeu_si512((void *)(out + i + 64 * q), o);
            c[q] = bswap512(decrypt ? d : o);
        }
        y = ghash16(y, pow + POW16, c);
        i += 256;
    }

    /* Tail: fewer than 16 blocks, masked. */
    size_t rem = len - i;
    if (rem > 0) {
        size_t m = (rem + 15) / 16;
        const uint8_t *pm = pow + 16 * (32 - m);
        __m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;
        for (size_t q = 0; 64 * q < rem; q++) {
            __mmask64 k = byte_mask(rem - 64 * q);
            __m512i x = XOR(bswap512(ctr), RK(0));
            ctr = _mm512_add_epi32(ctr, four);
            for (unsigned r = 1; r < rounds; r++)
                x = _mm512_aesenc_epi128(x, RK(r));
            x = _mm512_aesenclast_epi128(x, RK(rounds));
            __m512i d = _mm512_maskz_loadu_epi8(k, in_at(i) + 64 * q);
            __m512i o = _mm512_maskz_mov_epi8(k, XOR(x, d));
            _mm512_mask_storeu_epi8(out + i + 64 * q, k, o);
            __m512i c = bswap512(decrypt ? d : o);
            if (q == 0)
                c = XOR(c, _mm512_zextsi128_si512(y));
            mul_acc(c, _mm512_loadu_si512((const void *)(pm + 64 * q)), &lo,
                    &mid, &hi);
        }
        y = fold_reduce(lo, mid, hi);
    }

    uint8_t lens[16];
    cytls_gcm_lengths(lens, aad_len, len);
    y = gf_mul(_mm_xor_si128(y, bswap128(_mm_loadu_si128((const __m128i *)lens))),
               _mm_loadu_si128((const __m128i *)(pow + 16 * (NPOW - 1))));
    _mm_storeu_si128((__m128i *)tag, _mm_xor_si128(bswap128(y), mask));
#undef in_at
}

const struct cytls_gcm_impl cytls_gcm_vaes512 = {
    "vaes512",
    vaes512_init,
    vaes512_crypt,
};

#endif /* CYTLS_X86_64 */
