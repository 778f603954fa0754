/*
 * fuzz_x25519.c -- libFuzzer target for cytls_x25519 (any u-coordinate,
 * any scalar) and cytls_x25519_base. Input: scalar a (32 bytes), u (32),
 * scalar b (32); short inputs read as zeros.
 *
 * Checked besides the sanitizers, with no outside reference, by the
 * algebra RFC 7748 promises: the verdict is 1 exactly when the output is
 * not all zero; the top bit of u and the bits clamping sets or clears in
 * the scalar change nothing; u and u + p (or u - p) give the same output;
 * the fixed-base path equals the ladder on u = 9; and Diffie-Hellman
 * agrees, X25519(a, X25519_base(b)) = X25519(b, X25519_base(a)).
 */
#include "fuzz_common.h"

static const uint8_t P_BYTES[32] = {
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};

/* a = a + b (sign 1) or a - b (sign -1), little-endian, 256 bits. */
static void add_sub(uint8_t a[32], const uint8_t b[32], int sign)
{
    int carry = 0;
    for (int i = 0; i < 32; i++) {
        int v = a[i] + sign * b[i] + carry;
        carry = v < 0 ? -1 : v >> 8;
        a[i] = (uint8_t)v;
    }
}

/* Whether u (top bit clear) is below 19, or at least p. */
static int below_19(const uint8_t u[32])
{
    for (int i = 31; i > 0; i--)
        if (u[i])
            return 0;
    return u[0] < 19;
}

static int at_least_p(const uint8_t u[32])
{
    for (int i = 31; i >= 0; i--)
        if (u[i] != P_BYTES[i])
            return u[i] > P_BYTES[i];
    return 1;
}

static int all_zero(const uint8_t *p)
{
    uint8_t acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= p[i];
    return acc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    uint8_t a[32] = {0}, u[32] = {0}, b[32] = {0}, v[32], k[32];
    uint8_t out[32], again[32], pa[32], pb[32], s1[32], s2[32], nine[32] = {9};
    size_t got;
    const uint8_t *p = fuzz_bytes(&r, 32, &got);
    memcpy(a, p, got);
    p = fuzz_bytes(&r, 32, &got);
    memcpy(u, p, got);
    p = fuzz_bytes(&r, 32, &got);
    memcpy(b, p, got);
    cytls_init();

    int ok = cytls_x25519(out, a, u);
    FUZZ_CHECK(ok == !all_zero(out));

    /* The top bit of u is ignored. */
    memcpy(v, u, 32);
    v[31] ^= 0x80;
    FUZZ_CHECK(cytls_x25519(again, a, v) == ok);
    FUZZ_CHECK(memcmp(again, out, 32) == 0);

    /* u is taken mod p: compare with the other encoding, when one exists. */
    memcpy(v, u, 32);
    v[31] &= 0x7f;
    int other = 0;
    if (at_least_p(v)) {
        add_sub(v, P_BYTES, -1);
        other = 1;
    } else if (below_19(v)) {
        add_sub(v, P_BYTES, 1);
        other = 1;
    }
    if (other) {
        FUZZ_CHECK(cytls_x25519(again, a, v) == ok);
        FUZZ_CHECK(memcmp(again, out, 32) == 0);
    }

    /* Clamping: bits 0-2 and 255 are cleared, bit 254 set. */
    memcpy(k, a, 32);
    k[0] ^= (uint8_t)(b[0] & 7);
    k[31] ^= (uint8_t)(b[1] & 0xc0);
    FUZZ_CHECK(cytls_x25519(again, k, u) == ok);
    FUZZ_CHECK(memcmp(again, out, 32) == 0);

    /* The fixed-base path is the ladder on 9, and DH agrees. */
    FUZZ_CHECK(cytls_x25519_base(pa, a) == 1);
    FUZZ_CHECK(cytls_x25519(again, a, nine) == 1);
    FUZZ_CHECK(memcmp(again, pa, 32) == 0);
    FUZZ_CHECK(cytls_x25519_base(pb, b) == 1);
    FUZZ_CHECK(cytls_x25519(s1, a, pb) == 1);
    FUZZ_CHECK(cytls_x25519(s2, b, pa) == 1);
    FUZZ_CHECK(memcmp(s1, s2, 32) == 0);
    return 0;
}
