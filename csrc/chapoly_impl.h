/*
 * chapoly_impl.h -- what the ChaCha20 and Poly1305 backends share with
 * chapoly.c (their dispatcher): the backend entry points and the Poly1305
 * state. Internal to csrc/; callers use cytls.h.
 *
 * Every backend is constant time: ChaCha20 is add/rotate/xor only and
 * Poly1305 uses multiplications whose timing does not depend on operands on
 * the CPUs we target; no code here branches on or indexes by secret data.
 * Lengths, counters and the backend choice are public.
 */
#ifndef CYTLS_CHAPOLY_IMPL_H
#define CYTLS_CHAPOLY_IMPL_H

#include "internal.h"

#include <string.h>

/* Little-endian loads and stores that do not care about alignment. */
static inline uint32_t cytls_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t cytls_le64(const uint8_t *p)
{
    return (uint64_t)cytls_le32(p) | (uint64_t)cytls_le32(p + 4) << 32;
}

static inline void cytls_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void cytls_put_le64(uint8_t *p, uint64_t v)
{
    cytls_put_le32(p, (uint32_t)v);
    cytls_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ------------------------------------------------------------------ */
/* ChaCha20                                                            */
/* ------------------------------------------------------------------ */

/*
 * A ChaCha20 backend XORs len bytes of keystream, starting at block
 * `counter` (RFC 8439 §2.4, 32-bit counter that wraps modulo 2^32), into in
 * and writes the result to out. out may equal in; otherwise they must not
 * overlap. Any length is allowed.
 */
typedef void (*cytls_chacha20_fn)(uint8_t *out, const uint8_t *in, size_t len,
                                  const uint8_t key[32],
                                  const uint8_t nonce[12], uint32_t counter);

void cytls_chacha20_portable(uint8_t *out, const uint8_t *in, size_t len,
                             const uint8_t key[32], const uint8_t nonce[12],
                             uint32_t counter);
#if defined(CYTLS_X86_64)
void cytls_chacha20_ssse3(uint8_t *out, const uint8_t *in, size_t len,
                          const uint8_t key[32], const uint8_t nonce[12],
                          uint32_t counter);
void cytls_chacha20_avx2(uint8_t *out, const uint8_t *in, size_t len,
                         const uint8_t key[32], const uint8_t nonce[12],
                         uint32_t counter);
void cytls_chacha20_avx512(uint8_t *out, const uint8_t *in, size_t len,
                           const uint8_t key[32], const uint8_t nonce[12],
                           uint32_t counter);
#endif
#if defined(CYTLS_AARCH64)
void cytls_chacha20_neon(uint8_t *out, const uint8_t *in, size_t len,
                         const uint8_t key[32], const uint8_t nonce[12],
                         uint32_t counter);
#endif

/* ------------------------------------------------------------------ */
/* Poly1305                                                            */
/* ------------------------------------------------------------------ */

struct cytls_poly1305_impl;

/*
 * cytls_poly1305_state is the running MAC. Its words are laid out by the
 * backend that initialised it (impl), which must also finish it. 112
 * words: the IFMA backend keeps r^1 .. r^32 (three limbs each) from w[16].
 */
typedef struct cytls_poly1305_state {
    const struct cytls_poly1305_impl *impl;
    _Alignas(64) uint64_t w[112];
} cytls_poly1305_state;

/*
 * A Poly1305 backend: init keys the state with r||s (32 bytes); blocks
 * absorbs len bytes (a multiple of 16), adding 2^128 to each block when
 * hibit is 1 (every full block) or not when 0 (a final block already padded
 * with its 0x01 byte); finish writes the tag and wipes the state.
 */
struct cytls_poly1305_impl {
    const char *name;
    void (*init)(cytls_poly1305_state *st, const uint8_t key[32]);
    void (*blocks)(cytls_poly1305_state *st, const uint8_t *in, size_t len,
                   unsigned hibit);
    void (*finish)(cytls_poly1305_state *st, uint8_t tag[16]);
};

extern const struct cytls_poly1305_impl cytls_poly1305_portable_impl;

/*
 * Poly1305 in radix 2^26 (poly1305_portable.c), on this state layout:
 * w[0..4] the accumulator h in 26-bit limbs, w[5..9] the clamped r in
 * 26-bit limbs, w[10..13] s in 32-bit words. The vector backends keep
 * this layout (their lanes use the same limbs), add their powers of r
 * from w[16] on, and use these functions for short inputs and tails.
 */
void cytls_poly1305_r26_init(cytls_poly1305_state *st, const uint8_t key[32]);
void cytls_poly1305_r26_blocks(cytls_poly1305_state *st, const uint8_t *in,
                               size_t len, unsigned hibit);
void cytls_poly1305_r26_finish(cytls_poly1305_state *st, uint8_t tag[16]);
#if defined(CYTLS_X86_64)
extern const struct cytls_poly1305_impl cytls_poly1305_avx2_impl;
extern const struct cytls_poly1305_impl cytls_poly1305_avx512_impl;
extern const struct cytls_poly1305_impl cytls_poly1305_avx512ifma_impl;
/* 1 when CPUID reports AVX512_IFMA (poly1305_avx512.c); the caller must
 * already know that AVX-512 is usable. */
int cytls_poly1305_avx512_has_ifma(void);
#endif

#endif /* CYTLS_CHAPOLY_IMPL_H */
