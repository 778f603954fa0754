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
#include <string.h>

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

/*
 * cytls_memzero wipes n bytes at p in a way the compiler cannot elide.
 * With GCC and Clang it is inline, so that the wipes of small secrets (hash
 * states, schedules, keys: several hundred per handshake) are a few stores
 * instead of a call: the empty asm statement may read any memory through p,
 * so the memset before it cannot be proved dead. Elsewhere it calls memset
 * through a volatile function pointer (cpu.c).
 */
#if defined(__GNUC__) || defined(__clang__)
static inline void cytls_memzero(void *p, size_t n)
{
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}
#else
void cytls_memzero(void *p, size_t n);
#endif

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
 * cytls_gcm_seal_trailer seals the message in || trailer (in_len +
 * trailer_len bytes) as cytls_gcm_seal would seal it from one buffer, and
 * writes in_len + trailer_len bytes of ciphertext and the 16-byte tag to
 * out, without first copying in next to the trailer: the bulk is encrypted
 * straight from in, and only the last partial block group of in (under
 * 256 bytes) and the trailer are moved into out and encrypted there. The
 * TLS 1.3 record layer seals content || content type || padding with it.
 * out may equal in; otherwise they must not overlap. trailer may be
 * out + in_len (already in place) or any buffer that does not overlap
 * out + in_len .. out + in_len + trailer_len otherwise.
 */
void cytls_gcm_seal_trailer(const cytls_gcm_ctx *ctx, uint8_t *out,
                            const uint8_t *nonce, const uint8_t *aad,
                            size_t aad_len, const uint8_t *in, size_t in_len,
                            const uint8_t *trailer, size_t trailer_len);

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

/* cytls_chapoly_seal_trailer: as cytls_gcm_seal_trailer, with a 32-byte
 * key; only the last partial 64-byte block of in is copied. */
void cytls_chapoly_seal_trailer(const uint8_t *key, uint8_t *out,
                                const uint8_t *nonce, const uint8_t *aad,
                                size_t aad_len, const uint8_t *in,
                                size_t in_len, const uint8_t *trailer,
                                size_t trailer_len);

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

/*
 * cytls_aead_new allocates a zeroed cytls_aead with the 64-byte alignment
 * its GCM state needs (heap and Python objects only promise 16), or returns
 * NULL when memory is short. Free it with cytls_aead_free.
 */
cytls_aead *cytls_aead_new(void);

/* cytls_aead_free wipes and frees an AEAD from cytls_aead_new; NULL is ok. */
void cytls_aead_free(cytls_aead *aead);

/* cytls_aead_seal: see cytls_gcm_seal; the tag is 16 bytes for all three. */
void cytls_aead_seal(const cytls_aead *aead, uint8_t *out,
                     const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                     const uint8_t *in, size_t in_len);

/* cytls_aead_seal_trailer: see cytls_gcm_seal_trailer (in || trailer
 * sealed without copying in first). */
void cytls_aead_seal_trailer(const cytls_aead *aead, uint8_t *out,
                             const uint8_t *nonce, const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t in_len,
                             const uint8_t *trailer, size_t trailer_len);

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

/* One HKDF-Expand-Label output: out_len bytes into out for label and context. */
typedef struct cytls_hkdf_label {
    uint8_t *out;
    size_t out_len;
    const uint8_t *label;
    size_t label_len;
    const uint8_t *context;
    size_t context_len;
} cytls_hkdf_label;

/*
 * cytls_hkdf_expand_labels derives several HKDF-Expand-Label outputs from
 * one secret (a TLS 1.3 traffic secret's key and iv, a stage's secrets),
 * keying the HMAC once. It returns 0, writing nothing, when any request is
 * out of range as for cytls_hkdf_expand_label (or over 255 * HashLen).
 */
int cytls_hkdf_expand_labels(cytls_hash_alg alg, const uint8_t *secret, size_t secret_len,
                             const cytls_hkdf_label *labels, size_t num_labels);

/* ------------------------------------------------------------------ */
/* Record layer (record.c) -- declared below by its section.           */
/* ------------------------------------------------------------------ */

/* CYTLS_RECORD_API_BEGIN */

/*
 * The TLS record layer (record.c): framing and AEAD protection of TLS 1.3
 * (RFC 8446 section 5) and TLS 1.2 AEAD (RFC 5246 section 6.2.3.3, RFC 5288,
 * RFC 7905) records, whole batches per call.
 *
 * A cytls_record_protector holds one direction's state: with no key it
 * frames plaintext records; once keyed it holds the AEAD (key expanded
 * once), the static IV, the 64-bit sequence number and the limits. Nonces
 * (IV XOR sequence number) are built here, never by the caller.
 */

#define CYTLS_RECORD_HEADER_LEN 5
#define CYTLS_RECORD_MAX_PLAINTEXT 16384          /* 2^14 */
#define CYTLS_RECORD_MAX_CIPHERTEXT_13 (16384 + 256)
#define CYTLS_RECORD_MAX_CIPHERTEXT_12 (16384 + 2048)
/* The largest number of bytes one record adds to its content when sealed. */
#define CYTLS_RECORD_MAX_OVERHEAD (CYTLS_RECORD_HEADER_LEN + 8 + 16 + 256)

#define CYTLS_CT_CHANGE_CIPHER_SPEC 20
#define CYTLS_CT_ALERT 21
#define CYTLS_CT_HANDSHAKE 22
#define CYTLS_CT_APPLICATION_DATA 23

#define CYTLS_VERSION_TLS12 0x0303
#define CYTLS_VERSION_TLS13 0x0304

/* AES-GCM's record limit in TLS 1.3 (RFC 8446 section 5.5): 2^24.5 records. */
#define CYTLS_RECORD_GCM_LIMIT 23726566ull

/* Alert descriptions the record layer raises (RFC 8446 section 6.2). */
#define CYTLS_ALERT_UNEXPECTED_MESSAGE 10
#define CYTLS_ALERT_BAD_RECORD_MAC 20
#define CYTLS_ALERT_RECORD_OVERFLOW 22
#define CYTLS_ALERT_DECODE_ERROR 50
#define CYTLS_ALERT_PROTOCOL_VERSION 70
#define CYTLS_ALERT_INTERNAL_ERROR 80

/* What cytls_record_open stopped on. */
typedef enum {
    CYTLS_RECORD_NEED_MORE = 0, /* every complete record handled; any rest
                                   is an incomplete record */
    CYTLS_RECORD_STOPPED = 1,   /* stopped after one non-application-data
                                   record, whose type and payload are given */
    CYTLS_RECORD_ERROR = 2      /* a fatal error: send the alert */
} cytls_record_status;

/* Why a record was refused; cytls_record_error_string describes each. */
typedef enum {
    CYTLS_RECORD_E_NONE = 0,
    CYTLS_RECORD_E_BAD_TYPE,         /* unknown or misplaced content type */
    CYTLS_RECORD_E_BAD_VERSION,      /* record version not TLS */
    CYTLS_RECORD_E_OVERFLOW,         /* record longer than allowed */
    CYTLS_RECORD_E_SHORT,            /* too short to hold an AEAD tag */
    CYTLS_RECORD_E_BAD_MAC,          /* authentication failed */
    CYTLS_RECORD_E_INNER_OVERFLOW,   /* plaintext longer than the limit */
    CYTLS_RECORD_E_NO_CONTENT_TYPE,  /* TLS 1.3 inner plaintext all zeros */
    CYTLS_RECORD_E_EMPTY,            /* zero-length handshake/alert/CCS */
    CYTLS_RECORD_E_BAD_CCS,          /* CCS not the single byte 1 */
    CYTLS_RECORD_E_PROTECTED_CCS,    /* CCS under record protection */
    CYTLS_RECORD_E_ALERT_LENGTH,     /* alert record not exactly 2 bytes */
    CYTLS_RECORD_E_SEQ_EXHAUSTED,    /* sequence number would wrap */
    CYTLS_RECORD_E_EARLY_DATA_LIMIT, /* skipped early data over its limit */
    CYTLS_RECORD_E_OUTPUT_SPACE      /* caller's output buffer too small */
} cytls_record_error;

/*
 * cytls_record_protector is one direction of a connection's record state.
 * Allocate it with cytls_record_new (the AEAD context needs 64-byte
 * alignment); treat its fields as read-only.
 */
typedef struct cytls_record_protector {
    cytls_aead aead;
    uint8_t iv[12];          /* TLS 1.2 AES-GCM: 4-byte salt, then zeros */
    uint64_t seq;            /* sequence number of the next record */
    uint64_t seq_limit;      /* no record is processed with seq >= this */
    uint16_t version;        /* 0 (no key), 0x0303 or 0x0304 */
    uint16_t plain_version;  /* legacy_record_version of plaintext records */
    uint8_t explicit_nonce;  /* TLS 1.2 AES-GCM: 8-byte explicit nonce */
    uint8_t keyed;
    size_t max_inner;        /* largest TLSInnerPlaintext (1.3, content type
                                included) or plaintext (1.2) */
    size_t pad_block;        /* TLS 1.3: pad inner plaintext to a multiple */
    size_t skip_budget;      /* early data skip allowance + 1; 0: off */
} cytls_record_protector;

/* The outcome of cytls_record_open. */
typedef struct cytls_record_result {
    cytls_record_status status;
    cytls_record_error error;    /* CYTLS_RECORD_E_NONE unless an error */
    uint8_t alert;               /* alert description when status is ERROR */
    uint8_t type;                /* content type when status is STOPPED */
    size_t consumed;             /* input bytes of every record handled */
    size_t app_len;              /* application data bytes written to out */
    size_t payload_len;          /* STOPPED: payload bytes at out + app_len */
} cytls_record_result;

/*
 * cytls_record_new allocates a protector with no key: it frames plaintext
 * records with legacy_record_version 0x0303 and the 2^14 limit. It returns
 * NULL when out of memory.
 */
cytls_record_protector *cytls_record_new(void);

/* cytls_record_free wipes and frees a protector; NULL is allowed. */
void cytls_record_free(cytls_record_protector *p);

/*
 * cytls_record_set_key installs a key, wiping the previous one, and resets
 * the sequence number to 0. version is 0x0304 (TLS 1.3) or 0x0303 (TLS 1.2).
 * iv_len is 12, except for TLS 1.2 AES-GCM, where iv is the 4-byte implicit
 * salt (the 8-byte explicit nonce is the sequence number). The record size
 * limit and padding return to their defaults. It returns 0, leaving the
 * protector without a key, for a bad algorithm, version or length.
 */
int cytls_record_set_key(cytls_record_protector *p, cytls_aead_alg alg,
                         uint16_t version, const uint8_t *key, size_t key_len,
                         const uint8_t *iv, size_t iv_len);

/* cytls_record_clear_key wipes the key: plaintext records from here on. */
void cytls_record_clear_key(cytls_record_protector *p);

/*
 * cytls_record_set_plain_version sets legacy_record_version for plaintext
 * records sealed from here on (0x0301 for a first ClientHello).
 */
void cytls_record_set_plain_version(cytls_record_protector *p,
                                    uint16_t version);

/*
 * cytls_record_set_limit applies a record_size_limit (RFC 8449): the
 * largest TLSInnerPlaintext (TLS 1.3, content type included) or plaintext
 * (TLS 1.2) of protected records, capped at the protocol's own maximum. It
 * returns 0 and changes nothing for a value below 64.
 */
int cytls_record_set_limit(cytls_record_protector *p, size_t limit);

/*
 * cytls_record_set_pad_block sets TLS 1.3 padding for sealed records: each
 * inner plaintext is padded with zeros to a multiple of block bytes (never
 * past the limit). 0 or 1 means no padding. TLS 1.2 ignores it.
 */
void cytls_record_set_pad_block(cytls_record_protector *p, size_t block);

/*
 * cytls_record_set_skip_budget lets cytls_record_open drop up to budget
 * bytes of rejected early data (RFC 8446 section 4.2.10). Under a TLS 1.3
 * key: records that fail authentication, until one authenticates (trial
 * decryption). Before any key (after a HelloRetryRequest): application
 * data records, until the next handshake or alert record. Each record
 * costs its length less the tag and content type; one over the budget
 * fails with unexpected_message.
 */
void cytls_record_set_skip_budget(cytls_record_protector *p, size_t budget);

/*
 * cytls_record_set_seq sets the next sequence number. For tests of the
 * sequence limits only: reusing a number reuses a nonce.
 */
void cytls_record_set_seq(cytls_record_protector *p, uint64_t seq);

/*
 * cytls_record_fragment_len returns the most content bytes one sealed
 * record carries (2^14, or less under a record size limit).
 */
size_t cytls_record_fragment_len(const cytls_record_protector *p);

/*
 * cytls_record_seal_len returns the exact number of bytes cytls_record_seal
 * writes for in_len bytes of content (0 for in_len 0).
 */
size_t cytls_record_seal_len(const cytls_record_protector *p, size_t in_len);

/*
 * cytls_record_seal cuts in_len bytes of content of the given type into
 * records of at most cytls_record_fragment_len bytes, protects them if a
 * key is set (TLS 1.3 inner content type and padding; nonce from IV and
 * sequence number; the header, or in TLS 1.2 seq||type||version||length, as
 * associated data) and writes them to out, storing the length in *out_len.
 * Nothing is written for in_len 0 of handshake or application data. out
 * must not overlap in. It returns 0, writing nothing, when out_cap is below
 * cytls_record_seal_len, the type is not one of 20..23, the content is one
 * that cytls_record_open refuses (an alert other than exactly 2 bytes; a
 * change_cipher_spec other than the single byte 1, or any under a key), or
 * the sequence number would reach its limit.
 */
int cytls_record_seal(cytls_record_protector *p, uint8_t *out, size_t out_cap,
                      size_t *out_len, uint8_t type, const uint8_t *in,
                      size_t in_len);

/*
 * cytls_record_seal_padded seals in_len (1..cytls_record_fragment_len)
 * bytes as one record with exactly pad bytes of TLS 1.3 padding, cut back
 * to fit the limit (0 in TLS 1.2 or without a key). The record takes
 * in_len + pad + CYTLS_RECORD_MAX_OVERHEAD bytes at most. Returns as
 * cytls_record_seal.
 */
int cytls_record_seal_padded(cytls_record_protector *p, uint8_t *out,
                             size_t out_cap, size_t *out_len, uint8_t type,
                             const uint8_t *in, size_t in_len, size_t pad);

/*
 * cytls_record_open handles every complete record at the start of in, in
 * order, and reports in *res. Application data of protected records is
 * written contiguously to out; the first other record (any record when no
 * key is set) stops the batch, its payload written at out + res->app_len,
 * since keys may change after it. Checks before decryption: content type,
 * version, length against the limits; after: the tag (a failed record
 * releases nothing: out is left without its plaintext), the inner length,
 * the TLS 1.3 inner content type. A CCS record must be the single byte 1
 * and is returned (never protected); zero-length handshake, alert and CCS
 * records, and alerts other than 2 bytes, are refused. out_cap must be at
 * least in_len. On ERROR, consumed and app_len still count the good
 * records before the bad one.
 */
void cytls_record_open(cytls_record_protector *p, cytls_record_result *res,
                       uint8_t *out, size_t out_cap, const uint8_t *in,
                       size_t in_len);

/* cytls_record_error_string describes an error code in a few words. */
const char *cytls_record_error_string(cytls_record_error error);

/* CYTLS_RECORD_API_END */

/* ------------------------------------------------------------------ */
/* X25519 (x25519.c)                                                    */
/* ------------------------------------------------------------------ */

/*
 * cytls_x25519 is the X25519 function of RFC 7748 section 5: it writes to
 * out the u-coordinate of the clamped scalar times the point with
 * u-coordinate u (its top bit ignored, values of p and above accepted as
 * the RFC says). It returns 1, or 0 when the output is all zero (u of small
 * order, refused by RFC 8446 section 7.4.2); out is written either way.
 * Constant time in scalar and u. out may not overlap the inputs.
 */
int cytls_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]);

/*
 * cytls_x25519_base is cytls_x25519(out, scalar, 9), the public key of a
 * private scalar, computed on edwards25519 with a table of multiples of
 * the base point (built by cytls_init). It returns 1, or 0 if the table
 * could not be built (broken arithmetic; out is then not written).
 * Constant time in scalar.
 */
int cytls_x25519_base(uint8_t out[32], const uint8_t scalar[32]);

#ifdef __cplusplus
}
#endif

#endif /* CYTLS_H */
