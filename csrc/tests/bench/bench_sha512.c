/*
 * bench_sha512.c -- C-level cost of SHA-384 on the short inputs a TLS
 * handshake hashes (one to three blocks: its HMACs, HKDF labels and
 * transcript digests) and on a long input, on one backend level: the
 * figures below the Python call. Not a test and not run by CI.
 *
 *   python3 scripts/build-ctests.py --main csrc/tests/bench/bench_sha512.c
 *   build/bench_sha512 [level]          (default: native)
 *
 * Each figure is the best of five rounds of about 0.1 s, in ns per call.
 */
#define _POSIX_C_SOURCE 199309L
#include "bench_util.h"

#include <stdio.h>
#include <string.h>

static uint8_t msg[16384], key[48], out[64];

static void run(int what, size_t len)
{
    if (what == 0) {
        cytls_hash(CYTLS_SHA384, out, msg, len);
    } else {
        cytls_hmac_ctx h;
        cytls_hmac_init(&h, CYTLS_SHA384, key, sizeof key);
        cytls_hmac_update(&h, msg, len);
        cytls_hmac_final(&h, out);
    }
    msg[0] ^= out[0]; /* a dependency, so no call is optimised away */
}

int main(int argc, char **argv)
{
    const char *level = bench_level(argc, argv);
    printf("level %s: sha512 %s\n", level, cytls_backend_name("sha512"));
    static const size_t sizes[] = {48, 100, 200, 300, 16384};
    static const char *const names[] = {"sha384", "hmac-sha384"};
    for (int what = 0; what < 2; what++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            double best = 1e30;
            size_t n = sizes[i] > 1000 ? 2000 : 200000;
            for (int r = 0; r < 5; r++) {
                double t0 = now();
                for (size_t k = 0; k < n; k++)
                    run(what, sizes[i]);
                double dt = (now() - t0) / (double)n;
                if (dt < best)
                    best = dt;
            }
            printf("%-12s %6zu B  %8.1f ns\n", names[what], sizes[i], best * 1e9);
        }
    }
    return 0;
}
