/*
 * chacha20_ssse3.c -- ChaCha20 on SSSE3, four blocks at once: each of the
 * sixteen state words lives in one 128-bit register holding that word of
 * four consecutive blocks; rotations by 16 and 8 are byte shuffles.
 * Constant time: add/xor/shift/shuffle only, with fixed shuffle masks.
 */
#include "chacha20_common.h"

#if defined(CYTLS_X86_64)

#include <tmmintrin.h>

#define ADD(a, b) _mm_add_epi32(a, b)
#define XOR(a, b) _mm_xor_si128(a, b)
#define ROTS(v, n) _mm_or_si128(_mm_slli_epi32(v, n), _mm_srli_epi32(v, 32 - (n)))

#define QR(a, b, c, d)                                                    \
    do {                                                                  \
        a = ADD(a, b); d = XOR(d, a); d = _mm_shuffle_epi8(d, rot16);     \
        c = ADD(c, d); b = XOR(b, c); b = ROTS(b, 12);                    \
        a = ADD(a, b); d = XOR(d, a); d = _mm_shuffle_epi8(d, rot8);      \
        c = ADD(c, d); b = XOR(b, c); b = ROTS(b, 7);                     \
    } while (0)

/* 4x4 transpose of 32-bit words across four registers. */
#define TRANSPOSE4(a, b, c, d)                                            \
    do {                                                                  \
        __m128i t0 = _mm_unpacklo_epi32(a, b), t1 = _mm_unpacklo_epi32(c, d); \
        __m128i t2 = _mm_unpackhi_epi32(a, b), t3 = _mm_unpackhi_epi32(c, d); \
        a = _mm_unpacklo_epi64(t0, t1);                                   \
        b = _mm_unpackhi_epi64(t0, t1);                                   \
        c = _mm_unpacklo_epi64(t2, t3);                                   \
        d = _mm_unpackhi_epi64(t2, t3);                                   \
    } while (0)

#define LOADU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STOREU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), v)

/* XOR 256 bytes of keystream (blocks ctr..ctr+3) into in, written to out. */
static void four_blocks(uint8_t *out, const uint8_t *in, const uint32_t s[16],
                        uint32_t ctr)
{
    const __m128i rot16 =
        _mm_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    const __m128i rot8 =
        _mm_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    __m128i x[16], o[16];
    for (int i = 0; i < 16; i++)
        o[i] = _mm_set1_epi32((int)s[i]);
    /* 32-bit lane additions wrap the counter modulo 2^32. */
    o[12] = _mm_add_epi32(_mm_set1_epi32((int)ctr), _mm_set_epi32(3, 2, 1, 0));
    for (int i = 0; i < 16; i++)
        x[i] = o[i];
    for (int r = 0; r < 10; r++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        x[i] = ADD(x[i], o[i]);
    for (int g = 0; g < 4; g++) {
        __m128i a = x[4 * g], b = x[4 * g + 1], c = x[4 * g + 2],
                d = x[4 * g + 3];
        TRANSPOSE4(a, b, c, d);
        /* a..d now hold words 4g..4g+3 of blocks 0..3. */
        STOREU(out + 16 * g, XOR(a, LOADU(in + 16 * g)));
        STOREU(out + 64 + 16 * g, XOR(b, LOADU(in + 64 + 16 * g)));
        STOREU(out + 128 + 16 * g, XOR(c, LOADU(in + 128 + 16 * g)));
        STOREU(out + 192 + 16 * g, XOR(d, LOADU(in + 192 + 16 * g)));
    }
}

/*
 * XOR one block of keystream (block ctr) into n <= 64 bytes of in. Here the
 * four registers are the four rows of one block's state; the diagonal
 * round rotates rows b, c, d by one, two and three words, and back. Short
 * messages and the Poly1305 key need one or two blocks, for which the
 * four-block code would compute keystream only to discard it.
 */
static void one_block(uint8_t *out, const uint8_t *in, size_t n,
                      const uint32_t s[16], uint32_t ctr)
{
    const __m128i rot16 =
        _mm_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    const __m128i rot8 =
        _mm_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    const __m128i a0 = LOADU(s), b0 = LOADU(s + 4), c0 = LOADU(s + 8);
    const __m128i d0 = _mm_insert_epi16(
        _mm_insert_epi16(LOADU(s + 12), (int)(ctr & 0xffff), 0),
        (int)(ctr >> 16), 1);
    __m128i a = a0, b = b0, c = c0, d = d0;
    for (int r = 0; r < 10; r++) {
        QR(a, b, c, d);
        b = _mm_shuffle_epi32(b, 0x39);
        c = _mm_shuffle_epi32(c, 0x4e);
        d = _mm_shuffle_epi32(d, 0x93);
        QR(a, b, c, d);
        b = _mm_shuffle_epi32(b, 0x93);
        c = _mm_shuffle_epi32(c, 0x4e);
        d = _mm_shuffle_epi32(d, 0x39);
    }
    _Alignas(16) uint8_t ks[64];
    _mm_store_si128((__m128i *)(void *)ks, ADD(a, a0));
    _mm_store_si128((__m128i *)(void *)(ks + 16), ADD(b, b0));
    _mm_store_si128((__m128i *)(void *)(ks + 32), ADD(c, c0));
    _mm_store_si128((__m128i *)(void *)(ks + 48), ADD(d, d0));
    if (n == 64) {
        for (int i = 0; i < 4; i++)
            STOREU(out + 16 * i,
                   XOR(LOADU(in + 16 * i), LOADU(ks + 16 * i)));
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] ^ ks[i];
    }
    cytls_memzero(ks, sizeof ks);
}

void cytls_chacha20_ssse3(uint8_t *out, const uint8_t *in, size_t len,
                          const uint8_t key[32], const uint8_t nonce[12],
                          uint32_t counter)
{
    uint32_t s[16];
    cytls_chacha20_init_state(s, key, nonce, counter);
    while (len >= 256) {
        four_blocks(out, in, s, counter);
        counter += 4;
        out += 256;
        in += 256;
        len -= 256;
    }
    if (len > 0 && len <= 128) {
        /* One or two blocks: one at a time (the length is public). */
        while (len > 0) {
            size_t n = len < 64 ? len : 64;
            one_block(out, in, n, s, counter++);
            out += n;
            in += n;
            len -= n;
        }
    } else if (len > 0) {
        /* The tail: keystream of four blocks into a buffer (public length). */
        _Alignas(16) uint8_t buf[256];
        cytls_chacha20_tail(out, in, len, buf, sizeof buf, four_blocks, s,
                            counter);
    }
    cytls_memzero(s, sizeof s);
}

#else
typedef int cytls_chacha20_ssse3_unused; /* ISO C forbids an empty file */
#endif
