/*
 * gcm_impl.h -- what the AES-GCM backends share with gcm.c: the backend
 * operations table and the helpers every backend uses to frame a message.
 *
 * A backend owns the layout of cytls_gcm_ctx.state (expanded AES key and
 * GHASH key powers). gcm.c owns argument framing, the constant-time tag
 * comparison and the wiping of output on a bad tag; a backend only computes
 * "encrypt or decrypt, and the tag that goes with it".
 */
#ifndef CYTLS_GCM_IMPL_H
#define CYTLS_GCM_IMPL_H

#include "internal.h"

struct cytls_gcm_impl {
    const char *name;
    /*
     * init expands key (ctx->key_len bytes, ctx->rounds already set to 10
     * or 14) into ctx->state.
     */
    void (*init)(cytls_gcm_ctx *ctx, const uint8_t *key);
    /*
     * crypt runs GCM over len bytes of in (RFC: NIST SP 800-38D with a
     * 96-bit IV): it writes len bytes of CTR output to out and the 16-byte
     * tag computed over aad and the ciphertext to tag. With decrypt set, in
     * is the ciphertext (GHASHed before it is decrypted); otherwise out is.
     * out may equal in.
     *
     * split says where the input is: the bytes at offsets below split are
     * read from in, those from split on from out (the caller put them there
     * and they are processed in place). split is len, or a multiple of
     * CYTLS_GCM_SPLIT_ALIGN below it, so that no block group of a backend
     * straddles it. This lets cytls_gcm_seal_trailer seal in || trailer
     * while copying only the last partial group. split is public.
     */
    void (*crypt)(const cytls_gcm_ctx *ctx, uint8_t *out, uint8_t tag[16],
                  const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *in, size_t len, size_t split, int decrypt);
};

/* A multiple of every backend's bulk group (at most 256 bytes; the
 * VAES-512 backend's 512-byte groups read each 256-byte half from its own
 * side of split). */
#define CYTLS_GCM_SPLIT_ALIGN 256

/*
 * cytls_gcm_src returns where the input byte at offset off (a multiple of
 * 16 at the start of a block group or tail) is read from: in below split,
 * out from split on. The choice depends on lengths only.
 */
static inline const uint8_t *cytls_gcm_src(const uint8_t *in,
                                           const uint8_t *out, size_t split,
                                           size_t off)
{
    return off < split ? in + off : out + off;
}

/* The backends; a backend for another architecture or one not built is
 * absent, and cytls_gcm_select never names it. */
extern const struct cytls_gcm_impl cytls_gcm_portable;
#if defined(CYTLS_X86_64)
#define CYTLS_HAVE_GCM_AESNI 1
#define CYTLS_HAVE_GCM_VAES256 1
#define CYTLS_HAVE_GCM_VAES512 1
extern const struct cytls_gcm_impl cytls_gcm_aesni;
extern const struct cytls_gcm_impl cytls_gcm_vaes256;
extern const struct cytls_gcm_impl cytls_gcm_vaes512;
/*
 * cytls_gcm_aesni_expand (aes_gcm_aesni.c, AES-NI + PCLMULQDQ) writes the
 * rounds + 1 AES round keys to rk_out and the GHASH key powers
 * H^k * x^-1 for k = 1..num_pow, in the reflected form of that file, to
 * hpow_out (16 bytes each). The VAES backends share it: they run only where
 * AES-NI and PCLMULQDQ exist.
 */
void cytls_gcm_aesni_expand(uint8_t rk_out[240], uint8_t *hpow_out,
                            int num_pow, const uint8_t *key, unsigned key_len,
                            unsigned rounds);
#endif
#if defined(CYTLS_AARCH64)
#define CYTLS_HAVE_GCM_ARMCE 1
extern const struct cytls_gcm_impl cytls_gcm_armce;
#endif

/*
 * cytls_gcm_state returns ctx->state as a plain byte pointer. cytls.h
 * declares the state 64-byte aligned, but a context embedded in memory that
 * does not honour that (a Python object is only 16-byte aligned) must still
 * work, so backends read and write the state with unaligned accesses only.
 * The empty asm hides the declared alignment from the compiler, which would
 * otherwise turn unaligned vector loads and stores into aligned ones.
 */
static inline uint8_t *cytls_gcm_state(const cytls_gcm_ctx *ctx)
{
    uint8_t *p = (uint8_t *)(uintptr_t)ctx->state;
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(p));
#endif
    return p;
}

static inline uint64_t cytls_gcm_load_be64(const uint8_t *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) |
           ((uint64_t)p[2] << 40) | ((uint64_t)p[3] << 32) |
           ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

static inline void cytls_gcm_store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* cytls_gcm_lengths writes the final GHASH block: bit lengths of aad and
 * text, big-endian (SP 800-38D section 7.1 step 5). */
static inline void cytls_gcm_lengths(uint8_t block[16], size_t aad_len,
                                     size_t len)
{
    cytls_gcm_store_be64(block, (uint64_t)aad_len * 8);
    cytls_gcm_store_be64(block + 8, (uint64_t)len * 8);
}

#endif /* CYTLS_GCM_IMPL_H */
