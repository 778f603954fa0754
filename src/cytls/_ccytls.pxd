# Declarations of csrc/cytls.h for the Cython binding; nothing else.
from libc.stdint cimport uint8_t, uint32_t, uint64_t


cdef extern from "cytls.h" nogil:
    int cytls_init()
    uint32_t cytls_cpu_detected()
    uint32_t cytls_cpu_features()
    int cytls_set_level(const char *name)
    const char *cytls_level_name()
    const char *cytls_backend_name(const char *primitive)
    void cytls_memzero(void *p, size_t n)

    ctypedef struct cytls_gcm_ctx:
        pass
    int cytls_gcm_init(cytls_gcm_ctx *ctx, const uint8_t *key, size_t key_len)
    void cytls_gcm_clear(cytls_gcm_ctx *ctx)
    void cytls_gcm_seal(const cytls_gcm_ctx *ctx, uint8_t *out, const uint8_t *nonce,
                        const uint8_t *aad, size_t aad_len, const uint8_t *inp, size_t in_len)
    int cytls_gcm_open(const cytls_gcm_ctx *ctx, uint8_t *out, const uint8_t *nonce,
                       const uint8_t *aad, size_t aad_len, const uint8_t *inp, size_t in_len)

    void cytls_chapoly_seal(const uint8_t *key, uint8_t *out, const uint8_t *nonce,
                            const uint8_t *aad, size_t aad_len, const uint8_t *inp, size_t in_len)
    int cytls_chapoly_open(const uint8_t *key, uint8_t *out, const uint8_t *nonce,
                           const uint8_t *aad, size_t aad_len, const uint8_t *inp, size_t in_len)

    ctypedef enum cytls_aead_alg:
        CYTLS_AEAD_AES_128_GCM
        CYTLS_AEAD_AES_256_GCM
        CYTLS_AEAD_CHACHA20_POLY1305
    ctypedef struct cytls_aead:
        pass
    int cytls_aead_init(cytls_aead *aead, cytls_aead_alg alg, const uint8_t *key, size_t key_len)
    void cytls_aead_clear(cytls_aead *aead)
    cytls_aead *cytls_aead_new()
    void cytls_aead_free(cytls_aead *aead)
    void cytls_aead_seal(const cytls_aead *aead, uint8_t *out, const uint8_t *nonce,
                         const uint8_t *aad, size_t aad_len, const uint8_t *inp, size_t in_len)
    int cytls_aead_open(const cytls_aead *aead, uint8_t *out, const uint8_t *nonce,
                        const uint8_t *aad, size_t aad_len, const uint8_t *inp, size_t in_len)

    ctypedef enum cytls_hash_alg:
        CYTLS_SHA256
        CYTLS_SHA384
        CYTLS_SHA512
    ctypedef struct cytls_hash_ctx:
        pass
    size_t cytls_hash_digest_len(cytls_hash_alg alg)
    size_t cytls_hash_block_len(cytls_hash_alg alg)
    int cytls_hash_init(cytls_hash_ctx *ctx, cytls_hash_alg alg)
    void cytls_hash_update(cytls_hash_ctx *ctx, const uint8_t *data, size_t len)
    void cytls_hash_final(cytls_hash_ctx *ctx, uint8_t *out)

    int cytls_hmac(cytls_hash_alg alg, uint8_t *out, const uint8_t *key, size_t key_len,
                   const uint8_t *msg, size_t msg_len)
    int cytls_hkdf_extract(cytls_hash_alg alg, uint8_t *out, const uint8_t *salt, size_t salt_len,
                           const uint8_t *ikm, size_t ikm_len)
    int cytls_hkdf_expand(cytls_hash_alg alg, uint8_t *out, size_t out_len, const uint8_t *prk,
                          size_t prk_len, const uint8_t *info, size_t info_len)
    int cytls_hkdf_expand_label(cytls_hash_alg alg, uint8_t *out, size_t out_len,
                                const uint8_t *secret, size_t secret_len,
                                const uint8_t *label, size_t label_len,
                                const uint8_t *context, size_t context_len)
    ctypedef struct cytls_hkdf_label:
        uint8_t *out
        size_t out_len
        const uint8_t *label
        size_t label_len
        const uint8_t *context
        size_t context_len
    int cytls_hkdf_expand_labels(cytls_hash_alg alg, const uint8_t *secret, size_t secret_len,
                                 const cytls_hkdf_label *labels, size_t num_labels)


# Record layer (csrc/record.c).
from libc.stdint cimport uint16_t


cdef extern from "cytls.h" nogil:
    enum:
        CYTLS_RECORD_HEADER_LEN
        CYTLS_RECORD_MAX_PLAINTEXT
        CYTLS_RECORD_MAX_OVERHEAD
        CYTLS_RECORD_GCM_LIMIT

    ctypedef enum cytls_record_status:
        CYTLS_RECORD_NEED_MORE
        CYTLS_RECORD_STOPPED
        CYTLS_RECORD_ERROR

    ctypedef enum cytls_record_error:
        CYTLS_RECORD_E_NONE

    ctypedef struct cytls_record_protector:
        uint64_t seq
        uint64_t seq_limit
        uint16_t version
        uint8_t keyed
        size_t max_inner

    ctypedef struct cytls_record_result:
        cytls_record_status status
        cytls_record_error error
        uint8_t alert
        uint8_t type
        size_t consumed
        size_t app_len
        size_t payload_len

    cytls_record_protector *cytls_record_new()
    void cytls_record_free(cytls_record_protector *p)
    int cytls_record_set_key(cytls_record_protector *p, cytls_aead_alg alg, uint16_t version,
                             const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len)
    void cytls_record_clear_key(cytls_record_protector *p)
    void cytls_record_set_plain_version(cytls_record_protector *p, uint16_t version)
    int cytls_record_set_limit(cytls_record_protector *p, size_t limit)
    void cytls_record_set_pad_block(cytls_record_protector *p, size_t block)
    void cytls_record_set_skip_budget(cytls_record_protector *p, size_t budget)
    void cytls_record_set_seq(cytls_record_protector *p, uint64_t seq)
    size_t cytls_record_fragment_len(const cytls_record_protector *p)
    size_t cytls_record_seal_len(const cytls_record_protector *p, size_t in_len)
    int cytls_record_seal(cytls_record_protector *p, uint8_t *out, size_t out_cap,
                          size_t *out_len, uint8_t type, const uint8_t *inp, size_t in_len)
    int cytls_record_seal_padded(cytls_record_protector *p, uint8_t *out, size_t out_cap,
                                 size_t *out_len, uint8_t type, const uint8_t *inp,
                                 size_t in_len, size_t pad)
    void cytls_record_open(cytls_record_protector *p, cytls_record_result *res, uint8_t *out,
                           size_t out_cap, const uint8_t *inp, size_t in_len)
    const char *cytls_record_error_string(cytls_record_error error)

    int cytls_x25519(uint8_t *out, const uint8_t *scalar, const uint8_t *u)
    int cytls_x25519_base(uint8_t *out, const uint8_t *scalar)
