/*
 * fuzz_transcript.h -- opening a record stream the way a connection does
 * (whole, or fed in random pieces), with the checks every record target
 * makes on each cytls_record_open result, into a transcript that two ways
 * of opening (or an expectation) can be compared with.
 */
#ifndef CYTLS_FUZZ_TRANSCRIPT_H
#define CYTLS_FUZZ_TRANSCRIPT_H

#include "fuzz_common.h"

/* What one way of opening a stream produced. */
struct transcript {
    uint8_t *app;          /* application data, concatenated */
    size_t app_len, app_cap;
    uint8_t *stops;        /* per stopped record: app_len (8), type, u32
                              length, payload */
    size_t stops_len, stops_cap;
    int errored;
    cytls_record_error error;
    uint8_t alert;
    size_t leftover;       /* bytes of an incomplete record at the end */
};

static inline void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline int is_alert(uint8_t a)
{
    return a == CYTLS_ALERT_UNEXPECTED_MESSAGE ||
           a == CYTLS_ALERT_BAD_RECORD_MAC || a == CYTLS_ALERT_RECORD_OVERFLOW ||
           a == CYTLS_ALERT_DECODE_ERROR || a == CYTLS_ALERT_PROTOCOL_VERSION ||
           a == CYTLS_ALERT_INTERNAL_ERROR;
}

/* grow makes room for n more bytes after len in *buf (capacity *cap). */
static inline void grow(uint8_t **buf, size_t *cap, size_t len, size_t n)
{
    if (len + n <= *cap)
        return;
    *cap = 2 * (len + n) + 64;
    *buf = realloc(*buf, *cap);
    FUZZ_CHECK(*buf != NULL);
}

static inline void transcript_add_app(struct transcript *t,
                                      const uint8_t *p, size_t n)
{
    grow(&t->app, &t->app_cap, t->app_len, n);
    memcpy(t->app + t->app_len, p, n);
    t->app_len += n;
}

static inline void transcript_add_stop(struct transcript *t, uint8_t type,
                                       const uint8_t *p, size_t n)
{
    grow(&t->stops, &t->stops_cap, t->stops_len, 13 + n);
    uint8_t *s = t->stops + t->stops_len;
    put_be(s, t->app_len, 8);
    s[8] = type;
    put_be(s + 9, n, 4);
    memcpy(s + 13, p, n);
    t->stops_len += 13 + n;
}

/*
 * open_call runs cytls_record_open on in (exact-size copy, so ASan sees a
 * read past its end) until it needs more bytes or fails, appends what it
 * yields to t, and returns the bytes consumed.
 */
static inline size_t open_call(cytls_record_protector *p, const uint8_t *data,
                        size_t len, struct transcript *t)
{
    uint8_t *in = fuzz_malloc(len);
    uint8_t *out = fuzz_malloc(len);
    size_t done = 0;
    memcpy(in, data, len);
    while (!t->errored) {
        cytls_record_result res;
        size_t in_len = len - done;
        memset(out, 0, len);
        cytls_record_open(p, &res, out, in_len, in + done, in_len);
        FUZZ_CHECK(res.consumed <= in_len);
        FUZZ_CHECK(res.app_len <= res.consumed);
        transcript_add_app(t, out, res.app_len);
        if (res.status == CYTLS_RECORD_ERROR) {
            FUZZ_CHECK(res.error != CYTLS_RECORD_E_NONE);
            FUZZ_CHECK(is_alert(res.alert));
            /* Nothing of the refused record is left in out: at most its
             * TLS 1.3 inner content type byte. */
            size_t nonzero = 0;
            for (size_t i = res.app_len; i < in_len; i++)
                nonzero += out[i] != 0;
            FUZZ_CHECK(nonzero <= (p->keyed && p->version == 0x0304));
            t->errored = 1;
            t->error = res.error;
            t->alert = res.alert;
            done += res.consumed;
            break;
        }
        FUZZ_CHECK(res.error == CYTLS_RECORD_E_NONE);
        if (res.status == CYTLS_RECORD_STOPPED) {
            FUZZ_CHECK(res.consumed > 0);
            FUZZ_CHECK(res.payload_len <= CYTLS_RECORD_MAX_PLAINTEXT);
            FUZZ_CHECK(res.app_len + res.payload_len <= in_len);
            FUZZ_CHECK(res.type >= 20 && res.type <= 23);
            transcript_add_stop(t, res.type, out + res.app_len,
                                res.payload_len);
            done += res.consumed;
            continue;
        }
        FUZZ_CHECK(res.status == CYTLS_RECORD_NEED_MORE);
        FUZZ_CHECK(res.payload_len == 0);
        done += res.consumed;
        /* What is left is one incomplete record. */
        size_t rest = len - done;
        if (rest >= CYTLS_RECORD_HEADER_LEN) {
            size_t rlen = (size_t)in[done + 3] << 8 | in[done + 4];
            FUZZ_CHECK(rest < CYTLS_RECORD_HEADER_LEN + rlen);
        }
        break;
    }
    free(in);
    free(out);
    return done;
}

/*
 * open_stream opens stream with protector p, whole (seed 0) or in random
 * pieces, into t.
 */
static inline void open_stream(cytls_record_protector *p, const uint8_t *stream,
                        size_t len, uint64_t seed, struct transcript *t)
{
    size_t start = 0, have = 0;
    /* At most 64 pieces, so that the copies stay linear in len. */
    for (int pieces = 0; !t->errored; pieces++) {
        if (seed == 0 || pieces == 63) {
            have = len;
        } else {
            /* Mostly short pieces, sometimes a byte, sometimes a lot. */
            uint64_t r = fuzz_rand(&seed);
            size_t step = (r & 3) == 0 ? 1 : (r & 3) == 1 ? (r >> 8) % 7 + 1
                        : (r & 3) == 2 ? (r >> 8) % 300 + 1
                                       : (r >> 8) % 20000 + 1;
            have = len - have < step ? len : have + step;
        }
        start += open_call(p, stream + start, have - start, t);
        if (have == len)
            break;
    }
    t->leftover = t->errored ? 0 : len - start;
}

static inline void transcript_init(struct transcript *t)
{
    memset(t, 0, sizeof *t);
    t->app_cap = t->stops_cap = 256;
    t->app = fuzz_malloc(t->app_cap);
    t->stops = fuzz_malloc(t->stops_cap);
}

static inline void transcript_free(struct transcript *t)
{
    free(t->app);
    free(t->stops);
}

static inline int transcripts_equal(const struct transcript *a,
                             const struct transcript *b)
{
    return a->app_len == b->app_len &&
           memcmp(a->app, b->app, a->app_len) == 0 &&
           a->stops_len == b->stops_len &&
           memcmp(a->stops, b->stops, a->stops_len) == 0 &&
           a->errored == b->errored && a->error == b->error &&
           a->alert == b->alert && a->leftover == b->leftover;
}

/* Whether a holds nothing that full does not hold at the same place: no
 * record opened that was not sent. */
static inline int transcript_is_prefix(const struct transcript *a,
                                       const struct transcript *full)
{
    return a->app_len <= full->app_len &&
           memcmp(a->app, full->app, a->app_len) == 0 &&
           a->stops_len <= full->stops_len &&
           memcmp(a->stops, full->stops, a->stops_len) == 0;
}

#endif /* CYTLS_FUZZ_TRANSCRIPT_H */
