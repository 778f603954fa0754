/*
 * cpu.c -- detect the CPU once and fill every dispatch table.
 *
 * Detection asks the CPU (CPUID) and the OS (XGETBV on x86-64, HWCAP or
 * sysctl on aarch64): an instruction set counts only when the OS also saves
 * its registers across context switches. The level named by CYTLS_BACKEND
 * caps what the dispatch may use, so tests can force every backend.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#if defined(CYTLS_X86_64)
#if defined(_MSC_VER)
#include <intrin.h>
#include <immintrin.h>
#else
#include <cpuid.h>
#endif
#endif

#if defined(CYTLS_AARCH64)
#if defined(__linux__)
#include <sys/auxv.h>
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#elif defined(_WIN32)
#include <windows.h>
#endif
#endif

struct level {
    const char *name;
    uint32_t allowed;
};

#define X86_AESNI_SET \
    (CYTLS_CPU_SSE41 | CYTLS_CPU_AESNI | CYTLS_CPU_PCLMUL | CYTLS_CPU_SHANI)
#define ARM_CE_SET \
    (CYTLS_CPU_ARM_AES | CYTLS_CPU_ARM_SHA2 | CYTLS_CPU_ARM_SHA512)

/* Lowest first; "native" last so that it never caps anything. */
static const struct level levels[] = {
    {"portable", 0},
#if defined(CYTLS_X86_64)
    {"aesni", X86_AESNI_SET},
    {"avx2", X86_AESNI_SET | CYTLS_CPU_AVX2 | CYTLS_CPU_VAES},
    {"avx512", X86_AESNI_SET | CYTLS_CPU_AVX2 | CYTLS_CPU_VAES |
                   CYTLS_CPU_AVX512},
#endif
#if defined(CYTLS_AARCH64)
    {"neon", CYTLS_CPU_NEON},
    {"armce", CYTLS_CPU_NEON | ARM_CE_SET},
#endif
    {"native", 0xffffffffu},
};

static int initialised;
static uint32_t detected;
static uint32_t in_use;
static const char *level_in_use = "native";

#if defined(CYTLS_X86_64)
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
#if defined(_MSC_VER)
    int regs[4];
    __cpuidex(regs, (int)leaf, (int)sub);
    for (int i = 0; i < 4; i++)
        r[i] = (uint32_t)regs[i];
#else
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

static uint64_t xgetbv0(void)
{
#if defined(_MSC_VER)
    return _xgetbv(0);
#else
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
#endif
}

static uint32_t detect(void)
{
    uint32_t r[4], f = 0;
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    if (max_leaf < 1)
        return 0;
    cpuid(1, 0, r);
    uint32_t ecx1 = r[2], edx1 = r[3];
    int sse41 = (edx1 >> 26 & 1) && (ecx1 >> 9 & 1) && (ecx1 >> 19 & 1);
    if (sse41)
        f |= CYTLS_CPU_SSE41;
    if (sse41 && (ecx1 >> 25 & 1))
        f |= CYTLS_CPU_AESNI;
    if (sse41 && (ecx1 >> 1 & 1))
        f |= CYTLS_CPU_PCLMUL;
    int osxsave = ecx1 >> 27 & 1, avx = ecx1 >> 28 & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    int ymm_saved = (xcr0 & 0x6) == 0x6;
    int zmm_saved = (xcr0 & 0xe6) == 0xe6;
    if (max_leaf < 7)
        return f;
    cpuid(7, 0, r);
    uint32_t ebx7 = r[1], ecx7 = r[2];
    if (sse41 && (ebx7 >> 29 & 1))
        f |= CYTLS_CPU_SHANI;
    int avx2 = avx && ymm_saved && (ebx7 >> 5 & 1) && (ebx7 >> 8 & 1);
    if (avx2)
        f |= CYTLS_CPU_AVX2;
    if (avx2 && (f & CYTLS_CPU_AESNI) && (f & CYTLS_CPU_PCLMUL) &&
        (ecx7 >> 9 & 1) && (ecx7 >> 10 & 1))
        f |= CYTLS_CPU_VAES;
    int avx512 = avx2 && zmm_saved && (ebx7 >> 16 & 1) &&
                 (ebx7 >> 30 & 1) && (ebx7 >> 31 & 1);
    if (avx512)
        f |= CYTLS_CPU_AVX512;
    return f;
}
#elif defined(CYTLS_AARCH64)
static uint32_t detect(void)
{
    uint32_t f = CYTLS_CPU_NEON; /* Advanced SIMD is part of ARMv8-A */
#if defined(__linux__)
    unsigned long hw = getauxval(AT_HWCAP);
    /* HWCAP bits of the Linux arm64 ABI */
    if ((hw & (1ul << 3)) && (hw & (1ul << 4)))
        f |= CYTLS_CPU_ARM_AES; /* HWCAP_AES, HWCAP_PMULL */
    if (hw & (1ul << 6))
        f |= CYTLS_CPU_ARM_SHA2; /* HWCAP_SHA2 */
    if (hw & (1ul << 21))
        f |= CYTLS_CPU_ARM_SHA512; /* HWCAP_SHA512 */
#elif defined(__APPLE__)
    int v = 0;
    size_t n = sizeof v;
    /* Every Apple aarch64 CPU has AES, PMULL and SHA-256. */
    f |= CYTLS_CPU_ARM_AES | CYTLS_CPU_ARM_SHA2;
    if (sysctlbyname("hw.optional.armv8_2_sha512", &v, &n, NULL, 0) == 0 && v)
        f |= CYTLS_CPU_ARM_SHA512;
#elif defined(_WIN32)
    if (IsProcessorFeaturePresent(PF_ARM_V8_CRYPTO_INSTRUCTIONS_AVAILABLE))
        f |= CYTLS_CPU_ARM_AES | CYTLS_CPU_ARM_SHA2;
#endif
    return f;
}
#else
static uint32_t detect(void) { return 0; }
#endif

static void dispatch(uint32_t features)
{
    in_use = features;
    cytls_gcm_select(features);
    cytls_chacha20_select(features);
    cytls_poly1305_select(features);
    cytls_sha256_select(features);
    cytls_sha512_select(features);
}

/* see cytls.h */
int cytls_set_level(const char *name)
{
    if (!initialised) {
        detected = detect();
        /* Once, at start-up (the binding runs this at import, under the
         * GIL), so X25519's table needs no lock later. */
        cytls_x25519_precompute();
        initialised = 1;
    }
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcmp(levels[i].name, name) == 0) {
            level_in_use = levels[i].name;
            dispatch(detected & levels[i].allowed);
            return 1;
        }
    }
    return 0;
}

/* see cytls.h */
int cytls_init(void)
{
    if (initialised)
        return 1;
    const char *forced = getenv("CYTLS_BACKEND");
    if (forced != NULL && forced[0] != '\0' && cytls_set_level(forced))
        return 1;
    cytls_set_level("native");
    return forced == NULL || forced[0] == '\0';
}

/* see cytls.h */
uint32_t cytls_cpu_detected(void)
{
    cytls_init();
    return detected;
}

/* see cytls.h */
uint32_t cytls_cpu_features(void)
{
    cytls_init();
    return in_use;
}

/* see cytls.h */
const char *cytls_level_name(void)
{
    cytls_init();
    return level_in_use;
}

/* see cytls.h */
const char *cytls_backend_name(const char *primitive)
{
    cytls_init();
    if (strcmp(primitive, "aes-gcm") == 0)
        return cytls_gcm_backend();
    if (strcmp(primitive, "chacha20") == 0)
        return cytls_chacha20_backend();
    if (strcmp(primitive, "poly1305") == 0)
        return cytls_poly1305_backend();
    if (strcmp(primitive, "sha256") == 0)
        return cytls_sha256_backend();
    if (strcmp(primitive, "sha512") == 0)
        return cytls_sha512_backend();
    return NULL;
}

#if !(defined(__GNUC__) || defined(__clang__))
/* see cytls.h */
void cytls_memzero(void *p, size_t n)
{
    /* A volatile function pointer stops the compiler proving memset dead. */
    static void *(*volatile wipe)(void *, int, size_t) = memset;
    wipe(p, 0, n);
}
#endif
