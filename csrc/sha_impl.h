/*
 * sha_impl.h -- what the SHA-2 backends share with hash.c: the block
 * functions each backend file provides and the round constants.
 *
 * A block function absorbs num_blocks whole blocks (64 bytes for SHA-256,
 * 128 for SHA-512/384) into the chaining state. hash.c buffers partial
 * blocks, pads, and calls the block function of the backend selected by
 * cytls_sha256_select / cytls_sha512_select. SHA-2 has no secret-dependent
 * branches or table indices by construction: every backend runs the same
 * fixed sequence of operations whatever the data.
 */
#ifndef CYTLS_SHA_IMPL_H
#define CYTLS_SHA_IMPL_H

#include "internal.h"

typedef void (*cytls_sha256_blocks_fn)(uint32_t state[8], const uint8_t *data,
                                       size_t num_blocks);
typedef void (*cytls_sha512_blocks_fn)(uint64_t state[8], const uint8_t *data,
                                       size_t num_blocks);

/* FIPS 180-4 section 4.2.2 and 4.2.3 round constants (sha256_portable.c, sha512_portable.c). */
extern const uint32_t cytls_sha256_k[64];
extern const uint64_t cytls_sha512_k[80];

void cytls_sha256_blocks_portable(uint32_t state[8], const uint8_t *data,
                                  size_t num_blocks);
void cytls_sha512_blocks_portable(uint64_t state[8], const uint8_t *data,
                                  size_t num_blocks);

#if defined(CYTLS_X86_64)
void cytls_sha256_blocks_shani(uint32_t state[8], const uint8_t *data,
                               size_t num_blocks);
void cytls_sha256_blocks_avx2(uint32_t state[8], const uint8_t *data,
                              size_t num_blocks);
void cytls_sha512_blocks_avx2(uint64_t state[8], const uint8_t *data,
                              size_t num_blocks);
#endif
#if defined(CYTLS_AARCH64)
void cytls_sha256_blocks_armce(uint32_t state[8], const uint8_t *data,
                               size_t num_blocks);
void cytls_sha512_blocks_armsha512(uint64_t state[8], const uint8_t *data,
                                   size_t num_blocks);
#endif

/*
 * cytls_sha256_blocks / cytls_sha512_blocks call the selected backend.
 * Selection happens at init, so these are plain loads of a pointer.
 */
void cytls_sha256_blocks(uint32_t state[8], const uint8_t *data,
                         size_t num_blocks);
void cytls_sha512_blocks(uint64_t state[8], const uint8_t *data,
                         size_t num_blocks);

#endif /* CYTLS_SHA_IMPL_H */
