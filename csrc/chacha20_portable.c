/*
 * chacha20_portable.c -- ChaCha20 (RFC 8439 §2.3-2.4) in plain C11, one
 * 64-byte block at a time. Constant time: only additions, rotations and
 * XORs on 32-bit words; the loop bounds depend on the public length only.
 */
#include "chacha20_common.h"

#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))

/* RFC 8439 §2.1: the quarter round on four state words. */
#define QR(a, b, c, d)                                                    \
    do {                                                                  \
        a += b; d ^= a; d = ROTL32(d, 16);                                \
        c += d; b ^= c; b = ROTL32(b, 12);                                \
        a += b; d ^= a; d = ROTL32(d, 8);                                 \
        c += d; b ^= c; b = ROTL32(b, 7);                                 \
    } while (0)

/* RFC 8439 §2.3: the block function, 20 rounds and the final addition. */
static void chacha20_block(uint32_t out[16], const uint32_t in[16])
{
    uint32_t x0 = in[0], x1 = in[1], x2 = in[2], x3 = in[3];
    uint32_t x4 = in[4], x5 = in[5], x6 = in[6], x7 = in[7];
    uint32_t x8 = in[8], x9 = in[9], x10 = in[10], x11 = in[11];
    uint32_t x12 = in[12], x13 = in[13], x14 = in[14], x15 = in[15];
    for (int i = 0; i < 10; i++) {
        QR(x0, x4, x8, x12);
        QR(x1, x5, x9, x13);
        QR(x2, x6, x10, x14);
        QR(x3, x7, x11, x15);
        QR(x0, x5, x10, x15);
        QR(x1, x6, x11, x12);
        QR(x2, x7, x8, x13);
        QR(x3, x4, x9, x14);
    }
    out[0] = x0 + in[0];
    out[1] = x1 + in[1];
    out[2] = x2 + in[2];
    out[3] = x3 + in[3];
    out[4] = x4 + in[4];
    out[5] = x5 + in[5];
    out[6] = x6 + in[6];
    out[7] = x7 + in[7];
    out[8] = x8 + in[8];
    out[9] = x9 + in[9];
    out[10] = x10 + in[10];
    out[11] = x11 + in[11];
    out[12] = x12 + in[12];
    out[13] = x13 + in[13];
    out[14] = x14 + in[14];
    out[15] = x15 + in[15];
}

void cytls_chacha20_portable(uint8_t *out, const uint8_t *in, size_t len,
                             const uint8_t key[32], const uint8_t nonce[12],
                             uint32_t counter)
{
    uint32_t state[16], ks[16];
    uint8_t buf[64];
    cytls_chacha20_init_state(state, key, nonce, counter);

    while (len > 0) {
        chacha20_block(ks, state);
        state[12]++; /* wraps modulo 2^32, as every backend does */
        for (int i = 0; i < 16; i++)
            cytls_put_le32(buf + 4 * i, ks[i]);
        size_t n = len < 64 ? len : 64;
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] ^ buf[i];
        out += n;
        in += n;
        len -= n;
    }
    cytls_memzero(ks, sizeof ks);
    cytls_memzero(buf, sizeof buf);
    cytls_memzero(state, sizeof state);
}
