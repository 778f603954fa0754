/*
 * internal.h -- what the files of csrc/ share with each other but not with
 * callers: the per-family dispatch hooks that cpu.c drives.
 *
 * Each primitive family owns its dispatch table. cytls_<family>_select()
 * picks the best backend the given feature bits allow and stores function
 * pointers; cytls_<family>_backend() names the one in use. cpu.c calls every
 * select once at cytls_init() and again when the level is forced.
 */
#ifndef CYTLS_INTERNAL_H
#define CYTLS_INTERNAL_H

#include "cytls.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(_M_AMD64)
#define CYTLS_X86_64 1
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define CYTLS_AARCH64 1
#endif

/*
 * CYTLS_DECLASSIFY(p, n) says that the n bytes at p, computed from secrets,
 * are public from here on, so that code may branch on them: the verdict of
 * a tag comparison, and what the record layer hands its caller anyway (the
 * TLS 1.3 inner content type and padding). It compiles to nothing, except
 * in the constant-time check of csrc/tests/ct/ (built with
 * CYTLS_CT_VALGRIND), where valgrind memcheck treats secrets as undefined
 * memory and reports every branch or index on them not declassified here.
 * Each use is one of the few secret-derived values the design makes public.
 */
#if defined(CYTLS_CT_VALGRIND)
#include <valgrind/memcheck.h>
#define CYTLS_DECLASSIFY(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define CYTLS_DECLASSIFY(p, n) ((void)0)
#endif

void cytls_gcm_select(uint32_t features);
const char *cytls_gcm_backend(void);
void cytls_chacha20_select(uint32_t features);
const char *cytls_chacha20_backend(void);
void cytls_poly1305_select(uint32_t features);
const char *cytls_poly1305_backend(void);
void cytls_sha256_select(uint32_t features);
const char *cytls_sha256_backend(void);
void cytls_sha512_select(uint32_t features);
const char *cytls_sha512_backend(void);

/*
 * cytls_x25519_precompute builds the fixed-base table of x25519.c from the
 * base point, once (later calls return at once). cpu.c calls it the first
 * time cytls_init or cytls_set_level runs. It returns 0 only if the
 * arithmetic is broken (the base point's square root fails).
 */
int cytls_x25519_precompute(void);

#endif /* CYTLS_INTERNAL_H */
