/*
 * test_aead_trailer.c -- cytls_aead_seal_trailer against cytls_aead_seal of
 * the concatenated message, for every backend level, AEAD, length around
 * the block-group boundaries, trailer length and buffer arrangement
 * (separate buffers, trailer already in place, sealing in place).
 */
#include <stdlib.h>

#include "ctest.h"

static void trailer_one(const char *level, const cytls_aead *aead,
                        const char *name, size_t in_len, size_t t_len)
{
    uint8_t nonce[12], aad[13];
    size_t len = in_len + t_len;
    uint8_t *msg = malloc(len + 1);
    uint8_t *want = malloc(len + 16);
    uint8_t *got = malloc(len + 16);
    uint8_t *src = malloc(in_len + 1);
    if (!msg || !want || !got || !src)
        exit(2);
    ctest_random(nonce, sizeof nonce);
    ctest_random(aad, sizeof aad);
    ctest_random(msg, len);
    memcpy(src, msg, in_len);
    cytls_aead_seal(aead, want, nonce, aad, sizeof aad, msg, len);

    /* 0: separate trailer; 1: trailer already at out + in_len;
     * 2: in place (out == in, trailer in place). */
    for (int mode = 0; mode < 3; mode++) {
        memset(got, 0xa5, len + 16);
        const uint8_t *in = src;
        const uint8_t *trailer = msg + in_len;
        if (mode >= 1) {
            memcpy(got + in_len, msg + in_len, t_len);
            trailer = got + in_len;
        }
        if (mode == 2) {
            memcpy(got, src, in_len);
            in = got;
        }
        cytls_aead_seal_trailer(aead, got, nonce, aad, sizeof aad, in, in_len,
                                trailer, t_len);
        CHECK(memcmp(got, want, len + 16) == 0,
              "%s %s seal_trailer in_len %zu trailer %zu mode %d", level,
              name, in_len, t_len, mode);
    }
    CHECK(memcmp(src, msg, in_len) == 0, "%s %s input changed", level, name);
    free(msg);
    free(want);
    free(got);
    free(src);
}

void test_aead_trailer(void)
{
    static const size_t trailers[] = {0, 1, 2, 15, 16, 17, 63, 64, 65, 300};
    /* 800, 1350, 4096 + 300: the copied split falls inside a 512-byte
     * group (the VAES-512 backend reads each half from its side). */
    static const size_t large[] = {800,   1024,  1350,       4096 + 255,
                                   4096 + 300, 16383, 16384, 16385,
                                   16384 + 64, 65536 + 13};
    static const struct {
        cytls_aead_alg alg;
        size_t key_len;
        const char *name;
    } algs[] = {{CYTLS_AEAD_AES_128_GCM, 16, "aes-128-gcm"},
                {CYTLS_AEAD_AES_256_GCM, 32, "aes-256-gcm"},
                {CYTLS_AEAD_CHACHA20_POLY1305, 32, "chacha20-poly1305"}};
    int before = ctest_failures;
    cytls_aead *aead = cytls_aead_new();
    if (!aead)
        exit(2);
    for (size_t l = 0; ctest_levels[l] != NULL; l++) {
        const char *level = ctest_levels[l];
        if (!cytls_set_level(level))
            continue;
        for (size_t a = 0; a < sizeof algs / sizeof algs[0]; a++) {
            uint8_t key[32];
            ctest_random(key, algs[a].key_len);
            CHECK(cytls_aead_init(aead, algs[a].alg, key, algs[a].key_len),
                  "%s init", algs[a].name);
            for (size_t in_len = 0; in_len <= 560; in_len++)
                trailer_one(level, aead, algs[a].name, in_len,
                            trailers[in_len % 10]);
            for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
                for (size_t t = 0; t < 10; t += 3)
                    trailer_one(level, aead, algs[a].name, large[i],
                                trailers[t]);
            cytls_aead_clear(aead);
        }
    }
    cytls_aead_free(aead);
    cytls_set_level("native");
    printf("aead seal_trailer: %s\n",
           ctest_failures == before ? "ok" : "FAILED");
}
