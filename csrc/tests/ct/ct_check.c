/*
 * ct_check.c -- the constant-time check of cytls's C crypto: every
 * primitive (AES-GCM and ChaCha20-Poly1305 seal and open, SHA-256/384/512,
 * HMAC, HKDF, record seal and open of every suite, X25519 on any u and on
 * the base point) on every backend level this CPU runs, forced through the dispatch with cytls_set_level, as the
 * C test driver does, and the backends it never picks on this CPU, called
 * directly. Three methods share the operations below (README.md next to
 * this file says which evidence covers which backend):
 *
 * valgrind  (built with -DCYTLS_CT_VALGRIND, run under valgrind memcheck):
 *   keys, IVs and nonces, plaintexts and received tags are marked undefined
 *   memory (VALGRIND_MAKE_MEM_UNDEFINED), so memcheck reports every
 *   conditional jump and every memory address that depends on them. The
 *   ciphertext (on the wire) is marked defined. The only secret-derived
 *   values that code may branch on are declassified where they become
 *   public, with CYTLS_DECLASSIFY (internal.h): the tag comparison's
 *   verdict in gcm.c and chapoly.c, and the TLS 1.3 padding and content
 *   type in record.c; the harness declassifies the verdicts it checks.
 *   Nothing is suppressed: scripts/ct-check.py fails on any memcheck
 *   error. valgrind's virtual CPU has no VAES, AVX-512 or
 *   SHA-NI, so the levels run here select the backends it does have.
 *
 * timing    (an ordinary -O3 build, on the real CPU): a dudect-style test.
 *   Each measurement picks one of two classes of secret inputs at random --
 *   fixed (all zeros; for the tag check, the right tag with its last byte
 *   flipped) or fresh random -- prepares them the same way for both
 *   classes, and times the operation with the cycle counter. Welch's t
 *   statistic between the classes is computed on all samples and on the
 *   samples below each of a series of percentiles (dudect's cropping), and
 *   the largest |t| is reported. |t| >= 10 (dudect's bound for a definite
 *   leak), seen twice, fails. A deliberately leaky control (a loop counted
 *   by a secret byte) must exceed it, or the measurement is too noisy to
 *   mean anything.
 *
 * trace     (an ordinary build for aarch64, run under qemu-aarch64 with its
 *   trace of executed translation blocks): each operation runs between two
 *   marker calls with the secrets of class 0, or of class 1 from two
 *   different secret streams, the public inputs the same; the block
 *   sequences must be identical (scripts/ct-check.py compares them). This
 *   shows control flow independent of secrets, not memory access patterns.
 *
 * Usage: ct_check valgrind [--control] | timing [--samples N] [--verbose]
 *        | trace [--class C] [--secret-seed S] [--control];
 *        [--only S] [--level L]
 *   --control runs only the leaky control (valgrind and trace), which the
 *   method must report; --only runs the operations whose name contains S.
 */
#include "../../chapoly_impl.h"
#include "../../sha_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(CYTLS_CT_VALGRIND)
#include <valgrind/memcheck.h>
#define SECRET(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define SECRET(p, n) ((void)(p), (void)(n))
#define PUBLIC(p, n) ((void)(p), (void)(n))
#endif

#if defined(__x86_64__) || defined(_M_X64)
#include <x86intrin.h>
static inline uint64_t cycles(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}
#elif defined(__aarch64__)
static inline uint64_t cycles(void)
{
    uint64_t t;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t)::"memory");
    return t;
}
#else
static inline uint64_t cycles(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

#define MAX_LEN (17000 + 256)
#define THRESHOLD 10.0

static const char *const levels[] = {
    "portable",
#if defined(__x86_64__) || defined(_M_X64)
    "aesni", "avx2", "avx512",
#endif
#if defined(__aarch64__)
    "neon", "armce",
#endif
    NULL};

/* ------------------------------------------------------------------ */
/* inputs                                                              */
/* ------------------------------------------------------------------ */

/*
 * Two generators: one for secrets, one for public values (associated data,
 * the class of each timing sample). The trace method runs the same public
 * stream with different secret streams and compares the control flow.
 */
static uint64_t rng_public = 0x243f6a8885a308d3ull;
static uint64_t rng_secret = 0x13198a2e03707344ull;

static void fill(uint64_t *rng, uint8_t *p, size_t n)
{
    uint64_t x = *rng;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)(x >> 29);
    }
    *rng = x;
}

static void public_bytes(uint8_t *p, size_t n) { fill(&rng_public, p, n); }
static void secret_bytes(uint8_t *p, size_t n) { fill(&rng_secret, p, n); }

/* Inputs of the operation under test; big buffers are static. */
static uint8_t key[64], iv[12], nonce[12], aad[13];
static uint8_t msg[MAX_LEN], ct[MAX_LEN + CYTLS_RECORD_MAX_OVERHEAD * 2];
static uint8_t out[MAX_LEN + CYTLS_RECORD_MAX_OVERHEAD * 2];
static uint8_t rnd[MAX_LEN + 64];
static size_t len, ct_len;
static int want_ok, got_ok;
static cytls_gcm_ctx gcm;
static cytls_record_protector *rw, *rr;

/*
 * class_bytes fills p with n bytes of the class, zeros (0) or random (1),
 * by the same instructions over the same memory for both (fresh random
 * bytes, then a masked copy), so that the preparation leaves the same
 * traces in caches and predictors whichever the class.
 */
static void class_bytes(uint8_t *p, size_t n, int cls)
{
    uint8_t mask = (uint8_t)-cls;
    secret_bytes(rnd, n);
    for (size_t i = 0; i < n; i++)
        p[i] = rnd[i] & mask;
}

/* ------------------------------------------------------------------ */
/* the operations                                                      */
/* ------------------------------------------------------------------ */

struct op {
    const char *name;
    /* prepare sets the inputs for the class and marks the secrets. */
    void (*prepare)(const struct op *op, int cls);
    /* run is the operation measured (timing) or checked (valgrind). */
    void (*run)(const struct op *op);
    int param;        /* key length, hash, or suite */
    size_t timing_len; /* message length of the timing test */
};

static void prep_aead_seal(const struct op *op, int cls)
{
    (void)op;
    class_bytes(key, sizeof key, cls);
    class_bytes(nonce, 12, cls);
    class_bytes(msg, len, cls);
    public_bytes(aad, sizeof aad);
    SECRET(key, sizeof key);
    SECRET(nonce, 12);
    SECRET(msg, len);
}

static void run_gcm_seal(const struct op *op)
{
    cytls_gcm_init(&gcm, key, (size_t)op->param);
    cytls_gcm_seal(&gcm, out, nonce, aad, sizeof aad, msg, len);
}

static void run_gcm_seal_trailer(const struct op *op)
{
    /* A TLS 1.3 record: content, then its type and padding as trailer. */
    size_t t = len > 3 ? 3 : len;
    cytls_gcm_init(&gcm, key, (size_t)op->param);
    cytls_gcm_seal_trailer(&gcm, out, nonce, aad, sizeof aad, msg, len - t,
                           msg + len - t, t);
}

static void run_chapoly_seal(const struct op *op)
{
    (void)op;
    cytls_chapoly_seal(key, out, nonce, aad, sizeof aad, msg, len);
}

static void run_chapoly_seal_trailer(const struct op *op)
{
    size_t t = len > 3 ? 3 : len;
    (void)op;
    cytls_chapoly_seal_trailer(key, out, nonce, aad, sizeof aad, msg, len - t,
                               msg + len - t, t);
}

/*
 * Open with a good tag: both classes open (the verdict is public, so the
 * classes must not differ in it). The key and message are of the class;
 * the sealing happens here, untimed; the ciphertext is public, the tag
 * secret until compared.
 */
static void prep_open_good(const struct op *op, int cls)
{
    prep_aead_seal(op, cls);
    if (op->param == 0)
        cytls_chapoly_seal(key, ct, nonce, aad, sizeof aad, msg, len);
    else {
        cytls_gcm_init(&gcm, key, (size_t)op->param);
        cytls_gcm_seal(&gcm, ct, nonce, aad, sizeof aad, msg, len);
    }
    ct_len = len + 16;
    PUBLIC(ct, len);
    SECRET(ct + len, 16);
    want_ok = 1;
}

/*
 * Open with a bad tag: the key, nonce and ciphertext are fixed; the
 * received tag is the right one with its last byte flipped (class 0: an
 * early-exit compare would run through 15 equal bytes) or random (class
 * 1: it would stop at the first). Both are refused.
 */
static void prep_open_bad(const struct op *op, int cls)
{
    uint8_t near_miss[16];
    memset(key, 0x5c, sizeof key);
    memset(nonce, 0x36, 12);
    memset(aad, 0x17, sizeof aad);
    memset(msg, 0xa5, len);
    if (op->param == 0)
        cytls_chapoly_seal(key, ct, nonce, aad, sizeof aad, msg, len);
    else {
        cytls_gcm_init(&gcm, key, (size_t)op->param);
        cytls_gcm_seal(&gcm, ct, nonce, aad, sizeof aad, msg, len);
    }
    memcpy(near_miss, ct + len, 16);
    near_miss[15] ^= 1;
    secret_bytes(rnd, 16);
    for (int i = 0; i < 16; i++)
        ct[len + i] = (uint8_t)((rnd[i] & -cls) | (near_miss[i] & (cls - 1)));
    ct_len = len + 16;
    SECRET(key, sizeof key);
    SECRET(nonce, 12);
    PUBLIC(ct, len);
    SECRET(ct + len, 16);
    want_ok = 0;
}

static void run_gcm_open(const struct op *op)
{
    cytls_gcm_init(&gcm, key, (size_t)op->param);
    got_ok = cytls_gcm_open(&gcm, out, nonce, aad, sizeof aad, ct, ct_len);
}

static void run_chapoly_open(const struct op *op)
{
    (void)op;
    got_ok = cytls_chapoly_open(key, out, nonce, aad, sizeof aad, ct, ct_len);
}

static void prep_msg(const struct op *op, int cls)
{
    (void)op;
    class_bytes(msg, len, cls);
    SECRET(msg, len);
}

static void run_hash(const struct op *op)
{
    cytls_hash((cytls_hash_alg)op->param, out, msg, len);
}

/* Incremental hashing at public split points (the buffering of hash.c). */
static void run_hash_pieces(const struct op *op)
{
    cytls_hash_ctx h;
    static const size_t steps[] = {1, 63, 64, 65, 127, 128, 129, 300};
    size_t done = 0;
    cytls_hash_init(&h, (cytls_hash_alg)op->param);
    for (int i = 0; done < len; i++) {
        size_t n = steps[i % 8] < len - done ? steps[i % 8] : len - done;
        cytls_hash_update(&h, msg + done, n);
        done += n;
    }
    cytls_hash_final(&h, out);
}

/* HMAC keys of a short, a block-long and a hashed (longer) length. */
static void prep_hmac(const struct op *op, int cls)
{
    (void)op;
    class_bytes(key, sizeof key, cls);
    class_bytes(msg, len + 200, cls);
    SECRET(key, sizeof key);
    SECRET(msg, len + 200);
}

static void run_hmac(const struct op *op)
{
    cytls_hash_alg alg = (cytls_hash_alg)op->param;
    cytls_hmac(alg, out, key, 32, msg, len);
    cytls_hmac(alg, out + 64, key, 64, msg, len);
    cytls_hmac(alg, out + 128, msg, 200, msg + 200, len);
}

/* HKDF as TLS 1.3 uses it: every input a secret but the labels. */
static void run_hkdf(const struct op *op)
{
    cytls_hash_alg alg = (cytls_hash_alg)op->param;
    size_t hl = cytls_hash_digest_len(alg);
    uint8_t prk[64], okm[300];
    static const uint8_t label[] = "c hs traffic";
    cytls_hkdf_extract(alg, prk, key, hl, msg, len);
    cytls_hkdf_expand(alg, okm, sizeof okm, prk, hl, msg, len < 64 ? len : 64);
    cytls_hkdf_expand_label(alg, okm, hl, prk, hl, label, sizeof label - 1,
                            msg, hl);
    cytls_hkdf_extract(alg, prk, NULL, 0, key, hl); /* empty salt */
    memcpy(out, okm, hl);
}

static const struct {
    cytls_aead_alg alg;
    size_t key_len;
    uint16_t version;
} suites[6] = {
    {CYTLS_AEAD_AES_128_GCM, 16, CYTLS_VERSION_TLS13},
    {CYTLS_AEAD_AES_256_GCM, 32, CYTLS_VERSION_TLS13},
    {CYTLS_AEAD_CHACHA20_POLY1305, 32, CYTLS_VERSION_TLS13},
    {CYTLS_AEAD_AES_128_GCM, 16, CYTLS_VERSION_TLS12},
    {CYTLS_AEAD_AES_256_GCM, 32, CYTLS_VERSION_TLS12},
    {CYTLS_AEAD_CHACHA20_POLY1305, 32, CYTLS_VERSION_TLS12},
};

static size_t suite_iv_len(int s)
{
    return suites[s].version == CYTLS_VERSION_TLS12 &&
                   suites[s].alg != CYTLS_AEAD_CHACHA20_POLY1305
               ? 4
               : 12;
}

static void prep_record(const struct op *op, int cls)
{
    (void)op;
    class_bytes(key, sizeof key, cls);
    class_bytes(iv, sizeof iv, cls);
    class_bytes(msg, len, cls);
    SECRET(key, sizeof key);
    SECRET(iv, sizeof iv);
    SECRET(msg, len);
}

/* Record seal, key set-up included (TLS 1.3 with padding to 64 bytes). */
static void run_record_seal(const struct op *op)
{
    int s = op->param;
    size_t n = 0;
    cytls_record_set_key(rw, suites[s].alg, suites[s].version, key,
                         suites[s].key_len, iv, suite_iv_len(s));
    cytls_record_set_pad_block(rw, 64);
    got_ok = cytls_record_seal(rw, out, sizeof out, &n,
                               CYTLS_CT_APPLICATION_DATA, msg, len);
    want_ok = 1;
}

/*
 * Record open: records sealed here (untimed) under the class's key and
 * IV, of every content type with padding; the records are public, but
 * their tags, and the reader's key and IV, are secret.
 */
static void prep_record_open(const struct op *op, int cls)
{
    int s = op->param;
    static const uint8_t alert[2] = {1, 0};
    size_t n = 0, m = 0, k = 0;
    prep_record(op, cls);
    cytls_record_set_key(rw, suites[s].alg, suites[s].version, key,
                         suites[s].key_len, iv, suite_iv_len(s));
    cytls_record_set_key(rr, suites[s].alg, suites[s].version, key,
                         suites[s].key_len, iv, suite_iv_len(s));
    cytls_record_set_pad_block(rw, 64);
    cytls_record_seal(rw, ct, sizeof ct, &n, CYTLS_CT_APPLICATION_DATA, msg,
                      len);
    cytls_record_seal(rw, ct + n, sizeof ct - n, &m, CYTLS_CT_HANDSHAKE, msg,
                      len < 40 ? len : 40);
    if (len > 0)
        cytls_record_seal(rw, ct + n + m, sizeof ct - n - m, &k,
                          CYTLS_CT_ALERT, alert, 2);
    ct_len = n + m + k;
    /* What the wire shows is public; each record's tag is not. */
    PUBLIC(ct, ct_len);
    for (size_t pos = 0; pos + 5 <= ct_len;) {
        size_t rl = (size_t)ct[pos + 3] << 8 | ct[pos + 4];
        SECRET(ct + pos + 5 + rl - 16, 16);
        pos += 5 + rl;
    }
    want_ok = 1;
}

static void run_record_open(const struct op *op)
{
    cytls_record_result res;
    size_t pos = 0;
    (void)op;
    got_ok = 1;
    while (pos < ct_len) {
        cytls_record_open(rr, &res, out, sizeof out, ct + pos, ct_len - pos);
        if (res.status == CYTLS_RECORD_ERROR || res.consumed == 0) {
            got_ok = 0;
            break;
        }
        pos += res.consumed;
    }
}

/*
 * The leaky control: AES-128-GCM open as cytls_gcm_open does it, then an
 * early-exit tag compare and a loop whose trip count is a secret (the
 * first tag byte's difference, 0..31 dependent multiplications): the
 * shape of a variable-time padding or tag check, inside the same work and
 * noise as the real open of the same length. Class 0 (tag right but for
 * its last byte) runs no iterations, class 1 (random tag) 15.5 on average.
 * valgrind must report it; the timing test must see it.
 */
/* X25519: the scalar is the secret; u is marked secret too, since the
 * ladder claims constant time in both (a peer's u is public in TLS, but
 * nothing may branch on it either way). The length is not used. */
static void prep_x25519(const struct op *op, int cls)
{
    (void)op;
    class_bytes(key, 32, cls);
    class_bytes(msg, 32, cls);
    SECRET(key, 32);
    SECRET(msg, 32);
}

static void run_x25519(const struct op *op)
{
    (void)op;
    /* The all-zero verdict is declassified in x25519.c; nothing to check. */
    (void)cytls_x25519(out, key, msg);
}

static void run_x25519_base(const struct op *op)
{
    (void)op;
    (void)cytls_x25519_base(out, key);
}

static volatile uint64_t control_sink;

static void run_leaky_open(const struct op *op)
{
    (void)op;
    cytls_gcm_init(&gcm, key, 16);
    cytls_gcm_seal(&gcm, out, nonce, aad, sizeof aad, ct, len);
    got_ok = 1;
    for (size_t i = 0; i < 16; i++) {
        if (out[len + i] != ct[len + i]) {
            got_ok = 0;
            break;
        }
    }
    uint64_t x = control_sink;
    for (unsigned i = 0; i < ((out[len] ^ ct[len]) & 31u); i++)
        x = x * x + 1;
    control_sink = x;
}

static const struct op ops[] = {
    {"aes128gcm-seal", prep_aead_seal, run_gcm_seal, 16, 1024},
    {"aes256gcm-seal", prep_aead_seal, run_gcm_seal, 32, 1024},
    {"aes128gcm-seal-trailer", prep_aead_seal, run_gcm_seal_trailer, 16, 1024},
    {"aes128gcm-open-good", prep_open_good, run_gcm_open, 16, 1024},
    {"aes256gcm-open-good", prep_open_good, run_gcm_open, 32, 1024},
    {"aes128gcm-open-badtag", prep_open_bad, run_gcm_open, 16, 64},
    {"chapoly-seal", prep_aead_seal, run_chapoly_seal, 0, 1024},
    {"chapoly-seal-trailer", prep_aead_seal, run_chapoly_seal_trailer, 0, 1024},
    {"chapoly-open-good", prep_open_good, run_chapoly_open, 0, 1024},
    {"chapoly-open-badtag", prep_open_bad, run_chapoly_open, 0, 64},
    {"sha256", prep_msg, run_hash, CYTLS_SHA256, 1024},
    {"sha384", prep_msg, run_hash, CYTLS_SHA384, 1024},
    {"sha512", prep_msg, run_hash, CYTLS_SHA512, 1024},
    {"sha256-pieces", prep_msg, run_hash_pieces, CYTLS_SHA256, 1024},
    {"sha384-pieces", prep_msg, run_hash_pieces, CYTLS_SHA384, 1024},
    {"hmac-sha256", prep_hmac, run_hmac, CYTLS_SHA256, 256},
    {"hmac-sha384", prep_hmac, run_hmac, CYTLS_SHA384, 256},
    {"hkdf-sha256", prep_hmac, run_hkdf, CYTLS_SHA256, 64},
    {"hkdf-sha384", prep_hmac, run_hkdf, CYTLS_SHA384, 64},
    {"record13-aes128gcm-seal", prep_record, run_record_seal, 0, 1024},
    {"record13-aes256gcm-seal", prep_record, run_record_seal, 1, 1024},
    {"record13-chapoly-seal", prep_record, run_record_seal, 2, 1024},
    {"record12-aes128gcm-seal", prep_record, run_record_seal, 3, 1024},
    {"record12-aes256gcm-seal", prep_record, run_record_seal, 4, 1024},
    {"record12-chapoly-seal", prep_record, run_record_seal, 5, 1024},
    {"record13-aes128gcm-open", prep_record_open, run_record_open, 0, 1024},
    {"record13-aes256gcm-open", prep_record_open, run_record_open, 1, 1024},
    {"record13-chapoly-open", prep_record_open, run_record_open, 2, 1024},
    {"record12-aes128gcm-open", prep_record_open, run_record_open, 3, 1024},
    {"record12-aes256gcm-open", prep_record_open, run_record_open, 4, 1024},
    {"record12-chapoly-open", prep_record_open, run_record_open, 5, 1024},
    {"x25519", prep_x25519, run_x25519, 0, 0},
    {"x25519-base", prep_x25519, run_x25519_base, 0, 0},
};
#define NUM_OPS (sizeof ops / sizeof ops[0])

#if defined(__x86_64__) || defined(_M_X64)
/*
 * Backends the dispatch never picks on a CPU that has something better:
 * Poly1305 AVX-512F where the CPU has IFMA, SHA-256 AVX2 where it has
 * SHA-NI. They are called directly, when the CPU runs them at all.
 */
static void run_poly1305_impl(const struct op *op)
{
    const struct cytls_poly1305_impl *impl =
        op->param == 1 ? &cytls_poly1305_avx512_impl : &cytls_poly1305_avx2_impl;
    cytls_poly1305_state st;
    impl->init(&st, key);
    impl->blocks(&st, msg, len & ~(size_t)15, 1);
    impl->finish(&st, out);
}

static void run_sha256_avx2(const struct op *op)
{
    uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    (void)op;
    cytls_sha256_blocks_avx2(state, msg, len / 64);
    memcpy(out, state, sizeof state);
}

static const struct direct_op {
    struct op op;
    uint32_t needs; /* feature bits the CPU must have */
} direct_ops[] = {
    {{"poly1305-avx512f", prep_aead_seal, run_poly1305_impl, 1, 1024},
     CYTLS_CPU_AVX512},
    {{"poly1305-avx2", prep_aead_seal, run_poly1305_impl, 0, 1024},
     CYTLS_CPU_AVX2},
    {{"sha256-avx2", prep_msg, run_sha256_avx2, 0, 1024}, CYTLS_CPU_AVX2},
};
#define NUM_DIRECT_OPS (sizeof direct_ops / sizeof direct_ops[0])
#else
/* None elsewhere: one entry that no CPU runs keeps the loops simple. */
static const struct direct_op {
    struct op op;
    uint32_t needs;
} direct_ops[1] = {{{"none", prep_msg, run_hash, CYTLS_SHA256, 64}, 0xffffffffu}};
#define NUM_DIRECT_OPS 1
#endif

/* Whether the CPU (or valgrind's virtual one) runs direct op i. */
static int direct_available(size_t i)
{
    return (cytls_cpu_detected() & direct_ops[i].needs) == direct_ops[i].needs;
}

static const struct op leaky = {"control-gcm-open-early-exit", prep_open_bad,
                                run_leaky_open, 16, 64};

static const char *backends(void)
{
    static char buf[160];
    snprintf(buf, sizeof buf, "aes-gcm=%s chacha20=%s poly1305=%s sha256=%s sha512=%s",
             cytls_backend_name("aes-gcm"), cytls_backend_name("chacha20"),
             cytls_backend_name("poly1305"), cytls_backend_name("sha256"),
             cytls_backend_name("sha512"));
    return buf;
}

/* ------------------------------------------------------------------ */
/* valgrind                                                            */
/* ------------------------------------------------------------------ */

/* Lengths around every block, lane and group size of every backend. */
static const size_t lengths[] = {0,   1,   15,  16,  17,   63,   64,   65,
                                 127, 128, 255, 256, 257,  511,  512,  513,
                                 1023, 1024, 1025, 2047, 4113, 16384, 17000};
#define NUM_LENGTHS (sizeof lengths / sizeof lengths[0])

static int check_op(const struct op *op, int *failures)
{
    for (size_t i = 0; i < NUM_LENGTHS; i++) {
        len = lengths[i];
        /* HMAC and HKDF read 200 bytes past len; record content is at
         * most 2^14 + a part of a second record. */
        if (len + 200 > MAX_LEN)
            continue;
        for (int cls = 0; cls <= 1; cls++) {
            want_ok = got_ok = -1;
            op->prepare(op, cls);
            op->run(op);
            /* The verdict is public: declassify it to check it. */
            PUBLIC(&got_ok, sizeof got_ok);
            if (want_ok >= 0 && got_ok != want_ok) {
                printf("ct_check: %s len %zu: verdict %d, want %d\n", op->name,
                       len, got_ok, want_ok);
                (*failures)++;
            }
        }
    }
    return 0;
}

static int main_valgrind(int control, const char *only, const char *level)
{
    int failures = 0;
    if (control) {
        /* memcheck must report the early exit on the undefined tag. */
        len = leaky.timing_len;
        leaky.prepare(&leaky, 1);
        leaky.run(&leaky);
        printf("ct_check: control run (memcheck must report it)\n");
        return 0;
    }
    for (const char *const *l = levels; *l; l++) {
        if (level && strcmp(level, *l) != 0)
            continue;
        cytls_set_level(*l);
        printf("ct_check valgrind: level %-8s %s\n", *l, backends());
        fflush(stdout);
        for (size_t i = 0; i < NUM_OPS; i++)
            if (!only || strstr(ops[i].name, only))
                check_op(&ops[i], &failures);
    }
    for (size_t i = 0; i < NUM_DIRECT_OPS; i++) {
        if (!direct_available(i) || (only && !strstr(direct_ops[i].op.name, only)))
            continue;
        printf("ct_check valgrind: direct   %s\n", direct_ops[i].op.name);
        check_op(&direct_ops[i].op, &failures);
    }
    cytls_set_level("native");
    return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* trace (under qemu -d exec,nochain)                                  */
/* ------------------------------------------------------------------ */

/*
 * The trace method runs every operation with the secrets of one class and
 * secret stream, between calls of two marker functions, and lists the
 * operations on stdout; scripts/ct-check.py runs it under qemu with the
 * trace of every executed translation block (a block ends at each branch)
 * and compares the block sequences between the markers across classes and
 * streams: any difference is control flow that depends on a secret.
 */
__attribute__((noinline)) void ct_trace_begin(void) { __asm__ volatile(""); }
__attribute__((noinline)) void ct_trace_end(void) { __asm__ volatile(""); }

/* Lengths for the trace: every block and group boundary up to a few
 * groups of the widest backend (control flow repeats beyond that). */
static const size_t trace_lengths[] = {0,   1,   15,  16,  17,  63,  64,
                                       65,  127, 128, 255, 256, 257, 511,
                                       512, 513, 1025};

static void trace_op(const char *lvl, const struct op *op, int cls)
{
    for (size_t k = 0; k < sizeof trace_lengths / sizeof trace_lengths[0]; k++) {
        len = trace_lengths[k];
        want_ok = got_ok = -1;
        op->prepare(op, cls);
        ct_trace_begin();
        op->run(op);
        ct_trace_end();
        printf("%s %s %zu %d\n", lvl, op->name, len, got_ok);
    }
}

static int main_trace(int cls, int control, const char *only, const char *level)
{
    for (const char *const *l = levels; *l; l++) {
        if (level && strcmp(level, *l) != 0)
            continue;
        cytls_set_level(*l);
        printf("# level %s: %s\n", *l, backends());
        if (control) {
            trace_op(*l, &leaky, cls);
            continue;
        }
        for (size_t i = 0; i < NUM_OPS; i++)
            if (!only || strstr(ops[i].name, only))
                trace_op(*l, &ops[i], cls);
    }
    cytls_set_level("native");
    return 0;
}

/* ------------------------------------------------------------------ */
/* timing                                                              */
/* ------------------------------------------------------------------ */

struct welch {
    double n[2], mean[2], m2[2];
};

static void welch_add(struct welch *w, int cls, double x)
{
    w->n[cls] += 1;
    double d = x - w->mean[cls];
    w->mean[cls] += d / w->n[cls];
    w->m2[cls] += d * (x - w->mean[cls]);
}

static double welch_t(const struct welch *w)
{
    if (w->n[0] < 2 || w->n[1] < 2)
        return 0;
    double v0 = w->m2[0] / (w->n[0] - 1), v1 = w->m2[1] / (w->n[1] - 1);
    double se = sqrt(v0 / w->n[0] + v1 / w->n[1]);
    return se > 0 ? (w->mean[0] - w->mean[1]) / se : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define NUM_CROPS 20

static int verbose;

/*
 * measure runs op n times with random classes and returns the largest
 * |t| over the uncropped samples and NUM_CROPS croppings below the
 * percentiles 1 - 0.5^(10 (k + 1) / NUM_CROPS) of all samples (dudect
 * keeps the fast ones, where noise from interrupts is least).
 */
static double measure(const struct op *op, size_t n, double *mean_cycles)
{
    uint64_t *t = malloc(n * sizeof *t);
    uint8_t *cls = malloc(n);
    uint64_t *sorted = malloc(n * sizeof *sorted);
    if (t == NULL || cls == NULL || sorted == NULL) {
        fprintf(stderr, "ct_check: out of memory\n");
        exit(2);
    }
    len = op->timing_len;
    public_bytes(cls, n);
    /* Warm up caches and predictors with both classes. */
    for (size_t i = 0; i < 200; i++) {
        op->prepare(op, (int)(i & 1));
        op->run(op);
    }
    for (size_t i = 0; i < n; i++) {
        int c = cls[i] & 1;
        want_ok = got_ok = -1;
        op->prepare(op, c);
        uint64_t t0 = cycles();
        op->run(op);
        uint64_t t1 = cycles();
        t[i] = t1 - t0;
        if (got_ok != want_ok && want_ok >= 0) {
            fprintf(stderr, "ct_check: %s: verdict %d, want %d\n", op->name,
                    got_ok, want_ok);
            exit(1);
        }
    }
    memcpy(sorted, t, n * sizeof *t);
    qsort(sorted, n, sizeof *sorted, cmp_u64);
    double best = 0, sum = 0;
    for (int k = -1; k < NUM_CROPS; k++) {
        uint64_t limit = UINT64_MAX;
        if (k >= 0) {
            double p = 1 - pow(0.5, 10.0 * (k + 1) / NUM_CROPS);
            limit = sorted[(size_t)(p * (double)(n - 1))];
        }
        struct welch w = {{0}, {0}, {0}};
        for (size_t i = 0; i < n; i++)
            if (t[i] <= limit)
                welch_add(&w, cls[i] & 1, (double)t[i]);
        double tv = fabs(welch_t(&w));
        if (tv > best)
            best = tv;
    }
    for (size_t i = 0; i < n; i++)
        sum += (double)t[i];
    *mean_cycles = sum / (double)n;
    if (verbose) {
        /* Each class's percentiles, to see the spread the test works on. */
        for (int c = 0; c <= 1; c++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if ((cls[i] & 1) == c)
                    sorted[m++] = t[i];
            qsort(sorted, m, sizeof *sorted, cmp_u64);
            printf("      class %d: n %zu min %llu p10 %llu p50 %llu p90 %llu "
                   "p99 %llu\n",
                   c, m, (unsigned long long)sorted[0],
                   (unsigned long long)sorted[m / 10],
                   (unsigned long long)sorted[m / 2],
                   (unsigned long long)sorted[m * 9 / 10],
                   (unsigned long long)sorted[m * 99 / 100]);
        }
    }
    free(t);
    free(cls);
    free(sorted);
    return best;
}

/*
 * timed measures op and prints its |t|. A result on the wrong side of the
 * threshold (a leak; or for the control, none) is measured once more with
 * fresh samples, and counts only if it repeats: a real leak does, a burst
 * of noise from the machine's other work rarely does. Returns 1 if it
 * counts as a failure.
 */
static int timed(const char *lvl, const struct op *op, size_t n, int control,
                 double *worst)
{
    double mean, tv = measure(op, n, &mean);
    int bad = control ? tv < THRESHOLD : tv >= THRESHOLD;
    printf("  %-8s %-28s |t| = %7.2f  (%.0f cycles)", lvl, op->name, tv, mean);
    if (bad) {
        double again = measure(op, n, &mean);
        printf("  again %.2f", again);
        bad = control ? again < THRESHOLD : again >= THRESHOLD;
        if (!control && again < tv)
            tv = again;
    }
    if (control)
        printf("  %s\n", bad ? "NOT SEEN: too noisy to conclude"
                             : "leak seen, as it must be");
    else
        printf("%s\n", bad ? "  LEAK" : "");
    fflush(stdout);
    if (!control && tv > *worst)
        *worst = tv;
    return bad;
}

static int main_timing(size_t n, const char *only, const char *level)
{
    int failures = 0;
    double ignored = 0;
    printf("ct_check timing: %zu samples per operation, fail at |t| >= %.1f\n",
           n, THRESHOLD);
    for (const char *const *l = levels; *l; l++) {
        if (level && strcmp(level, *l) != 0)
            continue;
        cytls_set_level(*l);
        printf("level %s: %s\n", *l, backends());
        /* The control must show its leak, or the noise hides leaks. It
         * gets twice the samples: on the slow portable level its leak is
         * small beside the noise, and it costs little next to the rest. */
        failures += timed(*l, &leaky, 2 * n, 1, &ignored);
        double worst = 0;
        for (size_t i = 0; i < NUM_OPS; i++)
            if (!only || strstr(ops[i].name, only))
                failures += timed(*l, &ops[i], n, 0, &worst);
        printf("  %-8s worst |t| = %.2f\n", *l, worst);
    }
    for (size_t i = 0; i < NUM_DIRECT_OPS; i++) {
        const struct op *op = &direct_ops[i].op;
        if (!direct_available(i) || (only && !strstr(op->name, only)) || level)
            continue;
        failures += timed("direct", op, n, 0, &ignored);
    }
    cytls_set_level("native");
    printf("ct_check timing: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *only = NULL, *level = NULL;
    size_t samples = 100000;
    int control = 0;
    int cls = 0;
    if (argc < 2 || (strcmp(argv[1], "valgrind") && strcmp(argv[1], "timing") &&
                     strcmp(argv[1], "trace"))) {
        fprintf(stderr, "usage: ct_check valgrind [--control] | timing "
                        "[--samples N] | trace --class C [--secret-seed S]; "
                        "[--only S] [--level L]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--control"))
            control = 1;
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = (size_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--level") && i + 1 < argc)
            level = argv[++i];
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else if (!strcmp(argv[i], "--class") && i + 1 < argc)
            cls = atoi(argv[++i]) != 0;
        else if (!strcmp(argv[i], "--secret-seed") && i + 1 < argc)
            rng_secret ^= strtoull(argv[++i], NULL, 0) * 0x9e3779b97f4a7c15ull;

        else {
            fprintf(stderr, "ct_check: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    cytls_init();
    rw = cytls_record_new();
    rr = cytls_record_new();
    if (rw == NULL || rr == NULL)
        return 2;
    int status;
    if (!strcmp(argv[1], "valgrind"))
        status = main_valgrind(control, only, level);
    else if (!strcmp(argv[1], "trace"))
        status = main_trace(cls, control, only, level);
    else
        status = main_timing(samples, only, level);
    cytls_record_free(rw);
    cytls_record_free(rr);
    return status;
}
