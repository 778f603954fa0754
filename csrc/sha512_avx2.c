/*
 * sha512_avx2.c -- SHA-512 (and SHA-384) with the message schedule of four
 * blocks computed at once in AVX2 vectors, one block per 64-bit lane, and
 * the rounds in scalar code (compiled with -mbmi2, so rotations are RORX).
 * Used only when cpu.c has seen AVX2 and BMI2.
 *
 * With one block per lane there is no dependency inside a vector, so the
 * schedule W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] costs a
 * quarter of the scalar work per block and leaves the scalar units to the
 * round function. A tail of one to three blocks takes a scalar schedule
 * (one_block), which is faster for so few.
 *
 * Constant time: the only branches are on the block count, which is
 * public; the data decide no branch and no memory index.
 */
#include "sha_impl.h"

#include <immintrin.h>

static inline __m256i ror_v(__m256i x, int n)
{
    return _mm256_or_si256(_mm256_srli_epi64(x, n), _mm256_slli_epi64(x, 64 - n));
}

/* Schedule of four blocks: wk[t][j] = W[t] + K[t] of block j. */
static void schedule4(uint64_t wk[80][4], const uint8_t *const p[4])
{
    /* Byte-swap each 64-bit word (the message is big-endian). */
    const __m256i bswap = _mm256_setr_epi8(
        7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8,
        7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
    /* ror 8 is a byte rotation within each 64-bit word. */
    const __m256i ror8 = _mm256_setr_epi8(
        1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8,
        1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8);
    __m256i w[80];
    for (int i = 0; i < 4; i++) {
        __m256i r0 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(p[0] + 32 * i)), bswap);
        __m256i r1 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(p[1] + 32 * i)), bswap);
        __m256i r2 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(p[2] + 32 * i)), bswap);
        __m256i r3 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(p[3] + 32 * i)), bswap);
        /* Transpose 4x4: word 4i+k of every block into vector 4i+k. */
        __m256i t0 = _mm256_unpacklo_epi64(r0, r1);
        __m256i t1 = _mm256_unpackhi_epi64(r0, r1);
        __m256i t2 = _mm256_unpacklo_epi64(r2, r3);
        __m256i t3 = _mm256_unpackhi_epi64(r2, r3);
        w[4 * i + 0] = _mm256_permute2x128_si256(t0, t2, 0x20);
        w[4 * i + 1] = _mm256_permute2x128_si256(t1, t3, 0x20);
        w[4 * i + 2] = _mm256_permute2x128_si256(t0, t2, 0x31);
        w[4 * i + 3] = _mm256_permute2x128_si256(t1, t3, 0x31);
    }
    for (int t = 16; t < 80; t++) {
        __m256i x = w[t - 15], y = w[t - 2];
        __m256i s0 = _mm256_xor_si256(
            _mm256_xor_si256(ror_v(x, 1), _mm256_shuffle_epi8(x, ror8)),
            _mm256_srli_epi64(x, 7));
        __m256i s1 = _mm256_xor_si256(_mm256_xor_si256(ror_v(y, 19), ror_v(y, 61)),
                                      _mm256_srli_epi64(y, 6));
        w[t] = _mm256_add_epi64(_mm256_add_epi64(s0, s1),
                                _mm256_add_epi64(w[t - 7], w[t - 16]));
    }
    for (int t = 0; t < 80; t++) {
        __m256i k = _mm256_set1_epi64x((long long)cytls_sha512_k[t]);
        _mm256_store_si256((__m256i *)wk[t], _mm256_add_epi64(w[t], k));
    }
}

static inline uint64_t ror64(uint64_t x, unsigned n)
{
    return (x >> n) | (x << (64 - n));
}

/*
 * One round with the roles of the eight variables passed by name, so that
 * eight rounds in a row need no moves: h becomes the new a, d the new e.
 */
#define ROUND1(a, b, c, d, e, f, g, h, wt, kt)                               \
    do {                                                                     \
        h += (ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41)) +                  \
             (((f ^ g) & e) ^ g) + (wt) + (kt);                              \
        d += h;                                                              \
        h += (ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39)) +                  \
             ((a & b) ^ (c & (a ^ b)));                                      \
    } while (0)

/* The end of a block: the working variables a..h join the chaining state. */
#define ADD_TO_STATE()                                                       \
    do {                                                                     \
        state[0] += a, state[1] += b, state[2] += c, state[3] += d;          \
        state[4] += e, state[5] += f, state[6] += g, state[7] += h;          \
    } while (0)

/* A round over schedule4's W[t] + K[t], at wk[t * stride]. */
#define ROUND(a, b, c, d, e, f, g, h, t) ROUND1(a, b, c, d, e, f, g, h, wk[(t) * stride], 0)

/* The 80 rounds over W[t] + K[t] at wk[t * stride] (stride 4: one lane of
 * schedule4's output). */
static inline void rounds(uint64_t state[8], const uint64_t *wk, size_t stride)
{
    uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint64_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 80; t += 8) {
        ROUND(a, b, c, d, e, f, g, h, t + 0);
        ROUND(h, a, b, c, d, e, f, g, t + 1);
        ROUND(g, h, a, b, c, d, e, f, t + 2);
        ROUND(f, g, h, a, b, c, d, e, t + 3);
        ROUND(e, f, g, h, a, b, c, d, t + 4);
        ROUND(d, e, f, g, h, a, b, c, t + 5);
        ROUND(c, d, e, f, g, h, a, b, t + 6);
        ROUND(b, c, d, e, f, g, h, a, t + 7);
    }
    ADD_TO_STATE();
}

static inline uint64_t load_be64(const uint8_t *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
           ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

/*
 * One block with a scalar schedule (RORX under -mbmi2): for the one to
 * three blocks a short message has (the handshake's HMACs and transcript
 * digests), computing four lanes of schedule and wiping them costs more
 * than it saves. The schedule is computed as the rounds go, in a ring of
 * sixteen words (W[t] needs only W[t-16..t-1]); with the loop unrolled by
 * sixteen every ring index is a constant, so the ring lives in registers
 * and memory as the compiler sees fit, and only 128 bytes need wiping.
 */
#define SCHED(w, i)                                                          \
    (w[(i) & 15] += (ror64(w[((i) + 14) & 15], 19) ^                         \
                     ror64(w[((i) + 14) & 15], 61) ^ (w[((i) + 14) & 15] >> 6)) + \
                    w[((i) + 9) & 15] +                                      \
                    (ror64(w[((i) + 1) & 15], 1) ^ ror64(w[((i) + 1) & 15], 8) ^ \
                     (w[((i) + 1) & 15] >> 7)))

#define EIGHT(t, W)                                                          \
    do {                                                                     \
        ROUND1(a, b, c, d, e, f, g, h, W(t + 0), cytls_sha512_k[t + 0]);     \
        ROUND1(h, a, b, c, d, e, f, g, W(t + 1), cytls_sha512_k[t + 1]);     \
        ROUND1(g, h, a, b, c, d, e, f, W(t + 2), cytls_sha512_k[t + 2]);     \
        ROUND1(f, g, h, a, b, c, d, e, W(t + 3), cytls_sha512_k[t + 3]);     \
        ROUND1(e, f, g, h, a, b, c, d, W(t + 4), cytls_sha512_k[t + 4]);     \
        ROUND1(d, e, f, g, h, a, b, c, W(t + 5), cytls_sha512_k[t + 5]);     \
        ROUND1(c, d, e, f, g, h, a, b, W(t + 6), cytls_sha512_k[t + 6]);     \
        ROUND1(b, c, d, e, f, g, h, a, W(t + 7), cytls_sha512_k[t + 7]);     \
    } while (0)

static void one_block(uint64_t state[8], const uint8_t *data)
{
    uint64_t w[16];
    for (int t = 0; t < 16; t++)
        w[t] = load_be64(data + 8 * t);
    uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint64_t e = state[4], f = state[5], g = state[6], h = state[7];
#define W_LOAD(i) w[(i) & 15]
#define W_NEXT(i) SCHED(w, i)
    EIGHT(0, W_LOAD);
    EIGHT(8, W_LOAD);
    for (int t = 16; t < 80; t += 16) {
        EIGHT(t, W_NEXT);
        EIGHT(t + 8, W_NEXT);
    }
#undef W_LOAD
#undef W_NEXT
    ADD_TO_STATE();
    cytls_memzero(w, sizeof w);
}

/* see sha_impl.h */
void cytls_sha512_blocks_avx2(uint64_t state[8], const uint8_t *data,
                              size_t num_blocks)
{
    if (num_blocks >= 4) {
        _Alignas(32) uint64_t wk[80][4];
        while (num_blocks >= 4) {
            const uint8_t *p[4] = {data, data + 128, data + 256, data + 384};
            schedule4(wk, p);
            for (int j = 0; j < 4; j++)
                rounds(state, &wk[0][j], 4);
            data += 512;
            num_blocks -= 4;
        }
        cytls_memzero(wk, sizeof wk);
    }
    for (; num_blocks > 0; num_blocks--, data += 128)
        one_block(state, data);
}
