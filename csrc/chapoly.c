/*
 * chapoly.c -- the ChaCha20-Poly1305 AEAD of RFC 8439 §2.8 over whichever
 * ChaCha20 and Poly1305 backends the CPU allows, and the dispatch hooks
 * that cpu.c drives.
 *
 * Seal encrypts and authenticates in one pass over 16 KiB chunks (a TLS
 * record), so the ciphertext is MACed while it is still in cache. Open authenticates the whole
 * ciphertext first and decrypts only after the tag compared equal (in
 * constant time), so no plaintext ever exists in out before the tag is
 * known good; on failure out is zeroed.
 */
#include "chapoly_impl.h"

/* Multiple of 64 so that every chunk but the last ends on a block. */
#define CHUNK 16384

/* Messages up to this long take their Poly1305 key (block 0) and their
 * keystream (blocks 1..7) from one ChaCha20 call of at most 512 bytes:
 * the vector backends compute several blocks in about the time of one,
 * and a short message would otherwise pay for two calls. */
#define SHORT_MAX 448
static const uint8_t zeros[64 + SHORT_MAX];

static cytls_chacha20_fn chacha20_fn = cytls_chacha20_portable;
static const char *chacha20_name = "portable";
static const struct cytls_poly1305_impl *poly1305_impl =
    &cytls_poly1305_portable_impl;

/* see internal.h */
void cytls_chacha20_select(uint32_t features)
{
    chacha20_fn = cytls_chacha20_portable;
    chacha20_name = "portable";
#if defined(CYTLS_X86_64)
    if (features & CYTLS_CPU_AVX512) {
        chacha20_fn = cytls_chacha20_avx512;
        chacha20_name = "avx512";
    } else if (features & CYTLS_CPU_AVX2) {
        chacha20_fn = cytls_chacha20_avx2;
        chacha20_name = "avx2";
    } else if (features & CYTLS_CPU_SSE41) {
        chacha20_fn = cytls_chacha20_ssse3;
        chacha20_name = "ssse3";
    }
#elif defined(CYTLS_AARCH64)
    if (features & CYTLS_CPU_NEON) {
        chacha20_fn = cytls_chacha20_neon;
        chacha20_name = "neon";
    }
#else
    (void)features;
#endif
}

/* see internal.h */
const char *cytls_chacha20_backend(void) { return chacha20_name; }

/* see internal.h */
void cytls_poly1305_select(uint32_t features)
{
    poly1305_impl = &cytls_poly1305_portable_impl;
#if defined(CYTLS_X86_64)
    if (features & CYTLS_CPU_AVX512)
        poly1305_impl = cytls_poly1305_avx512_has_ifma()
                            ? &cytls_poly1305_avx512ifma_impl
                            : &cytls_poly1305_avx512_impl;
    else if (features & CYTLS_CPU_AVX2)
        poly1305_impl = &cytls_poly1305_avx2_impl;
#else
    (void)features;
#endif
}

/* see internal.h */
const char *cytls_poly1305_backend(void) { return poly1305_impl->name; }

/* see cytls.h */
void cytls_chacha20_xor(uint8_t *out, const uint8_t *in, size_t len,
                        const uint8_t *key, const uint8_t *nonce,
                        uint32_t counter)
{
    cytls_init();
    chacha20_fn(out, in, len, key, nonce, counter);
}

/* see cytls.h */
void cytls_poly1305(uint8_t tag[16], const uint8_t *key, const uint8_t *msg,
                    size_t len)
{
    cytls_poly1305_state st;
    cytls_init();
    const struct cytls_poly1305_impl *impl = poly1305_impl;
    impl->init(&st, key);
    size_t full = len & ~(size_t)15;
    impl->blocks(&st, msg, full, 1);
    if (len > full) {
        /* RFC 8439 §2.5.1: a short last block gets a 0x01 byte, no 2^128. */
        uint8_t last[16] = {0};
        memcpy(last, msg + full, len - full);
        last[len - full] = 1;
        impl->blocks(&st, last, 16, 0);
        cytls_memzero(last, sizeof last);
    }
    impl->finish(&st, tag);
}

/* MAC data padded with zeros to a multiple of 16 (RFC 8439 §2.8 pad16). */
static void mac_padded(const struct cytls_poly1305_impl *impl,
                       cytls_poly1305_state *st, const uint8_t *data,
                       size_t len)
{
    size_t full = len & ~(size_t)15;
    impl->blocks(st, data, full, 1);
    if (len > full) {
        uint8_t last[16] = {0};
        memcpy(last, data + full, len - full);
        impl->blocks(st, last, 16, 1);
    }
}

/* RFC 8439 §2.6: the one-time Poly1305 key is block 0 of the keystream. */
static void start_mac(const struct cytls_poly1305_impl *impl,
                      cytls_poly1305_state *st, cytls_chacha20_fn chacha,
                      const uint8_t *key, const uint8_t *nonce,
                      const uint8_t *aad, size_t aad_len)
{
    uint8_t otk[32] = {0};
    chacha(otk, otk, sizeof otk, key, nonce, 0);
    impl->init(st, otk);
    cytls_memzero(otk, sizeof otk);
    mac_padded(impl, st, aad, aad_len);
}

static void end_mac(const struct cytls_poly1305_impl *impl,
                    cytls_poly1305_state *st, size_t aad_len, size_t ct_len,
                    uint8_t tag[16])
{
    uint8_t lens[16];
    cytls_put_le64(lens, (uint64_t)aad_len);
    cytls_put_le64(lens + 8, (uint64_t)ct_len);
    impl->blocks(st, lens, 16, 1);
    impl->finish(st, tag);
}

/*
 * seal_split seals len bytes whose input is in below split and already in
 * out from split on (split a multiple of 64, or len): ChaCha20 keeps its
 * block counter across the switch and Poly1305 sees whole 16-byte blocks
 * until the last piece. Each piece is encrypted, then MACed while it is
 * hot in the cache.
 */
static void seal_split(const uint8_t *key, uint8_t *out, const uint8_t *nonce,
                       const uint8_t *aad, size_t aad_len, const uint8_t *in,
                       size_t len, size_t split)
{
    cytls_poly1305_state st;
    cytls_init();
    cytls_chacha20_fn chacha = chacha20_fn;
    const struct cytls_poly1305_impl *impl = poly1305_impl;
    if (len <= SHORT_MAX) {
        /* ks = blocks 0.. of the keystream: the one-time key, then the
         * keystream of the message from byte 64 on (RFC 8439 §2.6, §2.8). */
        _Alignas(64) uint8_t ks[64 + SHORT_MAX];
        chacha(ks, zeros, 64 + len, key, nonce, 0);
        impl->init(&st, ks);
        mac_padded(impl, &st, aad, aad_len);
        for (size_t i = 0; i < split; i++)
            out[i] = in[i] ^ ks[64 + i];
        for (size_t i = split; i < len; i++)
            out[i] ^= ks[64 + i];
        cytls_memzero(ks, 64 + len);
        mac_padded(impl, &st, out, len);
        end_mac(impl, &st, aad_len, len, out + len);
        return;
    }
    start_mac(impl, &st, chacha, key, nonce, aad, aad_len);

    uint32_t counter = 1;
    size_t done = 0;
    while (done < len) {
        size_t end = done < split ? split : len;
        size_t n = end - done < CHUNK ? end - done : CHUNK;
        const uint8_t *src = done < split ? in : out;
        chacha(out + done, src + done, n, key, nonce, counter);
        if (done + n < len)
            impl->blocks(&st, out + done, n, 1); /* n is a multiple of 64 */
        else
            mac_padded(impl, &st, out + done, n);
        counter += (uint32_t)(n / 64);
        done += n;
    }
    end_mac(impl, &st, aad_len, len, out + len);
}

/* see cytls.h */
void cytls_chapoly_seal(const uint8_t *key, uint8_t *out, const uint8_t *nonce,
                        const uint8_t *aad, size_t aad_len, const uint8_t *in,
                        size_t in_len)
{
    seal_split(key, out, nonce, aad, aad_len, in, in_len, in_len);
}

/* see cytls.h */
void cytls_chapoly_seal_trailer(const uint8_t *key, uint8_t *out,
                                const uint8_t *nonce, const uint8_t *aad,
                                size_t aad_len, const uint8_t *in,
                                size_t in_len, const uint8_t *trailer,
                                size_t trailer_len)
{
    /* Whole ChaCha20 blocks come straight from in; the last partial block
     * and the trailer (moved first: it may already be in place) are
     * encrypted in out. */
    size_t split = in_len & ~(size_t)63;
    memmove(out + in_len, trailer, trailer_len);
    memmove(out + split, in + split, in_len - split);
    seal_split(key, out, nonce, aad, aad_len, in, in_len + trailer_len, split);
}

/* see cytls.h */
int cytls_chapoly_open(const uint8_t *key, uint8_t *out, const uint8_t *nonce,
                       const uint8_t *aad, size_t aad_len, const uint8_t *in,
                       size_t in_len)
{
    cytls_poly1305_state st;
    uint8_t tag[16];
    if (in_len < CYTLS_CHAPOLY_TAG_LEN)
        return 0;
    cytls_init();
    size_t ct_len = in_len - CYTLS_CHAPOLY_TAG_LEN;
    cytls_chacha20_fn chacha = chacha20_fn;
    const struct cytls_poly1305_impl *impl = poly1305_impl;
    /* A short message's keystream waits in ks until the tag is checked. */
    _Alignas(64) uint8_t ks[64 + SHORT_MAX];
    int short_msg = ct_len <= SHORT_MAX;
    if (short_msg) {
        chacha(ks, zeros, 64 + ct_len, key, nonce, 0);
        impl->init(&st, ks);
        mac_padded(impl, &st, aad, aad_len);
    } else {
        start_mac(impl, &st, chacha, key, nonce, aad, aad_len);
    }
    mac_padded(impl, &st, in, ct_len);
    end_mac(impl, &st, aad_len, ct_len, tag);

    /* Constant-time comparison: OR of the differences, no early exit. */
    uint32_t diff = 0;
    for (int i = 0; i < 16; i++)
        diff |= (uint32_t)(tag[i] ^ in[ct_len + i]);
    cytls_memzero(tag, sizeof tag);
    /* diff is 0 exactly when the tags match; turn it into 1/0 without a
     * data-dependent branch. Only the verdict, which is public, is used
     * for control flow below. */
    int ok = (int)(1 & ((diff - 1) >> 8));
    CYTLS_DECLASSIFY(&ok, sizeof ok);
    if (!ok) {
        if (short_msg)
            cytls_memzero(ks, 64 + ct_len);
        cytls_memzero(out, ct_len);
        return 0;
    }
    if (short_msg) {
        for (size_t i = 0; i < ct_len; i++)
            out[i] = in[i] ^ ks[64 + i];
        cytls_memzero(ks, 64 + ct_len);
    } else {
        chacha(out, in, ct_len, key, nonce, 1);
    }
    return 1;
}
