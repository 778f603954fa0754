/*
 * cytls.h -- the C API of cytls's crypto core and record layer.
 *
 * Portable C11, no Python headers. Every function is documented here; the
 * definitions say "see cytls.h". Functions return 1 for success and 0 for
 * failure unless documented otherwise; none returns an overloaded value.
 *
 * Backends: every primitive has a portable constant-time C implementation
 * and, where the CPU allows, accelerated ones. The backend is chosen once,
 * at cytls_init(), from the detected CPU features capped by the level named
 * in the environment variable CYTLS_BACKEND. Keyed contexts (GCM) remember
 * the backend that initialised them, so forcing a different level later
 * (tests do) never mixes two key layouts.
 */
#ifndef CYTLS_H
#define CYTLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* CPU features and dispatch (cpu.c)                                   */
/* ------------------------------------------------------------------ */

/* Feature bits, as detected and then capped by the forced level. */
#define CYTLS_CPU_SSE41      (1u << 0)  /* SSE2..SSE4.1 and SSSE3 */
#define CYTLS_CPU_AESNI      (1u << 1)
#define CYTLS_CPU_PCLMUL     (1u << 2)
#define CYTLS_CPU_SHANI      (1u << 3)
#define CYTLS_CPU_AVX2       (1u << 4)  /* AVX, AVX2 and BMI2, OS saves YMM */
#define CYTLS_CPU_VAES       (1u << 5)  /* VAES and VPCLMULQDQ (with AVX2) */
#define CYTLS_CPU_AVX512     (1u << 6)  /* AVX-512 F, BW, VL; OS saves ZMM */
#define CYTLS_CPU_NEON       (1u << 16) /* aarch64 Advanced SIMD */
#define CYTLS_CPU_ARM_AES    (1u << 17) /* AESE/AESD and PMULL */
#define CYTLS_CPU_ARM_SHA2   (1u << 18) /* SHA-256 instructions */
#define CYTLS_CPU_ARM_SHA512 (1u << 19) /* SHA-512 instructions */

/*
 * cytls_init detects the CPU once, applies CYTLS_BACKEND from the
 * environment if set, and fills every dispatch table. It is idempotent and
 * returns 1, or 0 if CYTLS_BACKEND names an unknown level (the detected
 * level is then used).
 */
int cytls_init(void);

/* cytls_cpu_detected returns the feature bits the CPU and OS provide. */
uint32_t cytls_cpu_detected(void);

/* cytls_cpu_features returns the feature bits in use (detected & level). */
uint32_t cytls_cpu_features(void);

/*
 * cytls_set_level caps the features in use at the named level and refills
 * the dispatch tables. Levels, lowest first: "portable" everywhere; on
 * x86-64 "aesni" (SSE4.1, AES-NI, PCLMULQDQ, SHA-NI), "avx2" (adds AVX2,
 * VAES, VPCLMULQDQ), "avx512" (adds AVX-512); on aarch64 "neon", "armce"
 * (adds AES, PMULL, SHA-2, SHA-512); "native" means no cap. It returns 0 for
 * an unknown name and changes nothing then. Not thread-safe: for start-up
 * and tests.
 */
int cytls_set_level(const char *name);

/* cytls_level_name returns the name of the level in use. */
const char *cytls_level_name(void);

/*
 * cytls_backend_name returns the backend that a primitive uses now:
 * primitive is one of "aes-gcm", "chacha20", "poly1305", "sha256",
 * "sha512". It returns NULL for an unknown primitive.
 */
const char *cytls_backend_name(const char *primitive);

/* cytls_memzero wipes n bytes at p in a way the compiler cannot elide. */
void cytls_memzero(void *p, size_t n);

/* ------------------------------------------------------------------ */
/* AES-GCM (aes_*.c, ghash_*.c, gcm.c)                                 */
/* ------------------------------------------------------------------ */

#define CYTLS_GCM_TAG_LEN 16
#define CYTLS_GCM_NONCE_LEN 12

struct cytls_gcm_impl;

/*
 * cytls_gcm_ctx holds an expanded AES key and the GHASH key powers in the
 * layout of the backend that created it. Treat it as opaque. It may be
 * copied bytewise only together with its alignment.
 */
typedef struct cytls_gcm_ctx {
    const struct cytls_gcm_impl *impl;
    unsigned key_len;
    unsigned rounds;
    _Alignas(64) uint8_t state[3072];
} cytls_gcm_ctx;

/* cytls_gcm_init expands a 16- or 32-byte AES key; 0 for other lengths. */
int cytls_gcm_init(cytls_gcm_ctx *ctx, const uint8_t *key, size_t key_len);

/* cytls_gcm_clear wipes the context. */
void cytls_gcm_clear(cytls_gcm_ctx *ctx);

/*
 * cytls_gcm_seal encrypts in_len bytes of in under the 12-byte nonce,
 * authenticating aad, and writes in_len bytes of ciphertext followed by the
 * 16-byte tag to out. out may equal in; otherwise they must not overlap.
 */
void cytls_gcm_seal(const cytls_gcm_ctx *ctx, uint8_t *out,
                    const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, size_t in_len);

/*
 * cytls_gcm_open checks the tag (the last 16 bytes of in, in_len >= 16)
 * and writes in_len - 16 bytes of plaintext to out. The tag is compared in
 * constant time. On a bad tag it returns 0 and out holds zeros, never
 * plaintext. out may equal in.
 */
int cytls_gcm_open(const cytls_gcm_ctx *ctx, uint8_t *out,
                   const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t in_len);

/* ------------------------------------------------------------------ */
/* ChaCha20-Poly1305, RFC 8439 (chacha20_*.c, poly1305_*.c, chapoly.c)  */
/* ------------------------------------------------------------------ */

#define CYTLS_CHAPOLY_KEY_LEN 32
#define CYTLS_CHAPOLY_TAG_LEN 16
#define CYTLS_CHAPOLY_NONCE_LEN 12

/* cytls_chapoly_seal: as cytls_gcm_seal, with a 32-byte key. */
void cytls_chapoly_seal(const uint8_t *key, uint8_t *out,
                        const uint8_t *nonce, const uint8_t *aad,
                        size_t aad_len, const uint8_t *in, size_t in_len);

/* cytls_chapoly_open: as cytls_gcm_open, with a 32-byte key. */
int cytls_chapoly_open(const uint8_t *key, uint8_t *out,
                       const uint8_t *nonce, const uint8_t *aad,
                       size_t aad_len, const uint8_t *in, size_t in_len);

/*
 * cytls_chacha20_xor is the raw RFC 8439 ChaCha20 cipher (32-byte key,
 * 12-byte nonce, 32-bit block counter), exposed for the known-answer tests.
 */
void cytls_chacha20_xor(uint8_t *out, const uint8_t *in, size_t len,
                        const uint8_t *key, const uint8_t *nonce,
                        uint32_t counter);

/* cytls_poly1305 computes the one-time MAC of msg under a 32-byte key. */
void cytls_poly1305(uint8_t tag[16], const uint8_t *key,
                    const uint8_t *msg, size_t len);

/* ------------------------------------------------------------------ */
/* Generic AEAD used by the record layer                               */
/* ------------------------------------------------------------------ */

typedef enum {
    CYTLS_AEAD_AES_128_GCM = 1,
    CYTLS_AEAD_AES_256_GCM = 2,
    CYTLS_AEAD_CHACHA20_POLY1305 = 3
} cytls_aead_alg;

typedef struct cytls_aead {
    cytls_aead_alg alg;
    uint8_t chapoly_key[32];
    cytls_gcm_ctx gcm;
} cytls_aead;

/* cytls_aead_init keys an AEAD; 0 for a bad algorithm or key length. */
int cytls_aead_init(cytls_aead *aead, cytls_aead_alg alg,
                    const uint8_t *key, size_t key_len);

/* cytls_aead_clear wipes the key material. */
void cytls_aead_clear(cytls_aead *aead);

/* cytls_aead_seal: see cytls_gcm_seal; the tag is 16 bytes for all three. */
void cytls_aead_seal(const cytls_aead *aead, uint8_t *out,
                     const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                     const uint8_t *in, size_t in_len);

/* cytls_aead_open: see cytls_gcm_open. */
int cytls_aead_open(const cytls_aead *aead, uint8_t *out,
                    const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, size_t in_len);

/* ------------------------------------------------------------------ */
/* SHA-2 (sha256_*.c, sha512_*.c, hash.c)                              */
/* ------------------------------------------------------------------ */

typedef enum {
    CYTLS_SHA256 = 1,
    CYTLS_SHA384 = 2,
    CYTLS_SHA512 = 3
} cytls_hash_alg;

#define CYTLS_HASH_MAX_LEN 64
#define CYTLS_HASH_MAX_BLOCK 128

/*
 * cytls_hash_ctx is an incremental SHA-2 state. A plain struct copy is a
 * valid copy of the running hash (transcripts rely on it).
 */
typedef struct cytls_hash_ctx {
    cytls_hash_alg alg;
    uint64_t total_len;            /* bytes hashed so far */
    size_t buf_len;                /* bytes waiting in buf */
    union {
        uint32_t s256[8];
        uint64_t s512[8];
    } h;
    uint8_t buf[CYTLS_HASH_MAX_BLOCK];
} cytls_hash_ctx;

/* cytls_hash_digest_len returns 32, 48 or 64; 0 for an unknown alg. */
size_t cytls_hash_digest_len(cytls_hash_alg alg);

/* cytls_hash_block_len returns 64 or 128; 0 for an unknown alg. */
size_t cytls_hash_block_len(cytls_hash_alg alg);

/* cytls_hash_init starts a hash; 0 for an unknown alg. */
int cytls_hash_init(cytls_hash_ctx *ctx, cytls_hash_alg alg);

/* cytls_hash_update absorbs len bytes. */
void cytls_hash_update(cytls_hash_ctx *ctx, const uint8_t *data, size_t len);

/*
 * cytls_hash_final writes the digest (cytls_hash_digest_len bytes) to out
 * and wipes the context; copy the context first to keep hashing.
 */
void cytls_hash_final(cytls_hash_ctx *ctx, uint8_t *out);

/* cytls_hash computes a one-shot digest; 0 for an unknown alg. */
int cytls_hash(cytls_hash_alg alg, uint8_t *out, const uint8_t *data,
               size_t len);

/* ------------------------------------------------------------------ */
/* HMAC and HKDF (hmac.c, hkdf.c)                                      */
/* ------------------------------------------------------------------ */

typedef struct cytls_hmac_ctx {
    cytls_hash_ctx inner;
    cytls_hash_ctx outer;
} cytls_hmac_ctx;

/* cytls_hmac_init keys an HMAC of any key length; 0 for an unknown alg. */
int cytls_hmac_init(cytls_hmac_ctx *ctx, cytls_hash_alg alg,
                    const uint8_t *key, size_t key_len);

/* cytls_hmac_update absorbs message bytes. */
void cytls_hmac_update(cytls_hmac_ctx *ctx, const uint8_t *data, size_t len);

/* cytls_hmac_final writes the MAC (digest length) and wipes the context. */
void cytls_hmac_final(cytls_hmac_ctx *ctx, uint8_t *out);

/* cytls_hmac computes a one-shot HMAC; 0 for an unknown alg. */
int cytls_hmac(cytls_hash_alg alg, uint8_t *out, const uint8_t *key,
               size_t key_len, const uint8_t *msg, size_t msg_len);

/*
 * cytls_hkdf_extract writes PRK = HMAC(salt, ikm) (digest length) to out.
 * An empty salt means HashLen zero bytes (RFC 5869 section 2.2).
 */
int cytls_hkdf_extract(cytls_hash_alg alg, uint8_t *out, const uint8_t *salt,
                       size_t salt_len, const uint8_t *ikm, size_t ikm_len);

/*
 * cytls_hkdf_expand writes out_len bytes of OKM. It returns 0, writing
 * nothing, when out_len > 255 * HashLen or the alg is unknown.
 */
int cytls_hkdf_expand(cytls_hash_alg alg, uint8_t *out, size_t out_len,
                      const uint8_t *prk, size_t prk_len,
                      const uint8_t *info, size_t info_len);

/*
 * cytls_hkdf_expand_label is HKDF-Expand-Label of RFC 8446 section 7.1:
 * the label gets the "tls13 " prefix here. It returns 0 when out_len >
 * 65535, the prefixed label is over 255 bytes, the context over 255 bytes,
 * or the expansion itself fails.
 */
int cytls_hkdf_expand_label(cytls_hash_alg alg, uint8_t *out, size_t out_len,
                            const uint8_t *secret, size_t secret_len,
                            const uint8_t *label, size_t label_len,
                            const uint8_t *context, size_t context_len);

/* ------------------------------------------------------------------ */
/* Record layer (record.c) -- declared below by its section.           */
/* ------------------------------------------------------------------ */

/* CYTLS_RECORD_API_BEGIN */
/* CYTLS_RECORD_API_END */

#ifdef __cplusplus
}
#endif

#endif /* CYTLS_H */
