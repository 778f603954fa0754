/*
 * sha512_armsha512.c -- the SHA-512 compression function (also SHA-384)
 * with the ARMv8.2 SHA-512 instructions (SHA512H, SHA512H2, SHA512SU0,
 * SHA512SU1). Compiled with -march=armv8.2-a+sha3 and used only when cpu.c
 * has seen HWCAP_SHA512. Constant time: a fixed instruction sequence
 * whatever the data.
 *
 * The working variables live as four vectors ab, cd, ef, gh (low lane
 * first). Two rounds t, t+1 with wk = {K+W}[t], {K+W}[t+1]:
 *   SHA512H(gh' + swap(wk), {f,g}, {d,e}) = {T1[t+1], T1[t]}
 *   SHA512H2(T1s, cd, ab)                 = {a'', a'}  (the new ab)
 * and the rest shift: new cd = ab, new ef = cd + T1s, new gh = ef.
 */
#include "sha_impl.h"

#include <arm_neon.h>

/* see sha_impl.h */
void cytls_sha512_blocks_armsha512(uint64_t state[8], const uint8_t *data,
                                   size_t num_blocks)
{
    uint64x2_t ab = vld1q_u64(&state[0]), cd = vld1q_u64(&state[2]);
    uint64x2_t ef = vld1q_u64(&state[4]), gh = vld1q_u64(&state[6]);
    while (num_blocks--) {
        uint64x2_t ab0 = ab, cd0 = cd, ef0 = ef, gh0 = gh;
        uint64x2_t m[8];
        for (int i = 0; i < 8; i++)
            m[i] = vreinterpretq_u64_u8(vrev64q_u8(vld1q_u8(data + 16 * i)));
        /* Forty pairs of rounds; m[i % 8] holds W[2i], W[2i+1]. */
#pragma GCC unroll 40
        for (int i = 0; i < 40; i++) {
            uint64x2_t wk = vaddq_u64(m[i & 7], vld1q_u64(&cytls_sha512_k[2 * i]));
            if (i < 32) {
                /* W[2i+16], W[2i+17] = s1(W[2i+14..15]) + W[2i+9..10]
                 * + s0(W[2i+1..2]) + W[2i..2i+1]. */
                m[i & 7] = vsha512su1q_u64(vsha512su0q_u64(m[i & 7], m[(i + 1) & 7]),
                                           m[(i + 7) & 7],
                                           vextq_u64(m[(i + 4) & 7], m[(i + 5) & 7], 1));
            }
            uint64x2_t x = vaddq_u64(vextq_u64(wk, wk, 1), gh);
            uint64x2_t t1 = vsha512hq_u64(x, vextq_u64(ef, gh, 1), vextq_u64(cd, ef, 1));
            gh = ef;
            ef = vaddq_u64(cd, t1);
            uint64x2_t ab_new = vsha512h2q_u64(t1, cd, ab);
            cd = ab;
            ab = ab_new;
        }
        ab = vaddq_u64(ab, ab0);
        cd = vaddq_u64(cd, cd0);
        ef = vaddq_u64(ef, ef0);
        gh = vaddq_u64(gh, gh0);
        data += 128;
    }
    vst1q_u64(&state[0], ab);
    vst1q_u64(&state[2], cd);
    vst1q_u64(&state[4], ef);
    vst1q_u64(&state[6], gh);
}
