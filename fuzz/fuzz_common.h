/*
 * fuzz_common.h -- what the libFuzzer targets of fuzz/ share: a reader that
 * takes fields from the front of the fuzzer's input (and yields zeros once
 * it runs dry, so every input is valid), a deterministic generator for
 * split points seeded from the input, the fixed keys the seeds are made
 * with, and the input layouts, which fuzz/make_seeds.c writes too.
 *
 * A target must behave the same for the same input on every run: all
 * randomness comes from the input. A finding is a sanitizer report or a
 * FUZZ_CHECK failure (an abort, so libFuzzer saves the input).
 */
#ifndef CYTLS_FUZZ_COMMON_H
#define CYTLS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../csrc/cytls.h"

/* FUZZ_CHECK aborts with the failed condition: a finding. */
#define FUZZ_CHECK(cond)                                                  \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__,  \
                    __LINE__, #cond);                                     \
            abort();                                                      \
        }                                                                 \
    } while (0)

typedef struct fuzz_reader {
    const uint8_t *p;
    size_t left;
} fuzz_reader;

static inline uint8_t fuzz_u8(fuzz_reader *r)
{
    if (r->left == 0)
        return 0;
    r->left--;
    return *r->p++;
}

static inline uint16_t fuzz_u16(fuzz_reader *r)
{
    uint16_t hi = fuzz_u8(r);
    return (uint16_t)(hi << 8 | fuzz_u8(r));
}

static inline uint32_t fuzz_u32(fuzz_reader *r)
{
    uint32_t hi = fuzz_u16(r);
    return hi << 16 | fuzz_u16(r);
}

/* fuzz_bytes hands out up to n bytes from the input (fewer when it runs
 * dry) and stores how many in *got. */
static inline const uint8_t *fuzz_bytes(fuzz_reader *r, size_t n, size_t *got)
{
    const uint8_t *p = r->p;
    if (n > r->left)
        n = r->left;
    r->p += n;
    r->left -= n;
    *got = n;
    return p;
}

/* A xorshift64 generator for split points, seeded from the input. */
static inline uint64_t fuzz_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* fuzz_len maps a u16 to a length: below 512 for 7 of 8 values (the
 * fast, common case), up to max - 1 for values with the top 3 bits set. */
static inline size_t fuzz_len(uint16_t v, size_t max)
{
    return (v >> 13) == 7 ? v % max : v % 512;
}

/* fuzz_malloc returns exactly n bytes (at least 1), so that ASan sees an
 * access one past the end; it never returns NULL. */
static inline uint8_t *fuzz_malloc(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

/* The record suites; index NUM_FUZZ_SUITES means "no key" (plaintext). */
struct fuzz_suite {
    cytls_aead_alg alg;
    size_t key_len;
    uint16_t version;
};

static const struct fuzz_suite fuzz_suites[] = {
    {CYTLS_AEAD_AES_128_GCM, 16, CYTLS_VERSION_TLS13},
    {CYTLS_AEAD_AES_256_GCM, 32, CYTLS_VERSION_TLS13},
    {CYTLS_AEAD_CHACHA20_POLY1305, 32, CYTLS_VERSION_TLS13},
    {CYTLS_AEAD_AES_128_GCM, 16, CYTLS_VERSION_TLS12},
    {CYTLS_AEAD_AES_256_GCM, 32, CYTLS_VERSION_TLS12},
    {CYTLS_AEAD_CHACHA20_POLY1305, 32, CYTLS_VERSION_TLS12},
};
#define NUM_FUZZ_SUITES (sizeof fuzz_suites / sizeof fuzz_suites[0])

/* The backend levels a target may force; set_level caps them at what the
 * CPU has, so every name is valid everywhere. */
static const char *const fuzz_levels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    "portable", "aesni", "avx2", "avx512",
#elif defined(__aarch64__) || defined(_M_ARM64)
    "portable", "neon", "armce", "native",
#else
    "portable", "native", "native", "native",
#endif
};
#define NUM_FUZZ_LEVELS 4

/* The fixed key and IV of the record targets (seeds are sealed with them). */
static const uint8_t fuzz_key[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const uint8_t fuzz_iv[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                    0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

static inline size_t fuzz_iv_len(const struct fuzz_suite *s)
{
    return s->version == CYTLS_VERSION_TLS12 &&
                   s->alg != CYTLS_AEAD_CHACHA20_POLY1305
               ? 4
               : 12;
}

/* fuzz_protector returns a protector keyed with suite index (or plaintext
 * for NUM_FUZZ_SUITES and above) under the fixed key. */
static inline cytls_record_protector *fuzz_protector(unsigned suite)
{
    cytls_record_protector *p = cytls_record_new();
    FUZZ_CHECK(p != NULL);
    if (suite < NUM_FUZZ_SUITES) {
        const struct fuzz_suite *s = &fuzz_suites[suite];
        FUZZ_CHECK(cytls_record_set_key(p, s->alg, s->version, fuzz_key,
                                        s->key_len, fuzz_iv, fuzz_iv_len(s)));
    }
    return p;
}

/*
 * Input layouts. Every field is read with fuzz_reader, big-endian.
 *
 * fuzz_record_open:
 *   u8  suite       % 8: 0..5 a suite of fuzz_suites, 6 and 7 plaintext
 *   u8  flags       bit 0: record_size_limit; bit 1: skip budget (early
 *                   data); bit 2: start near the sequence limit; bit 3:
 *                   the rest is a record list to protect first (below);
 *                   bits 4-5: backend level; bit 6: plaintext version
 *                   0x0301 for the seal side (unused by open)
 *   u16 limit       64 + limit % 16322 when bit 0
 *   u16 budget      when bit 1
 *   u32 split_seed  split points of the chunked open
 *   rest            the wire bytes, or with bit 3 a list of records:
 *                   u8 rflags (bit 0: protect the body; bit 1: keep the
 *                   header's length as given; bit 2: corrupt the tag;
 *                   bit 3: TLS 1.2 AES-GCM explicit nonce other than the
 *                   sequence number), 5 header bytes, u16 body length
 *                   (fuzz_len, up to 2^14 + 2^11 + 7), the body (repeated
 *                   to that length when short)
 *
 * fuzz_record_seal:
 *   u8  suite, u8 flags (bit 0 limit, bit 1 pad block, bit 2 near the
 *   sequence limit, bits 4-5 level, bit 6 plain version 0x0301, bit 7
 *   mutate the stream), u16 limit, u16 pad_block, u32 split_seed,
 *   u16 mutate position, u8 mutate xor, then operations until the input
 *   ends: u8 type (20 + type % 5 .. 24), u8 op (bit 0 seal_padded, bit 1
 *   short output buffer), u16 length (fuzz_len, up to 39999 content
 *   bytes of a pattern), u8 pad (x 67 bytes), u8 pattern seed
 *
 * fuzz_aead:
 *   u8  alg         % 3: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305
 *   u8  mode        bit 0: seal first, then open the result; bit 1: in
 *                   place; bit 2: flip a byte before opening; bit 3:
 *                   truncate or extend before opening; bit 4: use
 *                   seal_trailer with a trailer of the last trail bytes
 *   u8  trail, u16 edit position, u8 edit value
 *   32 bytes key, 12 bytes nonce, u8 aad length, aad, rest: message (mode
 *   bit 0) or ciphertext || tag (arbitrary, any length)
 */

#endif /* CYTLS_FUZZ_COMMON_H */
