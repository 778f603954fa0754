/*
 * test_chapoly.c -- ChaCha20, Poly1305 and the AEAD: RFC 8439 known answers
 * at every backend level, every backend against the portable one for every
 * length 0..600 and a few large ones, and tampering rejected with the
 * output zeroed.
 */
#include "ctest.h"

#include <stdlib.h>

/* The backend tables, to reach Poly1305 variants that no level selects on
 * this CPU (AVX-512 without IFMA when IFMA is present). */
#include "../chapoly_impl.h"

/* RFC 8439 §2.4.2 and §2.8.2 plaintext. */
static const char sunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one "
    "tip for the future, sunscreen would be it.";

static void hexcheck(const uint8_t *got, const char *want_hex, const char *what,
                     const char *level)
{
    uint8_t want[512];
    size_t n = ctest_unhex(want, sizeof want, want_hex);
    CHECK(memcmp(got, want, n) == 0, "%s at level %s", what, level);
}

struct poly_kat {
    const char *key, *msg, *tag;
};

/* RFC 8439 §2.5.2 and Appendix A.3 #5..#11 (the reduction corner cases). */
static const struct poly_kat poly_kats[] = {
    {"85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
     "43727970746f6772617068696320466f72756d2052657365617263682047726f7570",
     "a8061dc1305136c6c22b8baf0c0127a9"},
    {"0200000000000000000000000000000000000000000000000000000000000000",
     "ffffffffffffffffffffffffffffffff",
     "03000000000000000000000000000000"},
    {"02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
     "02000000000000000000000000000000",
     "03000000000000000000000000000000"},
    {"0100000000000000000000000000000000000000000000000000000000000000",
     "ffffffffffffffffffffffffffffffff"
     "f0ffffffffffffffffffffffffffffff"
     "11000000000000000000000000000000",
     "05000000000000000000000000000000"},
    {"0100000000000000000000000000000000000000000000000000000000000000",
     "ffffffffffffffffffffffffffffffff"
     "fbfefefefefefefefefefefefefefefe"
     "01010101010101010101010101010101",
     "00000000000000000000000000000000"},
    {"0200000000000000000000000000000000000000000000000000000000000000",
     "fdffffffffffffffffffffffffffffff",
     "faffffffffffffffffffffffffffffff"},
    {"0100000000000000040000000000000000000000000000000000000000000000",
     "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
     "0000000000000000000000000000000001000000000000000000000000000000",
     "14000000000000005500000000000000"},
    {"0100000000000000040000000000000000000000000000000000000000000000",
     "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
     "00000000000000000000000000000000",
     "13000000000000000000000000000000"},
};

static void known_answers(const char *level)
{
    uint8_t key[32], nonce[12], buf[256], out[256], tag[16];
    size_t n;

    /* RFC 8439 §2.3.2: one block, counter 1 (keystream = XOR with zeros). */
    ctest_unhex(key, 32, "000102030405060708090a0b0c0d0e0f"
                         "101112131415161718191a1b1c1d1e1f");
    ctest_unhex(nonce, 12, "000000090000004a00000000");
    memset(buf, 0, 64);
    cytls_chacha20_xor(out, buf, 64, key, nonce, 1);
    hexcheck(out,
             "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
             "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
             "chacha20 block 2.3.2", level);

    /* RFC 8439 Appendix A.1 #1: all-zero key and nonce, counter 0. */
    memset(key, 0, 32);
    memset(nonce, 0, 12);
    cytls_chacha20_xor(out, buf, 64, key, nonce, 0);
    hexcheck(out,
             "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
             "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
             "chacha20 block A.1 #1", level);

    /* RFC 8439 §2.4.2: encryption of the sunscreen text, in place too. */
    ctest_unhex(key, 32, "000102030405060708090a0b0c0d0e0f"
                         "101112131415161718191a1b1c1d1e1f");
    ctest_unhex(nonce, 12, "000000000000004a00000000");
    n = strlen(sunscreen);
    const char *ct242 =
        "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
        "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
        "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
        "5af90bbf74a35be6b40b8eedf2785e42874d";
    cytls_chacha20_xor(out, (const uint8_t *)sunscreen, n, key, nonce, 1);
    hexcheck(out, ct242, "chacha20 encryption 2.4.2", level);
    memcpy(buf, sunscreen, n);
    cytls_chacha20_xor(buf, buf, n, key, nonce, 1);
    hexcheck(buf, ct242, "chacha20 encryption 2.4.2 in place", level);

    /* RFC 8439 §2.5.2 and A.3. */
    for (size_t i = 0; i < sizeof poly_kats / sizeof poly_kats[0]; i++) {
        uint8_t msg[128];
        ctest_unhex(key, 32, poly_kats[i].key);
        size_t m = ctest_unhex(msg, sizeof msg, poly_kats[i].msg);
        cytls_poly1305(tag, key, msg, m);
        hexcheck(tag, poly_kats[i].tag, "poly1305 kat", level);
    }

    /* RFC 8439 §2.8.2: the AEAD. */
    uint8_t aad[12];
    ctest_unhex(key, 32, "808182838485868788898a8b8c8d8e8f"
                         "909192939495969798999a9b9c9d9e9f");
    ctest_unhex(nonce, 12, "070000004041424344454647");
    ctest_unhex(aad, 12, "50515253c0c1c2c3c4c5c6c7");
    cytls_chapoly_seal(key, out, nonce, aad, 12, (const uint8_t *)sunscreen, n);
    hexcheck(out,
             "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
             "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
             "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
             "3ff4def08e4b7a9de576d26586cec64b6116"
             "1ae10b594f09e26a7e902ecbd0600691",
             "aead seal 2.8.2", level);
    memset(buf, 0xaa, sizeof buf);
    CHECK(cytls_chapoly_open(key, buf, nonce, aad, 12, out, n + 16) == 1,
          "aead open 2.8.2 at %s", level);
    CHECK(memcmp(buf, sunscreen, n) == 0, "aead open 2.8.2 text at %s", level);
    /* In place: seal then open over the same buffer. */
    memcpy(buf, sunscreen, n);
    cytls_chapoly_seal(key, buf, nonce, aad, 12, buf, n);
    CHECK(memcmp(buf, out, n + 16) == 0, "aead seal in place at %s", level);
    CHECK(cytls_chapoly_open(key, buf, nonce, aad, 12, buf, n + 16) == 1 &&
              memcmp(buf, sunscreen, n) == 0,
          "aead open in place at %s", level);
}

/* Inputs and portable reference outputs for one length. */
struct sample {
    uint8_t key[32], nonce[12];
    uint32_t counter;
    size_t aad_len, len;
    uint8_t *aad, *msg, *xor_ref, *mac_ref, *seal_ref;
};

static void make_sample(struct sample *s, size_t len)
{
    uint8_t c[4];
    ctest_random(s->key, 32);
    ctest_random(s->nonce, 12);
    ctest_random(c, 4);
    /* Every fourth sample starts just before the 32-bit counter wraps. */
    s->counter = (len % 4 == 0) ? 0xfffffffdu + (uint32_t)(len % 3)
                                : ((uint32_t)c[0] | (uint32_t)c[1] << 8);
    s->len = len;
    s->aad_len = (len * 7) % 41;
    s->aad = malloc(s->aad_len + 1);
    s->msg = malloc(len + 1);
    s->xor_ref = malloc(len + 1);
    s->seal_ref = malloc(len + 16);
    s->mac_ref = malloc(16);
    if (!s->aad || !s->msg || !s->xor_ref || !s->seal_ref || !s->mac_ref) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    ctest_random(s->aad, s->aad_len);
    ctest_random(s->msg, len);
    cytls_chacha20_xor(s->xor_ref, s->msg, len, s->key, s->nonce, s->counter);
    cytls_poly1305(s->mac_ref, s->key, s->msg, len);
    cytls_chapoly_seal(s->key, s->seal_ref, s->nonce, s->aad, s->aad_len,
                       s->msg, len);
}

static void free_sample(struct sample *s)
{
    free(s->aad);
    free(s->msg);
    free(s->xor_ref);
    free(s->mac_ref);
    free(s->seal_ref);
}

/* Compare the backends of the current level with the portable reference. */
static int check_sample(const struct sample *s, const char *level)
{
    size_t len = s->len;
    int bad = 0;
    uint8_t mac[16];
    uint8_t *out = malloc(len + 16);
    uint8_t *back = malloc(len + 16);
    if (!out || !back)
        exit(2);
    cytls_chacha20_xor(out, s->msg, len, s->key, s->nonce, s->counter);
    bad |= memcmp(out, s->xor_ref, len) != 0;
    cytls_poly1305(mac, s->key, s->msg, len);
    bad |= memcmp(mac, s->mac_ref, 16) != 0;
    cytls_chapoly_seal(s->key, out, s->nonce, s->aad, s->aad_len, s->msg, len);
    bad |= memcmp(out, s->seal_ref, len + 16) != 0;
    bad |= cytls_chapoly_open(s->key, back, s->nonce, s->aad, s->aad_len,
                              s->seal_ref, len + 16) != 1;
    bad |= memcmp(back, s->msg, len) != 0;
    CHECK(!bad, "backend %s/%s differs from portable at length %zu (level %s)",
          cytls_backend_name("chacha20"), cytls_backend_name("poly1305"), len,
          level);
    free(out);
    free(back);
    return bad;
}

/* Flip bits in ciphertext, tag and AAD: open must fail and zero out. */
static void tampering(const char *level)
{
    uint8_t key[32], nonce[12], aad[20], msg[100], ct[116], out[116];
    ctest_random(key, 32);
    ctest_random(nonce, 12);
    ctest_random(aad, sizeof aad);
    ctest_random(msg, sizeof msg);
    size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 100};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t len = lens[li];
        cytls_chapoly_seal(key, ct, nonce, aad, sizeof aad, msg, len);
        for (size_t i = 0; i < len + 16; i++) {
            for (int bit = 0; bit < 8; bit += 7) {
                ct[i] ^= (uint8_t)(1u << bit);
                memset(out, 0xaa, sizeof out);
                int r = cytls_chapoly_open(key, out, nonce, aad, sizeof aad,
                                           ct, len + 16);
                int zero = 1;
                for (size_t j = 0; j < len; j++)
                    zero &= out[j] == 0;
                CHECK(r == 0 && zero,
                      "tampered byte %zu bit %d of %zu accepted at %s", i, bit,
                      len, level);
                ct[i] ^= (uint8_t)(1u << bit);
            }
        }
        for (size_t i = 0; i < sizeof aad; i++) {
            aad[i] ^= 0x10;
            CHECK(cytls_chapoly_open(key, out, nonce, aad, sizeof aad, ct,
                                     len + 16) == 0,
                  "tampered aad byte %zu accepted at %s", i, level);
            aad[i] ^= 0x10;
        }
        /* Shorter AAD, other nonce, other key. */
        CHECK(cytls_chapoly_open(key, out, nonce, aad, sizeof aad - 1, ct,
                                 len + 16) == 0,
              "truncated aad accepted at %s", level);
        nonce[3] ^= 1;
        CHECK(cytls_chapoly_open(key, out, nonce, aad, sizeof aad, ct,
                                 len + 16) == 0,
              "wrong nonce accepted at %s", level);
        nonce[3] ^= 1;
        key[31] ^= 0x80;
        CHECK(cytls_chapoly_open(key, out, nonce, aad, sizeof aad, ct,
                                 len + 16) == 0,
              "wrong key accepted at %s", level);
        key[31] ^= 0x80;
        CHECK(cytls_chapoly_open(key, out, nonce, aad, sizeof aad, ct,
                                 len + 16) == 1 &&
                  memcmp(out, msg, len) == 0,
              "untampered open failed at %s", level);
    }
    /* Shorter than a tag: rejected, nothing written. */
    memset(out, 0xaa, sizeof out);
    CHECK(cytls_chapoly_open(key, out, nonce, aad, 0, ct, 15) == 0 &&
              out[0] == 0xaa,
          "short input accepted at %s", level);
}

/* MAC msg with one Poly1305 backend, feeding it in pieces of `step`
 * bytes (a multiple of 16) so that state carried across calls is tested. */
static void poly_with(const struct cytls_poly1305_impl *impl, uint8_t tag[16],
                      const uint8_t key[32], const uint8_t *msg, size_t len,
                      size_t step)
{
    cytls_poly1305_state st;
    impl->init(&st, key);
    size_t full = len & ~(size_t)15, done = 0;
    while (done < full) {
        size_t n = full - done < step ? full - done : step;
        impl->blocks(&st, msg + done, n, 1);
        done += n;
    }
    if (len > full) {
        uint8_t last[16] = {0};
        memcpy(last, msg + full, len - full);
        last[len - full] = 1;
        impl->blocks(&st, last, 16, 0);
    }
    impl->finish(&st, tag);
}

/* Every Poly1305 backend this CPU runs, level or not, against portable. */
static void poly_backends(void)
{
    const struct cytls_poly1305_impl *impls[4];
    const char *labels[4];
    int num = 0;
#if defined(__x86_64__) || defined(_M_X64)
    uint32_t f = cytls_cpu_detected();
    if (f & CYTLS_CPU_AVX2) {
        labels[num] = "avx2";
        impls[num++] = &cytls_poly1305_avx2_impl;
    }
    if (f & CYTLS_CPU_AVX512) {
        labels[num] = "avx512 (AVX-512F)";
        impls[num++] = &cytls_poly1305_avx512_impl;
        if (cytls_poly1305_avx512_has_ifma()) {
            labels[num] = "avx512 (IFMA)";
            impls[num++] = &cytls_poly1305_avx512ifma_impl;
        }
    }
#endif
    static const size_t steps[] = {16, 256, 272, 4096, (size_t)1 << 30};
    static uint8_t msg[70000];
    uint8_t key[32], want[16], got[16];
    ctest_random(msg, sizeof msg);
    for (int i = 0; i < num; i++) {
        int bad = 0;
        for (size_t len = 0; len <= sizeof msg && bad < 5;
             len += len < 1200 ? 1 : 9973) {
            ctest_random(key, 32);
            size_t step = steps[len % 5];
            poly_with(&cytls_poly1305_portable_impl, want, key, msg, len, 16);
            poly_with(impls[i], got, key, msg, len, step);
            if (memcmp(want, got, 16) != 0) {
                bad++;
                CHECK(0, "poly1305 %s differs at length %zu step %zu",
                      labels[i], len, step);
            }
        }
        /* Accumulators near 2^130: all-ones blocks and key. */
        memset(key, 0xff, 32);
        memset(msg, 0xff, 4096);
        poly_with(&cytls_poly1305_portable_impl, want, key, msg, 4096, 16);
        poly_with(impls[i], got, key, msg, 4096, 4096);
        CHECK(memcmp(want, got, 16) == 0, "poly1305 %s all-ones differs",
              labels[i]);
        ctest_random(msg, 4096);
        printf("chapoly: poly1305 backend %s checked against portable\n",
               labels[i]);
    }
}

void test_chapoly(void)
{
    /* Around the AVX-512 ChaCha20 group choices (1024 + 128, 2048) and the
     * IFMA Poly1305 chains (512-byte steps, 128-byte remainders) too. */
    static const size_t large[] = {1000,  1100,  1152,  1153,  1280,   1536,
                                   2047,  2048,  2049,  3200,  4095,   4096,
                                   4097,  8191,  16384, 16401, 65536,  70000,
                                   262147, 1048576 + 13};
    const size_t num_small = 601, num_large = sizeof large / sizeof large[0];
    struct sample *samples = calloc(num_small + num_large, sizeof *samples);
    if (!samples)
        exit(2);
    int before = ctest_failures;

    cytls_set_level("portable");
    for (size_t i = 0; i < num_small; i++)
        make_sample(&samples[i], i);
    for (size_t i = 0; i < num_large; i++)
        make_sample(&samples[num_small + i], large[i]);

    for (int li = 0; ctest_levels[li] != NULL; li++) {
        const char *level = ctest_levels[li];
        if (!cytls_set_level(level))
            continue;
        known_answers(level);
        int bad = 0;
        for (size_t i = 0; i < num_small + num_large && bad < 5; i++)
            bad += check_sample(&samples[i], level);
        tampering(level);
        printf("chapoly: level %-8s chacha20=%-8s poly1305=%-8s\n", level,
               cytls_backend_name("chacha20"), cytls_backend_name("poly1305"));
    }
    poly_backends();
    for (size_t i = 0; i < num_small + num_large; i++)
        free_sample(&samples[i]);
    free(samples);
    cytls_set_level("native");
    printf("chapoly: %s\n", ctest_failures == before ? "ok" : "FAILED");
}
