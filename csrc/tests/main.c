/*
 * main.c -- the C test driver: known answers and cross-backend comparison
 * for every family, every backend level this CPU runs. Exit status 0 only
 * when every check passed.
 */
#include "ctest.h"

#include <stdlib.h>

int ctest_failures;

const char *const ctest_levels[] = {
    "portable",
#if defined(__x86_64__) || defined(_M_X64)
    "aesni", "avx2", "avx512",
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
    "neon", "armce",
#endif
    NULL};

size_t ctest_unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = strlen(hex) / 2;
    if (n > cap) {
        fprintf(stderr, "ctest_unhex: %zu bytes do not fit in %zu\n", n, cap);
        exit(2);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            fprintf(stderr, "ctest_unhex: bad hex at %zu\n", 2 * i);
            exit(2);
        }
        out[i] = (uint8_t)v;
    }
    return n;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

void ctest_random(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        buf[i] = (uint8_t)(rng_state >> 24);
    }
}

int main(void)
{
    cytls_init();
    printf("cytls C tests: detected features 0x%08x, native level %s\n",
           (unsigned)cytls_cpu_detected(), cytls_level_name());
    test_sha();
    test_gcm();
    test_chapoly();
    test_aead_trailer();
    test_record();
    test_x25519();
    cytls_set_level("native");
    if (ctest_failures) {
        printf("%d failed\n", ctest_failures);
        return 1;
    }
    printf("all C tests passed\n");
    return 0;
}
