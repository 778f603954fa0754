/*
 * fuzz_aead.c -- libFuzzer target for the AEAD open path (cytls_gcm_open,
 * cytls_chapoly_open through cytls_aead_open) with arbitrary keys, nonces,
 * associated data, ciphertexts, tags and lengths, and for seal and
 * seal_trailer, differentially across every backend level this CPU runs.
 * The input layout is in fuzz_common.h.
 *
 * Checked besides the sanitizers: every backend seals the same bytes, and
 * seal_trailer the same as seal of the whole message; every backend gives
 * the same verdict and output on open; a sealed message opens to itself
 * (in place or not); a changed ciphertext, tag or length never opens, and
 * a refused open leaves zeros in out, never plaintext.
 */
#include "fuzz_common.h"

struct keyed {
    cytls_aead *aead[NUM_FUZZ_LEVELS];
};

/* Keys one AEAD per level: a GCM context keeps the backend that expanded
 * its key; ChaCha20-Poly1305 follows the level set at each call. */
static void keyed_init(struct keyed *k, cytls_aead_alg alg, const uint8_t *key,
                       size_t key_len)
{
    for (int l = 0; l < NUM_FUZZ_LEVELS; l++) {
        cytls_set_level(fuzz_levels[l]);
        k->aead[l] = cytls_aead_new();
        FUZZ_CHECK(k->aead[l] != NULL);
        FUZZ_CHECK(cytls_aead_init(k->aead[l], alg, key, key_len));
    }
}

static void keyed_free(struct keyed *k)
{
    for (int l = 0; l < NUM_FUZZ_LEVELS; l++) {
        cytls_aead_clear(k->aead[l]);
        cytls_aead_free(k->aead[l]);
    }
}

/*
 * open_all opens ct (len bytes) on every level, in place or not, checks
 * that they agree and that a refusal leaves zeros, and returns the
 * verdict; the plaintext of the last level is left in pt (len - 16 bytes,
 * when len >= 16).
 */
static int open_all(struct keyed *k, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *ct, size_t len,
                    int in_place, uint8_t *pt)
{
    size_t pt_len = len >= 16 ? len - 16 : 0;
    int verdict = -1;
    uint8_t *first = fuzz_malloc(pt_len);
    for (int l = 0; l < NUM_FUZZ_LEVELS; l++) {
        cytls_set_level(fuzz_levels[l]);
        uint8_t *in = fuzz_malloc(len);
        uint8_t *out = in_place ? in : fuzz_malloc(pt_len);
        memcpy(in, ct, len);
        if (!in_place)
            memset(out, 0xee, pt_len);
        int ok = cytls_aead_open(k->aead[l], out, nonce, aad, aad_len, in, len);
        FUZZ_CHECK(ok == 0 || ok == 1);
        FUZZ_CHECK(len >= 16 || !ok);
        if (!ok && len >= 16) {
            for (size_t i = 0; i < pt_len; i++)
                FUZZ_CHECK(out[i] == 0);
        }
        if (l == 0) {
            verdict = ok;
            memcpy(first, out, pt_len);
        } else {
            FUZZ_CHECK(ok == verdict);
            FUZZ_CHECK(len < 16 || memcmp(out, first, pt_len) == 0);
        }
        if (l == NUM_FUZZ_LEVELS - 1)
            memcpy(pt, out, pt_len);
        if (!in_place)
            free(out);
        free(in);
    }
    free(first);
    return verdict;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const cytls_aead_alg algs[3] = {CYTLS_AEAD_AES_128_GCM,
                                           CYTLS_AEAD_AES_256_GCM,
                                           CYTLS_AEAD_CHACHA20_POLY1305};
    fuzz_reader r = {data, size};
    cytls_aead_alg alg = algs[fuzz_u8(&r) % 3];
    uint8_t mode = fuzz_u8(&r);
    uint8_t trail = fuzz_u8(&r);
    uint16_t epos = fuzz_u16(&r);
    uint8_t eval = fuzz_u8(&r);
    uint8_t key[32] = {0}, nonce[12] = {0};
    size_t got;
    const uint8_t *p = fuzz_bytes(&r, 32, &got);
    memcpy(key, p, got);
    p = fuzz_bytes(&r, 12, &got);
    memcpy(nonce, p, got);
    size_t aad_len;
    const uint8_t *aad_in = fuzz_bytes(&r, fuzz_u8(&r), &aad_len);
    uint8_t *aad = fuzz_malloc(aad_len);
    memcpy(aad, aad_in, aad_len);
    size_t msg_len = r.left;
    const uint8_t *msg = r.p;
    int in_place = (mode & 2) != 0;

    cytls_init();
    struct keyed k;
    keyed_init(&k, alg, key, alg == CYTLS_AEAD_AES_128_GCM ? 16 : 32);

    if (!(mode & 1)) {
        /* Peer bytes as ciphertext || tag: almost surely refused, and
         * every backend must refuse them the same way. */
        uint8_t *pt = fuzz_malloc(msg_len);
        open_all(&k, nonce, aad, aad_len, msg, msg_len, in_place, pt);
        free(pt);
    } else {
        /* Seal on every level; all agree, and seal_trailer agrees. */
        size_t ct_len = msg_len + 16;
        uint8_t *ct = fuzz_malloc(ct_len);
        uint8_t *other = fuzz_malloc(ct_len);
        uint8_t *in = fuzz_malloc(msg_len);
        memcpy(in, msg, msg_len);
        size_t t = msg_len ? trail % (msg_len + 1) : 0;
        for (int l = 0; l < NUM_FUZZ_LEVELS; l++) {
            cytls_set_level(fuzz_levels[l]);
            uint8_t *dst = l == 0 ? ct : other;
            if (in_place) {
                memcpy(dst, msg, msg_len);
                cytls_aead_seal(k.aead[l], dst, nonce, aad, aad_len, dst, msg_len);
            } else {
                cytls_aead_seal(k.aead[l], dst, nonce, aad, aad_len, in, msg_len);
            }
            FUZZ_CHECK(l == 0 || memcmp(other, ct, ct_len) == 0);
            if (mode & 16) {
                uint8_t *tr = fuzz_malloc(t);
                memcpy(tr, msg + msg_len - t, t);
                memset(other, 0, ct_len);
                cytls_aead_seal_trailer(k.aead[l], other, nonce, aad, aad_len,
                                        in, msg_len - t, tr, t);
                FUZZ_CHECK(memcmp(other, ct, ct_len) == 0);
                free(tr);
            }
        }
        /* Change it (or not), then open it. */
        size_t len = ct_len;
        if (mode & 8)
            len = epos % (ct_len + 17);
        uint8_t *edited = fuzz_malloc(len);
        memcpy(edited, ct, len < ct_len ? len : ct_len);
        for (size_t i = ct_len; i < len; i++)
            edited[i] = eval;
        if ((mode & 4) && len > 0)
            edited[epos % len] ^= (uint8_t)(eval | 1);
        int same = len == ct_len && memcmp(edited, ct, len) == 0;
        uint8_t *pt = fuzz_malloc(len);
        int ok = open_all(&k, nonce, aad, aad_len, edited, len, in_place, pt);
        /* A forgery would need a 2^-128 chance: any change is refused. */
        FUZZ_CHECK(ok == same);
        FUZZ_CHECK(!ok || memcmp(pt, msg, msg_len) == 0);
        free(pt);
        free(edited);
        free(in);
        free(other);
        free(ct);
    }
    keyed_free(&k);
    free(aad);
    cytls_set_level("native");
    return 0;
}
