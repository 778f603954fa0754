/*
 * make_seeds.c -- writes the seed corpus of every target in fuzz/: small
 * inputs in each target's layout (fuzz_common.h) that reach each suite,
 * version and mode, with records sealed by cytls itself under the fixed
 * key, so that the fuzzer starts from authentic records and mutates them.
 *
 * Usage: make_seeds DIR -- writes DIR/<target>/seed-<n> for each target
 * (the same bytes every run; scripts/run-fuzz.py runs it before fuzzing).
 */
#include "fuzz_common.h"

#include <errno.h>
#include <sys/stat.h>

static const char *out_dir;

static void write_seed(const char *target, int n, const uint8_t *p, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/seed-%03d", out_dir, target, n);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* A growable byte buffer. */
struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void put16(struct buf *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v);
}

static void put32(struct buf *b, uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v);
}

/* Seal content with protector p and append the records to b. */
static void seal(struct buf *b, cytls_record_protector *p, uint8_t type,
                 const uint8_t *content, size_t n)
{
    size_t need = cytls_record_seal_len(p, n), len = 0;
    uint8_t *out = fuzz_malloc(need);
    if (!cytls_record_seal(p, out, need, &len, type, content, n)) {
        fprintf(stderr, "make_seeds: seal type %u len %zu refused\n", type, n);
        exit(1);
    }
    put(b, out, len);
    free(out);
}

static void record_open_seeds(void)
{
    static uint8_t content[3000];
    int n = 0;
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (uint8_t)(i * 7 + 3);
    /* Records sealed by cytls: a flight of each type, then a long one. */
    for (unsigned suite = 0; suite <= NUM_FUZZ_SUITES; suite++) {
        for (int big = 0; big <= 1; big++) {
            struct buf b = {0};
            cytls_record_protector *p = fuzz_protector(suite);
            put8(&b, suite);
            put8(&b, (suite % 4) << 4); /* a level per suite */
            put16(&b, 0);
            put16(&b, 0);
            put32(&b, 0x12345678u + suite);
            if (!big) {
                static const uint8_t alert[2] = {1, 0};
                seal(&b, p, 22, content, 40);
                seal(&b, p, 23, content, 100);
                seal(&b, p, 23, content, 1);
                seal(&b, p, 21, alert, 2);
            } else {
                seal(&b, p, 23, content, 3000);
            }
            write_seed("fuzz_record_open", n++, b.p, b.len);
            cytls_record_free(p);
            free(b.p);
        }
    }
    /* Record lists the target protects itself (flag bit 3). */
    for (unsigned suite = 0; suite <= NUM_FUZZ_SUITES; suite++) {
        for (int variant = 0; variant < 3; variant++) {
            struct buf b = {0};
            int tls13 = suite < NUM_FUZZ_SUITES &&
                        fuzz_suites[suite].version == CYTLS_VERSION_TLS13;
            put8(&b, suite);
            put8(&b, 8 | (variant == 1 ? 1 : 0) | (variant == 2 ? 2 : 0));
            put16(&b, 200);
            put16(&b, 100);
            put32(&b, 0x9abcdef0u + suite);
            /* A CCS, a handshake message, application data, an alert. */
            static const uint8_t ccs_rec[] = {0, 20, 3, 3, 0, 1, 0, 1, 1};
            put(&b, ccs_rec, sizeof ccs_rec);
            static const uint8_t hs13[] = {22, 0, 0, 0};
            static const uint8_t app13[] = {'h', 'i', 23, 0, 0, 0};
            static const uint8_t alert13[] = {1, 0, 21};
            static const uint8_t zeros[8] = {0};
            const uint8_t *bodies[4] = {hs13, app13, alert13, zeros};
            size_t lens[4] = {sizeof hs13, sizeof app13, sizeof alert13,
                              sizeof zeros};
            uint8_t types[4] = {22, 23, 21, 23};
            static const uint8_t hs12[] = {20, 0, 0, 12, 1, 2, 3, 4,
                                           5, 6, 7, 8, 9, 10, 11, 12};
            static const uint8_t app12[] = {'h', 'i'};
            static const uint8_t alert12[] = {1, 0};
            if (!tls13) {
                bodies[0] = hs12;
                lens[0] = sizeof hs12;
                bodies[1] = app12;
                lens[1] = sizeof app12;
                bodies[2] = alert12;
                lens[2] = sizeof alert12;
                lens[3] = 0;
            }
            for (int i = 0; i < 4; i++) {
                uint8_t type = tls13 ? 23 : types[i];
                put8(&b, variant == 2 && i == 3 ? 1 | 8 : 1);
                put8(&b, type);
                put16(&b, 0x0303);
                put16(&b, 0); /* the target fills in the length */
                put16(&b, lens[i]);
                put(&b, bodies[i], lens[i]);
            }
            write_seed("fuzz_record_open", n++, b.p, b.len);
            free(b.p);
        }
    }
}

static void record_seal_seeds(void)
{
    int n = 0;
    for (unsigned suite = 0; suite <= NUM_FUZZ_SUITES; suite++) {
        for (int variant = 0; variant < 4; variant++) {
            struct buf b = {0};
            static const uint8_t flag_sets[4] = {0, 1 | 2, 4 | 128, 64 | 2};
            put8(&b, suite);
            put8(&b, flag_sets[variant] | (uint8_t)((suite + variant) % 4) << 4);
            put16(&b, 100);    /* limit 164 with bit 0 */
            put16(&b, 32);     /* pad block */
            put32(&b, 0x0badf00du + suite * 4 + (unsigned)variant);
            put16(&b, 37);     /* mutate position */
            put8(&b, 0x40);    /* mutate xor */
            /* type - 20, op, length, pad / 67, pattern */
            static const uint8_t ops[][6] = {
                {2, 0, 0, 40, 0, 1},   /* handshake, 40 bytes */
                {3, 0, 1, 0, 0, 2},    /* application data, 256 */
                {1, 0, 0, 2, 0, 3},    /* one alert */
                {3, 1, 0, 10, 1, 4},   /* padded application data */
                {3, 0, 0xe0, 0, 0, 5}, /* 17344 (fuzz_len): two records */
                {0, 0, 0, 1, 0, 1},    /* CCS, the byte 1 */
            };
            for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
                put(&b, ops[i], 6);
            write_seed("fuzz_record_seal", n++, b.p, b.len);
            free(b.p);
        }
    }
}

static void aead_seeds(void)
{
    static const size_t lens[] = {0, 1, 15, 16, 17, 64, 255, 256, 257, 1000};
    static const uint8_t modes[] = {1, 1 | 2, 1 | 4, 1 | 8, 1 | 16, 1 | 2 | 16, 0};
    int n = 0;
    for (unsigned alg = 0; alg < 3; alg++) {
        for (size_t m = 0; m < sizeof modes; m++) {
            for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
                if (modes[m] != 1 && k % 3 != m % 3)
                    continue; /* every length with mode 1, a third with others */
                struct buf b = {0};
                put8(&b, alg);
                put8(&b, modes[m]);
                put8(&b, (unsigned)(lens[k] / 3));
                put16(&b, (unsigned)(lens[k] * 5 + 1));
                put8(&b, 0x5a);
                for (int i = 0; i < 32; i++)
                    put8(&b, (unsigned)(i * 11 + alg));
                for (int i = 0; i < 12; i++)
                    put8(&b, (unsigned)(i + 100));
                put8(&b, 13);
                for (int i = 0; i < 13; i++)
                    put8(&b, (unsigned)i);
                for (size_t i = 0; i < lens[k] + (modes[m] ? 0 : 16); i++)
                    put8(&b, (unsigned)(i * 31 + 7));
                write_seed("fuzz_aead", n++, b.p, b.len);
                free(b.p);
            }
        }
    }
}

/* fuzz_x25519: scalar a, u, scalar b; the RFC 7748 section 5.2 inputs,
 * small-order and non-canonical u, extreme scalars. */
static void x25519_seeds(void)
{
    static const uint8_t fills[][3] = {
        {0x00, 0x00, 0x00}, {0xff, 0xff, 0xff}, {0x88, 0x09, 0x77},
        {0x5a, 0x01, 0xa5}, {0x12, 0xee, 0x34},
    };
    int n = 0;
    for (size_t f = 0; f < sizeof fills / sizeof fills[0]; f++) {
        struct buf b = {0};
        for (int part = 0; part < 3; part++)
            for (int i = 0; i < 32; i++)
                put8(&b, fills[f][part]);
        write_seed("fuzz_x25519", n++, b.p, b.len);
        free(b.p);
    }
    /* u = 9 and u = p + 9 (p = 2^255 - 19) with scalar bytes 1..32. */
    for (int w = 0; w < 2; w++) {
        struct buf b = {0};
        for (int i = 0; i < 32; i++)
            put8(&b, (unsigned)(i + 1));
        for (int i = 0; i < 32; i++)
            put8(&b, w == 0 ? (i == 0 ? 9u : 0u)
                            : (i == 0 ? 0xf6u : i == 31 ? 0x7fu : 0xffu)); /* 0xed + 9 */
        for (int i = 0; i < 32; i++)
            put8(&b, (unsigned)(200 - i));
        write_seed("fuzz_x25519", n++, b.p, b.len);
        free(b.p);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        perror(out_dir);
        return 1;
    }
    cytls_init();
    record_open_seeds();
    record_seal_seeds();
    aead_seeds();
    x25519_seeds();
    return 0;
}
