/*
 * test_sha.c -- SHA-2, HMAC and HKDF in the C test driver: FIPS 180-4
 * known answers, incremental updates split everywhere, struct-copy forks,
 * every backend level against the portable code on every length 0..600
 * and a few large ones, RFC 4231 HMAC and RFC 5869 HKDF known answers.
 */
#include "ctest.h"
#include "../sha_impl.h"

#include <stdlib.h>

static const cytls_hash_alg algs[3] = {CYTLS_SHA256, CYTLS_SHA384,
                                       CYTLS_SHA512};
static const char *const alg_names[3] = {"sha256", "sha384", "sha512"};

static int alg_index(cytls_hash_alg alg)
{
    return alg == CYTLS_SHA256 ? 0 : alg == CYTLS_SHA384 ? 1 : 2;
}

static void check_digest(cytls_hash_alg alg, const uint8_t *got,
                         const char *want_hex, const char *what)
{
    uint8_t want[64];
    size_t n = ctest_unhex(want, sizeof want, want_hex);
    CHECK(n == cytls_hash_digest_len(alg) && memcmp(got, want, n) == 0,
          "%s %s [level %s]", alg_names[alg_index(alg)], what,
          cytls_level_name());
}

/* FIPS 180-4 example messages (and the NIST "million a" test). */
static const char msg448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg896[] =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

struct kat {
    cytls_hash_alg alg;
    const char *empty, *abc, *m448, *m896, *million;
};

static const struct kat kats[3] = {
    {CYTLS_SHA256,
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    {CYTLS_SHA384,
     "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
     "274edebfe76f65fbd51ad2f14898b95b",
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
     "8086072ba1e7cc2358baeca134c825a7",
     "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6"
     "b0455a8520bc4e6f5fe95b1fe3c8452b",
     "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712"
     "fcc7c71a557e2db966c3e9fa91746039",
     "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b"
     "07b8b3dc38ecc4ebae97ddd87f3d8985"},
    {CYTLS_SHA512,
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
     "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445",
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
     "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
     "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
     "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"},
};

static void known_answers(void)
{
    uint8_t out[64];
    uint8_t chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 3; i++) {
        const struct kat *k = &kats[i];
        CHECK(cytls_hash(k->alg, out, (const uint8_t *)"", 0), "hash ok");
        check_digest(k->alg, out, k->empty, "empty");
        cytls_hash(k->alg, out, (const uint8_t *)"abc", 3);
        check_digest(k->alg, out, k->abc, "abc");
        cytls_hash(k->alg, out, (const uint8_t *)msg448, strlen(msg448));
        check_digest(k->alg, out, k->m448, "448-bit message");
        cytls_hash(k->alg, out, (const uint8_t *)msg896, strlen(msg896));
        check_digest(k->alg, out, k->m896, "896-bit message");
        /* A million 'a' in 1000-byte updates crosses every buffer state. */
        cytls_hash_ctx ctx;
        cytls_hash_init(&ctx, k->alg);
        for (int j = 0; j < 1000; j++)
            cytls_hash_update(&ctx, chunk, sizeof chunk);
        cytls_hash_final(&ctx, out);
        check_digest(k->alg, out, k->million, "million a");
    }
}

/* Every split of a 300-byte message in two, and of a 150-byte one in three. */
static void splits(void)
{
    uint8_t msg[300], want[64], got[64];
    ctest_random(msg, sizeof msg);
    for (int a = 0; a < 3; a++) {
        cytls_hash_alg alg = algs[a];
        size_t dl = cytls_hash_digest_len(alg);
        cytls_hash(alg, want, msg, sizeof msg);
        for (size_t i = 0; i <= sizeof msg; i++) {
            cytls_hash_ctx ctx;
            cytls_hash_init(&ctx, alg);
            cytls_hash_update(&ctx, msg, i);
            cytls_hash_update(&ctx, msg + i, sizeof msg - i);
            cytls_hash_final(&ctx, got);
            CHECK(memcmp(got, want, dl) == 0, "%s split at %zu [%s]",
                  alg_names[a], i, cytls_level_name());
        }
        uint8_t want3[64];
        size_t n3 = 150;
        cytls_hash(alg, want3, msg, n3);
        int bad = 0;
        for (size_t i = 0; i <= n3; i++) {
            for (size_t j = i; j <= n3; j++) {
                cytls_hash_ctx ctx;
                cytls_hash_init(&ctx, alg);
                cytls_hash_update(&ctx, msg, i);
                cytls_hash_update(&ctx, msg + i, j - i);
                cytls_hash_update(&ctx, msg + j, n3 - j);
                cytls_hash_final(&ctx, got);
                bad += memcmp(got, want3, dl) != 0;
            }
        }
        CHECK(bad == 0, "%s: %d three-way splits wrong [%s]", alg_names[a],
              bad, cytls_level_name());
        /* Byte-at-a-time updates. */
        cytls_hash_ctx ctx;
        cytls_hash_init(&ctx, alg);
        for (size_t i = 0; i < sizeof msg; i++)
            cytls_hash_update(&ctx, msg + i, 1);
        cytls_hash_final(&ctx, got);
        CHECK(memcmp(got, want, dl) == 0, "%s byte at a time [%s]",
              alg_names[a], cytls_level_name());
    }
}

/* A struct copy forks a running hash; final wipes only its own context. */
static void copies(void)
{
    uint8_t msg[400], got[64], want[64];
    ctest_random(msg, sizeof msg);
    for (int a = 0; a < 3; a++) {
        cytls_hash_alg alg = algs[a];
        size_t dl = cytls_hash_digest_len(alg);
        for (size_t cut = 0; cut <= 300; cut += 37) {
            cytls_hash_ctx base, fork;
            cytls_hash_init(&base, alg);
            cytls_hash_update(&base, msg, cut);
            fork = base; /* the documented way to copy */
            cytls_hash_update(&fork, msg + cut, 100);
            cytls_hash_final(&fork, got);
            cytls_hash(alg, want, msg, cut + 100);
            CHECK(memcmp(got, want, dl) == 0, "%s fork at %zu", alg_names[a],
                  cut);
            /* The original is untouched by the fork's updates and final. */
            cytls_hash_update(&base, msg + cut, 7);
            cytls_hash_final(&base, got);
            cytls_hash(alg, want, msg, cut + 7);
            CHECK(memcmp(got, want, dl) == 0, "%s base after fork at %zu",
                  alg_names[a], cut);
        }
    }
}

#define MAX_SMALL 600
static const size_t large_lens[] = {4096 + 13, 16384, 65536 + 7,
                                    (1u << 20) + 3};
#define NUM_LARGE (sizeof large_lens / sizeof large_lens[0])

/* Every level this CPU runs against the portable digests. */
static void cross_backends(void)
{
    static uint8_t ref_small[3][MAX_SMALL + 1][64];
    static uint8_t ref_large[3][NUM_LARGE][64];
    size_t big = large_lens[NUM_LARGE - 1];
    uint8_t *data = malloc(big);
    uint8_t got[64];
    CHECK(data != NULL, "malloc");
    if (data == NULL)
        return;
    ctest_random(data, big);
    cytls_set_level("portable");
    CHECK(strcmp(cytls_backend_name("sha256"), "portable") == 0 &&
              strcmp(cytls_backend_name("sha512"), "portable") == 0,
          "portable level uses portable SHA-2");
    for (int a = 0; a < 3; a++) {
        for (size_t n = 0; n <= MAX_SMALL; n++)
            cytls_hash(algs[a], ref_small[a][n], data, n);
        for (size_t i = 0; i < NUM_LARGE; i++)
            cytls_hash(algs[a], ref_large[a][i], data, large_lens[i]);
    }
    for (int l = 0; ctest_levels[l] != NULL; l++) {
        CHECK(cytls_set_level(ctest_levels[l]), "level %s", ctest_levels[l]);
        uint32_t f = cytls_cpu_features();
        const char *b256 = cytls_backend_name("sha256");
        const char *b512 = cytls_backend_name("sha512");
        printf("  sha: level %-8s sha256=%s sha512=%s\n", ctest_levels[l],
               b256, b512);
        /* The best backend the features allow is the one selected. */
#if defined(__x86_64__) || defined(_M_X64)
        CHECK(strcmp(b256, (f & CYTLS_CPU_SHANI)  ? "shani"
                           : (f & CYTLS_CPU_AVX2) ? "avx2"
                                                  : "portable") == 0,
              "sha256 backend %s with features %#x", b256, (unsigned)f);
        CHECK(strcmp(b512, (f & CYTLS_CPU_AVX2) ? "avx2" : "portable") == 0,
              "sha512 backend %s with features %#x", b512, (unsigned)f);
#elif defined(__aarch64__) || defined(_M_ARM64)
        CHECK(strcmp(b256, (f & CYTLS_CPU_ARM_SHA2) ? "armce" : "portable") == 0,
              "sha256 backend %s with features %#x", b256, (unsigned)f);
        CHECK(strcmp(b512, (f & CYTLS_CPU_ARM_SHA512) ? "armsha512"
                                                      : "portable") == 0,
              "sha512 backend %s with features %#x", b512, (unsigned)f);
#else
        (void)f;
#endif
        for (int a = 0; a < 3; a++) {
            size_t dl = cytls_hash_digest_len(algs[a]);
            int bad = 0;
            for (size_t n = 0; n <= MAX_SMALL; n++) {
                cytls_hash(algs[a], got, data, n);
                bad += memcmp(got, ref_small[a][n], dl) != 0;
                /* And in two pieces, split at a length-dependent point. */
                cytls_hash_ctx ctx;
                size_t cut = (n * 7) % (n + 1);
                cytls_hash_init(&ctx, algs[a]);
                cytls_hash_update(&ctx, data, cut);
                cytls_hash_update(&ctx, data + cut, n - cut);
                cytls_hash_final(&ctx, got);
                bad += memcmp(got, ref_small[a][n], dl) != 0;
            }
            CHECK(bad == 0, "%s level %s: %d lengths differ from portable",
                  alg_names[a], ctest_levels[l], bad);
            for (size_t i = 0; i < NUM_LARGE; i++) {
                cytls_hash(algs[a], got, data, large_lens[i]);
                CHECK(memcmp(got, ref_large[a][i], dl) == 0,
                      "%s level %s length %zu", alg_names[a], ctest_levels[l],
                      large_lens[i]);
            }
        }
        splits();
        known_answers();
    }
    cytls_set_level("native");
    free(data);
}

/*
 * Every block function this CPU can run, called directly against the
 * portable one from random chaining states: the levels alone cannot reach
 * a backend that a better one shadows (AVX2 SHA-256 under SHA-NI).
 */
struct blocks256 {
    const char *name;
    uint32_t needs;
    cytls_sha256_blocks_fn fn;
};
struct blocks512 {
    const char *name;
    uint32_t needs;
    cytls_sha512_blocks_fn fn;
};

static void direct_backends(void)
{
    static const struct blocks256 b256[] = {
#if defined(CYTLS_X86_64)
        {"shani", CYTLS_CPU_SHANI, cytls_sha256_blocks_shani},
        {"avx2", CYTLS_CPU_AVX2, cytls_sha256_blocks_avx2},
#elif defined(CYTLS_AARCH64)
        {"armce", CYTLS_CPU_ARM_SHA2, cytls_sha256_blocks_armce},
#endif
        {NULL, 0, NULL}};
    static const struct blocks512 b512[] = {
#if defined(CYTLS_X86_64)
        {"avx2", CYTLS_CPU_AVX2, cytls_sha512_blocks_avx2},
#elif defined(CYTLS_AARCH64)
        {"armsha512", CYTLS_CPU_ARM_SHA512, cytls_sha512_blocks_armsha512},
#endif
        {NULL, 0, NULL}};
    enum { MAX_BLOCKS = 40 };
    static uint8_t data[MAX_BLOCKS * 128];
    uint32_t detected = cytls_cpu_detected();
    for (int i = 0; b256[i].name != NULL; i++) {
        if ((detected & b256[i].needs) != b256[i].needs) {
            printf("  sha: sha256 %s not run (CPU lacks it)\n", b256[i].name);
            continue;
        }
        int bad = 0;
        for (size_t n = 0; n <= MAX_BLOCKS; n++) {
            uint32_t want[8], got[8];
            ctest_random((uint8_t *)want, sizeof want);
            memcpy(got, want, sizeof got);
            ctest_random(data, n * 64);
            cytls_sha256_blocks_portable(want, data, n);
            b256[i].fn(got, data, n);
            bad += memcmp(want, got, sizeof want) != 0;
        }
        CHECK(bad == 0, "sha256 %s: %d block counts differ", b256[i].name, bad);
        printf("  sha: sha256 %s direct: %s\n", b256[i].name, bad ? "FAILED" : "ok");
    }
    for (int i = 0; b512[i].name != NULL; i++) {
        if ((detected & b512[i].needs) != b512[i].needs) {
            printf("  sha: sha512 %s not run (CPU lacks it)\n", b512[i].name);
            continue;
        }
        int bad = 0;
        for (size_t n = 0; n <= MAX_BLOCKS; n++) {
            uint64_t want[8], got[8];
            ctest_random((uint8_t *)want, sizeof want);
            memcpy(got, want, sizeof got);
            ctest_random(data, n * 128);
            cytls_sha512_blocks_portable(want, data, n);
            b512[i].fn(got, data, n);
            bad += memcmp(want, got, sizeof want) != 0;
        }
        CHECK(bad == 0, "sha512 %s: %d block counts differ", b512[i].name, bad);
        printf("  sha: sha512 %s direct: %s\n", b512[i].name, bad ? "FAILED" : "ok");
    }
}

/* RFC 4231 test cases 1, 2, 3, 4, 6 and 7 (case 5 is truncated output). */
struct hmac_kat {
    const char *key_hex; /* NULL: use key_fill */
    uint8_t key_fill;
    size_t key_fill_len;
    const char *msg;     /* NULL: use msg_fill */
    uint8_t msg_fill;
    size_t msg_fill_len;
    const char *mac[3];
};

static const struct hmac_kat hmac_kats[] = {
    {NULL, 0x0b, 20, "Hi There", 0, 0,
     {"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
      "faea9ea9076ede7f4af152e8b2fa9cb6",
      "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
      "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"}},
    {"4a656665", 0, 0, "what do ya want for nothing?", 0, 0,
     {"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
      "8e2240ca5e69e2c78b3239ecfab21649",
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"}},
    {NULL, 0xaa, 20, NULL, 0xdd, 50,
     {"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
      "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
      "2a5ab39dc13814b94e3ab6e101a34f27",
      "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
      "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"}},
    {"0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0, NULL, 0xcd,
     50,
     {"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
      "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
      "6801dd23c4a7d679ccf8a386c674cffb",
      "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
      "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"}},
    {NULL, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
     0, 0,
     {"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
      "0c2ef6ab4030fe8296248df163f44952",
      "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
      "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"}},
    {NULL, 0xaa, 131,
     "This is a test using a larger than block-size key and a larger than "
     "block-size data. The key needs to be hashed before being used by the "
     "HMAC algorithm.",
     0, 0,
     {"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
      "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
      "a678cc31e799176d3860e6110c46523e",
      "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
      "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"}},
};

static void hmac_known_answers(void)
{
    for (size_t t = 0; t < sizeof hmac_kats / sizeof hmac_kats[0]; t++) {
        const struct hmac_kat *k = &hmac_kats[t];
        uint8_t key[200], msg[200], out[64], out2[64];
        size_t key_len, msg_len;
        if (k->key_hex) {
            key_len = ctest_unhex(key, sizeof key, k->key_hex);
        } else {
            key_len = k->key_fill_len;
            memset(key, k->key_fill, key_len);
        }
        if (k->msg) {
            msg_len = strlen(k->msg);
            memcpy(msg, k->msg, msg_len);
        } else {
            msg_len = k->msg_fill_len;
            memset(msg, k->msg_fill, msg_len);
        }
        for (int a = 0; a < 3; a++) {
            CHECK(cytls_hmac(algs[a], out, key, key_len, msg, msg_len),
                  "hmac ok");
            check_digest(algs[a], out, k->mac[a], "RFC 4231 HMAC");
            /* Incremental, in two pieces. */
            cytls_hmac_ctx ctx;
            cytls_hmac_init(&ctx, algs[a], key, key_len);
            cytls_hmac_update(&ctx, msg, msg_len / 3);
            cytls_hmac_update(&ctx, msg + msg_len / 3, msg_len - msg_len / 3);
            cytls_hmac_final(&ctx, out2);
            CHECK(memcmp(out, out2, cytls_hash_digest_len(algs[a])) == 0,
                  "incremental HMAC case %zu", t);
        }
    }
    uint8_t out[64];
    CHECK(!cytls_hmac((cytls_hash_alg)9, out, (const uint8_t *)"k", 1,
                      (const uint8_t *)"m", 1),
          "HMAC with an unknown alg fails");
}

/* RFC 5869 appendix A, test cases 1-3 (SHA-256). */
static void hkdf_known_answers(void)
{
    uint8_t ikm[80], salt[80], info[80], prk[64], okm[82], want[82];
    size_t n;

    /* Case 1 */
    memset(ikm, 0x0b, 22);
    ctest_unhex(salt, sizeof salt, "000102030405060708090a0b0c");
    ctest_unhex(info, sizeof info, "f0f1f2f3f4f5f6f7f8f9");
    CHECK(cytls_hkdf_extract(CYTLS_SHA256, prk, salt, 13, ikm, 22), "extract");
    check_digest(CYTLS_SHA256, prk,
                 "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
                 "RFC 5869 case 1 PRK");
    CHECK(cytls_hkdf_expand(CYTLS_SHA256, okm, 42, prk, 32, info, 10),
          "expand");
    n = ctest_unhex(want, sizeof want,
                    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56"
                    "ecc4c5bf34007208d5b887185865");
    CHECK(n == 42 && memcmp(okm, want, n) == 0, "RFC 5869 case 1 OKM");

    /* Case 2: long inputs, 82 bytes out */
    for (int i = 0; i < 80; i++) {
        ikm[i] = (uint8_t)i;
        salt[i] = (uint8_t)(0x60 + i);
        info[i] = (uint8_t)(0xb0 + i);
    }
    cytls_hkdf_extract(CYTLS_SHA256, prk, salt, 80, ikm, 80);
    check_digest(CYTLS_SHA256, prk,
                 "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
                 "RFC 5869 case 2 PRK");
    cytls_hkdf_expand(CYTLS_SHA256, okm, 82, prk, 32, info, 80);
    n = ctest_unhex(want, sizeof want,
                    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c"
                    "19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8"
                    "367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");
    CHECK(n == 82 && memcmp(okm, want, n) == 0, "RFC 5869 case 2 OKM");

    /* Case 3: empty salt and info */
    memset(ikm, 0x0b, 22);
    cytls_hkdf_extract(CYTLS_SHA256, prk, NULL, 0, ikm, 22);
    check_digest(CYTLS_SHA256, prk,
                 "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
                 "RFC 5869 case 3 PRK");
    cytls_hkdf_expand(CYTLS_SHA256, okm, 42, prk, 32, NULL, 0);
    n = ctest_unhex(want, sizeof want,
                    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f"
                    "3c738d2d9d201395faa4b61a96c8");
    CHECK(n == 42 && memcmp(okm, want, n) == 0, "RFC 5869 case 3 OKM");

    /* Limits: 255 * HashLen is the most HKDF-Expand may produce. */
    static uint8_t big[255 * 64 + 1];
    for (int a = 0; a < 3; a++) {
        size_t dl = cytls_hash_digest_len(algs[a]);
        CHECK(cytls_hkdf_expand(algs[a], big, 255 * dl, prk, 32, NULL, 0),
              "%s expand to the limit", alg_names[a]);
        CHECK(!cytls_hkdf_expand(algs[a], big, 255 * dl + 1, prk, 32, NULL, 0),
              "%s expand past the limit fails", alg_names[a]);
    }
    /* Expand-Label refuses labels whose prefixed form exceeds 255 bytes. */
    uint8_t label[250];
    memset(label, 'x', sizeof label);
    CHECK(cytls_hkdf_expand_label(CYTLS_SHA256, okm, 32, prk, 32, label, 249,
                                  NULL, 0),
          "249-byte label accepted");
    CHECK(!cytls_hkdf_expand_label(CYTLS_SHA256, okm, 32, prk, 32, label, 250,
                                   NULL, 0),
          "250-byte label refused");
}

/* RFC 8448 section 3: the client handshake traffic key and IV. */
static void expand_label_known_answer(void)
{
    uint8_t secret[32], key[16], iv[12], want[32];
    ctest_unhex(secret, sizeof secret,
                "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
    CHECK(cytls_hkdf_expand_label(CYTLS_SHA256, key, 16, secret, 32,
                                  (const uint8_t *)"key", 3, NULL, 0),
          "expand_label ok");
    ctest_unhex(want, sizeof want, "dbfaa693d1762c5b666af5d950258d01");
    CHECK(memcmp(key, want, 16) == 0, "RFC 8448 client handshake key");
    cytls_hkdf_expand_label(CYTLS_SHA256, iv, 12, secret, 32,
                            (const uint8_t *)"iv", 2, NULL, 0);
    ctest_unhex(want, sizeof want, "5bd3c71b836e0b76bb73265f");
    CHECK(memcmp(iv, want, 12) == 0, "RFC 8448 client handshake iv");

    /* Several labels from one keyed HMAC give what one call each gives. */
    for (int a = 0; a < 3; a++) {
        cytls_hash_alg alg = a == 0 ? CYTLS_SHA256 : a == 1 ? CYTLS_SHA384 : CYTLS_SHA512;
        size_t dl = cytls_hash_digest_len(alg);
        uint8_t ctx[64], outs[3][200], one[200];
        memset(ctx, 0x5a, sizeof ctx);
        cytls_hkdf_label reqs[3] = {
            {outs[0], 16, (const uint8_t *)"key", 3, NULL, 0},
            {outs[1], dl, (const uint8_t *)"c hs traffic", 12, ctx, dl},
            {outs[2], 200, (const uint8_t *)"long", 4, ctx, 7}, /* several blocks */
        };
        CHECK(cytls_hkdf_expand_labels(alg, secret, 32, reqs, 3), "expand_labels ok");
        for (int i = 0; i < 3; i++) {
            CHECK(cytls_hkdf_expand_label(alg, one, reqs[i].out_len, secret, 32, reqs[i].label,
                                          reqs[i].label_len, reqs[i].context,
                                          reqs[i].context_len)
                      && memcmp(one, outs[i], reqs[i].out_len) == 0,
                  "expand_labels output %d equals expand_label (alg %d)", i, a);
        }
        /* One bad request (context over 255 bytes) fails the call and writes nothing. */
        uint8_t big_ctx[256] = {0};
        memset(outs, 0xee, sizeof outs);
        cytls_hkdf_label bad[2] = {
            {outs[0], 16, (const uint8_t *)"key", 3, NULL, 0},
            {outs[1], 16, (const uint8_t *)"iv", 2, big_ctx, 256},
        };
        CHECK(!cytls_hkdf_expand_labels(alg, secret, 32, bad, 2), "oversized context refused");
        CHECK(outs[0][0] == 0xee && outs[0][15] == 0xee, "nothing written on refusal");
        cytls_hkdf_label too_long = {outs[0], 255 * dl + 1, (const uint8_t *)"k", 1, NULL, 0};
        CHECK(!cytls_hkdf_expand_labels(alg, secret, 32, &too_long, 1),
              "output past 255 * HashLen refused");
        CHECK(cytls_hkdf_expand_labels(alg, secret, 32, NULL, 0), "no labels is a no-op");
    }
}

void test_sha(void)
{
    int before = ctest_failures;
    known_answers();
    splits();
    copies();
    hmac_known_answers();
    hkdf_known_answers();
    expand_label_known_answer();
    cross_backends();
    direct_backends();
    printf("test_sha: %s\n", ctest_failures == before ? "ok" : "FAILED");
}
