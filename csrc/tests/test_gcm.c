/*
 * test_gcm.c -- AES-GCM known answers (the GCM specification's test cases,
 * as published by McGrew and Viega and reused by NIST) for every backend,
 * and every backend against the portable one on random inputs of every
 * length 0..600 and a few large ones: seal, open, in place, unaligned, and
 * tampered tags rejected with zeroed output.
 */
#include "ctest.h"

#include <stdlib.h>

struct gcm_kat {
    const char *key, *iv, *aad, *pt, *ct, *tag;
};

static const struct gcm_kat kats[] = {
    /* test case 1: AES-128, all empty */
    {"00000000000000000000000000000000", "000000000000000000000000", "", "",
     "", "58e2fccefa7e3061367f1d57a4e7455a"},
    /* test case 2 */
    {"00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    /* test case 3 */
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    /* test case 4: with associated data, 60-byte text */
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    /* test case 13: AES-256, all empty */
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    /* test case 14 */
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    /* test case 16: AES-256 with associated data, 60-byte text */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void kat_one(const char *level, const struct gcm_kat *v, size_t idx)
{
    uint8_t key[32], iv[12], aad[64], pt[64], ct[64], tag[16], out[96],
        back[96];
    size_t key_len = ctest_unhex(key, sizeof key, v->key);
    ctest_unhex(iv, sizeof iv, v->iv);
    size_t aad_len = ctest_unhex(aad, sizeof aad, v->aad);
    size_t pt_len = ctest_unhex(pt, sizeof pt, v->pt);
    ctest_unhex(ct, sizeof ct, v->ct);
    ctest_unhex(tag, sizeof tag, v->tag);
    cytls_gcm_ctx ctx;
    CHECK(cytls_gcm_init(&ctx, key, key_len), "%s kat %zu init", level, idx);
    cytls_gcm_seal(&ctx, out, iv, aad, aad_len, pt, pt_len);
    CHECK(memcmp(out, ct, pt_len) == 0, "%s kat %zu ciphertext", level, idx);
    CHECK(memcmp(out + pt_len, tag, 16) == 0, "%s kat %zu tag", level, idx);
    CHECK(cytls_gcm_open(&ctx, back, iv, aad, aad_len, out, pt_len + 16),
          "%s kat %zu open", level, idx);
    CHECK(memcmp(back, pt, pt_len) == 0, "%s kat %zu plaintext", level, idx);
    cytls_gcm_clear(&ctx);
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/*
 * One random case: seal with the portable context ref and with ctx (from
 * the level under test), compare, open, open in place, and reject a
 * tampered tag and tampered ciphertext with zeroed output. Buffers are
 * offset by off bytes so that nothing is aligned by accident.
 */
static void cross_one(const char *level, const cytls_gcm_ctx *ref,
                      const cytls_gcm_ctx *ctx, size_t len, size_t aad_len,
                      size_t off)
{
    uint8_t nonce[12];
    uint8_t *aad = malloc(aad_len + off + 1);
    uint8_t *pt = malloc(len + off + 1);
    uint8_t *want = malloc(len + 16);
    uint8_t *got = malloc(len + 16 + off);
    uint8_t *back = malloc(len + off + 1);
    if (!aad || !pt || !want || !got || !back) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    ctest_random(nonce, sizeof nonce);
    ctest_random(aad + off, aad_len);
    ctest_random(pt + off, len);
    cytls_gcm_seal(ref, want, nonce, aad + off, aad_len, pt + off, len);
    cytls_gcm_seal(ctx, got + off, nonce, aad + off, aad_len, pt + off, len);
    CHECK(memcmp(want, got + off, len + 16) == 0,
          "%s seal differs from portable: len %zu aad %zu off %zu", level,
          len, aad_len, off);
    memset(back, 0xa5, len + off + 1);
    CHECK(cytls_gcm_open(ctx, back + off, nonce, aad + off, aad_len,
                         got + off, len + 16),
          "%s open failed: len %zu aad %zu", level, len, aad_len);
    CHECK(memcmp(back + off, pt + off, len) == 0,
          "%s open wrong plaintext: len %zu aad %zu", level, len, aad_len);
    CHECK(back[off + len] == 0xa5, "%s open wrote past the end: len %zu",
          level, len);

    /* in place, both directions */
    memcpy(got + off, pt + off, len);
    cytls_gcm_seal(ctx, got + off, nonce, aad + off, aad_len, got + off, len);
    CHECK(memcmp(want, got + off, len + 16) == 0,
          "%s in-place seal differs: len %zu", level, len);
    CHECK(cytls_gcm_open(ctx, got + off, nonce, aad + off, aad_len,
                         got + off, len + 16),
          "%s in-place open failed: len %zu", level, len);
    CHECK(memcmp(got + off, pt + off, len) == 0,
          "%s in-place open wrong plaintext: len %zu", level, len);

    /* a flipped tag bit, then a flipped ciphertext bit or aad bit */
    memcpy(got + off, want, len + 16);
    uint8_t r[2];
    ctest_random(r, 2);
    got[off + len + r[0] % 16] ^= (uint8_t)(1u << (r[1] & 7));
    memset(back, 0xa5, len + off);
    CHECK(!cytls_gcm_open(ctx, back + off, nonce, aad + off, aad_len,
                          got + off, len + 16),
          "%s tampered tag accepted: len %zu", level, len);
    CHECK(all_zero(back + off, len), "%s rejected open left data: len %zu",
          level, len);
    memcpy(got + off, want, len + 16);
    if (len > 0) {
        got[off + (r[0] * 7u) % len] ^= (uint8_t)(1u << (r[1] % 8));
        CHECK(!cytls_gcm_open(ctx, back + off, nonce, aad + off, aad_len,
                              got + off, len + 16),
              "%s tampered ciphertext accepted: len %zu", level, len);
        CHECK(all_zero(back + off, len), "%s rejected open left data", level);
        got[off + (r[0] * 7u) % len] ^= (uint8_t)(1u << (r[1] % 8));
    }
    if (aad_len > 0) {
        aad[off + r[1] % aad_len] ^= 0x80;
        CHECK(!cytls_gcm_open(ctx, back + off, nonce, aad + off, aad_len,
                              got + off, len + 16),
              "%s tampered aad accepted: len %zu aad %zu", level, len,
              aad_len);
    }
    free(aad);
    free(pt);
    free(want);
    free(got);
    free(back);
}

static void cross_level(const char *level)
{
    /* Past the 600 bytes above: bulk groups of 256 and 512 bytes (the
     * VAES-512 backend's) followed by every kind of remainder. */
    static const size_t large[] = {800,   1024 + 7,  1350,       4096,
                                   4096 + 255, 4096 + 300, 16384,
                                   16384 + 256 + 1, 65536 + 13, 100000};
    for (int round = 0; round < 2; round++) {
        uint8_t key[32];
        size_t key_len = round == 0 ? 16 : 32;
        ctest_random(key, key_len);
        cytls_gcm_ctx ref, ctx;
        cytls_set_level("portable");
        CHECK(cytls_gcm_init(&ref, key, key_len), "portable init");
        cytls_set_level(level);
        CHECK(cytls_gcm_init(&ctx, key, key_len), "%s init", level);
        for (size_t len = 0; len <= 600; len++)
            cross_one(level, &ref, &ctx, len, (len * 7 + round) % 97,
                      len % 5);
        for (size_t aad_len = 0; aad_len <= 600; aad_len += 1 + aad_len / 50)
            cross_one(level, &ref, &ctx, aad_len % 40, aad_len, aad_len % 3);
        for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
            cross_one(level, &ref, &ctx, large[i], 13 + i, i % 3);
        cytls_gcm_clear(&ref);
        cytls_gcm_clear(&ctx);
    }
}

void test_gcm(void)
{
    uint8_t key[33] = {0};
    cytls_gcm_ctx ctx;
    CHECK(!cytls_gcm_init(&ctx, key, 24), "AES-192 key must be refused");
    CHECK(!cytls_gcm_init(&ctx, key, 0), "empty key must be refused");
    CHECK(!cytls_gcm_init(&ctx, key, 33), "33-byte key must be refused");
    uint8_t short_in[15] = {0}, out[16];
    CHECK(cytls_gcm_init(&ctx, key, 16), "init");
    CHECK(!cytls_gcm_open(&ctx, out, key, NULL, 0, short_in, 15),
          "input shorter than a tag must be refused");

    for (size_t l = 0; ctest_levels[l] != NULL; l++) {
        const char *level = ctest_levels[l];
        cytls_set_level(level);
        printf("  aes-gcm level %-8s backend %s\n", level,
               cytls_backend_name("aes-gcm"));
        for (size_t i = 0; i < sizeof kats / sizeof kats[0]; i++)
            kat_one(level, &kats[i], i);
        /* empty text and aad may come as NULL pointers (test case 1) */
        uint8_t zkey[16] = {0}, znonce[12] = {0}, ztag[16], want[16];
        ctest_unhex(want, sizeof want, kats[0].tag);
        CHECK(cytls_gcm_init(&ctx, zkey, 16), "%s init", level);
        cytls_gcm_seal(&ctx, ztag, znonce, NULL, 0, NULL, 0);
        CHECK(memcmp(ztag, want, 16) == 0, "%s NULL empty seal", level);
        CHECK(cytls_gcm_open(&ctx, NULL, znonce, NULL, 0, ztag, 16),
              "%s NULL empty open", level);
        cross_level(level);
    }
    cytls_set_level("native");
}
