/*
 * bench_gcm.c -- C-level throughput of AES-GCM seal and open (13-byte AAD,
 * as openssl speed uses; AES-128 and AES-256) at a few message sizes, on
 * one backend level: the figures below the Python call. The record layer
 * seals with cytls_gcm_seal_trailer, which runs the same bulk loops. Not a
 * test and not run by CI.
 *
 *   python3 scripts/build-ctests.py --main csrc/tests/bench/bench_gcm.c
 *   build/bench_gcm [level] [size...]     (default: native 1350 16384 65536)
 *
 * Each figure is the best of fifteen rounds of about 0.03 s: short rounds,
 * so that the best of them is likely one no other tenant of a shared
 * machine disturbed.
 */
#define _POSIX_C_SOURCE 199309L
#include "bench_util.h"

#include <stdio.h>
#include <string.h>

static uint8_t key[32], nonce[12], aad[13];

int main(int argc, char **argv)
{
    const char *level = bench_level(argc, argv);
    static const size_t default_sizes[] = {1350, 16384, 65536};
    printf("level %s: aes-gcm %s\n", level, cytls_backend_name("aes-gcm"));
    int num = bench_count(argc, 3);
    static cytls_gcm_ctx ctx;
    for (size_t key_len = 16; key_len <= 32; key_len += 16) {
        if (!cytls_gcm_init(&ctx, key, key_len))
            return 2;
        for (int si = 0; si < num; si++) {
            size_t len = bench_size(argc, argv, si, default_sizes);
            uint8_t *in = bench_alloc(len + 16), *out = bench_alloc(len + 16);
            uint8_t *sealed = bench_alloc(len + 16);
            cytls_gcm_seal(&ctx, sealed, nonce, aad, sizeof aad, in, len);
            for (int op = 0; op < 2; op++) {
                double best = 0;
                for (int r = 0; r < 15; r++) {
                    long calls = 0;
                    double t0 = now(), t1;
                    do {
                        for (int k = 0; k < 20; k++) {
                            if (op == 0) {
                                cytls_gcm_seal(&ctx, out, nonce, aad, sizeof aad, in, len);
                            } else if (!cytls_gcm_open(&ctx, out, nonce, aad, sizeof aad,
                                                       sealed, len + 16)) {
                                fprintf(stderr, "open failed\n");
                                return 1;
                            }
                        }
                        calls += 20;
                        t1 = now();
                    } while (t1 - t0 < 0.03);
                    double rate = (double)calls * (double)len / (t1 - t0);
                    if (rate > best)
                        best = rate;
                }
                printf("  AES-%zu %-4s %7zu B  %7.3f GB/s\n", key_len * 8,
                       op == 0 ? "seal" : "open", len, best / 1e9);
            }
            free(in);
            free(out);
            free(sealed);
        }
    }
    cytls_gcm_clear(&ctx);
    return 0;
}
