/*
 * test_record.c -- the record layer (record.c) on every backend level:
 * sealed records compared with records built independently here from the
 * raw AEAD (nonce = IV XOR seq, TLS 1.3 header or TLS 1.2 seq||type||
 * version||length as associated data); an RFC 8448 record as a known
 * answer; batches opened whole and byte by byte; and malformed records,
 * each with the exact alert and no plaintext released.
 */
#include "ctest.h"

#include <stdlib.h>

#define BIG (3 * 16384 + 5000)
#define BUF_CAP (BIG + 8 * CYTLS_RECORD_MAX_OVERHEAD + 64)

static uint8_t content[BIG];
static uint8_t sealed[BUF_CAP];
static uint8_t expect[BUF_CAP];
static uint8_t opened[BUF_CAP];
static uint8_t scratch[BUF_CAP];

struct suite {
    cytls_aead_alg alg;
    size_t key_len;
    uint16_t version;
    const char *name;
};

static const struct suite suites[] = {
    {CYTLS_AEAD_AES_128_GCM, 16, CYTLS_VERSION_TLS13, "1.3 AES-128-GCM"},
    {CYTLS_AEAD_AES_256_GCM, 32, CYTLS_VERSION_TLS13, "1.3 AES-256-GCM"},
    {CYTLS_AEAD_CHACHA20_POLY1305, 32, CYTLS_VERSION_TLS13, "1.3 ChaCha20"},
    {CYTLS_AEAD_AES_128_GCM, 16, CYTLS_VERSION_TLS12, "1.2 AES-128-GCM"},
    {CYTLS_AEAD_AES_256_GCM, 32, CYTLS_VERSION_TLS12, "1.2 AES-256-GCM"},
    {CYTLS_AEAD_CHACHA20_POLY1305, 32, CYTLS_VERSION_TLS12, "1.2 ChaCha20"},
};
#define NUM_SUITES (sizeof suites / sizeof suites[0])

static uint8_t test_key[32], test_iv[12];

static size_t iv_len_of(const struct suite *s)
{
    return s->version == CYTLS_VERSION_TLS12 &&
                   s->alg != CYTLS_AEAD_CHACHA20_POLY1305
               ? 4
               : 12;
}

static cytls_record_protector *keyed(const struct suite *s)
{
    cytls_record_protector *p = cytls_record_new();
    CHECK(p != NULL, "cytls_record_new");
    if (p == NULL)
        exit(2);
    CHECK(cytls_record_set_key(p, s->alg, s->version, test_key, s->key_len,
                               test_iv, iv_len_of(s)),
          "set_key %s", s->name);
    return p;
}

/*
 * ref_record writes one record of n content bytes (no padding) the slow,
 * obvious way, straight from the RFC text, and returns its length. It
 * shares nothing with record.c but the raw AEAD.
 */
static size_t ref_record(const struct suite *s, uint8_t *h, uint64_t seq,
                         uint8_t type, const uint8_t *in, size_t n)
{
    cytls_aead aead;
    int tls13 = s->version == CYTLS_VERSION_TLS13;
    int explicit_nonce = !tls13 && s->alg != CYTLS_AEAD_CHACHA20_POLY1305;
    static uint8_t inner[16385];
    uint8_t nonce[12] = {0};
    uint8_t aad[13];
    size_t clen;

    CHECK(cytls_aead_init(&aead, s->alg, test_key, s->key_len), "aead_init");
    memcpy(nonce, test_iv, iv_len_of(s));
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
    if (tls13) {
        clen = n + 1 + 16;
        h[0] = 23, h[1] = 3, h[2] = 3;
        h[3] = (uint8_t)(clen >> 8), h[4] = (uint8_t)clen;
        memcpy(inner, in, n);
        inner[n] = type;
        cytls_aead_seal(&aead, h + 5, nonce, h, 5, inner, n + 1);
    } else {
        size_t xlen = explicit_nonce ? 8 : 0;
        clen = xlen + n + 16;
        for (int i = 0; i < 8; i++)
            aad[i] = (uint8_t)(seq >> (56 - 8 * i));
        aad[8] = type, aad[9] = 3, aad[10] = 3;
        aad[11] = (uint8_t)(n >> 8), aad[12] = (uint8_t)n;
        h[0] = type, h[1] = 3, h[2] = 3;
        h[3] = (uint8_t)(clen >> 8), h[4] = (uint8_t)clen;
        if (explicit_nonce)
            memcpy(h + 5, aad, 8);
        cytls_aead_seal(&aead, h + 5 + xlen, nonce, aad, 13, in, n);
    }
    cytls_aead_clear(&aead);
    return 5 + clen;
}

/* build_reference cuts content into 2^14-byte records with ref_record. */
static size_t build_reference(const struct suite *s, uint8_t *out,
                              const uint8_t *in, size_t len, uint8_t type)
{
    size_t pos = 0;
    for (uint64_t seq = 0; len > 0; seq++) {
        size_t n = len < 16384 ? len : 16384;
        pos += ref_record(s, out + pos, seq, type, in, n);
        in += n;
        len -= n;
    }
    return pos;
}

/* Seal, compare with the reference, open whole and in pieces. */
static void roundtrip(const struct suite *s, const char *level)
{
    static const size_t sizes[] = {0, 1, 17, 255, 16383, 16384, 16385, BIG};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t len = sizes[k], out_len = 0;
        cytls_record_protector *w = keyed(s), *r = keyed(s);
        cytls_record_result res;

        size_t want = build_reference(s, expect, content, len, 23);
        CHECK(cytls_record_seal_len(w, len) == want, "%s %s len %zu: seal_len",
              level, s->name, len);
        CHECK(cytls_record_seal(w, sealed, sizeof sealed, &out_len, 23,
                                content, len),
              "%s %s len %zu: seal", level, s->name, len);
        CHECK(out_len == want && memcmp(sealed, expect, want) == 0,
              "%s %s len %zu: sealed records differ from the reference",
              level, s->name, len);
        CHECK(w->seq == (len + 16383) / 16384, "%s: write seq", s->name);

        cytls_record_open(r, &res, opened, sizeof opened, sealed, out_len);
        CHECK(res.status == CYTLS_RECORD_NEED_MORE && res.consumed == out_len &&
                  res.app_len == len && memcmp(opened, content, len) == 0,
              "%s %s len %zu: open (status %d, consumed %zu, app %zu)", level,
              s->name, len, res.status, res.consumed, res.app_len);

        /* Every prefix of the first record: nothing consumed, no output. */
        if (len > 0 && len < 300) {
            for (size_t cut = 0; cut < out_len; cut++) {
                cytls_record_protector *r2 = keyed(s);
                memset(opened, 0xAA, out_len);
                cytls_record_open(r2, &res, opened, sizeof opened, sealed, cut);
                CHECK(res.status == CYTLS_RECORD_NEED_MORE &&
                          res.consumed == 0 && res.app_len == 0 && r2->seq == 0,
                      "%s %s: prefix %zu", level, s->name, cut);
                cytls_record_free(r2);
            }
        }
        cytls_record_free(w);
        cytls_record_free(r);
    }
}

static cytls_record_result open_all(cytls_record_protector *r, const uint8_t *in,
                                    size_t len)
{
    cytls_record_result res;
    cytls_record_open(r, &res, opened, sizeof opened, in, len);
    return res;
}

#define EXPECT_ALERT(res, want_alert, ...)                                    \
    CHECK((res).status == CYTLS_RECORD_ERROR && (res).alert == (want_alert), \
          __VA_ARGS__)

/* Seal a TLS 1.3 record with an arbitrary inner plaintext, by hand. */
static size_t raw13(const struct suite *s, uint8_t *out, uint64_t seq,
                    const uint8_t *inner, size_t inner_len)
{
    cytls_aead aead;
    uint8_t nonce[12];
    memcpy(nonce, test_iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
    size_t clen = inner_len + 16;
    out[0] = 23, out[1] = 3, out[2] = 3;
    out[3] = (uint8_t)(clen >> 8), out[4] = (uint8_t)clen;
    cytls_aead_init(&aead, s->alg, test_key, s->key_len);
    cytls_aead_seal(&aead, out + 5, nonce, out, 5, inner, inner_len);
    cytls_aead_clear(&aead);
    return 5 + clen;
}

static void malformed(const struct suite *s)
{
    int tls13 = s->version == CYTLS_VERSION_TLS13;
    cytls_record_protector *w = keyed(s), *r;
    cytls_record_result res;
    size_t len = 0;
    uint8_t msg[40];
    ctest_random(msg, sizeof msg);

    CHECK(cytls_record_seal(w, sealed, sizeof sealed, &len, 23, msg, sizeof msg),
          "seal");
    /* Every single-bit flip: the exact alert, never plaintext. */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(scratch, sealed, len);
            scratch[i] ^= (uint8_t)(1u << bit);
            r = keyed(s);
            memset(opened, 0, sizeof msg + 64);
            res = open_all(r, scratch, len);
            uint8_t want;
            int need_more = 0;
            if (i == 0)
                want = CYTLS_ALERT_UNEXPECTED_MESSAGE;
            else if (i == 1 || (i == 2 && !tls13))
                want = CYTLS_ALERT_PROTOCOL_VERSION;
            else if (i == 3 || i == 4) {
                size_t nl = ((size_t)scratch[3] << 8) | scratch[4];
                size_t max = tls13 ? 16385 + 16 : 16384 + len - 5 - sizeof msg;
                if (nl > max)
                    want = CYTLS_ALERT_RECORD_OVERFLOW;
                else if (nl > len - 5)
                    need_more = 1, want = 0;
                else
                    want = CYTLS_ALERT_BAD_RECORD_MAC;
            } else
                want = CYTLS_ALERT_BAD_RECORD_MAC;
            if (i == 0 && !tls13 && (scratch[0] == 21 || scratch[0] == 22))
                want = CYTLS_ALERT_BAD_RECORD_MAC; /* type is in the AAD */
            if (need_more)
                CHECK(res.status == CYTLS_RECORD_NEED_MORE && res.consumed == 0,
                      "%s: flip byte %zu bit %d: want need-more", s->name, i, bit);
            else
                EXPECT_ALERT(res, want, "%s: flip byte %zu bit %d: status %d alert %d want %d",
                             s->name, i, bit, res.status, res.alert, want);
            CHECK(res.app_len == 0, "%s: flip released plaintext", s->name);
            int zeros = 1;
            for (size_t j = 0; j < sizeof msg; j++)
                zeros &= opened[j] == 0;
            CHECK(zeros, "%s: flip byte %zu left plaintext in the output",
                  s->name, i);
            cytls_record_free(r);
        }
    }

    /* Oversized lengths fail from the header alone. */
    uint8_t hdr[5] = {23, 3, 3, 0, 0};
    size_t over = tls13 ? 16384 + 256 + 1 : 16384 + 2048 + 1;
    hdr[3] = (uint8_t)(over >> 8), hdr[4] = (uint8_t)over;
    r = keyed(s);
    res = open_all(r, hdr, 5);
    EXPECT_ALERT(res, CYTLS_ALERT_RECORD_OVERFLOW, "%s: oversized", s->name);
    cytls_record_free(r);

    /* Too short for a tag. */
    uint8_t tiny[5 + 15] = {23, 3, 3, 0, 15};
    r = keyed(s);
    res = open_all(r, tiny, sizeof tiny);
    EXPECT_ALERT(res, CYTLS_ALERT_BAD_RECORD_MAC, "%s: short", s->name);
    cytls_record_free(r);

    /* A record size limit refuses a longer record before decrypting. */
    uint8_t big[300];
    ctest_random(big, sizeof big);
    cytls_record_set_seq(w, 0);
    CHECK(cytls_record_seal(w, sealed, sizeof sealed, &len, 23, big, sizeof big),
          "seal big");
    r = keyed(s);
    CHECK(cytls_record_set_limit(r, 200), "set_limit");
    CHECK(!cytls_record_set_limit(r, 63), "limit below 64 accepted");
    res = open_all(r, sealed, len);
    EXPECT_ALERT(res, CYTLS_ALERT_RECORD_OVERFLOW, "%s: over limit", s->name);
    cytls_record_free(r);

    /* Sequence numbers never wrap; TLS 1.3 AES-GCM stops at 2^24.5. */
    cytls_record_set_seq(w, UINT64_MAX);
    CHECK(!cytls_record_seal(w, sealed, sizeof sealed, &len, 23, msg, 1),
          "%s: sealed at seq 2^64-1", s->name);
    r = keyed(s);
    cytls_record_set_seq(r, UINT64_MAX);
    res = open_all(r, expect, build_reference(s, expect, msg, 5, 23));
    EXPECT_ALERT(res, CYTLS_ALERT_INTERNAL_ERROR, "%s: open at 2^64-1", s->name);
    cytls_record_free(r);
    if (tls13 && s->alg != CYTLS_AEAD_CHACHA20_POLY1305) {
        cytls_record_set_seq(w, CYTLS_RECORD_GCM_LIMIT - 1);
        CHECK(cytls_record_seal(w, sealed, sizeof sealed, &len, 23, msg, 1),
              "%s: last record below the GCM limit", s->name);
        CHECK(!cytls_record_seal(w, sealed, sizeof sealed, &len, 23, msg, 1),
              "%s: sealed past the GCM limit", s->name);
    }
    /* CCS is never sealed under a key. */
    cytls_record_set_seq(w, 0);
    CHECK(!cytls_record_seal(w, sealed, sizeof sealed, &len, 20, msg, 1),
          "%s: protected CCS sealed", s->name);
    CHECK(!cytls_record_seal(w, sealed, sizeof sealed, &len, 24, msg, 1),
          "%s: type 24 sealed", s->name);

    /* Zero-length handshake and alert, and 1- or 3-byte alerts. */
    static const struct {
        uint8_t type;
        size_t n;
        uint8_t alert;
    } bad_payloads[] = {{22, 0, CYTLS_ALERT_UNEXPECTED_MESSAGE},
                        {21, 0, CYTLS_ALERT_UNEXPECTED_MESSAGE},
                        {21, 1, CYTLS_ALERT_DECODE_ERROR},
                        {21, 3, CYTLS_ALERT_DECODE_ERROR}};
    for (size_t k = 0; k < 4; k++) {
        cytls_record_protector *w2 = keyed(s);
        r = keyed(s);
        cytls_record_set_pad_block(w2, 0);
        /* Seal refuses each of them; open refuses them from a peer. */
        CHECK(!cytls_record_seal_padded(w2, sealed, sizeof sealed, &len,
                                        bad_payloads[k].type, msg,
                                        bad_payloads[k].n, 0),
              "%s: seal_padded of payload case %zu", s->name, k);
        CHECK(len == 0, "%s: refused seal_padded wrote %zu", s->name, len);
        len = ref_record(s, sealed, 0, bad_payloads[k].type, msg,
                         bad_payloads[k].n);
        res = open_all(r, sealed, len);
        EXPECT_ALERT(res, bad_payloads[k].alert, "%s: payload case %zu: %d",
                     s->name, k, res.alert);
        cytls_record_free(w2);
        cytls_record_free(r);
    }

    if (tls13) {
        uint8_t inner[64];
        /* all padding */
        memset(inner, 0, sizeof inner);
        len = raw13(s, sealed, 0, inner, 20);
        r = keyed(s);
        res = open_all(r, sealed, len);
        EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE, "%s: all padding", s->name);
        CHECK(res.error == CYTLS_RECORD_E_NO_CONTENT_TYPE, "all padding: error");
        cytls_record_free(r);
        /* empty inner plaintext (tag only) */
        len = raw13(s, sealed, 0, inner, 0);
        r = keyed(s);
        res = open_all(r, sealed, len);
        EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE, "%s: empty inner", s->name);
        cytls_record_free(r);
        /* protected CCS, unknown inner type 24 and 0x80 */
        static const uint8_t bad_types[] = {20, 24, 0x80};
        for (size_t k = 0; k < sizeof bad_types; k++) {
            inner[0] = 1;
            inner[1] = bad_types[k];
            len = raw13(s, sealed, 0, inner, 2);
            r = keyed(s);
            res = open_all(r, sealed, len);
            EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE,
                         "%s: inner type %d", s->name, bad_types[k]);
            CHECK(res.app_len == 0, "inner type: app data");
            cytls_record_free(r);
        }
        /* padded records open to their content */
        inner[0] = 'x';
        inner[1] = 23;
        memset(inner + 2, 0, 40);
        len = raw13(s, sealed, 0, inner, 42);
        r = keyed(s);
        res = open_all(r, sealed, len);
        CHECK(res.status == CYTLS_RECORD_NEED_MORE && res.app_len == 1 &&
                  opened[0] == 'x',
              "%s: padded record", s->name);
        cytls_record_free(r);
        /* the compatibility CCS passes; any other CCS does not */
        uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
        r = keyed(s);
        res = open_all(r, ccs, sizeof ccs);
        CHECK(res.status == CYTLS_RECORD_STOPPED && res.type == 20 &&
                  res.payload_len == 1 && opened[0] == 1 && res.consumed == 6,
              "%s: CCS", s->name);
        ccs[5] = 2;
        res = open_all(r, ccs, sizeof ccs);
        EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE, "%s: CCS 2", s->name);
        uint8_t ccs2[] = {20, 3, 3, 0, 2, 1, 1};
        res = open_all(r, ccs2, sizeof ccs2);
        EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE, "%s: CCS len 2", s->name);
        /* plaintext handshake or alert after keys */
        uint8_t plain_alert[] = {21, 3, 3, 0, 2, 2, 40};
        res = open_all(r, plain_alert, sizeof plain_alert);
        EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE, "%s: plaintext alert",
                     s->name);
        cytls_record_free(r);
    } else {
        uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
        r = keyed(s);
        res = open_all(r, ccs, sizeof ccs);
        EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE, "%s: CCS after keys",
                     s->name);
        cytls_record_free(r);
    }
    cytls_record_free(w);
}

/* Application data, then a handshake record, then more: two batches. */
static void stop_after_handshake(const struct suite *s)
{
    cytls_record_protector *w = keyed(s), *r = keyed(s);
    size_t a = 0, b = 0, c = 0;
    cytls_record_result res;
    CHECK(cytls_record_seal(w, sealed, sizeof sealed, &a, 23, content, 20000), "a");
    CHECK(cytls_record_seal(w, sealed + a, sizeof sealed - a, &b, 22,
                            content + 1, 100), "b");
    CHECK(cytls_record_seal(w, sealed + a + b, sizeof sealed - a - b, &c, 23,
                            content + 2, 50), "c");
    res = open_all(r, sealed, a + b + c);
    CHECK(res.status == CYTLS_RECORD_STOPPED && res.type == 22 &&
              res.app_len == 20000 && res.payload_len == 100 &&
              res.consumed == a + b &&
              memcmp(opened, content, 20000) == 0 &&
              memcmp(opened + 20000, content + 1, 100) == 0,
          "%s: stop after handshake", s->name);
    res = open_all(r, sealed + a + b, c);
    CHECK(res.status == CYTLS_RECORD_NEED_MORE && res.app_len == 50 &&
              res.consumed == c && memcmp(opened, content + 2, 50) == 0,
          "%s: after the stop", s->name);
    cytls_record_free(w);
    cytls_record_free(r);
}

static void padding_and_limits(const struct suite *s)
{
    int tls13 = s->version == CYTLS_VERSION_TLS13;
    cytls_record_protector *w = keyed(s), *r = keyed(s);
    cytls_record_result res;
    size_t len = 0;

    cytls_record_set_pad_block(w, 256);
    CHECK(cytls_record_seal(w, sealed, sizeof sealed, &len, 23, content, 1000),
          "seal padded");
    CHECK(len == cytls_record_seal_len(w, 1000), "padded seal_len");
    if (tls13)
        CHECK(len == 5 + 1024 + 16, "%s: padded length %zu", s->name, len);
    res = open_all(r, sealed, len);
    CHECK(res.status == CYTLS_RECORD_NEED_MORE && res.app_len == 1000 &&
              memcmp(opened, content, 1000) == 0,
          "%s: open padded", s->name);

    /* record_size_limit on the writer cuts smaller records */
    cytls_record_protector *w2 = keyed(s), *r2 = keyed(s);
    CHECK(cytls_record_set_limit(w2, 1000) && cytls_record_set_limit(r2, 1000),
          "limits");
    size_t frag = cytls_record_fragment_len(w2);
    CHECK(frag == (tls13 ? 999u : 1000u), "%s: fragment %zu", s->name, frag);
    CHECK(cytls_record_seal(w2, sealed, sizeof sealed, &len, 23, content, 5000),
          "seal limited");
    CHECK(w2->seq == (5000 + frag - 1) / frag, "%s: limited records", s->name);
    res = open_all(r2, sealed, len);
    CHECK(res.status == CYTLS_RECORD_NEED_MORE && res.app_len == 5000 &&
              memcmp(opened, content, 5000) == 0,
          "%s: open limited", s->name);
    /* padding never crosses the limit */
    cytls_record_set_seq(w2, 0);
    cytls_record_set_seq(r2, 0);
    CHECK(cytls_record_seal_padded(w2, sealed, sizeof sealed, &len, 23, content,
                                   10, 5000),
          "seal_padded");
    res = open_all(r2, sealed, len);
    CHECK(res.status == CYTLS_RECORD_NEED_MORE && res.app_len == 10,
          "%s: open clamped padding (%d %d)", s->name, res.status, res.alert);
    if (tls13)
        CHECK(len == 5 + 1000 + 16, "%s: clamped padded length %zu", s->name, len);

    /* trial decryption drops records under another key, within budget */
    if (tls13) {
        cytls_record_protector *other = cytls_record_new();
        uint8_t k2[32];
        memset(k2, 0x5c, sizeof k2);
        cytls_record_set_key(other, s->alg, s->version, k2, s->key_len, test_iv,
                             iv_len_of(s));
        size_t l1 = 0, l2 = 0;
        cytls_record_seal(other, sealed, sizeof sealed, &l1, 23, content, 300);
        cytls_record_protector *w3 = keyed(s), *r3 = keyed(s);
        cytls_record_seal(w3, sealed + l1, sizeof sealed - l1, &l2, 22, content, 30);
        cytls_record_set_skip_budget(r3, 300);
        res = open_all(r3, sealed, l1 + l2);
        CHECK(res.status == CYTLS_RECORD_STOPPED && res.type == 22 &&
                  res.payload_len == 30 && res.consumed == l1 + l2 && r3->seq == 1,
              "%s: skip early data", s->name);
        cytls_record_free(r3);
        r3 = keyed(s);
        cytls_record_set_skip_budget(r3, 299);
        res = open_all(r3, sealed, l1 + l2);
        EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE, "%s: skip over budget",
                     s->name);
        cytls_record_free(r3);
        cytls_record_free(w3);
        cytls_record_free(other);
    }
    cytls_record_free(w2);
    cytls_record_free(r2);
    cytls_record_free(w);
    cytls_record_free(r);
}

static void plaintext_records(void)
{
    cytls_record_protector *w = cytls_record_new(), *r = cytls_record_new();
    cytls_record_result res;
    size_t len = 0;
    cytls_record_set_plain_version(w, 0x0301);
    CHECK(cytls_record_seal(w, sealed, sizeof sealed, &len, 22, content, 20000),
          "plain seal");
    CHECK(len == 20000 + 10 && sealed[0] == 22 && sealed[1] == 3 &&
              sealed[2] == 1 && sealed[3] == 0x40 && sealed[4] == 0,
          "plain framing");
    res = open_all(r, sealed, len);
    CHECK(res.status == CYTLS_RECORD_STOPPED && res.type == 22 &&
              res.payload_len == 16384 && res.consumed == 16389 &&
              memcmp(opened, content, 16384) == 0,
          "plain open");
    res = open_all(r, sealed + 16389, len - 16389);
    CHECK(res.status == CYTLS_RECORD_STOPPED && res.payload_len == 20000 - 16384,
          "plain open 2");
    uint8_t bad[][6] = {{24, 3, 3, 0, 1, 0},  /* heartbeat */
                        {22, 2, 0, 0, 1, 0},  /* SSL 2-ish version */
                        {22, 3, 3, 0x40, 1, 0}, /* 2^14 + 1 */
                        {22, 3, 3, 0, 0, 0},    /* empty handshake */
                        {'H', 'T', 'T', 'P', '/', '1'}}; /* not TLS at all */
    /* The version is checked before the type, as OpenSSL does: a peer
     * that is not TLS ("HTTP/1.1 ...") is refused for its version. */
    static const uint8_t alerts[] = {10, 70, 22, 10, 70};
    static const cytls_record_error errors[] = {
        CYTLS_RECORD_E_BAD_TYPE, CYTLS_RECORD_E_BAD_VERSION, CYTLS_RECORD_E_OVERFLOW,
        CYTLS_RECORD_E_EMPTY, CYTLS_RECORD_E_BAD_VERSION};
    for (size_t k = 0; k < 5; k++) {
        res = open_all(r, bad[k], k == 3 ? 5 : 6);
        EXPECT_ALERT(res, alerts[k], "plain bad %zu: %d", k, res.alert);
        CHECK(res.error == errors[k], "plain bad %zu: error %d", k, res.error);
    }
    uint8_t empty_app[] = {23, 3, 3, 0, 0};
    res = open_all(r, empty_app, 5);
    CHECK(res.status == CYTLS_RECORD_STOPPED && res.type == 23 &&
              res.payload_len == 0,
          "plain empty application data");

    /* With a skip budget and no key (after a HelloRetryRequest), 0-RTT
     * application data records up to 2^14 + 256 bytes are dropped, until
     * the next handshake record, which ends the skipping. */
    static uint8_t early[2 * (5 + 16640) + 6 + 5];
    size_t e = 0;
    for (int k = 0; k < 2; k++) {
        size_t n = k == 0 ? 16640 : 100;
        early[e] = 23, early[e + 1] = 3, early[e + 2] = 3;
        early[e + 3] = (uint8_t)(n >> 8), early[e + 4] = (uint8_t)n;
        memset(early + e + 5, 0xab, n);
        e += 5 + n;
    }
    memcpy(early + e, (const uint8_t[]){22, 3, 3, 0, 1, 1}, 6);
    e += 6;
    memcpy(early + e, (const uint8_t[]){23, 3, 3, 0, 0}, 5);
    cytls_record_set_skip_budget(r, (16640 - 17) + (100 - 17));
    res = open_all(r, early, e + 5);
    CHECK(res.status == CYTLS_RECORD_STOPPED && res.type == 22 && res.consumed == e &&
              res.app_len == 0 && r->skip_budget == 0,
          "plain skip early data (%d %zu)", res.status, res.consumed);
    res = open_all(r, early + e, 5);
    CHECK(res.status == CYTLS_RECORD_STOPPED && res.type == 23,
          "plain application data after the skipping ended");
    cytls_record_set_skip_budget(r, (16640 - 17) + (100 - 17) - 1);
    res = open_all(r, early, e);
    EXPECT_ALERT(res, CYTLS_ALERT_UNEXPECTED_MESSAGE, "plain skip over budget");
    cytls_record_free(w);
    cytls_record_free(r);
}

/*
 * seal_matches_open: whatever cytls_record_seal or cytls_record_seal_padded
 * accepts, cytls_record_open accepts from a peer, for every content type
 * and short length, keyed with the suite (s != NULL) or plaintext; and the
 * alerts and CCS records open refuses are refused by seal, writing nothing.
 */
static void seal_matches_open(const struct suite *s)
{
    const char *name = s ? s->name : "plaintext";
    static const size_t lens[] = {0, 1, 2, 3, 4, 300};
    uint8_t msg[300];
    for (uint8_t first = 1; first <= 2; first++) {
        memset(msg, 0, sizeof msg);
        msg[0] = first;
        for (uint8_t type = 20; type <= 23; type++) {
            for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
                size_t n = lens[k];
                int want = type == 23 || (type == 22 && n > 0) ||
                           (type == 21 && n == 2) ||
                           (type == 20 && !s && n == 1 && first == 1);
                for (int padded = 0; padded <= 1; padded++) {
                    cytls_record_protector *w = s ? keyed(s) : cytls_record_new();
                    cytls_record_protector *r = s ? keyed(s) : cytls_record_new();
                    size_t len = 12345;
                    int ok = padded ? cytls_record_seal_padded(
                                          w, sealed, sizeof sealed, &len,
                                          type, msg, n, 3)
                                    : cytls_record_seal(w, sealed, sizeof sealed,
                                                        &len, type, msg, n);
                    /* seal writes nothing for empty handshake data. */
                    int want_ok = want || (!padded && type == 22 && n == 0);
                    CHECK(ok == want_ok,
                          "%s: seal%s type %u len %zu first %u: %d, want %d",
                          name, padded ? "_padded" : "", type, n, first, ok,
                          want_ok);
                    CHECK(ok || len == 0, "%s: refused seal wrote %zu", name,
                          len);
                    if (ok && len > 0) {
                        cytls_record_result res = open_all(r, sealed, len);
                        CHECK(res.status != CYTLS_RECORD_ERROR &&
                                  res.consumed == len,
                              "%s: open refused sealed type %u len %zu: %s",
                              name, type, n,
                              cytls_record_error_string(res.error));
                    }
                    cytls_record_free(w);
                    cytls_record_free(r);
                }
            }
        }
    }
}

/* RFC 8448 section 3: the client's first application data record. */
static void rfc8448(void)
{
    uint8_t key[16], iv[12], rec[80], out[128];
    size_t len = 0;
    ctest_unhex(key, sizeof key, "17422dda596ed5d9acd890e3c63f5051");
    ctest_unhex(iv, sizeof iv, "5b78923dee08579033e523d9");
    size_t rec_len = ctest_unhex(
        rec, sizeof rec,
        "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b98"
        "19a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21"
        "694915e4");
    uint8_t app[50];
    for (int i = 0; i < 50; i++)
        app[i] = (uint8_t)i;
    cytls_record_protector *p = cytls_record_new();
    CHECK(cytls_record_set_key(p, CYTLS_AEAD_AES_128_GCM, CYTLS_VERSION_TLS13,
                               key, 16, iv, 12),
          "rfc8448 key");
    CHECK(cytls_record_seal(p, out, sizeof out, &len, 23, app, 50) &&
              len == rec_len && memcmp(out, rec, len) == 0,
          "RFC 8448 record not reproduced");
    cytls_record_set_seq(p, 0);
    cytls_record_result res;
    cytls_record_open(p, &res, out, sizeof out, rec, rec_len);
    CHECK(res.status == CYTLS_RECORD_NEED_MORE && res.app_len == 50 &&
              memcmp(out, app, 50) == 0,
          "RFC 8448 record not opened");
    cytls_record_free(p);
}

void test_record(void)
{
    ctest_random(content, sizeof content);
    ctest_random(test_key, sizeof test_key);
    ctest_random(test_iv, sizeof test_iv);
    for (const char *const *level = ctest_levels; *level; level++) {
        if (!cytls_set_level(*level))
            continue;
        rfc8448();
        for (size_t i = 0; i < NUM_SUITES; i++) {
            roundtrip(&suites[i], *level);
            malformed(&suites[i]);
            stop_after_handshake(&suites[i]);
            padding_and_limits(&suites[i]);
            seal_matches_open(&suites[i]);
        }
    }
    plaintext_records();
    seal_matches_open(NULL);
    cytls_set_level("native");
    printf("record: %s\n", ctest_failures ? "FAILED" : "ok");
}
