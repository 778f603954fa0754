/*
 * ctest.h -- the few helpers the C test driver shares: hex decoding, a
 * deterministic random generator and a failure counter.
 */
#ifndef CYTLS_CTEST_H
#define CYTLS_CTEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../cytls.h"

extern int ctest_failures;

/* CHECK records a failure with its location instead of aborting. */
#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (!(cond)) {                                                    \
            ctest_failures++;                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

/* ctest_unhex decodes a hex string into out, returning its byte length. */
size_t ctest_unhex(uint8_t *out, size_t cap, const char *hex);

/* ctest_random fills buf from a seeded xorshift generator (repeatable). */
void ctest_random(uint8_t *buf, size_t len);

/* The backend levels this CPU can run, "portable" first, NULL-terminated. */
extern const char *const ctest_levels[];

/* Each family's tests; each returns after recording failures. */
void test_sha(void);
void test_gcm(void);
void test_chapoly(void);
void test_record(void);
void test_aead_trailer(void);
void test_x25519(void);

#endif
