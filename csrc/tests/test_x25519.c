/*
 * test_x25519.c -- X25519 known answers (RFC 7748 sections 5.2 and 6.1),
 * edge cases of the u-coordinate, and the fixed-base path against the
 * ladder on u = 9 for many scalars.
 */
#include "ctest.h"

static void check_hex(const uint8_t got[32], const char *want_hex, const char *what)
{
    uint8_t want[32];
    ctest_unhex(want, sizeof want, want_hex);
    CHECK(memcmp(got, want, 32) == 0, "x25519 %s", what);
}

static void kat(const char *k_hex, const char *u_hex, const char *out_hex, const char *what)
{
    uint8_t k[32], u[32], out[32];
    ctest_unhex(k, sizeof k, k_hex);
    ctest_unhex(u, sizeof u, u_hex);
    CHECK(cytls_x25519(out, k, u) == 1, "x25519 %s: verdict", what);
    check_hex(out, out_hex, what);
}

/* RFC 7748 section 5.2: k, u = X25519(k, u), k, starting from 9, 9. */
static void iterations(void)
{
    uint8_t k[32] = {9}, u[32] = {9}, out[32];
    for (int i = 1; i <= 1000; i++) {
        cytls_x25519(out, k, u);
        memcpy(u, k, 32);
        memcpy(k, out, 32);
        if (i == 1)
            check_hex(k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
                      "1 iteration");
    }
    check_hex(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
              "1000 iterations");
}

/* RFC 7748 section 6.1: both public keys by the base path, and the
 * shared secret from both sides. */
static void alice_bob(void)
{
    uint8_t a[32], b[32], pa[32], pb[32], s1[32], s2[32];
    ctest_unhex(a, sizeof a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    ctest_unhex(b, sizeof b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    CHECK(cytls_x25519_base(pa, a) == 1, "x25519 base: verdict");
    CHECK(cytls_x25519_base(pb, b) == 1, "x25519 base: verdict");
    check_hex(pa, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "Alice public");
    check_hex(pb, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", "Bob public");
    cytls_x25519(s1, a, pb);
    cytls_x25519(s2, b, pa);
    check_hex(s1, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", "Alice shared");
    check_hex(s2, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", "Bob shared");
}

/* Small-order points give zero and the 0 verdict; u >= p and a set top
 * bit are taken modulo p / ignored (RFC 7748 section 5). */
static void edges(void)
{
    uint8_t k[32], u[32], v[32], out[32], ref[32];
    ctest_random(k, 32);
    memset(u, 0, 32);
    CHECK(cytls_x25519(out, k, u) == 0, "x25519 u = 0: verdict");
    u[0] = 1;
    CHECK(cytls_x25519(out, k, u) == 0, "x25519 u = 1: verdict");
    for (int i = 0; i < 32; i++)
        CHECK(out[i] == 0, "x25519 u = 1: output byte %d", i);
    /* u = p + 9 is 9, with the top bit set too. */
    memset(u, 0xff, 32);
    u[0] = 0xed + 9;
    u[31] = 0x7f;
    memset(v, 0, 32);
    v[0] = 9;
    cytls_x25519(ref, k, v);
    cytls_x25519(out, k, u);
    CHECK(memcmp(out, ref, 32) == 0, "x25519 u = p + 9");
    u[31] |= 0x80;
    cytls_x25519(out, k, u);
    CHECK(memcmp(out, ref, 32) == 0, "x25519 u = p + 9, top bit set");
    v[31] = 0x80;
    cytls_x25519(out, k, v);
    CHECK(memcmp(out, ref, 32) == 0, "x25519 u = 9, top bit set");
}

/* The fixed-base path against the ladder: random scalars, and scalars
 * whose windows take the extreme values 0, 7, 8 and 15 everywhere. */
static void base_vs_ladder(void)
{
    uint8_t k[32], nine[32] = {9}, a[32], b[32];
    static const uint8_t fills[] = {0x00, 0xff, 0x88, 0x77, 0x80, 0x08, 0xf0, 0x0f};
    for (int i = 0; i < 300 + (int)sizeof fills; i++) {
        if (i < (int)sizeof fills)
            memset(k, fills[i], 32);
        else
            ctest_random(k, 32);
        CHECK(cytls_x25519_base(a, k) == 1, "x25519 base: verdict");
        cytls_x25519(b, k, nine);
        CHECK(memcmp(a, b, 32) == 0, "x25519 base vs ladder, case %d", i);
    }
}

void test_x25519(void)
{
    int before = ctest_failures;
    kat("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", "RFC 7748 5.2 #1");
    kat("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957", "RFC 7748 5.2 #2");
    iterations();
    alice_bob();
    edges();
    base_vs_ladder();
    if (ctest_failures == before)
        printf("x25519: ok\n");
}
