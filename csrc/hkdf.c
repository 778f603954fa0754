/*
 * hkdf.c -- HKDF (RFC 5869) and TLS 1.3 HKDF-Expand-Label (RFC 8446
 * section 7.1) over HMAC-SHA-256/384/512.
 *
 * Branches depend on lengths only, which are public. Intermediate blocks
 * of keying material are wiped before returning.
 */
#include "internal.h"

#include <string.h>

/* see cytls.h */
int cytls_hkdf_extract(cytls_hash_alg alg, uint8_t *out, const uint8_t *salt,
                       size_t salt_len, const uint8_t *ikm, size_t ikm_len)
{
    static const uint8_t zeros[CYTLS_HASH_MAX_LEN];
    size_t dl = cytls_hash_digest_len(alg);
    if (dl == 0)
        return 0;
    /* RFC 5869 section 2.2: an absent salt is HashLen zero bytes. Since HMAC
     * pads keys with zeros anyway the two give the same PRK. */
    if (salt_len == 0) {
        salt = zeros;
        salt_len = dl;
    }
    return cytls_hmac(alg, out, salt, salt_len, ikm, ikm_len);
}

/* HKDF-Expand from an HMAC already keyed with the PRK (left intact). */
static void expand_keyed(const cytls_hmac_ctx *keyed, size_t dl, uint8_t *out,
                         size_t out_len, const uint8_t *info, size_t info_len)
{
    /* RFC 5869 section 2.3: T(i) = HMAC(PRK, T(i-1) | info | i). */
    cytls_hmac_ctx ctx;
    uint8_t t[CYTLS_HASH_MAX_LEN];
    size_t t_len = 0, done = 0;
    for (unsigned i = 1; done < out_len; i++) {
        uint8_t counter = (uint8_t)i;
        ctx = *keyed;
        cytls_hmac_update(&ctx, t, t_len);
        if (info_len > 0)
            cytls_hmac_update(&ctx, info, info_len);
        cytls_hmac_update(&ctx, &counter, 1);
        cytls_hmac_final(&ctx, t);
        t_len = dl;
        size_t take = out_len - done < dl ? out_len - done : dl;
        memcpy(out + done, t, take);
        done += take;
    }
    cytls_memzero(t, sizeof t);
}

/* see cytls.h */
int cytls_hkdf_expand(cytls_hash_alg alg, uint8_t *out, size_t out_len,
                      const uint8_t *prk, size_t prk_len,
                      const uint8_t *info, size_t info_len)
{
    size_t dl = cytls_hash_digest_len(alg);
    if (dl == 0 || out_len > 255 * dl)
        return 0;
    /* The keyed HMAC state is computed once and copied for each block. */
    cytls_hmac_ctx keyed;
    cytls_hmac_init(&keyed, alg, prk, prk_len);
    expand_keyed(&keyed, dl, out, out_len, info, info_len);
    cytls_memzero(&keyed, sizeof keyed);
    return 1;
}

static const char label_prefix[] = "tls13 ";

/* Whether an HkdfLabel can carry these lengths. */
static int hkdf_label_fits(size_t out_len, size_t label_len, size_t context_len)
{
    return out_len <= 65535 && label_len <= 255 - (sizeof label_prefix - 1) && context_len <= 255;
}

/* RFC 8446 section 7.1: struct { uint16 length; opaque label<7..255>;
 * opaque context<0..255>; } HkdfLabel, into info (2 + 1 + 255 + 1 + 255
 * bytes); the info length, or 0 when a length is out of range. */
static size_t hkdf_label(uint8_t *info, size_t out_len, const uint8_t *label,
                         size_t label_len, const uint8_t *context, size_t context_len)
{
    const char *prefix = label_prefix;
    const size_t prefix_len = sizeof label_prefix - 1;
    if (!hkdf_label_fits(out_len, label_len, context_len))
        return 0;
    size_t n = 0;
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(prefix_len + label_len);
    memcpy(info + n, prefix, prefix_len);
    n += prefix_len;
    if (label_len > 0)
        memcpy(info + n, label, label_len);
    n += label_len;
    info[n++] = (uint8_t)context_len;
    if (context_len > 0)
        memcpy(info + n, context, context_len);
    n += context_len;
    return n;
}

int cytls_hkdf_expand_label(cytls_hash_alg alg, uint8_t *out, size_t out_len,
                            const uint8_t *secret, size_t secret_len,
                            const uint8_t *label, size_t label_len,
                            const uint8_t *context, size_t context_len)
{
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t n = hkdf_label(info, out_len, label, label_len, context, context_len);
    if (n == 0)
        return 0;
    return cytls_hkdf_expand(alg, out, out_len, secret, secret_len, info, n);
}

/* see cytls.h */
int cytls_hkdf_expand_labels(cytls_hash_alg alg, const uint8_t *secret, size_t secret_len,
                             const cytls_hkdf_label *labels, size_t num_labels)
{
    size_t dl = cytls_hash_digest_len(alg);
    if (dl == 0)
        return 0;
    uint8_t info[2 + 1 + 255 + 1 + 255];
    /* Every request is checked before any output is written. */
    for (size_t i = 0; i < num_labels; i++) {
        const cytls_hkdf_label *l = &labels[i];
        if (l->out_len > 255 * dl || !hkdf_label_fits(l->out_len, l->label_len, l->context_len))
            return 0;
    }
    /* One keyed HMAC for every output: the PRK's ipad and opad blocks are
     * hashed once rather than once per label. */
    cytls_hmac_ctx keyed;
    cytls_hmac_init(&keyed, alg, secret, secret_len);
    for (size_t i = 0; i < num_labels; i++) {
        const cytls_hkdf_label *l = &labels[i];
        size_t n = hkdf_label(info, l->out_len, l->label, l->label_len, l->context,
                              l->context_len);
        expand_keyed(&keyed, dl, l->out, l->out_len, info, n);
    }
    cytls_memzero(&keyed, sizeof keyed);
    return 1;
}
