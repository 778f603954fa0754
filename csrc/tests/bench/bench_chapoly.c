/*
 * bench_chapoly.c -- C-level throughput of ChaCha20, Poly1305 and the
 * ChaCha20-Poly1305 AEAD (13-byte AAD, as openssl speed uses) at a few
 * message sizes, on one backend level: the figures below the Python call,
 * to tell the crypto from the binding. Not a test and not run by CI.
 *
 *   python3 scripts/build-ctests.py --main csrc/tests/bench/bench_chapoly.c
 *   build/bench_chapoly [level] [size...]     (default: native 64 1024 16384)
 *
 * Each figure is the best of five rounds of about 0.1 s.
 */
#define _POSIX_C_SOURCE 199309L
#include "bench_util.h"

#include <stdio.h>
#include <string.h>

enum op { CHACHA20, POLY1305, SEAL, OPEN };
static const char *const op_names[] = {"chacha20", "poly1305", "seal", "open"};

static uint8_t key[32], nonce[12], aad[13];

static void run_op(enum op op, uint8_t *out, uint8_t *in, uint8_t *sealed,
                   size_t len)
{
    switch (op) {
    case CHACHA20:
        cytls_chacha20_xor(out, in, len, key, nonce, 1);
        break;
    case POLY1305:
        cytls_poly1305(out, key, in, len);
        break;
    case SEAL:
        cytls_chapoly_seal(key, out, nonce, aad, sizeof aad, in, len);
        break;
    case OPEN:
        if (!cytls_chapoly_open(key, out, nonce, aad, sizeof aad, sealed,
                                len + 16)) {
            fprintf(stderr, "open failed\n");
            exit(1);
        }
        break;
    }
}

int main(int argc, char **argv)
{
    const char *level = bench_level(argc, argv);
    static const size_t default_sizes[] = {64, 1024, 16384};
    printf("level %s: chacha20 %s, poly1305 %s\n", level,
           cytls_backend_name("chacha20"), cytls_backend_name("poly1305"));
    int num = bench_count(argc, 3);
    for (int si = 0; si < num; si++) {
        size_t len = bench_size(argc, argv, si, default_sizes);
        uint8_t *in = bench_alloc(len + 16), *out = bench_alloc(len + 16);
        uint8_t *sealed = bench_alloc(len + 16);
        cytls_chapoly_seal(key, sealed, nonce, aad, sizeof aad, in, len);
        for (int op = CHACHA20; op <= OPEN; op++) {
            double best = 0;
            for (int r = 0; r < 5; r++) {
                long calls = 0;
                double t0 = now(), t1;
                do {
                    for (int k = 0; k < 100; k++)
                        run_op((enum op)op, out, in, sealed, len);
                    calls += 100;
                    t1 = now();
                } while (t1 - t0 < 0.1);
                double rate = (double)calls * (double)len / (t1 - t0);
                if (rate > best)
                    best = rate;
            }
            printf("  %-9s %7zu B  %7.3f GB/s  %8.1f ns per call\n",
                   op_names[op], len, best / 1e9, (double)len / best * 1e9);
        }
        free(in);
        free(out);
        free(sealed);
    }
    return 0;
}
