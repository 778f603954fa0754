/*
 * bench_util.h -- what the C benchmarks of this folder share: a monotonic
 * clock, and the backend level named on the command line, set up.
 */
#ifndef CYTLS_BENCH_UTIL_H
#define CYTLS_BENCH_UTIL_H

#include "cytls.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* cytls_init, then the level argv[1] (default: native); exits with 2 on an
 * unknown level. Returns the level's name. */
static inline const char *bench_level(int argc, char **argv)
{
    const char *level = argc > 1 ? argv[1] : "native";
    cytls_init();
    if (!cytls_set_level(level)) {
        fprintf(stderr, "unknown level %s\n", level);
        exit(2);
    }
    return level;
}

/* The i-th message size: argv[2 + i] when sizes were given, else
 * defaults[i]; count says how many there are. */
static inline size_t bench_size(int argc, char **argv, int i, const size_t *defaults)
{
    return argc > 2 ? (size_t)strtoul(argv[2 + i], NULL, 10) : defaults[i];
}

static inline int bench_count(int argc, int num_defaults)
{
    return argc > 2 ? argc - 2 : num_defaults;
}

/* A zeroed buffer of n bytes, or exit with 2. */
static inline uint8_t *bench_alloc(size_t n)
{
    uint8_t *p = calloc(n, 1);
    if (!p)
        exit(2);
    return p;
}

#endif /* CYTLS_BENCH_UTIL_H */
