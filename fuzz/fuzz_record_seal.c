/*
 * fuzz_record_seal.c -- libFuzzer target for cytls_record_seal and
 * cytls_record_seal_padded: a sequence of writes of any content type,
 * length, padding and output room, for every suite and for plaintext
 * records, under record size limits, padding policies and near the
 * sequence limits. The input layout is in fuzz_common.h.
 *
 * Checked besides the sanitizers: each call is accepted exactly when the
 * API contract in cytls.h says (modelled here independently); an accepted
 * call writes exactly cytls_record_seal_len bytes (seal) or fits its bound
 * (seal_padded) and advances the sequence number by its records; a refused
 * one writes nothing and changes nothing; and a peer opening the whole
 * stream in random pieces gets back every write, in order, with no error.
 * With flag bit 7 one byte of the protected stream is changed, and the
 * peer must then open nothing that was not sent (a prefix of the writes),
 * then fail or wait for more.
 */
#include "fuzz_transcript.h"

#define MAX_CONTENT 40000 /* content per input, to bound the time */

struct model {
    int keyed, tls13;
    size_t frag, max_inner;
    uint64_t seq, seq_limit;
};

/* Whether cytls.h says this write is accepted; nrec gets its records. */
static int expect_ok(const struct model *m, uint8_t type, const uint8_t *c,
                     size_t n, int padded, size_t *nrec)
{
    *nrec = padded ? 1 : (n + m->frag - 1) / m->frag;
    if (type < 20 || type > 23)
        return 0;
    if (type == 20 && (m->keyed || n != 1 || c[0] != 1))
        return 0;
    if (type == 21 && n != 2)
        return 0;
    if (padded && (n > m->frag || (n == 0 && type != 23)))
        return 0;
    if (!padded && n == 0)
        return 1;
    if (m->keyed && (m->seq >= m->seq_limit || *nrec > m->seq_limit - m->seq))
        return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    unsigned suite = fuzz_u8(&r) % 8;
    uint8_t flags = fuzz_u8(&r);
    uint16_t limit = fuzz_u16(&r);
    uint16_t pad_block = fuzz_u16(&r);
    uint64_t seed = fuzz_u32(&r) | 1;
    uint16_t mpos = fuzz_u16(&r);
    uint8_t mxor = fuzz_u8(&r);

    cytls_init();
    cytls_set_level(fuzz_levels[(flags >> 4) & 3]);
    cytls_record_protector *w = fuzz_protector(suite);
    struct model m = {0};
    m.keyed = suite < NUM_FUZZ_SUITES;
    m.tls13 = m.keyed && fuzz_suites[suite].version == CYTLS_VERSION_TLS13;
    if (flags & 1)
        FUZZ_CHECK(cytls_record_set_limit(w, 64 + limit % 16322));
    if (flags & 2)
        cytls_record_set_pad_block(w, pad_block);
    if (flags & 64)
        cytls_record_set_plain_version(w, 0x0301);
    m.seq_limit = w->seq_limit;
    if (flags & 4) {
        m.seq = m.seq_limit - 3;
        cytls_record_set_seq(w, m.seq);
    }
    uint64_t start_seq = m.seq;
    m.frag = cytls_record_fragment_len(w);
    m.max_inner = w->max_inner;

    /* Every write is at most 40000 content bytes, sealed into at most
     * MAX_CONTENT bytes in all plus overhead; the stream grows as needed. */
    size_t stream_cap = 1024, stream_len = 0, content_total = 0;
    uint8_t *stream = fuzz_malloc(stream_cap);
    struct transcript want;
    transcript_init(&want); /* what the peer must see */

    while (r.left > 0 && content_total <= MAX_CONTENT) {
        uint8_t type = (uint8_t)(20 + fuzz_u8(&r) % 5);
        uint8_t op = fuzz_u8(&r);
        size_t n = fuzz_len(fuzz_u16(&r), 40000);
        size_t pad = (size_t)fuzz_u8(&r) * 67;
        uint8_t pattern = fuzz_u8(&r);
        int padded = op & 1;
        uint8_t *content = fuzz_malloc(n);
        for (size_t i = 0; i < n; i++)
            content[i] = (uint8_t)(pattern + 0x9d * i);
        content_total += n;

        size_t nrec;
        int want_ok = expect_ok(&m, type, content, n, padded, &nrec);
        size_t cap;
        if (padded)
            cap = (op & 2) ? n + 4 : n + pad + CYTLS_RECORD_MAX_OVERHEAD;
        else
            cap = cytls_record_seal_len(w, n) - ((op & 2) && n > 0);
        if (op & 2 && (padded || n > 0))
            want_ok = 0;
        uint8_t *out = fuzz_malloc(cap);
        size_t out_len = 12345;
        uint64_t seq_before = w->seq;
        int ok = padded ? cytls_record_seal_padded(w, out, cap, &out_len, type,
                                                   content, n, pad)
                        : cytls_record_seal(w, out, cap, &out_len, type,
                                            content, n);
        FUZZ_CHECK(ok == want_ok);
        if (!ok) {
            FUZZ_CHECK(out_len == 0);
            FUZZ_CHECK(w->seq == seq_before);
        } else {
            if (!padded)
                FUZZ_CHECK(out_len == cytls_record_seal_len(w, n));
            FUZZ_CHECK(out_len <= cap);
            size_t advance = m.keyed && (padded || n > 0) ? nrec : 0;
            FUZZ_CHECK(w->seq == seq_before + advance);
            m.seq += advance;
            /* The peer's view: application data of protected records is
             * one stream; every other record (and, without a key, every
             * record) stops with its payload. */
            size_t done = 0;
            do {
                size_t k = padded ? n : (n - done < m.frag ? n - done : m.frag);
                if (!padded && k == 0)
                    break;
                if (m.keyed && type == 23)
                    transcript_add_app(&want, content + done, k);
                else
                    transcript_add_stop(&want, type, content + done, k);
                done += k;
            } while (!padded && done < n);
            while (stream_len + out_len > stream_cap) {
                stream_cap *= 2;
                stream = realloc(stream, stream_cap);
                FUZZ_CHECK(stream != NULL);
            }
            memcpy(stream + stream_len, out, out_len);
            stream_len += out_len;
        }
        free(out);
        free(content);
    }

    /* The peer opens the stream in random pieces. */
    cytls_record_protector *rd = fuzz_protector(suite);
    if (flags & 1)
        FUZZ_CHECK(cytls_record_set_limit(rd, 64 + limit % 16322));
    cytls_record_set_seq(rd, start_seq);
    struct transcript got;
    transcript_init(&got);
    open_stream(rd, stream, stream_len, seed, &got);
    FUZZ_CHECK(!got.errored && got.leftover == 0);
    FUZZ_CHECK(transcripts_equal(&got, &want));
    transcript_free(&got);
    cytls_record_free(rd);

    /* One changed byte under a key: nothing unsent is opened. */
    if ((flags & 128) && m.keyed && stream_len > 0) {
        stream[mpos % stream_len] ^= (uint8_t)(mxor | 1);
        rd = fuzz_protector(suite);
        if (flags & 1)
            FUZZ_CHECK(cytls_record_set_limit(rd, 64 + limit % 16322));
        cytls_record_set_seq(rd, start_seq);
        transcript_init(&got);
        open_stream(rd, stream, stream_len, 0, &got);
        FUZZ_CHECK(transcript_is_prefix(&got, &want));
        FUZZ_CHECK(got.errored || got.leftover > 0);
        transcript_free(&got);
        cytls_record_free(rd);
    }

    transcript_free(&want);
    free(stream);
    cytls_record_free(w);
    cytls_set_level("native");
    return 0;
}
