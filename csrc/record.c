/*
 * record.c -- TLS record framing and protection, whole batches per call.
 *
 * TLS 1.3 (RFC 8446 section 5): the outer header says application_data,
 * the real content type travels inside the encryption after the content,
 * followed by optional zero padding; the 5-byte header is the associated
 * data; the nonce is the static IV XOR the 64-bit sequence number.
 *
 * TLS 1.2 AEAD (RFC 5246 section 6.2.3.3): the associated data is
 * seq || type || version || length of the plaintext. AES-GCM (RFC 5288)
 * sends an 8-byte explicit nonce in front of the ciphertext, after a 4-byte
 * implicit salt; we send the sequence number there, so the nonce is again
 * salt||0^64 XOR seq. ChaCha20-Poly1305 (RFC 7905) XORs the sequence number
 * into a 12-byte IV, as TLS 1.3 does.
 *
 * What is public here: record headers, lengths and sequence numbers are
 * visible on the wire, so branching on them leaks nothing. The content is
 * only touched by the AEAD (constant time) and by memcpy; the one data-
 * dependent loop is the TLS 1.3 padding scan, which RFC 8446 section 5.4
 * allows: it runs over the padding only, whose length the record length
 * already bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define TAG_LEN 16
#define EXPLICIT_NONCE_LEN 8
#define SEQ_MAX UINT64_MAX

/* ------------------------------------------------------------------ */
/* small helpers                                                       */
/* ------------------------------------------------------------------ */

static void put_u16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* nonce = iv XOR (0^32 || seq), RFC 8446 section 5.3. */
static void make_nonce(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
    for (int i = 0; i < 4; i++)
        nonce[i] = iv[i];
    for (int i = 0; i < 8; i++)
        nonce[4 + i] = (uint8_t)(iv[4 + i] ^ (uint8_t)(seq >> (56 - 8 * i)));
}

static int is_tls13(const cytls_record_protector *p)
{
    return p->keyed && p->version == CYTLS_VERSION_TLS13;
}

/* Bytes a protected record adds around its content, padding excluded. */
static size_t record_overhead(const cytls_record_protector *p)
{
    if (!p->keyed)
        return CYTLS_RECORD_HEADER_LEN;
    if (is_tls13(p))
        return CYTLS_RECORD_HEADER_LEN + 1 + TAG_LEN;
    return CYTLS_RECORD_HEADER_LEN + TAG_LEN +
           (p->explicit_nonce ? EXPLICIT_NONCE_LEN : 0);
}

/* TLS 1.3 padding of a record with n content bytes under the block policy. */
static size_t block_pad(const cytls_record_protector *p, size_t n)
{
    if (!is_tls13(p) || p->pad_block <= 1)
        return 0;
    size_t inner = n + 1;
    size_t target = (inner + p->pad_block - 1) / p->pad_block * p->pad_block;
    if (target > p->max_inner || target < inner)
        target = p->max_inner;
    return target - inner;
}

static void set_defaults(cytls_record_protector *p)
{
    p->max_inner = is_tls13(p) ? CYTLS_RECORD_MAX_PLAINTEXT + 1
                               : CYTLS_RECORD_MAX_PLAINTEXT;
    p->pad_block = 0;
    p->skip_budget = 0;
    p->seq = 0;
    /* RFC 8446 section 5.5: stop AES-GCM in TLS 1.3 at 2^24.5 records; the
     * connection asks for a KeyUpdate well before. TLS 1.2 cannot rekey, so
     * only the wrap of the sequence number stops it. */
    p->seq_limit = SEQ_MAX;
    if (is_tls13(p) && p->aead.alg != CYTLS_AEAD_CHACHA20_POLY1305)
        p->seq_limit = CYTLS_RECORD_GCM_LIMIT;
}

/* ------------------------------------------------------------------ */
/* set-up                                                              */
/* ------------------------------------------------------------------ */

/* see cytls.h */
cytls_record_protector *cytls_record_new(void)
{
    cytls_record_protector *p;
    size_t size = sizeof *p; /* a multiple of its 64-byte alignment */
#if defined(_WIN32)
    p = _aligned_malloc(size, _Alignof(cytls_record_protector));
#else
    p = aligned_alloc(_Alignof(cytls_record_protector), size);
#endif
    if (p == NULL)
        return NULL;
    memset(p, 0, size);
    p->plain_version = CYTLS_VERSION_TLS12;
    set_defaults(p);
    return p;
}

/* see cytls.h */
void cytls_record_free(cytls_record_protector *p)
{
    if (p == NULL)
        return;
    cytls_record_clear_key(p);
    cytls_memzero(p, sizeof *p);
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

/* see cytls.h */
void cytls_record_clear_key(cytls_record_protector *p)
{
    if (p->keyed)
        cytls_aead_clear(&p->aead);
    cytls_memzero(p->iv, sizeof p->iv);
    p->keyed = 0;
    p->version = 0;
    p->explicit_nonce = 0;
    set_defaults(p);
}

/* see cytls.h */
int cytls_record_set_key(cytls_record_protector *p, cytls_aead_alg alg,
                         uint16_t version, const uint8_t *key, size_t key_len,
                         const uint8_t *iv, size_t iv_len)
{
    cytls_record_clear_key(p);
    int gcm = alg == CYTLS_AEAD_AES_128_GCM || alg == CYTLS_AEAD_AES_256_GCM;
    if (!gcm && alg != CYTLS_AEAD_CHACHA20_POLY1305)
        return 0;
    if (version != CYTLS_VERSION_TLS13 && version != CYTLS_VERSION_TLS12)
        return 0;
    int explicit_nonce = version == CYTLS_VERSION_TLS12 && gcm;
    if (iv_len != (explicit_nonce ? 4u : 12u))
        return 0;
    if (!cytls_aead_init(&p->aead, alg, key, key_len)) {
        cytls_aead_clear(&p->aead);
        return 0;
    }
    memset(p->iv, 0, sizeof p->iv);
    memcpy(p->iv, iv, iv_len);
    p->keyed = 1;
    p->version = version;
    p->explicit_nonce = (uint8_t)explicit_nonce;
    set_defaults(p);
    return 1;
}

/* see cytls.h */
void cytls_record_set_plain_version(cytls_record_protector *p,
                                    uint16_t version)
{
    p->plain_version = version;
}

/* see cytls.h */
int cytls_record_set_limit(cytls_record_protector *p, size_t limit)
{
    if (limit < 64)
        return 0; /* RFC 8449 section 4: below 64 is illegal */
    size_t cap = is_tls13(p) ? CYTLS_RECORD_MAX_PLAINTEXT + 1
                             : CYTLS_RECORD_MAX_PLAINTEXT;
    p->max_inner = limit < cap ? limit : cap;
    return 1;
}

/* see cytls.h */
void cytls_record_set_pad_block(cytls_record_protector *p, size_t block)
{
    p->pad_block = block;
}

/* see cytls.h */
void cytls_record_set_skip_budget(cytls_record_protector *p, size_t budget)
{
    p->skip_budget = budget ? budget + 1 : 0;
}

/* see cytls.h */
void cytls_record_set_seq(cytls_record_protector *p, uint64_t seq)
{
    p->seq = seq;
}

/* see cytls.h */
size_t cytls_record_fragment_len(const cytls_record_protector *p)
{
    if (!p->keyed)
        return CYTLS_RECORD_MAX_PLAINTEXT;
    /* RFC 8449 section 4: in TLS 1.3 the limit counts the content type. */
    size_t frag = is_tls13(p) ? p->max_inner - 1 : p->max_inner;
    return frag < CYTLS_RECORD_MAX_PLAINTEXT ? frag : CYTLS_RECORD_MAX_PLAINTEXT;
}

/* ------------------------------------------------------------------ */
/* seal                                                                */
/* ------------------------------------------------------------------ */

/* see cytls.h */
size_t cytls_record_seal_len(const cytls_record_protector *p, size_t in_len)
{
    if (in_len == 0)
        return 0;
    size_t frag = cytls_record_fragment_len(p);
    size_t ovh = record_overhead(p);
    size_t full = in_len / frag, last = in_len % frag;
    size_t total = full * (ovh + frag + block_pad(p, frag));
    if (last)
        total += ovh + last + block_pad(p, last);
    return total;
}

/*
 * ok_for_seal says whether content of this type and length may be sealed:
 * never what cytls_record_open refuses from a peer (check_payload below),
 * so that we cannot send a record our own open would reject. Lengths and
 * the CCS byte are public (the record length shows them).
 */
static int ok_for_seal(const cytls_record_protector *p, uint8_t type,
                       const uint8_t *in, size_t in_len)
{
    if (type < CYTLS_CT_CHANGE_CIPHER_SPEC || type > CYTLS_CT_APPLICATION_DATA)
        return 0;
    /* A CCS is never protected (RFC 8446 section 5; RFC 5246 section 7.1
     * switches keys right after it), and is the single byte 1. */
    if (type == CYTLS_CT_CHANGE_CIPHER_SPEC)
        return !p->keyed && in_len == 1 && in[0] == 1;
    /* One alert per record, never fragmented (RFC 8446 section 5.1). */
    if (type == CYTLS_CT_ALERT)
        return in_len == 2;
    return 1;
}

/*
 * seal_one writes one record of n content bytes (n <= fragment length) and
 * pad bytes of TLS 1.3 padding to out, which has room, and returns its
 * length. The caller has checked the type and the sequence number.
 */
static size_t seal_one(cytls_record_protector *p, uint8_t *out, uint8_t type,
                       const uint8_t *in, size_t n, size_t pad)
{
    uint8_t nonce[12];
    if (!p->keyed) {
        out[0] = type;
        put_u16(out + 1, p->plain_version);
        put_u16(out + 3, n);
        memcpy(out + CYTLS_RECORD_HEADER_LEN, in, n);
        return CYTLS_RECORD_HEADER_LEN + n;
    }
    make_nonce(nonce, p->iv, p->seq);
    if (is_tls13(p)) {
        /* TLSInnerPlaintext = content || type || zeros (section 5.2). */
        size_t inner = n + 1 + pad;
        uint8_t *body = out + CYTLS_RECORD_HEADER_LEN;
        out[0] = CYTLS_CT_APPLICATION_DATA;
        out[1] = 0x03;
        out[2] = 0x03;
        put_u16(out + 3, inner + TAG_LEN);
        /* The type and padding are written in place; the content is
         * encrypted straight from in, not copied next to them first. */
        body[n] = type;
        memset(body + n + 1, 0, pad);
        cytls_aead_seal_trailer(&p->aead, body, nonce, out,
                                CYTLS_RECORD_HEADER_LEN, in, n, body + n,
                                1 + pad);
        p->seq++;
        return CYTLS_RECORD_HEADER_LEN + inner + TAG_LEN;
    }
    /* TLS 1.2: additional_data = seq_num || type || version || length. */
    uint8_t aad[13];
    size_t explicit_len = p->explicit_nonce ? EXPLICIT_NONCE_LEN : 0;
    put_u64(aad, p->seq);
    aad[8] = type;
    put_u16(aad + 9, CYTLS_VERSION_TLS12);
    put_u16(aad + 11, n);
    out[0] = type;
    put_u16(out + 1, CYTLS_VERSION_TLS12);
    put_u16(out + 3, explicit_len + n + TAG_LEN);
    if (explicit_len)
        put_u64(out + CYTLS_RECORD_HEADER_LEN, p->seq);
    cytls_aead_seal(&p->aead, out + CYTLS_RECORD_HEADER_LEN + explicit_len,
                    nonce, aad, sizeof aad, in, n);
    p->seq++;
    return CYTLS_RECORD_HEADER_LEN + explicit_len + n + TAG_LEN;
}

/* Whether num_records more records fit below the sequence limit. */
static int seq_room(const cytls_record_protector *p, size_t num_records)
{
    if (!p->keyed)
        return 1;
    return p->seq < p->seq_limit && num_records <= p->seq_limit - p->seq;
}

/* see cytls.h */
int cytls_record_seal(cytls_record_protector *p, uint8_t *out, size_t out_cap,
                      size_t *out_len, uint8_t type, const uint8_t *in,
                      size_t in_len)
{
    *out_len = 0;
    if (!ok_for_seal(p, type, in, in_len))
        return 0;
    if (in_len == 0)
        return 1;
    size_t frag = cytls_record_fragment_len(p);
    size_t num_records = (in_len + frag - 1) / frag;
    if (!seq_room(p, num_records) || out_cap < cytls_record_seal_len(p, in_len))
        return 0;
    size_t pos = 0;
    while (in_len > 0) {
        size_t n = in_len < frag ? in_len : frag;
        pos += seal_one(p, out + pos, type, in, n, block_pad(p, n));
        in += n;
        in_len -= n;
    }
    *out_len = pos;
    return 1;
}

/* see cytls.h */
int cytls_record_seal_padded(cytls_record_protector *p, uint8_t *out,
                             size_t out_cap, size_t *out_len, uint8_t type,
                             const uint8_t *in, size_t in_len, size_t pad)
{
    *out_len = 0;
    if (!ok_for_seal(p, type, in, in_len))
        return 0;
    if (in_len > cytls_record_fragment_len(p))
        return 0;
    /* Only application data may be empty (RFC 8446 section 5.1). */
    if (in_len == 0 && type != CYTLS_CT_APPLICATION_DATA)
        return 0;
    if (!is_tls13(p))
        pad = 0;
    else if (pad > p->max_inner - (in_len + 1))
        pad = p->max_inner - (in_len + 1);
    if (!seq_room(p, 1) || out_cap < record_overhead(p) + in_len + pad)
        return 0;
    *out_len = seal_one(p, out, type, in, in_len, pad);
    return 1;
}

/* ------------------------------------------------------------------ */
/* open                                                                */
/* ------------------------------------------------------------------ */

static void fail(cytls_record_result *res, cytls_record_error error,
                 uint8_t alert)
{
    res->status = CYTLS_RECORD_ERROR;
    res->error = error;
    res->alert = alert;
}

/*
 * check_payload applies the rules every non-application-data record
 * shares, protected or not: no empty handshake, alert or CCS records
 * (RFC 8446 section 5.1), one 2-byte alert per record (section 5.1), and
 * a CCS that is the single byte 1 (section 5). It returns 1 if fine.
 */
static int check_payload(cytls_record_result *res, uint8_t type,
                         const uint8_t *payload, size_t n)
{
    if (type == CYTLS_CT_APPLICATION_DATA)
        return 1;
    if (n == 0) {
        fail(res, CYTLS_RECORD_E_EMPTY, CYTLS_ALERT_UNEXPECTED_MESSAGE);
        return 0;
    }
    if (type == CYTLS_CT_ALERT && n != 2) {
        fail(res, CYTLS_RECORD_E_ALERT_LENGTH, CYTLS_ALERT_DECODE_ERROR);
        return 0;
    }
    if (type == CYTLS_CT_CHANGE_CIPHER_SPEC && (n != 1 || payload[0] != 1)) {
        fail(res, CYTLS_RECORD_E_BAD_CCS, CYTLS_ALERT_UNEXPECTED_MESSAGE);
        return 0;
    }
    return 1;
}

/*
 * skip_early_data charges one dropped 0-RTT record of body length len
 * (counted as its inner plaintext: less the tag and the content type) to
 * the skip budget. It returns 1 if the record may be dropped, 0 after
 * fail() when it would pass the budget (RFC 8446 section 4.2.10).
 */
static int skip_early_data(cytls_record_protector *p, cytls_record_result *res,
                           size_t len)
{
    size_t cost = len > TAG_LEN + 1 ? len - TAG_LEN - 1 : 0;
    /* skip_budget is the allowance plus one, so that skipping stays on
     * (and the next record over it fails) once the allowance is used up. */
    if (cost >= p->skip_budget) {
        p->skip_budget = 0;
        fail(res, CYTLS_RECORD_E_EARLY_DATA_LIMIT, CYTLS_ALERT_UNEXPECTED_MESSAGE);
        return 0;
    }
    p->skip_budget -= cost;
    return 1;
}

/*
 * open_protected decrypts one complete record (header at rec, body length
 * len) into dst. It returns 1 and sets *type and *n (the content length)
 * on success; 0 when trial decryption dropped the record; -1 after fail()
 * otherwise.
 */
static int open_protected(cytls_record_protector *p, cytls_record_result *res,
                          uint8_t *dst, const uint8_t *rec, size_t len,
                          uint8_t *type, size_t *n)
{
    const uint8_t *body = rec + CYTLS_RECORD_HEADER_LEN;
    size_t explicit_len = p->explicit_nonce ? EXPLICIT_NONCE_LEN : 0;
    size_t min_len = explicit_len + TAG_LEN;
    uint8_t nonce[12];
    int ok = 0;

    if (p->seq == SEQ_MAX) {
        /* RFC 8446 section 5.3: sequence numbers never wrap. */
        fail(res, CYTLS_RECORD_E_SEQ_EXHAUSTED, CYTLS_ALERT_INTERNAL_ERROR);
        return -1;
    }
    if (len >= min_len) {
        if (is_tls13(p)) {
            make_nonce(nonce, p->iv, p->seq);
            ok = cytls_aead_open(&p->aead, dst, nonce, rec,
                                 CYTLS_RECORD_HEADER_LEN, body, len);
        } else {
            /* additional_data = seq_num || type || version || length. */
            uint8_t aad[13];
            put_u64(aad, p->seq);
            aad[8] = rec[0];
            put_u16(aad + 9, CYTLS_VERSION_TLS12);
            put_u16(aad + 11, len - min_len);
            /* AES-GCM: salt || explicit nonce; ChaCha20: IV XOR seq. */
            make_nonce(nonce, p->iv, explicit_len ? get_u64(body) : p->seq);
            ok = cytls_aead_open(&p->aead, dst, nonce, aad, sizeof aad,
                                 body + explicit_len, len - explicit_len);
        }
    }
    if (!ok) {
        /* The AEAD leaves zeros on failure; wipe again so that no path can
         * ever hand out unauthenticated plaintext. */
        if (len >= min_len)
            cytls_memzero(dst, len - min_len);
        if (p->skip_budget > 0 && is_tls13(p)) {
            /* RFC 8446 section 4.2.10: drop rejected early data, within
             * the advertised max_early_data_size. */
            return skip_early_data(p, res, len) ? 0 : -1;
        }
        fail(res, len < min_len ? CYTLS_RECORD_E_SHORT : CYTLS_RECORD_E_BAD_MAC,
             CYTLS_ALERT_BAD_RECORD_MAC);
        return -1;
    }
    p->seq++;
    p->skip_budget = 0;
    if (!is_tls13(p)) {
        *type = rec[0];
        *n = len - min_len;
        return 1;
    }
    /* Remove the padding: the content type is the last non-zero byte
     * (section 5.4). Variable time over the padding only: each byte the
     * scan looks at is padding or the content type, both of which the
     * caller learns (the type, and the content length); the content
     * before them is never looked at. */
    size_t k = len - TAG_LEN;
    while (k > 0) {
        CYTLS_DECLASSIFY(&dst[k - 1], 1);
        if (dst[k - 1] != 0)
            break;
        k--;
    }
    if (k == 0) {
        fail(res, CYTLS_RECORD_E_NO_CONTENT_TYPE, CYTLS_ALERT_UNEXPECTED_MESSAGE);
        return -1;
    }
    *type = dst[k - 1];
    *n = k - 1;
    return 1;
}

/*
 * check_header looks at a record header before its body has arrived, so
 * that a bad record fails at once rather than after up to 18 KB more. It
 * returns 1 if the record may be read.
 */
static int check_header(const cytls_record_protector *p,
                        cytls_record_result *res, const uint8_t *h)
{
    uint8_t type = h[0];
    size_t len = ((size_t)h[3] << 8) | h[4];
    size_t max_len;

    /* legacy_record_version: TLS 1.3 ignores it beyond the major version
     * (and authenticates it as part of the header); TLS 1.2 records under a
     * key carry the negotiated version. Checked before the type, as OpenSSL
     * does: what is not TLS at all (a plain-text peer's "HTTP/1.1 400 ...")
     * is then a bad version, the error users know it by. */
    if (h[1] != 0x03 || (p->keyed && !is_tls13(p) && h[2] != 0x03)) {
        fail(res, CYTLS_RECORD_E_BAD_VERSION, CYTLS_ALERT_PROTOCOL_VERSION);
        return 0;
    }
    if (type < CYTLS_CT_CHANGE_CIPHER_SPEC || type > CYTLS_CT_APPLICATION_DATA) {
        fail(res, CYTLS_RECORD_E_BAD_TYPE, CYTLS_ALERT_UNEXPECTED_MESSAGE);
        return 0;
    }
    if (!p->keyed && type == CYTLS_CT_APPLICATION_DATA && p->skip_budget > 0) {
        /* 0-RTT records being skipped before any read key: ciphertext, so
         * up to 2^14 + 256 bytes (RFC 8446 section 5.2). */
        max_len = CYTLS_RECORD_MAX_CIPHERTEXT_13;
    } else if (!p->keyed || type == CYTLS_CT_CHANGE_CIPHER_SPEC) {
        /* Unprotected records, and the TLS 1.3 compatibility CCS. */
        if (p->keyed && !is_tls13(p)) {
            /* A CCS after the TLS 1.2 keys changed would be renegotiation. */
            fail(res, CYTLS_RECORD_E_PROTECTED_CCS,
                 CYTLS_ALERT_UNEXPECTED_MESSAGE);
            return 0;
        }
        max_len = CYTLS_RECORD_MAX_PLAINTEXT;
    } else if (is_tls13(p)) {
        /* Section 5.2: only application_data outside the encryption. */
        if (type != CYTLS_CT_APPLICATION_DATA) {
            fail(res, CYTLS_RECORD_E_BAD_TYPE, CYTLS_ALERT_UNEXPECTED_MESSAGE);
            return 0;
        }
        /* 2^14 + 256 at most; and an inner plaintext over our limit would
         * overflow after decryption anyway, so refuse it unread. */
        max_len = p->max_inner + TAG_LEN;
        if (max_len > CYTLS_RECORD_MAX_CIPHERTEXT_13)
            max_len = CYTLS_RECORD_MAX_CIPHERTEXT_13;
    } else {
        max_len = p->max_inner + TAG_LEN +
                  (p->explicit_nonce ? EXPLICIT_NONCE_LEN : 0);
        if (max_len > CYTLS_RECORD_MAX_CIPHERTEXT_12)
            max_len = CYTLS_RECORD_MAX_CIPHERTEXT_12;
    }
    if (len > max_len) {
        fail(res, CYTLS_RECORD_E_OVERFLOW, CYTLS_ALERT_RECORD_OVERFLOW);
        return 0;
    }
    return 1;
}

/* see cytls.h */
void cytls_record_open(cytls_record_protector *p, cytls_record_result *res,
                       uint8_t *out, size_t out_cap, const uint8_t *in,
                       size_t in_len)
{
    size_t pos = 0;

    memset(res, 0, sizeof *res);
    for (;;) {
        const uint8_t *rec = in + pos;
        size_t rest = in_len - pos;
        if (rest < CYTLS_RECORD_HEADER_LEN)
            break;
        if (!check_header(p, res, rec))
            return;
        size_t len = ((size_t)rec[3] << 8) | rec[4];
        if (rest - CYTLS_RECORD_HEADER_LEN < len)
            break;
        if (out_cap - res->app_len < len) {
            fail(res, CYTLS_RECORD_E_OUTPUT_SPACE, CYTLS_ALERT_INTERNAL_ERROR);
            return;
        }
        uint8_t *dst = out + res->app_len;
        uint8_t type = rec[0];
        size_t n = len;

        if (!p->keyed && type == CYTLS_CT_APPLICATION_DATA && p->skip_budget > 0) {
            /* RFC 8446 section 4.2.10: after a HelloRetryRequest, the
             * client's 0-RTT records are dropped unread, within budget. */
            if (!skip_early_data(p, res, len))
                return;
            pos += CYTLS_RECORD_HEADER_LEN + len;
            res->consumed = pos;
            continue;
        }
        if (!p->keyed || type == CYTLS_CT_CHANGE_CIPHER_SPEC) {
            /* Plaintext: every record goes up to the caller, which knows
             * whether the handshake allows it (application data included).
             * Skipping 0-RTT ends at the next handshake or alert record
             * (the second ClientHello); a compatibility CCS may come
             * before the early data. */
            if (!p->keyed && type != CYTLS_CT_CHANGE_CIPHER_SPEC)
                p->skip_budget = 0;
            memcpy(dst, rec + CYTLS_RECORD_HEADER_LEN, len);
        } else {
            int r = open_protected(p, res, dst, rec, len, &type, &n);
            if (r < 0)
                return;
            if (r == 0) {
                pos += CYTLS_RECORD_HEADER_LEN + len;
                res->consumed = pos;
                continue;
            }
            if (n > (is_tls13(p) ? p->max_inner - 1 : p->max_inner)) {
                cytls_memzero(dst, n);
                fail(res, CYTLS_RECORD_E_INNER_OVERFLOW,
                     CYTLS_ALERT_RECORD_OVERFLOW);
                return;
            }
            if (type == CYTLS_CT_APPLICATION_DATA) {
                res->app_len += n;
                pos += CYTLS_RECORD_HEADER_LEN + len;
                res->consumed = pos;
                continue;
            }
            if (type == CYTLS_CT_CHANGE_CIPHER_SPEC ||
                (is_tls13(p) && type != CYTLS_CT_ALERT &&
                 type != CYTLS_CT_HANDSHAKE)) {
                /* Section 5: a protected CCS, or an unknown inner type. */
                cytls_memzero(dst, n);
                fail(res,
                     type == CYTLS_CT_CHANGE_CIPHER_SPEC
                         ? CYTLS_RECORD_E_PROTECTED_CCS
                         : CYTLS_RECORD_E_BAD_TYPE,
                     CYTLS_ALERT_UNEXPECTED_MESSAGE);
                return;
            }
        }
        if (!check_payload(res, type, dst, n)) {
            cytls_memzero(dst, n);
            return;
        }
        res->status = CYTLS_RECORD_STOPPED;
        res->type = type;
        res->payload_len = n;
        res->consumed = pos + CYTLS_RECORD_HEADER_LEN + len;
        return;
    }
    res->status = CYTLS_RECORD_NEED_MORE;
    res->consumed = pos;
}

/* see cytls.h */
const char *cytls_record_error_string(cytls_record_error error)
{
    switch (error) {
    case CYTLS_RECORD_E_NONE: return "no error";
    case CYTLS_RECORD_E_BAD_TYPE: return "unexpected record content type";
    case CYTLS_RECORD_E_BAD_VERSION: return "bad record version";
    case CYTLS_RECORD_E_OVERFLOW: return "record too long";
    case CYTLS_RECORD_E_SHORT: return "record too short for its AEAD tag";
    case CYTLS_RECORD_E_BAD_MAC: return "record authentication failed";
    case CYTLS_RECORD_E_INNER_OVERFLOW: return "record plaintext too long";
    case CYTLS_RECORD_E_NO_CONTENT_TYPE: return "record has no content type (all padding)";
    case CYTLS_RECORD_E_EMPTY: return "empty handshake, alert or change_cipher_spec record";
    case CYTLS_RECORD_E_BAD_CCS: return "change_cipher_spec record is not the single byte 1";
    case CYTLS_RECORD_E_PROTECTED_CCS: return "change_cipher_spec under record protection";
    case CYTLS_RECORD_E_ALERT_LENGTH: return "alert record is not exactly one alert";
    case CYTLS_RECORD_E_SEQ_EXHAUSTED: return "record sequence number exhausted";
    case CYTLS_RECORD_E_EARLY_DATA_LIMIT: return "too much undecryptable early data";
    case CYTLS_RECORD_E_OUTPUT_SPACE: return "record output buffer too small";
    }
    return "unknown record error";
}
