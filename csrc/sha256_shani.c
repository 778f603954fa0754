/*
 * sha256_shani.c -- the SHA-256 compression function with the x86 SHA
 * extensions (SHA256RNDS2, SHA256MSG1, SHA256MSG2). Compiled with -msha and
 * used only when cpu.c has seen SHA-NI. Constant time: the instructions run
 * a fixed sequence whatever the data.
 *
 * SHA256RNDS2 keeps the working variables as two vectors, ABEF and CDGH,
 * and does two rounds per call with the message-plus-constant words in the
 * low 64 bits of its third operand.
 */
#include "sha_impl.h"

#include <immintrin.h>

/*
 * One group of four rounds t = 4*i .. 4*i+3. For i >= 4 the message words
 * are first computed in place from the four previous groups:
 * W[t+j] = s1(W[t+j-2]) + W[t+j-7] + s0(W[t+j-15]) + W[t+j-16].
 */
#define LOAD_ROUNDS(i, m)                                                    \
    do {                                                                     \
        m = _mm_shuffle_epi8(                                                \
            _mm_loadu_si128((const __m128i *)(data + 16 * (i))), bswap);     \
        ROUNDS4(i, m);                                                       \
    } while (0)

#define SCHED_ROUNDS(i, m0, m1, m2, m3)                                      \
    do {                                                                     \
        m0 = _mm_sha256msg1_epu32(m0, m1);                                   \
        m0 = _mm_add_epi32(m0, _mm_alignr_epi8(m3, m2, 4));                  \
        m0 = _mm_sha256msg2_epu32(m0, m3);                                   \
        ROUNDS4(i, m0);                                                      \
    } while (0)

#define ROUNDS4(i, m)                                                        \
    do {                                                                     \
        __m128i wk = _mm_add_epi32(                                          \
            m, _mm_loadu_si128((const __m128i *)&cytls_sha256_k[4 * (i)]));  \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                        \
        wk = _mm_shuffle_epi32(wk, 0x0e);                                    \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);                        \
    } while (0)

/* see sha_impl.h */
void cytls_sha256_blocks_shani(uint32_t state[8], const uint8_t *data,
                               size_t num_blocks)
{
    const __m128i bswap =
        _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    /* state[0..3] = A B C D in lanes 0..3, state[4..7] = E F G H. */
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);

    while (num_blocks--) {
        __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i m0, m1, m2, m3;
        LOAD_ROUNDS(0, m0);
        LOAD_ROUNDS(1, m1);
        LOAD_ROUNDS(2, m2);
        LOAD_ROUNDS(3, m3);
        SCHED_ROUNDS(4, m0, m1, m2, m3);
        SCHED_ROUNDS(5, m1, m2, m3, m0);
        SCHED_ROUNDS(6, m2, m3, m0, m1);
        SCHED_ROUNDS(7, m3, m0, m1, m2);
        SCHED_ROUNDS(8, m0, m1, m2, m3);
        SCHED_ROUNDS(9, m1, m2, m3, m0);
        SCHED_ROUNDS(10, m2, m3, m0, m1);
        SCHED_ROUNDS(11, m3, m0, m1, m2);
        SCHED_ROUNDS(12, m0, m1, m2, m3);
        SCHED_ROUNDS(13, m1, m2, m3, m0);
        SCHED_ROUNDS(14, m2, m3, m0, m1);
        SCHED_ROUNDS(15, m3, m0, m1, m2);
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
        data += 64;
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
    dcba = _mm_blend_epi16(feba, dchg, 0xf0);
    hgfe = _mm_alignr_epi8(dchg, feba, 8);
    _mm_storeu_si128((__m128i *)&state[0], dcba);
    _mm_storeu_si128((__m128i *)&state[4], hgfe);
}
