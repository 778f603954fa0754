/*
 * hmac.c -- HMAC (RFC 2104, FIPS 198-1) over SHA-256/384/512.
 *
 * The key is hashed first when longer than a block, then padded and XORed
 * with ipad/opad. Branches depend on the key length only, which is public;
 * the pads and the hashed key are wiped before returning.
 */
#include "internal.h"

#include <string.h>

/* see cytls.h */
int cytls_hmac_init(cytls_hmac_ctx *ctx, cytls_hash_alg alg,
                    const uint8_t *key, size_t key_len)
{
    size_t bl = cytls_hash_block_len(alg);
    if (bl == 0)
        return 0;
    uint8_t k[CYTLS_HASH_MAX_BLOCK];
    memset(k, 0, sizeof k);
    if (key_len > bl) {
        cytls_hash(alg, k, key, key_len);
    } else if (key_len > 0) {
        memcpy(k, key, key_len);
    }
    for (size_t i = 0; i < bl; i++)
        k[i] ^= 0x36;
    cytls_hash_init(&ctx->inner, alg);
    cytls_hash_update(&ctx->inner, k, bl);
    for (size_t i = 0; i < bl; i++)
        k[i] ^= 0x36 ^ 0x5c;
    cytls_hash_init(&ctx->outer, alg);
    cytls_hash_update(&ctx->outer, k, bl);
    cytls_memzero(k, sizeof k);
    return 1;
}

/* see cytls.h */
void cytls_hmac_update(cytls_hmac_ctx *ctx, const uint8_t *data, size_t len)
{
    cytls_hash_update(&ctx->inner, data, len);
}

/* see cytls.h */
void cytls_hmac_final(cytls_hmac_ctx *ctx, uint8_t *out)
{
    uint8_t inner[CYTLS_HASH_MAX_LEN];
    size_t dl = cytls_hash_digest_len(ctx->inner.alg);
    cytls_hash_final(&ctx->inner, inner);
    cytls_hash_update(&ctx->outer, inner, dl);
    cytls_hash_final(&ctx->outer, out);
    cytls_memzero(inner, sizeof inner);
    cytls_memzero(ctx, sizeof *ctx);
}

/* see cytls.h */
int cytls_hmac(cytls_hash_alg alg, uint8_t *out, const uint8_t *key,
               size_t key_len, const uint8_t *msg, size_t msg_len)
{
    cytls_hmac_ctx ctx;
    if (!cytls_hmac_init(&ctx, alg, key, key_len))
        return 0;
    cytls_hmac_update(&ctx, msg, msg_len);
    cytls_hmac_final(&ctx, out);
    return 1;
}
