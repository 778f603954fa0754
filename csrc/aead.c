/*
 * aead.c -- one AEAD interface over AES-GCM and ChaCha20-Poly1305, so the
 * record layer and the Python binding hold a single kind of key object.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* see cytls.h */
int cytls_aead_init(cytls_aead *aead, cytls_aead_alg alg, const uint8_t *key,
                    size_t key_len)
{
    cytls_init();
    aead->alg = alg;
    switch (alg) {
    case CYTLS_AEAD_AES_128_GCM:
        return key_len == 16 && cytls_gcm_init(&aead->gcm, key, key_len);
    case CYTLS_AEAD_AES_256_GCM:
        return key_len == 32 && cytls_gcm_init(&aead->gcm, key, key_len);
    case CYTLS_AEAD_CHACHA20_POLY1305:
        if (key_len != CYTLS_CHAPOLY_KEY_LEN)
            return 0;
        for (size_t i = 0; i < key_len; i++)
            aead->chapoly_key[i] = key[i];
        return 1;
    }
    return 0;
}

/* see cytls.h */
void cytls_aead_clear(cytls_aead *aead)
{
    if (aead->alg == CYTLS_AEAD_CHACHA20_POLY1305)
        cytls_memzero(aead->chapoly_key, sizeof aead->chapoly_key);
    else
        cytls_gcm_clear(&aead->gcm);
}

/* see cytls.h */
void cytls_aead_seal(const cytls_aead *aead, uint8_t *out, const uint8_t *nonce,
                     const uint8_t *aad, size_t aad_len, const uint8_t *in,
                     size_t in_len)
{
    if (aead->alg == CYTLS_AEAD_CHACHA20_POLY1305)
        cytls_chapoly_seal(aead->chapoly_key, out, nonce, aad, aad_len, in,
                           in_len);
    else
        cytls_gcm_seal(&aead->gcm, out, nonce, aad, aad_len, in, in_len);
}

/* see cytls.h */
void cytls_aead_seal_trailer(const cytls_aead *aead, uint8_t *out,
                             const uint8_t *nonce, const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t in_len,
                             const uint8_t *trailer, size_t trailer_len)
{
    if (aead->alg == CYTLS_AEAD_CHACHA20_POLY1305)
        cytls_chapoly_seal_trailer(aead->chapoly_key, out, nonce, aad, aad_len,
                                   in, in_len, trailer, trailer_len);
    else
        cytls_gcm_seal_trailer(&aead->gcm, out, nonce, aad, aad_len, in,
                               in_len, trailer, trailer_len);
}

/* see cytls.h */
int cytls_aead_open(const cytls_aead *aead, uint8_t *out, const uint8_t *nonce,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in,
                    size_t in_len)
{
    if (aead->alg == CYTLS_AEAD_CHACHA20_POLY1305)
        return cytls_chapoly_open(aead->chapoly_key, out, nonce, aad, aad_len,
                                  in, in_len);
    return cytls_gcm_open(&aead->gcm, out, nonce, aad, aad_len, in, in_len);
}

/* see cytls.h */
cytls_aead *cytls_aead_new(void)
{
    cytls_aead *aead;
    size_t size = sizeof *aead; /* a multiple of its 64-byte alignment */
#if defined(_WIN32)
    aead = _aligned_malloc(size, _Alignof(cytls_aead));
#else
    aead = aligned_alloc(_Alignof(cytls_aead), size);
#endif
    if (aead != NULL) {
        memset(aead, 0, size);
        aead->alg = CYTLS_AEAD_CHACHA20_POLY1305; /* a clear() that wipes */
    }
    return aead;
}

/* see cytls.h */
void cytls_aead_free(cytls_aead *aead)
{
    if (aead == NULL)
        return;
    cytls_memzero(aead, sizeof *aead);
#if defined(_WIN32)
    _aligned_free(aead);
#else
    free(aead);
#endif
}
