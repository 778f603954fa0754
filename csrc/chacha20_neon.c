/*
 * chacha20_neon.c -- ChaCha20 on aarch64 Advanced SIMD, four blocks at
 * once: each state word lives in one 128-bit register holding that word of
 * four blocks. Constant time: add/xor/shift-insert/fixed permutes only.
 */
#include "chacha20_common.h"

#if defined(CYTLS_AARCH64)

#if defined(__AARCH64EB__)
/* Big-endian aarch64 is rare; the lanes below assume little-endian loads. */
void cytls_chacha20_neon(uint8_t *out, const uint8_t *in, size_t len,
                         const uint8_t key[32], const uint8_t nonce[12],
                         uint32_t counter)
{
    cytls_chacha20_portable(out, in, len, key, nonce, counter);
}
#else

#include <arm_neon.h>

#define ADD(a, b) vaddq_u32(a, b)
#define XOR(a, b) veorq_u32(a, b)
#define ROT16(v) vreinterpretq_u32_u16(vrev32q_u16(vreinterpretq_u16_u32(v)))
#define ROTL(v, n) vsriq_n_u32(vshlq_n_u32(v, n), v, 32 - (n))

#define QR(a, b, c, d)                                                    \
    do {                                                                  \
        a = ADD(a, b); d = XOR(d, a); d = ROT16(d);                       \
        c = ADD(c, d); b = XOR(b, c); b = ROTL(b, 12);                    \
        a = ADD(a, b); d = XOR(d, a); d = ROTL(d, 8);                     \
        c = ADD(c, d); b = XOR(b, c); b = ROTL(b, 7);                     \
    } while (0)

#define U64(v) vreinterpretq_u64_u32(v)
#define U32(v) vreinterpretq_u32_u64(v)

/* Transpose words 4g..4g+3 of four blocks into one register per block. */
#define TRANSPOSE4(a, b, c, d)                                            \
    do {                                                                  \
        uint32x4_t t0 = vtrn1q_u32(a, b), t1 = vtrn2q_u32(a, b);          \
        uint32x4_t t2 = vtrn1q_u32(c, d), t3 = vtrn2q_u32(c, d);          \
        a = U32(vtrn1q_u64(U64(t0), U64(t2)));                            \
        b = U32(vtrn1q_u64(U64(t1), U64(t3)));                            \
        c = U32(vtrn2q_u64(U64(t0), U64(t2)));                            \
        d = U32(vtrn2q_u64(U64(t1), U64(t3)));                            \
    } while (0)

static inline void xor_store(uint8_t *out, const uint8_t *in, uint32x4_t ks)
{
    vst1q_u8(out, veorq_u8(vld1q_u8(in), vreinterpretq_u8_u32(ks)));
}

/* XOR 256 bytes of keystream (blocks ctr..ctr+3) into in, written to out. */
static void four_blocks(uint8_t *out, const uint8_t *in, const uint32_t s[16],
                        uint32_t ctr)
{
    static const uint32_t lane_offsets[4] = {0, 1, 2, 3};
    uint32x4_t x[16], o[16];
    for (int i = 0; i < 16; i++)
        o[i] = vdupq_n_u32(s[i]);
    /* 32-bit lane additions wrap the counter modulo 2^32. */
    o[12] = vaddq_u32(vdupq_n_u32(ctr), vld1q_u32(lane_offsets));
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
        TRANSPOSE4(x[4 * g], x[4 * g + 1], x[4 * g + 2], x[4 * g + 3]);
        for (int b = 0; b < 4; b++)
            xor_store(out + 64 * b + 16 * g, in + 64 * b + 16 * g,
                      x[4 * g + b]);
    }
}

void cytls_chacha20_neon(uint8_t *out, const uint8_t *in, size_t len,
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
    if (len > 0) {
        /* The tail: keystream of four blocks into a buffer (public length). */
        uint8_t buf[256];
        cytls_chacha20_tail(out, in, len, buf, sizeof buf, four_blocks, s,
                            counter);
    }
    cytls_memzero(s, sizeof s);
}

#endif /* little-endian */

#else
typedef int cytls_chacha20_neon_unused; /* ISO C forbids an empty file */
#endif
