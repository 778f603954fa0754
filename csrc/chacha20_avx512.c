/*
 * chacha20_avx512.c -- ChaCha20 on AVX-512F, sixteen blocks at once: each
 * state word lives in one 512-bit register holding that word of sixteen
 * blocks, with the native 32-bit rotate; long inputs run two such groups
 * (32 blocks) whose rounds are GNU inline assembly over all 32 registers.
 * Inputs and tails of up to two blocks go to the AVX2 entry. Constant time:
 * add/xor/rotate/fixed shuffles only.
 */
#include "chacha20_common.h"

#if defined(CYTLS_X86_64)

#include <immintrin.h>

#define ADD(a, b) _mm512_add_epi32(a, b)
#define XOR(a, b) _mm512_xor_si512(a, b)
#define ROL(v, n) _mm512_rol_epi32(v, n)

#define QR(a, b, c, d)                                                    \
    do {                                                                  \
        a = ADD(a, b); d = XOR(d, a); d = ROL(d, 16);                     \
        c = ADD(c, d); b = XOR(b, c); b = ROL(b, 12);                     \
        a = ADD(a, b); d = XOR(d, a); d = ROL(d, 8);                      \
        c = ADD(c, d); b = XOR(b, c); b = ROL(b, 7);                      \
    } while (0)

/* 4x4 transpose of 32-bit words within each 128-bit lane. */
#define TRANSPOSE4(a, b, c, d)                                            \
    do {                                                                  \
        __m512i t0 = _mm512_unpacklo_epi32(a, b);                         \
        __m512i t1 = _mm512_unpacklo_epi32(c, d);                         \
        __m512i t2 = _mm512_unpackhi_epi32(a, b);                         \
        __m512i t3 = _mm512_unpackhi_epi32(c, d);                         \
        a = _mm512_unpacklo_epi64(t0, t1);                                \
        b = _mm512_unpackhi_epi64(t0, t1);                                \
        c = _mm512_unpacklo_epi64(t2, t3);                                \
        d = _mm512_unpackhi_epi64(t2, t3);                                \
    } while (0)

#define LOADU(p) _mm512_loadu_si512((const void *)(p))
#define STOREU(p, v) _mm512_storeu_si512((void *)(p), v)

/* XOR 1024 bytes of keystream (blocks ctr..ctr+15) into in, to out. */
static void sixteen_blocks(uint8_t *out, const uint8_t *in,
                           const uint32_t s[16], uint32_t ctr)
{
    __m512i x[16], o[16];
    for (int i = 0; i < 16; i++)
        o[i] = _mm512_set1_epi32((int)s[i]);
    /* 32-bit lane additions wrap the counter modulo 2^32. */
    o[12] = ADD(_mm512_set1_epi32((int)ctr),
                _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
                                 3, 2, 1, 0));
    for (int i = 0; i < 16; i++)
        x[i] = o[i];
    for (int r = 0; r < 10; r++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        x[i] = ADD(x[i], o[i]);
    for (int g = 0; g < 4; g++)
        TRANSPOSE4(x[4 * g], x[4 * g + 1], x[4 * g + 2], x[4 * g + 3]);
    /* x[4g+b], 128-bit lane k, holds words 4g..4g+3 of block b+4k.
     * Transpose the 4x4 grid of 128-bit lanes per b to get whole blocks. */
    for (int b = 0; b < 4; b++) {
        __m512i a = _mm512_shuffle_i32x4(x[b], x[4 + b], 0x44);
        __m512i c = _mm512_shuffle_i32x4(x[8 + b], x[12 + b], 0x44);
        __m512i e = _mm512_shuffle_i32x4(x[b], x[4 + b], 0xee);
        __m512i f = _mm512_shuffle_i32x4(x[8 + b], x[12 + b], 0xee);
        __m512i k0 = _mm512_shuffle_i32x4(a, c, 0x88); /* block b */
        __m512i k1 = _mm512_shuffle_i32x4(a, c, 0xdd); /* block b+4 */
        __m512i k2 = _mm512_shuffle_i32x4(e, f, 0x88); /* block b+8 */
        __m512i k3 = _mm512_shuffle_i32x4(e, f, 0xdd); /* block b+12 */
        STOREU(out + 64 * b, XOR(k0, LOADU(in + 64 * b)));
        STOREU(out + 64 * (b + 4), XOR(k1, LOADU(in + 64 * (b + 4))));
        STOREU(out + 64 * (b + 8), XOR(k2, LOADU(in + 64 * (b + 8))));
        STOREU(out + 64 * (b + 12), XOR(k3, LOADU(in + 64 * (b + 12))));
    }
}

/* Store the sixteen blocks of keystream in x (after the rounds and the
 * feed-forward) XORed into in, to out: transposes words to blocks. */
static inline void store_sixteen(uint8_t *out, const uint8_t *in, __m512i x[16])
{
    for (int g = 0; g < 4; g++)
        TRANSPOSE4(x[4 * g], x[4 * g + 1], x[4 * g + 2], x[4 * g + 3]);
    for (int b = 0; b < 4; b++) {
        __m512i a = _mm512_shuffle_i32x4(x[b], x[4 + b], 0x44);
        __m512i c = _mm512_shuffle_i32x4(x[8 + b], x[12 + b], 0x44);
        __m512i e = _mm512_shuffle_i32x4(x[b], x[4 + b], 0xee);
        __m512i f = _mm512_shuffle_i32x4(x[8 + b], x[12 + b], 0xee);
        STOREU(out + 64 * b,
               XOR(_mm512_shuffle_i32x4(a, c, 0x88), LOADU(in + 64 * b)));
        STOREU(out + 64 * (b + 4),
               XOR(_mm512_shuffle_i32x4(a, c, 0xdd), LOADU(in + 64 * (b + 4))));
        STOREU(out + 64 * (b + 8),
               XOR(_mm512_shuffle_i32x4(e, f, 0x88), LOADU(in + 64 * (b + 8))));
        STOREU(out + 64 * (b + 12),
               XOR(_mm512_shuffle_i32x4(e, f, 0xdd), LOADU(in + 64 * (b + 12))));
    }
}

/*
 * The twenty rounds of two sixteen-block groups, in GNU inline assembly:
 * all 32 vector registers hold the state (x in zmm0..15, y in zmm16..31)
 * and nothing else, which GCC could not be made to do from
 * intrinsics (GCC spilled a quarter of the state each double round, and the
 * reloads lengthen the add/rotate chains). Every step is issued for the
 * four independent quarter rounds (columns or diagonals) of each group, so
 * the out-of-order core has eight independent operations to overlap with
 * the two-cycle latency of the last ones. Constant time: adds, xors and
 * fixed rotates only.
 */
#define Z(n) "%%zmm" #n
#define AD(a, b) "vpaddd " Z(b) ", " Z(a) ", " Z(a) "\n\t"
#define XO(d, a) "vpxord " Z(a) ", " Z(d) ", " Z(d) "\n\t"
#define RL(d, k) "vprold $" #k ", " Z(d) ", " Z(d) "\n\t"
/* One step of four quarter rounds (RFC 8439 §2.1) on the words (a_i,
 * b_i, c_i, d_i), i = 0..3: a += b; d ^= a; d <<<= 16; c += d; ... */
#define ADAB(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3) \
    AD(a0, b0) AD(a1, b1) AD(a2, b2) AD(a3, b3)
#define ADCD(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3) \
    AD(c0, d0) AD(c1, d1) AD(c2, d2) AD(c3, d3)
#define XODA(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3) \
    XO(d0, a0) XO(d1, a1) XO(d2, a2) XO(d3, a3)
#define XOBC(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3) \
    XO(b0, c0) XO(b1, c1) XO(b2, c2) XO(b3, c3)
#define RD16(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3) \
    RL(d0, 16) RL(d1, 16) RL(d2, 16) RL(d3, 16)
#define RD8(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3)  \
    RL(d0, 8) RL(d1, 8) RL(d2, 8) RL(d3, 8)
#define RB12(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3) \
    RL(b0, 12) RL(b1, 12) RL(b2, 12) RL(b3, 12)
#define RB7(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3)  \
    RL(b0, 7) RL(b1, 7) RL(b2, 7) RL(b3, 7)
/* Indirection so that a register list expands into sixteen arguments. */
#define S(m, ...) m(__VA_ARGS__)
/* The registers (a0..a3, b0..b3, c0..c3, d0..d3) of the column and the
 * diagonal rounds, of x (zmm0..15) and of y (zmm16..31). */
#define X_COL 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
#define X_DIAG 0, 1, 2, 3, 5, 6, 7, 4, 10, 11, 8, 9, 15, 12, 13, 14
#define Y_COL 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
#define Y_DIAG 16, 17, 18, 19, 21, 22, 23, 20, 26, 27, 24, 25, 31, 28, 29, 30
/* Step k of x's quarter rounds next to step k - 1 of y's: y runs one step
 * behind x, so that one group's rotates (which only two of the four vector
 * pipes execute here) issue next to the other's adds and xors. Measured
 * against issuing both groups in step, the gain is small (1-2%); the
 * registers-only rounds are what matters (ChaCha20 at 16 KiB 9.4 -> 10.3
 * GB/s on the development machine). */
#define DOUBLE_ROUND                                                         \
    S(ADAB, X_COL)                                                           \
    S(XODA, X_COL) S(ADAB, Y_COL)                                            \
    S(RD16, X_COL) S(XODA, Y_COL)                                            \
    S(ADCD, X_COL) S(RD16, Y_COL)                                            \
    S(XOBC, X_COL) S(ADCD, Y_COL)                                            \
    S(RB12, X_COL) S(XOBC, Y_COL)                                            \
    S(ADAB, X_COL) S(RB12, Y_COL)                                            \
    S(XODA, X_COL) S(ADAB, Y_COL)                                            \
    S(RD8, X_COL) S(XODA, Y_COL)                                             \
    S(ADCD, X_COL) S(RD8, Y_COL)                                             \
    S(XOBC, X_COL) S(ADCD, Y_COL)                                            \
    S(RB7, X_COL) S(XOBC, Y_COL)                                             \
    S(ADAB, X_DIAG) S(RB7, Y_COL)                                            \
    S(XODA, X_DIAG) S(ADAB, Y_DIAG)                                          \
    S(RD16, X_DIAG) S(XODA, Y_DIAG)                                          \
    S(ADCD, X_DIAG) S(RD16, Y_DIAG)                                          \
    S(XOBC, X_DIAG) S(ADCD, Y_DIAG)                                          \
    S(RB12, X_DIAG) S(XOBC, Y_DIAG)                                          \
    S(ADAB, X_DIAG) S(RB12, Y_DIAG)                                          \
    S(XODA, X_DIAG) S(ADAB, Y_DIAG)                                          \
    S(RD8, X_DIAG) S(XODA, Y_DIAG)                                           \
    S(ADCD, X_DIAG) S(RD8, Y_DIAG)                                           \
    S(XOBC, X_DIAG) S(ADCD, Y_DIAG)                                          \
    S(RB7, X_DIAG) S(XOBC, Y_DIAG)                                           \
    S(RB7, Y_DIAG)
#define LD(n) "vmovdqa64 " #n "*64(%0), " Z(n) "\n\t"
#define ST(n) "vmovdqa64 " Z(n) ", " #n "*64(%0)\n\t"
#define ALL32(OP)                                                            \
    OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10)       \
    OP(11) OP(12) OP(13) OP(14) OP(15) OP(16) OP(17) OP(18) OP(19) OP(20)    \
    OP(21) OP(22) OP(23) OP(24) OP(25) OP(26) OP(27) OP(28) OP(29) OP(30)    \
    OP(31)

/* v[0..15] = x, v[16..31] = y: twenty rounds on both, in place. */
static inline void rounds32(__m512i v[32])
{
    __asm__("mov $10, %%eax\n\t"
            ALL32(LD)
            "1:\n\t"
            DOUBLE_ROUND
            "dec %%eax\n\t"
            "jnz 1b\n\t"
            ALL32(ST)
            :
            : "r"(v)
            : "memory", "cc", "eax", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
              "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
              "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18",
              "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25",
              "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

/* XOR 2048 bytes of keystream (blocks ctr..ctr+31) into in, to out: two
 * groups of sixteen blocks whose rounds run interleaved. All 32 vector
 * registers hold state during the rounds; the input words are broadcast
 * again from s for the feed-forward rather than kept in registers. v is
 * the state's memory around the rounds: keystream is left in it, so the
 * caller wipes it once it is done. */
static inline void thirtytwo_blocks_in(uint8_t *out, const uint8_t *in,
                                       const uint32_t s[16], uint32_t ctr,
                                       __m512i v[32])
{
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7,
                                          6, 5, 4, 3, 2, 1, 0);
    /* 32-bit lane additions wrap the counter modulo 2^32. */
    __m512i *x = v, *y = v + 16;
    for (int i = 0; i < 16; i++)
        x[i] = y[i] = _mm512_set1_epi32((int)s[i]);
    x[12] = ADD(_mm512_set1_epi32((int)ctr), lane);
    y[12] = ADD(_mm512_set1_epi32((int)(ctr + 16)), lane);
    rounds32(v);
    /* Hide s and ctr from the optimiser here, so that it loads them again
     * instead of keeping the broadcasts above live (and spilled) through
     * the rounds. */
    const uint32_t *t = s;
    uint32_t tc = ctr;
    __asm__("" : "+r"(t), "+r"(tc));
    for (int i = 0; i < 16; i++) {
        if (i == 12) {
            x[i] = ADD(x[i], ADD(_mm512_set1_epi32((int)tc), lane));
            y[i] = ADD(y[i], ADD(_mm512_set1_epi32((int)(tc + 16)), lane));
        } else {
            x[i] = ADD(x[i], _mm512_set1_epi32((int)t[i]));
            y[i] = ADD(y[i], _mm512_set1_epi32((int)t[i]));
        }
    }
    store_sixteen(out, in, x);
    store_sixteen(out + 1024, in + 1024, y);
}

/* thirtytwo_blocks_in as a group function (for the tail), wiping its v. */
static void thirtytwo_blocks(uint8_t *out, const uint8_t *in,
                             const uint32_t s[16], uint32_t ctr)
{
    _Alignas(64) __m512i v[32];
    thirtytwo_blocks_in(out, in, s, ctr, v);
    cytls_memzero(v, sizeof v);
}

/*
 * Group sizes for what is left after the 32-block steps, from measurements
 * on the development machine (Zen 5): one or two blocks take least time in
 * the scalar code (reached through the AVX2 entry, about 76 ns a block);
 * sixteen blocks take about 140 ns, eight AVX2 blocks 180 and thirty-two
 * about 200, so up to sixteen blocks run as sixteen, and more than eighteen
 * as thirty-two, through a buffer when the length falls short. Only the
 * public length decides.
 */
void cytls_chacha20_avx512(uint8_t *out, const uint8_t *in, size_t len,
                           const uint8_t key[32], const uint8_t nonce[12],
                           uint32_t counter)
{
    uint32_t s[16];
    if (len <= 128) {
        cytls_chacha20_avx2(out, in, len, key, nonce, counter);
        return;
    }
    cytls_chacha20_init_state(s, key, nonce, counter);
    if (len >= 2048) {
        _Alignas(64) __m512i v[32];
        do {
            thirtytwo_blocks_in(out, in, s, counter, v);
            counter += 32;
            out += 2048;
            in += 2048;
            len -= 2048;
        } while (len >= 2048);
        cytls_memzero(v, sizeof v);
    }
    if (len > 1024 + 128) {
        _Alignas(64) uint8_t buf[2048];
        cytls_chacha20_tail(out, in, len, buf, sizeof buf, thirtytwo_blocks,
                            s, counter);
        len = 0;
    }
    if (len >= 1024) {
        sixteen_blocks(out, in, s, counter);
        counter += 16;
        out += 1024;
        in += 1024;
        len -= 1024;
    }
    if (len > 128) {
        /* The tail: keystream of sixteen blocks into a buffer. */
        _Alignas(64) uint8_t buf[1024];
        cytls_chacha20_tail(out, in, len, buf, sizeof buf, sixteen_blocks, s,
                            counter);
    } else if (len > 0) {
        cytls_chacha20_avx2(out, in, len, key, nonce, counter);
    }
    cytls_memzero(s, sizeof s);
}

#else
typedef int cytls_chacha20_avx512_unused; /* ISO C forbids an empty file */
#endif
