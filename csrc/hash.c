/*
 * hash.c -- incremental SHA-256/384/512 over the selected block functions,
 * and the SHA-2 dispatch hooks that cpu.c drives.
 *
 * The context is a plain struct with no pointers, so a struct copy forks a
 * running hash (the TLS transcript relies on it). The backend is looked up
 * on every block call, not stored in the context: all backends share the
 * same chaining-state layout, so forcing a level mid-hash is harmless.
 * Branches here depend only on lengths, which are public.
 */
#include "sha_impl.h"

#include <string.h>

static cytls_sha256_blocks_fn sha256_fn = cytls_sha256_blocks_portable;
static const char *sha256_name = "portable";
static cytls_sha512_blocks_fn sha512_fn = cytls_sha512_blocks_portable;
static const char *sha512_name = "portable";

/* see internal.h */
void cytls_sha256_select(uint32_t features)
{
    sha256_fn = cytls_sha256_blocks_portable;
    sha256_name = "portable";
#if defined(CYTLS_X86_64)
    if (features & CYTLS_CPU_SHANI) {
        sha256_fn = cytls_sha256_blocks_shani;
        sha256_name = "shani";
    } else if (features & CYTLS_CPU_AVX2) {
        sha256_fn = cytls_sha256_blocks_avx2;
        sha256_name = "avx2";
    }
#elif defined(CYTLS_AARCH64)
    if (features & CYTLS_CPU_ARM_SHA2) {
        sha256_fn = cytls_sha256_blocks_armce;
        sha256_name = "armce";
    }
#else
    (void)features;
#endif
}

/* see internal.h */
const char *cytls_sha256_backend(void) { return sha256_name; }

/* see internal.h */
void cytls_sha512_select(uint32_t features)
{
    sha512_fn = cytls_sha512_blocks_portable;
    sha512_name = "portable";
#if defined(CYTLS_X86_64)
    if (features & CYTLS_CPU_AVX2) {
        sha512_fn = cytls_sha512_blocks_avx2;
        sha512_name = "avx2";
    }
#elif defined(CYTLS_AARCH64)
    if (features & CYTLS_CPU_ARM_SHA512) {
        sha512_fn = cytls_sha512_blocks_armsha512;
        sha512_name = "armsha512";
    }
#else
    (void)features;
#endif
}

/* see internal.h */
const char *cytls_sha512_backend(void) { return sha512_name; }

/* see sha_impl.h */
void cytls_sha256_blocks(uint32_t state[8], const uint8_t *data,
                         size_t num_blocks)
{
    sha256_fn(state, data, num_blocks);
}

/* see sha_impl.h */
void cytls_sha512_blocks(uint64_t state[8], const uint8_t *data,
                         size_t num_blocks)
{
    sha512_fn(state, data, num_blocks);
}

/* FIPS 180-4 section 5.3 initial hash values. */
static const uint32_t iv256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                  0xa54ff53a, 0x510e527f, 0x9b05688c,
                                  0x1f83d9ab, 0x5be0cd19};
static const uint64_t iv384[8] = {
    0xcbbb9d5dc1059ed8ull, 0x629a292a367cd507ull, 0x9159015a3070dd17ull,
    0x152fecd8f70e5939ull, 0x67332667ffc00b31ull, 0x8eb44a8768581511ull,
    0xdb0c2e0d64f98fa7ull, 0x47b5481dbefa4fa4ull};
static const uint64_t iv512[8] = {
    0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
    0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
    0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};

/* see cytls.h */
size_t cytls_hash_digest_len(cytls_hash_alg alg)
{
    switch (alg) {
    case CYTLS_SHA256:
        return 32;
    case CYTLS_SHA384:
        return 48;
    case CYTLS_SHA512:
        return 64;
    }
    return 0;
}

/* see cytls.h */
size_t cytls_hash_block_len(cytls_hash_alg alg)
{
    switch (alg) {
    case CYTLS_SHA256:
        return 64;
    case CYTLS_SHA384:
    case CYTLS_SHA512:
        return 128;
    }
    return 0;
}

/* see cytls.h */
int cytls_hash_init(cytls_hash_ctx *ctx, cytls_hash_alg alg)
{
    cytls_init();
    memset(ctx, 0, sizeof *ctx);
    ctx->alg = alg;
    switch (alg) {
    case CYTLS_SHA256:
        memcpy(ctx->h.s256, iv256, sizeof iv256);
        return 1;
    case CYTLS_SHA384:
        memcpy(ctx->h.s512, iv384, sizeof iv384);
        return 1;
    case CYTLS_SHA512:
        memcpy(ctx->h.s512, iv512, sizeof iv512);
        return 1;
    }
    return 0;
}

static void blocks(cytls_hash_ctx *ctx, const uint8_t *data, size_t num_blocks)
{
    if (ctx->alg == CYTLS_SHA256)
        sha256_fn(ctx->h.s256, data, num_blocks);
    else
        sha512_fn(ctx->h.s512, data, num_blocks);
}

/* see cytls.h */
void cytls_hash_update(cytls_hash_ctx *ctx, const uint8_t *data, size_t len)
{
    size_t bl = cytls_hash_block_len(ctx->alg);
    if (bl == 0 || len == 0)
        return;
    ctx->total_len += len;
    if (ctx->buf_len > 0) {
        size_t take = bl - ctx->buf_len;
        if (take > len)
            take = len;
        memcpy(ctx->buf + ctx->buf_len, data, take);
        ctx->buf_len += take;
        data += take;
        len -= take;
        if (ctx->buf_len < bl)
            return;
        blocks(ctx, ctx->buf, 1);
        ctx->buf_len = 0;
    }
    if (len >= bl) {
        size_t n = len / bl;
        blocks(ctx, data, n);
        data += n * bl;
        len -= n * bl;
    }
    if (len > 0) {
        memcpy(ctx->buf, data, len);
        ctx->buf_len = len;
    }
}

/* see cytls.h */
void cytls_hash_final(cytls_hash_ctx *ctx, uint8_t *out)
{
    size_t bl = cytls_hash_block_len(ctx->alg);
    size_t dl = cytls_hash_digest_len(ctx->alg);
    if (bl == 0)
        return;
    /* FIPS 180-4 section 5.1: a 1 bit, zeros, then the bit length in the
     * last 8 (SHA-256) or 16 (SHA-384/512) bytes of the final block. */
    size_t len_bytes = bl == 64 ? 8 : 16;
    uint64_t bits_lo = ctx->total_len << 3;
    uint64_t bits_hi = ctx->total_len >> 61;
    size_t n = ctx->buf_len;
    ctx->buf[n++] = 0x80;
    if (n > bl - len_bytes) {
        memset(ctx->buf + n, 0, bl - n);
        blocks(ctx, ctx->buf, 1);
        n = 0;
    }
    memset(ctx->buf + n, 0, bl - n);
    for (int i = 0; i < 8; i++)
        ctx->buf[bl - 1 - i] = (uint8_t)(bits_lo >> (8 * i));
    if (len_bytes == 16)
        for (int i = 0; i < 8; i++)
            ctx->buf[bl - 9 - i] = (uint8_t)(bits_hi >> (8 * i));
    blocks(ctx, ctx->buf, 1);
    if (ctx->alg == CYTLS_SHA256) {
        for (size_t i = 0; i < dl; i++)
            out[i] = (uint8_t)(ctx->h.s256[i / 4] >> (24 - 8 * (i % 4)));
    } else {
        for (size_t i = 0; i < dl; i++)
            out[i] = (uint8_t)(ctx->h.s512[i / 8] >> (56 - 8 * (i % 8)));
    }
    cytls_memzero(ctx, sizeof *ctx);
}

/* see cytls.h */
int cytls_hash(cytls_hash_alg alg, uint8_t *out, const uint8_t *data,
               size_t len)
{
    cytls_hash_ctx ctx;
    if (!cytls_hash_init(&ctx, alg))
        return 0;
    cytls_hash_update(&ctx, data, len);
    cytls_hash_final(&ctx, out);
    return 1;
}
