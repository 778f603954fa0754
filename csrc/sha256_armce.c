/*
 * sha256_armce.c -- the SHA-256 compression function with the ARMv8
 * Cryptography Extension (SHA256H, SHA256H2, SHA256SU0, SHA256SU1).
 * Compiled with -march=armv8-a+crypto and used only when cpu.c has seen
 * HWCAP_SHA2. Constant time: a fixed instruction sequence whatever the data.
 */
#include "sha_impl.h"

#include <arm_neon.h>

/* see sha_impl.h */
void cytls_sha256_blocks_armce(uint32_t state[8], const uint8_t *data,
                               size_t num_blocks)
{
    uint32x4_t abcd = vld1q_u32(&state[0]);
    uint32x4_t efgh = vld1q_u32(&state[4]);
    while (num_blocks--) {
        uint32x4_t abcd0 = abcd, efgh0 = efgh;
        uint32x4_t m[4];
        for (int i = 0; i < 4; i++)
            m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 16 * i)));
        /* Sixteen groups of four rounds; m[i % 4] holds W[4i .. 4i+3]. */
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            uint32x4_t wk = vaddq_u32(m[i & 3], vld1q_u32(&cytls_sha256_k[4 * i]));
            if (i < 12) {
                /* W[4i+16 ..] from W[4i ..], W[4i+4 ..], W[4i+8 ..], W[4i+12 ..]. */
                m[i & 3] = vsha256su1q_u32(vsha256su0q_u32(m[i & 3], m[(i + 1) & 3]),
                                           m[(i + 2) & 3], m[(i + 3) & 3]);
            }
            uint32x4_t abcd_prev = abcd;
            abcd = vsha256hq_u32(abcd, efgh, wk);
            efgh = vsha256h2q_u32(efgh, abcd_prev, wk);
        }
        abcd = vaddq_u32(abcd, abcd0);
        efgh = vaddq_u32(efgh, efgh0);
        data += 64;
    }
    vst1q_u32(&state[0], abcd);
    vst1q_u32(&state[4], efgh);
}
