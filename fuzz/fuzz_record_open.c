/*
 * fuzz_record_open.c -- libFuzzer target for cytls_record_open: peer bytes
 * for every suite (TLS 1.3 and TLS 1.2, AES-128/256-GCM and
 * ChaCha20-Poly1305) and for plaintext records, opened twice: whole, and
 * fed in random pieces as a socket would deliver them. The input layout is
 * in fuzz_common.h.
 *
 * With flag bit 3 the input is a list of records that the target protects
 * itself (with the fixed key, the right nonce and associated data), so
 * that the fuzzer reaches everything behind the tag check: inner content
 * types, padding, lengths, alerts and CCS payloads of its choosing.
 *
 * Checked besides the sanitizers: the result fields stay within the
 * buffers; a NEED_MORE leaves only an incomplete record; an ERROR carries
 * an error code and leaves no plaintext in out past the good records (at
 * most the TLS 1.3 inner content type byte); and opening in pieces gives
 * exactly what opening whole gives.
 */
#include "fuzz_transcript.h"

static uint64_t gcm_limit(unsigned suite)
{
    if (suite < NUM_FUZZ_SUITES &&
        fuzz_suites[suite].version == CYTLS_VERSION_TLS13 &&
        fuzz_suites[suite].alg != CYTLS_AEAD_CHACHA20_POLY1305)
        return CYTLS_RECORD_GCM_LIMIT;
    return UINT64_MAX;
}

/*
 * build_records turns the record list in r into wire bytes in out,
 * protecting the bodies that ask for it, and returns the length. With out
 * NULL it only measures.
 */
static size_t build_records(unsigned suite, uint64_t seq, fuzz_reader *r,
                            uint8_t *out)
{
    size_t pos = 0;
    cytls_aead aead;
    const struct fuzz_suite *s =
        suite < NUM_FUZZ_SUITES ? &fuzz_suites[suite] : NULL;
    if (s != NULL && out != NULL)
        FUZZ_CHECK(cytls_aead_init(&aead, s->alg, fuzz_key, s->key_len));
    while (r->left > 0) {
        uint8_t rflags = fuzz_u8(r);
        uint8_t hdr[5];
        size_t got;
        for (int i = 0; i < 5; i++)
            hdr[i] = fuzz_u8(r);
        /* A short body is stretched by repetition, so a few input bytes
         * can make a record of any length up to 2^14 + 2^11. */
        size_t blen = fuzz_len(fuzz_u16(r), CYTLS_RECORD_MAX_CIPHERTEXT_12 + 8);
        const uint8_t *given = fuzz_bytes(r, blen, &got);
        uint8_t *rec;
        uint8_t *body;
        int protect = (rflags & 1) && s != NULL;
        int tls12 = s != NULL && s->version == CYTLS_VERSION_TLS12;
        size_t explicit_len =
            protect && tls12 && s->alg != CYTLS_AEAD_CHACHA20_POLY1305 ? 8 : 0;
        size_t wire_len = blen + (protect ? explicit_len + 16 : 0);

        if (out == NULL) {
            pos += 5 + wire_len;
            continue;
        }
        rec = out + pos;
        memcpy(rec, hdr, 5);
        if (!(rflags & 2))
            put_be(rec + 3, wire_len, 2);
        body = rec + 5 + explicit_len;
        for (size_t i = 0; i < blen; i++)
            body[i] = got ? given[i % got] : 0;
        if (protect) {
            uint8_t nonce[12] = {0}, aad[13];
            uint64_t nseq = seq;
            if (explicit_len && (rflags & 8))
                nseq ^= 0x0102030405060708ull; /* any explicit nonce works */
            memcpy(nonce, fuzz_iv, fuzz_iv_len(s));
            for (int i = 0; i < 8; i++)
                nonce[11 - i] ^= (uint8_t)(nseq >> (8 * i));
            if (tls12) {
                put_be(aad, seq, 8);
                aad[8] = hdr[0];
                put_be(aad + 9, CYTLS_VERSION_TLS12, 2);
                put_be(aad + 11, blen, 2);
                if (explicit_len)
                    put_be(rec + 5, nseq, 8);
                cytls_aead_seal(&aead, body, nonce, aad, 13, body, blen);
            } else {
                cytls_aead_seal(&aead, body, nonce, rec, 5, body, blen);
            }
            if (rflags & 4)
                body[blen + 15] ^= 0x80;
            seq++;
        }
        pos += 5 + wire_len;
    }
    if (s != NULL && out != NULL)
        cytls_aead_clear(&aead);
    return pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    unsigned suite = fuzz_u8(&r) % 8;
    uint8_t flags = fuzz_u8(&r);
    uint16_t limit = fuzz_u16(&r);
    uint16_t budget = fuzz_u16(&r);
    uint64_t seed = fuzz_u32(&r) | 1; /* never 0, which means "whole" */
    const uint8_t *stream = r.p;
    size_t stream_len = r.left;
    uint8_t *built = NULL;
    uint64_t seq = 0;

    cytls_init();
    cytls_set_level(fuzz_levels[(flags >> 4) & 3]);
    if (flags & 4)
        seq = gcm_limit(suite) - 2;
    if (flags & 8) {
        fuzz_reader dry = r;
        built = fuzz_malloc(build_records(suite, seq, &dry, NULL));
        stream_len = build_records(suite, seq, &r, built);
        stream = built;
    }

    struct transcript whole, pieces;
    transcript_init(&whole);
    transcript_init(&pieces);
    for (int pass = 0; pass < 2; pass++) {
        cytls_record_protector *p = fuzz_protector(suite);
        if (flags & 1)
            FUZZ_CHECK(cytls_record_set_limit(p, 64 + limit % 16322));
        if (flags & 2)
            cytls_record_set_skip_budget(p, budget);
        if (flags & 4)
            cytls_record_set_seq(p, seq);
        open_stream(p, stream, stream_len, pass ? seed : 0,
                    pass ? &pieces : &whole);
        cytls_record_free(p);
    }
    FUZZ_CHECK(transcripts_equal(&whole, &pieces));
    transcript_free(&whole);
    transcript_free(&pieces);
    free(built);
    cytls_set_level("native");
    return 0;
}
