/*
 * chacha20_common.h -- what the ChaCha20 backends (chacha20_*.c) share:
 * the initial state and, for the vector backends, the tail that runs
 * through a buffer. Internal to those files.
 *
 * Plain C, static inline: each backend gets its own copy compiled with its
 * own target flags, and nothing here needs any instruction set. Constant
 * time: the state is loaded without branches, and the tail's only branches
 * and sizes come from the public length.
 */
#ifndef CYTLS_CHACHA20_COMMON_H
#define CYTLS_CHACHA20_COMMON_H

#include "chapoly_impl.h"

/* RFC 8439 §2.3: constants, key, block counter, nonce. */
static inline void cytls_chacha20_init_state(uint32_t s[16],
                                             const uint8_t key[32],
                                             const uint8_t nonce[12],
                                             uint32_t counter)
{
    s[0] = 0x61707865u;
    s[1] = 0x3320646eu;
    s[2] = 0x79622d32u;
    s[3] = 0x6b206574u;
    for (int i = 0; i < 8; i++)
        s[4 + i] = cytls_le32(key + 4 * i);
    s[12] = counter;
    s[13] = cytls_le32(nonce);
    s[14] = cytls_le32(nonce + 4);
    s[15] = cytls_le32(nonce + 8);
}

/* A vector backend's block group: XOR the keystream of a fixed number of
 * blocks from block ctr on into in, written to out (which may equal in). */
typedef void (*cytls_chacha20_group_fn)(uint8_t *out, const uint8_t *in,
                                        const uint32_t s[16], uint32_t ctr);

/*
 * XOR the keystream from block ctr on into the last len bytes (0 < len <=
 * buf_len, buf_len the size of one group) by running one whole group over
 * buf, which is zeroed first and wiped after. Called with a constant group,
 * so the compiler inlines it into a direct call.
 */
static inline void cytls_chacha20_tail(uint8_t *out, const uint8_t *in,
                                       size_t len, uint8_t *buf,
                                       size_t buf_len,
                                       cytls_chacha20_group_fn group,
                                       const uint32_t s[16], uint32_t ctr)
{
    memset(buf, 0, buf_len);
    memcpy(buf, in, len);
    group(buf, buf, s, ctr);
    memcpy(out, buf, len);
    cytls_memzero(buf, buf_len);
}

#endif /* CYTLS_CHACHA20_COMMON_H */
