/*
 * sha256_avx2.c -- SHA-256 with the message schedule of eight blocks
 * computed at once in AVX2 vectors, one block per 32-bit lane, and the
 * rounds in scalar code (compiled with -mbmi2, so rotations are RORX). For
 * x86-64 CPUs with AVX2 but without the SHA extensions; cpu.c prefers
 * SHA-NI when present.
 *
 * With one block per lane there is no dependency inside a vector, so the
 * schedule W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] costs an
 * eighth of the scalar work per block. A tail of fewer than eight blocks
 * fills the unused lanes with the first block and ignores their words.
 *
 * Constant time: the only branches are on the block count, which is
 * public; the data decide no branch and no memory index.
 */
#include "sha_impl.h"

#include <immintrin.h>

static inline __m256i ror_v(__m256i x, int n)
{
    return _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - n));
}

/* Words 8i..8i+7 of eight blocks, transposed: out[k] holds word 8i+k of each. */
static inline void load_transpose(__m256i out[8], const uint8_t *const p[8], int i)
{
    const __m256i bswap = _mm256_setr_epi8(
        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    __m256i r[8], s[8], u[8];
    for (int j = 0; j < 8; j++)
        r[j] = _mm256_shuffle_epi8(
            _mm256_loadu_si256((const __m256i *)(p[j] + 32 * i)), bswap);
    for (int j = 0; j < 8; j += 2) {
        s[j] = _mm256_unpacklo_epi32(r[j], r[j + 1]);
        s[j + 1] = _mm256_unpackhi_epi32(r[j], r[j + 1]);
    }
    for (int j = 0; j < 8; j += 4) {
        u[j + 0] = _mm256_unpacklo_epi64(s[j], s[j + 2]);
        u[j + 1] = _mm256_unpackhi_epi64(s[j], s[j + 2]);
        u[j + 2] = _mm256_unpacklo_epi64(s[j + 1], s[j + 3]);
        u[j + 3] = _mm256_unpackhi_epi64(s[j + 1], s[j + 3]);
    }
    for (int k = 0; k < 4; k++) {
        out[k] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x20);
        out[k + 4] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x31);
    }
}

/* Schedule of eight blocks: wk[t][j] = W[t] + K[t] of block j. */
static void schedule8(uint32_t wk[64][8], const uint8_t *const p[8])
{
    __m256i w[64];
    load_transpose(&w[0], p, 0);
    load_transpose(&w[8], p, 1);
    for (int t = 16; t < 64; t++) {
        __m256i x = w[t - 15], y = w[t - 2];
        __m256i s0 = _mm256_xor_si256(_mm256_xor_si256(ror_v(x, 7), ror_v(x, 18)),
                                      _mm256_srli_epi32(x, 3));
        __m256i s1 = _mm256_xor_si256(_mm256_xor_si256(ror_v(y, 17), ror_v(y, 19)),
                                      _mm256_srli_epi32(y, 10));
        w[t] = _mm256_add_epi32(_mm256_add_epi32(s0, s1),
                                _mm256_add_epi32(w[t - 7], w[t - 16]));
    }
    for (int t = 0; t < 64; t++) {
        __m256i k = _mm256_set1_epi32((int)cytls_sha256_k[t]);
        _mm256_store_si256((__m256i *)wk[t], _mm256_add_epi32(w[t], k));
    }
}

static inline uint32_t ror32(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

/*
 * One round with the roles of the eight variables passed by name, so that
 * eight rounds in a row need no moves: h becomes the new a, d the new e.
 */
#define ROUND(a, b, c, d, e, f, g, h, t)                                     \
    do {                                                                     \
        h += (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +                   \
             (((f ^ g) & e) ^ g) + wk[t][j];                                 \
        d += h;                                                              \
        h += (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +                   \
             ((a & b) ^ (c & (a ^ b)));                                      \
    } while (0)

static void rounds(uint32_t state[8], uint32_t wk[64][8], int j)
{
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t += 8) {
        ROUND(a, b, c, d, e, f, g, h, t + 0);
        ROUND(h, a, b, c, d, e, f, g, t + 1);
        ROUND(g, h, a, b, c, d, e, f, t + 2);
        ROUND(f, g, h, a, b, c, d, e, t + 3);
        ROUND(e, f, g, h, a, b, c, d, t + 4);
        ROUND(d, e, f, g, h, a, b, c, t + 5);
        ROUND(c, d, e, f, g, h, a, b, t + 6);
        ROUND(b, c, d, e, f, g, h, a, t + 7);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

/* see sha_impl.h */
void cytls_sha256_blocks_avx2(uint32_t state[8], const uint8_t *data,
                              size_t num_blocks)
{
    _Alignas(32) uint32_t wk[64][8];
    while (num_blocks > 0) {
        size_t n = num_blocks < 8 ? num_blocks : 8;
        const uint8_t *p[8];
        for (size_t j = 0; j < 8; j++)
            p[j] = data + 64 * (j < n ? j : 0);
        schedule8(wk, p);
        for (size_t j = 0; j < n; j++)
            rounds(state, wk, (int)j);
        data += 64 * n;
        num_blocks -= n;
    }
    cytls_memzero(wk, sizeof wk);
}
