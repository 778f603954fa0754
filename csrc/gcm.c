/*
 * gcm.c -- AES-GCM (NIST SP 800-38D, 96-bit nonces, 128-bit tags): backend
 * selection, argument framing, the constant-time tag check, and the rule
 * that a failed open leaves zeros, never plaintext, in the output.
 *
 * The per-CPU work (AES rounds, CTR, GHASH) lives in the backend files:
 * aes_gcm_portable.c, aes_gcm_aesni.c, gcm_vaes.c, gcm_vaes512.c,
 * gcm_armce.c. Each context remembers the backend that expanded its key.
 */
#include "gcm_impl.h"

#include <string.h>

#define VAES256_NEEDS                                                     \
    (CYTLS_CPU_AESNI | CYTLS_CPU_PCLMUL | CYTLS_CPU_AVX2 | CYTLS_CPU_VAES)
#define VAES512_NEEDS (VAES256_NEEDS | CYTLS_CPU_AVX512)

static const struct cytls_gcm_impl *gcm_current = &cytls_gcm_portable;

/* see internal.h */
void cytls_gcm_select(uint32_t features)
{
    const struct cytls_gcm_impl *impl = &cytls_gcm_portable;
#if defined(CYTLS_X86_64) && defined(CYTLS_HAVE_GCM_AESNI)
    if ((features & (CYTLS_CPU_AESNI | CYTLS_CPU_PCLMUL)) ==
        (CYTLS_CPU_AESNI | CYTLS_CPU_PCLMUL))
        impl = &cytls_gcm_aesni;
#endif
#if defined(CYTLS_X86_64) && defined(CYTLS_HAVE_GCM_VAES256)
    if ((features & VAES256_NEEDS) == VAES256_NEEDS)
        impl = &cytls_gcm_vaes256;
#endif
#if defined(CYTLS_X86_64) && defined(CYTLS_HAVE_GCM_VAES512)
    if ((features & VAES512_NEEDS) == VAES512_NEEDS)
        impl = &cytls_gcm_vaes512;
#endif
#if defined(CYTLS_AARCH64) && defined(CYTLS_HAVE_GCM_ARMCE)
    if (features & CYTLS_CPU_ARM_AES)
        impl = &cytls_gcm_armce;
#endif
    (void)features;
    gcm_current = impl;
}

/* see internal.h */
const char *cytls_gcm_backend(void)
{
    return gcm_current->name;
}

/* see cytls.h */
int cytls_gcm_init(cytls_gcm_ctx *ctx, const uint8_t *key, size_t key_len)
{
    cytls_init();
    if (key_len != 16 && key_len != 32) {
        ctx->impl = NULL;
        return 0;
    }
    ctx->impl = gcm_current;
    ctx->key_len = (unsigned)key_len;
    ctx->rounds = key_len == 16 ? 10 : 14;
    ctx->impl->init(ctx, key);
    return 1;
}

/* see cytls.h */
void cytls_gcm_clear(cytls_gcm_ctx *ctx)
{
    cytls_memzero(ctx->state, sizeof ctx->state);
    ctx->key_len = 0;
    ctx->rounds = 0;
}

/* see cytls.h */
void cytls_gcm_seal(const cytls_gcm_ctx *ctx, uint8_t *out,
                    const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, size_t in_len)
{
    uint8_t tag[16];
    ctx->impl->crypt(ctx, out, tag, nonce, aad, aad_len, in, in_len, in_len,
                     0);
    for (int i = 0; i < 16; i++)
        out[in_len + i] = tag[i];
    cytls_memzero(tag, sizeof tag);
}

/* see cytls.h */
void cytls_gcm_seal_trailer(const cytls_gcm_ctx *ctx, uint8_t *out,
                            const uint8_t *nonce, const uint8_t *aad,
                            size_t aad_len, const uint8_t *in, size_t in_len,
                            const uint8_t *trailer, size_t trailer_len)
{
    uint8_t tag[16];
    size_t len = in_len + trailer_len;
    /* Full groups come straight from in; the rest of in and the trailer
     * are placed in out and encrypted there (gcm_impl.h, split). The
     * trailer goes first, in case the caller wrote it in place. */
    size_t split = in_len & ~(size_t)(CYTLS_GCM_SPLIT_ALIGN - 1);
    memmove(out + in_len, trailer, trailer_len);
    memmove(out + split, in + split, in_len - split);
    ctx->impl->crypt(ctx, out, tag, nonce, aad, aad_len, in, len, split, 0);
    memcpy(out + len, tag, 16);
    cytls_memzero(tag, sizeof tag);
}

/* see cytls.h */
int cytls_gcm_open(const cytls_gcm_ctx *ctx, uint8_t *out,
                   const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t in_len)
{
    uint8_t tag[16], received[16];
    if (in_len < 16)
        return 0;
    size_t len = in_len - 16;
    /* Copy the received tag first: with out == in the decryption below
     * writes only the first len bytes, but a copy keeps that obvious. */
    for (int i = 0; i < 16; i++)
        received[i] = in[len + i];
    ctx->impl->crypt(ctx, out, tag, nonce, aad, aad_len, in, len, len, 1);
    /* Constant time: accumulate every difference, no early exit. */
    unsigned diff = 0;
    for (int i = 0; i < 16; i++)
        diff |= (unsigned)(tag[i] ^ received[i]);
    cytls_memzero(tag, sizeof tag);
    /* The branch is on the verdict only, which the caller learns anyway. */
    CYTLS_DECLASSIFY(&diff, sizeof diff);
    if (diff != 0) {
        if (len > 0)
            cytls_memzero(out, len);
        return 0;
    }
    return 1;
}
